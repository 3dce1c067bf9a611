package etcd_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/etcd"
	"github.com/sesame-s3/sesame/internal/iam/store/etcd/etcdtest"
	"github.com/sesame-s3/sesame/internal/iam/store/storetest"
)

// config returns a Config for m with a prefix of the test's own (subtests
// share a member).
func config(t *testing.T, m *etcdtest.Member) etcd.Config {
	return etcd.Config{Endpoints: []string{m.Endpoint()}, PathPrefix: t.Name() + "/"}
}

// open opens a store for cfg and closes it when the test ends.
func open(t *testing.T, cfg etcd.Config, opts etcd.Options) *etcd.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := etcd.Open(ctx, cfg, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	srv := etcdtest.Start(t)
	var mu sync.Mutex
	configs := map[store.Store]etcd.Config{} // each store's prefix, for its peer
	storetest.RunWithOptions(t, func(t *testing.T) store.Store {
		cfg := config(t, srv)
		s := open(t, cfg, etcd.Options{})
		mu.Lock()
		defer mu.Unlock()
		configs[s] = cfg
		return s
	}, storetest.Options{NewPeer: func(t *testing.T, s store.Store) store.Store {
		mu.Lock()
		cfg := configs[s]
		mu.Unlock()
		return open(t, cfg, etcd.Options{})
	}})
}

// TestStore_Outage checks that calls fail quickly with ErrUnavailable while
// etcd is down, and that a watcher goes on after etcd comes back.
func TestStore_Outage(t *testing.T) {
	srv := etcdtest.Start(t)
	cfg := config(t, srv)
	s := open(t, cfg, etcd.Options{}) // the default request timeout, 5s
	ctx := t.Context()
	if err := s.Create(ctx, store.Record{Kind: store.KindUser, Name: "alice", Value: []byte("a")}); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}

	idle := open(t, cfg, etcd.Options{})
	srv.Stop()
	start := time.Now()
	if err := idle.Close(); err != nil {
		t.Errorf("Close with etcd down: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close with etcd down took %v", d)
	}
	calls := map[string]func() error{
		"Create": func() error { return s.Create(ctx, store.Record{Kind: store.KindUser, Name: "bob"}) },
		"Update": func() error {
			return s.Update(ctx, store.KindUser, "alice", func(b []byte) ([]byte, error) { return b, nil })
		},
		"Get":    func() error { _, err := s.Get(ctx, store.KindUser, "alice"); return err },
		"List":   func() error { _, err := s.List(ctx, store.KindUser); return err },
		"Delete": func() error { return s.Delete(ctx, store.KindUser, "alice") },
	}
	var wg sync.WaitGroup
	for name, call := range calls {
		wg.Go(func() {
			start := time.Now()
			err := call()
			if !errors.Is(err, store.ErrUnavailable) {
				t.Errorf("%s with etcd down: error = %v, want %v", name, err, store.ErrUnavailable)
			}
			if d := time.Since(start); d > 6*time.Second {
				t.Errorf("%s with etcd down took %v, want < 6s", name, d)
			}
		})
	}
	wg.Wait()

	srv.Start()
	// The client reconnects within its backoff (at most 3s).
	for start := time.Now(); ; {
		err := s.Create(ctx, store.Record{Kind: store.KindUser, Name: "carol", Value: []byte("c")})
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrUnavailable) || time.Since(start) > 10*time.Second {
			t.Fatalf("Create after etcd restarted: %v", err)
		}
	}
	// The client resumes the watch from its last revision, so a reset is
	// allowed but not required; the change must arrive.
	deadline := time.After(15 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("Watch channel closed by an outage")
			}
			if ev.Type == store.EventReset {
				continue
			}
			if ev.Type != store.EventPut || ev.Record.Name != "carol" {
				t.Fatalf("event after restart = %+v, want put of carol", ev)
			}
			return
		case <-deadline:
			t.Fatal("no event after etcd restarted")
		}
	}
}

// TestWatch_Compaction checks that a watcher whose next revision was
// compacted away while it was cut off is told to reload, and then goes on.
func TestWatch_Compaction(t *testing.T) {
	srv := etcdtest.Start(t)
	px := startProxy(t, strings.TrimPrefix(srv.Endpoint(), "http://"))
	cfg := config(t, srv)
	direct := open(t, cfg, etcd.Options{})
	cfg.Endpoints = []string{"http://" + px.addr()}
	s := open(t, cfg, etcd.Options{})
	ctx := t.Context()

	ch, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	px.cut()
	for i := range 5 {
		if err := direct.Create(ctx, store.Record{Kind: store.KindUser, Name: fmt.Sprint("u", i)}); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := clientv3.New(clientv3.Config{Endpoints: []string{srv.Endpoint()}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	resp, err := raw.Get(ctx, "compaction-probe")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatal(err)
	}
	px.resume()

	if ev := nextEvent(t, ch, 20*time.Second); ev.Type != store.EventReset {
		t.Fatalf("first event after compaction = %+v, want a reset", ev)
	}
	if err := direct.Create(ctx, store.Record{Kind: store.KindUser, Name: "marker", Value: []byte("m")}); err != nil {
		t.Fatal(err)
	}
	for {
		ev := nextEvent(t, ch, 10*time.Second)
		if ev.Type == store.EventPut && ev.Record.Name == "marker" {
			return
		}
		if ev.Type != store.EventReset && !strings.HasPrefix(ev.Record.Name, "u") {
			t.Fatalf("event after reset = %+v, want the marker", ev)
		}
	}
}

// nextEvent returns the next event on ch within d.
func nextEvent(t *testing.T, ch <-chan store.Event, d time.Duration) store.Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("Watch channel closed")
		}
		return ev
	case <-time.After(d):
		t.Fatalf("no Watch event within %v", d)
	}
	panic("unreachable")
}

// proxy forwards TCP connections to an etcd member and can cut them all,
// to isolate one client while others go on.
type proxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	px := &proxy{l: l, target: target, conns: map[net.Conn]struct{}{}}
	go px.serve()
	t.Cleanup(func() { l.Close(); px.cut() })
	return px
}

func (px *proxy) addr() string { return px.l.Addr().String() }

func (px *proxy) serve() {
	for {
		c, err := px.l.Accept()
		if err != nil {
			return
		}
		px.mu.Lock()
		if px.down {
			px.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", px.target)
		if err != nil {
			px.mu.Unlock()
			c.Close()
			continue
		}
		px.conns[c], px.conns[up] = struct{}{}, struct{}{}
		px.mu.Unlock()
		go func() { io.Copy(up, c); up.Close(); c.Close() }()
		go func() { io.Copy(c, up); up.Close(); c.Close() }()
	}
}

// cut closes every connection and refuses new ones until resume.
func (px *proxy) cut() {
	px.mu.Lock()
	defer px.mu.Unlock()
	px.down = true
	for c := range px.conns {
		c.Close()
	}
	clear(px.conns)
}

func (px *proxy) resume() {
	px.mu.Lock()
	defer px.mu.Unlock()
	px.down = false
}

// TestOpen_NoEtcd checks that Open gives up when ctx is done, naming the
// endpoint.
func TestOpen_NoEtcd(t *testing.T) {
	endpoint := etcdtest.FreeEndpoint(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s, err := etcd.Open(ctx, etcd.Config{Endpoints: []string{endpoint}}, etcd.Options{Logger: log})
	if err == nil {
		s.Close()
		t.Fatal("Open with no etcd succeeded")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open with no etcd: error = %v, want %v", err, store.ErrUnavailable)
	}
	if !strings.Contains(err.Error(), endpoint) {
		t.Errorf("Open with no etcd: error %q does not name %s", err, endpoint)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("Open with a 2s context took %v", d)
	}
	if want := "waiting for etcd at " + endpoint; !strings.Contains(logs.String(), want) {
		t.Errorf("Open logged %q, want a line with %q", logs.String(), want)
	}
}

// TestStore_Layout checks the documented key layout: names are hex in the
// key, a damaged envelope is reported rather than returned, and keys this
// package did not write are ignored.
func TestStore_Layout(t *testing.T) {
	srv := etcdtest.Start(t)
	cfg := config(t, srv)
	s := open(t, cfg, etcd.Options{})
	ctx := t.Context()
	raw, err := clientv3.New(clientv3.Config{Endpoints: []string{srv.Endpoint()}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()

	if err := s.Create(ctx, store.Record{Kind: store.KindUser, Name: "a/b", Value: []byte("v")}); err != nil {
		t.Fatal(err)
	}
	key := cfg.PathPrefix + "iam/user/" + hex.EncodeToString([]byte("a/b"))
	resp, err := raw.Get(ctx, key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("raw Get(%s) = %v, %v; want the record", key, resp, err)
	}
	if got := string(resp.Kvs[0].Value); got != `{"v":"dg=="}` {
		t.Errorf("envelope = %s", got)
	}

	for k, v := range map[string]string{
		cfg.PathPrefix + "iam/user/not-hex": "x",
		cfg.PathPrefix + "iam/user":         "x",
		cfg.PathPrefix + "other":            "x",
	} {
		if _, err := raw.Put(ctx, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if recs, err := s.List(ctx, store.KindUser); err != nil || len(recs) != 1 || recs[0].Name != "a/b" {
		t.Fatalf("List with foreign keys = %v, %v; want [a/b]", recs, err)
	}

	if _, err := raw.Put(ctx, key, "not json"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, store.KindUser, "a/b"); !errors.Is(err, store.ErrIncompatible) {
		t.Errorf("Get of a corrupt record: error = %v, want %v", err, store.ErrIncompatible)
	}
	if _, err := s.List(ctx, store.KindUser); !errors.Is(err, store.ErrIncompatible) {
		t.Errorf("List with a corrupt record: error = %v, want %v", err, store.ErrIncompatible)
	}
	err = s.Update(ctx, store.KindUser, "a/b", func(b []byte) ([]byte, error) { return b, nil })
	if !errors.Is(err, store.ErrIncompatible) {
		t.Errorf("Update of a corrupt record: error = %v, want %v", err, store.ErrIncompatible)
	}
}
