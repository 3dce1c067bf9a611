package posix

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sesame-s3/sesame/internal/object"
)

// ListObjectVersions lists the versions of the bucket's keys in key order
// and, within a key, newest first. A page merges one page of ListObjects
// (the current objects) with the keys that have noncurrent versions, found
// by a walk of the bucket's versions folder below the prefix: a page costs
// time proportional to the number of keys with noncurrent versions under
// the prefix (see doc.go, "Versions").
func (b *Backend) ListObjectVersions(ctx context.Context, bucket string, opts object.ListVersionsOptions) (object.ListVersionsResult, error) {
	var res object.ListVersionsResult
	if _, err := b.statBucket(bucket); err != nil {
		return res, err
	}
	limit := opts.MaxKeys
	if limit <= 0 {
		limit = 1000
	}
	count := 0
	var lastKey, lastVersion string
	full := false
	emitKey := func(key string, cur *object.ObjectInfo, afterVersion string) error {
		versions, err := b.keyVersions(bucket, key, cur)
		if err != nil {
			return err
		}
		if afterVersion != "" {
			i := slices.IndexFunc(versions, func(v object.ObjectVersion) bool { return v.VersionID == afterVersion })
			versions = versions[i+1:] // i == -1: all of them
			if i == -1 {
				versions = nil
			}
		}
		for _, v := range versions {
			if count == limit {
				full = true
				return nil
			}
			res.Versions = append(res.Versions, v)
			count++
			lastKey, lastVersion = key, v.VersionID
		}
		return nil
	}
	if opts.KeyMarker != "" && opts.VersionIDMarker != "" && strings.HasPrefix(opts.KeyMarker, opts.Prefix) {
		var cur *object.ObjectInfo
		if info, err := b.HeadObject(ctx, bucket, opts.KeyMarker); err == nil {
			cur = &info
		}
		if err := emitKey(opts.KeyMarker, cur, opts.VersionIDMarker); err != nil {
			return res, err
		}
		if full {
			return b.truncated(res, lastKey, lastVersion), nil
		}
	}
	page, err := b.ListObjects(ctx, bucket, object.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter, After: opts.KeyMarker, MaxKeys: limit})
	if err != nil {
		return res, err
	}
	// The entries of this page: current keys, common prefixes and keys
	// with noncurrent versions, up to the end of the page of current ones.
	type entry struct {
		name   string
		prefix bool
		cur    *object.ObjectInfo
	}
	byName := map[string]*entry{}
	add := func(e entry) {
		if old, ok := byName[e.name]; ok {
			if e.cur != nil {
				old.cur = e.cur
			}
			return
		}
		byName[e.name] = &e
	}
	for i := range page.Objects {
		add(entry{name: page.Objects[i].Key, cur: &page.Objects[i]})
	}
	for _, p := range page.CommonPrefixes {
		add(entry{name: p, prefix: true})
	}
	keys, err := b.versionedKeys(bucket, opts.Prefix)
	if err != nil {
		return res, err
	}
	for _, k := range keys {
		name, prefix := k, false
		if opts.Delimiter != "" {
			if i := strings.Index(k[len(opts.Prefix):], opts.Delimiter); i >= 0 {
				name, prefix = k[:len(opts.Prefix)+i+len(opts.Delimiter)], true
			}
		}
		if name <= opts.KeyMarker || page.IsTruncated && name > page.NextAfter {
			continue
		}
		add(entry{name: name, prefix: prefix})
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		e := byName[n]
		if e.prefix {
			if count == limit {
				full = true
				break
			}
			res.CommonPrefixes = append(res.CommonPrefixes, n)
			count++
			lastKey, lastVersion = n, ""
			continue
		}
		if err := emitKey(n, e.cur, ""); err != nil {
			return res, err
		}
		if full {
			break
		}
	}
	if full || page.IsTruncated {
		return b.truncated(res, lastKey, lastVersion), nil
	}
	return res, nil
}

func (b *Backend) truncated(res object.ListVersionsResult, key, version string) object.ListVersionsResult {
	res.IsTruncated = true
	res.NextKeyMarker, res.NextVersionIDMarker = key, version
	return res
}

// keyVersions returns every version of key, newest first: the current
// object cur (nil when none) and the noncurrent versions.
func (b *Backend) keyVersions(bucket, key string, cur *object.ObjectInfo) ([]object.ObjectVersion, error) {
	var out []object.ObjectVersion
	curID := ""
	if cur != nil {
		v := object.ObjectVersion{ObjectInfo: *cur, IsLatest: true}
		if v.VersionID == "" {
			v.VersionID = object.NullVersionID
		}
		curID = v.VersionID
		out = append(out, v)
	}
	noncurrent, err := b.readVersions(bucket, key)
	if err != nil {
		return nil, err
	}
	for _, m := range noncurrent {
		if versionOf(m) == curID {
			continue // kept just before a write that did not finish
		}
		info := m.info(bucket, key)
		info.VersionID = versionOf(m)
		v := object.ObjectVersion{ObjectInfo: info, IsLatest: len(out) == 0, DeleteMarker: m.DeleteMarker}
		if m.DeleteMarker {
			v.ETag, v.Size = "", 0
		}
		out = append(out, v)
	}
	return out, nil
}

// versionedKeys returns the keys with prefix that have noncurrent versions
// or delete markers, sorted.
func (b *Backend) versionedKeys(bucket, prefix string) ([]string, error) {
	base := b.versionsBucketPath(bucket)
	start := base
	if i := strings.LastIndex(prefix, "/"); i > 0 {
		start = filepath.Join(base, metaDirRel(prefix[:i]))
	}
	var keys []string
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if absent(err) {
				return nil
			}
			return err
		}
		if !d.IsDir() || p == base || !isKeyDir(d.Name()) {
			return nil
		}
		if k, ok := b.keyOfVersionsDir(p); ok && strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
		return filepath.SkipDir
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(keys)
	return keys, nil
}

// isKeyDir reports whether a versions folder name is a key's (named like
// a meta file) rather than a directory's.
func isKeyDir(name string) bool {
	return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".hj")
}

// keyOfVersionsDir reads the key recorded in a version of the folder.
func (b *Backend) keyOfVersionsDir(dir string) (string, bool) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		data, err := readSmall(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		if m, ok := decodeMeta(data); ok && m.Key != "" {
			return m.Key, true
		}
	}
	return "", false
}
