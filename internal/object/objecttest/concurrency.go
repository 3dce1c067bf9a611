package objecttest

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func concurrencyTests() []subtest {
	return []subtest{
		{"Concurrent/PutsToOneKey", testConcurrentPutsToOneKey},
		{"Concurrent/SiblingsPutDelete", testConcurrentSiblings},
	}
}

// testConcurrentPutsToOneKey overwrites one key from several goroutines
// while others read it: every read sees one whole version whose ETag
// matches its bytes.
func testConcurrentPutsToOneKey(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	const size = 64 << 10
	version := func(w, i int) []byte { return bytes.Repeat([]byte{byte(w*16 + i)}, size) }
	put(t, b, "hot", string(version(0, 0)))

	const writers, rounds = 4, 6
	var wg sync.WaitGroup
	var done atomic.Bool
	errs := make(chan error, 64)
	for w := range writers {
		wg.Go(func() {
			for i := range rounds {
				data := version(w, i)
				if _, err := b.PutObject(ctx, testBucket, "hot", bytes.NewReader(data), object.PutOptions{Size: size}); err != nil {
					errs <- fmt.Errorf("writer %d: %w", w, err)
					return
				}
			}
		})
	}
	var readers sync.WaitGroup
	var reads atomic.Int64
	for r := range 2 {
		readers.Go(func() {
			for !done.Load() || reads.Load() < 4 {
				rd, err := b.GetObject(ctx, testBucket, "hot", object.GetOptions{})
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				data, err := io.ReadAll(rd)
				rd.Close()
				if err != nil {
					errs <- fmt.Errorf("reader %d: %w", r, err)
					return
				}
				reads.Add(1)
				if len(data) != size || !bytes.Equal(data, bytes.Repeat(data[:1], size)) {
					errs <- fmt.Errorf("reader %d: torn read of %d bytes", r, len(data))
					return
				}
				if rd.Info.ETag != md5hex(data) || rd.Info.Size != size {
					errs <- fmt.Errorf("reader %d: info %s/%d does not match the body", r, rd.Info.ETag, rd.Info.Size)
					return
				}
			}
		})
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, r := get(t, b, "hot", nil)
	if r.Info.ETag != md5hex([]byte(got)) {
		t.Fatalf("final ETag %s does not match the body", r.Info.ETag)
	}
}

// testConcurrentSiblings creates and deletes keys sharing parent prefixes
// from several goroutines; no operation fails and the survivors are intact.
func testConcurrentSiblings(t *testing.T, b object.Backend) {
	ctx := t.Context()
	newBucket(t, b)
	const workers, rounds = 4, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				key := fmt.Sprintf("shared/dir/w%d-%d", w, i)
				data := []byte(key)
				if _, err := b.PutObject(ctx, testBucket, key, bytes.NewReader(data), object.PutOptions{Size: int64(len(data))}); err != nil {
					errs <- fmt.Errorf("put %s: %w", key, err)
					return
				}
				if i%2 == 0 {
					if err := b.DeleteObject(ctx, testBucket, key); err != nil {
						errs <- fmt.Errorf("delete %s: %w", key, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var want []string
	for w := range workers {
		for i := 1; i < rounds; i += 2 {
			want = append(want, fmt.Sprintf("shared/dir/w%d-%d", w, i))
		}
	}
	keys, _ := listAll(t, b, testBucket, object.ListOptions{})
	wantKeys, _ := modelList(want, object.ListOptions{})
	if !equalStrings(keys, wantKeys) {
		t.Fatalf("survivors = %q, want %q", keys, wantKeys)
	}
	for _, k := range want {
		wantContent(t, b, k, k)
	}
}
