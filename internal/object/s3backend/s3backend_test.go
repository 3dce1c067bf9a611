package s3backend_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/objecttest"
	"github.com/sesame-s3/sesame/internal/object/s3backend"
	"github.com/sesame-s3/sesame/internal/server"
)

const (
	upstreamUser   = "upstream"
	upstreamSecret = "upstreamsecret"
)

// upstream is an S3 service the tests put the backend in front of.
type upstream struct {
	url, accessKey, secretKey string
}

// startSesame starts a Sesame server on a posix directory, in process.
func startSesame(t testing.TB) upstream {
	t.Helper()
	srv, err := server.Open(config.Config{Dir: t.TempDir(), RootUser: upstreamUser, RootPassword: upstreamSecret, Region: "us-east-1"}, server.Options{})
	if err != nil {
		t.Fatalf("server.Open: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return upstream{url: ts.URL, accessKey: upstreamUser, secretKey: upstreamSecret}
}

// client is a plain S3 client of the upstream, to prepare it.
func (u upstream) client() *s3.Client {
	return s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(u.accessKey, u.secretKey, "")},
		func(o *s3.Options) { o.BaseEndpoint = aws.String(u.url); o.UsePathStyle = true })
}

func randomName(prefix string) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// newBackend opens a backend on u: with a fresh bucket-name prefix, or
// (single) a fresh upstream bucket, so parallel subtests share nothing.
func newBackend(t *testing.T, u upstream, single bool) *s3backend.Backend {
	t.Helper()
	cfg := s3backend.Config{Endpoint: u.url, AccessKey: u.accessKey, SecretKey: u.secretKey}
	if single {
		cfg.Bucket = randomName("gw-")
		if _, err := u.client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(cfg.Bucket)}); err != nil {
			t.Fatalf("creating the upstream bucket: %v", err)
		}
	} else {
		cfg.BucketPrefix = randomName("p") + "-"
	}
	b, err := s3backend.Open(cfg, s3backend.Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestConformance_SesameUpstream(t *testing.T) {
	u := startSesame(t)
	for _, mode := range []struct {
		name   string
		single bool
	}{{"BucketPrefix", false}, {"SingleBucket", true}} {
		t.Run(mode.name, func(t *testing.T) {
			objecttest.RunWith(t, func(t *testing.T) object.Backend { return newBackend(t, u, mode.single) }, objecttest.Options{Skip: skipSingle(mode.single)})
		})
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, c := range []struct {
		cfg  s3backend.Config
		want string // "" for valid
	}{
		{s3backend.Config{Endpoint: "http://127.0.0.1:9000"}, ""},
		{s3backend.Config{Endpoint: "https://s3.example.com", Bucket: "data"}, ""},
		{s3backend.Config{}, "no endpoint"},
		{s3backend.Config{Endpoint: "ftp://x"}, "want http(s)"},
		{s3backend.Config{Endpoint: "http://x/path"}, "no path"},
		{s3backend.Config{Endpoint: "http://x", Bucket: "b", BucketPrefix: "p-"}, "exclude each other"},
		{s3backend.Config{Endpoint: "http://x", AccessKey: "a"}, "both"},
	} {
		err := c.cfg.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", c.cfg, err, c.want)
		}
	}
}

// skipSingle is what single-bucket mode cannot hold, whatever the upstream.
func skipSingle(single bool) map[string]string {
	if !single {
		return nil
	}
	return map[string]string{
		"Key/TooLong": "single-bucket mode: a key goes upstream behind its bucket's name and a slash, so the longest key is 1024 bytes less those",
	}
}

// startGofakes3 starts gofakes3's in-memory S3 server.
func startGofakes3(t testing.TB) upstream {
	t.Helper()
	faker := gofakes3.New(s3mem.New())
	ts := httptest.NewServer(faker.Server())
	t.Cleanup(ts.Close)
	return upstream{url: ts.URL, accessKey: "any", secretKey: "anysecret"}
}

// gofakes3Skips are the conformance cases gofakes3 v1.2.0 cannot pass,
// each for a reason of its own (docs/GATEWAY.md).
var gofakes3Skips = func() map[string]string {
	m := map[string]string{
		"Object/PutGetHead": "gofakes3 drops Content-Language, Cache-Control and Expires",
		"Object/Overwrite":  "gofakes3 merges the metadata of an overwritten object into the new one",
		"Multipart/Complete": "gofakes3 drops Content-Language, Cache-Control and Expires, and gives a completed upload " +
			"the MD5 of its bytes as ETag instead of S3's multipart form",
		"Object/Ranges":            "gofakes3 refuses a suffix range longer than the object (S3 serves the whole object)",
		"List/Model":               "gofakes3 loses keys when the delimiter is longer than one character",
		"Multipart/CompleteErrors": "gofakes3 completes an upload whose first part is below 5 MiB",
		"Multipart/ListParts":      "gofakes3 lists parts with ETags other than the ones UploadPart answered",
		"Multipart/ListUploads":    "gofakes3 ignores max-uploads",
	}
	for _, name := range []string{"AbortAfterParts", "CompleteTwice", "ConcurrentParts", "FailedRetryKeepsPart", "InvalidPartOrder",
		"LaterUploadsLeaveObject", "LongBodyKeepsNeighbour", "OmittedParts", "OutOfOrder", "PartRetried",
		"UnevenParts", "UnknownSizeParts"} {
		m["Multipart/"+name] = "gofakes3 gives a completed upload the MD5 of its bytes as ETag instead of S3's multipart form"
	}
	maps.Copy(m, keyConflictSkips)
	return m
}()

// keyConflictSkips are the cases of the contract's key conflicts ("a" and
// "a/b" cannot both be objects), a rule of file systems that S3 upstreams
// do not have and the gateway does not add (it would cost a listing per
// write); a Sesame upstream on a directory enforces it.
var keyConflictSkips = map[string]string{
	"Key/Conflicts":                       "the upstream lets 'a' and 'a/b' both be objects, as S3 does",
	"Multipart/KeyConflict":               "the upstream lets 'a' and 'a/b' both be objects, as S3 does",
	"Multipart/FailedCompleteKeepsUpload": "the upstream lets 'a' and 'a/b' both be objects, as S3 does",
}

func TestConformance_Gofakes3(t *testing.T) {
	u := startGofakes3(t)
	for _, mode := range []struct {
		name   string
		single bool
	}{{"BucketPrefix", false}, {"SingleBucket", true}} {
		t.Run(mode.name, func(t *testing.T) {
			skips := maps.Clone(gofakes3Skips)
			maps.Copy(skips, skipSingle(mode.single))
			objecttest.RunWith(t, func(t *testing.T) object.Backend { return newBackend(t, u, mode.single) }, objecttest.Options{Skip: skips})
		})
	}
}

// minioBinary returns the MinIO server binary: $SESAME_MINIO_BIN, minio on
// the PATH, or ~/go/bin/minio; "" when there is none.
func minioBinary() string {
	if p := os.Getenv("SESAME_MINIO_BIN"); p != "" {
		return p
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		if p := filepath.Join(home, "go", "bin", "minio"); fileExists(p) {
			return p
		}
	}
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// startMinIO starts a MinIO server on a temporary directory, or skips.
func startMinIO(t *testing.T) upstream {
	t.Helper()
	bin := minioBinary()
	if bin == "" {
		t.Skip("no MinIO server binary (set SESAME_MINIO_BIN, or put minio on the PATH or in ~/go/bin): the conformance suite against MinIO is skipped")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "server", "--quiet", "--address", addr, t.TempDir())
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER=minioadmin", "MINIO_ROOT_PASSWORD=minioadmin", "MINIO_BROWSER=off")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/minio/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("MinIO at %s is not ready: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	u := upstream{url: "http://" + addr, accessKey: "minioadmin", secretKey: "minioadmin"}
	// Ready is not yet initialized: wait for a signed request to pass.
	for {
		_, err := u.client().ListBuckets(context.Background(), &s3.ListBucketsInput{})
		if err == nil {
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("MinIO at %s does not serve: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// minioSkips are the conformance cases a MinIO upstream cannot pass.
var minioSkips = func() map[string]string {
	m := maps.Clone(keyConflictSkips)
	m["List/ManyKeysAcrossDirectories"] = "thousands of PUTs take MinIO over ten minutes on a small machine"
	m["Concurrent/SiblingsPutDelete"] = "MinIO's single-drive mode races a PUT and a DELETE under one parent: the PUT can fail with 403 AccessDenied"
	m["Multipart/ListUploads"] = "MinIO lists the uploads of one key only (the prefix must name it), not of a bucket"
	m["Key/LongSegments"] = "MinIO refuses a key whose last segment, before a trailing '/', is 255 bytes (XMinioInvalidObjectName)"
	return m
}()

func TestConformance_MinIO(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no MinIO")
	}
	u := startMinIO(t)
	for _, mode := range []struct {
		name   string
		single bool
	}{{"BucketPrefix", false}, {"SingleBucket", true}} {
		t.Run(mode.name, func(t *testing.T) {
			skips := maps.Clone(minioSkips)
			maps.Copy(skips, skipSingle(mode.single))
			objecttest.RunWith(t, func(t *testing.T) object.Backend { return newBackend(t, u, mode.single) }, objecttest.Options{Skip: skips})
		})
	}
}
