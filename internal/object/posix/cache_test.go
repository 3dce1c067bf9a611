package posix

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/objecttest"
)

// openCached opens a backend whose listing cache trusts every directory at
// once, so that every listing goes through the cache. Changes made by the
// backend itself are still seen through the change counters, which is all
// the conformance suite does.
func openCached(t testing.TB, opts Options) *Backend {
	t.Helper()
	b, err := Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	b.lists.fine, b.lists.coarse = -time.Hour, -time.Hour
	t.Cleanup(func() { checkClosed(t, b) })
	return b
}

// checkClosed closes b and checks that the cache gave back its memory.
func checkClosed(t testing.TB, b *Backend) {
	t.Helper()
	if err := b.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := b.lists.usedBytes(); n != 0 {
		t.Errorf("listing cache holds %d bytes after Close", n)
	}
}

// TestConformance_Cached runs the suite with every listing served by the
// cache.
func TestConformance_Cached(t *testing.T) {
	objecttest.Run(t, func(t *testing.T) object.Backend { return openCached(t, Options{}) })
}

// TestConformance_Scanned runs the suite with the cache off, so that every
// listing scans its directories.
func TestConformance_Scanned(t *testing.T) {
	objecttest.Run(t, func(t *testing.T) object.Backend {
		b, err := Open(t.TempDir(), Options{ListCacheSize: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { checkClosed(t, b) })
		return b
	})
}

const cacheBucket = "cache"

// putKeys stores keys (empty objects) through the backend.
func putKeys(t *testing.T, b *Backend, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, err := b.PutObject(t.Context(), cacheBucket, k, strings.NewReader(""), object.PutOptions{Size: 0}); err != nil {
			t.Fatalf("PutObject(%q): %v", k, err)
		}
	}
}

// listAllKeys pages through the bucket and returns keys and common prefixes.
func listAllKeys(t *testing.T, b *Backend, opts object.ListOptions) []string {
	t.Helper()
	var out []string
	for range 10000 {
		res, err := b.ListObjects(t.Context(), cacheBucket, opts)
		if err != nil {
			t.Fatalf("ListObjects(%+v): %v", opts, err)
		}
		for _, o := range res.Objects {
			out = append(out, o.Key)
		}
		out = append(out, res.CommonPrefixes...)
		if !res.IsTruncated {
			slices.Sort(out)
			return out
		}
		opts.After = res.NextAfter
	}
	t.Fatalf("ListObjects(%+v) does not end", opts)
	return nil
}

// testMargin replaces fineMargin in tests that wait for directories to
// settle: still longer than a kernel clock tick.
const testMargin = 30 * time.Millisecond

// settle waits until the bucket's directories are old enough for their
// listings to be trusted.
func settle() { time.Sleep(testMargin + 20*time.Millisecond) }

func newCacheBackend(t *testing.T, opts Options) (*Backend, string) {
	t.Helper()
	root := t.TempDir()
	b, err := Open(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkClosed(t, b) })
	b.lists.fine = testMargin
	if err := b.CreateBucket(t.Context(), cacheBucket); err != nil {
		t.Fatal(err)
	}
	return b, filepath.Join(root, cacheBucket)
}

// TestListCache_Shared: concurrent pages of a settled directory share one
// read of it, and later pages are served from it.
func TestListCache_Shared(t *testing.T) {
	b, _ := newCacheBackend(t, Options{})
	var keys []string
	for i := range 160 {
		keys = append(keys, fmt.Sprintf("k%03d", i))
	}
	plant(t, b, cacheBucket, keys...)
	settle()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			res, err := b.ListObjects(context.Background(), cacheBucket, object.ListOptions{After: keys[i*10], MaxKeys: 5})
			if err != nil || len(res.Objects) != 5 || res.Objects[0].Key != keys[i*10+1] {
				t.Errorf("page after %s = %+v, %v", keys[i*10], res.Objects, err)
			}
		})
	}
	wg.Wait()
	if got := listAllKeys(t, b, object.ListOptions{MaxKeys: 7}); !slices.Equal(got, keys) {
		t.Fatalf("listing = %q", got)
	}
	if reads, scans := b.lists.reads.Load(), b.lists.scans.Load(); reads != 1 || scans != 0 {
		t.Fatalf("reads %d, scans %d; want one read shared by all pages", reads, scans)
	}
}

// TestListCache_ChangesByHand: files added, removed or renamed by hand in a
// cached directory are seen by the next page, even when the directory's
// modification time is set back (as rsync and tar do).
func TestListCache_ChangesByHand(t *testing.T) {
	b, dir := newCacheBackend(t, Options{})
	putKeys(t, b, "a", "b", "sub/c")
	settle()
	want := []string{"a", "b", "sub/c"}
	if got := listAllKeys(t, b, object.ListOptions{}); !slices.Equal(got, want) {
		t.Fatalf("listing = %q", got)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		what   string
		change func() error
		want   []string
	}{
		{"add", func() error { return os.WriteFile(filepath.Join(dir, "c"), nil, 0o644) }, []string{"a", "b", "c", "sub/c"}},
		{"remove", func() error { return os.Remove(filepath.Join(dir, "a")) }, []string{"b", "c", "sub/c"}},
		{"rename", func() error { return os.Rename(filepath.Join(dir, "b"), filepath.Join(dir, "bb")) }, []string{"bb", "c", "sub/c"}},
		{"add below", func() error { return os.WriteFile(filepath.Join(dir, "sub", "d"), nil, 0o644) }, []string{"bb", "c", "sub/c", "sub/d"}},
		{"add dir", func() error { return os.MkdirAll(filepath.Join(dir, "new", "x"), 0o755) }, []string{"bb", "c", "sub/c", "sub/d"}},
		{"fill dir", func() error { return os.WriteFile(filepath.Join(dir, "new", "x", "y"), nil, 0o644) }, []string{"bb", "c", "new/x/y", "sub/c", "sub/d"}},
	}
	for _, s := range steps {
		// Cache the listing, then change the directory by hand, restoring
		// its modification time.
		settle()
		listAllKeys(t, b, object.ListOptions{})
		listAllKeys(t, b, object.ListOptions{Delimiter: "/"})
		if err := s.change(); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(dir, fi.ModTime(), fi.ModTime()); err != nil {
			t.Fatal(err)
		}
		if got := listAllKeys(t, b, object.ListOptions{}); !slices.Equal(got, s.want) {
			t.Errorf("after %s: listing = %q, want %q", s.what, got, s.want)
		}
	}
	if b.lists.hits.Load() == 0 {
		t.Errorf("the cache was never used")
	}
}

// TestListCache_Young: a directory changed less than the margin ago is
// scanned, not cached, so that a change within the same time stamp is not
// missed.
func TestListCache_Young(t *testing.T) {
	b, dir := newCacheBackend(t, Options{})
	b.lists.fine = time.Hour
	putKeys(t, b, "a")
	listAllKeys(t, b, object.ListOptions{})
	if err := os.WriteFile(filepath.Join(dir, "b"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := listAllKeys(t, b, object.ListOptions{}); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("listing = %q", got)
	}
	if reads, scans := b.lists.reads.Load(), b.lists.scans.Load(); reads != 0 || scans != 2 {
		t.Fatalf("reads %d, scans %d; want only scans", reads, scans)
	}
}

// TestListCache_OwnWrites: the backend's own writes invalidate the cached
// listing even when the directory's time stamps do not move, as on a file
// system with coarse time stamps.
func TestListCache_OwnWrites(t *testing.T) {
	b := openCached(t, Options{})
	b.lists.stampOf = func(fs.FileInfo) dirStamp { return dirStamp{mtime: 1, ctime: 1} }
	if err := b.CreateBucket(t.Context(), cacheBucket); err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 20 {
		k := fmt.Sprintf("d/k%02d", i)
		putKeys(t, b, k)
		want = append(want, k)
		if got := listAllKeys(t, b, object.ListOptions{MaxKeys: 3}); !slices.Equal(got, want) {
			t.Fatalf("after put %s: %q", k, got)
		}
	}
	for len(want) > 0 {
		if err := b.DeleteObject(t.Context(), cacheBucket, want[0]); err != nil {
			t.Fatal(err)
		}
		want = want[1:]
		// A delimiter that rolls keys up does not look at the objects, so
		// only the listing can be wrong.
		for _, opts := range []object.ListOptions{{Delimiter: "/", Prefix: "d/"}, {Delimiter: "0", Prefix: "d/"}} {
			if got, w := listAllKeys(t, b, opts), modelKeys(want, opts); !slices.Equal(got, w) {
				t.Fatalf("after delete: ListObjects(%+v) = %q, want %q", opts, got, w)
			}
		}
	}
	if got := listAllKeys(t, b, object.ListOptions{Delimiter: "/"}); len(got) != 0 {
		t.Fatalf("empty bucket lists %q", got)
	}
}

// TestListCache_Budget: listings never hold more than the budget; a
// directory that does not fit is scanned and still listed right; unused
// listings are evicted for new ones and dropped when idle.
func TestListCache_Budget(t *testing.T) {
	// Each small directory's listing takes about 1.8 KiB: one fits, not two.
	const budget = 2560
	b := openCached(t, Options{ListCacheSize: budget})
	b.lists.idle = 50 * time.Millisecond
	if err := b.CreateBucket(t.Context(), cacheBucket); err != nil {
		t.Fatal(err)
	}
	var big, small1, small2 []string
	for i := range 100 {
		big = append(big, fmt.Sprintf("big/%s-%04d", strings.Repeat("x", 20), i))
	}
	for i := range 100 {
		small1 = append(small1, fmt.Sprintf("s1/k%03d", i))
		small2 = append(small2, fmt.Sprintf("s2/k%03d", i))
	}
	plant(t, b, cacheBucket, big...)
	plant(t, b, cacheBucket, small1...)
	plant(t, b, cacheBucket, small2...)
	check := func(prefix string, want []string) {
		t.Helper()
		if got := listAllKeys(t, b, object.ListOptions{Prefix: prefix, MaxKeys: 50}); !slices.Equal(got, want) {
			t.Fatalf("listing of %s = %d keys, want %d", prefix, len(got), len(want))
		}
		if n := b.lists.usedBytes(); n > budget {
			t.Fatalf("cache holds %d bytes, budget %d", n, budget)
		}
	}
	check("big/", big)
	if b.lists.scans.Load() == 0 {
		t.Fatalf("a directory larger than the budget was not scanned")
	}
	for range 3 {
		check("s1/", small1)
		check("s2/", small2)
	}
	if b.lists.hits.Load() == 0 {
		t.Fatalf("no listing was served from the cache")
	}
	if reads := b.lists.reads.Load(); reads < 6 {
		t.Fatalf("%d reads: the two small listings were not evicted for each other", reads)
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.lists.usedBytes() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := b.lists.usedBytes(); n != 0 {
		t.Fatalf("cache holds %d bytes after being idle", n)
	}
}

// TestListCache_NoDescentIntoLinks: a directory link that forms a cycle is
// neither listed nor walked, whatever the path through the cache.
func TestListCache_NoDescentIntoLinks(t *testing.T) {
	for _, cached := range []bool{false, true} {
		b, dir := newCacheBackend(t, Options{})
		if cached {
			b.lists.fine, b.lists.coarse = -time.Hour, -time.Hour
		}
		putKeys(t, b, "a/b", "c")
		for name, target := range map[string]string{"loop": ".", "a/up": ".."} {
			if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		for _, opts := range []object.ListOptions{{}, {Delimiter: "/"}, {Prefix: "a/"}, {Prefix: "loop/"}, {Delimiter: "o"}} {
			got := listAllKeys(t, b, opts)
			want := modelKeys([]string{"a/b", "c"}, opts)
			if !slices.Equal(got, want) {
				t.Errorf("cached %v: ListObjects(%+v) = %q, want %q", cached, opts, got, want)
			}
		}
	}
}

// modelKeys returns the keys and common prefixes a complete listing of keys
// yields, sorted together.
func modelKeys(keys []string, opts object.ListOptions) []string {
	var out []string
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, opts.Prefix) || k <= opts.After {
			continue
		}
		if opts.Delimiter != "" {
			if i := strings.Index(k[len(opts.Prefix):], opts.Delimiter); i >= 0 {
				cp := k[:len(opts.Prefix)+i+len(opts.Delimiter)]
				if !seen[cp] {
					seen[cp] = true
					out = append(out, cp)
				}
				continue
			}
		}
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct {
		p, end string
		ok     bool
	}{
		{"a/", "a0", true},
		{"ab", "ac", true},
		{"a\xff", "b", true},
		{"\xff\xff", "", false},
		{"", "", false},
	} {
		end, ok := prefixEnd(c.p)
		if end != c.end || ok != c.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", c.p, end, ok, c.end, c.ok)
		}
	}
}
