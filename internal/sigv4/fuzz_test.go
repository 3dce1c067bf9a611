package sigv4

import (
	"bytes"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(goodAuth, "", "20240501T123045Z", "", "host")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20240501%2Fus-east-1%2Fs3%2Faws4_request"+
		"&X-Amz-Date=20240501T123045Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature="+strings.Repeat("a", 64), "", "", "h")
	f.Add("AWS AK:sig", "a=%zz&&b", "", "Wed, 01 May 2024 12:30:45 GMT", "")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/e,SignedHeaders=;host,Signature=", "AWSAccessKeyId=a&Signature=b", "x", "y", "")
	v := testVerifier(testTime)
	f.Fuzz(func(t *testing.T, auth, rawQuery, amzDate, date, host string) {
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
		a, err := Parse(r)
		if err != nil {
			if a != nil {
				t.Fatalf("Parse returned both %+v and %v", a, err)
			}
			return
		}
		if len(a.Signature) != 64 || a.AccessKey == "" || len(a.Date) != 8 || !strings.Contains(";"+strings.Join(a.SignedHeaders, ";")+";", ";host;") {
			t.Fatalf("Parse accepted %+v", a)
		}
		if a.Presigned && (a.Expires <= 0 || a.PayloadHash == "") {
			t.Fatalf("Parse accepted presigned %+v", a)
		}
		_ = v.Verify(r, a, testSecretKey) // must not panic
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
				if _, err2 := rd.Read(buf); err2 != err {
					t.Fatalf("error not sticky: %v then %v", err, err2)
				}
				return
			}
		}
	})
}
