//go:build unix

// Package daemontest runs a server program for an integration test: in a
// process group of its own, with its output appended to a file, until it
// listens on its ports; then it stops the whole group. The packages that
// run real XMPP servers for the tests (internal/prosodytest and
// internal/ejabberdtest) share it.
package daemontest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Process is one run of a server program.
type Process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // exit status; read only after done is closed
}

// Start starts cmd in a process group of its own, so that [Process.Kill]
// reaches everything it runs, with its standard output and error appended
// to outPath. name is what messages call the program.
func Start(name string, cmd *exec.Cmd, outPath string) (*Process, error) {
	out, err := os.OpenFile(outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	p := &Process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	return p, nil
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Kill sends SIGTERM to the process group, SIGKILL if the process has not
// exited after timeout, and waits for it to exit. A process that has exited
// already is left alone: its group id may belong to someone else by now.
func (p *Process) Kill(timeout time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		// The group id is still ours: the leader is not reaped until done.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// WaitListening dials every address until all accept a connection, the
// process exits or ctx is done, backing off between rounds.
func (p *Process) WaitListening(ctx context.Context, addrs ...string) error {
	delay := 20 * time.Millisecond
	var d net.Dialer
	for {
		err := dialAll(ctx, &d, addrs)
		if err == nil {
			return nil
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("%w (last error: %v)", ctx.Err(), err)
		case <-p.done:
			timer.Stop()
			return fmt.Errorf("%s exited: %v", p.name, p.err)
		case <-timer.C:
		}
		delay = min(delay*2, 500*time.Millisecond)
	}
}

func dialAll(ctx context.Context, d *net.Dialer, addrs []string) error {
	for _, addr := range addrs {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		conn.Close()
	}
	return nil
}

// FreePorts returns n distinct ports that were free on 127.0.0.1 a moment
// ago. Another process may take one before the server binds it; the window
// is small, and the server then fails loudly instead of misbehaving.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("pick a port: %v", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// RandomHex returns n random bytes in hex.
func RandomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random bytes: %v", err)
	}
	return hex.EncodeToString(b)
}

// LogTails logs the last lines lines of each file in paths that exists,
// each message starting with prefix.
func LogTails(t testing.TB, prefix string, lines int, paths ...string) {
	t.Helper()
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				t.Logf("%s: %v", prefix, err)
			}
			continue
		}
		t.Logf("%s: last lines of %s:\n%s", prefix, path, Tail(data, lines))
	}
}

// Tail returns the last n lines of data.
func Tail(data []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
