//go:build linux

package posix_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/posix"
)

const mib = 1 << 20

// partData returns size bytes unique to seed.
func partData(size int, seed byte) []byte {
	out := make([]byte, size)
	for i := range out {
		out[i] = seed + byte(i*7+i/4096)
	}
	return out
}

// inPlaceEnv is a backend with bucket "bkt" whose temp folder must be
// empty when the test ends.
type inPlaceEnv struct {
	t    *testing.T
	root string
	b    *posix.Backend
}

func newInPlaceEnv(t *testing.T) *inPlaceEnv {
	t.Helper()
	root := t.TempDir()
	e := &inPlaceEnv{t: t, root: root, b: openBackend(t, root, posix.Options{})}
	if err := e.b.CreateBucket(bg, "bkt"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		entries, err := os.ReadDir(filepath.Join(root, ".sesame.sys", "tmp"))
		if err != nil || len(entries) != 0 {
			t.Errorf("temp folder at the end = %v, %v; want it empty", entries, err)
		}
	})
	return e
}

func (e *inPlaceEnv) uploadDir(id string) string {
	return filepath.Join(e.root, ".sesame.sys", "multipart", "bkt", id)
}

func (e *inPlaceEnv) create(key string) string {
	e.t.Helper()
	id, err := e.b.CreateMultipartUpload(bg, "bkt", key, object.PutOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *inPlaceEnv) put(key, id string, n int, data []byte, size int64) object.CompletePart {
	e.t.Helper()
	p, err := e.b.UploadPart(bg, "bkt", key, id, n, bytes.NewReader(data), object.PutOptions{Size: size})
	if err != nil {
		e.t.Fatalf("UploadPart(%d): %v", n, err)
	}
	return object.CompletePart{PartNumber: n, ETag: p.ETag}
}

// inSlot reports whether part n's record places it in the data file.
func (e *inPlaceEnv) inSlot(id string, n int) bool {
	data, err := os.ReadFile(filepath.Join(e.uploadDir(id), strconv.Itoa(n)+".json"))
	if err != nil {
		e.t.Fatalf("part %d record: %v", n, err)
	}
	return bytes.Contains(data, []byte(`"slot":true`))
}

// complete completes the upload and reports whether the object is the
// upload's data file (assembled in place) rather than a copy.
func (e *inPlaceEnv) complete(key, id string, parts []object.CompletePart, want []byte) bool {
	e.t.Helper()
	data, dataErr := os.Stat(filepath.Join(e.uploadDir(id), "data"))
	info, err := e.b.CompleteMultipartUpload(bg, "bkt", key, id, parts)
	if err != nil {
		e.t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	got, ginfo := readObject(e.t, e.b, "bkt", key)
	if got != string(want) || ginfo.ETag != info.ETag || !strings.HasSuffix(info.ETag, "-"+strconv.Itoa(len(parts))) {
		e.t.Fatalf("object after completion: %d bytes, ETag %s (completion said %s); want %d bytes", len(got), ginfo.ETag, info.ETag, len(want))
	}
	if _, err := os.Stat(e.uploadDir(id)); !os.IsNotExist(err) {
		e.t.Fatalf("upload folder after completion: %v", err)
	}
	obj, err := os.Stat(filepath.Join(e.root, "bkt", key))
	if err != nil {
		e.t.Fatal(err)
	}
	if n := obj.Sys().(*syscall.Stat_t).Nlink; n != 1 {
		e.t.Fatalf("object has %d links, want 1", n)
	}
	return dataErr == nil && os.SameFile(data, obj)
}

// TestCompleteMultipartUpload_InPlace checks when completion takes the
// upload's data file as the object and when it copies.
func TestCompleteMultipartUpload_InPlace(t *testing.T) {
	const s = 5 * mib
	type part struct {
		n    int
		size int
		decl int // declared size; 0 means size
	}
	for _, c := range []struct {
		name     string
		parts    []part // in upload order
		complete []int
		inPlace  bool
	}{
		{"fixed size", []part{{1, s, 0}, {2, s, 0}, {3, 100, 0}}, []int{1, 2, 3}, true},
		{"backwards", []part{{3, 100, 0}, {2, s, 0}, {1, s, 0}}, []int{1, 2, 3}, true},
		{"single part", []part{{1, s + 1, 0}}, []int{1}, true},
		{"full last part", []part{{1, s, 0}, {2, s, 0}}, []int{1, 2}, true},
		{"retried parts", []part{{1, s, 0}, {2, s, 0}, {3, 9, 0}, {2, s, 0}, {3, 7, 0}}, []int{1, 2, 3}, true},
		{"unknown size", []part{{1, s, 0}, {2, s, -1}, {3, 9, 0}}, []int{1, 2, 3}, true},
		{"gap", []part{{1, s, 0}, {2, s, 0}, {3, s, 0}}, []int{1, 3}, false},
		{"trailing parts omitted", []part{{1, s, 0}, {2, s, 0}, {3, s, 0}}, []int{1, 2}, false},
		{"first part omitted", []part{{1, s, 0}, {2, s, 0}, {3, s, 0}}, []int{2, 3}, false},
		{"short middle part", []part{{1, s + 4096, 0}, {2, s, 0}, {3, 10, 0}}, []int{1, 2, 3}, false},
		{"long later part", []part{{1, s, 0}, {2, s + 1, 0}, {3, 10, 0}}, []int{1, 2, 3}, false},
		{"large last part first", []part{{3, s, 0}, {1, s + 1, 0}, {2, s + 1, 0}}, []int{1, 2, 3}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newInPlaceEnv(t)
			id := e.create("k")
			etags := map[int]object.CompletePart{}
			data := map[int][]byte{}
			for i, p := range c.parts {
				d := partData(p.size, byte(i))
				decl := int64(p.size)
				if p.decl != 0 {
					decl = int64(p.decl)
				}
				etags[p.n] = e.put("k", id, p.n, d, decl)
				data[p.n] = d
			}
			var list []object.CompletePart
			var want []byte
			for _, n := range c.complete {
				list = append(list, etags[n])
				want = append(want, data[n]...)
			}
			if got := e.complete("k", id, list, want); got != c.inPlace {
				t.Errorf("assembled in place = %v, want %v", got, c.inPlace)
			}
		})
	}
}

// TestUploadPart_RetryDoesNotRewriteSlot keeps a part stored in place
// untouched by a retry: the retry gets its own file until completion.
func TestUploadPart_RetryDoesNotRewriteSlot(t *testing.T) {
	e := newInPlaceEnv(t)
	id := e.create("k")
	p1 := e.put("k", id, 1, partData(5*mib, 1), 5*mib)
	e.put("k", id, 2, partData(5*mib, 2), 5*mib)
	if !e.inSlot(id, 1) || !e.inSlot(id, 2) {
		t.Fatalf("parts of the layout's size were not stored in place")
	}
	before, err := os.ReadFile(filepath.Join(e.uploadDir(id), "data"))
	if err != nil {
		t.Fatal(err)
	}
	retry := partData(5*mib, 9)
	p2 := e.put("k", id, 2, retry, 5*mib)
	if e.inSlot(id, 2) {
		t.Fatalf("a retried part was written over its slot")
	}
	after, err := os.ReadFile(filepath.Join(e.uploadDir(id), "data"))
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("the data file changed on a retry (%v)", err)
	}
	if !e.complete("k", id, []object.CompletePart{p1, p2}, append(partData(5*mib, 1), retry...)) {
		t.Errorf("upload with a retried part not assembled in place")
	}
}

// TestCompleteMultipartUpload_AfterCrashInCommit replays the states a
// crash inside an in-place completion can leave, and checks that a restart
// and a retried completion end with the whole object.
func TestCompleteMultipartUpload_AfterCrashInCommit(t *testing.T) {
	p1, p2 := partData(5*mib, 1), partData(4096, 2)
	want := append(append([]byte{}, p1...), p2...)
	setup := func(t *testing.T) (*inPlaceEnv, string, []object.CompletePart) {
		e := newInPlaceEnv(t)
		id := e.create("k")
		return e, id, []object.CompletePart{e.put("k", id, 1, p1, int64(len(p1))), e.put("k", id, 2, p2, int64(len(p2)))}
	}
	// reopen stands for a restart: a new backend on the root (the old one
	// is left unused).
	reopen := func(e *inPlaceEnv) {
		e.t.Helper()
		e.b = openBackend(e.t, e.root, posix.Options{})
	}

	t.Run("linked into the temp folder", func(t *testing.T) {
		e, id, parts := setup(t)
		if err := os.Link(filepath.Join(e.uploadDir(id), "data"), filepath.Join(e.root, ".sesame.sys", "tmp", "crashed")); err != nil {
			t.Fatal(err)
		}
		reopen(e)
		_, err := e.b.HeadObject(bg, "bkt", "k")
		wantErr(t, err, object.ErrObjectNotFound, "HeadObject before completion")
		if !e.complete("k", id, parts, want) {
			t.Errorf("completion after restart not in place")
		}
	})

	t.Run("renamed over the key", func(t *testing.T) {
		e, id, parts := setup(t)
		// The object is in place (without its meta file) and the upload is
		// still there, its data file a second name of the object.
		obj := filepath.Join(e.root, "bkt", "k")
		if err := os.Link(filepath.Join(e.uploadDir(id), "data"), obj); err != nil {
			t.Fatal(err)
		}
		reopen(e)
		if got, _ := readObject(t, e.b, "bkt", "k"); got != string(want) {
			t.Fatalf("object after the crash: %d bytes, want %d", len(got), len(want))
		}
		// A part that would fit a free slot must not write into the object.
		e.put("k", id, 3, partData(5*mib, 3), 5*mib)
		if e.inSlot(id, 3) {
			t.Fatalf("a part was written into a data file that is an object")
		}
		if got, _ := readObject(t, e.b, "bkt", "k"); got != string(want) {
			t.Fatalf("object after a later part: %d bytes, want %d", len(got), len(want))
		}
		// The retried completion copies; the object ends up whole with the
		// multipart ETag.
		if e.complete("k", id, parts, want) {
			t.Errorf("completion reused a data file that is already an object")
		}
	})
}

// TestAbortMultipartUpload_InPlace leaves no file of the upload behind.
func TestAbortMultipartUpload_InPlace(t *testing.T) {
	e := newInPlaceEnv(t)
	id := e.create("k")
	e.put("k", id, 2, partData(5*mib, 2), 5*mib)
	e.put("k", id, 1, partData(5*mib, 1), 5*mib)
	if err := e.b.AbortMultipartUpload(bg, "bkt", "k", id); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Join(e.root, ".sesame.sys", "multipart", "bkt"))
	if err != nil || len(entries) != 0 {
		t.Fatalf("uploads folder after abort = %v, %v", entries, err)
	}
}

// TestCompleteMultipartUpload_DataFileCut refuses, rather than fills with
// zeros, parts whose bytes were cut from the data file behind its back.
func TestCompleteMultipartUpload_DataFileCut(t *testing.T) {
	e := newInPlaceEnv(t)
	id := e.create("k")
	parts := []object.CompletePart{
		e.put("k", id, 1, partData(5*mib, 1), 5*mib),
		e.put("k", id, 2, partData(5*mib, 2), 5*mib),
	}
	if err := os.Truncate(filepath.Join(e.uploadDir(id), "data"), 5*mib+10); err != nil {
		t.Fatal(err)
	}
	_, err := e.b.CompleteMultipartUpload(bg, "bkt", "k", id, parts)
	wantErr(t, err, object.ErrInvalidPart, "CompleteMultipartUpload with a cut data file")
	_, err = e.b.HeadObject(bg, "bkt", "k")
	wantErr(t, err, object.ErrObjectNotFound, "HeadObject after a failed completion")
}
