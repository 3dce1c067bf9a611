package httpx

import (
	"cmp"
	"context"
	"crypto/tls"
	"encoding/xml"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// GateOptions configure a Gate.
type GateOptions struct {
	// MaxConns is the most connections open at once: at it, the listener
	// stops accepting until one closes (new connections wait in the
	// kernel's backlog). Must be positive.
	MaxConns int
	// SoftConns is where shedding starts. With more connections open,
	// requests that carry no credentials are answered 503 SlowDown with
	// Connection: close, and connections are closed until the count is
	// back at SoftConns: idle keep-alive connections first, longest idle
	// first, then connections that have not sent a complete request header
	// within BusyHeaderTimeout (a quarter of it at MaxConns, when new
	// connections are waiting). Signed requests are served up to MaxConns.
	// Must be below MaxConns.
	SoftConns int
	// BusyHeaderTimeout is how long a new connection may take to send its
	// first request header while the server is above SoftConns; 0 means
	// 2 s. (Below SoftConns, http.Server.ReadHeaderTimeout alone applies.)
	BusyHeaderTimeout time.Duration
	// Logger receives a summary of what was shed: when shedding starts,
	// every 10 s while it lasts, and when it has stopped for a second.
	Logger *slog.Logger
}

// Gate keeps the number of open connections within bounds, giving way to
// signed requests. Install all four parts on one http.Server:
//
//	hs.Handler = g.Handler(next)
//	hs.ConnState = g.ConnState
//	hs.ConnContext = g.ConnContext
//	hs.Serve(g.Listener(l))
//
// For HTTPS, wrap the gate's listener: tls.NewListener(g.Listener(l), c);
// the gate then counts the TCP connections under the TLS ones, and a TLS
// handshake is part of the wait for a request header.
//
// Whether a request is signed is decided by the presence of credentials
// alone (an Authorization header, an X-Amz-Signature query parameter):
// that is cheap, and a forged signature still fails verification later,
// so it buys an attacker nothing but a normal refusal.
type Gate struct {
	opts  GateOptions
	log   *slog.Logger
	open  atomic.Int64
	freed chan struct{} // a close wakes an Accept waiting at MaxConns

	mu    sync.Mutex
	conns map[*gateConn]struct{}

	// Counts for the summary log line.
	shed, closedIdle, closedSlow atomic.Int64
}

// NewGate returns a Gate for opts.
func NewGate(opts GateOptions) *Gate {
	if opts.BusyHeaderTimeout <= 0 {
		opts.BusyHeaderTimeout = 2 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Gate{opts: opts, log: log, freed: make(chan struct{}, 1), conns: map[*gateConn]struct{}{}}
}

// Open returns the number of connections open now.
func (g *Gate) Open() int { return int(g.open.Load()) }

// Signed reports whether r carries credentials, without checking them.
func Signed(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	if r.URL.RawQuery == "" {
		return false
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	return q.Get("X-Amz-Signature") != ""
}

// Handler returns next behind the gate: above SoftConns, requests without
// credentials are refused.
func (g *Gate) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.open.Load() > int64(g.opts.SoftConns) && !Signed(r) {
			g.refuse(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// shedWriteTimeout bounds the writing of a 503 SlowDown.
const shedWriteTimeout = 5 * time.Second

// refuse answers 503 SlowDown and has the connection closed.
func (g *Gate) refuse(w http.ResponseWriter, r *http.Request) {
	g.shed.Add(1)
	rc := http.NewResponseController(w)
	now := time.Now()
	_ = rc.SetWriteDeadline(now.Add(shedWriteTimeout))
	if r.ContentLength != 0 {
		// net/http drains up to 256 KiB of an unread body after the
		// handler, even when the connection closes; a slow client would
		// hold it for that long. The bytes it already has are still read.
		_ = rc.SetReadDeadline(now)
	}
	if c, ok := r.Context().Value(connKey{}).(*gateConn); ok {
		c.refused.Store(true)
	}
	id := NewRequestID()
	h := w.Header()
	h.Set("Connection", "close")
	h.Set("Retry-After", "2")
	h.Set(RequestIDHeader, id)
	WriteXML(w, http.StatusServiceUnavailable, "application/xml", slowDown{
		Code:      "SlowDown",
		Message:   "Please reduce your request rate.",
		RequestID: id,
	})
}

// slowDown is S3's error document; SDKs of every AWS API retry a 503.
type slowDown struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

// ConnState tracks the state of the gate's connections; install it as
// http.Server.ConnState.
func (g *Gate) ConnState(c net.Conn, s http.ConnState) {
	if gc, ok := asGateConn(c); ok {
		gc.setState(s, time.Now())
	}
}

// asGateConn returns the gate's connection under c, which net/http hands
// over as a *tls.Conn when the listener is wrapped by tls.NewListener.
func asGateConn(c net.Conn) (*gateConn, bool) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	gc, ok := c.(*gateConn)
	return gc, ok
}

// connKey is the request context key of the request's *gateConn.
type connKey struct{}

// ConnContext puts the connection in its requests' context; install it as
// http.Server.ConnContext.
func (g *Gate) ConnContext(ctx context.Context, c net.Conn) context.Context {
	if gc, ok := asGateConn(c); ok {
		return context.WithValue(ctx, connKey{}, gc)
	}
	return ctx
}

// Listener returns l behind the gate: Accept waits while MaxConns
// connections are open, and a sweeper closes connections while more than
// SoftConns are, until l is closed. Call it once.
func (g *Gate) Listener(l net.Listener) net.Listener {
	gl := &gateListener{Listener: l, g: g, done: make(chan struct{})}
	go g.sweeper(gl.done)
	return gl
}

type gateListener struct {
	net.Listener
	g    *Gate
	done chan struct{}
	once sync.Once
}

func (l *gateListener) Accept() (net.Conn, error) {
	for l.g.open.Load() >= int64(l.g.opts.MaxConns) {
		select {
		case <-l.g.freed:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.g.track(c), nil
}

func (l *gateListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// track counts c in.
func (g *Gate) track(c net.Conn) *gateConn {
	gc := &gateConn{Conn: c, g: g}
	gc.setState(http.StateNew, time.Now())
	g.mu.Lock()
	g.conns[gc] = struct{}{}
	g.mu.Unlock()
	g.open.Add(1)
	return gc
}

// release counts c out.
func (g *Gate) release(c *gateConn) {
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
	g.open.Add(-1)
	select {
	case g.freed <- struct{}{}:
	default:
	}
}

// sweepInterval is how often the sweeper looks at the connections.
const sweepInterval = 100 * time.Millisecond

// Shedding episodes, for the log: one line when shedding starts, one every
// logEvery while it lasts, one when nothing was shed for quietAfter.
const (
	logEvery   = 10 * time.Second
	quietAfter = time.Second
)

// sweeper closes connections beyond SoftConns until done is closed, and
// logs what it and the handler shed.
func (g *Gate) sweeper(done <-chan struct{}) {
	t := time.NewTicker(max(min(sweepInterval, g.opts.BusyHeaderTimeout/4), 10*time.Millisecond))
	defer t.Stop()
	var ep episode
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			g.sweep(now)
			ep.tick(g, now)
		}
	}
}

// episode is a stretch of time in which the gate sheds.
type episode struct {
	active                     bool
	start, lastShed, lastLog   time.Time
	refused, idle, slowHeaders int64
}

func (e *episode) tick(g *Gate, now time.Time) {
	refused, idle, slow := g.shed.Swap(0), g.closedIdle.Swap(0), g.closedSlow.Swap(0)
	e.refused, e.idle, e.slowHeaders = e.refused+refused, e.idle+idle, e.slowHeaders+slow
	shed := refused+idle+slow > 0
	switch {
	case shed && !e.active:
		e.active, e.start, e.lastShed, e.lastLog = true, now, now, now
		g.log.Warn("over the soft connection limit: shedding unsigned requests, idle and slow connections",
			"open", g.open.Load(), "soft_conns", g.opts.SoftConns, "max_conns", g.opts.MaxConns)
	case shed:
		e.lastShed = now
		if now.Sub(e.lastLog) >= logEvery {
			e.lastLog = now
			g.log.Warn("still shedding", "open", g.open.Load(), "for", now.Sub(e.start).Round(time.Second),
				"refused_unsigned", e.refused, "closed_idle", e.idle, "closed_slow_header", e.slowHeaders)
		}
	case e.active && now.Sub(e.lastShed) >= quietAfter:
		g.log.Warn("stopped shedding", "open", g.open.Load(), "lasted", e.lastShed.Sub(e.start).Round(time.Millisecond),
			"refused_unsigned", e.refused, "closed_idle", e.idle, "closed_slow_header", e.slowHeaders)
		*e = episode{}
	}
}

// sweep closes enough idle, then slow, connections to get back to
// SoftConns, if it can.
func (g *Gate) sweep(now time.Time) {
	open := int(g.open.Load())
	excess := open - g.opts.SoftConns
	if excess <= 0 {
		return
	}
	slowAfter := g.opts.BusyHeaderTimeout
	if open >= g.opts.MaxConns {
		// Connections wait to be accepted, some of them perhaps signed:
		// one that has not sent its header in this time is likelier slow.
		slowAfter /= 4
	}
	type candidate struct {
		c     *gateConn
		since int64
	}
	var idle, slow []candidate
	busy := now.Add(-slowAfter).UnixNano()
	g.mu.Lock()
	for c := range g.conns {
		switch s, since := c.state(); s {
		case http.StateIdle:
			idle = append(idle, candidate{c, since})
		case http.StateNew:
			if since < busy {
				slow = append(slow, candidate{c, since})
			}
		}
	}
	g.mu.Unlock()
	oldest := func(a, b candidate) int { return cmp.Compare(a.since, b.since) }
	slices.SortFunc(idle, oldest)
	slices.SortFunc(slow, oldest)
	for _, v := range idle[:min(excess, len(idle))] {
		v.c.Close()
		g.closedIdle.Add(1)
	}
	excess -= min(excess, len(idle))
	for _, v := range slow[:min(excess, len(slow))] {
		v.c.Close()
		g.closedSlow.Add(1)
	}
}

// gateConn is a connection the gate counts.
type gateConn struct {
	net.Conn
	g       *Gate
	st      atomic.Int32 // http.ConnState
	since   atomic.Int64 // when st began, Unix ns
	refused atomic.Bool  // a request on it was refused
	close   sync.Once
}

// setState and state are not atomic together: a sweep may see a new state
// with the time of the one before, which at worst misorders two candidates.
func (c *gateConn) setState(s http.ConnState, now time.Time) {
	c.since.Store(now.UnixNano())
	c.st.Store(int32(s))
}

func (c *gateConn) state() (http.ConnState, int64) {
	return http.ConnState(c.st.Load()), c.since.Load()
}

func (c *gateConn) Close() error {
	err := c.Conn.Close()
	c.close.Do(func() { c.g.release(c) })
	return err
}

// ReadFrom keeps the connection's sendfile and splice paths.
func (c *gateConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

// CloseWrite lets net/http half-close before closing, and wait half a
// second, so that a client still sending a body it did not want reads the
// response before the reset. A refused connection is closed outright
// instead: its slot matters more than its 503.
func (c *gateConn) CloseWrite() error {
	if c.refused.Load() {
		return c.Close()
	}
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
