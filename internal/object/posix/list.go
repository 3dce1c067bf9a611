package posix

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sesame-s3/sesame/internal/object"
)

// defaultMaxKeys is the page size when ListOptions.MaxKeys is 0.
const defaultMaxKeys = 1000

// entry is a directory entry seen by a listing.
type entry struct {
	key string // full key; directories end in "/"
	dir bool
}

// readDir returns the entries of the directory dirKey ("" for the bucket,
// otherwise ending in "/") sorted by key, so that a directory "a" sorts as
// "a/" among its siblings. Symbolic links to regular files inside the
// bucket count as files; other symbolic links, and anything that is neither
// a regular file nor a directory, are left out. A missing directory has no
// entries.
func readDir(root *os.Root, dirKey string) ([]entry, error) {
	f, err := openDir(root, filepath.FromSlash(strings.TrimSuffix(dirKey, "/")))
	if err != nil {
		if absent(err) {
			return nil, nil
		}
		return nil, err
	}
	des, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		if absent(err) {
			return nil, nil
		}
		return nil, err
	}
	out := make([]entry, 0, len(des))
	for _, de := range des {
		e := entry{key: dirKey + de.Name()}
		switch t := de.Type(); {
		case t.IsDir():
			e.dir = true
			e.key += "/"
		case t.IsRegular():
		case t&fs.ModeSymlink != 0:
			fi, err := root.Stat(filepath.FromSlash(e.key))
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
		default:
			continue
		}
		if len(e.key) > object.MaxKeyLength {
			continue
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

// hasObject reports whether the directory dirKey holds an object: it is a
// folder marker, or some directory below it holds a file or a marker.
func (b *Backend) hasObject(ctx context.Context, root *os.Root, bucket, dirKey string) (bool, error) {
	if dirKey != "" && b.isMarker(bucket, dirKey) {
		return true, nil
	}
	entries, err := readDir(root, dirKey)
	if err != nil {
		return false, fmt.Errorf("posix: read %s/%s: %w", bucket, dirKey, err)
	}
	for _, e := range entries {
		if !e.dir {
			return true, nil
		}
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		if has, err := b.hasObject(ctx, root, bucket, e.key); has || err != nil {
			return has, err
		}
	}
	return false, nil
}

// lister walks a bucket in key order and collects one page of ListObjects.
type lister struct {
	b      *Backend
	ctx    context.Context
	root   *os.Root
	bucket string
	prefix string
	delim  string
	after  string
	max    int

	res    object.ListResult
	lastCP string // the last common prefix emitted or skipped
	done   bool
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
	// directory part no valid key can have matches nothing.
	dirKey := opts.Prefix[:strings.LastIndexByte(opts.Prefix, '/')+1]
	if dirKey != "" {
		if checkKey(dirKey) != nil || !realDir(root, dirKey) {
			return l.res, nil
		}
		if opts.Prefix == dirKey && dirKey > l.after && b.isMarker(bucket, dirKey) {
			if err := l.emitKey(dirKey); err != nil {
				return object.ListResult{}, err
			}
		}
	}
	if err := l.walk(dirKey); err != nil {
		return object.ListResult{}, err
	}
	return l.res, nil
}

// realDir reports whether every component of dirKey is a directory, not a
// symbolic link: listings never descend through links.
func realDir(root *os.Root, dirKey string) bool {
	p := ""
	for seg := range strings.SplitSeq(strings.TrimSuffix(dirKey, "/"), "/") {
		p = filepath.Join(p, seg)
		fi, err := root.Lstat(p)
		if err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

func (l *lister) walk(dirKey string) error {
	entries, err := readDir(l.root, dirKey)
	if err != nil {
		return fmt.Errorf("posix: list %s/%s: %w", l.bucket, dirKey, err)
	}
	for _, e := range entries {
		if l.done {
			return nil
		}
		if err := l.ctx.Err(); err != nil {
			return err
		}
		if !e.dir {
			if strings.HasPrefix(e.key, l.prefix) && e.key > l.after {
				if err := l.emitKey(e.key); err != nil {
					return err
				}
			}
			continue
		}
		d := e.key
		if !strings.HasPrefix(d, l.prefix) && !strings.HasPrefix(l.prefix, d) {
			continue // nothing below d has the prefix
		}
		if l.after >= d && !strings.HasPrefix(l.after, d) {
			continue // everything below d sorts before After
		}
		if l.delim == "/" {
			// Walking from the prefix's directory, every key below d has
			// the common prefix d: do not descend.
			if d <= l.after {
				continue
			}
			has, err := l.b.hasObject(l.ctx, l.root, l.bucket, d)
			if err != nil {
				return err
			}
			if has {
				l.emitCP(d)
			}
			continue
		}
		if l.lastCP != "" && strings.HasPrefix(d, l.lastCP) {
			continue // already rolled up into the last common prefix
		}
		if d > l.after && strings.HasPrefix(d, l.prefix) && l.b.isMarker(l.bucket, d) {
			if err := l.emitKey(d); err != nil {
				return err
			}
		}
		if l.done || l.lastCP != "" && strings.HasPrefix(d, l.lastCP) {
			continue // done, or the marker opened a common prefix covering d
		}
		if err := l.walk(d); err != nil {
			return err
		}
	}
	return nil
}

func (l *lister) full() bool {
	if len(l.res.Objects)+len(l.res.CommonPrefixes) < l.max {
		return false
	}
	l.res.IsTruncated = true
	l.done = true
	return true
}

// emitKey adds the object key, or its common prefix, to the page.
func (l *lister) emitKey(key string) error {
	if l.delim != "" {
		rest := key[len(l.prefix):]
		if i := strings.Index(rest, l.delim); i >= 0 {
			l.emitCP(l.prefix + rest[:i+len(l.delim)])
			return nil
		}
	}
	if l.full() {
		return nil
	}
	info, err := l.b.describe(l.ctx, l.root, l.bucket, key)
	if err != nil {
		if errors.Is(err, object.ErrObjectNotFound) {
			return nil // removed meanwhile
		}
		if cerr := l.ctx.Err(); cerr != nil {
			return cerr
		}
		l.b.log.Warn("posix: listing skips an unreadable object", "bucket", l.bucket, "key", key, "err", err)
		return nil
	}
	l.res.Objects = append(l.res.Objects, info)
	l.res.NextAfter = key
	return nil
}

func (l *lister) emitCP(cp string) {
	if cp == l.lastCP {
		return
	}
	if cp <= l.after {
		l.lastCP = cp
		return
	}
	if l.full() {
		return
	}
	l.lastCP = cp
	l.res.CommonPrefixes = append(l.res.CommonPrefixes, cp)
	l.res.NextAfter = cp
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
