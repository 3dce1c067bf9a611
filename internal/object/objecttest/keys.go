package objecttest

import (
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func keyTests() []subtest {
	return []subtest{
		{"Key/Characters", testKeyCharacters},
		{"Key/Nested", testKeyNested},
		{"Key/FolderMarkers", testKeyFolderMarkers},
		{"Key/FolderMarkerWithData", testKeyFolderMarkerWithData},
		{"Key/Invalid", testKeyInvalid},
		{"Key/TooLong", testKeyTooLong},
		{"Key/LongSegments", testKeyLongSegments},
		{"Key/Conflicts", testKeyConflicts},
		{"Key/SidecarLookalikes", testKeySidecarLookalikes},
	}
}

func testKeyCharacters(t *testing.T, b object.Backend) {
	newBucket(t, b)
	keys := []string{
		"hello world.txt",
		"a+b=c",
		"100%",
		"%2F%2e%2e",
		"ünïcødé/日本語.txt",
		"emoji-😀",
		"tab\there",
		"new\nline",
		"back\\slash",
		"semi;colon&amp?q=1#frag",
		"~tilde",
		"...",
		"..a",
		".hidden",
		"x/.dotfile",
		"trailing.",
		" leading-space",
		"*?<>|\"'",
	}
	for i, k := range keys {
		put(t, b, k, k+string(rune('a'+i)))
	}
	for i, k := range keys {
		wantContent(t, b, k, k+string(rune('a'+i)))
	}
	got, _ := listAll(t, b, testBucket, object.ListOptions{})
	want, _ := modelList(keys, object.ListOptions{})
	if !equalStrings(got, want) {
		t.Fatalf("ListObjects = %q, want %q", got, want)
	}
}

func testKeyNested(t *testing.T, b object.Backend) {
	newBucket(t, b)
	keys := []string{"a/b/c", "a/b/d", "a/e", "f/g/h/i/j/k"}
	for _, k := range keys {
		put(t, b, k, "<"+k+">")
	}
	for _, k := range keys {
		wantContent(t, b, k, "<"+k+">")
	}
	wantMissing(t, b, "a/b")
	wantMissing(t, b, "a")
}

func testKeyFolderMarkers(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	info := put(t, b, "dir/", "")
	if info.Size != 0 || info.ETag != emptyETag || info.Key != "dir/" {
		t.Fatalf("folder marker info = %+v", info)
	}
	head, err := b.HeadObject(ctx, testBucket, "dir/")
	if err != nil {
		t.Fatalf("HeadObject(dir/): %v", err)
	}
	if head.Size != 0 || head.ETag != emptyETag {
		t.Errorf("HeadObject(dir/) = %+v", head)
	}
	wantContent(t, b, "dir/", "")
	wantMissing(t, b, "dir")

	check := func(opts object.ListOptions, wantKeys, wantPrefixes []string) {
		t.Helper()
		keys, prefixes := listAll(t, b, testBucket, opts)
		if !equalStrings(keys, wantKeys) || !equalStrings(prefixes, wantPrefixes) {
			t.Errorf("ListObjects(%+v) = %q %q, want %q %q", opts, keys, prefixes, wantKeys, wantPrefixes)
		}
	}
	check(object.ListOptions{}, []string{"dir/"}, nil)
	check(object.ListOptions{Delimiter: "/"}, nil, []string{"dir/"})
	check(object.ListOptions{Prefix: "dir/", Delimiter: "/"}, []string{"dir/"}, nil)
	check(object.ListOptions{Prefix: "dir/"}, []string{"dir/"}, nil)
	check(object.ListOptions{Prefix: "dir"}, []string{"dir/"}, nil)

	put(t, b, "dir/file", "x")
	put(t, b, "deep/er/", "")
	check(object.ListOptions{}, []string{"deep/er/", "dir/", "dir/file"}, nil)
	check(object.ListOptions{Prefix: "dir/", Delimiter: "/"}, []string{"dir/", "dir/file"}, nil)
	check(object.ListOptions{Delimiter: "/"}, nil, []string{"deep/", "dir/"})
	check(object.ListOptions{Prefix: "deep/", Delimiter: "/"}, nil, []string{"deep/er/"})
	check(object.ListOptions{After: "dir/"}, []string{"dir/file"}, nil)

	if err := b.DeleteObject(ctx, testBucket, "dir/file"); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	check(object.ListOptions{}, []string{"deep/er/", "dir/"}, nil) // the marker stays
	put(t, b, "dir/file", "x")
	if err := b.DeleteObject(ctx, testBucket, "dir/"); err != nil {
		t.Fatalf("DeleteObject(dir/): %v", err)
	}
	check(object.ListOptions{}, []string{"deep/er/", "dir/file"}, nil) // the content stays
	wantMissing(t, b, "dir/")
	for _, k := range []string{"dir/file", "deep/er/"} {
		if err := b.DeleteObject(ctx, testBucket, k); err != nil {
			t.Fatalf("DeleteObject(%q): %v", k, err)
		}
	}
	check(object.ListOptions{}, nil, nil)
	check(object.ListOptions{Delimiter: "/"}, nil, nil)
}

func testKeyFolderMarkerWithData(t *testing.T, b object.Backend) {
	newBucket(t, b)
	_, err := b.PutObject(t.Context(), testBucket, "dir/", strings.NewReader("data"), object.PutOptions{Size: 4})
	wantErr(t, err, object.ErrInvalidKey, "PutObject(dir/) with data")
	_, err = b.PutObject(t.Context(), testBucket, "dir/", strings.NewReader("data"), object.PutOptions{Size: -1})
	wantErr(t, err, object.ErrInvalidKey, "PutObject(dir/) with data of unknown size")
	wantMissing(t, b, "dir/")
}

func testKeyInvalid(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	keys := []string{
		"",
		"/",
		"/a",
		"../x",
		"..",
		".",
		"a/../b",
		"a/..",
		"./a",
		"a/./b",
		"a//b",
		"a//",
		"a\x00b",
		strings.Repeat("s", 256),
		"dir/" + strings.Repeat("s", 256) + "/x",
	}
	for _, k := range keys {
		_, err := b.PutObject(ctx, testBucket, k, strings.NewReader(""), object.PutOptions{Size: 0})
		wantErr(t, err, object.ErrInvalidKey, "PutObject(%q)", k)
		_, err = b.HeadObject(ctx, testBucket, k)
		wantErr(t, err, object.ErrInvalidKey, "HeadObject(%q)", k)
		r, err := b.GetObject(ctx, testBucket, k, object.GetOptions{})
		if err == nil {
			r.Close()
		}
		wantErr(t, err, object.ErrInvalidKey, "GetObject(%q)", k)
		_, err = b.CreateMultipartUpload(ctx, testBucket, k, object.PutOptions{})
		wantErr(t, err, object.ErrInvalidKey, "CreateMultipartUpload(%q)", k)
	}
	keysOut, prefixes := listAll(t, b, testBucket, object.ListOptions{})
	if len(keysOut)+len(prefixes) != 0 {
		t.Fatalf("invalid keys left objects behind: %q %q", keysOut, prefixes)
	}
}

func testKeyTooLong(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	long := strings.Repeat("abcdefghi/", 102) + "abcde" // 1025 bytes, short segments
	if len(long) != object.MaxKeyLength+1 {
		t.Fatalf("test key has %d bytes", len(long))
	}
	_, err := b.PutObject(ctx, testBucket, long, strings.NewReader("x"), object.PutOptions{Size: 1})
	wantErr(t, err, object.ErrKeyTooLong, "PutObject of a 1025-byte key")
	_, err = b.HeadObject(ctx, testBucket, long)
	wantErr(t, err, object.ErrKeyTooLong, "HeadObject of a 1025-byte key")
	_, err = b.PutObject(ctx, testBucket, strings.Repeat("x", 1025), strings.NewReader("x"), object.PutOptions{Size: 1})
	wantErr(t, err, object.ErrKeyTooLong, "PutObject of a 1025-byte single-segment key")
	ok := long[:object.MaxKeyLength]
	put(t, b, ok, "x")
	wantContent(t, b, ok, "x")
}

func testKeyLongSegments(t *testing.T, b object.Backend) {
	newBucket(t, b)
	seg := strings.Repeat("L", 255)
	keys := []string{seg, "d/" + seg, seg[1:] + "x/" + seg + "/f", seg[1:] + "y/", "m/" + seg + "/"}
	for _, k := range keys {
		put(t, b, k, "")
	}
	for _, k := range keys {
		wantContent(t, b, k, "")
	}
	got, _ := listAll(t, b, testBucket, object.ListOptions{})
	want, _ := modelList(keys, object.ListOptions{})
	if !equalStrings(got, want) {
		t.Fatalf("ListObjects = %q, want %q", got, want)
	}
}

func testKeyConflicts(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	put(t, b, "a", "file a")
	_, err := b.PutObject(ctx, testBucket, "a/b", strings.NewReader("x"), object.PutOptions{Size: 1})
	wantErr(t, err, object.ErrKeyConflict, "PutObject(a/b) below object a")
	_, err = b.PutObject(ctx, testBucket, "a/b/c", strings.NewReader("x"), object.PutOptions{Size: 1})
	wantErr(t, err, object.ErrKeyConflict, "PutObject(a/b/c) below object a")
	wantContent(t, b, "a", "file a")

	put(t, b, "c/d", "file c/d")
	_, err = b.PutObject(ctx, testBucket, "c", strings.NewReader("x"), object.PutOptions{Size: 1})
	wantErr(t, err, object.ErrKeyConflict, "PutObject(c) above object c/d")
	wantContent(t, b, "c/d", "file c/d")
	wantMissing(t, b, "c")

	// Once the conflicting object is gone, the key is free again.
	if err := b.DeleteObject(ctx, testBucket, "c/d"); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	put(t, b, "c", "file c")
	wantContent(t, b, "c", "file c")
	if err := b.DeleteObject(ctx, testBucket, "a"); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	put(t, b, "a/b", "file a/b")
	wantContent(t, b, "a/b", "file a/b")
}

// testKeySidecarLookalikes stores keys that look like the names a backend
// might use for its own bookkeeping next to the data.
func testKeySidecarLookalikes(t *testing.T, b object.Backend) {
	newBucket(t, b)
	keys := []string{
		"a", "a.json/x", "a.d/y", "a.hd/z", "a.hj",
		"b.json", "b/c", "b/.json", "b.d",
		".json", "x/.json", "x/", "x/.d", "upload.json", "policy.json", ".sesame.sys",
		"y/.sesame.sys/z",
	}
	body := func(k string) string {
		if strings.HasSuffix(k, "/") {
			return "" // a folder marker
		}
		return "<" + k + ">"
	}
	for _, k := range keys {
		put(t, b, k, body(k))
	}
	for _, k := range keys {
		wantContent(t, b, k, body(k))
	}
	got, _ := listAll(t, b, testBucket, object.ListOptions{})
	want, _ := modelList(keys, object.ListOptions{})
	if !equalStrings(got, want) {
		t.Fatalf("ListObjects = %q, want %q", got, want)
	}
}
