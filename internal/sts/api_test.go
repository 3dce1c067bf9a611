package sts_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/awsquery/querytest"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/sigv4"
	"github.com/sesame-s3/sesame/internal/sts"
)

const (
	rootUser   = "admin"
	rootSecret = "adminsecret"
	region     = "us-east-1"
)

var ctx = context.Background()

// env is an STS API server on a fresh in-memory IAM store, and a root
// client.
type env struct {
	t    *testing.T
	svc  *iam.Service
	url  string
	root *awssts.Client
	// skew moves the IAM service's clock (session expiry) forward.
	skew atomic.Int64
	logs *syncBuffer
}

// envOptions change how newEnv builds the server.
type envOptions struct {
	maxDuration time.Duration
	// creds wraps the IAM credentials source, to inject faults.
	creds func(auth.Credentials) auth.Credentials
	// oidc verifies identity tokens.
	oidc sts.Verifier
}

func newEnv(t *testing.T, opts ...envOptions) *env {
	t.Helper()
	var o envOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	e := &env{t: t, logs: &syncBuffer{}}
	st := memory.New(memory.Options{})
	now := func() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) }
	svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: rootUser, RootSecret: rootSecret, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	creds := auth.IAM(svc)
	if o.creds != nil {
		creds = o.creds(creds)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	api := sts.New(sts.Options{
		Service:     svc,
		Auth:        auth.New(sigv4.NewVerifier(sigv4.Options{}), creds),
		Logger:      logger,
		MaxDuration: o.maxDuration,
		OIDC:        o.oidc,
	})
	srv := httptest.NewServer(httpx.Wrap(api, httpx.Options{Logger: logger}))
	t.Cleanup(func() {
		srv.Close()
		_ = svc.Close()
		_ = st.Close()
	})
	e.svc, e.url = svc, srv.URL
	e.root = e.client(rootUser, rootSecret, "")
	return e
}

// client returns an STS client signing with the given credentials. The
// SDK's own parameter validation is off, so that the server's is tested.
func (e *env) client(accessKey, secret, token string) *awssts.Client {
	return e.clientWith(credentials.NewStaticCredentialsProvider(accessKey, secret, token))
}

func (e *env) clientWith(provider aws.CredentialsProvider) *awssts.Client {
	return awssts.New(awssts.Options{
		Region:       region,
		BaseEndpoint: aws.String(e.url),
		Credentials:  provider,
		Retryer:      aws.NopRetryer{},
		APIOptions: []func(*middleware.Stack) error{func(s *middleware.Stack) error {
			_, _ = s.Initialize.Remove("OperationInputValidation")
			return nil
		}},
	})
}

// user creates a user with an access key and returns the user and a
// client for it.
func (e *env) user(name string) (iam.User, *awssts.Client) {
	e.t.Helper()
	u, err := e.svc.CreateUser(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	k, err := e.svc.CreateAccessKey(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return u, e.client(k.ID, k.Secret, "")
}

// assume calls AssumeRole with c and returns a client for the temporary
// credentials and the output.
func (e *env) assume(c *awssts.Client, in *awssts.AssumeRoleInput) (*awssts.Client, *awssts.AssumeRoleOutput) {
	e.t.Helper()
	out, err := c.AssumeRole(ctx, in)
	if err != nil {
		e.t.Fatalf("AssumeRole: %v", err)
	}
	cr := out.Credentials
	return e.client(*cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken), out
}

// wantErr checks that err is the wire error code with HTTP status, and that
// its message contains every fragment.
var wantErr = querytest.WantErr

// signed is how raw signs a request: with which credentials, for which
// service; the zero value sends it unsigned.
type signed struct {
	creds   aws.Credentials
	service string
	// contentType of the body; default application/x-www-form-urlencoded.
	contentType string
}

func (e *env) rootSig() signed {
	return signed{creds: aws.Credentials{AccessKeyID: rootUser, SecretAccessKey: rootSecret}, service: "sts"}
}

// rawResponse is a response to raw, its body decoded as an error when it
// is one.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
	err    xmlError
}

type xmlError struct {
	XMLName   xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

// raw sends method /?rawQuery with a form body (none when body is ""),
// signed as sig says with the SDK's v4 signer. The query goes on the wire
// exactly as given.
func (e *env) raw(method, rawQuery, body string, sig signed) rawResponse {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+"/?"+rawQuery, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		ct := sig.contentType
		if ct == "" {
			ct = "application/x-www-form-urlencoded; charset=utf-8"
		}
		req.Header.Set("Content-Type", ct)
	}
	if sig.service != "" {
		sum := sha256.Sum256([]byte(body))
		if err := v4.NewSigner().SignHTTP(ctx, sig.creds, req, hex.EncodeToString(sum[:]), sig.service, region, time.Now()); err != nil {
			e.t.Fatal(err)
		}
		// The signer rewrites the query in canonical form; send it as
		// given, as curl would.
		req.URL.RawQuery = rawQuery
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := rawResponse{status: resp.StatusCode, header: resp.Header, body: data}
	if resp.StatusCode != http.StatusOK {
		if err := xml.Unmarshal(data, &r.err); err != nil {
			e.t.Fatalf("error response %s is not an STS ErrorResponse: %v", data, err)
		}
	}
	return r
}

// wantRaw checks a raw error response: code, status, envelope, fragments.
func wantRaw(t *testing.T, r rawResponse, code string, status int, fragments ...string) {
	t.Helper()
	if r.status != status || r.err.Code != code {
		t.Fatalf("got %d %s (%s), want %d %s", r.status, r.err.Code, r.err.Message, status, code)
	}
	wantType := "Sender"
	if status >= 500 {
		wantType = "Receiver"
	}
	if r.err.Type != wantType {
		t.Errorf("%s: Type = %q, want %q", code, r.err.Type, wantType)
	}
	if id := r.header.Get(httpx.RequestIDHeader); id == "" || r.err.RequestID != id {
		t.Errorf("%s: RequestId = %q, header = %q", code, r.err.RequestID, id)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/xml" {
		t.Errorf("%s: Content-Type = %q", code, ct)
	}
	for _, f := range fragments {
		if !strings.Contains(r.err.Message, f) {
			t.Errorf("%s message %q does not contain %q", code, r.err.Message, f)
		}
	}
}

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// seedPolicy is the session policy of MinIO's AssumeRole example.
const seedPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Stmt1","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::*"}]}`

// policyOfLength returns a valid policy of exactly n characters (n ≥ 120).
func policyOfLength(n int) string {
	const head, tail = `{"Version":"2012-10-17","Statement":[{"Sid":"`, `","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`
	return head + strings.Repeat("a", n-len(head)-len(tail)) + tail
}

// near reports whether got is within a few seconds of want.
func near(got, want time.Time) bool {
	d := got.Sub(want)
	return d > -5*time.Second && d < 5*time.Second
}
