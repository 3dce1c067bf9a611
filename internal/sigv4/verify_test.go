package sigv4

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// sdkCase is one request signed by the AWS SDK's signer, the tests' oracle.
type sdkCase struct {
	name     string
	method   string
	key      string      // object key; "" for a bucket request
	query    url.Values  // query parameters
	header   http.Header // extra headers, all signed by the SDK
	body     []byte
	payload  string // X-Amz-Content-Sha256; "" means the hex SHA-256 of body
	token    string // session token
	presign  bool
	expires  int // X-Amz-Expires for presigned cases
	wantBody bool
}

// sdkCases covers keys, queries and headers that stress canonicalisation.
func sdkCases() []sdkCase {
	return []sdkCase{
		{name: "get simple", method: "GET", key: "photos/2024/cat.jpg"},
		{name: "get key with spaces", method: "GET", key: "my folder/my  file (1).txt"},
		{name: "get unicode key", method: "GET", key: "unicode/日本語/ñandú-€.txt"},
		{name: "get reserved chars", method: "GET", key: "a+b=c%d~e&f;g,h:i@j$k!l'm*n"},
		{name: "get more punctuation", method: "GET", key: "q?r#s[t]u{v}w|x^y`z\"<>\\"},
		{name: "get dot segments", method: "GET", key: "dir/../x/./y//z"},
		{name: "get trailing slash", method: "GET", key: "folder/"},
		{name: "list bucket", method: "GET", query: url.Values{
			"list-type": {"2"}, "prefix": {"a b+c/d"}, "delimiter": {"/"}, "continuation-token": {"x=y&z"},
		}},
		{name: "empty and multiple values", method: "GET", query: url.Values{
			"acl": {""}, "versions": {""}, "tag": {"z", "a", "m m"}, "ünï": {"cödé"}, "%25": {"~"},
		}},
		{name: "get with signed headers", method: "GET", key: "obj", header: http.Header{
			"Range":               {"bytes=0-9"},
			"X-Amz-Meta-Note":     {"  hello    spaced   world  "},
			"X-Amz-Meta-Multi":    {"first", "second  value"},
			"If-None-Match":       {`"abc"`},
			"X-Amz-Request-Payer": {"requester"},
		}},
		{name: "put hex payload", method: "PUT", key: "docs/report.pdf", body: []byte("hello, sesame"), wantBody: true,
			header: http.Header{"Content-Type": {"application/pdf"}, "X-Amz-Meta-Author": {"Ada  Lovelace"}}},
		{name: "put unsigned payload", method: "PUT", key: "big.bin", body: bytes.Repeat([]byte("x"), 5000), payload: UnsignedPayload, wantBody: true},
		{name: "put empty body", method: "PUT", key: "empty", body: []byte{}, wantBody: true},
		{name: "delete with session token", method: "DELETE", key: "old/obj", token: "FwoGZXIvYXdzEJr//////////wEaDO+token="},
		{name: "post with query", method: "POST", key: "multi part", query: url.Values{"uploads": {""}}},

		{name: "presigned get", method: "GET", key: "shared/photo 1.jpg", presign: true, expires: 3600},
		{name: "presigned get with query", method: "GET", key: "a+b", presign: true, expires: 60,
			query: url.Values{"response-content-disposition": {`attachment; filename="x y.txt"`}, "versionId": {"3/L4kqtJl"}}},
		{name: "presigned put with headers", method: "PUT", key: "upload/ü.txt", presign: true, expires: 604800,
			header: http.Header{"Content-Type": {"text/plain"}, "X-Amz-Meta-Owner": {"bob"}}},
		{name: "presigned with session token", method: "GET", key: "t", presign: true, expires: 900, token: "session/token+="},
	}
}

// signWithSDK builds the client request of c and signs it with the AWS SDK,
// path-escaped the way the SDK's S3 client does it (escaped RawPath and
// DisableURIPathEscaping), and returns its wire form.
func signWithSDK(t testing.TB, c sdkCase, secret string, at time.Time) []byte {
	t.Helper()
	wire, err := sdkWire(c, secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return wire
}

// sdkWire is signWithSDK returning its errors: those of net/http when c
// cannot be made into a request, and those of the SDK's signer.
func sdkWire(c sdkCase, secret string, at time.Time) ([]byte, error) {
	newBody := func() io.Reader {
		if c.body == nil {
			return nil
		}
		return bytes.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, "http://s3.example.com:9000/", newBody())
	if err != nil {
		return nil, err
	}
	req.URL.Path = "/bucket"
	req.URL.RawPath = "/bucket"
	if c.key != "" {
		req.URL.Path += "/" + c.key
		req.URL.RawPath += "/" + httpbinding.EscapePath(c.key, false)
	}
	q := url.Values{}
	for k, v := range c.query {
		q[k] = v
	}
	if c.presign {
		q.Set("X-Amz-Expires", strconv.Itoa(c.expires))
	}
	req.URL.RawQuery = q.Encode()
	for k, vs := range c.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: secret, SessionToken: c.token}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	var wire bytes.Buffer
	if c.presign {
		uri, signed, err := signer.PresignHTTP(context.Background(), creds, req, UnsignedPayload, "s3", testRegion, at)
		if err != nil {
			return nil, err
		}
		preq, err := http.NewRequest(c.method, uri, newBody())
		if err != nil {
			return nil, err
		}
		for k, vs := range signed {
			if k != "Host" {
				preq.Header[k] = vs
			}
		}
		err = preq.Write(&wire)
		return wire.Bytes(), err
	}
	payload := c.payload
	if payload == "" {
		payload = hexSHA256(c.body)
	}
	req.Header.Set("X-Amz-Content-Sha256", payload)
	if err := signer.SignHTTP(context.Background(), creds, req, payload, "s3", testRegion, at); err != nil {
		return nil, err
	}
	err = req.Write(&wire)
	return wire.Bytes(), err
}

// mutation changes one aspect of a signed server request (or the secret).
type mutation struct {
	name  string
	apply func(r *http.Request, secret *string)
}

// mutations returns changes applied one at a time; each must break the
// signature.
func mutations() []mutation {
	return []mutation{
		{"path", func(r *http.Request, _ *string) { r.URL.Path += "x" }},
		{"path case", func(r *http.Request, _ *string) { r.URL.Path = strings.ToUpper(r.URL.Path) }},
		{"extra query parameter", func(r *http.Request, _ *string) { r.URL.RawQuery += "&extra=1" }},
		{"method", func(r *http.Request, _ *string) {
			if r.Method == "HEAD" {
				r.Method = "GET"
			} else {
				r.Method = "HEAD"
			}
		}},
		{"host", func(r *http.Request, _ *string) { r.Host = "evil.example.com:9000" }},
		{"secret", func(_ *http.Request, s *string) { *s += "x" }},
		{"date", func(r *http.Request, _ *string) {
			if v := r.Header.Get("X-Amz-Date"); v != "" {
				r.Header.Set("X-Amz-Date", shiftAmzDate(v))
				return
			}
			q := r.URL.Query()
			q.Set("X-Amz-Date", shiftAmzDate(q.Get("X-Amz-Date")))
			r.URL.RawQuery = q.Encode()
		}},
		{"region in scope", func(r *http.Request, _ *string) {
			if v := r.Header.Get("Authorization"); v != "" {
				r.Header.Set("Authorization", strings.Replace(v, "/us-east-1/", "/us-west-2/", 1))
				return
			}
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "%2Fus-east-1%2F", "%2Fus-west-2%2F", 1)
		}},
	}
}

// shiftAmzDate moves an X-Amz-Date one second later.
func shiftAmzDate(v string) string {
	t, err := time.Parse(amzDateLayout, v)
	if err != nil {
		return v + "0"
	}
	return t.Add(time.Second).Format(amzDateLayout)
}

func TestVerifier_Verify_SDKOracle(t *testing.T) {
	v := testVerifier(testTime.Add(time.Minute))
	for _, c := range sdkCases() {
		t.Run(c.name, func(t *testing.T) {
			wire := signWithSDK(t, c, testSecretKey, testTime)
			r := fromWire(t, wire)
			a, err := Parse(r)
			mustIs(t, err, nil, "Parse")
			if a.Presigned != c.presign || a.AccessKey != testAccessKey || a.Region != testRegion ||
				a.Service != "s3" || a.Date != "20240501" || !a.Time.Equal(testTime) || a.SecurityToken != c.token {
				t.Fatalf("Parse = %+v", a)
			}
			if c.presign && a.Expires != time.Duration(c.expires)*time.Second {
				t.Fatalf("Expires = %s, want %ds", a.Expires, c.expires)
			}
			mustIs(t, v.Verify(r, a, testSecretKey), nil, "Verify")
			if c.wantBody {
				body, size, err := v.Body(r, a, testSecretKey)
				mustIs(t, err, nil, "Body")
				got, err := readAllErr(body)
				mustIs(t, err, nil, "reading body")
				if !bytes.Equal(got, c.body) || size != int64(len(c.body)) {
					t.Fatalf("body = %d bytes (size %d), want %d", len(got), size, len(c.body))
				}
			}

			for _, m := range mutations() {
				r := fromWire(t, wire)
				secret := testSecretKey
				m.apply(r, &secret)
				a, err := Parse(r)
				if err != nil {
					t.Fatalf("mutation %q: Parse: %v", m.name, err)
				}
				mustIs(t, v.Verify(r, a, secret), ErrSignatureMismatch, "mutation "+m.name)
			}
		})
	}
}

// TestVerifier_Verify_SignedHeaderMutations changes each signed header of a
// request in turn.
func TestVerifier_Verify_SignedHeaderMutations(t *testing.T) {
	var c sdkCase
	for _, sc := range sdkCases() {
		if sc.name == "get with signed headers" {
			c = sc
		}
	}
	v := testVerifier(testTime)
	wire := signWithSDK(t, c, testSecretKey, testTime)
	r0 := fromWire(t, wire)
	a0, err := Parse(r0)
	mustIs(t, err, nil, "Parse")
	for _, name := range a0.SignedHeaders {
		if name == "host" || name == "x-amz-date" {
			continue // covered by TestVerifier_Verify_SDKOracle
		}
		t.Run(name, func(t *testing.T) {
			r := fromWire(t, wire)
			key := http.CanonicalHeaderKey(name)
			r.Header[key] = append([]string{"tampered"}, r.Header[key]...)
			a, err := Parse(r)
			mustIs(t, err, nil, "Parse")
			mustIs(t, v.Verify(r, a, testSecretKey), ErrSignatureMismatch, "Verify")
		})
	}
	t.Run("unsigned header is ignored", func(t *testing.T) {
		r := fromWire(t, wire)
		r.Header.Set("X-Unsigned", "anything")
		r.Header.Set("User-Agent", "other")
		a, err := Parse(r)
		mustIs(t, err, nil, "Parse")
		mustIs(t, v.Verify(r, a, testSecretKey), nil, "Verify")
	})
}

// TestVerifier_Verify_EquivalentQueries checks that a query written
// differently from the SDK's canonical form still verifies.
func TestVerifier_Verify_EquivalentQueries(t *testing.T) {
	c := sdkCase{name: "q", method: "GET", query: url.Values{"acl": {""}, "prefix": {"a b/c"}, "marker": {"m~n"}}}
	v := testVerifier(testTime)
	wire := signWithSDK(t, c, testSecretKey, testTime)
	for _, raw := range []string{
		"acl&prefix=a+b/c&marker=m~n",
		"marker=m%7En&acl=&prefix=a%20b%2fc",
		"prefix=a%20b%2Fc&&marker=m~n&acl",
	} {
		r := fromWire(t, wire)
		r.URL.RawQuery = raw
		a, err := Parse(r)
		mustIs(t, err, nil, "Parse")
		mustIs(t, v.Verify(r, a, testSecretKey), nil, "Verify "+raw)
	}
	r := fromWire(t, wire)
	r.URL.RawQuery = "acl&prefix=a+b/c&marker=m~n&marker=x"
	a, _ := Parse(r)
	mustIs(t, v.Verify(r, a, testSecretKey), ErrSignatureMismatch, "extra value")
}

// TestVerifier_Verify_AWSExamples checks the examples of the S3 SigV4
// documentation (header authentication and presigned URL).
func TestVerifier_Verify_AWSExamples(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	v := testVerifier(time.Date(2013, 5, 24, 0, 1, 0, 0, time.UTC))

	r := httptest.NewRequest("GET", "/test.txt", nil)
	r.Host = "examplebucket.s3.amazonaws.com"
	r.Header.Set("Range", "bytes=0-9")
	r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
		"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"+
		"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
	a, err := Parse(r)
	mustIs(t, err, nil, "Parse header example")
	mustIs(t, v.Verify(r, a, secret), nil, "Verify header example")
	mustIs(t, v.Verify(r, a, secret+"x"), ErrSignatureMismatch, "Verify header example, wrong secret")

	p := httptest.NewRequest("GET", "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"+
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"+
		"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"+
		"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404", nil)
	p.Host = "examplebucket.s3.amazonaws.com"
	a, err = Parse(p)
	mustIs(t, err, nil, "Parse presigned example")
	mustIs(t, v.Verify(p, a, secret), nil, "Verify presigned example")
}

// TestVerifier_Verify_DateHeader signs a request that carries only a Date
// header, with an independent reference signer.
func TestVerifier_Verify_DateHeader(t *testing.T) {
	r := httptest.NewRequest("GET", "/bucket/key", nil)
	r.Host = "s3.example.com"
	r.Header.Set("Date", testTime.Format(http.TimeFormat))
	r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
	canonical := strings.Join([]string{
		"GET", "/bucket/key", "",
		"date:" + testTime.Format(http.TimeFormat), "host:s3.example.com", "x-amz-content-sha256:" + UnsignedPayload, "",
		"date;host;x-amz-content-sha256", UnsignedPayload,
	}, "\n")
	scope := fmtScope(testTime, "s3")
	sts := strings.Join([]string{"AWS4-HMAC-SHA256", testTime.Format(amzDateLayout), scope, hexSHA256([]byte(canonical))}, "\n")
	sig := refHMAC(refSigningKey(testSecretKey, "20240501", testRegion, "s3"), sts)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAccessKey+"/"+scope+
		", SignedHeaders=date;host;x-amz-content-sha256, Signature="+hex.EncodeToString(sig))
	a, err := Parse(r)
	mustIs(t, err, nil, "Parse")
	if !a.Time.Equal(testTime) {
		t.Fatalf("Time = %s, want %s", a.Time, testTime)
	}
	v := testVerifier(testTime)
	mustIs(t, v.Verify(r, a, testSecretKey), nil, "Verify")
	r.Header.Set("Date", testTime.Add(time.Second).Format(http.TimeFormat))
	a, err = Parse(r)
	mustIs(t, err, nil, "Parse")
	mustIs(t, v.Verify(r, a, testSecretKey), ErrSignatureMismatch, "Verify with changed Date")
}

// TestVerifier_Verify_UnhashedPayload covers services such as STS that sign
// the body's hash without sending X-Amz-Content-Sha256.
func TestVerifier_Verify_UnhashedPayload(t *testing.T) {
	body := "Action=GetCallerIdentity&Version=2011-06-15"
	newReq := func(body string) *http.Request {
		req, err := http.NewRequest("POST", "http://sts.example.com/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	req := newReq(body)
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	if err := signer.SignHTTP(context.Background(), creds, req, hexSHA256([]byte(body)), "sts", testRegion, testTime); err != nil {
		t.Fatal(err)
	}
	wire := wireOf(t, req)
	v := testVerifier(testTime)

	r := fromWire(t, wire)
	a, err := Parse(r)
	mustIs(t, err, nil, "Parse")
	if a.PayloadHash != "" || a.Service != "sts" {
		t.Fatalf("PayloadHash = %q, Service = %q", a.PayloadHash, a.Service)
	}
	mustIs(t, v.Verify(r, a, testSecretKey), nil, "Verify")
	rd, _, err := v.Body(r, a, testSecretKey)
	mustIs(t, err, nil, "Body")
	got, err := readAllErr(rd)
	mustIs(t, err, nil, "read")
	if string(got) != body {
		t.Fatalf("body = %q", got)
	}

	tampered := bytes.Replace(wire, []byte("GetCallerIdentity"), []byte("GetCallerIdentitx"), 1)
	r = fromWire(t, tampered)
	a, _ = Parse(r)
	mustIs(t, v.Verify(r, a, testSecretKey), ErrSignatureMismatch, "Verify tampered body")

	small := NewVerifier(Options{Now: func() time.Time { return testTime }, MaxBufferedPayload: 10})
	r = fromWire(t, wire)
	a, _ = Parse(r)
	mustIs(t, small.Verify(r, a, testSecretKey), ErrPayloadTooLarge, "Verify over the buffer limit")
}

func TestVerifier_Verify_TimeWindow(t *testing.T) {
	header := signWithSDK(t, sdkCase{method: "GET", key: "k"}, testSecretKey, testTime)
	presigned := signWithSDK(t, sdkCase{method: "GET", key: "k", presign: true, expires: 3600}, testSecretKey, testTime)
	tests := []struct {
		name string
		wire []byte
		now  time.Time
		want error
	}{
		{"header on time", header, testTime, nil},
		{"header 15m late", header, testTime.Add(15 * time.Minute), nil},
		{"header 15m early", header, testTime.Add(-15 * time.Minute), nil},
		{"header too late", header, testTime.Add(15*time.Minute + time.Second), ErrTimeSkewed},
		{"header too early", header, testTime.Add(-15*time.Minute - time.Second), ErrTimeSkewed},
		{"presigned at start", presigned, testTime, nil},
		{"presigned at expiry", presigned, testTime.Add(time.Hour), nil},
		{"presigned expired", presigned, testTime.Add(time.Hour + time.Second), ErrExpired},
		{"presigned slightly early", presigned, testTime.Add(-15 * time.Minute), nil},
		{"presigned in the future", presigned, testTime.Add(-15*time.Minute - time.Second), ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fromWire(t, tt.wire)
			a, err := Parse(r)
			mustIs(t, err, nil, "Parse")
			mustIs(t, testVerifier(tt.now).Verify(r, a, testSecretKey), tt.want, "Verify")
		})
	}
}

func TestVerifier_Verify_Expires(t *testing.T) {
	tests := []struct {
		name      string
		expires   string
		maxExpiry time.Duration
		want      error
	}{
		{"one second", "1", 0, nil},
		{"seven days", "604800", 0, nil},
		{"zero", "0", 0, ErrInvalidExpires},
		{"over seven days", "604801", 0, ErrInvalidExpires},
		{"negative", "-5", 0, ErrInvalidExpires},
		{"not numeric", "soon", 0, ErrInvalidExpires},
		{"decimal", "60.5", 0, ErrInvalidExpires},
		{"empty", "", 0, ErrInvalidExpires},
		{"over configured maximum", "3601", time.Hour, ErrInvalidExpires},
		{"at configured maximum", "3600", time.Hour, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Sign by hand so that any X-Amz-Expires value can be used.
			r := httptest.NewRequest("GET", "http://s3.example.com/bucket/k", nil)
			r.URL.RawQuery = presignQuery(r, tt.expires)
			v := NewVerifier(Options{Now: func() time.Time { return testTime }, MaxPresignExpiry: tt.maxExpiry})
			a, err := Parse(r)
			if err == nil {
				err = v.Verify(r, a, testSecretKey)
			}
			mustIs(t, err, tt.want, "Parse+Verify")
		})
	}
}

// presignQuery returns a presigned query for r (GET, host only) with the
// given raw X-Amz-Expires, signed by the reference signer.
func presignQuery(r *http.Request, expires string) string {
	scope := fmtScope(testTime, "s3")
	q := url.Values{
		"X-Amz-Algorithm":     {"AWS4-HMAC-SHA256"},
		"X-Amz-Credential":    {testAccessKey + "/" + scope},
		"X-Amz-Date":          {testTime.Format(amzDateLayout)},
		"X-Amz-Expires":       {expires},
		"X-Amz-SignedHeaders": {"host"},
	}
	canonicalQuery := strings.ReplaceAll(q.Encode(), "+", "%20")
	canonical := strings.Join([]string{"GET", r.URL.EscapedPath(), canonicalQuery, "host:" + r.Host, "", "host", UnsignedPayload}, "\n")
	sts := strings.Join([]string{"AWS4-HMAC-SHA256", testTime.Format(amzDateLayout), scope, hexSHA256([]byte(canonical))}, "\n")
	q.Set("X-Amz-Signature", hex.EncodeToString(refHMAC(refSigningKey(testSecretKey, "20240501", testRegion, "s3"), sts)))
	return q.Encode()
}

func TestVerifier_Verify_NilRequest(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	mustIs(t, testVerifier(testTime).Verify(r, nil, testSecretKey), ErrNoAuth, "Verify(nil)")
}
