package audit_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/audit"
)

func readLines(t *testing.T, path string) []audit.Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []audit.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

func TestLogger_fileAndReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.log")
	l, err := audit.Open(audit.Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	l.Log(audit.Record{Kind: "sts", Action: "AssumeRole", Outcome: "issued", Caller: "arn:aws:iam::000000000000:root"})
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("audit file: %v, mode %v; want 0600", err, fi.Mode())
	}
	// logrotate moves the file, then signals: later records go to a new one.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Log(audit.Record{Kind: "sts", Action: "AssumeRole", Outcome: "rejected", Error: "AccessDenied"})
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Log(audit.Record{Kind: "iam", Action: "CreateUser", Outcome: "ok", Target: "alice"})
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	old, cur := readLines(t, path+".1"), readLines(t, path)
	if len(old) != 2 || len(cur) != 1 || cur[0].Target != "alice" || old[1].Error != "AccessDenied" {
		t.Fatalf("rotated %+v, current %+v", old, cur)
	}
	if old[0].Time.IsZero() || old[0].Time.Location() != time.UTC {
		t.Errorf("time %v, want set, UTC", old[0].Time)
	}
}

func TestLogger_webhook(t *testing.T) {
	var (
		mu   sync.Mutex
		got  []audit.Record
		auth []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var rec audit.Record
		if err := json.Unmarshal(body, &rec); err != nil || strings.Contains(string(body), "\n") {
			t.Errorf("webhook body %q: want one JSON record: %v", body, err)
		}
		mu.Lock()
		got, auth = append(got, rec), append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
	}))
	defer srv.Close()
	var written atomic.Int32
	l, err := audit.Open(audit.Options{WebhookURL: srv.URL, WebhookToken: "Bearer s3cr3t", OnWritten: func(target string) {
		if target == "webhook" {
			written.Add(1)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		l.Log(audit.Record{Kind: "sts", Action: "AssumeRoleWithWebIdentity", Outcome: "issued", Subject: "svc"})
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 5 || written.Load() != 5 || auth[0] != "Bearer s3cr3t" || got[0].Subject != "svc" {
		t.Fatalf("webhook got %d records (%d counted), auth %q", len(got), written.Load(), auth)
	}
	if l.Dropped() != 0 {
		t.Errorf("dropped %d", l.Dropped())
	}
}

// TestLogger_webhookDown checks that records a dead webhook cannot take,
// or that overflow the queue, are counted, not lost silently, and that
// logging never blocks the caller.
func TestLogger_webhookDown(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	defer close(release)
	var drops atomic.Int32
	l, err := audit.Open(audit.Options{WebhookURL: srv.URL, QueueSize: 3, WebhookTimeout: 50 * time.Millisecond,
		OnDropped: func(string) { drops.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 20; i++ {
		l.Log(audit.Record{Kind: "iam", Action: "DeleteUser", Outcome: "ok"})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Log blocked for %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l.Close(ctx)
	if drops.Load() != 20 || l.Dropped() != 20 {
		t.Errorf("dropped %d (counter %d), want all 20: queue overflow and failed posts", drops.Load(), l.Dropped())
	}
}

func TestOpen_nothingConfigured(t *testing.T) {
	l, err := audit.Open(audit.Options{})
	if l != nil || err != nil {
		t.Fatalf("Open with no target = %v, %v; want a nil Logger", l, err)
	}
	l.Log(audit.Record{}) // a nil Logger discards
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
