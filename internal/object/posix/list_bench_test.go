package posix

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// Listing benchmarks. They fill one directory of a bucket with n objects,
// outside the timed region, and then list it:
//
//	go test ./internal/object/posix -run '^$' -bench 'List' -benchtime 1x
//	SESAME_BENCH_1M=1 go test ./internal/object/posix -run '^$' -bench 'List1M' -benchtime 1x -timeout 30m
//
// first-s is the first listing, which reads and sorts the directory; with
// -benchtime 1x it is the only one, with more the average includes warm
// listings served from the cache. cpu-s/op is the process's CPU time, which
// other load on the machine does not inflate as much as the elapsed time.

// benchBucket is the bucket the listing benchmarks fill.
const benchBucket = "bench"

// benchKey is the i-th key of a benchmark directory.
func benchKey(i int) string { return fmt.Sprintf("object-%07d.dat", i) }

// fillBench creates n empty objects in the bucket's top directory.
func fillBench(b *testing.B, be *Backend, n int) {
	b.Helper()
	if err := be.CreateBucket(context.Background(), benchBucket); err != nil {
		b.Fatal(err)
	}
	keys := make([]string, n)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	plant(b, be, benchBucket, keys...)
	// Write back what was created, so that the file system's writeback
	// does not weigh on the first listing, and let the directory age so
	// that its listing may be cached (see fineMargin in cache.go).
	syncAll()
	time.Sleep(time.Second)
}

// plant creates empty objects with valid meta files, as PutObject would
// leave them but without its fsyncs (which would make a million objects
// take hours).
func plant(tb testing.TB, be *Backend, bucket string, keys ...string) {
	tb.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(keys) {
					return
				}
				if err := plantOne(be, bucket, keys[i]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatal(err)
	default:
	}
}

func plantOne(be *Backend, bucket, key string) error {
	p := filepath.Join(be.root, bucket, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(p), dirMode); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return err
	}
	data, _ := json.Marshal(objectMeta{ETag: emptyMD5, Size: 0, ModTime: fi.ModTime().UnixNano()})
	mp := be.metaPath(bucket, key)
	if err := os.MkdirAll(filepath.Dir(mp), dirMode); err != nil {
		return err
	}
	return os.WriteFile(mp, data, fileMode)
}

// listEverything pages through the bucket with pages of 1000 keys and
// returns the number of keys.
func listEverything(b *testing.B, be *Backend, opts object.ListOptions) int {
	n := 0
	for {
		res, err := be.ListObjects(context.Background(), benchBucket, opts)
		if err != nil {
			b.Fatal(err)
		}
		n += len(res.Objects) + len(res.CommonPrefixes)
		if !res.IsTruncated {
			return n
		}
		opts.After = res.NextAfter
	}
}

func benchList(b *testing.B, n int, opts Options) {
	be, err := Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	fillBench(b, be, n)
	b.ReportAllocs()
	cpu := cpuTime()
	var first time.Duration
	for b.Loop() {
		start := time.Now()
		if got := listEverything(b, be, object.ListOptions{MaxKeys: 1000}); got != n {
			b.Fatalf("listed %d keys, want %d", got, n)
		}
		if first == 0 {
			first = time.Since(start)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n/1000)/1e6, "ms/page")
	b.ReportMetric(first.Seconds(), "first-s")
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

// BenchmarkList100k lists 100,000 keys of one directory in pages of 1000.
func BenchmarkList100k(b *testing.B) { benchList(b, 100_000, Options{}) }

// BenchmarkList100kUncached is BenchmarkList100k with the listing cache
// off: every page scans the directory.
func BenchmarkList100kUncached(b *testing.B) { benchList(b, 100_000, Options{ListCacheSize: -1}) }

// BenchmarkList1M lists 1,000,000 keys of one directory in pages of 1000.
// Creating them takes a minute or two: it runs only with SESAME_BENCH_1M=1.
func BenchmarkList1M(b *testing.B) {
	if os.Getenv("SESAME_BENCH_1M") != "1" {
		b.Skip("set SESAME_BENCH_1M=1 to list a million keys")
	}
	benchList(b, 1_000_000, Options{})
}

// heapPeak samples the heap until stopped and remembers the largest
// values seen.
type heapPeak struct {
	stop  chan struct{}
	done  chan struct{}
	alloc uint64 // largest HeapAlloc
	held  uint64 // largest HeapSys-HeapReleased: heap memory held from the OS
}

func sampleHeap() *heapPeak {
	p := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			p.alloc = max(p.alloc, ms.HeapAlloc)
			p.held = max(p.held, ms.HeapSys-ms.HeapReleased)
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *heapPeak) end() {
	close(p.stop)
	<-p.done
}

// BenchmarkList100kParallel64 runs 64 concurrent pages of 1000 keys, each
// at another position of a directory of 100,000 keys, and reports the
// peak heap. One op is the 64 pages.
func BenchmarkList100kParallel64(b *testing.B) { benchParallel(b, Options{}) }

// BenchmarkList100kParallel64Uncached is BenchmarkList100kParallel64 with
// the listing cache off: 64 concurrent scans of the directory.
func BenchmarkList100kParallel64Uncached(b *testing.B) {
	benchParallel(b, Options{ListCacheSize: -1})
}

func benchParallel(b *testing.B, opts Options) {
	const n, clients = 100_000, 64
	be, err := Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	fillBench(b, be, n)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	peak := sampleHeap()
	b.ReportAllocs()
	cpu := cpuTime()
	round := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for c := range clients {
			after := ""
			if i := (c*1531 + round*977) % n; i > 0 {
				after = benchKey(i)
			}
			wg.Go(func() {
				res, err := be.ListObjects(context.Background(), benchBucket, object.ListOptions{After: after, MaxKeys: 1000})
				if err != nil || len(res.Objects) == 0 {
					b.Errorf("ListObjects after %q: %d objects, %v", after, len(res.Objects), err)
				}
			})
		}
		wg.Wait()
		round++
	}
	cpu = cpuTime() - cpu
	peak.end()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	const mib = 1 << 20
	b.ReportMetric(float64(peak.alloc-min(peak.alloc, base.HeapAlloc))/mib, "peak-heap-MiB")
	b.ReportMetric(float64(peak.held)/mib, "peak-held-MiB")
	b.ReportMetric(float64(after.HeapAlloc-min(after.HeapAlloc, base.HeapAlloc))/mib, "kept-heap-MiB")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
