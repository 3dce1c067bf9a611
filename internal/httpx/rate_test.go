package httpx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAllowance(t *testing.T) {
	rate := Rate{BytesPerSecond: 1000, Grace: time.Second, Window: 2 * time.Second}
	tests := []struct {
		name     string
		ops      [][2]int64 // bytes, blocked milliseconds
		wantLeft time.Duration
		wantWait time.Duration // for a 500-byte operation next
	}{
		{"fresh", nil, time.Second, 1500 * time.Millisecond},
		{"keeps up", [][2]int64{{1000, 1000}, {1000, 1000}, {1000, 1000}}, time.Second, 1500 * time.Millisecond},
		{"server work is free", [][2]int64{{10, 0}, {10, 0}}, 1020 * time.Millisecond, 1520 * time.Millisecond},
		{"banks at most a window", [][2]int64{{1 << 30, 0}}, 2 * time.Second, 2 * time.Second},
		{"stall spends it", [][2]int64{{0, 700}}, 300 * time.Millisecond, 800 * time.Millisecond},
		{"trickle runs out", [][2]int64{{1, 600}, {1, 600}}, -198 * time.Millisecond, 302 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := allowance{rate: rate, left: rate.Grace}
			for _, op := range tt.ops {
				a.charge(op[0], time.Duration(op[1])*time.Millisecond)
			}
			if a.left != tt.wantLeft {
				t.Errorf("left = %v, want %v", a.left, tt.wantLeft)
			}
			if got := a.wait(500); got != tt.wantWait {
				t.Errorf("wait(500) = %v, want %v", got, tt.wantWait)
			}
		})
	}
}

// testRate is short enough for tests: a stalled transfer is cut within 300 ms.
var testRate = Rate{BytesPerSecond: 1 << 10, Grace: 200 * time.Millisecond, Window: 300 * time.Millisecond}

// rateServer serves h behind MinRate(testRate-like rate).
func rateServer(t *testing.T, rate Rate, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(MinRate(h, rate))
	t.Cleanup(ts.Close)
	return ts
}

// dial opens a raw connection to ts.
func dial(t *testing.T, ts *httptest.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reads c until the server closes it, failing after limit.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("connection still open after %v", limit)
	}
	return time.Since(start)
}

// dribble writes one byte of body every interval until the connection fails.
func dribble(c net.Conn, interval time.Duration) {
	for {
		if _, err := c.Write([]byte("x")); err != nil {
			return
		}
		time.Sleep(interval)
	}
}

func TestMinRate_SlowBodyIsCut(t *testing.T) {
	got := make(chan error, 1)
	ts := rateServer(t, testRate, func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		got <- err
		if err != nil {
			http.Error(w, "too slow", http.StatusBadRequest)
		}
	})
	c := dial(t, ts)
	start := time.Now()
	fmt.Fprintf(c, "PUT /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
	go dribble(c, 20*time.Millisecond) // 50 B/s against 1 KiB/s
	err := <-got
	elapsed := time.Since(start)
	if !errors.Is(err, ErrTooSlow) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("body read error = %v, want ErrTooSlow wrapping a deadline error", err)
	}
	if elapsed > testRate.Grace+testRate.Window+time.Second {
		t.Errorf("slow body cut after %v, want within Grace (%v) and a little", elapsed, testRate.Grace)
	}
	closedWithin(t, c, 2*time.Second)
	t.Logf("slow body cut after %v", elapsed)
}

func TestMinRate_BodyThatKeepsUp(t *testing.T) {
	ts := rateServer(t, testRate, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, len(b))
	})
	// 100 bytes every 40 ms, 2.5 KiB/s, for 1.2 s: four Windows.
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 30; i++ {
			pw.Write([]byte(strings.Repeat("x", 100)))
			time.Sleep(40 * time.Millisecond)
		}
		pw.Close()
	}()
	req, _ := http.NewRequest(http.MethodPut, ts.URL, pr)
	req.ContentLength = 3000
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "3000" {
		t.Fatalf("status %d body %q, want 200 3000", resp.StatusCode, body)
	}
}

// TestMinRate_ServerTimeIsFree: the handler's own pauses, before and
// between reads and writes, are not charged to the client.
func TestMinRate_ServerTimeIsFree(t *testing.T) {
	pause := 2 * testRate.Window
	ctxErr := make(chan error, 1)
	ts := rateServer(t, testRate, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(pause)
		buf := make([]byte, 10)
		var n int
		for {
			m, err := r.Body.Read(buf)
			n += m
			if err == io.EOF {
				break
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			time.Sleep(pause / 4)
		}
		time.Sleep(pause) // the body has ended: net/http's background read runs
		ctxErr <- r.Context().Err()
		w.Write([]byte("one "))
		time.Sleep(pause)
		fmt.Fprint(w, n)
	})
	resp, err := http.Post(ts.URL, "text/plain", strings.NewReader(strings.Repeat("y", 50)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "one 50" {
		t.Fatalf("status %d body %q, want 200 %q", resp.StatusCode, body, "one 50")
	}
	if err := <-ctxErr; err != nil {
		t.Errorf("request context after the body: %v, want it live", err)
	}
}

// TestMinRate_ExpectContinue: the 100 Continue goes out with a fresh write
// deadline however long the handler took to start reading.
func TestMinRate_ExpectContinue(t *testing.T) {
	ts := rateServer(t, testRate, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * testRate.Grace)
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, string(b))
	})
	c := dial(t, ts)
	fmt.Fprintf(c, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("first response line %q (%v), want 100 Continue", line, err)
	}
	br.ReadString('\n')
	fmt.Fprint(c, "hello")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "hello" {
		t.Fatalf("status %d body %q", resp.StatusCode, body)
	}
}

// TestMinRate_UnreadBody: a handler that answers without reading the body
// leaves net/http to drain it, which gets drainTimeout however long the
// Grace.
func TestMinRate_UnreadBody(t *testing.T) {
	rate := Rate{BytesPerSecond: 1 << 10, Grace: 20 * time.Second, Window: 20 * time.Second}
	ts := rateServer(t, rate, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "denied", http.StatusForbidden)
	})
	c := dial(t, ts)
	start := time.Now()
	fmt.Fprintf(c, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
	go dribble(c, 50*time.Millisecond)
	closedWithin(t, c, drainTimeout+time.Second)
	t.Logf("undrained body's connection closed after %v", time.Since(start))
}

func TestMinRate_StalledResponseIsCut(t *testing.T) {
	type result struct {
		err     error
		elapsed time.Duration
	}
	got := make(chan result, 1)
	ts := httptest.NewUnstartedServer(MinRate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		w.Header().Set("Content-Length", fmt.Sprint(8<<20))
		_, err := w.Write(make([]byte, 8<<20))
		got <- result{err, time.Since(start)}
	}), testRate))
	ts.Listener = smallBuffers{ts.Listener}
	ts.Start()
	t.Cleanup(ts.Close)
	c := dial(t, ts)
	c.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
	// Never read.
	res := <-got
	if !errors.Is(res.err, ErrTooSlow) {
		t.Fatalf("write error = %v, want ErrTooSlow", res.err)
	}
	if res.elapsed < testRate.Window-50*time.Millisecond || res.elapsed > testRate.Window+time.Second {
		t.Errorf("stalled response cut after %v, want about a Window (%v)", res.elapsed, testRate.Window)
	}
	t.Logf("stalled response cut after %v", res.elapsed)
}

// TestMinRate_PacedReader reads a response through small socket buffers
// at a steady pace for many Windows: above the minimum rate it gets all of
// it, through Write and through ReadFrom; below, it is cut.
func TestMinRate_PacedReader(t *testing.T) {
	rate := Rate{BytesPerSecond: 32 << 10, Grace: 300 * time.Millisecond, Window: 500 * time.Millisecond}
	const size = 1 << 20
	write := func(w http.ResponseWriter, data []byte) error { _, err := w.Write(data); return err }
	readFrom := func(w http.ResponseWriter, data []byte) error {
		_, err := io.Copy(w, strings.NewReader(string(data)))
		return err
	}
	file := filepath.Join(t.TempDir(), "response")
	if err := os.WriteFile(file, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	sendfile := func(w http.ResponseWriter, _ []byte) error {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	}
	for _, tt := range []struct {
		name    string
		perTick int // bytes read every 20 ms
		write   func(w http.ResponseWriter, data []byte) error
		wantCut bool
	}{
		{"Write at 1.6 MiB/s", 32 << 10, write, false},
		{"ReadFrom at 1.6 MiB/s", 32 << 10, readFrom, false},
		{"ReadFrom a file at 1.6 MiB/s", 32 << 10, sendfile, false},
		{"Write at 20 KiB/s", 400, write, true},
		{"ReadFrom at 20 KiB/s", 400, readFrom, true},
		{"ReadFrom a file at 20 KiB/s", 400, sendfile, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			errc := make(chan error, 1)
			ts := httptest.NewUnstartedServer(MinRate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(size))
				errc <- tt.write(w, make([]byte, size))
			}), rate))
			ts.Listener = smallBuffers{ts.Listener}
			ts.Start()
			t.Cleanup(ts.Close)
			c := dial(t, ts)
			c.(*net.TCPConn).SetReadBuffer(64 << 10)
			fmt.Fprintf(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
			start := time.Now()
			type read struct {
				n   int64
				err error
			}
			readc := make(chan read, 1)
			go func() {
				resp, err := http.ReadResponse(bufio.NewReaderSize(&pacedReader{r: c, n: tt.perTick, every: 20 * time.Millisecond}, 1<<10), nil)
				if err != nil {
					readc <- read{0, err}
					return
				}
				n, err := io.Copy(io.Discard, resp.Body)
				readc <- read{n, err}
			}()
			werr := <-errc
			if tt.wantCut {
				if !errors.Is(werr, ErrTooSlow) {
					t.Fatalf("handler's write: %v, want ErrTooSlow", werr)
				}
				t.Logf("cut after %v", time.Since(start))
				return
			}
			got := <-readc
			if got.err != nil || got.n != size || werr != nil {
				t.Fatalf("read %d bytes (%v), handler's write: %v; want all %d", got.n, got.err, werr, size)
			}
			t.Logf("read %d bytes in %v", got.n, time.Since(start))
		})
	}
}

// smallBuffers gives accepted connections a small send buffer, so that a
// response cannot hide in the kernel.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(32 << 10)
	}
	return c, err
}

// pacedReader reads at most n bytes every interval.
type pacedReader struct {
	r     io.Reader
	n     int
	every time.Duration
	left  int
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if p.left == 0 {
		time.Sleep(p.every)
		p.left = p.n
	}
	n, err := p.r.Read(b[:min(len(b), p.left)])
	p.left -= n
	return n, err
}
