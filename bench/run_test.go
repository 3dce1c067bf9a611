package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// TestMain lets the test binary serve as the floor server too, since the
// bench starts the floor by re-executing itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == floorCommand {
		os.Exit(serveFloor(os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func runBench(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestRun_Floor runs the whole bench against the floor server: a child
// process whose CPU is measured, every answer the expected 403.
func TestRun_Floor(t *testing.T) {
	code, out, errOut := runBench(t, "-mode", "floor", "-n", "200", "-c", "4", "-runs", "2")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"A floor  1", "A floor  2", "A floor  median", "errors: none", "server CPU/op"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PID unknown") {
		t.Errorf("the floor's PID is unknown:\n%s", out)
	}
}

// TestRun_CountsUnexpectedStatus points anon at a server that refuses
// the probe as expected (403) and then answers 200: every 200 must be an
// error, shown, with exit status 1.
func TestRun_CountsUnexpectedStatus(t *testing.T) {
	var seen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) == 1 {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	code, out, errOut := runBench(t, "-a", srv.URL, "-mode", "anon", "-n", "50", "-c", "2", "-runs", "1", "-md")
	if code != 1 {
		t.Errorf("exit %d, want 1\nstderr:\n%s", code, errOut)
	}
	for _, want := range []string{"| 1 | 50 | 0.00 |", "| 50 | - |", "errors: 50 operations failed", "50 × HTTP 200"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestRun_ProbeFails stops before measuring when the first request of the
// mode fails, with the server's message.
func TestRun_ProbeFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte("<Error><Code>InvalidAccessKeyId</Code><Message>no such key</Message></Error>"))
	}))
	defer srv.Close()
	code, out, errOut := runBench(t, "-a", srv.URL, "-mode", "assume-role", "-n", "10", "-runs", "1")
	if code != 1 || out != "" {
		t.Errorf("exit %d, stdout %q; want 1 and no table", code, out)
	}
	if !strings.Contains(errOut, "HTTP 403 InvalidAccessKeyId") || !strings.Contains(errOut, "no such key") {
		t.Errorf("stderr does not say why:\n%s", errOut)
	}
}
