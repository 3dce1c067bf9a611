package storetest

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// Options configures RunWithOptions.
type Options struct {
	// NewPeer, when set, returns a second client of the data s holds (for
	// etcd: another client connected to the same cluster and prefix). It
	// cleans the peer up with t.Cleanup. The "Peer/..." subtests are skipped
	// when NewPeer is nil.
	NewPeer func(t *testing.T, s store.Store) store.Store
}

// Run runs the conformance suite. Every subtest calls newStore for a fresh,
// empty store, which newStore cleans up with t.Cleanup. Subtests run in
// parallel (t.Parallel), so stores made by newStore must not share state.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Helper()
	RunWithOptions(t, newStore, Options{})
}

// RunWithOptions is Run with options; see Options.
func RunWithOptions(t *testing.T, newStore func(t *testing.T) store.Store, opts Options) {
	t.Helper()
	groups := [][]subtest{
		recordTests(),
		updateTests(),
		nameTests(),
		gcTests(),
		watchTests(),
		closeTests(),
	}
	for _, group := range groups {
		for _, st := range group {
			t.Run(st.name, func(t *testing.T) {
				t.Parallel()
				st.run(t, newStore(t))
			})
		}
	}
	for _, st := range peerTests() {
		t.Run(st.name, func(t *testing.T) {
			if opts.NewPeer == nil {
				t.Skip("no Options.NewPeer: the store has a single client")
			}
			t.Parallel()
			s := newStore(t)
			st.run(t, s, opts.NewPeer(t, s))
		})
	}
}

// subtest is one named conformance check on a single store.
type subtest struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// peerSubtest is one named check on two clients of the same data.
type peerSubtest struct {
	name string
	run  func(t *testing.T, s, peer store.Store)
}

// eventTimeout bounds every wait for a Watch event.
const eventTimeout = 5 * time.Second

// create stores a record and fails on error.
func create(t *testing.T, s store.Store, kind store.Kind, name, value string) {
	t.Helper()
	createRec(t, s, store.Record{Kind: kind, Name: name, Value: []byte(value)})
}

func createRec(t *testing.T, s store.Store, rec store.Record) {
	t.Helper()
	if err := s.Create(t.Context(), rec); err != nil {
		t.Fatalf("Create(%s, %q): %v", rec.Kind, abbrev(rec.Name), err)
	}
}

// get returns a record and fails on error or if the record is not the one
// asked for.
func get(t *testing.T, s store.Store, kind store.Kind, name string) store.Record {
	t.Helper()
	rec, err := s.Get(t.Context(), kind, name)
	if err != nil {
		t.Fatalf("Get(%s, %q): %v", kind, abbrev(name), err)
	}
	if rec.Kind != kind || rec.Name != name {
		t.Fatalf("Get(%s, %q) returned record (%s, %q)", kind, abbrev(name), rec.Kind, abbrev(rec.Name))
	}
	return rec
}

// wantValue checks that (kind, name) holds value.
func wantValue(t *testing.T, s store.Store, kind store.Kind, name, value string) store.Record {
	t.Helper()
	rec := get(t, s, kind, name)
	if !bytes.Equal(rec.Value, []byte(value)) {
		t.Fatalf("Get(%s, %q).Value = %q, want %q", kind, abbrev(name), abbrev(string(rec.Value)), abbrev(value))
	}
	return rec
}

// wantMissing checks that Get reports ErrNotFound for (kind, name).
func wantMissing(t *testing.T, s store.Store, kind store.Kind, name string) {
	t.Helper()
	_, err := s.Get(t.Context(), kind, name)
	wantErr(t, err, store.ErrNotFound, "Get(%s, %q)", kind, abbrev(name))
}

// update sets (kind, name) to value and fails on error.
func update(t *testing.T, s store.Store, kind store.Kind, name, value string) {
	t.Helper()
	err := s.Update(t.Context(), kind, name, func([]byte) ([]byte, error) { return []byte(value), nil })
	if err != nil {
		t.Fatalf("Update(%s, %q): %v", kind, abbrev(name), err)
	}
}

// list returns the records of kind and fails on error.
func list(t *testing.T, s store.Store, kind store.Kind) []store.Record {
	t.Helper()
	recs, err := s.List(t.Context(), kind)
	if err != nil {
		t.Fatalf("List(%s): %v", kind, err)
	}
	return recs
}

// names returns the names of recs, failing if any is not of kind.
func names(t *testing.T, kind store.Kind, recs []store.Record) []string {
	t.Helper()
	out := make([]string, 0, len(recs))
	for _, r := range recs {
		if r.Kind != kind {
			t.Fatalf("List(%s) returned record %q of kind %s", kind, abbrev(r.Name), r.Kind)
		}
		out = append(out, r.Name)
	}
	return out
}

// wantErr checks that err matches the sentinel.
func wantErr(t *testing.T, err, sentinel error, format string, args ...any) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf(format+": error = %v, want %v", append(args, err, sentinel)...)
	}
}

func abbrev(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
