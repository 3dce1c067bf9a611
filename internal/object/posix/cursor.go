package posix

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// maxScanKeep bounds the entries a scan keeps in memory.
const maxScanKeep = 1024

// cursor yields the entries of one directory in key order, from a lower
// bound on: from the shared listing of the cache when there is one, else by
// scanning the directory. A scan reads the whole directory and keeps only
// the keep smallest entries not below the bound, so its memory is bounded;
// when they are used up the next scan starts after the last one.
type cursor struct {
	lists *listCache

	// From the cache.
	l *listing
	i int

	// Scanning.
	dir     *os.Root
	keyLen  int    // length of the directory's key prefix
	from    string // no entry below from is wanted
	keep    int
	buf     []dirEnt
	bi      int
	scanned bool // buf holds a scan
	more    bool // the last scan left out entries after buf
}

// openCursor opens a cursor on dir, the directory dirKey of bucket, at the
// first entry not less than from. keep is how many entries a scan keeps.
func (b *Backend) openCursor(ctx context.Context, bucket, dirKey string, dir *os.Root, from string, keep int) (*cursor, error) {
	// The order matters: a change after t0 moves the stamp (see settled),
	// and a change by this process bumps the counter after it is made.
	t0 := time.Now()
	gen := b.lists.gen(bucket, dirKey)
	fi, err := dir.Stat(".")
	if err != nil {
		return nil, err
	}
	l, err := b.lists.acquire(ctx, dir, bucket, dirKey, b.lists.stampOf(fi), gen, t0)
	switch {
	case err == nil:
		return &cursor{lists: b.lists, l: l, i: l.search(from, 0)}, nil
	case errors.Is(err, errUncached):
		b.lists.scans.Add(1)
		return &cursor{dir: dir, keyLen: len(dirKey), from: from, keep: max(keep, 2)}, nil
	}
	return nil, err
}

// next returns the next entry; ok is false at the end of the directory.
func (c *cursor) next(ctx context.Context) (e dirEnt, ok bool, err error) {
	if c.l != nil {
		if c.i >= c.l.len() {
			return dirEnt{}, false, nil
		}
		c.i++
		return c.l.at(c.i - 1), true, nil
	}
	for c.bi >= len(c.buf) {
		if c.scanned && !c.more {
			return dirEnt{}, false, nil
		}
		if len(c.buf) > 0 {
			c.from = max(c.from, c.buf[len(c.buf)-1].name+"\x00")
		}
		if err := c.scan(ctx); err != nil {
			return dirEnt{}, false, err
		}
	}
	c.bi++
	return c.buf[c.bi-1], true, nil
}

// seek skips the entries less than from.
func (c *cursor) seek(from string) {
	if c.l != nil {
		c.i = c.l.search(from, c.i)
		return
	}
	for c.bi < len(c.buf) && c.buf[c.bi].name < from {
		c.bi++
	}
	c.from = max(c.from, from)
}

// close releases the cursor's listing.
func (c *cursor) close() {
	if c.l != nil {
		c.lists.release(c.l)
		c.l = nil
	}
}

// scan reads the directory and keeps its keep smallest entries not less
// than from, sorted.
func (c *cursor) scan(ctx context.Context) error {
	var kept []dirEnt
	more := false
	limit := "" // once more is set, entries above limit are not kept
	seen := 0
	var key []byte // the entry's name, with "/" for a directory
	err := eachEntry(c.dir, func(name []byte, typ fs.FileMode) error {
		if seen++; seen%readBatch == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		ok, dir, link := entryKind(typ)
		if !ok {
			return nil
		}
		key = append(key[:0], name...)
		if dir {
			key = append(key, '/')
		}
		// The comparisons do not copy key.
		if string(key) < c.from || more && string(key) > limit || c.keyLen+len(key) > object.MaxKeyLength {
			return nil
		}
		kept = append(kept, dirEnt{name: string(key), link: link})
		if len(kept) >= 2*c.keep {
			sortEnts(kept)
			clear(kept[c.keep:])
			kept, more = kept[:c.keep], true
			limit = kept[c.keep-1].name
		}
		return nil
	})
	if err != nil {
		return err
	}
	sortEnts(kept)
	if len(kept) > c.keep {
		kept, more = kept[:c.keep], true
	}
	c.buf, c.bi, c.scanned, c.more = kept, 0, true, more
	return nil
}

func sortEnts(es []dirEnt) {
	slices.SortFunc(es, func(a, b dirEnt) int { return strings.Compare(a.name, b.name) })
}

// prefixEnd returns the least string greater than every string that starts
// with p; ok is false when there is none (p is empty or all 0xff bytes).
func prefixEnd(p string) (end string, ok bool) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] < 0xff {
			b := []byte(p[:i+1])
			b[i]++
			return string(b), true
		}
	}
	return "", false
}
