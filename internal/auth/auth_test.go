package auth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sesame-s3/sesame/internal/sigv4"
)

const (
	testAccessKey = "AKIDEXAMPLE"
	testSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

var testTime = time.Date(2024, 5, 1, 12, 30, 45, 0, time.UTC)

// staticCreds knows one access key.
type staticCreds struct{}

func (staticCreds) Lookup(_ context.Context, accessKey, _ string) (Identity, string, error) {
	if accessKey != testAccessKey {
		return Identity{}, "", ErrInvalidAccessKeyID
	}
	return Identity{}, testSecretKey, nil
}

// signedPut returns a server-side PUT request signed by the AWS SDK, with
// the header authentication or as a presigned URL.
func signedPut(t *testing.T, body []byte, presign bool) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPut, "http://s3.example.com/bucket/upload", bytes.NewReader(body))
	req.RequestURI = ""
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if presign {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", "600")
		req.URL.RawQuery = q.Encode()
		u, _, err := signer.PresignHTTP(context.Background(), creds, req, sigv4.UnsignedPayload, "s3", "us-east-1", testTime)
		if err != nil {
			t.Fatal(err)
		}
		return httptest.NewRequest(http.MethodPut, u, bytes.NewReader(body))
	}
	hash := sigv4.UnsignedPayload
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := signer.SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1", testTime); err != nil {
		t.Fatal(err)
	}
	out := httptest.NewRequest(http.MethodPut, "http://s3.example.com/bucket/upload", bytes.NewReader(body))
	out.Header = req.Header.Clone()
	return out
}

func TestAuthenticator_Authenticate_UnsignedHeaders(t *testing.T) {
	a := New(sigv4.NewVerifier(sigv4.Options{Now: func() time.Time { return testTime }}), staticCreds{})
	body := []byte("payload")
	for _, presign := range []bool{false, true} {
		r := signedPut(t, body, presign)
		res, err := a.Authenticate(r)
		if err != nil || res.Identity.Anonymous || res.Sig == nil {
			t.Fatalf("presign=%v: Authenticate = %+v, %v", presign, res, err)
		}
		got, err := io.ReadAll(r.Body)
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("presign=%v: body %q, %v", presign, got, err)
		}

		r = signedPut(t, body, presign)
		r.Header.Set("X-Amz-Copy-Source", "/other/secret")
		r.Header.Set("X-Amz-Meta-Owner", "mallory")
		orig := r.Body
		res, err = a.Authenticate(r)
		if !errors.Is(err, sigv4.ErrUnsignedHeaders) {
			t.Fatalf("presign=%v: Authenticate with unsigned headers = %+v, %v; want ErrUnsignedHeaders", presign, res, err)
		}
		if res.Sig != nil || r.Body != orig {
			t.Errorf("presign=%v: a refused request was given a signature or a verifying body", presign)
		}
	}
}
