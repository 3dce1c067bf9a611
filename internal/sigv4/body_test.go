package sigv4

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// streamSpec describes a streaming upload built by newStreamingRequest.
type streamSpec struct {
	mode      string
	data      []byte
	chunkSize int
	trailers  [][2]string // trailing headers; X-Amz-Trailer lists their names
	declared  int64       // X-Amz-Decoded-Content-Length; -1 means len(data)
	mutate    func(i int) []byte
}

// newStreamingRequest returns the server-side request of an aws-chunked
// upload whose seed signature comes from the AWS SDK signer and whose chunk
// signatures come from the tests' reference encoder, plus the encoded body.
func newStreamingRequest(t testing.TB, s streamSpec) (*http.Request, []byte) {
	t.Helper()
	if s.chunkSize == 0 {
		s.chunkSize = 64 << 10
	}
	if s.declared < 0 {
		s.declared = int64(len(s.data))
	}
	scope := fmtScope(testTime, "s3")
	enc := chunkEncoding{
		mode: s.mode, chunkSize: s.chunkSize, seed: strings.Repeat("0", 64), key: make([]byte, 32),
		amzDate: testTime.Format(amzDateLayout), scope: scope, trailers: s.trailers, mutate: s.mutate,
	}
	encodedLen := len(encodeChunked(s.data, enc))

	req, err := http.NewRequest("PUT", "http://s3.example.com/bucket/stream%20obj", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(encodedLen)
	req.Header.Set("X-Amz-Content-Sha256", s.mode)
	req.Header.Set("Content-Encoding", "aws-chunked")
	req.Header.Set("X-Amz-Decoded-Content-Length", strconv.FormatInt(s.declared, 10))
	var names []string
	for _, tr := range s.trailers {
		names = append(names, tr[0])
	}
	if len(names) > 0 {
		req.Header.Set("X-Amz-Trailer", strings.Join(names, ","))
	}
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err := signer.SignHTTP(context.Background(), creds, req, s.mode, "s3", testRegion, testTime); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")
	enc.seed = auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]
	enc.key = refSigningKey(testSecretKey, testTime.Format("20060102"), testRegion, "s3")
	body := encodeChunked(s.data, enc)
	if len(body) != encodedLen {
		t.Fatalf("encoded length changed: %d != %d", len(body), encodedLen)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return serverRequest(t, req), body
}

// withBody returns r with its body replaced by b (the signed Content-Length
// header is left alone).
func withBody(r *http.Request, b []byte) *http.Request {
	r.Body = io.NopCloser(bytes.NewReader(b))
	return r
}

// decodeStream runs Parse, Verify and Body on r and reads the whole body.
func decodeStream(t testing.TB, r *http.Request) ([]byte, http.Header, error) {
	t.Helper()
	v := testVerifier(testTime)
	a, err := Parse(r)
	mustIs(t, err, nil, "Parse")
	mustIs(t, v.Verify(r, a, testSecretKey), nil, "Verify")
	body, size, err := v.Body(r, a, testSecretKey)
	if err != nil {
		return nil, nil, err
	}
	if want, _ := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64); size != want {
		t.Fatalf("size = %d, want %d", size, want)
	}
	got, err := readAllErr(body)
	var trailer http.Header
	if tr, ok := body.(interface{ Trailer() http.Header }); ok {
		trailer = tr.Trailer()
	}
	return got, trailer, err
}

// payload returns n deterministic pseudo-random bytes.
func payload(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// checksumOf returns the base64 x-amz-checksum value of data for the trailer name.
func checksumOf(name string, data []byte) string {
	var h hash.Hash
	switch name {
	case "x-amz-checksum-crc32":
		h = crc32.NewIEEE()
	case "x-amz-checksum-crc32c":
		h = crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "x-amz-checksum-sha1":
		h = sha1.New()
	case "x-amz-checksum-sha256":
		h = sha256.New()
	case "x-amz-checksum-crc64nvme":
		h = crc64.New(crc64.MakeTable(crc64NVMEPoly))
	}
	h.Write(data)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestVerifier_Body_StreamingSizes(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		chunkSize int
	}{
		{"empty", 0, 64 << 10},
		{"one byte", 1, 64 << 10},
		{"one 8 KiB chunk", 8 << 10, 8 << 10},
		{"exactly one 64 KiB chunk", 64 << 10, 64 << 10},
		{"64 KiB chunks, odd tail", 3*(64<<10) + 17, 64 << 10},
		{"8 KiB chunks, odd tail", 100_001, 8 << 10},
		{"tiny chunks", 1000, 7},
	}
	modes := []string{StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer}
	for _, tt := range tests {
		for _, mode := range modes {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				data := payload(tt.size)
				var trailers [][2]string
				if mode != StreamingPayload {
					trailers = [][2]string{{"x-amz-checksum-crc32c", checksumOf("x-amz-checksum-crc32c", data)}}
				}
				r, _ := newStreamingRequest(t, streamSpec{mode: mode, data: data, chunkSize: tt.chunkSize, trailers: trailers, declared: -1})
				got, trailer, err := decodeStream(t, r)
				mustIs(t, err, nil, "decode")
				if !bytes.Equal(got, data) {
					t.Fatalf("decoded %d bytes, want %d (equal prefix: %v)", len(got), len(data), bytes.HasPrefix(data, got))
				}
				if len(trailers) > 0 && trailer.Get("X-Amz-Checksum-Crc32c") != trailers[0][1] {
					t.Fatalf("Trailer = %v", trailer)
				}
			})
		}
	}
}

// TestVerifier_Body_AWSChunkedExample checks the test encoder and the
// decoder against the chunked-upload example of the S3 documentation.
func TestVerifier_Body_AWSChunkedExample(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	const seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	data := bytes.Repeat([]byte{'a'}, 66560)
	body := encodeChunked(data, chunkEncoding{
		mode: StreamingPayload, chunkSize: 65536, seed: seed,
		key:     refSigningKey(secret, "20130524", "us-east-1", "s3"),
		amzDate: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request",
	})
	for _, sig := range []string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	} {
		if !bytes.Contains(body, []byte("chunk-signature="+sig+"\r\n")) {
			t.Fatalf("encoded body lacks documented chunk signature %s", sig)
		}
	}
	if len(body) != 66824 {
		t.Fatalf("encoded length %d, documented 66824", len(body))
	}
	r := httptest.NewRequest("PUT", "/examplebucket/chunkObject.txt", bytes.NewReader(body))
	r.Host = "s3.amazonaws.com"
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("X-Amz-Content-Sha256", StreamingPayload)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	r.Header.Set("Content-Length", "66824")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"+
		"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"+
		"Signature="+seed)
	v := NewVerifier(Options{Now: func() time.Time { return time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC) }})
	a, err := Parse(r)
	mustIs(t, err, nil, "Parse")
	mustIs(t, v.Verify(r, a, secret), nil, "Verify")
	rd, _, err := v.Body(r, a, secret)
	mustIs(t, err, nil, "Body")
	got, err := readAllErr(rd)
	mustIs(t, err, nil, "read")
	if !bytes.Equal(got, data) {
		t.Fatalf("decoded %d bytes", len(got))
	}
}

func TestVerifier_Body_StreamingTampering(t *testing.T) {
	data := payload(3*(64<<10) + 100)
	crc := [][2]string{{"x-amz-checksum-crc32", checksumOf("x-amz-checksum-crc32", data)}}
	tests := []struct {
		name   string
		spec   streamSpec
		tamper func(body []byte) []byte // applied to the encoded body
		want   error
	}{
		{"untouched", streamSpec{mode: StreamingPayload}, nil, nil},
		{"chunk byte flipped", streamSpec{mode: StreamingPayload, mutate: func(i int) []byte {
			if i != 1 {
				return nil
			}
			c := bytes.Clone(data[64<<10 : 128<<10])
			c[500] ^= 1
			return c
		}}, nil, ErrChunkSignatureMismatch},
		{"last chunk byte flipped", streamSpec{mode: StreamingPayloadTrailer, trailers: crc, mutate: func(i int) []byte {
			if i != 3 {
				return nil
			}
			c := bytes.Clone(data[3*(64<<10):])
			c[99] ^= 0x80
			return c
		}}, nil, ErrChunkSignatureMismatch},
		{"chunk signature changed", streamSpec{mode: StreamingPayload}, func(b []byte) []byte {
			i := bytes.Index(b, []byte("chunk-signature=")) + len("chunk-signature=") + 10
			b[i] = flipHex(b[i])
			return b
		}, ErrChunkSignatureMismatch},
		{"final chunk signature changed", streamSpec{mode: StreamingPayload}, func(b []byte) []byte {
			i := bytes.LastIndex(b, []byte("chunk-signature=")) + len("chunk-signature=")
			b[i] = flipHex(b[i])
			return b
		}, ErrChunkSignatureMismatch},
		{"trailer signature changed", streamSpec{mode: StreamingPayloadTrailer, trailers: crc}, func(b []byte) []byte {
			i := bytes.Index(b, []byte("x-amz-trailer-signature:")) + len("x-amz-trailer-signature:") + 5
			b[i] = flipHex(b[i])
			return b
		}, ErrChunkSignatureMismatch},
		{"signed trailer value changed", streamSpec{mode: StreamingPayloadTrailer, trailers: crc}, func(b []byte) []byte {
			i := bytes.Index(b, []byte("x-amz-checksum-crc32:")) + len("x-amz-checksum-crc32:")
			b[i] = 'A' + (b[i]-'A'+1)%26
			return b
		}, ErrChunkSignatureMismatch},
		{"chunks reordered", streamSpec{mode: StreamingPayload, chunkSize: 1000, data: bytes.Repeat([]byte("ab"), 1500)}, func(b []byte) []byte {
			// Swap the first two chunks, each with its own (valid) signature.
			first := bytes.Index(b[1:], []byte("3e8;")) + 1
			second := bytes.Index(b[first+1:], []byte("3e8;")) + first + 1
			out := append([]byte{}, b[first:second]...)
			out = append(out, b[:first]...)
			return append(out, b[second:]...)
		}, ErrChunkSignatureMismatch},
		{"truncated in data", streamSpec{mode: StreamingPayload}, func(b []byte) []byte { return b[:1000] }, ErrMalformedChunk},
		{"truncated in header", streamSpec{mode: StreamingPayload}, func(b []byte) []byte {
			return b[:bytes.LastIndex(b, []byte("0;chunk-signature="))+10]
		}, ErrMalformedChunk},
		{"missing final chunk", streamSpec{mode: StreamingPayload}, func(b []byte) []byte {
			return b[:bytes.LastIndex(b, []byte("0;chunk-signature="))]
		}, ErrMalformedChunk},
		{"missing final CRLF", streamSpec{mode: StreamingPayload}, func(b []byte) []byte { return b[:len(b)-2] }, ErrMalformedChunk},
		{"garbage after final chunk", streamSpec{mode: StreamingPayload}, func(b []byte) []byte { return append(b, "junk\r\n\r\n"...) }, ErrMalformedChunk},
		{"chunk-signature misspelled", streamSpec{mode: StreamingPayload}, func(b []byte) []byte {
			i := bytes.Index(b, []byte("chunk-signature="))
			b[i+5] = 'X'
			return b
		}, ErrMalformedChunk},
		{"chunk-signature missing", streamSpec{mode: StreamingPayload}, func(b []byte) []byte {
			i := bytes.Index(b, []byte(";chunk-signature="))
			return append(b[:i:i], b[i+len(";chunk-signature=")+64:]...)
		}, ErrMalformedChunk},
		{"bad chunk size", streamSpec{mode: StreamingPayload}, func(b []byte) []byte { b[0] = 'x'; return b }, ErrMalformedChunk},
		{"LF instead of CRLF", streamSpec{mode: StreamingPayload}, func(b []byte) []byte {
			i := bytes.Index(b, []byte("\r\n"))
			return append(b[:i:i], b[i+1:]...)
		}, ErrMalformedChunk},
		{"declared length larger", streamSpec{mode: StreamingPayload, declared: int64(len(data)) + 1}, nil, ErrMalformedChunk},
		{"declared length smaller", streamSpec{mode: StreamingPayload, declared: int64(len(data)) - 1}, nil, ErrMalformedChunk},
		{"declared length zero", streamSpec{mode: StreamingUnsignedPayloadTrailer, declared: 0}, nil, ErrMalformedChunk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.spec
			if s.data == nil {
				s.data = data
			}
			if s.declared == 0 && tt.name != "declared length zero" {
				s.declared = int64(len(s.data))
			}
			r, body := newStreamingRequest(t, s)
			if tt.tamper != nil {
				r = withBody(r, tt.tamper(bytes.Clone(body)))
			}
			got, _, err := decodeStream(t, r)
			mustIs(t, err, tt.want, "decode")
			if int64(len(got)) > max(s.declared, 0) {
				t.Fatalf("decoded %d bytes, more than declared %d", len(got), s.declared)
			}
			if tt.want == nil && !bytes.Equal(got, s.data) {
				t.Fatalf("decoded body differs")
			}
		})
	}
}

// flipHex returns a different hex digit than c.
func flipHex(c byte) byte {
	if c == '0' {
		return '1'
	}
	return '0'
}

func TestVerifier_Body_TruncatedConnection(t *testing.T) {
	r, body := newStreamingRequest(t, streamSpec{mode: StreamingPayload, data: payload(100_000), declared: -1})
	// The client hung up: the server's body reader reports io.ErrUnexpectedEOF.
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body[:5000]), iotest.ErrReader(io.ErrUnexpectedEOF)))
	_, _, err := decodeStream(t, r)
	mustIs(t, err, ErrMalformedChunk, "decode")
}

func TestVerifier_Body_Trailers(t *testing.T) {
	data := payload(70_000)
	algs := []string{"x-amz-checksum-crc32", "x-amz-checksum-crc32c", "x-amz-checksum-sha1", "x-amz-checksum-sha256", "x-amz-checksum-crc64nvme"}
	for _, mode := range []string{StreamingUnsignedPayloadTrailer, StreamingPayloadTrailer} {
		for _, alg := range algs {
			good := checksumOf(alg, data)
			bad := checksumOf(alg, append(bytes.Clone(data), 0))
			tests := []struct {
				name     string
				trailers [][2]string
				want     error
			}{
				{"correct", [][2]string{{alg, good}}, nil},
				{"incorrect", [][2]string{{alg, bad}}, ErrChecksumMismatch},
				{"not base64", [][2]string{{alg, "!!!"}}, ErrChecksumMismatch},
			}
			for _, tt := range tests {
				t.Run(mode+"/"+alg+"/"+tt.name, func(t *testing.T) {
					r, _ := newStreamingRequest(t, streamSpec{mode: mode, data: data, chunkSize: 8192, trailers: tt.trailers, declared: -1})
					got, trailer, err := decodeStream(t, r)
					mustIs(t, err, tt.want, "decode")
					if err == nil && (!bytes.Equal(got, data) || trailer.Get(alg) != good) {
						t.Fatalf("decoded %d bytes, trailer %v", len(got), trailer)
					}
				})
			}
		}
	}
}

func TestVerifier_Body_TrailerFraming(t *testing.T) {
	data := payload(1000)
	crc := checksumOf("x-amz-checksum-crc32", data)
	tests := []struct {
		name     string
		declared string // X-Amz-Trailer
		tail     string // bytes after "0\r\n"
		want     error
	}{
		{"aws framing", "x-amz-checksum-crc32", "x-amz-checksum-crc32:" + crc + "\r\n\r\n", nil},
		{"minio-go framing", "x-amz-checksum-crc32", "x-amz-checksum-crc32:" + crc + "\n\r\n\r\n", nil},
		{"spaces around value", "x-amz-checksum-crc32", "x-amz-checksum-crc32: " + crc + " \r\n\r\n", nil},
		{"no trailers declared or sent", "", "\r\n", nil},
		{"declared but missing", "x-amz-checksum-crc32", "\r\n", ErrMalformedChunk},
		{"sent but not declared", "", "x-amz-checksum-crc32:" + crc + "\r\n\r\n", ErrMalformedChunk},
		{"duplicate", "x-amz-checksum-crc32", "x-amz-checksum-crc32:" + crc + "\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n", ErrMalformedChunk},
		{"no final empty line", "x-amz-checksum-crc32", "x-amz-checksum-crc32:" + crc + "\r\n", ErrMalformedChunk},
		{"not name:value", "x-amz-checksum-crc32", "x-amz-checksum-crc32 " + crc + "\r\n\r\n", ErrMalformedChunk},
		{"unsupported checksum declared", "x-amz-checksum-md5", "x-amz-checksum-md5:AAAA\r\n\r\n", ErrMalformedChunk},
		{"trailer section too long", "x-amz-checksum-crc32", strings.Repeat("\r\n", maxTrailerSection), ErrMalformedChunk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte("3e8\r\n")
			body = append(body, data...)
			body = append(body, "\r\n0\r\n"...)
			body = append(body, tt.tail...)
			r := httptest.NewRequest("PUT", "/b/k", bytes.NewReader(body))
			r.Header.Set("X-Amz-Decoded-Content-Length", "1000")
			if tt.declared != "" {
				r.Header.Set("X-Amz-Trailer", tt.declared)
			}
			a := &Request{PayloadHash: StreamingUnsignedPayloadTrailer}
			rd, _, err := testVerifier(testTime).Body(r, a, testSecretKey)
			if err == nil {
				var got []byte
				got, err = readAllErr(rd)
				if err == nil && !bytes.Equal(got, data) {
					t.Fatalf("decoded body differs")
				}
			}
			mustIs(t, err, tt.want, "decode")
		})
	}
}

func TestVerifier_Body_PayloadHash(t *testing.T) {
	data := []byte("the quick brown fox")
	tests := []struct {
		name    string
		hash    string
		body    []byte
		decoded string // X-Amz-Decoded-Content-Length
		wantErr error  // from Body
		readErr error  // from reading
	}{
		{"matching hash", hexSHA256(data), data, "", nil, nil},
		{"upper-case hash", strings.ToUpper(hexSHA256(data)), data, "", nil, nil},
		{"mismatching hash", hexSHA256(data), []byte("the quick brown fix"), "", nil, ErrContentSHA256Mismatch},
		{"truncated body", hexSHA256(data), data[:5], "", nil, ErrContentSHA256Mismatch},
		{"unsigned", UnsignedPayload, []byte("anything"), "", nil, nil},
		{"short hash", "abc", data, "", ErrInvalidPayloadHash, nil},
		{"not hex", strings.Repeat("g", 64), data, "", ErrInvalidPayloadHash, nil},
		{"unknown mode", "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", data, "", ErrInvalidPayloadHash, nil},
		{"empty", "", data, "", ErrInvalidPayloadHash, nil},
		{"streaming without decoded length", StreamingPayload, data, "", ErrMalformedChunk, nil},
		{"streaming with bad decoded length", StreamingUnsignedPayloadTrailer, data, "12a", ErrMalformedChunk, nil},
		{"streaming with negative decoded length", StreamingUnsignedPayloadTrailer, data, "-1", ErrMalformedChunk, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", "/b/k", bytes.NewReader(tt.body))
			if tt.decoded != "" {
				r.Header.Set("X-Amz-Decoded-Content-Length", tt.decoded)
			}
			a := &Request{PayloadHash: tt.hash, Signature: strings.Repeat("0", 64), Date: "20240501", Region: testRegion, Service: "s3", Time: testTime}
			rd, size, err := testVerifier(testTime).Body(r, a, testSecretKey)
			mustIs(t, err, tt.wantErr, "Body")
			if err != nil {
				return
			}
			if size != int64(len(tt.body)) {
				t.Fatalf("size = %d, want %d", size, len(tt.body))
			}
			got, err := readAllErr(rd)
			mustIs(t, err, tt.readErr, "read")
			if !bytes.Equal(got, tt.body) {
				t.Fatalf("read %q, want %q", got, tt.body)
			}
			// The error is sticky.
			if _, err2 := rd.Read(make([]byte, 1)); tt.readErr != nil && err2 != err {
				t.Fatalf("second Read = %v, want %v", err2, err)
			}
		})
	}
}
