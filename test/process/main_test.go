// Package process tests the sesame binary as a user runs it: start-up
// checks, and what a SIGKILL in the middle of a write leaves behind.
package process

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// binary is the sesame binary built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sesame-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sesame")
	cmd := exec.Command("go", "build", "-o", binary, "github.com/sesame-s3/sesame/cmd/sesame")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building sesame:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	rootUser     = "admin"
	rootPassword = "adminsecret"
)

// node is a running sesame process.
type node struct {
	cmd      *exec.Cmd
	endpoint string
	done     chan struct{}
}

var addrRE = regexp.MustCompile(`address=(\S+)`)

// start runs `sesame server DIR` on a random loopback port and waits until it serves.
func start(t *testing.T, dir string, env ...string) *node {
	t.Helper()
	if env == nil {
		env = []string{"MINIO_ROOT_USER=" + rootUser, "MINIO_ROOT_PASSWORD=" + rootPassword}
	}
	ctx, cancel := context.WithCancel(context.Background())
	// --certs-dir= keeps certificates in the tester's home out of the way.
	cmd := exec.CommandContext(ctx, binary, "server", "--address", "127.0.0.1:0", "--certs-dir=", dir)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "serving") {
				addr <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { _ = cmd.Wait(); close(n.done) }()
	t.Cleanup(func() { n.kill(); cancel() })
	select {
	case a := <-addr:
		n.endpoint = "http://" + a
	case <-n.done:
		t.Fatal("sesame exited before serving")
	case <-time.After(30 * time.Second):
		t.Fatal("sesame did not start within 30s")
	}
	return n
}

// kill sends SIGKILL and waits for the process to be gone.
func (n *node) kill() {
	if n.cmd.Process != nil {
		_ = n.cmd.Process.Kill()
	}
	<-n.done
}

// runSesame runs the binary to completion with env and returns its exit code and stderr.
func runSesame(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var out strings.Builder
	cmd.Stderr = &out
	cmd.Stdout = &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String()
}
