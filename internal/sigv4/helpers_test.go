package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Test credentials and clock shared by the tests.
const (
	testAccessKey = "AKIDEXAMPLE"
	testSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testRegion    = "us-east-1"
)

// testTime is the signing time of the tests' requests.
var testTime = time.Date(2024, 5, 1, 12, 30, 45, 0, time.UTC)

// testVerifier returns a Verifier whose clock reads now.
func testVerifier(now time.Time) *Verifier {
	return NewVerifier(Options{Now: func() time.Time { return now }})
}

// wireOf returns the HTTP/1.1 wire form of a client request.
func wireOf(t testing.TB, req *http.Request) []byte {
	t.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatalf("writing request: %v", err)
	}
	return wire.Bytes()
}

// fromWire parses a wire-form request the way net/http's server does.
func fromWire(t testing.TB, wire []byte) *http.Request {
	t.Helper()
	sreq, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(wire)))
	if err != nil {
		t.Fatalf("reading request back: %v\n%s", err, wire)
	}
	return sreq
}

// serverRequest turns a client request into the request a server handler
// would see, by writing it to the wire format and reading it back.
func serverRequest(t testing.TB, req *http.Request) *http.Request {
	t.Helper()
	return fromWire(t, wireOf(t, req))
}

// refHMAC is crypto/hmac's HMAC-SHA256, the tests' independent reference.
func refHMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// refSigningKey derives a signing key with crypto/hmac.
func refSigningKey(secret, date, region, service string) []byte {
	k := refHMAC([]byte("AWS4"+secret), date)
	k = refHMAC(k, region)
	k = refHMAC(k, service)
	return refHMAC(k, "aws4_request")
}

// hexSHA256 returns the hex SHA-256 of b.
func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// chunkEncoding describes how encodeChunked frames a payload.
type chunkEncoding struct {
	mode      string             // StreamingPayload, StreamingPayloadTrailer or StreamingUnsignedPayloadTrailer
	chunkSize int                // data bytes per chunk
	seed      string             // seed signature (signed modes)
	key       []byte             // signing key (signed modes)
	amzDate   string             // X-Amz-Date
	scope     string             // credential scope
	trailers  [][2]string        // trailing headers, in order
	mutate    func(i int) []byte // optional: replaces chunk i's data after signing
}

// encodeChunked frames data as an aws-chunked body, computing every chunk
// and trailer signature with crypto/hmac, independently of the package.
func encodeChunked(data []byte, e chunkEncoding) []byte {
	signed := e.mode != StreamingUnsignedPayloadTrailer
	var out bytes.Buffer
	prev := e.seed
	sign := func(chunk []byte) string {
		sts := strings.Join([]string{"AWS4-HMAC-SHA256-PAYLOAD", e.amzDate, e.scope, prev, emptySHA256, hexSHA256(chunk)}, "\n")
		prev = hex.EncodeToString(refHMAC(e.key, sts))
		return prev
	}
	writeChunk := func(i int, chunk []byte) {
		out.WriteString(strconv.FormatInt(int64(len(chunk)), 16))
		if signed {
			out.WriteString(";chunk-signature=" + sign(chunk))
		}
		out.WriteString("\r\n")
		if e.mutate != nil {
			if m := e.mutate(i); m != nil {
				chunk = m
			}
		}
		out.Write(chunk)
		if len(chunk) > 0 {
			out.WriteString("\r\n")
		}
	}
	i := 0
	for off := 0; off < len(data); off += e.chunkSize {
		writeChunk(i, data[off:min(off+e.chunkSize, len(data))])
		i++
	}
	writeChunk(i, nil)
	if e.mode == StreamingPayload {
		out.WriteString("\r\n")
		return out.Bytes()
	}
	var canon strings.Builder
	for _, tr := range e.trailers {
		out.WriteString(tr[0] + ":" + tr[1] + "\r\n")
		canon.WriteString(tr[0] + ":" + tr[1] + "\n")
	}
	if signed {
		sts := strings.Join([]string{"AWS4-HMAC-SHA256-TRAILER", e.amzDate, e.scope, prev, hexSHA256([]byte(canon.String()))}, "\n")
		out.WriteString("x-amz-trailer-signature:" + hex.EncodeToString(refHMAC(e.key, sts)) + "\r\n")
	}
	out.WriteString("\r\n")
	return out.Bytes()
}

// readAllErr reads r to its end and returns what it read and the first
// error other than io.EOF.
func readAllErr(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	p := make([]byte, 7919) // odd size: reads straddle chunk boundaries
	for {
		n, err := r.Read(p)
		buf.Write(p[:n])
		if err == io.EOF {
			return buf.Bytes(), nil
		}
		if err != nil {
			return buf.Bytes(), err
		}
	}
}

// mustIs fails the test unless errors.Is(err, want).
func mustIs(t testing.TB, err, want error, what string) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

// fmtScope returns the credential scope of the test credentials at t.
func fmtScope(t time.Time, service string) string {
	return fmt.Sprintf("%s/%s/%s/aws4_request", t.Format("20060102"), testRegion, service)
}
