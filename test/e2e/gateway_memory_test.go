package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestGateway_BoundedMemory streams a large object through a gateway to an
// upstream Sesame (both in this process) and back, and checks that the heap
// stays far below the object's size. It runs with SESAME_GATEWAY_BIG_MIB
// set to the object's size in MiB (1024 in docs/GATEWAY.md); the default
// 64 MiB keeps it cheap in the ordinary suite.
func TestGateway_BoundedMemory(t *testing.T) {
	size := int64(64) << 20
	if v := os.Getenv("SESAME_GATEWAY_BIG_MIB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			t.Fatalf("SESAME_GATEWAY_BIG_MIB=%q: want a number of MiB", v)
		}
		size = n << 20
	}
	const heapLimit = 96 << 20 // above the baseline
	ep := startServer(t, nil)
	bucket := newBucket(t, ep)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
		}
	})
	defer func() {
		close(stop)
		wg.Wait()
	}()

	start := time.Now()
	req, err := http.NewRequest(http.MethodPut, ep.URL+"/"+bucket+"/big", &patternReader{left: size})
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	signUnsigned(t, ep, req)
	resp, err := ep.Client.Do(req)
	if err != nil {
		t.Fatalf("PUT: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	putTook := time.Since(start)

	start = time.Now()
	out, err := sdkClient(ep).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("big")})
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	want := &patternReader{left: size}
	n, err := io.Copy(&compareWriter{t: t, want: want}, out.Body)
	out.Body.Close()
	if err != nil || n != size {
		t.Fatalf("GET read %d of %d bytes: %v", n, size, err)
	}
	getTook := time.Since(start)
	p := peak.Load()
	t.Logf("%d MiB through the gateway: PUT %v (%.0f MiB/s), GET %v (%.0f MiB/s); heap in use %d MiB before, peak %d MiB",
		size>>20, putTook.Round(time.Millisecond), float64(size>>20)/putTook.Seconds(), getTook.Round(time.Millisecond),
		float64(size>>20)/getTook.Seconds(), base>>20, p>>20)
	if p > base+heapLimit {
		t.Fatalf("peak heap %d MiB, more than %d MiB above the %d MiB before: the body is buffered", p>>20, heapLimit>>20, base>>20)
	}
}

// signUnsigned signs req for ep with an unsigned payload, as clients do for
// streamed bodies.
func signUnsigned(t testing.TB, ep endpoint, req *http.Request) {
	t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: ep.AccessKey, SecretAccessKey: ep.SecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", ep.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// patternReader yields left deterministic bytes without holding them.
type patternReader struct {
	left, off int64
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.left)]
	for i := range p {
		x := r.off + int64(i)
		p[i] = byte(x ^ x>>8 ^ x>>16)
	}
	r.off += int64(len(p))
	r.left -= int64(len(p))
	return len(p), nil
}

// compareWriter checks what is written against want.
type compareWriter struct {
	t    testing.TB
	want io.Reader
	buf  []byte
	off  int64
}

func (w *compareWriter) Write(p []byte) (int, error) {
	if cap(w.buf) < len(p) {
		w.buf = make([]byte, len(p))
	}
	b := w.buf[:len(p)]
	if _, err := io.ReadFull(w.want, b); err != nil {
		w.t.Fatalf("GET: body longer than written at %d", w.off)
	}
	for i := range p {
		if p[i] != b[i] {
			w.t.Fatalf("GET: byte %d differs", w.off+int64(i))
		}
	}
	w.off += int64(len(p))
	return len(p), nil
}
