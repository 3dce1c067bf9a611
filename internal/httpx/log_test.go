package httpx

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a handler and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestWrap_Logs(t *testing.T) {
	var errLog, accessLog syncBuffer
	logger := slog.New(LogHandler(slog.NewJSONHandler(&errLog, nil)))
	type seen struct {
		api    string
		status int
	}
	var observed []seen
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetAPI(r.Context(), "s3")
		logger.InfoContext(r.Context(), "inside")
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "hello")
	}), Options{Logger: logger, AccessLog: slog.New(slog.NewJSONHandler(&accessLog, nil)),
		Observe: func(api string, status int, d time.Duration) { observed = append(observed, seen{api, status}) }})

	for _, path := range []string{"/ok?X-Amz-Signature=secret", "/fail"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	}
	access := jsonLines(t, accessLog.String())
	if len(access) != 2 || access[0]["path"] != "/ok" || access[0]["status"] != 200.0 || access[0]["bytes"] != 5.0 ||
		access[0]["api"] != "s3" || access[1]["status"] != 503.0 || access[0]["request_id"] != nil {
		t.Errorf("access log:\n%s", accessLog.String())
	}
	if strings.Contains(accessLog.String(), "secret") {
		t.Errorf("the access log holds the query string:\n%s", accessLog.String())
	}
	// The error log has the handler's own lines, with the request id, and
	// the failed request, but not the successful one.
	errs := jsonLines(t, errLog.String())
	if len(errs) != 3 || errs[0]["msg"] != "inside" || errs[2]["msg"] != "request failed" || errs[2]["status"] != 503.0 {
		t.Fatalf("error log:\n%s", errLog.String())
	}
	if id, _ := errs[0]["request_id"].(string); len(id) != 16 || errs[1]["request_id"] == id {
		t.Errorf("request ids %v, %v: want one per request", errs[0]["request_id"], errs[1]["request_id"])
	}
	if len(observed) != 2 || observed[0] != (seen{"s3", 200}) || observed[1] != (seen{"s3", 503}) {
		t.Errorf("observed %+v", observed)
	}
}

func TestWrap_AccessLogOff(t *testing.T) {
	var errLog syncBuffer
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		Options{Logger: slog.New(slog.NewTextHandler(&errLog, nil))})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if errLog.String() != "" {
		t.Errorf("a successful request was logged with the access log off: %q", errLog.String())
	}
}

func TestLogFile_ReopenAndClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l, err := OpenLogFile(path, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(l, "one\n")
	if data, _ := os.ReadFile(path); len(data) != 0 {
		t.Errorf("written through before a flush: %q", data)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(l, "two\n")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(l, "three\n"); err == nil {
		t.Error("write after Close succeeded")
	}
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if string(old) != "one\n" || string(cur) != "two\n" {
		t.Errorf("rotated %q, current %q; want one line each", old, cur)
	}
}

func TestLogFile_PeriodicFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l, err := OpenLogFile(path, 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	io.WriteString(l, "line\n")
	deadline := time.Now().Add(5 * time.Second)
	for {
		if data, _ := os.ReadFile(path); string(data) == "line\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the buffer was not flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// nopWriter is the cheapest ResponseWriter, so that the benchmark measures
// Wrap.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkWrap_AccessLog measures what a request costs Wrap with the
// access log off, formatted but discarded, buffered to a file (LogFile),
// and unbuffered to a file (one write(2) a line, the cost of logging every
// request to stderr before the access log became an option).
func BenchmarkWrap_AccessLog(b *testing.B) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetAPI(r.Context(), "s3")
		w.WriteHeader(http.StatusOK)
	})
	file := func(b *testing.B) *os.File {
		f, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		return f
	}
	cases := []struct {
		name string
		log  func(b *testing.B) *slog.Logger
	}{
		{"off", func(*testing.B) *slog.Logger { return nil }},
		{"discard", func(*testing.B) *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }},
		{"file-buffered", func(b *testing.B) *slog.Logger {
			l, err := OpenLogFile(filepath.Join(b.TempDir(), "access.log"), time.Second)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { l.Close() })
			return slog.New(slog.NewTextHandler(l, nil))
		}},
		{"file-unbuffered", func(b *testing.B) *slog.Logger { return slog.New(slog.NewTextHandler(file(b), nil)) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h := Wrap(next, Options{AccessLog: c.log(b), Observe: func(string, int, time.Duration) {}})
			req := httptest.NewRequest(http.MethodGet, "/bucket/some/object/key.jpg", nil)
			w := &nopWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
		})
	}
}
