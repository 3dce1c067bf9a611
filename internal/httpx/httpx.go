package httpx

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// RequestIDHeader is the response header that carries the request id.
const RequestIDHeader = "X-Amz-Request-Id"

// NewRequestID returns a random 16-character upper-case hex id.
func NewRequestID() string {
	// Request ids need to be unique, not secret: a counter scrambled by a
	// random key (an invertible mix, so ids never repeat within a process)
	// costs nanoseconds where crypto/rand costs a system call.
	x := idCounter.Add(1) ^ idKey
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	const digits = "0123456789ABCDEF"
	var b [16]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[x&15]
		x >>= 4
	}
	return string(b[:])
}

var (
	idCounter atomic.Uint64
	idKey     = func() uint64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		return binary.LittleEndian.Uint64(b[:])
	}()
)

// Options configure Wrap.
type Options struct {
	// Logger receives the requests that failed on the server's side (a
	// status of 500 or more, but 501 Not Implemented, which answers a
	// request for something the server does not do) and panics, always,
	// at level Error.
	Logger *slog.Logger
	// AccessLog, when set, receives one line for every request (level
	// Info, message "request"); nil switches the access log off.
	AccessLog *slog.Logger
	// BodyReadTimeout bounds the wait for each read of a request body;
	// 0 disables it. A client that stalls longer loses the connection.
	// Behind MinRate, whose deadline is set after it, MinRate decides.
	BodyReadTimeout time.Duration
	// ServerName is sent in the Server header.
	ServerName string
	// Observe, when set, is told of every request once its handler has
	// returned: the API the handler named with SetAPI ("" if none), the
	// status and the time taken. It feeds the request metrics.
	Observe func(api string, status int, d time.Duration)
}

// state is what Wrap keeps about a request in its context.
type state struct {
	id  string
	api string
}

type stateKey struct{}

// RequestID returns the id Wrap gave the request of ctx, "" outside Wrap.
func RequestID(ctx context.Context) string {
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		return st.id
	}
	return ""
}

// SetAPI names the API that serves the request of ctx ("s3", "sts", ...),
// for the access log and Options.Observe. Outside Wrap it does nothing.
// Call it from the request's own goroutine, before the handler returns.
func SetAPI(ctx context.Context, api string) {
	if st, ok := ctx.Value(stateKey{}).(*state); ok {
		st.api = api
	}
}

// Wrap returns next with request ids, recovery, body timeouts, the access
// log, the error log and Options.Observe.
func Wrap(next http.Handler, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	serverName := []string{opts.ServerName}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &state{id: NewRequestID()}
		h := w.Header()
		// Canonical keys set directly: Header.Set would canonicalize them
		// again on every request.
		ids := []string{st.id}
		h[RequestIDHeader] = ids
		h["X-Amz-Id-2"] = ids
		if opts.ServerName != "" {
			h["Server"] = serverName
		}
		sw := &statusWriter{ResponseWriter: w}
		// Hand the handlers a shallow copy: they wrap r.Body (timeouts,
		// signature checks, aws-chunked decoding), and net/http decides
		// whether the connection may carry another request by looking at
		// the Body of the request it passed in. Were that replaced, a body
		// left unread after an early error would not be noticed, and its
		// bytes would be parsed as the next request on the connection.
		ctx := context.WithValue(r.Context(), stateKey{}, st)
		r = r.WithContext(ctx)
		if opts.BodyReadTimeout > 0 && r.Body != nil && r.Body != http.NoBody {
			r.Body = &timeoutBody{ReadCloser: r.Body, rc: http.NewResponseController(w), timeout: opts.BodyReadTimeout}
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				opts.Logger.ErrorContext(ctx, "panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p)
				if !sw.wroteHeader {
					http.Error(sw, "internal error", http.StatusInternalServerError)
				}
			}
			d := time.Since(start)
			status := sw.status()
			if status >= 500 && status != http.StatusNotImplemented {
				opts.Logger.LogAttrs(ctx, slog.LevelError, "request failed", slog.String("method", r.Method),
					slog.String("path", r.URL.Path), slog.String("api", st.api), slog.Int("status", status),
					slog.Duration("duration", d))
			}
			if opts.AccessLog != nil {
				opts.AccessLog.LogAttrs(ctx, slog.LevelInfo, "request", slog.String("method", r.Method),
					slog.String("path", r.URL.Path), slog.Int("status", status), slog.Int64("bytes", sw.bytes),
					slog.Duration("duration", d), slog.String("api", st.api), slog.String("remote", remoteIP(r)))
			}
			if opts.Observe != nil {
				opts.Observe(st.api, status, d)
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// remoteIP is the address of the request's peer, without its port.
func remoteIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// statusWriter records the status and byte count of a response.
type statusWriter struct {
	http.ResponseWriter
	code        int
	bytes       int64
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// ReadFrom keeps io.Copy's sendfile fast path for object bodies.
func (w *statusWriter) ReadFrom(r io.Reader) (int64, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	var n int64
	var err error
	if _, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		n, err = io.Copy(w.ResponseWriter, r) // net/http's own: sendfile, pooled buffers
	} else {
		// A writer without ReadFrom (a recorder, a middleware's): copy
		// through a pooled buffer rather than a new 32 KiB one per
		// response. (rateWriter, in front of every connection, has its
		// own ReadFrom.)
		bp := copyBufs.Get().(*[]byte)
		n, err = io.CopyBuffer(w.ResponseWriter, r, *bp)
		copyBufs.Put(bp)
	}
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if !w.wroteHeader {
		return http.StatusOK
	}
	return w.code
}

// timeoutBody extends the connection's read deadline before every read
// until the body ends. After that net/http reads the connection in the
// background to notice a client that goes away; a deadline set then would
// end that read and cancel the request's context under a working handler.
type timeoutBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
	ended   bool
}

func (b *timeoutBody) Read(p []byte) (int, error) {
	if b.ended {
		return b.ReadCloser.Read(p)
	}
	_ = b.rc.SetReadDeadline(time.Now().Add(b.timeout))
	n, err := b.ReadCloser.Read(p)
	b.ended = err != nil
	return n, err
}
