package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/internal/fanout"
)

var _ store.Store = (*Store)(nil)

// Format is the on-disk format this package writes and the newest it reads.
const Format = 1

// DefaultTimeout is how long Open waits for the file lock by default.
const DefaultTimeout = 2 * time.Second

// Names of the meta bucket, its keys and the kind buckets' prefix.
var (
	metaBucket  = []byte("meta")
	formatKey   = []byte("format")
	revisionKey = []byte("revision")
)

const kindPrefix = "kind:"

func bucketName(kind store.Kind) []byte { return []byte(kindPrefix + string(kind)) }

// Options configures Open. The zero value is ready to use.
type Options struct {
	// Timeout is how long Open waits for the exclusive lock on the file,
	// which another process using the same file holds (default
	// DefaultTimeout).
	Timeout time.Duration
	// Logger receives a line when a store is created or opened (default:
	// discard).
	Logger *slog.Logger
	// WatchBuffer is how many events each watcher may have waiting before
	// its pending events are replaced by an EventReset (default 1024).
	WatchBuffer int
}

// Store is a store.Store kept in a bbolt file. It is safe for concurrent
// use by one process.
type Store struct {
	db   *bbolt.DB
	path string
	log  *slog.Logger
	hub  *fanout.Hub

	// writeMu serializes writes with the publication of their events, so
	// watchers see changes in commit order, and orders them before Close.
	writeMu sync.Mutex
	closed  atomic.Bool
}

// Open opens the store in the bbolt file at path, creating it (mode 0600)
// if missing. It fails with an error wrapping store.ErrUnavailable when
// another process holds the file for longer than opts.Timeout, and with an
// error wrapping store.ErrIncompatible when the file is corrupt, is not a
// Sesame IAM store, or was written by a newer format than Format. Close
// releases the file.
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	_, statErr := os.Stat(path)
	existed := statErr == nil

	db, err := openDB(path, timeout)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, log: log, hub: fanout.New(opts.WatchBuffer)}
	if err := s.prepare(existed); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// openDB opens the bbolt file and turns its errors into ours.
func openDB(path string, timeout time.Duration) (db *bbolt.DB, err error) {
	defer func() {
		// bbolt may panic on a damaged file rather than return an error.
		if p := recover(); p != nil {
			db, err = nil, corrupt(path, fmt.Errorf("bbolt: %v", p))
		}
	}()
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fmt.Errorf("bolt: %s is in use by another Sesame process (file lock not released within %v): %w", path, timeout, store.ErrUnavailable)
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch),
		errors.Is(err, bolterrors.ErrChecksum), errors.Is(err, bolterrors.ErrInvalidMapping):
		return nil, corrupt(path, err)
	default:
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
}

// corrupt wraps why the file at path cannot be read as a store.
func corrupt(path string, why error) error {
	return fmt.Errorf("bolt: %s is corrupt or not a Sesame IAM store (%v): %w", path, why, store.ErrIncompatible)
}

// prepare checks the format of an open file and, when it has no data at all
// (new, or empty), initializes it. A file it refuses is left unchanged.
func (s *Store) prepare(existed bool) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = corrupt(s.path, fmt.Errorf("bbolt: %v", p))
		}
	}()
	var (
		fresh bool
		rev   uint64
	)
	err = s.db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(metaBucket)
		if meta == nil {
			var buckets []string
			err := tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
				buckets = append(buckets, string(name))
				return nil
			})
			if err != nil {
				return corrupt(s.path, err)
			}
			if len(buckets) > 0 {
				return corrupt(s.path, fmt.Errorf("bbolt database without a %q bucket, holding %q", metaBucket, buckets))
			}
			fresh = true
			return nil
		}
		f := meta.Get(formatKey)
		if len(f) != 8 {
			return corrupt(s.path, fmt.Errorf("format record of %d bytes", len(f)))
		}
		switch format := binary.BigEndian.Uint64(f); {
		case format > Format:
			return fmt.Errorf("bolt: %s was written by a newer Sesame (format %d, this binary reads ≤ %d): %w", s.path, format, Format, store.ErrIncompatible)
		case format < 1:
			return corrupt(s.path, fmt.Errorf("format %d", format))
		}
		r := meta.Get(revisionKey)
		if len(r) != 8 {
			return corrupt(s.path, fmt.Errorf("revision record of %d bytes", len(r)))
		}
		rev = binary.BigEndian.Uint64(r)
		var problems []string
		for err := range tx.Check() {
			problems = append(problems, err.Error())
		}
		if len(problems) > 0 {
			return corrupt(s.path, fmt.Errorf("consistency check: %s", strings.Join(problems, "; ")))
		}
		return nil
	})
	if err != nil || !fresh {
		if err == nil {
			s.log.Debug("opened IAM store", "path", s.path, "format", Format, "revision", rev)
		}
		return err
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket(metaBucket)
		if err != nil {
			return err
		}
		if err := meta.Put(formatKey, binary.BigEndian.AppendUint64(nil, Format)); err != nil {
			return err
		}
		return meta.Put(revisionKey, binary.BigEndian.AppendUint64(nil, 0))
	})
	if err != nil {
		return fmt.Errorf("bolt: initialize %s: %w", s.path, err)
	}
	if existed {
		s.log.Warn("initialized an existing empty file as a new IAM store", "path", s.path, "format", Format)
	} else {
		s.log.Info("created IAM store", "path", s.path, "format", Format)
	}
	return nil
}

// Close publishes no more events, closes every watcher's channel and
// closes the file. Later calls fail with store.ErrUnavailable; Close itself
// may be called again.
func (s *Store) Close() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed.Swap(true) {
		return nil
	}
	s.hub.Close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("bolt: close %s: %w", s.path, err)
	}
	return nil
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// isKindBucket reports whether a top-level bucket name holds records and
// returns their kind.
func isKindBucket(name []byte) (store.Kind, bool) {
	k, ok := bytes.CutPrefix(name, []byte(kindPrefix))
	return store.Kind(k), ok
}
