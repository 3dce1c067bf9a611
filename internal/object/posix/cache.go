package posix

import (
	"container/list"
	"context"
	"errors"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// The listing cache keeps the sorted entries of bucket directories so that
// a page of ListObjects costs a binary search and the page itself, not a
// read and sort of the whole directory. See doc.go, "Listing", for the
// rules; in short:
//
//   - A listing is shared only when it is known to be current: the
//     directory's stamp (device, inode, change and modification times, size)
//     and its change counter (bumped by this process after every entry it
//     adds or removes) are what they were when it was read, and the
//     directory had not changed for fineMargin (coarseMargin) before it was
//     read, so that any later change, by this process or by hand, moves the
//     stamp even on a file system with coarse time stamps.
//   - Listings are charged to a memory budget, including while they are
//     read; unused ones are evicted, least recently used first, and dropped
//     after listIdle without use. A directory that does not fit, or that
//     changed too recently, is scanned instead, which keeps a page's memory
//     bounded but costs time proportional to the directory.
//   - Concurrent requests for the same directory wait for one read.

// DefaultListCacheSize is the memory budget of the listing cache when
// Options.ListCacheSize is 0: room for about three million entries with
// names of a dozen bytes (each entry costs its name and 8 bytes).
const DefaultListCacheSize = 64 << 20

const (
	// fineMargin and coarseMargin are how long a directory must have been
	// left alone before its listing is trusted: longer than the granularity
	// of its time stamps plus the lag of the kernel's coarse clock. Stamps
	// with a zero nanosecond part come from a file system with whole-second
	// (or two-second) times.
	fineMargin   = 100 * time.Millisecond
	coarseMargin = 3 * time.Second
	// listIdle is how long an unused listing stays in memory.
	listIdle = 2 * time.Minute
	// genStripes is the number of change counters; directories share them
	// by hash, which only costs a spurious re-read.
	genStripes = 4096
	// listingOverhead is charged for each listing on top of its entries.
	listingOverhead = 256
	// readBatch is how many directory entries are read between checks of
	// the budget and of the context (and per ReadDir where getdents64 is
	// not used).
	readBatch = 1024
)

// dirStamp is what the file system tells about a directory's state. Any
// change of its entries changes the change time (ctime), and the kernel
// sets it, not the user.
type dirStamp struct {
	dev, ino     uint64
	mtime, ctime int64 // Unix nanoseconds; ctime is 0 where unknown
	size         int64
}

// settled reports whether a listing of the directory read at t0 (taken
// before the directory was stat'ed) is current for as long as the stamp
// stays the same: the directory's last change is older than the margin, so
// a change after t0 gets a different time stamp.
func (c *listCache) settled(s dirStamp, t0 time.Time) bool {
	last := max(s.mtime, s.ctime)
	margin := c.fine
	if s.mtime%1e9 == 0 && s.ctime%1e9 == 0 {
		margin = c.coarse
	}
	return last+margin.Nanoseconds() < t0.UnixNano()
}

// errUncached means a directory's listing cannot be shared: the caller
// scans the directory instead.
var errUncached = errors.New("posix: listing not cached")

// errTooBig is the cause of errUncached when a directory's listing alone
// exceeds the budget; errNoRoom when listings in use fill it.
var (
	errTooBig = errors.New("posix: listing larger than the cache")
	errNoRoom = errors.New("posix: listing cache full")
)

// Entries of a listing are packed in a uint64: the offset of the name in
// the listing's names, a flag for symbolic links and the name's length
// (at most 255 bytes, 256 with the "/" of a directory).
const (
	entLenBits = 9
	entLenMask = 1<<entLenBits - 1
	entLink    = 1 << entLenBits
	entShift   = entLenBits + 1
)

// listing is the entries of one directory as read at one stamp, sorted in
// key order: directory names carry a trailing "/", so "a-" < "a/" < "a0".
type listing struct {
	id    string // bucket + "\x00" + dirKey
	stamp dirStamp
	gen   uint64
	names string   // entry names end to end, in the order they were read
	ents  []uint64 // sorted
	size  int64    // bytes charged to the budget
	// tooBig marks a tombstone: the directory at this stamp does not fit.
	tooBig bool

	// Guarded by listCache.mu.
	refs    int
	elem    *list.Element // in the LRU while cached
	lastUse time.Time
}

func (l *listing) len() int { return len(l.ents) }

// name returns the name of the packed entry e.
func (l *listing) name(e uint64) string {
	off, n := e>>entShift, e&entLenMask
	return l.names[off : off+n]
}

// at returns entry i.
func (l *listing) at(i int) dirEnt {
	e := l.ents[i]
	return dirEnt{name: l.name(e), link: e&entLink != 0}
}

// search returns the index of the first entry at or after lo that is not
// less than from.
func (l *listing) search(from string, lo int) int {
	i, _ := slices.BinarySearchFunc(l.ents[lo:], from, func(e uint64, t string) int {
		return strings.Compare(l.name(e), t)
	})
	return lo + i
}

// dirEnt is an entry of a directory: a name ending in "/" for a directory,
// else a regular file or a symbolic link (which may or may not lead to an
// object; see dataInfo).
type dirEnt struct {
	name string
	link bool
}

func (e dirEnt) dir() bool { return strings.HasSuffix(e.name, "/") }

// entryOf converts a directory entry, leaving out what can be no object
// nor hold one (FIFOs, sockets, devices).
func entryOf(de fs.DirEntry) (dirEnt, bool) {
	switch t := de.Type(); {
	case t.IsDir():
		return dirEnt{name: de.Name() + "/"}, true
	case t.IsRegular():
		return dirEnt{name: de.Name()}, true
	case t&fs.ModeSymlink != 0:
		return dirEnt{name: de.Name(), link: true}, true
	}
	return dirEnt{}, false
}

// entryKind tells, for an entry of type typ as eachEntry reports it,
// whether it can be or hold an object, and its flags: a directory's name
// gains a "/", a symbolic link may lead to an object.
func entryKind(typ fs.FileMode) (ok, dir, link bool) {
	switch {
	case typ == 0:
		return true, false, false
	case typ == fs.ModeDir:
		return true, true, false
	case typ == fs.ModeSymlink:
		return true, false, true
	}
	return false, false, false
}

// flight is a listing being read, which other requests may wait for.
type flight struct {
	done chan struct{}
	err  error
}

type flightKey struct {
	id    string
	stamp dirStamp
	gen   uint64
}

// listCache is the listing cache of a Backend.
type listCache struct {
	budget       int64 // <= 0: disabled
	fine, coarse time.Duration
	idle         time.Duration
	stampOf      func(fs.FileInfo) dirStamp // tests freeze it
	gens         [genStripes]atomic.Uint64

	mu      sync.Mutex
	used    int64 // bytes charged: cached listings, listings in use, reads
	entries map[string]*listing
	lru     list.List // of *listing, most recently used first
	flights map[flightKey]*flight
	timer   *time.Timer // sweeps idle listings while there are some
	closed  bool

	// Counters for tests and diagnostics.
	reads, hits, scans atomic.Int64
}

func newListCache(budget int64) *listCache {
	return &listCache{
		budget:  budget,
		fine:    fineMargin,
		coarse:  coarseMargin,
		idle:    listIdle,
		stampOf: stampOf,
		entries: map[string]*listing{},
		flights: map[flightKey]*flight{},
	}
}

func listID(bucket, dirKey string) string { return bucket + "\x00" + dirKey }

func (c *listCache) counter(id string) *atomic.Uint64 {
	h := fnv.New32a()
	io.WriteString(h, id)
	return &c.gens[h.Sum32()%genStripes]
}

// gen returns the change counter of a directory.
func (c *listCache) gen(bucket, dirKey string) uint64 {
	return c.counter(listID(bucket, dirKey)).Load()
}

// bump records that this process added or removed an entry of the
// directory dirKey of bucket. It must be called after the change.
func (c *listCache) bump(bucket, dirKey string) {
	c.counter(listID(bucket, dirKey)).Add(1)
}

// acquire returns the listing of dir, the directory dirKey of bucket, pinned
// until release. The caller took t0, then the directory's change counter
// gen, then its stamp st. acquire reads the directory if no current
// listing is cached, or waits for a concurrent read of the same state.
// errUncached means the caller must scan the directory itself.
func (c *listCache) acquire(ctx context.Context, dir *os.Root, bucket, dirKey string, st dirStamp, gen uint64, t0 time.Time) (*listing, error) {
	if c.budget <= 0 || !c.settled(st, t0) {
		return nil, errUncached
	}
	id := listID(bucket, dirKey)
	key := flightKey{id, st, gen}
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, errUncached
		}
		if l := c.entries[id]; l != nil {
			if l.stamp == st && l.gen == gen {
				if l.tooBig {
					c.mu.Unlock()
					return nil, errUncached
				}
				l.refs++
				l.lastUse = time.Now()
				c.lru.MoveToFront(l.elem)
				c.mu.Unlock()
				c.hits.Add(1)
				return l, nil
			}
			c.drop(l) // the directory changed
		}
		if fl := c.flights[key]; fl != nil {
			c.mu.Unlock()
			select {
			case <-fl.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if fl.err != nil && !isCanceled(fl.err) {
				return nil, fl.err
			}
			continue // take the listing read, or read it if that failed
		}
		fl := &flight{done: make(chan struct{})}
		c.flights[key] = fl
		c.mu.Unlock()

		c.reads.Add(1)
		l, err := c.read(ctx, dir, len(dirKey))
		c.mu.Lock()
		delete(c.flights, key)
		switch {
		case err == nil:
			l.id, l.stamp, l.gen = id, st, gen
			l.refs = 1
			if !c.closed {
				c.insert(l)
			}
		case errors.Is(err, errTooBig):
			// Remember, so that pages scan at once until it changes.
			if !c.closed && c.makeRoom(listingOverhead) {
				c.used += listingOverhead
				c.insert(&listing{id: id, stamp: st, gen: gen, tooBig: true, size: listingOverhead})
			}
		}
		if errors.Is(err, errTooBig) || errors.Is(err, errNoRoom) {
			err = errUncached
		}
		fl.err = err
		close(fl.done)
		c.mu.Unlock()
		return l, err
	}
}

func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// read reads and sorts the directory, charging its memory to the budget as
// it grows. keyLen is the length of the directory's key prefix: entries
// whose keys would exceed MaxKeyLength are left out.
func (c *listCache) read(ctx context.Context, dir *os.Root, keyLen int) (_ *listing, err error) {
	var charged int64
	defer func() {
		if err != nil {
			c.mu.Lock()
			c.used -= charged
			c.mu.Unlock()
		}
	}()
	var names strings.Builder
	var ents []uint64
	seen := 0
	err = eachEntry(dir, func(name []byte, typ fs.FileMode) error {
		ok, dir, link := entryKind(typ)
		n := len(name)
		if dir {
			n++
		}
		if !ok || keyLen+n > object.MaxKeyLength {
			return nil
		}
		p := uint64(names.Len())<<entShift | uint64(n)
		if link {
			p |= entLink
		}
		names.Write(name)
		if dir {
			names.WriteByte('/')
		}
		ents = append(ents, p)
		if seen++; seen%readBatch == 0 {
			need := int64(names.Cap()) + 8*int64(cap(ents)) + listingOverhead
			if need > charged {
				if err := c.charge(need-charged, need); err != nil {
					return err
				}
				charged = need
			}
			return ctx.Err()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if need := int64(names.Cap()) + 8*int64(cap(ents)) + listingOverhead; need > charged {
		if err := c.charge(need-charged, need); err != nil {
			return nil, err
		}
		charged = need
	}
	// Growing by doubling may have left up to half of the memory unused:
	// keep a copy of the right size instead, and give back the rest.
	l := &listing{names: names.String(), ents: ents}
	if names.Cap()-names.Len() > names.Len()/4 {
		l.names = strings.Clone(l.names)
	}
	if cap(ents)-len(ents) > len(ents)/4 {
		l.ents = slices.Clone(ents)
	}
	l.size = int64(len(l.names)) + 8*int64(cap(l.ents)) + listingOverhead
	c.mu.Lock()
	c.used -= charged - l.size
	c.mu.Unlock()
	charged = l.size
	slices.SortFunc(l.ents, func(a, b uint64) int { return strings.Compare(l.name(a), l.name(b)) })
	return l, nil
}

// charge adds n bytes to the memory in use, evicting unused listings to
// make room. total is what the read being charged holds with n.
func (c *listCache) charge(n, total int64) error {
	if total > c.budget {
		return errTooBig
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.makeRoom(n) {
		return errNoRoom
	}
	c.used += n
	return nil
}

// makeRoom evicts unused listings, least recently used first, until n more
// bytes fit in the budget, and reports whether they do. Called with mu
// held.
func (c *listCache) makeRoom(n int64) bool {
	for e := c.lru.Back(); c.used+n > c.budget; {
		for e != nil && e.Value.(*listing).refs > 0 {
			e = e.Prev()
		}
		if e == nil {
			return false
		}
		victim := e.Value.(*listing)
		e = e.Prev()
		c.drop(victim)
	}
	return true
}

// insert caches l, replacing any listing of the same directory. Called
// with mu held; l's size is already charged.
func (c *listCache) insert(l *listing) {
	if old := c.entries[l.id]; old != nil {
		c.drop(old)
	}
	l.lastUse = time.Now()
	c.entries[l.id] = l
	l.elem = c.lru.PushFront(l)
	if c.timer == nil && !c.closed {
		c.timer = time.AfterFunc(c.idle, c.sweep)
	}
}

// drop removes l from the cache. Its memory is released now, or by the
// last release if it is in use. Called with mu held.
func (c *listCache) drop(l *listing) {
	if l.elem == nil {
		return
	}
	c.lru.Remove(l.elem)
	l.elem = nil
	delete(c.entries, l.id)
	if l.refs == 0 {
		c.used -= l.size
	}
}

// release unpins a listing returned by acquire.
func (c *listCache) release(l *listing) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l.refs--
	l.lastUse = time.Now()
	if l.refs == 0 && l.elem == nil {
		c.used -= l.size // dropped while in use
	}
}

// sweep drops the listings unused for the idle time, and runs again later
// while some remain.
func (c *listCache) sweep() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timer = nil
	if c.closed {
		return
	}
	now := time.Now()
	for e := c.lru.Back(); e != nil; {
		l := e.Value.(*listing)
		e = e.Prev()
		if l.refs == 0 && now.Sub(l.lastUse) >= c.idle {
			c.drop(l)
		}
	}
	if c.lru.Len() > 0 {
		c.timer = time.AfterFunc(c.idle, c.sweep)
	}
}

// dropBucket forgets the listings of a bucket (deleted or created).
func (c *listCache) dropBucket(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	prefix := bucket + "\x00"
	for id, l := range c.entries {
		if strings.HasPrefix(id, prefix) {
			c.drop(l)
		}
	}
}

// close drops every listing and stops the sweeps.
func (c *listCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	for _, l := range c.entries {
		c.drop(l)
	}
}

// usedBytes returns the memory charged to the budget.
func (c *listCache) usedBytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}
