package objecttest

import (
	"fmt"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func listTests() []subtest {
	return []subtest{
		{"List/Order", testListOrder},
		{"List/Info", testListInfo},
		{"List/PrefixDelimiter", testListPrefixDelimiter},
		{"List/PartialPrefix", testListPartialPrefix},
		{"List/Model", testListModel},
		{"List/Paging", testListPaging},
		{"List/EmptyBucket", testListEmptyBucket},
		{"List/AfterDelete", testListAfterDelete},
		{"List/ManyKeysAcrossDirectories", testListManyKeysAcrossDirectories},
		{"List/PagingWhileWriting", testListPagingWhileWriting},
	}
}

// listKeys is a key set with names that sort differently from a naive
// directory walk: '-' and '.' sort before '/', '0' after it, so "a/c-"
// comes before "a/c/d".
var listKeys = []string{
	"A",
	"a-b",
	"a.b",
	"a/b",
	"a/c/d",
	"a/c/e",
	"a/c-",
	"a0",
	"b",
	"photos/2023/jan.jpg",
	"photos/2024/feb.jpg",
	"photos/2024/mar.jpg",
	"photos/cover.jpg",
	"photoshop.psd",
	"z/",
	"z/z/z",
}

func putAll(t *testing.T, b object.Backend, keys []string) {
	t.Helper()
	for _, k := range keys {
		data := k
		if k[len(k)-1] == '/' {
			data = ""
		}
		put(t, b, k, data)
	}
}

func testListOrder(t *testing.T, b object.Backend) {
	newBucket(t, b)
	putAll(t, b, listKeys)
	res, err := b.ListObjects(t.Context(), testBucket, object.ListOptions{})
	if err != nil {
		t.Fatalf("ListObjects: %v", err)
	}
	var got []string
	for _, o := range res.Objects {
		got = append(got, o.Key)
	}
	want, _ := modelList(listKeys, object.ListOptions{})
	if !equalStrings(got, want) || res.IsTruncated || len(res.CommonPrefixes) != 0 {
		t.Fatalf("ListObjects = %q (truncated %v, prefixes %q), want %q", got, res.IsTruncated, res.CommonPrefixes, want)
	}
}

func testListInfo(t *testing.T, b object.Backend) {
	newBucket(t, b)
	infos := map[string]object.ObjectInfo{}
	for _, k := range []string{"one", "dir/two", "three/"} {
		data := "data of " + k
		if k == "three/" {
			data = ""
		}
		infos[k] = put(t, b, k, data)
	}
	res, err := b.ListObjects(t.Context(), testBucket, object.ListOptions{})
	if err != nil {
		t.Fatalf("ListObjects: %v", err)
	}
	if len(res.Objects) != len(infos) {
		t.Fatalf("ListObjects returned %d objects, want %d", len(res.Objects), len(infos))
	}
	for _, o := range res.Objects {
		want := infos[o.Key]
		if o.Bucket != testBucket || o.Size != want.Size || o.ETag != want.ETag || !o.ModTime.Equal(want.ModTime) {
			t.Errorf("listed %+v, want %+v", o, want)
		}
	}
}

func testListPrefixDelimiter(t *testing.T, b object.Backend) {
	newBucket(t, b)
	putAll(t, b, listKeys)
	cases := []struct {
		opts     object.ListOptions
		keys     []string
		prefixes []string
	}{
		{object.ListOptions{Delimiter: "/"}, []string{"A", "a-b", "a.b", "a0", "b", "photoshop.psd"}, []string{"a/", "photos/", "z/"}},
		{object.ListOptions{Prefix: "a/", Delimiter: "/"}, []string{"a/b", "a/c-"}, []string{"a/c/"}},
		{object.ListOptions{Prefix: "a/c"}, []string{"a/c-", "a/c/d", "a/c/e"}, nil},
		{object.ListOptions{Prefix: "a/c", Delimiter: "/"}, []string{"a/c-"}, []string{"a/c/"}},
		{object.ListOptions{Prefix: "photos/", Delimiter: "/"}, []string{"photos/cover.jpg"}, []string{"photos/2023/", "photos/2024/"}},
		{object.ListOptions{Prefix: "photos/2024/"}, []string{"photos/2024/feb.jpg", "photos/2024/mar.jpg"}, nil},
		{object.ListOptions{Prefix: "photos/2024/m"}, []string{"photos/2024/mar.jpg"}, nil},
		{object.ListOptions{Prefix: "nothing/"}, nil, nil},
		{object.ListOptions{Prefix: "b/"}, nil, nil},
		{object.ListOptions{Prefix: "b"}, []string{"b"}, nil},
		{object.ListOptions{Prefix: "z/", Delimiter: "/"}, []string{"z/"}, []string{"z/z/"}},
		{object.ListOptions{Delimiter: "-"}, []string{"A", "a.b", "a/b", "a/c/d", "a/c/e", "a0", "b", "photos/2023/jan.jpg", "photos/2024/feb.jpg", "photos/2024/mar.jpg", "photos/cover.jpg", "photoshop.psd", "z/", "z/z/z"}, []string{"a-", "a/c-"}},
		{object.ListOptions{Delimiter: "o"}, []string{"A", "a-b", "a.b", "a/b", "a/c-", "a/c/d", "a/c/e", "a0", "b", "z/", "z/z/z"}, []string{"pho"}},
		{object.ListOptions{Prefix: "photos", Delimiter: "/2"}, []string{"photos/cover.jpg", "photoshop.psd"}, []string{"photos/2"}},
		{object.ListOptions{After: "a/c/d"}, []string{"a/c/e", "a0", "b", "photos/2023/jan.jpg", "photos/2024/feb.jpg", "photos/2024/mar.jpg", "photos/cover.jpg", "photoshop.psd", "z/", "z/z/z"}, nil},
		{object.ListOptions{Delimiter: "/", After: "a/"}, []string{"a0", "b", "photoshop.psd"}, []string{"photos/", "z/"}},
		{object.ListOptions{Delimiter: "/", After: "a-b"}, []string{"a.b", "a0", "b", "photoshop.psd"}, []string{"a/", "photos/", "z/"}},
	}
	for _, c := range cases {
		keys, prefixes := listAll(t, b, testBucket, c.opts)
		if !equalStrings(keys, c.keys) || !equalStrings(prefixes, c.prefixes) {
			t.Errorf("ListObjects(%+v) =\n  %q %q\nwant\n  %q %q", c.opts, keys, prefixes, c.keys, c.prefixes)
		}
		// The table and the model must agree too.
		mk, mp := modelList(listKeys, c.opts)
		if !equalStrings(mk, c.keys) || !equalStrings(mp, c.prefixes) {
			t.Errorf("model(%+v) = %q %q disagrees with the table", c.opts, mk, mp)
		}
	}
}

func testListPartialPrefix(t *testing.T, b object.Backend) {
	newBucket(t, b)
	putAll(t, b, []string{"photos/a.jpg", "photos/b/c.jpg", "photoshop.psd", "phone", "pi"})
	keys, prefixes := listAll(t, b, testBucket, object.ListOptions{Prefix: "ph", Delimiter: "/"})
	if !equalStrings(keys, []string{"phone", "photoshop.psd"}) || !equalStrings(prefixes, []string{"photos/"}) {
		t.Fatalf("ListObjects(ph, /) = %q %q", keys, prefixes)
	}
	keys, _ = listAll(t, b, testBucket, object.ListOptions{Prefix: "ph"})
	if !equalStrings(keys, []string{"phone", "photos/a.jpg", "photos/b/c.jpg", "photoshop.psd"}) {
		t.Fatalf("ListObjects(ph) = %q", keys)
	}
	keys, _ = listAll(t, b, testBucket, object.ListOptions{Prefix: "photos/b"})
	if !equalStrings(keys, []string{"photos/b/c.jpg"}) {
		t.Fatalf("ListObjects(photos/b) = %q", keys)
	}
}

// testListModel compares many option combinations with modelList.
func testListModel(t *testing.T, b object.Backend) {
	newBucket(t, b)
	putAll(t, b, listKeys)
	prefixes := []string{"", "a", "a/", "a/c", "a/c/", "p", "photos/", "photos/2024/", "z", "z/", "zz", "photos/2024/mar.jpg"}
	delims := []string{"", "/", "-", ".", "/2", "c"}
	afters := []string{"", "A", "a", "a/", "a/c", "a/c/", "a/c/d", "a0", "photos/", "photos/2024/", "photos/2024/z", "photoshop.psd", "z/", "zzz"}
	for _, p := range prefixes {
		for _, d := range delims {
			for _, a := range afters {
				opts := object.ListOptions{Prefix: p, Delimiter: d, After: a}
				keys, cps := listAll(t, b, testBucket, opts)
				wk, wp := modelList(listKeys, opts)
				if !equalStrings(keys, wk) || !equalStrings(cps, wp) {
					t.Errorf("ListObjects(%+v) = %q %q, want %q %q", opts, keys, cps, wk, wp)
				}
			}
		}
	}
}

func testListPaging(t *testing.T, b object.Backend) {
	newBucket(t, b)
	keys := append([]string{}, listKeys...)
	for i := range 12 {
		keys = append(keys, fmt.Sprintf("many/%02d", i), fmt.Sprintf("many/sub%d/x", i%3))
	}
	putAll(t, b, dedupe(keys))
	keys = dedupe(keys)
	for _, delim := range []string{"", "/"} {
		for _, prefix := range []string{"", "many/", "a"} {
			for _, pageSize := range []int{1, 2, 3, 7} {
				opts := object.ListOptions{Prefix: prefix, Delimiter: delim, MaxKeys: pageSize}
				gotKeys, gotPrefixes := listAll(t, b, testBucket, opts)
				wantKeys, wantPrefixes := modelList(keys, opts)
				if !equalStrings(gotKeys, wantKeys) || !equalStrings(gotPrefixes, wantPrefixes) {
					t.Errorf("paged ListObjects(%+v) =\n  %q %q\nwant\n  %q %q", opts, gotKeys, gotPrefixes, wantKeys, wantPrefixes)
				}
			}
		}
	}
	// An exact fit is not truncated, or its next page is empty.
	res, err := b.ListObjects(t.Context(), testBucket, object.ListOptions{Prefix: "a/c/", MaxKeys: 2})
	if err != nil {
		t.Fatalf("ListObjects: %v", err)
	}
	if len(res.Objects) != 2 {
		t.Fatalf("ListObjects(a/c/, 2) = %d objects", len(res.Objects))
	}
	if res.IsTruncated {
		t.Errorf("ListObjects(a/c/, 2) with exactly 2 keys is truncated")
	}
}

func dedupe(keys []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func testListEmptyBucket(t *testing.T, b object.Backend) {
	newBucket(t, b)
	res, err := b.ListObjects(t.Context(), testBucket, object.ListOptions{Delimiter: "/"})
	if err != nil {
		t.Fatalf("ListObjects: %v", err)
	}
	if len(res.Objects) != 0 || len(res.CommonPrefixes) != 0 || res.IsTruncated {
		t.Fatalf("ListObjects of an empty bucket = %+v", res)
	}
}

func testListAfterDelete(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	putAll(t, b, []string{"x/y/z", "x/y2/z", "k"})
	for _, k := range []string{"x/y/z", "x/y2/z"} {
		if err := b.DeleteObject(ctx, testBucket, k); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
	}
	for _, opts := range []object.ListOptions{{Delimiter: "/"}, {}, {Prefix: "x/", Delimiter: "/"}, {Prefix: "x"}} {
		keys, prefixes := listAll(t, b, testBucket, opts)
		want, _ := modelList([]string{"k"}, opts)
		if !equalStrings(keys, want) || len(prefixes) != 0 {
			t.Errorf("ListObjects(%+v) after deletes = %q %q, want %q", opts, keys, prefixes, want)
		}
	}
}
