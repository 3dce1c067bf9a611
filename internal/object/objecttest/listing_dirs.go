package objecttest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

// dirKeys is a larger key set for paging tests: one directory with many
// keys, names that sort around its subdirectories ("k-" < "k.x" < "k/..."
// < "k00"), a folder marker with content, and siblings of the directory
// itself ("big-file" < "big.txt" < "big/..." < "big0" < "big1/x").
func dirKeys() []string {
	keys := []string{
		"big-file", "big.txt", "big0", "big1/x",
		"big/k-", "big/k.x", "big/k/0", "big/k/sub/1", "big/k/sub/2", "big/k/z",
		"big/k0/x", "big/m/", "big/m/inner", "big/z/",
	}
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("big/k%02d", i))
	}
	return keys
}

// putAllParallel stores keys like putAll, a few at a time.
func putAllParallel(t *testing.T, b object.Backend, keys []string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(keys))
	work := make(chan string)
	for range 4 {
		wg.Go(func() {
			for k := range work {
				data := k
				if k[len(k)-1] == '/' {
					data = ""
				}
				if _, err := b.PutObject(t.Context(), testBucket, k, strings.NewReader(data), object.PutOptions{Size: int64(len(data))}); err != nil {
					errs <- fmt.Errorf("PutObject(%q): %w", k, err)
				}
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// testListManyKeysAcrossDirectories pages through a directory of dozens of
// keys with subdirectories, with continuation from NextAfter, start-after
// positions inside and between directories, and prefixes and delimiters
// that cut across directory boundaries.
func testListManyKeysAcrossDirectories(t *testing.T, b object.Backend) {
	newBucket(t, b)
	keys := dirKeys()
	putAllParallel(t, b, keys)
	prefixes := []string{"", "big", "big/", "big/k", "big/k/", "big/k0", "big/m"}
	delims := []string{"", "/", "k", "-"}
	afters := []string{"", "big-file", "big/", "big/k/", "big/k/sub/1", "big/k17", "big/k39", "big/m/", "big0"}
	for _, p := range prefixes {
		for _, d := range delims {
			for _, a := range afters {
				for _, max := range []int{0, 7} {
					opts := object.ListOptions{Prefix: p, Delimiter: d, After: a, MaxKeys: max}
					gotKeys, gotPrefixes := listAll(t, b, testBucket, opts)
					wantKeys, wantPrefixes := modelList(keys, opts)
					if !equalStrings(gotKeys, wantKeys) || !equalStrings(gotPrefixes, wantPrefixes) {
						t.Errorf("ListObjects(%+v) =\n  %q %q\nwant\n  %q %q", opts, gotKeys, gotPrefixes, wantKeys, wantPrefixes)
					}
				}
			}
		}
	}
}

// testListPagingWhileWriting changes the bucket between pages, before and
// after the position reached: keys present throughout are listed exactly
// once, and every page continues strictly after the previous one.
func testListPagingWhileWriting(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	var stable []string
	for i := range 16 {
		stable = append(stable, fmt.Sprintf("w/a%02d", i*2), fmt.Sprintf("w/d%d/x", i%4))
	}
	stable = append(dedupe(stable), "w-", "w0")
	putAllParallel(t, b, stable)
	for _, opts := range []object.ListOptions{{Prefix: "w", MaxKeys: 3}, {Prefix: "w/", Delimiter: "/", MaxKeys: 2}} {
		var listed, transient []string
		for page := 0; ; page++ {
			if page > 100 {
				t.Fatalf("ListObjects(%+v): paging does not end", opts)
			}
			res, err := b.ListObjects(ctx, testBucket, opts)
			if err != nil {
				t.Fatalf("ListObjects(%+v): %v", opts, err)
			}
			for _, o := range res.Objects {
				listed = append(listed, o.Key)
			}
			listed = append(listed, res.CommonPrefixes...)
			for _, k := range listed[len(listed)-len(res.Objects)-len(res.CommonPrefixes):] {
				if k <= opts.After {
					t.Errorf("ListObjects(%+v) while writing returned %q, not after %q", opts, k, opts.After)
				}
			}
			if !res.IsTruncated {
				break
			}
			opts.After = res.NextAfter
			// Add a key just before the position and one just after it,
			// and remove the transient keys added before.
			for _, k := range transient {
				if err := b.DeleteObject(ctx, testBucket, k); err != nil {
					t.Fatalf("DeleteObject(%q): %v", k, err)
				}
			}
			transient = []string{
				fmt.Sprintf("w/a%02d-new", page),
				fmt.Sprintf("w/d%d/new%d", page%4, page),
				res.NextAfter + "-later",
			}
			putAll(t, b, transient)
		}
		want, wantPrefixes := modelList(stable, object.ListOptions{Prefix: opts.Prefix, Delimiter: opts.Delimiter})
		want = append(want, wantPrefixes...)
		for _, k := range want {
			if n := count(listed, k); n != 1 {
				t.Errorf("ListObjects(%+v) while writing: %q listed %d times", opts, k, n)
			}
		}
		if sorted := slices.Sorted(slices.Values(listed)); !slices.Equal(sorted, slices.Compact(slices.Clone(sorted))) {
			t.Errorf("ListObjects(%+v) while writing listed duplicates: %q", opts, listed)
		}
		for _, k := range transient {
			b.DeleteObject(ctx, testBucket, k)
		}
	}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
