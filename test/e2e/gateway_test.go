package e2e

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/object/s3backend"
	"github.com/sesame-s3/sesame/internal/server"
)

// The S3 backend (docs/GATEWAY.md) in the end-to-end suites: with
// SESAME_E2E_BACKEND=s3, every in-process server this package starts keeps
// its objects in a second in-process Sesame (posix) instead of its
// directory, in bucket mode (s3-bucket: in single-bucket mode); the tests
// named TestGateway* do so always (TestGatewaySingle* in single-bucket
// mode), and re-run the STS, IAM and OPA scenarios that way.

const (
	upstreamUser   = "upstream"
	upstreamSecret = "upstreamsecret"
)

// upstreams holds one upstream per data directory, so that a server
// restarted on its directory finds its objects again.
var upstreams sync.Map // dir -> *s3backend.Config

// gatewayMode reports whether t's servers run on the S3 backend.
func gatewayMode(t testing.TB) bool {
	return strings.HasPrefix(os.Getenv("SESAME_E2E_BACKEND"), "s3") || strings.HasPrefix(t.Name(), "TestGateway")
}

// useBackend puts cfg on the S3 backend in gateway mode.
func useBackend(t testing.TB, cfg *config.Config) {
	t.Helper()
	if gatewayMode(t) && cfg.S3Backend == nil {
		cfg.S3Backend = upstreamFor(t, cfg.Dir)
	}
}

// upstreamFor returns the S3 backend settings of dir's upstream, starting
// it on first use (it stops with the test that started it).
func upstreamFor(t testing.TB, dir string) *s3backend.Config {
	t.Helper()
	if c, ok := upstreams.Load(dir); ok {
		return c.(*s3backend.Config)
	}
	srv, err := server.Open(config.Config{Dir: t.TempDir(), RootUser: upstreamUser, RootPassword: upstreamSecret, Region: testRegion}, server.Options{})
	if err != nil {
		t.Fatalf("upstream server.Open: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		upstreams.Delete(dir)
		ts.Close()
		srv.Close()
	})
	// No bucket prefix: the upstream is this directory's alone, and
	// names keep S3's full 63 characters.
	c := &s3backend.Config{Endpoint: ts.URL, AccessKey: upstreamUser, SecretKey: upstreamSecret}
	if os.Getenv("SESAME_E2E_BACKEND") == "s3-bucket" || strings.HasPrefix(t.Name(), "TestGatewaySingle") {
		c.Bucket = "sesame-data"
		up := endpoint{URL: ts.URL, AccessKey: upstreamUser, SecretKey: upstreamSecret, Region: testRegion}
		if _, err := sdkClient(up).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(c.Bucket)}); err != nil {
			t.Fatalf("creating the upstream bucket: %v", err)
		}
	}
	upstreams.Store(dir, c)
	return c
}

// TestGateway_Scenarios runs the STS, IAM and OPA stories against a
// Sesame whose objects live upstream: AssumeRole with a session policy,
// WebIdentity (SDK providers, IRSA roles), client grants, IAM policies
// across a restart, and OPA's denials.
func TestGateway_Scenarios(t *testing.T) { runScenarios(t) }

// TestGatewaySingle_Scenarios is TestGateway_Scenarios in single-bucket
// mode: Sesame's buckets are prefixes of one upstream bucket.
func TestGatewaySingle_Scenarios(t *testing.T) { runScenarios(t) }

func runScenarios(t *testing.T) {
	for _, c := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"STS_AssumeRole", TestSTS_AssumeRole},
		{"OIDC_SDKProviders", TestOIDC_SDKProviders},
		{"OIDC_ClientGrants", TestOIDC_ClientGrants},
		{"Roles_WebIdentityIRSA", TestRoles_WebIdentityIRSA},
		{"IAM_PolicyEnforced", TestIAM_PolicyEnforced},
		{"OPA", TestOPA},
	} {
		t.Run(c.name, c.run)
	}
}

// faultyUpstream stands between the gateway and its upstream: it passes
// requests through, answers 503 SlowDown, or is down (its port closed).
type faultyUpstream struct {
	t        testing.TB
	addr     string
	target   *url.URL
	slowDown atomic.Bool
	mu       sync.Mutex
	srv      *http.Server
}

func startFaultyUpstream(t testing.TB, target string) *faultyUpstream {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	f := &faultyUpstream{t: t, target: u}
	f.up("127.0.0.1:0")
	t.Cleanup(f.down)
	return f
}

func (f *faultyUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.slowDown.Load() {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
		return
	}
	httputil.NewSingleHostReverseProxy(f.target).ServeHTTP(w, r)
}

// up listens on addr (the old address after a down).
func (f *faultyUpstream) up(addr string) {
	f.t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		f.t.Fatalf("listen %s: %v", addr, err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.addr = ln.Addr().String()
	f.srv = &http.Server{Handler: f}
	go f.srv.Serve(ln)
}

// down closes the port and every connection.
func (f *faultyUpstream) down() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		f.srv.Close()
		f.srv = nil
	}
}

// TestGateway_UpstreamFaults checks what clients see when the upstream
// slows down or goes away: 503 SlowDown or ServiceUnavailable with
// Retry-After, at once, and normal service again when it is back.
func TestGateway_UpstreamFaults(t *testing.T) {
	ctx := context.Background()
	real := upstreamFor(t, t.TempDir())
	proxy := startFaultyUpstream(t, real.Endpoint)
	gwCfg := *real
	gwCfg.Endpoint = "http://" + proxy.addr
	ep := startServer(t, func(c *config.Config) { c.S3Backend = &gwCfg })
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	putObject(t, c, bucket, "k", []byte("data"))

	check503 := func(what, wantCode string) {
		t.Helper()
		start := time.Now()
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
		took := time.Since(start)
		if errorCode(err) != wantCode || httpStatus(err) != http.StatusServiceUnavailable {
			t.Fatalf("%s: GetObject error = %v (code %q, status %d), want %s 503", what, err, errorCode(err), httpStatus(err), wantCode)
		}
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.Response.Header.Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After header", what)
		}
		if took > 5*time.Second {
			t.Errorf("%s: the 503 took %v, want it fast", what, took)
		}
	}

	proxy.slowDown.Store(true)
	check503("upstream SlowDown", "SlowDown")
	proxy.slowDown.Store(false)
	if got := getObject(t, c, bucket, "k"); string(got) != "data" {
		t.Fatalf("after SlowDown: GetObject = %q", got)
	}

	addr := proxy.addr
	proxy.down()
	check503("upstream down", "ServiceUnavailable")
	check503("upstream still down", "ServiceUnavailable")
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("k2"), Body: strings.NewReader("x")})
	if errorCode(err) != "ServiceUnavailable" {
		t.Fatalf("PutObject with the upstream down: %v, want ServiceUnavailable", err)
	}
	proxy.up(addr)
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")})
		if err == nil {
			data, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(data) != "data" {
				t.Fatalf("after recovery: GetObject = %q", data)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery after the upstream came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	putObject(t, c, bucket, "k2", []byte("after"))
}

// TestGateway_ObjectsLiveUpstream checks that the gateway keeps objects
// upstream, in the upstream bucket named by the prefix, and keeps the
// upstream's credentials to itself.
func TestGateway_ObjectsLiveUpstream(t *testing.T) { objectsLiveUpstream(t) }

// TestGatewaySingle_ObjectsLiveUpstream is the same in single-bucket mode:
// bucket b's keys live under "b/" in the one upstream bucket.
func TestGatewaySingle_ObjectsLiveUpstream(t *testing.T) { objectsLiveUpstream(t) }

func objectsLiveUpstream(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ep, _ := startServerOn(t, dir)
	bucket := newBucket(t, ep)
	putObject(t, sdkClient(ep), bucket, "dir/doc.txt", []byte("upstream data"), func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("text/plain")
		in.Metadata = map[string]string{"color": "blue"}
	})
	up := upstreamFor(t, dir)
	upc := sdkClient(endpoint{URL: up.Endpoint, AccessKey: up.AccessKey, SecretKey: up.SecretKey, Region: testRegion})
	upBucket, upKey := up.BucketPrefix+bucket, "dir/doc.txt"
	if up.Bucket != "" {
		upBucket, upKey = up.Bucket, bucket+"/dir/doc.txt"
	}
	out, err := upc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(upBucket), Key: aws.String(upKey)})
	if err != nil {
		t.Fatalf("the object is not upstream: %v", err)
	}
	data, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if string(data) != "upstream data" || aws.ToString(out.ContentType) != "text/plain" || out.Metadata["color"] != "blue" {
		t.Fatalf("upstream object = %q, %q, %v", data, aws.ToString(out.ContentType), out.Metadata)
	}
	// The upstream's keys are not Sesame's.
	_, err = sdkClient(ep.withKeys(up.AccessKey, up.SecretKey)).ListBuckets(ctx, &s3.ListBucketsInput{})
	if errorCode(err) != "InvalidAccessKeyId" {
		t.Fatalf("the upstream's keys at the gateway: %v, want InvalidAccessKeyId", err)
	}
}
