package posix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sesame-s3/sesame/internal/object"
)

// defaultMaxKeys is the page size when ListOptions.MaxKeys is 0.
const defaultMaxKeys = 1000

// hasObjectBatch is how many entries hasObject reads at a time.
const hasObjectBatch = 64

// describeWorkers is how many objects of a page are described at once:
// each costs a few system calls, which other goroutines can overlap.
const describeWorkers = 4

// hasObjectAt reports whether the directory name of dir, whose key is
// dirKey, holds an object: it is a folder marker, or it or some directory
// below it holds a file or a marker. Order does not matter, so it reads
// directories a batch at a time and stops at the first object: its memory
// is bounded by a batch per level, its time by the entries read before the
// first object.
func (b *Backend) hasObjectAt(ctx context.Context, root, dir *os.Root, name, bucket, dirKey string) (bool, error) {
	if b.isMarker(bucket, dirKey) {
		return true, nil
	}
	sub, _, err := openSubdir(dir, name)
	if err != nil {
		if absent(err) {
			return false, nil
		}
		return false, fmt.Errorf("posix: read %s/%s: %w", bucket, dirKey, err)
	}
	defer sub.Close()
	return b.hasObjectIn(ctx, root, sub, bucket, dirKey)
}

// hasObjectIn is hasObjectAt for an open directory, without the folder
// marker check.
func (b *Backend) hasObjectIn(ctx context.Context, root, dir *os.Root, bucket, dirKey string) (bool, error) {
	if len(dirKey) >= object.MaxKeyLength {
		return false, nil // no key below fits
	}
	f, err := dir.Open(".")
	if err != nil {
		if absent(err) {
			return false, nil
		}
		return false, fmt.Errorf("posix: read %s/%s: %w", bucket, dirKey, err)
	}
	defer f.Close()
	for {
		des, rerr := f.ReadDir(hasObjectBatch)
		var subs []string
		for _, de := range des {
			e, ok := entryOf(de)
			if !ok || len(dirKey)+len(e.name) > object.MaxKeyLength {
				continue
			}
			switch {
			case e.dir():
				subs = append(subs, e.name)
			case !e.link:
				return true, nil
			default:
				if _, err := dataInfo(root, dir, e.name, dirKey+e.name); err == nil {
					return true, nil
				}
			}
		}
		for _, s := range subs {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			if has, err := b.hasObjectAt(ctx, root, dir, strings.TrimSuffix(s, "/"), bucket, dirKey+s); has || err != nil {
				return has, err
			}
		}
		if rerr == io.EOF {
			return false, nil
		}
		if rerr != nil {
			return false, fmt.Errorf("posix: read %s/%s: %w", bucket, dirKey, rerr)
		}
	}
}

// lister walks a bucket in key order and collects one page of ListObjects.
type lister struct {
	b      *Backend
	ctx    context.Context
	root   *os.Root // the bucket
	bucket string
	prefix string
	delim  string
	after  string
	max    int

	res     object.ListResult
	lastCP  string    // the last common prefix emitted or skipped
	pending []pending // keys to describe, in order, before the next entries
	done    bool
}

// pending is an object key found by the walk, to be described (in
// parallel with others) and added to the page if it is an object.
type pending struct {
	key  string
	dir  *os.Root // the directory holding it, open until the key is described
	name string
	info object.ObjectInfo
	err  error
}

// ListObjects walks the bucket directory in key order. See doc.go.
func (b *Backend) ListObjects(ctx context.Context, bucket string, opts object.ListOptions) (object.ListResult, error) {
	root, err := b.openBucket(bucket)
	if err != nil {
		return object.ListResult{}, err
	}
	defer root.Close()
	l := &lister{
		b: b, ctx: ctx, root: root, bucket: bucket,
		prefix: opts.Prefix, delim: opts.Delimiter, after: opts.After, max: opts.MaxKeys,
	}
	if l.max <= 0 {
		l.max = defaultMaxKeys
	}
	// When After ends in the delimiter (the common prefix that ended the
	// previous page), every key starting with After rolls up into a common
	// prefix not greater than After: treat it as already emitted, which
	// also skips its subtrees.
	if d := l.delim; d != "" && len(l.after) >= len(l.prefix)+len(d) &&
		strings.HasPrefix(l.after, l.prefix) && strings.HasSuffix(l.after, d) {
		l.lastCP = l.after
	}
	// Start in the deepest directory the prefix names. A prefix whose
	// directory part no valid key can have, or that goes through a linked
	// directory, matches nothing.
	dirKey := opts.Prefix[:strings.LastIndexByte(opts.Prefix, '/')+1]
	if dirKey != "" && checkKey(dirKey) != nil {
		return l.res, nil
	}
	chain, err := b.openDirs(root, bucket, strings.TrimSuffix(dirKey, "/"), false)
	if err != nil {
		if absent(err) {
			return l.res, nil
		}
		return object.ListResult{}, fmt.Errorf("posix: list %s/%s: %w", bucket, dirKey, err)
	}
	defer chain.close()
	if dirKey != "" && opts.Prefix == dirKey && dirKey > l.after && b.isMarker(bucket, dirKey) {
		name := chain.segs[len(chain.segs)-1]
		if err := l.emitKey(dirKey, chain.parent(len(chain.segs)-1), dirEnt{name: name + "/"}); err != nil {
			return object.ListResult{}, err
		}
	}
	if err := l.walk(chain.last(), dirKey); err != nil {
		return object.ListResult{}, err
	}
	if err := l.flush(); err != nil {
		return object.ListResult{}, err
	}
	return l.res, nil
}

// from returns the first entry name of the directory dirKey that the page
// may need, given Prefix, After and the last common prefix; ok is false if
// it needs none.
func (l *lister) from(dirKey string) (from string, ok bool) {
	if rel, found := strings.CutPrefix(l.prefix, dirKey); found {
		from = rel // "" below the prefix's own directory
	}
	if rel, found := strings.CutPrefix(l.after, dirKey); found {
		if i := strings.IndexByte(rel, '/'); i >= 0 {
			from = max(from, rel[:i+1]) // the directory holding After
		} else {
			from = max(from, rel+"\x00") // the first name after After
		}
	} else if l.after > dirKey {
		return "", false // every key here sorts before After
	}
	if cp := l.lastCP; cp != "" {
		if strings.HasPrefix(dirKey, cp) {
			return "", false
		}
		if strings.HasPrefix(cp, dirKey) {
			end, ok := prefixEnd(cp)
			if !ok || !strings.HasPrefix(end, dirKey) {
				return "", false
			}
			from = max(from, end[len(dirKey):])
		}
	}
	return from, true
}

// walk lists the directory dir, whose key prefix is dirKey, and what is
// below it, until the page is full. Its keys are described before it
// returns, while dir is open.
func (l *lister) walk(dir *os.Root, dirKey string) error {
	if err := l.walkDir(dir, dirKey); err != nil {
		l.pending = l.pending[:0]
		return err
	}
	return l.flush()
}

func (l *lister) walkDir(dir *os.Root, dirKey string) error {
	if len(dirKey) >= object.MaxKeyLength {
		return nil // no key below fits
	}
	from, ok := l.from(dirKey)
	if !ok {
		return nil
	}
	cur, err := l.b.openCursor(l.ctx, l.bucket, dirKey, dir, from, min(l.max+1, maxScanKeep))
	if err != nil {
		if absent(err) {
			return nil
		}
		if cerr := l.ctx.Err(); cerr != nil {
			return cerr
		}
		return fmt.Errorf("posix: list %s/%s: %w", l.bucket, dirKey, err)
	}
	defer cur.close()
	seenCP := l.lastCP
	for !l.done {
		if cp := l.lastCP; cp != seenCP {
			// A new common prefix: skip the entries it covers, which are
			// contiguous in key order.
			seenCP = cp
			if strings.HasPrefix(dirKey, cp) {
				return nil
			}
			if strings.HasPrefix(cp, dirKey) {
				end, ok := prefixEnd(cp)
				if !ok || !strings.HasPrefix(end, dirKey) {
					return nil
				}
				cur.seek(end[len(dirKey):])
			}
		}
		if err := l.ctx.Err(); err != nil {
			return err
		}
		e, ok, err := cur.next(l.ctx)
		if err != nil {
			if cerr := l.ctx.Err(); cerr != nil {
				return cerr
			}
			return fmt.Errorf("posix: list %s/%s: %w", l.bucket, dirKey, err)
		}
		if !ok {
			return nil
		}
		key := dirKey + e.name
		if !strings.HasPrefix(key, l.prefix) {
			if key > l.prefix {
				return nil // past the keys with the prefix
			}
			continue
		}
		if !e.dir() {
			if key > l.after {
				if err := l.emitKey(key, dir, e); err != nil {
					return err
				}
			}
			continue
		}
		d, name := key, strings.TrimSuffix(e.name, "/")
		if l.after >= d && !strings.HasPrefix(l.after, d) {
			continue // everything below d sorts before After
		}
		if l.delim == "/" {
			// Walking from the prefix's directory, every key below d has
			// the common prefix d: do not descend.
			if d <= l.after {
				continue
			}
			has, err := l.b.hasObjectAt(l.ctx, l.root, dir, name, l.bucket, d)
			if err != nil {
				return err
			}
			if has {
				if err := l.emitCP(d); err != nil {
					return err
				}
			}
			continue
		}
		if l.lastCP != "" && strings.HasPrefix(d, l.lastCP) {
			continue // already rolled up into the last common prefix
		}
		if d > l.after && l.b.isMarker(l.bucket, d) {
			if err := l.emitKey(d, dir, e); err != nil {
				return err
			}
		}
		// Keys found so far come before those below d.
		if err := l.flush(); err != nil {
			return err
		}
		if l.done || l.lastCP != "" && strings.HasPrefix(d, l.lastCP) {
			continue // done, or the marker opened a common prefix covering d
		}
		sub, _, err := openSubdir(dir, name)
		if err != nil {
			if absent(err) {
				continue // removed meanwhile
			}
			return fmt.Errorf("posix: list %s/%s: %w", l.bucket, d, err)
		}
		err = l.walk(sub, d)
		sub.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// full reports whether the page has no room left, and marks it truncated:
// it is called only when there is one more entry to add.
func (l *lister) full() bool {
	if len(l.res.Objects)+len(l.res.CommonPrefixes) < l.max {
		return false
	}
	l.res.IsTruncated = true
	l.done = true
	return true
}

// emitKey adds the object key, or its common prefix, to the page. e is its
// entry in dir. Objects wait in l.pending until flush; enough of them to
// fill the page, and one more to tell whether it is truncated.
func (l *lister) emitKey(key string, dir *os.Root, e dirEnt) error {
	if l.delim != "" {
		rest := key[len(l.prefix):]
		if i := strings.Index(rest, l.delim); i >= 0 {
			if e.link {
				if _, err := dataInfo(l.root, dir, e.name, key); err != nil {
					return nil // not an object
				}
			}
			return l.emitCP(l.prefix + rest[:i+len(l.delim)])
		}
	}
	if l.pending == nil {
		l.pending = make([]pending, 0, min(l.max+1, maxScanKeep))
	}
	l.pending = append(l.pending, pending{key: key, dir: dir, name: strings.TrimSuffix(e.name, "/")})
	if len(l.res.Objects)+len(l.res.CommonPrefixes)+len(l.pending) > l.max {
		return l.flush()
	}
	return nil
}

// flush describes the pending keys, describeWorkers at a time, and adds
// those that are objects to the page in order. Keys that are not (removed
// meanwhile, links that lead nowhere) leave room that the walk fills on.
func (l *lister) flush() error {
	p := l.pending
	if len(p) == 0 {
		return nil
	}
	l.pending = l.pending[:0]
	describe := func(i int) {
		p[i].info, p[i].err = l.b.describeIn(l.ctx, l.root, p[i].dir, p[i].name, l.bucket, p[i].key)
	}
	if len(p) == 1 {
		describe(0)
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range min(describeWorkers, len(p)) {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < len(p); i = int(next.Add(1)) - 1 {
					describe(i)
				}
			})
		}
		wg.Wait()
	}
	l.res.Objects = slices.Grow(l.res.Objects, min(len(p), l.max-len(l.res.Objects)-len(l.res.CommonPrefixes)))
	for i := range p {
		if err := p[i].err; err != nil {
			if errors.Is(err, object.ErrObjectNotFound) {
				continue // not an object, or removed meanwhile
			}
			if cerr := l.ctx.Err(); cerr != nil {
				return cerr
			}
			l.b.log.Warn("posix: listing skips an unreadable object", "bucket", l.bucket, "key", p[i].key, "err", err)
			continue
		}
		if l.full() {
			break
		}
		l.res.Objects = append(l.res.Objects, p[i].info)
		l.res.NextAfter = p[i].key
	}
	clear(p)
	return nil
}

// emitCP adds a common prefix to the page, after the pending keys.
func (l *lister) emitCP(cp string) error {
	if cp == l.lastCP {
		return nil
	}
	if cp <= l.after {
		l.lastCP = cp
		return nil
	}
	if err := l.flush(); err != nil {
		return err
	}
	if l.done || l.full() {
		return nil
	}
	l.lastCP = cp
	l.res.CommonPrefixes = append(l.res.CommonPrefixes, cp)
	l.res.NextAfter = cp
	return nil
}

// describe returns key's info, cheaply when its meta is valid.
func (b *Backend) describe(ctx context.Context, root *os.Root, bucket, key string) (object.ObjectInfo, error) {
	chain, err := b.openDirs(root, bucket, parentDir(key), false)
	if err != nil {
		if absent(err) {
			return object.ObjectInfo{}, fmt.Errorf("posix: %s/%s: %w", bucket, key, object.ErrObjectNotFound)
		}
		return object.ObjectInfo{}, fmt.Errorf("posix: stat %s/%s: %w", bucket, key, err)
	}
	defer chain.close()
	return b.describeIn(ctx, root, chain.last(), baseName(key), bucket, key)
}

// describeIn is describe for the entry name of key's directory dir.
func (b *Backend) describeIn(ctx context.Context, root, dir *os.Root, name, bucket, key string) (object.ObjectInfo, error) {
	if !isMarkerKey(key) {
		mu := b.lock(bucket, key)
		mu.RLock()
		fi, err := dataInfo(root, dir, name, key)
		m, ok := b.readMeta(bucket, key)
		mu.RUnlock()
		if err == nil && ok && m.matches(fi) {
			return m.info(bucket, key), nil
		}
	}
	f, info, err := b.openObjectIn(ctx, root, dir, name, bucket, key)
	if f != nil {
		f.Close()
	}
	return info, err
}
