package e2e

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"

	"github.com/sesame-s3/sesame/internal/config"
)

// hostRecorder dials every connection to one address, whatever the URL's
// host, and records the Host of each request: a stand-in for DNS that
// resolves "*.sesame.test" to the test server.
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
	next  http.RoundTripper
}

func newHostRecorder(addr string) *hostRecorder {
	var d net.Dialer
	return &hostRecorder{next: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func (h *hostRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	h.mu.Lock()
	h.hosts = append(h.hosts, host)
	h.mu.Unlock()
	return h.next.RoundTrip(req)
}

func (h *hostRecorder) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.hosts
	h.hosts = nil
	return out
}

func TestVirtualHost(t *testing.T) {
	ep := startServer(t, func(c *config.Config) { c.Domains = []string{"sesame.test"} })
	u, err := url.Parse(ep.URL)
	if err != nil {
		t.Fatal(err)
	}
	port := u.Port()
	rec := newHostRecorder(u.Host)
	vhost := endpoint{URL: "http://sesame.test:" + port, AccessKey: ep.AccessKey, SecretKey: ep.SecretKey, Region: ep.Region, Client: &http.Client{Transport: rec}}
	vc := sdkClient(vhost, func(o *s3.Options) {
		o.UsePathStyle = false
		o.HTTPClient = vhost.Client
	})
	pc := sdkClient(ep) // path style, for cross-checks
	ctx := context.Background()
	bucket := uniqueBucket()
	wantHost := bucket + ".sesame.test:" + port

	t.Run("CreateBucket", func(t *testing.T) {
		if _, err := vc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
			t.Fatalf("CreateBucket: %v", err)
		}
		if hosts := rec.take(); !slices.Equal(hosts, []string{wantHost}) {
			t.Errorf("requests went to hosts %q, want [%s]", hosts, wantHost)
		}
		if _, err := pc.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}); err != nil {
			t.Errorf("path-style HeadBucket of the bucket made by virtual host: %v", err)
		}
	})
	data := []byte("addressed by host name")
	t.Run("PutGet", func(t *testing.T) {
		if _, err := vc.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("dir/obj"), Body: bytes.NewReader(data)}); err != nil {
			t.Fatalf("PutObject: %v", err)
		}
		out, err := vc.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("dir/obj")})
		if err != nil {
			t.Fatalf("GetObject: %v", err)
		}
		got := new(bytes.Buffer)
		_, _ = got.ReadFrom(out.Body)
		out.Body.Close()
		if !bytes.Equal(got.Bytes(), data) {
			t.Errorf("GetObject = %q, want %q", got, data)
		}
		if hosts := rec.take(); len(hosts) != 2 || hosts[0] != wantHost || hosts[1] != wantHost {
			t.Errorf("requests went to hosts %q, want two to %s", hosts, wantHost)
		}
		// The object is in the named bucket, under the full key.
		if got := getObject(t, pc, bucket, "dir/obj"); !bytes.Equal(got, data) {
			t.Errorf("path-style GetObject = %q, want %q", got, data)
		}
	})
	t.Run("List", func(t *testing.T) {
		out, err := vc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		if keys := objectKeys(out.Contents); !slices.Equal(keys, []string{"dir/obj"}) {
			t.Errorf("keys = %q, want [dir/obj]", keys)
		}
		if aws.ToString(out.Name) != bucket {
			t.Errorf("Name = %q, want %q", aws.ToString(out.Name), bucket)
		}
		rec.take()
		// The bare domain is the service endpoint.
		lb, err := vc.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatalf("ListBuckets: %v", err)
		}
		if hosts := rec.take(); len(hosts) != 1 || hosts[0] != "sesame.test:"+port {
			t.Errorf("ListBuckets went to %q, want sesame.test:%s", hosts, port)
		}
		var names []string
		for _, b := range lb.Buckets {
			names = append(names, aws.ToString(b.Name))
		}
		if !slices.Contains(names, bucket) {
			t.Errorf("ListBuckets = %q, want %s among them", names, bucket)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		_, err := vc.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("missing")})
		expectError(t, err, "NoSuchKey", http.StatusNotFound)
		_, err = vc.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(uniqueBucket()), Key: aws.String("k")})
		expectError(t, err, "NoSuchBucket", http.StatusNotFound)
		// An unsigned request to a virtual host is still refused.
		req, _ := http.NewRequest(http.MethodGet, "http://"+wantHost+"/dir/obj", nil)
		resp := vhost.do(t, req)
		expectXMLError(t, resp, http.StatusForbidden, "AccessDenied")
	})
	t.Run("Presigned", func(t *testing.T) {
		p, err := s3.NewPresignClient(vc).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("dir/obj")})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.URL, "http://"+wantHost+"/dir/obj?") {
			t.Fatalf("presigned URL %s is not virtual-host style", p.URL)
		}
		req, _ := http.NewRequest(http.MethodGet, p.URL, nil)
		resp := vhost.do(t, req)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(resp.Body, data) {
			t.Errorf("presigned virtual-host GET: %d %q", resp.StatusCode, resp.Body)
		}
	})
	t.Run("MinioDNSLookup", func(t *testing.T) {
		mc, err := minio.New("sesame.test:"+port, &minio.Options{
			Creds: minioCreds(ep), Region: ep.Region, Transport: rec,
			BucketLookup: minio.BucketLookupDNS, MaxRetries: 1,
		})
		if err != nil {
			t.Fatal(err)
		}
		rec.take()
		body := []byte("minio via host name")
		if _, err := mc.PutObject(ctx, bucket, "minio/obj", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
			t.Fatalf("minio PutObject: %v", err)
		}
		for _, h := range rec.take() {
			if h != wantHost {
				t.Errorf("minio-go request went to %s, want %s", h, wantHost)
			}
		}
		if got := getObject(t, pc, bucket, "minio/obj"); !bytes.Equal(got, body) {
			t.Errorf("object = %q, want %q", got, body)
		}
	})
	// Path style keeps working on a server with domains.
	t.Run("PathStyleStillWorks", func(t *testing.T) {
		putObject(t, pc, bucket, "path/obj", []byte("path"))
		if got := getObject(t, vc, bucket, "path/obj"); string(got) != "path" {
			t.Errorf("virtual-host read of a path-style write = %q", got)
		}
	})
	t.Cleanup(func() { removeBucket(ctx, pc, bucket) })
}
