package sigv4

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// seen is what the test server observed for one request.
type seen struct {
	method    string
	path      string
	mode      string // Request.PayloadHash
	presigned bool
	body      []byte
	trailer   http.Header
	err       error
}

// s3Stub is an httptest server that authenticates every request with
// Parse, Verify and Body and answers like a minimal S3.
type s3Stub struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
	// flip, when positive, is the offset of a request body byte the stub
	// corrupts before authenticating PUT requests (a man in the middle).
	flip int
}

// newS3Stub starts a stub; tls selects HTTPS, and a positive flip the
// offset of a body byte to corrupt in PUT requests.
func newS3Stub(t *testing.T, tls bool, flip int) *s3Stub {
	s := &s3Stub{flip: flip}
	v := NewVerifier(Options{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := seen{method: r.Method, path: r.URL.Path}
		if s.flip > 0 && r.Method == "PUT" {
			r.Body = io.NopCloser(&flipReader{r: r.Body, at: s.flip})
		}
		defer func() {
			s.mu.Lock()
			s.reqs = append(s.reqs, rec)
			s.mu.Unlock()
		}()
		a, err := Parse(r)
		if err == nil {
			rec.mode, rec.presigned = a.PayloadHash, a.Presigned
			err = v.Verify(r, a, testSecretKey)
		}
		var body io.Reader
		if err == nil {
			body, _, err = v.Body(r, a, testSecretKey)
		}
		if err == nil {
			rec.body, err = io.ReadAll(body)
			if tr, ok := body.(interface{ Trailer() http.Header }); ok {
				rec.trailer = tr.Trailer()
			}
		}
		if err != nil {
			rec.err = err
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "<Error><Code>AccessDenied</Code><Message>%s</Message></Error>", err)
			return
		}
		if r.URL.Query().Has("location") {
			fmt.Fprint(w, `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`)
			return
		}
		sum := md5.Sum(rec.body)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		if r.Method == "GET" || r.Method == "HEAD" {
			w.Header().Set("Content-Length", "5")
			w.Header().Set("Content-Type", "text/plain")
			io.WriteString(w, "hello")
		}
	})
	if tls {
		s.Server = httptest.NewTLSServer(h)
	} else {
		s.Server = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

// flipReader flips one bit of the byte at offset at.
type flipReader struct {
	r   io.Reader
	at  int
	off int
}

// Read reads from the underlying reader, corrupting the chosen byte.
func (f *flipReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if f.at >= f.off && f.at < f.off+n {
		p[f.at-f.off] ^= 1
	}
	f.off += n
	return n, err
}

// take returns and forgets the requests seen so far.
func (s *s3Stub) take() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reqs
	s.reqs = nil
	return r
}

// lastPut returns the last PUT seen, failing the test on any failed request.
func (s *s3Stub) lastPut(t *testing.T) seen {
	t.Helper()
	var put *seen
	for _, r := range s.take() {
		if r.err != nil {
			t.Fatalf("%s %s (payload %q): %v", r.method, r.path, r.mode, r.err)
		}
		if r.method == "PUT" {
			put = &r
		}
	}
	if put == nil {
		t.Fatal("no PUT request reached the server")
	}
	return *put
}

// clientKey is an object key that needs escaping.
const clientKey = "dir/sub dir/obj+1=ü (copy)~.bin"

func TestVerifier_MinioGoClient(t *testing.T) {
	data := payload(200 << 10)
	tests := []struct {
		name     string
		tls      bool
		opts     minio.Options
		put      minio.PutObjectOptions
		wantMode string
	}{
		{"default", false, minio.Options{}, minio.PutObjectOptions{}, StreamingPayload},
		{"signed trailer crc32c", false, minio.Options{TrailingHeaders: true},
			minio.PutObjectOptions{Checksum: minio.ChecksumCRC32C}, StreamingPayloadTrailer},
		{"signed trailer crc64nvme", false, minio.Options{TrailingHeaders: true},
			minio.PutObjectOptions{Checksum: minio.ChecksumCRC64NVME}, StreamingPayloadTrailer},
		{"signed trailer sha256", false, minio.Options{TrailingHeaders: true},
			minio.PutObjectOptions{Checksum: minio.ChecksumSHA256}, StreamingPayloadTrailer},
		{"content sha256 disabled", false, minio.Options{TrailingHeaders: true},
			minio.PutObjectOptions{DisableContentSha256: true}, UnsignedPayload},
		{"tls", true, minio.Options{}, minio.PutObjectOptions{}, UnsignedPayload},
		{"tls trailer crc32", true, minio.Options{TrailingHeaders: true},
			minio.PutObjectOptions{Checksum: minio.ChecksumCRC32}, StreamingUnsignedPayloadTrailer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newS3Stub(t, tt.tls, 0)
			opts := tt.opts
			opts.Creds = miniocreds.NewStaticV4(testAccessKey, testSecretKey, "")
			opts.Secure = tt.tls
			opts.Region = testRegion
			if tt.tls {
				opts.Transport = srv.Client().Transport
			}
			client, err := minio.New(strings.TrimPrefix(strings.TrimPrefix(srv.URL, "http://"), "https://"), &opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := client.PutObject(ctx, "bucket", clientKey, bytes.NewReader(data), int64(len(data)), tt.put); err != nil {
				t.Fatalf("PutObject: %v (server saw %+v)", err, srv.take())
			}
			put := srv.lastPut(t)
			if put.mode != tt.wantMode {
				t.Fatalf("payload mode %q, want %q", put.mode, tt.wantMode)
			}
			if !bytes.Equal(put.body, data) {
				t.Fatalf("server decoded %d bytes, want %d", len(put.body), len(data))
			}
			checkTrailer(t, put)

			if _, err := client.StatObject(ctx, "bucket", clientKey, minio.StatObjectOptions{}); err != nil {
				t.Fatalf("StatObject: %v (server saw %+v)", err, srv.take())
			}
			u, err := client.PresignedGetObject(ctx, "bucket", clientKey, time.Hour, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			for _, r := range srv.take() {
				if r.err != nil || (r.method == "GET" && !r.presigned) {
					t.Fatalf("%s %s: presigned=%v err=%v", r.method, r.path, r.presigned, r.err)
				}
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("presigned GET: %s", resp.Status)
			}
		})
	}
}

func TestVerifier_AWSSDKS3Client(t *testing.T) {
	data := payload(200 << 10)
	tests := []struct {
		name     string
		tls      bool
		calc     aws.RequestChecksumCalculation
		alg      s3types.ChecksumAlgorithm
		wantMode string // "" means a hex SHA-256
	}{
		{"http", false, 0, "", ""},
		{"http when supported", false, aws.RequestChecksumCalculationWhenSupported, "", ""},
		{"http sha256", false, 0, s3types.ChecksumAlgorithmSha256, ""},
		{"tls when required", true, aws.RequestChecksumCalculationWhenRequired, "", UnsignedPayload},
		{"tls when supported", true, aws.RequestChecksumCalculationWhenSupported, "", StreamingUnsignedPayloadTrailer},
		{"tls crc32c", true, 0, s3types.ChecksumAlgorithmCrc32c, StreamingUnsignedPayloadTrailer},
		{"tls sha1", true, 0, s3types.ChecksumAlgorithmSha1, StreamingUnsignedPayloadTrailer},
		{"tls sha256", true, 0, s3types.ChecksumAlgorithmSha256, StreamingUnsignedPayloadTrailer},
		{"tls crc64nvme", true, 0, s3types.ChecksumAlgorithmCrc64nvme, StreamingUnsignedPayloadTrailer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newS3Stub(t, tt.tls, 0)
			cfg := aws.Config{
				Region:           testRegion,
				Credentials:      awscreds.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
				HTTPClient:       srv.Client(),
				RetryMaxAttempts: 1,

				RequestChecksumCalculation: tt.calc,
			}
			client := s3.NewFromConfig(cfg, func(o *s3.Options) {
				o.BaseEndpoint = aws.String(srv.URL)
				o.UsePathStyle = true
			})
			ctx := context.Background()
			in := &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(clientKey), Body: bytes.NewReader(data), ChecksumAlgorithm: tt.alg}
			if _, err := client.PutObject(ctx, in); err != nil {
				t.Fatalf("PutObject: %v (server saw %+v)", err, srv.take())
			}
			put := srv.lastPut(t)
			if want := tt.wantMode; want == "" && put.mode != hexSHA256(data) || want != "" && put.mode != want {
				t.Fatalf("payload mode %q, want %q", put.mode, tt.wantMode)
			}
			if !bytes.Equal(put.body, data) {
				t.Fatalf("server decoded %d bytes, want %d", len(put.body), len(data))
			}
			checkTrailer(t, put)

			if _, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bucket"), Key: aws.String(clientKey)}); err != nil {
				t.Fatalf("HeadObject: %v (server saw %+v)", err, srv.take())
			}
			presigned, err := s3.NewPresignClient(client).PresignGetObject(ctx,
				&s3.GetObjectInput{Bucket: aws.String("bucket"), Key: aws.String(clientKey)},
				s3.WithPresignExpires(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := srv.Client().Get(presigned.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			for _, r := range srv.take() {
				if r.err != nil || (r.method == "GET" && !r.presigned) {
					t.Fatalf("%s %s: presigned=%v err=%v", r.method, r.path, r.presigned, r.err)
				}
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("presigned GET: %s", resp.Status)
			}
		})
	}
}

// checkTrailer fails unless a trailer-mode upload delivered a checksum trailer.
func checkTrailer(t *testing.T, put seen) {
	t.Helper()
	if put.mode != StreamingPayloadTrailer && put.mode != StreamingUnsignedPayloadTrailer {
		return
	}
	for k := range put.trailer {
		if strings.HasPrefix(strings.ToLower(k), "x-amz-checksum-") {
			return
		}
	}
	t.Fatalf("no checksum trailer, got %v", put.trailer)
}

// TestVerifier_RealClientsTampered corrupts one byte of real clients'
// uploads in transit and checks that the server notices.
func TestVerifier_RealClientsTampered(t *testing.T) {
	data := payload(200 << 10)
	ctx := context.Background()
	t.Run("minio-go streaming signature", func(t *testing.T) {
		srv := newS3Stub(t, false, 100_000)
		client, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{
			Creds: miniocreds.NewStaticV4(testAccessKey, testSecretKey, ""), Region: testRegion,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.PutObject(ctx, "bucket", clientKey, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err == nil {
			t.Fatal("PutObject of a corrupted stream succeeded")
		}
		reqs := srv.take()
		mustIs(t, reqs[len(reqs)-1].err, ErrChunkSignatureMismatch, "server")
	})
	t.Run("minio-go wrong secret", func(t *testing.T) {
		srv := newS3Stub(t, false, 0)
		client, err := minio.New(strings.TrimPrefix(srv.URL, "http://"), &minio.Options{
			Creds: miniocreds.NewStaticV4(testAccessKey, "not the secret", ""), Region: testRegion,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.PutObject(ctx, "bucket", clientKey, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err == nil {
			t.Fatal("PutObject with a wrong secret succeeded")
		}
		reqs := srv.take()
		mustIs(t, reqs[len(reqs)-1].err, ErrSignatureMismatch, "server")
	})
	for _, tt := range []struct {
		name string
		tls  bool
		want error
	}{
		{"aws-sdk hex payload hash", false, ErrContentSHA256Mismatch},
		{"aws-sdk unsigned trailer", true, ErrChecksumMismatch},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newS3Stub(t, tt.tls, 100_000)
			client := s3.NewFromConfig(aws.Config{
				Region:                     testRegion,
				Credentials:                awscreds.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
				HTTPClient:                 srv.Client(),
				RetryMaxAttempts:           1,
				RequestChecksumCalculation: aws.RequestChecksumCalculationWhenSupported,
			}, func(o *s3.Options) {
				o.BaseEndpoint = aws.String(srv.URL)
				o.UsePathStyle = true
			})
			in := &s3.PutObjectInput{Bucket: aws.String("bucket"), Key: aws.String(clientKey), Body: bytes.NewReader(data)}
			if _, err := client.PutObject(ctx, in); err == nil {
				t.Fatal("PutObject of a corrupted body succeeded")
			}
			reqs := srv.take()
			mustIs(t, reqs[len(reqs)-1].err, tt.want, "server")
		})
	}
}
