package login

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credentials are temporary credentials and who they were issued to.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
	// AssumedRoleARN is the session's ARN; Subject the token's subject
	// (web identity only).
	AssumedRoleARN, Subject string
}

// STSError is an error response of the STS API.
type STSError struct {
	Status        int
	Code, Message string
}

func (e *STSError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("STS answered HTTP %d", e.Status)
	}
	return e.Code + ": " + e.Message
}

// STSClient calls a Sesame server's STS and S3 APIs: the trades people's
// sign-in needs, and the bucket list of the result.
type STSClient struct {
	// Endpoint is the server's URL, "http(s)://host:port".
	Endpoint string
	Region   string
	HTTP     *http.Client
}

const maxResponse = 1 << 20

// AssumeRoleWithWebIdentity trades an ID token. roleARN is "" for
// MinIO's claim-based path, a role-policy provider's ARN, or an IAM
// role's ARN (AWS's path, with sessionName). duration 0: until the
// token expires.
func (c *STSClient) AssumeRoleWithWebIdentity(ctx context.Context, idToken, roleARN, sessionName string, duration time.Duration) (Credentials, error) {
	form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "WebIdentityToken": {idToken}}
	if roleARN != "" {
		form.Set("RoleArn", roleARN)
	}
	if sessionName != "" {
		form.Set("RoleSessionName", sessionName)
	}
	if duration > 0 {
		form.Set("DurationSeconds", strconv.Itoa(int(duration/time.Second)))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return Credentials{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var out struct {
		Result struct {
			Credentials     credentialsXML `xml:"Credentials"`
			AssumedRoleUser struct {
				Arn string `xml:"Arn"`
			} `xml:"AssumedRoleUser"`
			Subject string `xml:"SubjectFromWebIdentityToken"`
		} `xml:"AssumeRoleWithWebIdentityResult"`
	}
	if err := c.do(req, &out); err != nil {
		return Credentials{}, err
	}
	creds, err := out.Result.Credentials.parse()
	creds.AssumedRoleARN, creds.Subject = out.Result.AssumedRoleUser.Arn, out.Result.Subject
	return creds, err
}

// AssumeRole trades long-term access keys for temporary credentials
// (MinIO's AssumeRole: the keys' own policies apply).
func (c *STSClient) AssumeRole(ctx context.Context, keys aws.Credentials, duration time.Duration) (Credentials, error) {
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}}
	if duration > 0 {
		form.Set("DurationSeconds", strconv.Itoa(int(duration/time.Second)))
	}
	body := []byte(form.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint+"/", bytes.NewReader(body))
	if err != nil {
		return Credentials{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := c.sign(ctx, req, keys, "sts", body); err != nil {
		return Credentials{}, err
	}
	var out struct {
		Result struct {
			Credentials     credentialsXML `xml:"Credentials"`
			AssumedRoleUser struct {
				Arn string `xml:"Arn"`
			} `xml:"AssumedRoleUser"`
		} `xml:"AssumeRoleResult"`
	}
	if err := c.do(req, &out); err != nil {
		return Credentials{}, err
	}
	creds, err := out.Result.Credentials.parse()
	creds.AssumedRoleARN = out.Result.AssumedRoleUser.Arn
	return creds, err
}

// ListBuckets lists the buckets creds may list.
func (c *STSClient) ListBuckets(ctx context.Context, creds Credentials) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Endpoint+"/", nil)
	if err != nil {
		return nil, err
	}
	keys := aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}
	if err := c.sign(ctx, req, keys, "s3", nil); err != nil {
		return nil, err
	}
	var out struct {
		Buckets []string `xml:"Buckets>Bucket>Name"`
	}
	if err := c.do(req, &out); err != nil {
		return nil, err
	}
	return out.Buckets, nil
}

func (c *STSClient) sign(ctx context.Context, req *http.Request, keys aws.Credentials, service string, body []byte) error {
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	return v4.NewSigner().SignHTTP(ctx, keys, req, hash, service, region, time.Now())
}

// do sends req and decodes its XML answer into out, or returns the
// *STSError (S3's <Error> or STS's <ErrorResponse>).
func (c *STSClient) do(req *http.Request, out any) error {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		e := &STSError{Status: resp.StatusCode}
		var sts struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		var s3 struct{ Code, Message string }
		if xml.Unmarshal(body, &sts) == nil && sts.Code != "" {
			e.Code, e.Message = sts.Code, sts.Message
		} else if xml.Unmarshal(body, &s3) == nil {
			e.Code, e.Message = s3.Code, s3.Message
		}
		return e
	}
	if err := xml.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s answered something else than STS or S3: %w", c.Endpoint, err)
	}
	return nil
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

func (x credentialsXML) parse() (Credentials, error) {
	exp, err := time.Parse(time.RFC3339, x.Expiration)
	if err != nil || x.AccessKeyID == "" || x.SecretAccessKey == "" {
		return Credentials{}, fmt.Errorf("STS answered no credentials")
	}
	return Credentials{AccessKeyID: x.AccessKeyID, SecretAccessKey: x.SecretAccessKey, SessionToken: x.SessionToken, Expiration: exp.UTC()}, nil
}

// handlerTransport serves requests with an http.Handler in-process: the
// login page reaches its own server's STS and S3 APIs through it, so that
// every trade goes through the one authorization path (and is audited)
// like any client's. The outer request's remote address and TLS state
// are carried over.
type handlerTransport struct {
	h     http.Handler
	outer *http.Request
}

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.RemoteAddr, req.TLS = t.outer.RemoteAddr, t.outer.TLS
	req.RequestURI = req.URL.RequestURI()
	if req.Body == nil {
		req.Body = http.NoBody
	}
	rec := newRecorder()
	t.h.ServeHTTP(rec, req)
	return rec.result(req), nil
}

// recorder is a minimal http.ResponseWriter that keeps the response.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if r.body.Len()+len(b) > maxResponse {
		return 0, fmt.Errorf("response larger than %d bytes", maxResponse)
	}
	return r.body.Write(b)
}

func (r *recorder) result(req *http.Request) *http.Response {
	r.WriteHeader(http.StatusOK)
	return &http.Response{
		Status: http.StatusText(r.status), StatusCode: r.status, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: r.header, Body: io.NopCloser(bytes.NewReader(r.body.Bytes())), ContentLength: int64(r.body.Len()), Request: req,
	}
}

// ensure the context of an in-process call ends with the outer request's
// but carries none of its values (request ids, API names).
func innerContext(outer context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	stop := context.AfterFunc(outer, cancel)
	return ctx, func() { stop(); cancel() }
}
