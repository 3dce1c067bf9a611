package sigv4

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// sentinels are the package's sentinel errors; every error of Parse,
// Verify and the body readers wraps one of them.
var sentinels = []error{
	ErrNoAuth, ErrMalformedAuth, ErrMalformedPresign, ErrUnsupportedAlgorithm, ErrMissingDate,
	ErrSignatureMismatch, ErrTimeSkewed, ErrExpired, ErrInvalidExpires, ErrContentSHA256Mismatch,
	ErrInvalidPayloadHash, ErrChunkSignatureMismatch, ErrMalformedChunk, ErrChecksumMismatch,
	ErrUnsignedHeaders, ErrPayloadTooLarge,
}

// mustBeSentinel fails unless err wraps one of the package's sentinels.
func mustBeSentinel(t *testing.T, err error, what string) {
	t.Helper()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("%s: error %q (%T) wraps no sentinel", what, err, err)
}

func FuzzParse(f *testing.F) {
	f.Add(goodAuth, "", "20240501T123045Z", "", "host", "", "")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20240501%2Fus-east-1%2Fs3%2Faws4_request"+
		"&X-Amz-Date=20240501T123045Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature="+strings.Repeat("a", 64), "", "", "h",
		"X-Amz-Copy-Source", "/b/k")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20240501%2F%2Fs3%2Faws4_request&X-Amz-Date=20240501T123045Z"+
		"&X-Amz-Expires=604800&X-Amz-SignedHeaders=host%3Bx-amz-content-sha256&X-Amz-Signature="+strings.Repeat("F", 64)+
		"&X-Amz-Security-Token=t%2B%3D&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD", "", "", "s3.example.com", "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	f.Add("AWS4-HMAC-SHA256 Credential=AK/20240501/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature="+strings.Repeat("0", 64),
		"", "20240501T123045Z", "", "h", "x-amz-meta-a", "v")
	f.Add("AWS AK:sig", "a=%zz&&b", "", "Wed, 01 May 2024 12:30:45 GMT", "", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=;host,Signature=", "AWSAccessKeyId=a&Signature=b", "x", "y", "", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=AK/20240501/us-east-1/s3/aws4_request,Credential=x", "", "20240501T123045Z", "", "", "", "")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Algorithm=AWS4-HMAC-SHA256", "", "", "", "", "")
	v := testVerifier(testTime)
	f.Fuzz(func(t *testing.T, auth, rawQuery, amzDate, date, host, extraName, extraValue string) {
		r := httptest.NewRequest("GET", "/bucket/key", nil)
		r.URL.RawQuery = rawQuery
		r.Host = host
		if auth != "" {
			r.Header["Authorization"] = []string{auth}
		}
		if amzDate != "" {
			r.Header["X-Amz-Date"] = []string{amzDate}
		}
		if date != "" {
			r.Header["Date"] = []string{date}
		}
		if extraName != "" {
			r.Header[extraName] = append(r.Header[extraName], extraValue)
		}
		a, err := Parse(r)
		if err != nil {
			if a != nil {
				t.Fatalf("Parse returned both %+v and %v", a, err)
			}
			mustBeSentinel(t, err, "Parse")
			return
		}
		if len(a.Signature) != 64 || a.AccessKey == "" || len(a.Date) != 8 || !strings.Contains(";"+strings.Join(a.SignedHeaders, ";")+";", ";host;") {
			t.Fatalf("Parse accepted %+v", a)
		}
		if a.Presigned && (a.Expires <= 0 || a.PayloadHash == "") {
			t.Fatalf("Parse accepted presigned %+v", a)
		}
		if err := v.Verify(r, a, testSecretKey); err != nil {
			mustBeSentinel(t, err, "Verify")
		}
	})
}

func FuzzChunkedReader(f *testing.F) {
	modes := []string{StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer}
	seed := strings.Repeat("0", 64)
	scope := fmtScope(testTime, "s3")
	key := refSigningKey(testSecretKey, "20240501", testRegion, "s3")
	for i, mode := range modes {
		data := payload(100 * (i + 1))
		var trailers [][2]string
		if mode != StreamingPayload {
			trailers = [][2]string{{"x-amz-checksum-crc32", checksumOf("x-amz-checksum-crc32", data)}}
		}
		body := encodeChunked(data, chunkEncoding{
			mode: mode, chunkSize: 64, seed: seed, key: key, amzDate: testTime.Format(amzDateLayout), scope: scope, trailers: trailers,
		})
		f.Add(body, int64(len(data)), uint8(i), "x-amz-checksum-crc32")
	}
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), int64(5), uint8(2), "")
	f.Add([]byte("ffffffffffffffff\r\n"), int64(10), uint8(2), "")
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"), int64(5), uint8(2), "x-amz-checksum-crc32")
	f.Add([]byte("5;chunk-signature="+seed+"\r\nhello\r\n0;chunk-signature="+seed+"\r\n\r\n"), int64(5), uint8(0), "")
	v := testVerifier(testTime)
	f.Fuzz(func(t *testing.T, body []byte, declared int64, mode uint8, trailer string) {
		if declared < 0 || declared > 1<<20 {
			return
		}
		r := httptest.NewRequest("PUT", "/b/k", bytes.NewReader(body))
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.FormatInt(declared, 10))
		if trailer != "" {
			r.Header["X-Amz-Trailer"] = []string{trailer}
		}
		a := &Request{
			AccessKey: testAccessKey, Date: "20240501", Region: testRegion, Service: "s3",
			Signature: seed, Time: testTime, PayloadHash: modes[int(mode)%len(modes)],
		}
		rd, size, err := v.Body(r, a, testSecretKey)
		if err != nil {
			mustBeSentinel(t, err, "Body")
			return
		}
		if size != declared {
			t.Fatalf("size %d, declared %d", size, declared)
		}
		var total int64
		buf := make([]byte, 13)
		for {
			n, err := rd.Read(buf)
			if n < 0 || n > len(buf) {
				t.Fatalf("Read returned %d", n)
			}
			total += int64(n)
			if total > declared {
				t.Fatalf("read %d bytes, more than the declared %d", total, declared)
			}
			if err == io.EOF {
				if total != declared {
					t.Fatalf("clean EOF after %d bytes, declared %d", total, declared)
				}
				return
			}
			if err != nil {
				mustBeSentinel(t, err, "Read")
				if _, err2 := rd.Read(buf); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				return
			}
		}
	})
}

// FuzzChunkedReader_RoundTrip encodes data as an aws-chunked body with the
// tests' reference encoder, checks that the reader returns exactly data,
// then changes one byte of the encoding and checks that the reader fails
// (or, for a change that means the same, still returns exactly data).
func FuzzChunkedReader_RoundTrip(f *testing.F) {
	f.Add([]byte("hello, world"), uint16(5), uint8(0), uint8(0), uint32(3))
	f.Add(payload(1000), uint16(64), uint8(1), uint8(2), uint32(700))
	f.Add(payload(300), uint16(299), uint8(2), uint8(4), uint32(1<<31))
	f.Add([]byte{}, uint16(1), uint8(2), uint8(1), uint32(0))
	f.Add(payload(65), uint16(64), uint8(1), uint8(3), uint32(200))
	modes := []string{StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer}
	checksums := []string{"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1", "x-amz-checksum-sha256"}
	seed := strings.Repeat("ab", 32)
	key := refSigningKey(testSecretKey, "20240501", testRegion, "s3")
	v := testVerifier(testTime)
	decode := func(t *testing.T, mode, trailer string, body []byte, declared int) ([]byte, error) {
		r := httptest.NewRequest("PUT", "/b/k", bytes.NewReader(body))
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(declared))
		if trailer != "" {
			r.Header.Set("X-Amz-Trailer", trailer)
		}
		a := &Request{
			AccessKey: testAccessKey, Date: "20240501", Region: testRegion, Service: "s3",
			Signature: seed, Time: testTime, PayloadHash: mode,
		}
		rd, _, err := v.Body(r, a, testSecretKey)
		if err != nil {
			mustBeSentinel(t, err, "Body")
			return nil, err
		}
		got, err := readAllErr(rd)
		if err != nil {
			mustBeSentinel(t, err, "Read")
		}
		return got, err
	}
	f.Fuzz(func(t *testing.T, data []byte, chunkSize uint16, modeIdx, checksumIdx uint8, flipAt uint32) {
		if len(data) > 64<<10 {
			return
		}
		mode := modes[int(modeIdx)%len(modes)]
		// An unsigned stream without a checksum could be changed at will;
		// the signed stream without trailers carries none.
		var trailers [][2]string
		trailer := ""
		if mode != StreamingPayload {
			trailer = checksums[int(checksumIdx)%len(checksums)]
			trailers = [][2]string{{trailer, checksumOf(trailer, data)}}
		}
		body := encodeChunked(data, chunkEncoding{
			mode: mode, chunkSize: int(chunkSize%4096) + 1, seed: seed, key: key,
			amzDate: testTime.Format(amzDateLayout), scope: fmtScope(testTime, "s3"), trailers: trailers,
		})
		got, err := decode(t, mode, trailer, body, len(data))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s, %d-byte chunks: decoded %d of %d bytes, err %v", mode, int(chunkSize%4096)+1, len(got), len(data), err)
		}
		i := int(flipAt % uint32(len(body)))
		body[i] ^= 1
		got, err = decode(t, mode, trailer, body, len(data))
		if err == nil && !bytes.Equal(got, data) {
			t.Fatalf("%s: byte %d of the encoding changed (%q), yet the reader returned other data without an error", mode, i, body[max(0, i-20):min(len(body), i+20)])
		}
	})
}

// oracleSkipHeaders are header names the differential fuzz does not send:
// net/http writes or drops them itself (Host, Content-Length,
// Transfer-Encoding, Trailer), the SDK's signer owns them (Authorization
// and the SigV4 names), or the presigner would turn them into the query
// parameters of the authentication.
var oracleSkipHeaders = []string{
	"Host", "Content-Length", "Transfer-Encoding", "Trailer", "Authorization",
	"X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Security-Token", "X-Amz-Algorithm",
	"X-Amz-Credential", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature",
}

// oracleSkipQuery are query names that would turn the request into another
// kind of authentication (presigned SigV4, or SigV2).
var oracleSkipQuery = []string{
	"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
	"X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-Content-Sha256", "AWSAccessKeyId", "Signature",
}

// oracleCase builds the sdkCase of the differential fuzz, or reports false
// for input the SDK and net/http cannot carry to a server as signed:
//   - a method that is not an HTTP token, or CONNECT (net/http writes the
//     authority instead of the path);
//   - a header name that is not a token or is one of oracleSkipHeaders, or
//     a value with CR, LF or NUL (which would end or split the header);
//   - a query name from oracleSkipQuery.
func oracleCase(method, key, qName, qValue, h1, v1, h2, v2 string, body []byte, presign bool) (sdkCase, bool) {
	if method == "" || strings.EqualFold(method, "CONNECT") || !isToken(method) {
		return sdkCase{}, false
	}
	c := sdkCase{method: method, key: key, body: body, presign: presign, expires: 3600}
	if qName != "" || qValue != "" {
		for _, n := range oracleSkipQuery {
			if qName == n {
				return sdkCase{}, false
			}
		}
		c.query = url.Values{qName: {qValue}}
	}
	for _, h := range [][2]string{{h1, v1}, {h2, v2}} {
		if h[0] == "" {
			continue
		}
		if !isToken(h[0]) || strings.ContainsAny(h[1], "\r\n\x00") {
			return sdkCase{}, false
		}
		for _, n := range oracleSkipHeaders {
			if strings.EqualFold(h[0], n) {
				return sdkCase{}, false
			}
		}
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Add(h[0], h[1])
	}
	return c, true
}

// isToken reports whether s is a non-empty RFC 9110 token.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return s != ""
}

// FuzzVerify_SDKOracle signs requests built from fuzzed methods, keys,
// query parameters, headers and bodies with the AWS SDK's signer (header
// authentication or presigned URL), carries them through net/http's wire
// format, and checks that Verify accepts them, that Body returns the body,
// and that a changed signature digit is refused. Inputs the SDK or net/http
// cannot carry are skipped (see oracleCase), as are those net/http's
// request reader refuses, since a server never sees them.
func FuzzVerify_SDKOracle(f *testing.F) {
	for _, c := range sdkCases() {
		var q, h [2]string
		for k, vs := range c.query {
			q = [2]string{k, vs[0]}
		}
		for k, vs := range c.header {
			h = [2]string{k, vs[0]}
		}
		f.Add(c.method, c.key, q[0], q[1], h[0], h[1], "X-Amz-Meta-Two", "  two  values ", c.body, c.presign, uint8(len(c.name)))
	}
	f.Add("PATCH", "a//b/./../c%2F", "", "", "X-Amz-Meta-Mixed_Case", "\tv\t", "Content-Type", "a\xffb", []byte("body"), false, uint8(63))
	f.Add("GET", "", "", "=", "X-Amz-Tagging", "a=b&c=d", "x-amz-tagging", "e=f", []byte(nil), true, uint8(0))
	v := testVerifier(testTime)
	f.Fuzz(func(t *testing.T, method, key, qName, qValue, h1, v1, h2, v2 string, body []byte, presign bool, flip uint8) {
		c, ok := oracleCase(method, key, qName, qValue, h1, v1, h2, v2, body, presign)
		if !ok {
			return
		}
		wire, err := sdkWire(c, testSecretKey, testTime)
		if err != nil {
			return // the SDK or net/http cannot build the request
		}
		read := func() *http.Request {
			r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
			if err != nil {
				return nil
			}
			return r
		}
		r := read()
		if r == nil {
			return // no server would see this request
		}
		a, err := Parse(r)
		if err != nil {
			t.Fatalf("Parse: %v\n%q", err, wire)
		}
		if err := v.Verify(r, a, testSecretKey); err != nil {
			t.Fatalf("Verify: %v\n%q", err, wire)
		}
		rd, _, err := v.Body(r, a, testSecretKey)
		if err != nil {
			t.Fatalf("Body: %v\n%q", err, wire)
		}
		if got, err := readAllErr(rd); err != nil || !bytes.Equal(got, body) {
			t.Fatalf("body %q, %v; want %q", got, err, body)
		}

		// One signature digit changed.
		r = read()
		i := int(flip % 64)
		if auth := r.Header.Get("Authorization"); auth != "" {
			j := strings.Index(auth, "Signature=") + len("Signature=") + i
			r.Header.Set("Authorization", auth[:j]+string(flipHex(auth[j]))+auth[j+1:])
		} else {
			j := strings.Index(r.URL.RawQuery, "X-Amz-Signature=") + len("X-Amz-Signature=") + i
			r.URL.RawQuery = r.URL.RawQuery[:j] + string(flipHex(r.URL.RawQuery[j])) + r.URL.RawQuery[j+1:]
		}
		a, err = Parse(r)
		if err != nil {
			t.Fatalf("Parse after changing the signature: %v", err)
		}
		mustIs(t, v.Verify(r, a, testSecretKey), ErrSignatureMismatch, "Verify with a changed signature")
	})
}
