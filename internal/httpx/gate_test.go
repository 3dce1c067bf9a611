package httpx

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSigned(t *testing.T) {
	tests := []struct {
		name   string
		target string
		auth   string
		want   bool
	}{
		{"anonymous", "/bucket/key", "", false},
		{"header", "/bucket/key", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00", true},
		{"presigned", "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a&X-Amz-Signature=00", "", true},
		{"credential without signature", "/bucket/key?X-Amz-Credential=a", "", false},
		{"other query", "/bucket?list-type=2&prefix=x", "", false},
		{"STS form in the query", "/?Action=AssumeRoleWithWebIdentity&WebIdentityToken=x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, tt.target, nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if got := Signed(r); got != tt.want {
				t.Errorf("Signed = %v, want %v", got, tt.want)
			}
		})
	}
}

// gateServer serves an "ok" handler behind a gate with opts. After the
// server closes, every connection must have been counted out.
func gateServer(t *testing.T, opts GateOptions) (*httptest.Server, *Gate) {
	t.Helper()
	g := NewGate(opts)
	ts := httptest.NewUnstartedServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "ok")
	})))
	ts.Listener = g.Listener(ts.Listener)
	ts.Config.ConnState = g.ConnState
	ts.Config.ConnContext = g.ConnContext
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		if n := g.Open(); n != 0 {
			t.Errorf("%d connections still counted open after the server closed", n)
		}
	})
	return ts, g
}

// waitOpen waits until g counts n connections.
func waitOpen(t *testing.T, g *Gate, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for g.Open() != n {
		if time.Now().After(deadline) {
			t.Fatalf("gate counts %d connections, want %d", g.Open(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// request sends a request on c and reads the response.
func request(t *testing.T, c net.Conn, auth string) (*http.Response, string) {
	t.Helper()
	req := "GET /bucket/key HTTP/1.1\r\nHost: x\r\n"
	if auth != "" {
		req += "Authorization: " + auth + "\r\n"
	}
	fmt.Fprint(c, req+"\r\n")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// isClosed reports whether the server closed c, reading what it sends
// for up to wait.
func isClosed(c net.Conn, wait time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	_, err := io.Copy(io.Discard, c)
	return !errors.Is(err, os.ErrDeadlineExceeded)
}

const fakeAuth = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00"

func TestGate_ShedsUnsignedAboveSoftConns(t *testing.T) {
	ts, g := gateServer(t, GateOptions{MaxConns: 10, SoftConns: 3, BusyHeaderTimeout: time.Minute})
	for i := 0; i < 3; i++ {
		dial(t, ts) // held open, no request
	}
	waitOpen(t, g, 3)

	resp, body := request(t, dial(t, ts), "")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "<Code>SlowDown</Code>") ||
		!resp.Close || resp.Header.Get("Retry-After") == "" || resp.Header.Get(RequestIDHeader) == "" {
		t.Errorf("unsigned request at 4 of 3: %d close=%v Retry-After=%q\n%s\nwant 503 SlowDown, Connection: close, Retry-After",
			resp.StatusCode, resp.Close, resp.Header.Get("Retry-After"), body)
	}
	resp, body = request(t, dial(t, ts), fakeAuth)
	if resp.StatusCode != http.StatusOK || body != "ok" || resp.Close {
		t.Errorf("signed request at 5 of 3: %d %q close=%v, want 200 ok on a kept connection", resp.StatusCode, body, resp.Close)
	}
}

func TestGate_UnsignedServedBelowSoftConns(t *testing.T) {
	ts, _ := gateServer(t, GateOptions{MaxConns: 10, SoftConns: 3})
	resp, body := request(t, dial(t, ts), "")
	if resp.StatusCode != http.StatusOK || body != "ok" {
		t.Errorf("unsigned request at 1 of 3: %d %q, want 200 ok", resp.StatusCode, body)
	}
}

// TestGate_ShedUnreadBody: a refused request's body is not waited for.
func TestGate_ShedUnreadBody(t *testing.T) {
	ts, g := gateServer(t, GateOptions{MaxConns: 10, SoftConns: 1, BusyHeaderTimeout: time.Minute})
	dial(t, ts)
	waitOpen(t, g, 1)
	c := dial(t, ts)
	start := time.Now()
	fmt.Fprint(c, "PUT /bucket/key HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
	go dribble(c, 100*time.Millisecond)
	if !isClosed(c, 2*time.Second) {
		t.Fatal("refused request with a dribbling body: connection still open after 2s")
	}
	t.Logf("closed after %v", time.Since(start))
}

// TestGate_RefusedBigBodyFreesAtOnce: net/http keeps a connection half a
// second after answering without a body of more than 256 KiB; a refused
// one is closed at once.
func TestGate_RefusedBigBodyFreesAtOnce(t *testing.T) {
	ts, g := gateServer(t, GateOptions{MaxConns: 10, SoftConns: 1, BusyHeaderTimeout: time.Minute})
	dial(t, ts)
	waitOpen(t, g, 1)
	c := dial(t, ts)
	fmt.Fprint(c, "PUT /bucket/key HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("unsigned PUT above SoftConns: %v %v, want 503", resp, err)
	}
	start := time.Now()
	waitOpen(t, g, 1)
	if elapsed := time.Since(start); elapsed > 250*time.Millisecond {
		t.Errorf("refused connection counted for %v after the request, want it closed at once", elapsed)
	}
}

func TestGate_WaitsAtMaxConns(t *testing.T) {
	ts, g := gateServer(t, GateOptions{MaxConns: 3, SoftConns: 2, BusyHeaderTimeout: time.Minute})
	held := []net.Conn{dial(t, ts), dial(t, ts), dial(t, ts)}
	waitOpen(t, g, 3)
	c := dial(t, ts) // in the backlog
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\n\r\n", fakeAuth)
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("a fourth connection was served at MaxConns 3")
	}
	if g.Open() != 3 {
		t.Fatalf("gate counts %d connections at MaxConns 3", g.Open())
	}
	held[0].Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("after one closed: %v %v, want 200", resp, err)
	}
}

func TestGate_ClosesIdleFirst(t *testing.T) {
	ts, g := gateServer(t, GateOptions{MaxConns: 10, SoftConns: 2, BusyHeaderTimeout: time.Minute})
	idle1, idle2 := dial(t, ts), dial(t, ts)
	request(t, idle1, "")
	request(t, idle2, "")
	fresh := dial(t, ts) // new, no request yet: not slow for a minute
	waitOpen(t, g, 3)
	if !isClosed(idle1, 2*time.Second) {
		t.Fatal("over SoftConns, the longest idle connection was not closed")
	}
	if isClosed(idle2, 300*time.Millisecond) || isClosed(fresh, 10*time.Millisecond) {
		t.Fatal("closed more than needed to get back to SoftConns")
	}
	waitOpen(t, g, 2)
}

func TestGate_ClosesSlowHeaders(t *testing.T) {
	const busy = 200 * time.Millisecond
	ts, g := gateServer(t, GateOptions{MaxConns: 10, SoftConns: 1, BusyHeaderTimeout: busy})
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c := dial(t, ts)
		fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n") // and no more
		conns = append(conns, c)
	}
	start := time.Now()
	waitOpen(t, g, 1)
	if elapsed := time.Since(start); elapsed > busy+time.Second {
		t.Errorf("slow headers closed after %v, want about %v", elapsed, busy)
	}
	if !isClosed(conns[0], time.Second) || !isClosed(conns[1], time.Second) || isClosed(conns[2], 10*time.Millisecond) {
		t.Error("want the two oldest slow connections closed and the newest kept")
	}
}

// TestGate_AtMaxSweepsSooner: with connections waiting at MaxConns, a
// connection is slow after a quarter of BusyHeaderTimeout.
func TestGate_AtMaxSweepsSooner(t *testing.T) {
	const busy = 2 * time.Second
	ts, g := gateServer(t, GateOptions{MaxConns: 3, SoftConns: 1, BusyHeaderTimeout: busy})
	for i := 0; i < 3; i++ {
		dial(t, ts)
	}
	waitOpen(t, g, 3)
	start := time.Now()
	resp, _ := request(t, dial(t, ts), fakeAuth)
	elapsed := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed request at MaxConns: %d, want 200", resp.StatusCode)
	}
	if elapsed > busy/4+500*time.Millisecond {
		t.Errorf("signed request waited %v at MaxConns, want about %v", elapsed, busy/4)
	}
	t.Logf("signed request waited %v at MaxConns", elapsed)
}

// TestGate_LogsEpisodes: one line when shedding starts, one with the
// totals when it stops.
func TestGate_LogsEpisodes(t *testing.T) {
	var logs logRecorder
	ts, g := gateServer(t, GateOptions{MaxConns: 10, SoftConns: 1, BusyHeaderTimeout: time.Minute, Logger: slog.New(&logs)})
	held := dial(t, ts)
	waitOpen(t, g, 1)
	for i := 0; i < 3; i++ {
		request(t, dial(t, ts), "")
	}
	held.Close()
	deadline := time.Now().Add(5 * time.Second)
	for len(logs.messages()) < 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(3 * sweepInterval)
	msgs := logs.messages()
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0], "over the soft connection limit") ||
		!strings.Contains(msgs[1], "stopped shedding") || !strings.Contains(msgs[1], "refused_unsigned=3") {
		t.Errorf("log:\n%s\nwant a line when shedding starts and one when it stops, with 3 refused", strings.Join(msgs, "\n"))
	}
}

// logRecorder is a slog.Handler that keeps each record as "message attr=value ...".
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	line := r.Message
	r.Attrs(func(a slog.Attr) bool { line += " " + a.String(); return true })
	h.mu.Lock()
	h.msgs = append(h.msgs, line)
	h.mu.Unlock()
	return nil
}

func (h *logRecorder) messages() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.msgs)
}

// TestGate_TLS: behind tls.NewListener the gate still follows its
// connections' states (net/http hands ConnState the *tls.Conn), so an idle
// TLS connection is known to be idle, and is counted out when closed.
func TestGate_TLS(t *testing.T) {
	g := NewGate(GateOptions{MaxConns: 10, SoftConns: 5})
	ts := httptest.NewUnstartedServer(g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			t.Error("a request without TLS")
		}
		fmt.Fprint(w, "ok")
	})))
	ts.Config.ConnState = g.ConnState
	ts.Config.ConnContext = g.ConnContext
	// StartTLS wraps the listener in TLS; the gate must sit under it.
	ts.Listener = g.Listener(ts.Listener)
	ts.StartTLS()
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g.mu.Lock()
		var states []http.ConnState
		for c := range g.conns {
			s, _ := c.state()
			states = append(states, s)
		}
		g.mu.Unlock()
		if len(states) == 1 && states[0] == http.StateIdle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gate sees states %v, want one idle connection", states)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.Client().CloseIdleConnections()
	for g.Open() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still counted after the client closed", g.Open())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
