package posix_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/objecttest"
	"github.com/sesame-s3/sesame/internal/object/posix"
)

func openBackend(t testing.TB, root string, opts posix.Options) *posix.Backend {
	t.Helper()
	b, err := posix.Open(root, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func TestConformance(t *testing.T) {
	objecttest.Run(t, func(t *testing.T) object.Backend {
		return openBackend(t, t.TempDir(), posix.Options{})
	})
}

var bg = context.Background()

func putString(t testing.TB, b *posix.Backend, bucket, key, data string, md object.Metadata) object.ObjectInfo {
	t.Helper()
	info, err := b.PutObject(bg, bucket, key, strings.NewReader(data), object.PutOptions{Size: int64(len(data)), Metadata: md})
	if err != nil {
		t.Fatalf("PutObject(%q): %v", key, err)
	}
	return info
}

func readObject(t testing.TB, b *posix.Backend, bucket, key string) (string, object.ObjectInfo) {
	t.Helper()
	r, err := b.GetObject(bg, bucket, key, object.GetOptions{})
	if err != nil {
		t.Fatalf("GetObject(%q): %v", key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("GetObject(%q): %v", key, err)
	}
	return string(data), r.Info
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func writeFile(t testing.TB, p, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func listKeys(t testing.TB, b *posix.Backend, bucket string, opts object.ListOptions) (keys []string, prefixes []string) {
	t.Helper()
	res, err := b.ListObjects(bg, bucket, opts)
	if err != nil {
		t.Fatalf("ListObjects: %v", err)
	}
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
	}
	return keys, res.CommonPrefixes
}

func wantErr(t testing.TB, err, sentinel error, what string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("%s: error = %v, want %v", what, err, sentinel)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// TestLayout checks where objects, metadata, uploads and policies live.
func TestLayout(t *testing.T) {
	root := t.TempDir()
	b := openBackend(t, root, posix.Options{})
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	putString(t, b, "bkt", "a/b", "data", object.Metadata{ContentType: "text/x-test"})
	putString(t, b, "bkt", "m/", "", object.Metadata{})
	if got, err := os.ReadFile(filepath.Join(root, "bkt", "a", "b")); err != nil || string(got) != "data" {
		t.Fatalf("data file = %q, %v", got, err)
	}
	sys := filepath.Join(root, ".sesame.sys")
	if fi, err := os.Stat(sys); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("system folder: %v, %v", fi, err)
	}
	meta, err := os.ReadFile(filepath.Join(sys, "meta", "bkt", "a.d", "b.json"))
	if err != nil || !strings.Contains(string(meta), md5hex("data")) || !strings.Contains(string(meta), "text/x-test") {
		t.Fatalf("meta file = %s, %v", meta, err)
	}
	if fi, err := os.Stat(filepath.Join(root, "bkt", "m")); err != nil || !fi.IsDir() {
		t.Fatalf("folder marker directory: %v", err)
	}
	if !exists(filepath.Join(sys, "meta", "bkt", "m.d", ".json")) {
		t.Fatalf("folder marker meta file missing")
	}
	if err := b.PutBucketPolicy(bg, "bkt", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if !exists(filepath.Join(sys, "buckets", "bkt", "policy.json")) {
		t.Fatalf("policy file missing")
	}
	id, err := b.CreateMultipartUpload(bg, "bkt", "big", object.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.UploadPart(bg, "bkt", "big", id, 7, strings.NewReader("p"), object.PutOptions{Size: 1}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"upload.json", "7", "7.json"} {
		if !exists(filepath.Join(sys, "multipart", "bkt", id, name)) {
			t.Fatalf("upload file %s missing", name)
		}
	}
	if err := b.DeleteObject(bg, "bkt", "a/b"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(root, "bkt", "a"), filepath.Join(sys, "meta", "bkt", "a.d")} {
		if exists(p) {
			t.Errorf("%s left behind after deleting a/b", p)
		}
	}
	if err := b.DeleteObject(bg, "bkt", "m/"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(root, "bkt", "m"), filepath.Join(sys, "meta", "bkt", "m.d")} {
		if exists(p) {
			t.Errorf("%s left behind after deleting m/", p)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(sys, "tmp"))
	if len(entries) != 0 {
		t.Errorf("temp folder not empty: %v", entries)
	}
}

// TestForeignFiles serves files put into the root by hand.
func TestForeignFiles(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "hand", "sub", "report.txt"), "hello by hand")
	writeFile(t, filepath.Join(root, "hand", "blob"), "bytes")
	if err := os.MkdirAll(filepath.Join(root, "hand", "empty", "deeper"), 0o755); err != nil {
		t.Fatal(err)
	}
	b := openBackend(t, root, posix.Options{})
	buckets, err := b.ListBuckets(bg)
	if err != nil || len(buckets) != 1 || buckets[0].Name != "hand" || buckets[0].Created.IsZero() {
		t.Fatalf("ListBuckets = %+v, %v", buckets, err)
	}
	info, err := b.HeadObject(bg, "hand", "sub/report.txt")
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if info.ETag != md5hex("hello by hand") || info.Size != 13 || !strings.HasPrefix(info.ContentType, "text/plain") || info.ModTime.IsZero() {
		t.Fatalf("HeadObject = %+v", info)
	}
	if !exists(filepath.Join(root, ".sesame.sys", "meta", "hand", "sub.d", "report.txt.json")) {
		t.Errorf("computed metadata was not cached")
	}
	data, info2 := readObject(t, b, "hand", "sub/report.txt")
	if data != "hello by hand" || info2.ETag != info.ETag || !info2.ModTime.Equal(info.ModTime) {
		t.Fatalf("GetObject = %q %+v", data, info2)
	}
	_, blob := readObject(t, b, "hand", "blob")
	if blob.ContentType != "application/octet-stream" || blob.ETag != md5hex("bytes") {
		t.Fatalf("blob info = %+v", blob)
	}
	res, err := b.ListObjects(bg, "hand", object.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 2 || res.Objects[0].Key != "blob" || res.Objects[1].Key != "sub/report.txt" || res.Objects[1].ETag != info.ETag {
		t.Fatalf("ListObjects = %+v", res.Objects)
	}
	// Empty directories are not objects, nor common prefixes.
	if keys, prefixes := listKeys(t, b, "hand", object.ListOptions{Delimiter: "/"}); len(keys) != 1 || len(prefixes) != 1 || prefixes[0] != "sub/" {
		t.Fatalf("ListObjects(/) = %q %q", keys, prefixes)
	}
	wantErr(t, b.DeleteBucket(bg, "hand"), object.ErrBucketNotEmpty, "DeleteBucket")
	for _, k := range []string{"blob", "sub/report.txt"} {
		if err := b.DeleteObject(bg, "hand", k); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.DeleteBucket(bg, "hand"); err != nil {
		t.Fatalf("DeleteBucket with only empty directories: %v", err)
	}
	if exists(filepath.Join(root, "hand")) {
		t.Fatalf("bucket directory left behind")
	}
}

// TestStaleMeta ignores a meta file that no longer matches its data file.
func TestStaleMeta(t *testing.T) {
	root := t.TempDir()
	b := openBackend(t, root, posix.Options{})
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	md := object.Metadata{ContentType: "application/x-api", User: map[string]string{"k": "v"}}
	putString(t, b, "bkt", "doc.html", "version 1", md)
	// Same size, new content and time, as after a crash between the data
	// and meta renames or an edit by hand.
	p := filepath.Join(root, "bkt", "doc.html")
	writeFile(t, p, "version 2")
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	data, info := readObject(t, b, "bkt", "doc.html")
	if data != "version 2" || info.ETag != md5hex("version 2") || info.User != nil || !strings.HasPrefix(info.ContentType, "text/html") || !info.ModTime.Equal(later) {
		t.Fatalf("after a change by hand: %q %+v", data, info)
	}
	// A meta file without data is not an object.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	_, err := b.HeadObject(bg, "bkt", "doc.html")
	wantErr(t, err, object.ErrObjectNotFound, "HeadObject of a meta file without data")
	if keys, _ := listKeys(t, b, "bkt", object.ListOptions{}); len(keys) != 0 {
		t.Fatalf("ListObjects = %q", keys)
	}
}

// TestOpenCleansTmp removes the leftovers of a crash on Open.
func TestOpenCleansTmp(t *testing.T) {
	root := t.TempDir()
	b, err := posix.Open(root, posix.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	putString(t, b, "bkt", "k", "kept", object.Metadata{})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(root, ".sesame.sys", "tmp")
	writeFile(t, filepath.Join(tmp, "3f2a9c-partial"), "half a body")
	writeFile(t, filepath.Join(tmp, "removed-upload", "1"), "part")
	b = openBackend(t, root, posix.Options{})
	entries, err := os.ReadDir(tmp)
	if err != nil || len(entries) != 0 {
		t.Fatalf("temp folder after Open = %v, %v", entries, err)
	}
	if data, _ := readObject(t, b, "bkt", "k"); data != "kept" {
		t.Fatalf("object after reopen = %q", data)
	}
}

// TestSymlinks checks the one behaviour of links placed by hand (see
// docs/STORAGE.md): a relative link to a regular file inside the bucket is
// an object; every other link is not, and no operation goes through a
// linked directory.
func TestSymlinks(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.txt"), "secret")
	b := openBackend(t, root, posix.Options{})
	for _, name := range []string{"bkt", "other"} {
		if err := b.CreateBucket(bg, name); err != nil {
			t.Fatal(err)
		}
	}
	md := object.Metadata{ContentType: "application/x-real", User: map[string]string{"k": "v"}}
	putString(t, b, "bkt", "real.txt", "real", md)
	putString(t, b, "bkt", "dir/in.txt", "in", object.Metadata{})
	putString(t, b, "other", "neighbour.txt", "neighbour", object.Metadata{})
	links := map[string]string{
		"escape.txt":    filepath.Join(outside, "secret.txt"),
		"escdir":        outside,
		"neighbour.txt": "../other/neighbour.txt",
		"up":            "..",
		"inside.txt":    "real.txt",
		"deep.txt":      "dir/in.txt",
		"dir/back.txt":  "../real.txt",
		"absolute.txt":  filepath.Join(root, "bkt", "real.txt"),
		"loop":          ".",
		"linkdir":       "dir",
		"dangling.txt":  "nothing.txt",
		"ping":          "pong",
		"pong":          "ping",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, "bkt", name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	served := map[string]string{"inside.txt": "real", "deep.txt": "in", "dir/back.txt": "real"}
	for key, want := range served {
		data, info := readObject(t, b, "bkt", key)
		if data != want || info.ETag != md5hex(want) || info.User != nil {
			t.Errorf("GetObject(%s) = %q %+v, want %q as a foreign file", key, data, info, want)
		}
		if head, err := b.HeadObject(bg, "bkt", key); err != nil || head.ETag != md5hex(want) {
			t.Errorf("HeadObject(%s) = %+v, %v", key, head, err)
		}
	}
	missing := []string{
		"escape.txt", "escdir/secret.txt", "neighbour.txt", "up/other/neighbour.txt", "up/.sesame.sys/meta",
		"absolute.txt", "loop/real.txt", "loop/loop/dir/in.txt", "linkdir/in.txt", "linkdir/", "loop/",
		"loop", "linkdir", "dangling.txt", "ping", "pong", "escdir/",
	}
	for _, key := range missing {
		_, err := b.HeadObject(bg, "bkt", key)
		wantErr(t, err, object.ErrObjectNotFound, "HeadObject("+key+")")
		_, err = b.GetObject(bg, "bkt", key, object.GetOptions{})
		wantErr(t, err, object.ErrObjectNotFound, "GetObject("+key+")")
	}
	wantKeys := "deep.txt,dir/back.txt,dir/in.txt,inside.txt,real.txt"
	for _, opts := range []object.ListOptions{{}, {MaxKeys: 1}, {Delimiter: "-"}} {
		var keys []string
		for {
			res, err := b.ListObjects(bg, "bkt", opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range res.Objects {
				keys = append(keys, o.Key)
			}
			if len(res.CommonPrefixes) != 0 {
				t.Errorf("ListObjects(%+v) prefixes %q", opts, res.CommonPrefixes)
			}
			if !res.IsTruncated {
				break
			}
			opts.After = res.NextAfter
		}
		if strings.Join(keys, ",") != wantKeys {
			t.Errorf("ListObjects(%+v) = %q, want %s", opts, keys, wantKeys)
		}
	}
	if keys, prefixes := listKeys(t, b, "bkt", object.ListOptions{Delimiter: "/"}); strings.Join(keys, ",") != "deep.txt,inside.txt,real.txt" || strings.Join(prefixes, ",") != "dir/" {
		t.Fatalf("ListObjects(/) = %q %q", keys, prefixes)
	}
	for _, prefix := range []string{"escdir/", "loop/", "linkdir/", "loop/dir/"} {
		if keys, prefixes := listKeys(t, b, "bkt", object.ListOptions{Prefix: prefix}); len(keys)+len(prefixes) != 0 {
			t.Errorf("ListObjects(%s) = %q %q", prefix, keys, prefixes)
		}
	}

	// Nothing is written or deleted through a linked directory.
	for _, key := range []string{"escdir/planted.txt", "loop/planted.txt", "linkdir/planted.txt", "escdir/", "loop/", "linkdir/", "loop/new/"} {
		_, err := b.PutObject(bg, "bkt", key, strings.NewReader(""), object.PutOptions{Size: 0})
		wantErr(t, err, object.ErrKeyConflict, "PutObject("+key+")")
	}
	for _, p := range []string{filepath.Join(outside, "planted.txt"), filepath.Join(root, "bkt", "planted.txt"), filepath.Join(root, "bkt", "dir", "planted.txt"), filepath.Join(root, "bkt", "new")} {
		if exists(p) {
			t.Errorf("%s was created through a link", p)
		}
	}
	for _, key := range []string{"loop/real.txt", "linkdir/in.txt", "escdir/secret.txt", "up/other/neighbour.txt"} {
		if err := b.DeleteObject(bg, "bkt", key); err != nil {
			t.Fatalf("DeleteObject(%s): %v", key, err)
		}
	}
	if data, info := readObject(t, b, "bkt", "real.txt"); data != "real" || info.ContentType != md.ContentType || info.User["k"] != "v" {
		t.Fatalf("real.txt after deletes through links = %q %+v", data, info)
	}
	if data, _ := readObject(t, b, "bkt", "dir/in.txt"); data != "in" {
		t.Fatalf("dir/in.txt after deletes through links = %q", data)
	}

	// Writing a key that is a link replaces the link; deleting a served
	// link removes the link. Targets never change.
	putString(t, b, "bkt", "inside.txt", "mine", object.Metadata{})
	putString(t, b, "bkt", "neighbour.txt", "mine too", object.Metadata{})
	putString(t, b, "bkt", "absolute.txt", "mine as well", object.Metadata{})
	for key, want := range map[string]string{"inside.txt": "mine", "neighbour.txt": "mine too", "absolute.txt": "mine as well"} {
		if fi, err := os.Lstat(filepath.Join(root, "bkt", key)); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s after PutObject: %v, %v", key, fi, err)
		}
		if data, _ := readObject(t, b, "bkt", key); data != want {
			t.Errorf("%s = %q, want %q", key, data, want)
		}
	}
	if err := b.DeleteObject(bg, "bkt", "deep.txt"); err != nil {
		t.Fatal(err)
	}
	if exists(filepath.Join(root, "bkt", "deep.txt")) {
		t.Errorf("DeleteObject left the link deep.txt")
	}
	// A link that is not an object stays, as it is not a key.
	if err := b.DeleteObject(bg, "bkt", "escape.txt"); err != nil {
		t.Fatal(err)
	}
	if !exists(filepath.Join(root, "bkt", "escape.txt")) {
		t.Errorf("DeleteObject removed a link that is not an object")
	}
	if data, _ := readObject(t, b, "bkt", "real.txt"); data != "real" {
		t.Fatalf("real.txt = %q", data)
	}
	if data, _ := readObject(t, b, "bkt", "dir/in.txt"); data != "in" {
		t.Fatalf("dir/in.txt = %q", data)
	}
	if data, _ := readObject(t, b, "other", "neighbour.txt"); data != "neighbour" {
		t.Fatalf("neighbour bucket's object = %q", data)
	}
	if got, _ := os.ReadFile(filepath.Join(outside, "secret.txt")); string(got) != "secret" {
		t.Fatalf("outside file = %q", got)
	}
	buckets, err := b.ListBuckets(bg)
	if err != nil || len(buckets) != 2 {
		t.Fatalf("ListBuckets = %+v, %v (a link is not a bucket)", buckets, err)
	}
	_, err = b.HeadBucket(bg, "linked")
	wantErr(t, err, object.ErrBucketNotFound, "HeadBucket of a link")
	_, err = b.ListObjects(bg, "linked", object.ListOptions{})
	wantErr(t, err, object.ErrBucketNotFound, "ListObjects of a link")
}

// TestHostileNames never touches anything outside the root.
func TestHostileNames(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	writeFile(t, filepath.Join(parent, "x"), "outside")
	b := openBackend(t, root, posix.Options{})
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"..", ".", "../x", ".sesame.sys", "a/b", "", "bkt/../..", "UPPER", "a\x00b"} {
		wantErr(t, b.CreateBucket(bg, name), object.ErrInvalidBucketName, "CreateBucket("+name+")")
		_, err := b.PutObject(bg, name, "k", strings.NewReader(""), object.PutOptions{Size: 0})
		wantErr(t, err, object.ErrInvalidBucketName, "PutObject to bucket "+name)
		_, err = b.ListObjects(bg, name, object.ListOptions{})
		wantErr(t, err, object.ErrInvalidBucketName, "ListObjects of bucket "+name)
	}
	keys := []string{"../x", "../../x", "a/../../x", "/x", "/etc/passwd", "..", "a/../../../../x", "./../x", "x\x00/../.."}
	for _, key := range keys {
		b.PutObject(bg, "bkt", key, strings.NewReader("evil"), object.PutOptions{Size: 4})
		b.PutObject(bg, "bkt", key+"/", strings.NewReader(""), object.PutOptions{Size: 0})
		b.DeleteObject(bg, "bkt", key)
		b.CreateMultipartUpload(bg, "bkt", key, object.PutOptions{})
	}
	for _, id := range []string{"../../x", "..", "../../../../x", "/x"} {
		b.UploadPart(bg, "bkt", "k", id, 1, strings.NewReader("evil"), object.PutOptions{Size: 4})
		b.AbortMultipartUpload(bg, "bkt", "k", id)
	}
	for _, prefix := range []string{"../", "../../", "a/../../", "/"} {
		if keys, prefixes := listKeys(t, b, "bkt", object.ListOptions{Prefix: prefix}); len(keys)+len(prefixes) != 0 {
			t.Errorf("ListObjects(prefix %q) = %q %q", prefix, keys, prefixes)
		}
	}
	entries, err := os.ReadDir(parent)
	if err != nil || len(entries) != 2 {
		t.Fatalf("parent of the root holds %v, %v", entries, err)
	}
	if got, _ := os.ReadFile(filepath.Join(parent, "x")); string(got) != "outside" {
		t.Fatalf("file outside the root = %q", got)
	}
}

// TestFileIsNotBucket: only directories with valid names are buckets.
func TestFileIsNotBucket(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "notabucket"), "a file")
	for _, dir := range []string{"Has_Upper", ".hidden", "ab", "ok-bucket"} {
		if err := os.Mkdir(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	b := openBackend(t, root, posix.Options{})
	buckets, err := b.ListBuckets(bg)
	if err != nil || len(buckets) != 1 || buckets[0].Name != "ok-bucket" {
		t.Fatalf("ListBuckets = %+v, %v", buckets, err)
	}
	_, err = b.HeadBucket(bg, "notabucket")
	wantErr(t, err, object.ErrBucketNotFound, "HeadBucket of a file")
	_, err = b.PutObject(bg, "notabucket", "k", strings.NewReader(""), object.PutOptions{Size: 0})
	wantErr(t, err, object.ErrBucketNotFound, "PutObject into a file")
	wantErr(t, b.CreateBucket(bg, "notabucket"), object.ErrBucketExists, "CreateBucket over a file")
	wantErr(t, b.DeleteBucket(bg, "notabucket"), object.ErrBucketNotFound, "DeleteBucket of a file")
	if got, _ := os.ReadFile(filepath.Join(root, "notabucket")); string(got) != "a file" {
		t.Fatalf("file at the root = %q", got)
	}
}

// TestInjectedClock stamps everything with Options.Now.
func TestInjectedClock(t *testing.T) {
	now := time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC)
	b := openBackend(t, t.TempDir(), posix.Options{Now: func() time.Time { return now }})
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	if info, err := b.HeadBucket(bg, "bkt"); err != nil || !info.Created.Equal(now) {
		t.Fatalf("HeadBucket = %+v, %v", info, err)
	}
	info := putString(t, b, "bkt", "k", "data", object.Metadata{})
	if !info.ModTime.Equal(now) {
		t.Fatalf("PutObject ModTime = %v, want %v", info.ModTime, now)
	}
	if head, err := b.HeadObject(bg, "bkt", "k"); err != nil || !head.ModTime.Equal(now) || head.ETag != md5hex("data") {
		t.Fatalf("HeadObject = %+v, %v", head, err)
	}
	if marker := putString(t, b, "bkt", "m/", "", object.Metadata{}); !marker.ModTime.Equal(now) {
		t.Fatalf("folder marker ModTime = %v", marker.ModTime)
	}
	id, err := b.CreateMultipartUpload(bg, "bkt", "mp", object.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	part, err := b.UploadPart(bg, "bkt", "mp", id, 1, strings.NewReader("p"), object.PutOptions{Size: 1})
	if err != nil || !part.ModTime.Equal(now) {
		t.Fatalf("UploadPart = %+v, %v", part, err)
	}
	uploads, err := b.ListMultipartUploads(bg, "bkt", object.ListUploadsOptions{})
	if err != nil || len(uploads.Uploads) != 1 || !uploads.Uploads[0].Initiated.Equal(now) {
		t.Fatalf("ListMultipartUploads = %+v, %v", uploads, err)
	}
	done, err := b.CompleteMultipartUpload(bg, "bkt", "mp", id, []object.CompletePart{{PartNumber: 1, ETag: part.ETag}})
	if err != nil || !done.ModTime.Equal(now) {
		t.Fatalf("CompleteMultipartUpload = %+v, %v", done, err)
	}
}

// TestFolderMarkerConflicts: "x" and "x/" cannot coexist on a file system.
func TestFolderMarkerConflicts(t *testing.T) {
	root := t.TempDir()
	b := openBackend(t, root, posix.Options{})
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	putString(t, b, "bkt", "x", "file", object.Metadata{})
	_, err := b.PutObject(bg, "bkt", "x/", strings.NewReader(""), object.PutOptions{Size: 0})
	wantErr(t, err, object.ErrKeyConflict, "folder marker over a file")
	putString(t, b, "bkt", "y/", "", object.Metadata{})
	_, err = b.PutObject(bg, "bkt", "y", strings.NewReader("file"), object.PutOptions{Size: 4})
	wantErr(t, err, object.ErrKeyConflict, "file over a folder marker")
	if _, err := b.HeadObject(bg, "bkt", "y/"); err != nil {
		t.Fatalf("folder marker after conflict: %v", err)
	}
	// An empty directory that is not a marker is not in the way.
	if err := os.MkdirAll(filepath.Join(root, "bkt", "z", "deeper"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err = b.PutObject(bg, "bkt", "z", strings.NewReader("file"), object.PutOptions{Size: 4})
	wantErr(t, err, object.ErrKeyConflict, "file over a directory with a subdirectory")
	if err := os.Remove(filepath.Join(root, "bkt", "z", "deeper")); err != nil {
		t.Fatal(err)
	}
	putString(t, b, "bkt", "z", "file", object.Metadata{})
	if data, _ := readObject(t, b, "bkt", "z"); data != "file" {
		t.Fatalf("z = %q", data)
	}
}

// TestCreateBucketDiscardsOldState: a bucket removed by hand leaves its
// policy, metadata and uploads behind; re-creating it must not revive them.
func TestCreateBucketDiscardsOldState(t *testing.T) {
	root := t.TempDir()
	b := openBackend(t, root, posix.Options{})
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	if err := b.PutBucketPolicy(bg, "bkt", []byte(`{"allow":"everyone"}`)); err != nil {
		t.Fatal(err)
	}
	putString(t, b, "bkt", "k", "old", object.Metadata{User: map[string]string{"old": "yes"}})
	if _, err := b.CreateMultipartUpload(bg, "bkt", "k", object.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "bkt")); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	_, err := b.GetBucketPolicy(bg, "bkt")
	wantErr(t, err, object.ErrNoSuchBucketPolicy, "GetBucketPolicy")
	uploads, err := b.ListMultipartUploads(bg, "bkt", object.ListUploadsOptions{})
	if err != nil || len(uploads.Uploads) != 0 {
		t.Fatalf("ListMultipartUploads = %+v, %v", uploads, err)
	}
	if exists(filepath.Join(root, ".sesame.sys", "meta", "bkt", "k.json")) {
		t.Fatalf("old metadata survived")
	}
}

// TestClosed fails cleanly after Close.
func TestClosed(t *testing.T) {
	b, err := posix.Open(t.TempDir(), posix.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateBucket(bg, "bkt"); err == nil {
		t.Fatalf("CreateBucket after Close succeeded")
	}
}

func BenchmarkBackend_PutObject4KiB(b *testing.B) {
	be := openBackend(b, b.TempDir(), posix.Options{})
	if err := be.CreateBucket(bg, "bench"); err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 256)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		key := fmt.Sprintf("dir%d/obj%d", i%16, i)
		i++
		if _, err := be.PutObject(bg, "bench", key, bytes.NewReader(data), object.PutOptions{Size: int64(len(data))}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBackend_GetObject4KiB(b *testing.B) {
	be := openBackend(b, b.TempDir(), posix.Options{})
	if err := be.CreateBucket(bg, "bench"); err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 256)
	const keys = 64
	for i := range keys {
		if _, err := be.PutObject(bg, "bench", fmt.Sprintf("dir/obj%d", i), bytes.NewReader(data), object.PutOptions{Size: int64(len(data))}); err != nil {
			b.Fatal(err)
		}
	}
	buf := make([]byte, 8192)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r, err := be.GetObject(bg, "bench", fmt.Sprintf("dir/obj%d", i%keys), object.GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		i++
		n, err := io.ReadFull(r, buf[:len(data)])
		r.Close()
		if err != nil || n != len(data) {
			b.Fatal(n, err)
		}
	}
}

// TestCompleteVerifiesParts re-checks each part's MD5 while assembling, so
// a part changed on disk behind its meta file is never assembled.
func TestCompleteVerifiesParts(t *testing.T) {
	root := t.TempDir()
	b := openBackend(t, root, posix.Options{})
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	id, err := b.CreateMultipartUpload(bg, "bkt", "k", object.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	part, err := b.UploadPart(bg, "bkt", "k", id, 1, strings.NewReader("genuine"), object.PutOptions{Size: 7})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(root, ".sesame.sys", "multipart", "bkt", id, "1")
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, "forged!") // same size, and the same time below
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	_, err = b.CompleteMultipartUpload(bg, "bkt", "k", id, []object.CompletePart{{PartNumber: 1, ETag: part.ETag}})
	wantErr(t, err, object.ErrInvalidPart, "CompleteMultipartUpload with a forged part")
	_, err = b.HeadObject(bg, "bkt", "k")
	wantErr(t, err, object.ErrObjectNotFound, "HeadObject after a failed complete")
}
