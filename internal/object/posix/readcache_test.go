package posix_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/posix"
)

func get(t *testing.T, b *posix.Backend, bucket, key string) (string, object.ObjectInfo) {
	t.Helper()
	r, err := b.GetObject(context.Background(), bucket, key, object.GetOptions{})
	if err != nil {
		t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(data), r.Info
}

// TestReadCaches checks that the caches of the read path (decoded meta
// files, open bucket roots) never serve what changed: an object replaced,
// its meta file rewritten by another process, a bucket deleted and created
// again, by this backend or by another one sharing the directory.
func TestReadCaches(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := openBackend(t, dir, posix.Options{})
	other := openBackend(t, dir, posix.Options{}) // another node on shared storage
	if err := b.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	put := func(be *posix.Backend, key, data, ctype string) {
		t.Helper()
		if _, err := be.PutObject(ctx, "bkt", key, strings.NewReader(data), object.PutOptions{Size: int64(len(data)), Metadata: object.Metadata{ContentType: ctype}}); err != nil {
			t.Fatal(err)
		}
	}
	put(b, "k", "one", "text/one")
	for i := 0; i < 3; i++ { // warm the caches
		if got, info := get(t, b, "bkt", "k"); got != "one" || info.Metadata.ContentType != "text/one" {
			t.Fatalf("GET = %q %q", got, info.Metadata.ContentType)
		}
	}
	put(other, "k", "two!", "text/two")
	if got, info := get(t, b, "bkt", "k"); got != "two!" || info.Metadata.ContentType != "text/two" {
		t.Fatalf("after another node's PUT: %q %q", got, info.Metadata.ContentType)
	}
	// A meta file rewritten in place by hand (same inode): its times change.
	var metaPath string
	filepath.Walk(filepath.Join(dir, ".sesame.sys"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.Contains(p, "bkt") && strings.HasSuffix(p, "k.json") {
			metaPath = p
		}
		return nil
	})
	if metaPath != "" {
		data, _ := os.ReadFile(metaPath)
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber() // keep mtime's nanoseconds exact
		dec.Decode(&m)
		m["metadata"] = map[string]any{"contentType": "text/edited"}
		data, _ = json.Marshal(m)
		f, err := os.OpenFile(metaPath, os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
		f.Close()
		if _, info := get(t, b, "bkt", "k"); info.Metadata.ContentType != "text/edited" {
			t.Errorf("meta rewritten in place: content type %q", info.Metadata.ContentType)
		}
	}
	// The bucket deleted and created again by the other node.
	if err := other.DeleteObject(ctx, "bkt", "k"); err != nil {
		t.Fatal(err)
	}
	if err := other.DeleteBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	if err := other.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	put(other, "k", "three", "text/three")
	if got, _ := get(t, b, "bkt", "k"); got != "three" {
		t.Fatalf("bucket recreated elsewhere: GET = %q", got)
	}
	// Many readers at once, while another writes.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				r, err := b.GetObject(ctx, "bkt", "k", object.GetOptions{})
				if err != nil {
					t.Error(err)
					return
				}
				data, _ := io.ReadAll(r)
				r.Close()
				if !bytes.Equal(data, []byte("three")) && !bytes.Equal(data, []byte("four")) {
					t.Errorf("torn read %q", data)
					return
				}
			}
		}()
	}
	put(other, "k", "four", "text/four")
	wg.Wait()
}
