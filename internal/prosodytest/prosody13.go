//go:build unix

package prosodytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rootScript makes the Debian trixie root with Prosody 13, relative to the
// repository's top directory.
const rootScript = "scripts/prosody13-root.sh"

// rootTimeout bounds making the root: about two minutes on the reference
// machine, with the Debian mirror to download from.
const rootTimeout = 15 * time.Minute

// Prosody13 is [WithRoot] with a Debian trixie root, where the prosody
// package is Prosody 13 (Debian 12 has 0.12). It runs
// scripts/prosody13-root.sh, which makes the root the first time (about two
// minutes and 230 MB, kept under the user's cache directory or at
// $XMPPOAUTH_PROSODY13_ROOT) and finds it there afterwards.
//
// It skips the test, with the reason, where the root cannot be made: the
// script says so (chroot and debootstrap need root), or
// $XMPPOAUTH_PROSODY13_SKIP holds the reason (scripts/test.sh sets it when
// the script said so before the tests). Any other failure fails the test.
func Prosody13(t testing.TB) Option {
	t.Helper()
	if reason := os.Getenv("XMPPOAUTH_PROSODY13_SKIP"); reason != "" {
		t.Skipf("Prosody 13 skipped: %s", reason)
	}
	script, err := findUp(rootScript)
	if err != nil {
		t.Fatalf("prosodytest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), rootTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	out := strings.TrimSpace(stdout.String())
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.ExitCode() == 3:
		t.Skipf("Prosody 13 skipped: %s", out)
	default:
		t.Fatalf("prosodytest: %s: %v\n%s%s", rootScript, err, stdout.String(), stderr.String())
	}
	lines := strings.Split(out, "\n")
	return WithRoot(lines[len(lines)-1])
}

// findUp looks for rel in the working directory and its parents: tests run
// in their package's directory, somewhere below the repository's top.
func findUp(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found in the working directory or above", rel)
		}
		dir = parent
	}
}
