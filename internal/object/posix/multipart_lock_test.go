//go:build linux

package posix

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func TestTryLockRange(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	open := func() *os.File {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	a, b, c := open(), open(), open()
	if err := tryLockRange(a, 100, 100); err != nil {
		t.Fatalf("first lock: %v", err)
	}
	// Two files of one process exclude each other, unlike POSIX record locks.
	if tryLockRange(b, 150, 100) == nil {
		t.Fatalf("overlapping lock through another open file succeeded")
	}
	if err := tryLockRange(b, 200, 100); err != nil {
		t.Fatalf("adjacent lock: %v", err)
	}
	if tryLockRange(c, 0, 0) == nil {
		t.Fatalf("whole-file lock succeeded over held ranges")
	}
	a.Close()
	b.Close()
	if err := tryLockRange(c, 0, 0); err != nil {
		t.Fatalf("whole-file lock after the holders closed: %v", err)
	}
}

// TestInPlace_BusySlots checks that parts and completions never wait for,
// nor write over, a slot another request holds: the part is spooled and
// the completion copies.
func TestInPlace_BusySlots(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	id, err := b.CreateMultipartUpload(ctx, "bkt", "k", object.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := b.uploadPath("bkt", id)
	const s = object.MinPartSize
	put := func(n int, data []byte) object.CompletePart {
		t.Helper()
		p, err := b.UploadPart(ctx, "bkt", "k", id, n, bytes.NewReader(data), object.PutOptions{Size: int64(len(data))})
		if err != nil {
			t.Fatalf("UploadPart(%d): %v", n, err)
		}
		return object.CompletePart{PartNumber: n, ETag: p.ETag}
	}
	p1 := bytes.Repeat([]byte{1}, s)
	p2 := bytes.Repeat([]byte{2}, s)
	parts := []object.CompletePart{put(1, p1)}

	holder, err := os.OpenFile(filepath.Join(dir, dataFileName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	if err := tryLockRange(holder, s, s); err != nil {
		t.Fatal(err)
	}
	parts = append(parts, put(2, p2))
	if m, err := readPartRecord(dir, 2); err != nil || m.Slot {
		t.Fatalf("part 2 written into a locked slot (record %+v, %v)", m, err)
	}
	data, err := os.Stat(filepath.Join(dir, dataFileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CompleteMultipartUpload(ctx, "bkt", "k", id, parts); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	obj, err := os.Stat(filepath.Join(root, "bkt", "k"))
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(obj, data) {
		t.Fatalf("completion took a data file whose slot was locked")
	}
	got, err := os.ReadFile(filepath.Join(root, "bkt", "k"))
	if err != nil || !bytes.Equal(got, append(p1, p2...)) {
		t.Fatalf("object: %d bytes, %v", len(got), err)
	}
}
