package process

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestServer_GracefulShutdown sends SIGTERM while a 4 MiB PUT is half
// sent and small PUTs keep coming: the server refuses new connections at
// once, the PUT in flight completes with 200, the process exits 0, and
// after a restart the large object and every small PUT that was answered
// 200 are there, whole.
func TestServer_GracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	n, log := startLogged(t, dir, 0, "--shutdown-timeout", "20s")
	if code, body := do(t, http.MethodPut, n.endpoint+"/grace", nil); code != 200 {
		t.Fatalf("create bucket: %d %s", code, body)
	}

	// The large PUT, its body fed by hand.
	const size = 4 << 20
	payload := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPut, n.endpoint+"/grace/big", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	status := make(chan string, 1)
	go func() {
		resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
		if err != nil {
			status <- err.Error()
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		status <- resp.Status
	}()
	if _, err := pw.Write(payload[:1<<20]); err != nil {
		t.Fatal(err)
	}

	// Small PUTs under way, each on a new connection, until the server
	// stops answering.
	var (
		mu   sync.Mutex
		done = map[string][]byte{}
		wg   sync.WaitGroup
		stop = make(chan struct{})
	)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("small-%d-%d", w, i)
				body := []byte(strings.Repeat(key, 1000))
				code, err := signedDo(client, http.MethodPut, n.endpoint+"/grace/"+key, body)
				if err != nil {
					return // refused: the server is stopping
				}
				if code == 200 {
					mu.Lock()
					done[key] = body
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)

	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if !log.wait(`shutting down`, 5*time.Second) {
		t.Fatal("no 'shutting down' line after SIGTERM")
	}
	// New connections are refused.
	deadline := time.Now().Add(2 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(n.endpoint, "http://"), time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 2 s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The rest of the large body, slowly.
	for off := 1 << 20; off < size; off += 256 << 10 {
		if _, err := pw.Write(payload[off : off+256<<10]); err != nil {
			t.Fatalf("feeding the PUT after SIGTERM: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pw.Close()
	select {
	case s := <-status:
		if s != "200 OK" {
			t.Fatalf("the PUT in flight at SIGTERM: %s, want 200 OK", s)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the PUT in flight at SIGTERM did not finish")
	}
	close(stop)
	wg.Wait()
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not exit after its requests finished")
	}
	if code := n.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if !log.wait(`sesame stopped`, time.Second) {
		t.Errorf("no 'sesame stopped' line:\n%s", strings.Join(log.lines, "\n"))
	}

	n = start(t, dir)
	code, body := do(t, http.MethodGet, n.endpoint+"/grace/big", nil)
	if code != 200 || !bytes.Equal(body, payload) {
		t.Fatalf("the large object after restart: %d, %d bytes, want 200 and %d bytes", code, len(body), size)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(done) == 0 {
		t.Fatal("no small PUT completed")
	}
	for key, want := range done {
		if code, got := do(t, http.MethodGet, n.endpoint+"/grace/"+key, nil); code != 200 || !bytes.Equal(got, want) {
			t.Errorf("%s answered 200 before the shutdown but reads %d, %d bytes after", key, code, len(got))
		}
	}
	t.Logf("%d small PUTs completed around the shutdown", len(done))
}

// TestServer_PortTaken: a taken port fails before anything is created in
// a new data directory.
func TestServer_PortTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := filepath.Join(t.TempDir(), "fresh")
	env := []string{"PATH=/usr/bin:/bin", "MINIO_ROOT_USER=" + rootUser, "MINIO_ROOT_PASSWORD=" + rootPassword}
	code, out := runSesame(t, env, "server", "--address", l.Addr().String(), "--certs-dir=", dir)
	if code != 1 || !strings.Contains(out, "cannot listen on "+l.Addr().String()) {
		t.Fatalf("exit %d, output:\n%s\nwant 1 and 'cannot listen'", code, out)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data directory was created although the port is taken (%v)", err)
	}
}

// TestServer_HelpAndWarnings: the server's help on stdout with exit 0, and
// a mistyped variable named in a warning with the right name.
func TestServer_HelpAndWarnings(t *testing.T) {
	code, out := runSesame(t, nil, "server", "--help")
	if code != 0 || !strings.Contains(out, "MINIO_IDENTITY_OPENID_CONFIG_URL") || !strings.Contains(out, "--max-conns") && !strings.Contains(out, "-max-conns") {
		t.Fatalf("server --help: exit %d:\n%s", code, out)
	}
	t.Setenv("MINIO_ROOT_PASWORD", "oops-typo")
	_, log := startLogged(t, t.TempDir(), 0)
	if !log.wait(`level=WARN msg="MINIO_ROOT_PASWORD is not a setting Sesame knows; it is ignored. Did you mean MINIO_ROOT_PASSWORD\? \(in the environment\)"`, 2*time.Second) {
		t.Errorf("no warning for the mistyped variable:\n%s", strings.Join(log.lines, "\n"))
	}
	if len(log.match("oops-typo")) > 0 {
		t.Error("the log shows the mistyped variable's value")
	}
	code, out = runSesame(t, []string{"PATH=/usr/bin:/bin", "MINIO_ROOT_USER=admin", "MINIO_ROOT_PASWORD=adminsecret"},
		"server", "--address", "127.0.0.1:0", "--certs-dir=", t.TempDir())
	if code != 1 || !strings.Contains(out, "MINIO_ROOT_PASSWORD (the root secret key, at least 8 characters) is missing") {
		t.Errorf("a mistyped password variable: exit %d:\n%s", code, out)
	}
}

// TestServer_Pprof: profiles only on their own listener.
func TestServer_Pprof(t *testing.T) {
	n, log := startLogged(t, t.TempDir(), 0, "--pprof", "127.0.0.1:0")
	m := log.match(`Go profiles \(pprof\) at (http://\S+/debug/pprof/)`)
	if len(m) == 0 {
		t.Fatalf("no pprof line:\n%s", strings.Join(log.lines, "\n"))
	}
	resp, err := http.Get(m[0][1] + "cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("pprof cmdline: %d", resp.StatusCode)
	}
	resp, err = http.Get(n.endpoint + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == 200 || bytes.Contains(body, []byte("sesame")) {
		t.Errorf("pprof on the S3 port: %d %s", resp.StatusCode, body)
	}
}
