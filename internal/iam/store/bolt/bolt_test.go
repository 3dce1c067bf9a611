package bolt_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/bolt"
	"github.com/sesame-s3/sesame/internal/iam/store/storetest"
)

// open opens the store at path and closes it when the test ends.
func open(t *testing.T, path string, opts bolt.Options) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func tempPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "iam.db")
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, tempPath(t), bolt.Options{})
	})
}

// wantRefused checks that Open fails with sentinel, that the message
// contains every fragment, and that the file was left unchanged.
func wantRefused(t *testing.T, path string, sentinel error, fragments ...string) {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := bolt.Open(path, bolt.Options{Timeout: 200 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatalf("Open(%s) succeeded, want an error wrapping %v", path, sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("Open(%s): error = %v, want %v", path, err, sentinel)
	}
	for _, f := range append(fragments, path) {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("Open(%s): error %q does not mention %q", path, err, f)
		}
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatalf("refused Open changed the file (%d bytes before, %d after)", len(before), len(after))
	}
}

func TestOpen_CreatesFormat1(t *testing.T) {
	path := tempPath(t)
	s := open(t, path, bolt.Options{})
	if err := s.Create(t.Context(), store.Record{Kind: store.KindUser, Name: "alice"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode = %v, want 0600", perm)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		if meta == nil {
			return errors.New("no meta bucket")
		}
		if f := meta.Get([]byte("format")); len(f) != 8 || binary.BigEndian.Uint64(f) != 1 {
			return fmt.Errorf("format = %x, want big-endian 1", f)
		}
		if tx.Bucket([]byte("kind:user")) == nil {
			return errors.New("no bucket for kind user")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpen_Restart checks that records, expiries and revisions survive
// Close and Open, and that revisions keep growing afterwards.
func TestOpen_Restart(t *testing.T) {
	ctx := t.Context()
	path := tempPath(t)
	exp := time.Date(2040, 1, 2, 3, 4, 5, 6, time.UTC)

	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := []store.Record{
		{Kind: store.KindUser, Name: "alice", Value: []byte("a")},
		{Kind: store.KindPolicy, Name: "readonly", Value: []byte(`{"Statement":[]}`)},
		{Kind: store.KindRevocation, Name: "sess/1", Value: []byte("r"), Expires: exp},
		{Kind: store.KindUser, Name: "gone", Value: []byte("g")},
	}
	for _, r := range recs {
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Update(ctx, store.KindUser, "alice", func([]byte) ([]byte, error) { return []byte("a2"), nil }); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, store.KindUser, "gone"); err != nil {
		t.Fatal(err)
	}
	alice, err := s.Get(ctx, store.KindUser, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, path, bolt.Options{})
	got, err := s.Get(ctx, store.KindUser, "alice")
	if err != nil || string(got.Value) != "a2" || got.Revision != alice.Revision {
		t.Fatalf("after restart Get(alice) = %q rev %d, %v; want a2 rev %d", got.Value, got.Revision, err, alice.Revision)
	}
	got, err = s.Get(ctx, store.KindRevocation, "sess/1")
	if err != nil || !got.Expires.Equal(exp) {
		t.Fatalf("after restart Get(sess/1) Expires = %v, %v; want %v", got.Expires, err, exp)
	}
	if _, err := s.Get(ctx, store.KindUser, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after restart Get(gone): error = %v, want %v", err, store.ErrNotFound)
	}
	if l, err := s.List(ctx, store.KindPolicy); err != nil || len(l) != 1 || l[0].Name != "readonly" {
		t.Fatalf("after restart List(policy) = %v, %v", l, err)
	}
	if err := s.Create(ctx, store.Record{Kind: store.KindGroup, Name: "new"}); err != nil {
		t.Fatal(err)
	}
	// The delete of "gone" took the last revision before the restart.
	if g, _ := s.Get(ctx, store.KindGroup, "new"); g.Revision <= alice.Revision+1 {
		t.Fatalf("first revision after restart = %d, want > %d", g.Revision, alice.Revision+1)
	}
}

// setFormat rewrites the format number of a closed store with bbolt.
func setFormat(t *testing.T, path string, format []byte) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("format"), format)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func newClosedStore(t *testing.T) string {
	t.Helper()
	path := tempPath(t)
	s, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(t.Context(), store.Record{Kind: store.KindUser, Name: "alice", Value: []byte("precious")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpen_NewerFormat(t *testing.T) {
	path := newClosedStore(t)
	setFormat(t, path, binary.BigEndian.AppendUint64(nil, 2))
	wantRefused(t, path, store.ErrIncompatible, "written by a newer Sesame (format 2, this binary reads ≤ 1)")
}

func TestOpen_Corrupt(t *testing.T) {
	random := make([]byte, 64<<10)
	rand.Read(random)
	tests := []struct {
		name  string
		setup func(t *testing.T) string
	}{
		{"text", func(t *testing.T) string { return writeFile(t, []byte("not a database\n")) }},
		{"random-bytes", func(t *testing.T) string { return writeFile(t, random) }},
		{"one-byte", func(t *testing.T) string { return writeFile(t, []byte{0}) }},
		{"zeroed-meta-pages", func(t *testing.T) string {
			path := newClosedStore(t)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			clear(data[:2*os.Getpagesize()])
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}},
		{"truncated", func(t *testing.T) string {
			path := newClosedStore(t)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			return writeFile(t, data[:100])
		}},
		{"bad-format-record", func(t *testing.T) string {
			path := newClosedStore(t)
			setFormat(t, path, []byte("one"))
			return path
		}},
		{"format-zero", func(t *testing.T) string {
			path := newClosedStore(t)
			setFormat(t, path, make([]byte, 8))
			return path
		}},
		{"foreign-bbolt-database", func(t *testing.T) string {
			path := tempPath(t)
			db, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.Update(func(tx *bbolt.Tx) error {
				b, err := tx.CreateBucket([]byte("widgets"))
				if err != nil {
					return err
				}
				return b.Put([]byte("k"), []byte("v"))
			})
			if err != nil {
				t.Fatal(err)
			}
			return path
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefused(t, tt.setup(t), store.ErrIncompatible, "corrupt")
		})
	}
}

func writeFile(t *testing.T, data []byte) string {
	t.Helper()
	path := tempPath(t)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestOpen_EmptyFile checks that an existing empty file becomes a new
// store (there is nothing in it to lose).
func TestOpen_EmptyFile(t *testing.T) {
	path := writeFile(t, nil)
	s := open(t, path, bolt.Options{})
	if l, err := s.List(t.Context(), store.KindUser); err != nil || len(l) != 0 {
		t.Fatalf("List = %v, %v; want empty", l, err)
	}
}

// TestOpen_Locked checks that a second Open of a file in use fails within
// its timeout with a message naming the file and the reason, and succeeds
// once the first store is closed.
func TestOpen_Locked(t *testing.T) {
	path := tempPath(t)
	first, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := bolt.Open(path, bolt.Options{Timeout: 200 * time.Millisecond})
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("second Open of a file in use succeeded")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("second Open: error = %v, want %v", err, store.ErrUnavailable)
	}
	for _, f := range []string{path, "in use by another Sesame process"} {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("second Open: error %q does not mention %q", err, f)
		}
	}
	if elapsed > 2*time.Second {
		t.Errorf("second Open took %v with a 200ms timeout", elapsed)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, path, bolt.Options{Timeout: 200 * time.Millisecond})
}

func TestOpen_MissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "iam.db")
	_, err := bolt.Open(path, bolt.Options{Timeout: 100 * time.Millisecond})
	if err == nil || errors.Is(err, store.ErrIncompatible) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open in a missing directory: error = %v, want a not-exist error that is not %v", err, store.ErrIncompatible)
	}
}

// TestStore_CorruptRecord checks that a damaged envelope is reported, not
// returned as data.
func TestStore_CorruptRecord(t *testing.T) {
	path := newClosedStore(t)
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("kind:user")).Put([]byte("alice"), []byte("short"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, path, bolt.Options{})
	ctx := t.Context()
	if _, err := s.Get(ctx, store.KindUser, "alice"); !errors.Is(err, store.ErrIncompatible) {
		t.Errorf("Get of a corrupt record: error = %v, want %v", err, store.ErrIncompatible)
	}
	if _, err := s.List(ctx, store.KindUser); !errors.Is(err, store.ErrIncompatible) {
		t.Errorf("List with a corrupt record: error = %v, want %v", err, store.ErrIncompatible)
	}
	err = s.Update(ctx, store.KindUser, "alice", func(b []byte) ([]byte, error) { return b, nil })
	if !errors.Is(err, store.ErrIncompatible) {
		t.Errorf("Update of a corrupt record: error = %v, want %v", err, store.ErrIncompatible)
	}
}

// TestStore_WatchSlowConsumer checks that a watcher that never reads does
// not block writers and is told to reload.
func TestStore_WatchSlowConsumer(t *testing.T) {
	s := open(t, tempPath(t), bolt.Options{WatchBuffer: 4})
	ctx := t.Context()
	ch, err := s.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := s.Create(ctx, store.Record{Kind: store.KindUser, Name: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case ev := <-ch:
		if ev.Type != store.EventReset {
			t.Fatalf("first event of a watcher that fell behind = %+v, want a reset", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
}

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "sesame-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	s, err := bolt.Open(filepath.Join(dir, "iam.db"), bolt.Options{})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	_ = s.Create(ctx, store.Record{Kind: store.KindGroup, Name: "admins", Value: []byte("[]")})
	recs, _ := s.List(ctx, store.KindGroup)
	fmt.Println(len(recs), recs[0].Name)
	// Output: 1 admins
}
