//go:build unix

package daemontest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTail(t *testing.T) {
	tests := []struct {
		data string
		n    int
		want string
	}{
		{"", 3, ""},
		{"a\nb\nc\n", 5, "a\nb\nc"},
		{"a\nb\nc\nd", 2, "c\nd"},
	}
	for _, tt := range tests {
		if got := Tail([]byte(tt.data), tt.n); got != tt.want {
			t.Errorf("Tail(%q, %d) = %q, want %q", tt.data, tt.n, got, tt.want)
		}
	}
}

func TestProcess(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	// A program that runs until killed, with a child in its group.
	p, err := Start("sleeper", exec.Command("sh", "-c", "sleep 60 & wait"), out)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := p.WaitListening(ctx, ln.Addr().String()); err != nil {
		t.Fatalf("WaitListening on a listening address: %v", err)
	}
	p.Kill(time.Minute)
	select {
	case <-p.Done():
	default:
		t.Fatal("Kill returned before the process exited")
	}
	p.Kill(time.Minute) // exited: nothing to do

	// A program that exits before it listens.
	free := FreePorts(t, 1)[0]
	q, err := Start("quitter", exec.Command("sh", "-c", "echo bye; exit 3"), out)
	if err != nil {
		t.Fatal(err)
	}
	err = q.WaitListening(ctx, fmt.Sprintf("127.0.0.1:%d", free))
	if err == nil || !strings.Contains(err.Error(), "quitter exited") {
		t.Errorf("WaitListening for a process that exited = %v", err)
	}
	if data, _ := os.ReadFile(out); !strings.Contains(string(data), "bye") {
		t.Errorf("output file holds %q, want the program's output", data)
	}
}
