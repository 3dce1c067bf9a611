package server

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/config"
)

// TestServer_LifecycleWorker checks the wiring: the worker runs every
// LifecycleInterval with LifecycleDay-long days and expires an object,
// and the default SSE keyring is created under the data directory.
func TestServer_LifecycleWorker(t *testing.T) {
	var dir string
	s := openTest(t, func(c *config.Config) {
		c.LifecycleInterval, c.LifecycleDay = 50*time.Millisecond, 100*time.Millisecond
		dir = c.Dir
	})
	if fi, err := os.Stat(filepath.Join(dir, ".sesame.sys", "sse", "keyring")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keyring: %v %v", err, fi)
	}
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	for _, step := range []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPut, "/lc-bucket", "", 200},
		{http.MethodPut, "/lc-bucket/tmp/x", "x", 200},
		{http.MethodPut, "/lc-bucket?lifecycle", `<LifecycleConfiguration><Rule><ID>t</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`, 200},
	} {
		if code, body := signed(t, root, "s3", step.method, ts.URL+step.path, "", []byte(step.body)); code != step.want {
			t.Fatalf("%s %s: %d %s", step.method, step.path, code, body)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _ := signed(t, root, "s3", http.MethodGet, ts.URL+"/lc-bucket/tmp/x", "", nil)
		if code == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("object not expired by the worker: GET answers %d", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := s.RunLifecycle(t.Context()); err != nil {
		t.Fatalf("RunLifecycle: %v", err)
	}
}
