package posix_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/posix"
)

// TestPutObjectTags_ForeignAndChanged checks tags on a file placed by
// hand (its meta file is computed first) and that tags never outlive a
// change of the data by hand: the meta file, tags included, is then stale.
func TestPutObjectTags_ForeignAndChanged(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "hand", "dir", "f.txt")
	writeFile(t, p, "by hand")
	b := openBackend(t, root, posix.Options{})
	tags := []object.Tag{{Key: "a", Value: "1"}}
	if err := b.PutObjectTags(bg, "hand", "dir/f.txt", tags); err != nil {
		t.Fatalf("PutObjectTags of a foreign file: %v", err)
	}
	info, err := b.HeadObject(bg, "hand", "dir/f.txt")
	if err != nil || !slices.Equal(info.Tags, tags) || info.ETag != md5hex("by hand") {
		t.Fatalf("HeadObject = %+v, %v", info, err)
	}
	if data, _ := readObject(t, b, "hand", "dir/f.txt"); data != "by hand" {
		t.Fatalf("data = %q", data)
	}
	// Changed by hand: the old meta file, and its tags, no longer apply.
	if err := os.WriteFile(p, []byte("changed by hand"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	info, err = b.HeadObject(bg, "hand", "dir/f.txt")
	if err != nil || len(info.Tags) != 0 || info.ETag != md5hex("changed by hand") {
		t.Fatalf("HeadObject after a change by hand = %+v, %v", info, err)
	}
}
