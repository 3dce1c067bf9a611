package s3

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

// TestWriteError_Unavailable checks that a storage that asks to slow down
// or cannot be reached (the S3 backend's upstream) is a 503 with S3's code
// and a Retry-After header.
func TestWriteError_Unavailable(t *testing.T) {
	for _, c := range []struct {
		err      error
		wantCode string
	}{
		{fmt.Errorf("s3 backend: GetObject: %w", object.ErrSlowDown), "SlowDown"},
		{fmt.Errorf("s3 backend: GetObject: %w: dial tcp: connection refused", object.ErrUnavailable), "ServiceUnavailable"},
	} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			rec := httptest.NewRecorder()
			req := &request{Request: httptest.NewRequest(method, "/b/k", nil), w: rec, bucket: "b", key: "k"}
			New(Options{}).writeError(req, c.err)
			code := rec.Header().Get("X-Amz-Error-Code")
			if method == http.MethodGet {
				code = between(rec.Body.String(), "<Code>", "</Code>")
			}
			if rec.Code != http.StatusServiceUnavailable || code != c.wantCode || rec.Header().Get("Retry-After") == "" {
				t.Errorf("%s %v: %d %q Retry-After %q, want 503 %s with Retry-After", method, c.err, rec.Code, code, rec.Header().Get("Retry-After"), c.wantCode)
			}
		}
	}
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}
