package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkAPI_CORS measures what CORS adds to a signed GetObject: nothing
// without Origin, a cached lookup with it (no backend read per request).
func BenchmarkAPI_CORS(b *testing.B) {
	fx := newS3Fixture(b)
	fx.put(b, fuzzBucket, "a", "object a")
	fx.put(b, victimBucket, "a", "object a")
	const cfg = `<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`
	put, _ := http.NewRequest("PUT", "http://s3.local/"+fuzzBucket+"?cors", bytes.NewReader([]byte(cfg)))
	sign(b, put, []byte(cfg))
	rec := httptest.NewRecorder()
	fx.api.ServeHTTP(rec, put)
	if rec.Code != 200 {
		b.Fatalf("PutBucketCors = %d %s", rec.Code, rec.Body)
	}
	for _, c := range []struct {
		name, method, bucket, origin string
	}{
		{"NoOrigin", "GET", fuzzBucket, ""},
		{"OriginNoConfig", "GET", victimBucket, "https://a.example.com"},
		{"OriginRule", "GET", fuzzBucket, "https://a.example.com"},
		{"Preflight", "OPTIONS", fuzzBucket, "https://a.example.com"},
	} {
		b.Run(c.name, func(b *testing.B) {
			r, _ := http.NewRequest(c.method, "http://s3.local/"+c.bucket+"/a", nil)
			if c.origin != "" {
				r.Header.Set("Origin", c.origin)
			}
			if c.method == "OPTIONS" {
				r.Header.Set("Access-Control-Request-Method", "GET")
			} else {
				sign(b, r, nil)
			}
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				fx.api.ServeHTTP(rec, r)
				if rec.Code != 200 {
					b.Fatalf("%s = %d %s", c.name, rec.Code, rec.Body)
				}
			}
		})
	}
}

// sign signs r as the fixture's root with the AWS SDK's signer.
func sign(tb testing.TB, r *http.Request, body []byte) {
	tb.Helper()
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: "admin", SecretAccessKey: "adminsecret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hash, "s3", "us-east-1", time.Now()); err != nil {
		tb.Fatal(err)
	}
}
