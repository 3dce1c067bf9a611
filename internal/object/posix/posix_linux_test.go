package posix_test

import (
	"path/filepath"
	"syscall"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/posix"
)

// TestSpecialFiles ignores FIFOs (opening one must not block) and other
// files that are neither regular files nor directories.
func TestSpecialFiles(t *testing.T) {
	root := t.TempDir()
	b := openBackend(t, root, posix.Options{})
	if err := b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	putString(t, b, "bkt", "real", "data", object.Metadata{})
	if err := syscall.Mkfifo(filepath.Join(root, "bkt", "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := b.GetObject(bg, "bkt", "fifo", object.GetOptions{})
	wantErr(t, err, object.ErrObjectNotFound, "GetObject of a FIFO")
	_, err = b.HeadObject(bg, "bkt", "fifo")
	wantErr(t, err, object.ErrObjectNotFound, "HeadObject of a FIFO")
	if keys, _ := listKeys(t, b, "bkt", object.ListOptions{}); len(keys) != 1 || keys[0] != "real" {
		t.Fatalf("ListObjects = %q", keys)
	}
	if err := b.DeleteObject(bg, "bkt", "real"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, b.DeleteBucket(bg, "bkt"), object.ErrBucketNotEmpty, "DeleteBucket with a FIFO")
}
