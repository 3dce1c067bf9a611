package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The bucket the object modes use, created in setup.
const benchBucket = "bench"

// emptySHA256 is the hex SHA-256 of an empty body, what SDKs declare in
// X-Amz-Content-Sha256 for a GET.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// stsDuration is the DurationSeconds the STS modes ask for.
const stsDuration = "900"

// requestWork is a request mode against one target: each operation is one
// HTTP request, built and signed when it is sent.
type requestWork struct {
	tg    *target
	mode  string
	creds aws.Credentials
	token string
	data  []byte // put's body
	size  int64  // get's object size
	want  int    // the status every response must have

	s3Signer  *v4.Signer
	stsSigner *v4.Signer
	putPrefix string
	seq       atomic.Int64
}

func newRequestWork(o *options, tg *target, creds aws.Credentials, token string, data []byte) *requestWork {
	w := &requestWork{
		tg: tg, mode: o.mode, creds: creds, token: token, data: data, size: o.size,
		want: http.StatusOK,
		// One signer per client, as the SDK has: it caches the derived
		// signing key for the day, and signs every request anew.
		s3Signer:  v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true }),
		stsSigner: v4.NewSigner(),
		putPrefix: "put/" + strconv.FormatInt(time.Now().UnixNano(), 36) + "/",
	}
	if o.mode == modeAnon || o.mode == modeFloor || tg.floor {
		w.want = http.StatusForbidden
	}
	return w
}

func (w *requestWork) do(ctx context.Context) (int64, error) {
	tg := w.tg
	switch w.mode {
	case modeAnon, modeFloor:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, tg.url+"/", nil)
		if err != nil {
			return 0, err
		}
		_, err = send(tg.client, req, w.want, nil)
		return 0, err

	case modeAssumeRole:
		form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "DurationSeconds": {stsDuration}}
		req, err := stsRequest(ctx, tg.url, form)
		if err != nil {
			return 0, err
		}
		body := []byte(form.Encode())
		if err := w.stsSigner.SignHTTP(ctx, w.creds, req, sha256Hex(body), "sts", tg.region, time.Now()); err != nil {
			return 0, err
		}
		_, err = send(tg.client, req, w.want, w.checkSTS)
		return 0, err

	case modeWebIdentity, modeClientGrants:
		// Unsigned: the token is the proof.
		form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "WebIdentityToken": {w.token}}
		if w.mode == modeClientGrants {
			form = url.Values{"Action": {"AssumeRoleWithClientGrants"}, "Token": {w.token}}
		}
		form.Set("Version", "2011-06-15")
		form.Set("DurationSeconds", stsDuration)
		req, err := stsRequest(ctx, tg.url, form)
		if err != nil {
			return 0, err
		}
		_, err = send(tg.client, req, w.want, w.checkSTS)
		return 0, err

	case modeGet:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, tg.url+"/"+benchBucket+"/"+getKey(w.size), nil)
		if err != nil {
			return 0, err
		}
		if err := signS3(ctx, w.s3Signer, w.creds, req, emptySHA256, tg.region); err != nil {
			return 0, err
		}
		n, err := send(tg.client, req, w.want, nil)
		if err == nil && !tg.floor && n != w.size {
			err = fmt.Errorf("GET returned %d bytes, want %d", n, w.size)
		}
		return n, err

	case modePut:
		key := w.putPrefix + strconv.FormatInt(w.seq.Add(1), 10)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, tg.url+"/"+benchBucket+"/"+key, bytes.NewReader(w.data))
		if err != nil {
			return 0, err
		}
		// The body's SHA-256, computed for every request as an SDK does
		// over plain HTTP.
		if err := signS3(ctx, w.s3Signer, w.creds, req, sha256Hex(w.data), tg.region); err != nil {
			return 0, err
		}
		if _, err := send(tg.client, req, w.want, nil); err != nil {
			return 0, err
		}
		return int64(len(w.data)), nil
	}
	return 0, fmt.Errorf("mode %s is not a request mode", w.mode)
}

// checkSTS accepts a 200 STS answer only when it carries credentials.
func (w *requestWork) checkSTS(body []byte) error {
	if w.tg.floor || bytes.Contains(body, []byte("<SessionToken>")) {
		return nil
	}
	return errors.New("200 without a <SessionToken>")
}

// stsRequest is a POST / with form as its body, as the SDKs send STS calls.
func stsRequest(ctx context.Context, base string, form url.Values) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return req, nil
}

// signS3 signs req for S3 with SigV4, declaring payloadHash in
// X-Amz-Content-Sha256; temporary creds add X-Amz-Security-Token.
func signS3(ctx context.Context, s *v4.Signer, creds aws.Credentials, req *http.Request, payloadHash, region string) error {
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	return s.SignHTTP(ctx, creds, req, payloadHash, "s3", region, time.Now())
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// statusError is a response with another status than expected.
type statusError struct {
	Status int
	Code   string // the S3/STS error code from the body, if any
	Body   []byte // the start of the body
}

func (e *statusError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("HTTP %d %s", e.Status, e.Code)
	}
	return fmt.Sprintf("HTTP %d", e.Status)
}

// send does req and reads the whole response. Unless the status is want
// it returns a *statusError; otherwise check, when not nil, judges the
// body. It returns the number of body bytes read.
func send(c *http.Client, req *http.Request, want int, check func([]byte) error) (int64, error) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_, _ = io.Copy(io.Discard, resp.Body)
		return 0, &statusError{Status: resp.StatusCode, Code: xmlCode(head), Body: head}
	}
	if check == nil {
		return io.Copy(io.Discard, resp.Body)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return int64(len(body)), err
	}
	return int64(len(body)), check(body)
}

// xmlCode is the text of the first <Code> element of an error body.
func xmlCode(b []byte) string {
	_, rest, ok := bytes.Cut(b, []byte("<Code>"))
	if !ok {
		return ""
	}
	code, _, ok := bytes.Cut(rest, []byte("</Code>"))
	if !ok || len(code) > 64 {
		return ""
	}
	return string(code)
}

// assumeRole gets temporary credentials for tg's long-term keys.
func assumeRole(ctx context.Context, tg *target, seconds int) (aws.Credentials, error) {
	form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "DurationSeconds": {strconv.Itoa(seconds)}}
	req, err := stsRequest(ctx, tg.url, form)
	if err != nil {
		return aws.Credentials{}, err
	}
	if err := v4.NewSigner().SignHTTP(ctx, tg.creds, req, sha256Hex([]byte(form.Encode())), "sts", tg.region, time.Now()); err != nil {
		return aws.Credentials{}, err
	}
	var body []byte
	if _, err := send(tg.client, req, http.StatusOK, func(b []byte) error { body = b; return nil }); err != nil {
		return aws.Credentials{}, withBody(err)
	}
	var out struct {
		Result struct {
			Credentials struct {
				AccessKeyID     string `xml:"AccessKeyId"`
				SecretAccessKey string `xml:"SecretAccessKey"`
				SessionToken    string `xml:"SessionToken"`
			} `xml:"Credentials"`
		} `xml:"AssumeRoleResult"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		return aws.Credentials{}, fmt.Errorf("AssumeRole response: %w", err)
	}
	c := out.Result.Credentials
	if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
		return aws.Credentials{}, errors.New("AssumeRole response has no credentials")
	}
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, nil
}

// withBody adds a statusError's body to its text, for one-off failures
// where the server's message says what is wrong.
func withBody(err error) error {
	var se *statusError
	if errors.As(err, &se) && len(se.Body) > 0 {
		return fmt.Errorf("%w: %s", err, bytes.TrimSpace(se.Body))
	}
	return err
}

// getKey is the object the get mode reads.
func getKey(size int64) string { return "get-" + strconv.FormatInt(size, 10) }
