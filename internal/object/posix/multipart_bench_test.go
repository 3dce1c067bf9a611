package posix_test

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/posix"
)

// benchParts and benchPartSize shape the benchmark upload: 256 MiB in the
// fixed-size parts a client such as the AWS CLI sends.
const (
	benchParts    = 32
	benchPartSize = 8 << 20
)

// benchPartData returns benchParts distinct bodies of benchPartSize bytes.
func benchPartData() [][]byte {
	data := make([][]byte, benchParts)
	for i := range data {
		data[i] = bytes.Repeat([]byte{byte('a' + i%26), byte(i)}, benchPartSize/2)
	}
	return data
}

// uploadBenchParts creates an upload of key and sends every part, streams
// at a time, returning the upload ID and the parts to complete it with.
func uploadBenchParts(b *testing.B, be *posix.Backend, key string, data [][]byte, streams int) (string, []object.CompletePart) {
	b.Helper()
	id, err := be.CreateMultipartUpload(bg, "bench", key, object.PutOptions{})
	if err != nil {
		b.Fatal(err)
	}
	parts := make([]object.CompletePart, len(data))
	next := make(chan int)
	errs := make(chan error, streams)
	var wg sync.WaitGroup
	for range streams {
		wg.Go(func() {
			for i := range next {
				p, err := be.UploadPart(bg, "bench", key, id, i+1, bytes.NewReader(data[i]), object.PutOptions{Size: int64(len(data[i]))})
				if err != nil {
					errs <- err
					return
				}
				parts[i] = object.CompletePart{PartNumber: i + 1, ETag: p.ETag}
			}
		})
	}
	for i := range data {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return id, parts
}

func openBenchBackend(b *testing.B) *posix.Backend {
	b.Helper()
	be := openBackend(b, b.TempDir(), posix.Options{})
	if err := be.CreateBucket(bg, "bench"); err != nil {
		b.Fatal(err)
	}
	return be
}

// BenchmarkCompleteMultipartUpload_32x8MiB times CompleteMultipartUpload
// alone; the parts are uploaded with the timer stopped, each round to a
// fresh key (replacing an object would also time the freeing of the old
// one's blocks). It reports the mean and the median completion time.
func BenchmarkCompleteMultipartUpload_32x8MiB(b *testing.B) {
	be := openBenchBackend(b)
	data := benchPartData()
	times := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		key := fmt.Sprintf("obj%d", i)
		id, parts := uploadBenchParts(b, be, key, data, 1)
		b.StartTimer()
		start := time.Now()
		if _, err := be.CompleteMultipartUpload(bg, "bench", key, id, parts); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
		b.StopTimer()
		if err := be.DeleteObject(bg, "bench", key); err != nil {
			b.Fatal(err)
		}
	}
	var total time.Duration
	for _, d := range times {
		total += d
	}
	slices.Sort(times)
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/op")
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
}

// BenchmarkMultipartUpload_32x8MiB times a whole upload, parts and
// completion, with one and with four parts in flight at a time.
func BenchmarkMultipartUpload_32x8MiB(b *testing.B) {
	for _, streams := range []int{1, 4} {
		b.Run(fmt.Sprintf("streams=%d", streams), func(b *testing.B) {
			be := openBenchBackend(b)
			data := benchPartData()
			b.SetBytes(benchParts * benchPartSize)
			b.ResetTimer()
			var total time.Duration
			for i := 0; i < b.N; i++ {
				key := fmt.Sprintf("obj%d", i%2)
				start := time.Now()
				id, parts := uploadBenchParts(b, be, key, data, streams)
				if _, err := be.CompleteMultipartUpload(bg, "bench", key, id, parts); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(b.N*benchParts*benchPartSize)/(1<<20)/total.Seconds(), "MiB/s")
		})
	}
}
