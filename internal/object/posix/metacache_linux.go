//go:build linux

package posix

import (
	"maps"
	"sync"
	"syscall"
)

// metaCache keeps decoded meta files, so that a GET or a listing of an
// unchanged object costs one stat of its meta file instead of an open, a
// read, a close and a JSON decode. An entry is used only while the meta
// file's inode, size, modification and change times are those it was read
// with: every write of a meta file (this process's or another's, on a
// shared file system) renames a new file into place, so any change shows.
type metaCache struct {
	mu sync.RWMutex
	m  map[string]metaEntry
}

type metaEntry struct {
	ino, size    uint64
	mtime, ctime int64
	meta         objectMeta
}

// maxCachedMetas bounds the cache; when full it starts over.
const maxCachedMetas = 1 << 16

func statKey(st *syscall.Stat_t) metaEntry {
	return metaEntry{ino: st.Ino, size: uint64(st.Size), mtime: st.Mtim.Nano(), ctime: st.Ctim.Nano()}
}

// get returns the cached meta of path if st still describes the file it
// was read from.
func (c *metaCache) get(path string, st *syscall.Stat_t) (objectMeta, bool) {
	c.mu.RLock()
	e, ok := c.m[path]
	c.mu.RUnlock()
	k := statKey(st)
	if !ok || e.ino != k.ino || e.size != k.size || e.mtime != k.mtime || e.ctime != k.ctime {
		return objectMeta{}, false
	}
	m := e.meta
	m.Metadata.User = maps.Clone(m.Metadata.User)
	return m, true
}

func (c *metaCache) put(path string, st *syscall.Stat_t, m objectMeta) {
	e := statKey(st)
	e.meta = m
	e.meta.Metadata.User = maps.Clone(m.Metadata.User)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedMetas {
		c.m = make(map[string]metaEntry, 1024)
	}
	c.m[path] = e
	c.mu.Unlock()
}

// sameStat reports whether a and b describe the same version of a file.
func sameStat(a, b *syscall.Stat_t) bool {
	return a.Ino == b.Ino && a.Size == b.Size && a.Mtim == b.Mtim && a.Ctim == b.Ctim
}

// readMetaFile reads and decodes the meta file at p, from the cache when
// a stat shows it unchanged.
func (b *Backend) readMetaFile(p string) (objectMeta, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(p, &st); err != nil {
		return objectMeta{}, false
	}
	if m, ok := b.metas.get(p, &st); ok {
		return m, true
	}
	data, err := readSmall(p)
	if err != nil {
		return objectMeta{}, false
	}
	m, ok := decodeMeta(data)
	if !ok {
		return m, false
	}
	// Cache it only if the file read is the one stat saw: a rename in
	// between would otherwise pair the new file's stat with old content.
	var after syscall.Stat_t
	if syscall.Stat(p, &after) == nil && sameStat(&after, &st) {
		b.metas.put(p, &st, m)
	}
	return m, true
}
