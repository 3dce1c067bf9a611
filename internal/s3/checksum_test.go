package s3

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func checksumRequest(headers map[string]string) *request {
	r := httptest.NewRequest(http.MethodPut, "/b/k", strings.NewReader("hello"))
	for k, v := range headers {
		r.Header.Add(k, v)
	}
	return &request{Request: r, amz: r.Header}
}

func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var ae *APIError
	if code == "" {
		if err != nil {
			t.Fatalf("error %v, want none", err)
		}
		return
	}
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("error %v, want %s", err, code)
	}
}

func TestRequestChecksum(t *testing.T) {
	// "hello": CRC32 NhCmhg==, SHA256 LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=.
	for _, tc := range []struct {
		name    string
		headers map[string]string
		alg     string // "" when no checksum is asked for
		code    string // the error of requestChecksum
		readErr string // the error at the end of the body
	}{
		{"none", nil, "", "", ""},
		{"crc32", map[string]string{"X-Amz-Checksum-Crc32": "NhCmhg=="}, "CRC32", "", ""},
		{"sha256 with sdk", map[string]string{"X-Amz-Checksum-Sha256": "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=", "X-Amz-Sdk-Checksum-Algorithm": "sha256"}, "SHA256", "", ""},
		{"wrong value", map[string]string{"X-Amz-Checksum-Crc32": "AAAAAA=="}, "CRC32", "", "BadDigest"},
		{"not base64", map[string]string{"X-Amz-Checksum-Sha1": "bad"}, "SHA1", "", "BadDigest"},
		{"two algorithms", map[string]string{"X-Amz-Checksum-Crc32": "NhCmhg==", "X-Amz-Checksum-Sha1": "x"}, "", "InvalidRequest", ""},
		{"sdk alone", map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "CRC32"}, "", "InvalidRequest", ""},
		{"sdk differs", map[string]string{"X-Amz-Checksum-Crc32": "NhCmhg==", "X-Amz-Sdk-Checksum-Algorithm": "SHA1"}, "", "InvalidRequest", ""},
		{"sdk unknown", map[string]string{"X-Amz-Checksum-Crc32": "NhCmhg==", "X-Amz-Sdk-Checksum-Algorithm": "MD5"}, "", "InvalidRequest", ""},
		{"composite type", map[string]string{"X-Amz-Checksum-Crc32": "NhCmhg==", "X-Amz-Checksum-Type": "COMPOSITE"}, "", "InvalidRequest", ""},
		{"unknown trailer", map[string]string{"X-Amz-Trailer": "x-amz-checksum-md5"}, "", "InvalidRequest", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := checksumRequest(tc.headers)
			cr, err := requestChecksum(req, req.Body)
			wantAPIError(t, err, tc.code)
			if tc.code != "" {
				return
			}
			if tc.alg == "" {
				if cr != nil {
					t.Fatalf("checksum reader for %v", tc.headers)
				}
				return
			}
			if cr == nil || cr.algorithm != tc.alg {
				t.Fatalf("reader = %+v, want %s", cr, tc.alg)
			}
			_, err = io.ReadAll(cr)
			wantAPIError(t, err, tc.readErr)
			if tc.readErr == "" {
				c, err := cr.result()
				if err != nil || c.Algorithm != tc.alg || c.Type != object.ChecksumFullObject || c.Value == "" {
					t.Fatalf("result = %+v, %v", c, err)
				}
			}
		})
	}
}

func TestUploadChecksum(t *testing.T) {
	for _, tc := range []struct {
		alg, typ string
		want     object.Checksum
		code     string
	}{
		{"", "", object.Checksum{}, ""},
		{"sha256", "", object.Checksum{Algorithm: "SHA256", Type: "COMPOSITE"}, ""},
		{"CRC64NVME", "", object.Checksum{Algorithm: "CRC64NVME", Type: "FULL_OBJECT"}, ""},
		{"CRC32", "FULL_OBJECT", object.Checksum{Algorithm: "CRC32", Type: "FULL_OBJECT"}, ""},
		{"SHA1", "FULL_OBJECT", object.Checksum{}, "InvalidRequest"},
		{"CRC64NVME", "COMPOSITE", object.Checksum{}, "InvalidRequest"},
		{"", "COMPOSITE", object.Checksum{}, "InvalidRequest"},
		{"MD5", "", object.Checksum{}, "InvalidRequest"},
		{"CRC32", "OTHER", object.Checksum{}, "InvalidRequest"},
	} {
		h := map[string]string{}
		if tc.alg != "" {
			h["X-Amz-Checksum-Algorithm"] = tc.alg
		}
		if tc.typ != "" {
			h["X-Amz-Checksum-Type"] = tc.typ
		}
		c, err := uploadChecksum(checksumRequest(h))
		wantAPIError(t, err, tc.code)
		if tc.code == "" && c != tc.want {
			t.Errorf("%s %s: %+v, want %+v", tc.alg, tc.typ, c, tc.want)
		}
	}
}

func TestSelectPart(t *testing.T) {
	info := object.ObjectInfo{Size: 25, Metadata: object.Metadata{Checksum: object.Checksum{Algorithm: "SHA1", Type: "COMPOSITE", Value: "x-3"}},
		Parts: []object.ObjectPart{{PartNumber: 1, Size: 10, Checksum: "a"}, {PartNumber: 2, Size: 10}, {PartNumber: 3, Size: 5, Checksum: "c"}}}
	for _, tc := range []struct {
		n             string
		info          object.ObjectInfo
		first, length int64
		code          string
	}{
		{"1", info, 0, 10, ""},
		{"3", info, 20, 5, ""},
		{"4", info, 0, 0, "InvalidPart"},
		{"0", info, 0, 0, "InvalidArgument"},
		{"x", info, 0, 0, "InvalidArgument"},
		{"1", object.ObjectInfo{Size: 7}, 0, 7, ""},
		{"2", object.ObjectInfo{Size: 7}, 0, 0, "InvalidPart"},
	} {
		req := checksumRequest(nil)
		req.query = map[string][]string{"partNumber": {tc.n}}
		sel, err := selectPart(req, tc.info)
		wantAPIError(t, err, tc.code)
		if tc.code == "" && (sel.first != tc.first || sel.length != tc.length) {
			t.Errorf("part %s = %d+%d, want %d+%d", tc.n, sel.first, sel.length, tc.first, tc.length)
		}
	}
}
