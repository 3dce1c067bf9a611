package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// benchRequest returns a typical header-signed S3 GET as a server sees it.
func benchRequest(b *testing.B) (*http.Request, *Request) {
	c := sdkCase{method: "GET", key: "photos/2024/05/holiday picture.jpg",
		header: http.Header{"Range": {"bytes=0-1048575"}}}
	r := fromWire(b, signWithSDK(b, c, testSecretKey, testTime))
	a, err := Parse(r)
	if err != nil {
		b.Fatal(err)
	}
	return r, a
}

func BenchmarkVerifier_Verify(b *testing.B) {
	r, a := benchRequest(b)
	v := testVerifier(testTime)
	if err := v.Verify(r, a, testSecretKey); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(r, a, testSecretKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifier_VerifyColdKey(b *testing.B) {
	r, a := benchRequest(b)
	v := NewVerifier(Options{Now: testVerifier(testTime).now, KeyCacheSize: -1})
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(r, a, testSecretKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	r, _ := benchRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifier_BodyStreaming(b *testing.B) {
	data := payload(4 << 20)
	r, body := newStreamingRequest(b, streamSpec{mode: StreamingPayload, data: data, declared: -1})
	a, err := Parse(r)
	if err != nil {
		b.Fatal(err)
	}
	v := testVerifier(testTime)
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		rd, _, err := v.Body(r, a, testSecretKey)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{rd}, buf); err != nil {
			b.Fatal(err)
		}
	}
}
