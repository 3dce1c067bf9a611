package posix

import (
	"os"
	"sync"
)

// rootCache keeps an open os.Root per bucket for the read path (GetObject,
// HeadObject), so that a small GET does not open and close its bucket's
// directory. An entry is used only while the bucket directory's device and
// inode are those it was opened on (a bucket deleted and created again,
// here or by another node, is a new directory); a replaced root is closed
// once its last reader releases it.
type rootCache struct {
	mu sync.Mutex
	m  map[string]*sharedRoot
}

type sharedRoot struct {
	root     *os.Root
	dev, ino uint64
	refs     int
	stale    bool
}

// maxCachedRoots bounds the open bucket directories kept.
const maxCachedRoots = 1024

// bucketRoot returns a root confined to the bucket directory and the
// function that releases it (instead of closing it).
func (b *Backend) bucketRoot(bucket string) (*os.Root, func(), error) {
	fi, err := b.statBucket(bucket)
	if err != nil {
		return nil, nil, err
	}
	dev, ino, ok := fileID(fi)
	if !ok {
		r, err := b.openBucket(bucket)
		if err != nil {
			return nil, nil, err
		}
		return r, func() { r.Close() }, nil
	}
	c := &b.roots
	c.mu.Lock()
	if e := c.m[bucket]; e != nil && !e.stale && e.dev == dev && e.ino == ino {
		e.refs++
		c.mu.Unlock()
		return e.root, func() { c.release(e) }, nil
	}
	c.mu.Unlock()
	r, err := b.openBucket(bucket)
	if err != nil {
		return nil, nil, err
	}
	e := &sharedRoot{root: r, dev: dev, ino: ino, refs: 1}
	c.mu.Lock()
	if old := c.m[bucket]; old != nil {
		old.stale = true
		if old.refs == 0 {
			old.root.Close()
		}
		delete(c.m, bucket)
	}
	if c.m == nil {
		c.m = map[string]*sharedRoot{}
	}
	if len(c.m) < maxCachedRoots {
		c.m[bucket] = e
	} else {
		e.stale = true // not kept: closed on release
	}
	c.mu.Unlock()
	return r, func() { c.release(e) }, nil
}

func (c *rootCache) release(e *sharedRoot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.stale && e.refs == 0 {
		e.root.Close()
	}
}

// forget drops bucket's root (DeleteBucket), closing it once unused.
func (c *rootCache) forget(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.m[bucket]; e != nil {
		e.stale = true
		if e.refs == 0 {
			e.root.Close()
		}
		delete(c.m, bucket)
	}
}

// closeAll closes every unused root (Close).
func (c *rootCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		e.stale = true
		if e.refs == 0 {
			e.root.Close()
		}
		delete(c.m, k)
	}
}
