package httpx

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

// Rate is the slowest transfer the server waits for: a request body or a
// response has to move at least BytesPerSecond on average.
//
// It is kept as an allowance of waiting time, one for the body and one for
// the response of each request. The allowance starts at Grace. The time
// the server spends blocked on the client (a body read waiting for bytes, a
// response write waiting for the client to take them) is taken from it, and
// every BytesPerSecond bytes moved give one second back, up to Window. A
// read or write that would outlast the allowance fails, and net/http closes
// the connection. So a client that keeps up BytesPerSecond is never cut,
// one that stops is cut within Window (within Grace if it never starts),
// and one that trickles slower is cut once its early bytes are spent. Time
// the server spends on its own work (disk, checksums, other requests) is
// not charged to the client.
type Rate struct {
	// BytesPerSecond is the minimum average rate; 0 or less switches the
	// limit off.
	BytesPerSecond int64
	// Grace is the allowance a transfer starts with; 0 means Window.
	Grace time.Duration
	// Window caps the allowance: a transfer that stalls is cut within it.
	// 0 means a minute.
	Window time.Duration
}

// defaultWindow is Rate.Window's zero value.
const defaultWindow = time.Minute

// ErrTooSlow is returned (wrapped, together with os.ErrDeadlineExceeded) by
// the reads and writes of a request whose client fell below the minimum
// transfer rate.
var ErrTooSlow = errors.New("httpx: client slower than the minimum transfer rate")

// maxWriteChunk bounds one write under a single deadline.
const maxWriteChunk = 1 << 20

// drainTimeout bounds net/http's reading of what is left of a body after
// the handler has answered without it (up to 256 KiB, to keep the
// connection for another request). A client that sends it slower loses the
// connection instead, so a refused request, a forged signature's say,
// frees its connection within this time whatever the Grace.
const drainTimeout = 2 * time.Second

// MinRate returns next with the request bodies and the responses it
// handles held to rate, through the connection's read and write deadlines
// (http.ResponseController). It must see the http.ResponseWriter that
// net/http passed in, so it goes outside middleware that wraps it.
//
// Before the handler runs, both deadlines are set Grace ahead (the read
// deadline only when the request has a body): that bounds what net/http
// itself reads and writes around the handler, such as the 100 Continue
// and the draining of a body the handler did not read. After the handler
// returns, the write deadline is set once more for net/http's final flush,
// and the read deadline, if the body was left unfinished, to drainTimeout
// at most.
func MinRate(next http.Handler, rate Rate) http.Handler {
	if rate.BytesPerSecond <= 0 {
		return next
	}
	if rate.Window <= 0 {
		rate.Window = defaultWindow
	}
	if rate.Grace <= 0 {
		rate.Grace = rate.Window
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := newGuard(http.NewResponseController(w), rate)
		now := time.Now()
		_ = g.rc.SetWriteDeadline(now.Add(rate.Grace))
		if r.Body != nil && r.Body != http.NoBody {
			_ = g.rc.SetReadDeadline(now.Add(rate.Grace))
			// A shallow copy, as in Wrap: net/http inspects the Body of
			// the request it passed in after the handler returns.
			r = r.WithContext(r.Context())
			body := &rateBody{ReadCloser: r.Body, g: g}
			r.Body = body
			defer body.drain()
		}
		defer g.finalFlush()
		next.ServeHTTP(&rateWriter{ResponseWriter: w, g: g}, r)
	})
}

// allowance is the waiting time left to one direction of a transfer.
type allowance struct {
	rate Rate
	left time.Duration
}

// worth is the waiting time n bytes buy, at most a Window.
func (a *allowance) worth(n int64) time.Duration {
	secs := float64(n) / float64(a.rate.BytesPerSecond)
	if secs >= a.rate.Window.Seconds() {
		return a.rate.Window
	}
	return time.Duration(secs * float64(time.Second))
}

// wait is how long an operation that moves up to n bytes may block: what
// is left, plus what the n bytes will earn (the client cannot be credited
// for them before the operation ends), at most a Window.
func (a *allowance) wait(n int64) time.Duration {
	return min(a.left+a.worth(n), a.rate.Window)
}

// charge records an operation that moved n bytes in blocked time.
func (a *allowance) charge(n int64, blocked time.Duration) {
	a.left = min(a.left-blocked+a.worth(n), a.rate.Window)
}

// guard holds the allowances of one request. The body's side (read,
// bodyStarted) and the response's side (write) are used by one goroutine
// each.
type guard struct {
	rc          *http.ResponseController
	min         int64 // bytes per second, for messages
	read, write allowance
	chunk       int  // the largest write under one deadline
	bodyStarted bool // the write deadline was renewed for a 100 Continue
}

func newGuard(rc *http.ResponseController, rate Rate) *guard {
	// A write of chunk bytes to a client moving exactly BytesPerSecond
	// has to fit in the Window it may wait.
	chunk := int(min(max(float64(rate.BytesPerSecond)*rate.Window.Seconds()/2, 512), maxWriteChunk))
	return &guard{
		rc:    rc,
		min:   rate.BytesPerSecond,
		read:  allowance{rate: rate, left: rate.Grace},
		write: allowance{rate: rate, left: rate.Grace},
		chunk: chunk,
	}
}

// tooSlow wraps a deadline error in ErrTooSlow.
func (g *guard) tooSlow(err error, what string) error {
	if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	return fmt.Errorf("%w: %s (minimum %d bytes/s): %w", ErrTooSlow, what, g.min, err)
}

// doWrite runs op, which moves up to n bytes to the client, under a write
// deadline, and charges the write allowance.
func (g *guard) doWrite(n int64, op func() (int64, error)) (int64, error) {
	start := time.Now()
	_ = g.rc.SetWriteDeadline(start.Add(g.write.wait(n)))
	m, err := op()
	g.write.charge(m, time.Since(start))
	return m, g.tooSlow(err, "response read too slowly")
}

// finalFlush sets the write deadline for what net/http writes after the
// handler: the buffered rest of the response.
func (g *guard) finalFlush() {
	_ = g.rc.SetWriteDeadline(time.Now().Add(g.write.wait(4 << 10)))
}

// rateBody is a request body held to the minimum rate.
type rateBody struct {
	io.ReadCloser
	g     *guard
	ended bool
}

// drain sets the read deadline for what net/http reads of the body after
// the handler, if the body has not ended.
func (b *rateBody) drain() {
	if !b.ended {
		_ = b.g.rc.SetReadDeadline(time.Now().Add(min(max(b.g.read.left, 0), drainTimeout)))
	}
}

func (b *rateBody) Read(p []byte) (int, error) {
	if b.ended {
		// Past the end, net/http reads the connection in the background;
		// a deadline now would cut that read and cancel the context.
		return b.ReadCloser.Read(p)
	}
	g := b.g
	start := time.Now()
	if !g.bodyStarted {
		// The first read may send a 100 Continue: give it a fresh write
		// deadline, whatever the handler did before reading.
		g.bodyStarted = true
		_ = g.rc.SetWriteDeadline(start.Add(g.write.wait(0)))
	}
	_ = g.rc.SetReadDeadline(start.Add(max(g.read.left, 0)))
	n, err := b.ReadCloser.Read(p)
	g.read.charge(int64(n), time.Since(start))
	b.ended = err != nil
	return n, g.tooSlow(err, "request body too slow")
}

// rateWriter is a response held to the minimum rate: every write, flush and
// copy runs under a write deadline from the allowance, in chunks small
// enough for a client at the minimum rate to take within a Window.
type rateWriter struct {
	http.ResponseWriter
	g *guard
}

func (w *rateWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return w.ResponseWriter.Write(p)
	}
	var done int
	for len(p) > 0 {
		c := p[:min(len(p), w.g.chunk)]
		n, err := w.g.doWrite(int64(len(c)), func() (int64, error) {
			n, err := w.ResponseWriter.Write(c)
			return int64(n), err
		})
		done += int(n)
		if err != nil {
			return done, err
		}
		p = p[len(c):]
	}
	return done, nil
}

// ReadFrom copies src in chunks, each under its own deadline: a file
// through net/http's ReadFrom (sendfile), anything else through a pooled
// buffer.
func (w *rateWriter) ReadFrom(src io.Reader) (int64, error) {
	chunk := int64(w.g.chunk)
	var total int64
	if f, ok := src.(*os.File); ok {
		for {
			n, err := w.g.doWrite(chunk, func() (int64, error) {
				return io.Copy(w.ResponseWriter, &io.LimitedReader{R: f, N: chunk})
			})
			total += n
			if err != nil || n < chunk {
				return total, err
			}
		}
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := (*bp)[:min(chunk, int64(len(*bp)))]
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

// copyBufs holds ReadFrom's buffers.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// FlushError flushes under a write deadline (http.ResponseController.Flush
// finds it before unwrapping).
func (w *rateWriter) FlushError() error {
	_, err := w.g.doWrite(4<<10, func() (int64, error) {
		return 0, http.NewResponseController(w.ResponseWriter).Flush()
	})
	return err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *rateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
