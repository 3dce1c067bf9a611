package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"
)

// floorCommand is the hidden subcommand that runs the floor server: the
// bench re-executes itself with it, so the floor is a process of its own
// whose CPU is measured like a real server's.
const floorCommand = "__floor"

// floorBody is the floor's whole answer: what an S3 server says to an
// anonymous request it refuses, without any of the work.
const floorBody = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>AccessDenied</Code><Message>Access Denied.</Message><Resource>/</Resource><RequestId>0</RequestId></Error>`

// serveFloor runs the floor server: a bare net/http handler answering 403
// with floorBody to every request. It listens on a random loopback port,
// writes "listening ADDR" to stdout, and exits when stdin closes, so it
// cannot outlive the bench that started it.
func serveFloor(stdin io.Reader, stdout, stderr io.Writer) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(stderr, "floor:", err)
		return 1
	}
	fmt.Fprintln(stdout, "listening", l.Addr().String())
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		os.Exit(0)
	}()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Read the body as a server must before it answers, so that
			// the connection stays open for the next request.
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, floorBody)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintln(stderr, "floor:", srv.Serve(l))
	return 1
}

// startFloor starts the floor server as a child process and returns it
// with its URL.
func startFloor(logPath string) (*process, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	cmd := exec.Command(self, floorCommand)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, "", err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	p, err := startProcess(cmd, logPath)
	if err != nil {
		return nil, "", err
	}
	p.stdin = stdin
	line := make(chan string, 1)
	go func() {
		var b strings.Builder
		buf := make([]byte, 1)
		for {
			if _, err := stdout.Read(buf); err != nil || buf[0] == '\n' {
				break
			}
			b.WriteByte(buf[0])
		}
		line <- b.String()
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		addr, ok := strings.CutPrefix(l, "listening ")
		if !ok {
			_ = p.stop()
			return nil, "", fmt.Errorf("floor server did not start: %q (log %s)", l, logPath)
		}
		return p, "http://" + addr, nil
	case <-time.After(10 * time.Second):
		_ = p.stop()
		return nil, "", fmt.Errorf("floor server did not start in 10s (log %s)", logPath)
	}
}
