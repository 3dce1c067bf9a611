package posix_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/posix"
)

// TestVersions_Layout checks the on-disk layout of versions: the current
// version is the plain file at the key's path, noncurrent ones live under
// .sesame.sys/versions, and nothing is left once every version is gone.
func TestVersions_Layout(t *testing.T) {
	root := t.TempDir()
	b := openBackend(t, root, posix.Options{})
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	put := func(data string, v object.Versioning) object.ObjectInfo {
		t.Helper()
		info, err := b.PutObject(bg, "bkt", "a/k", strings.NewReader(data), object.PutOptions{Size: int64(len(data)), Versioning: v})
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	v1 := put("one", object.VersioningEnabled)
	v2 := put("two", object.VersioningEnabled)
	if data, err := os.ReadFile(filepath.Join(root, "bkt", "a", "k")); err != nil || string(data) != "two" {
		t.Fatalf("file at the key = %q, %v; want the current version", data, err)
	}
	vdir := filepath.Join(root, ".sesame.sys", "versions", "bkt")
	if data, err := os.ReadFile(filepath.Join(vdir, "a.d", "k.json", v1.VersionID)); err != nil || string(data) != "one" {
		t.Fatalf("noncurrent version file = %q, %v", data, err)
	}
	put("null", object.VersioningSuspended)
	del, err := b.DeleteObjectWith(bg, "bkt", "a/k", object.DeleteOptions{Versioning: object.VersioningSuspended})
	if err != nil || del.VersionID != object.NullVersionID {
		t.Fatalf("suspended delete = %+v, %v", del, err)
	}
	if _, err := os.Lstat(filepath.Join(root, "bkt", "a")); !os.IsNotExist(err) {
		t.Fatalf("the key's directory is left after its delete: %v", err)
	}
	for _, id := range []string{v1.VersionID, v2.VersionID, object.NullVersionID} {
		if _, err := b.DeleteObjectWith(bg, "bkt", "a/k", object.DeleteOptions{VersionID: id}); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(vdir)
	if len(entries) != 0 {
		t.Fatalf("versions folder keeps %d entries after every version went", len(entries))
	}
	if err := b.DeleteBucket(bg, "bkt"); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
}
