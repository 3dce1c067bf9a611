package posix

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzKeyMapping checks the mapping of keys to paths (names.go) on pairs of
// keys. For every key checkKey accepts:
//
//   - its data path is local (no "..", not absolute), so it stays in the
//     bucket directory and never reaches the system folder, and it maps back
//     to the key the way a listing rebuilds keys from directory entries;
//   - its meta path is local and below the bucket's meta directory, so it
//     never reaches another bucket's metadata or the rest of .sesame.sys,
//     and no segment of it is longer than a file name may be.
//
// For two different accepted keys: their meta paths differ, and neither is
// a directory of the other (a file and a directory never collide); their
// data paths differ unless one is the folder marker of the other, which the
// backend refuses as ErrKeyConflict.
//
// The seed corpus is in testdata/fuzz/FuzzKeyMapping; `go test` runs it,
// `go test -fuzz FuzzKeyMapping` explores further.
func FuzzKeyMapping(f *testing.F) {
	f.Fuzz(func(t *testing.T, k1, k2 string) {
		ok1, ok2 := checkKey(k1) == nil, checkKey(k2) == nil
		if ok1 {
			checkMapping(t, k1)
		}
		if ok2 {
			checkMapping(t, k2)
		}
		if !ok1 || !ok2 || k1 == k2 {
			return
		}
		m1, m2 := metaRel(k1), metaRel(k2)
		sep := string(os.PathSeparator)
		if m1 == m2 || strings.HasPrefix(m2, m1+sep) || strings.HasPrefix(m1, m2+sep) {
			t.Fatalf("meta paths of %q and %q collide: %q, %q", k1, k2, m1, m2)
		}
		if dataRel(k1) == dataRel(k2) && strings.TrimSuffix(k1, "/") != strings.TrimSuffix(k2, "/") {
			t.Fatalf("data paths of %q and %q collide: %q", k1, k2, dataRel(k1))
		}
	})
}

// checkMapping checks the paths of one accepted key.
func checkMapping(t *testing.T, key string) {
	t.Helper()
	const root, bucket = "/data", "bkt"
	d := dataRel(key)
	if !filepath.IsLocal(d) {
		t.Fatalf("data path of %q is not local: %q", key, d)
	}
	bucketDir := filepath.Join(root, bucket)
	if p := filepath.Join(bucketDir, d); !strings.HasPrefix(p, bucketDir+string(os.PathSeparator)) {
		t.Fatalf("data path of %q leaves the bucket: %q", key, p)
	}
	// Back from the path: the listing joins directory entries with "/".
	segs := strings.Split(d, string(os.PathSeparator))
	for _, s := range segs {
		if s == "" || s == "." || s == ".." || len(s) > maxSegment {
			t.Fatalf("data path of %q has the segment %q", key, s)
		}
	}
	back := strings.Join(segs, "/")
	if isMarkerKey(key) {
		back += "/"
	}
	if back != key {
		t.Fatalf("data path %q of %q maps back to %q", d, key, back)
	}
	if got := dirKeyOf(parentDir(key)) + baseName(key); strings.TrimSuffix(key, "/") != got {
		t.Fatalf("directory and name of %q rebuild %q", key, got)
	}

	m := metaRel(key)
	metaDir := filepath.Join(root, sysDirName, metaDirName, bucket)
	if !filepath.IsLocal(m) || !strings.HasPrefix(filepath.Join(metaDir, m), metaDir+string(os.PathSeparator)) {
		t.Fatalf("meta path of %q leaves the bucket's meta directory: %q", key, m)
	}
	for _, s := range strings.Split(m, string(os.PathSeparator)) {
		if len(s) > maxSegment || s == "." || s == ".." {
			t.Fatalf("meta path of %q has the segment %q", key, s)
		}
	}
}
