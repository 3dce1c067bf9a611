package httpx

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestWrap_BodyTimeoutAfterEOF: once a body has ended, net/http reads the
// connection in the background to notice a client that goes away, and a
// read deadline left behind would end that read and cancel the request's
// context while the handler is still working.
func TestWrap_BodyTimeoutAfterEOF(t *testing.T) {
	const timeout = 50 * time.Millisecond
	ctxErr := make(chan error, 1)
	h := Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			t.Error(err)
		}
		_, _ = r.Body.Read(make([]byte, 1)) // again, after EOF
		time.Sleep(4 * timeout)             // the handler's own work
		ctxErr <- r.Context().Err()
	}), Options{BodyReadTimeout: timeout})
	ts := httptest.NewServer(h)
	defer ts.Close()
	resp, err := http.Post(ts.URL, "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := <-ctxErr; err != nil {
		t.Errorf("request context after the body ended: %v, want it live", err)
	}
}
