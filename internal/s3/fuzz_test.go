package s3

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// The fuzz targets in this file check the parsers of request headers and
// query parameters; body_fuzz_test.go sends whole requests.

// FuzzParseRange: parseRange never panics; a range it accepts came from a
// single "bytes=" range, has non-negative bounds in order (or is the
// never-satisfiable "bytes=-0"), and reads back the same from its
// canonical spelling; and resolveRange keeps every accepted range inside
// an object of any size.
func FuzzParseRange(f *testing.F) {
	for _, h := range []string{"bytes=0-0", "bytes=0-", "bytes=-1", "bytes=-0", "bytes=5-4", "bytes=1-2,3-4",
		"bytes= 10-20 ", "bytes=+1-+2", "bytes=9223372036854775807-", "bytes=-9223372036854775808", "bytes=1--2",
		"items=0-1", "bytes=", "bytes=-", "bytes=0x10-"} {
		f.Add(h, int64(10))
	}
	f.Add("bytes=0-", int64(0))
	f.Add("bytes=-5", int64(9223372036854775807))
	f.Fuzz(func(t *testing.T, h string, size int64) {
		rg := parseRange(h)
		if rg == nil {
			return
		}
		if !strings.HasPrefix(h, "bytes=") || strings.Contains(h, ",") {
			t.Fatalf("parseRange(%q) accepted a header that is not one bytes range", h)
		}
		var canonical string
		switch {
		case rg.Suffix < 0 || rg.First < 0:
			t.Fatalf("parseRange(%q) = %+v: negative", h, *rg)
		case rg.Suffix > 0:
			if rg.First != 0 || rg.Last != 0 {
				t.Fatalf("parseRange(%q) = %+v: suffix with bounds", h, *rg)
			}
			canonical = fmt.Sprintf("bytes=-%d", rg.Suffix)
		case rg.First == 1 && rg.Last == 0:
			canonical = "bytes=-0"
		case rg.Last == -1:
			canonical = fmt.Sprintf("bytes=%d-", rg.First)
		case rg.Last >= rg.First:
			canonical = fmt.Sprintf("bytes=%d-%d", rg.First, rg.Last)
		default:
			t.Fatalf("parseRange(%q) = %+v: bounds out of order", h, *rg)
		}
		if again := parseRange(canonical); again == nil || *again != *rg {
			t.Fatalf("parseRange(%q) = %+v, but its canonical form %q reads %+v", h, *rg, canonical, again)
		}
		if size < 0 {
			return
		}
		first, length, ok := resolveRange(*rg, size)
		if !ok {
			if rg.Suffix > 0 && size > 0 || rg.Suffix == 0 && rg.First < size && (rg.Last < 0 || rg.Last >= rg.First) {
				t.Fatalf("resolveRange(%+v, %d) refused a satisfiable range", *rg, size)
			}
			return
		}
		if first < 0 || length < 1 || first > size-length {
			t.Fatalf("resolveRange(%+v, %d) = %d, %d: outside the object", *rg, size, first, length)
		}
	})
}

// FuzzCopySource: copySource never panics; it either refuses the header
// with InvalidArgument, or NotImplemented when a version other than null
// is asked for (by any versionId parameter), or returns a non-empty bucket
// without '/' and a non-empty key that spell exactly the decoded path of
// the header, as a path-style request would address them.
func FuzzCopySource(f *testing.F) {
	for _, h := range []string{"/pub/a", "pub/a", "pub/dir/a%20b", "/pub/a?versionId=null", "/pub/a?versionId=",
		"/pub/a?versionId=3HL4kqtJlcpXroDTDmJ%2Brmsr", "/pub/a?versionId=null&x=1", "/pub/a?%zz", "/pub/a%3Fb",
		"%2Fpub%2Fa", "/pub/a%00b", "/pub/%2e%2e/victim/keep", "/pub/", "//a", "/", "", "%", "pub/a%"} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r, _ := http.NewRequest(http.MethodPut, "http://s3.local/pub/dst", nil)
		r.Header.Set("X-Amz-Copy-Source", h)
		req := &request{Request: r}
		bucket, key, err := copySource(req, false)
		path, rawQuery, _ := strings.Cut(h, "?")
		asked := false
		if q, qerr := url.ParseQuery(rawQuery); qerr == nil {
			for _, v := range q["versionId"] {
				asked = asked || v != "" && v != "null"
			}
		}
		if err != nil {
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Code != "InvalidArgument" && apiErr.Code != "NotImplemented" {
				t.Fatalf("copySource(%q): error %v", h, err)
			}
			return
		}
		if asked {
			t.Fatalf("copySource(%q) ignored the version asked for", h)
		}
		if bucket == "" || key == "" || strings.Contains(bucket, "/") {
			t.Fatalf("copySource(%q) = %q, %q", h, bucket, key)
		}
		decoded, derr := url.PathUnescape(path)
		if derr != nil || strings.TrimPrefix(decoded, "/") != bucket+"/"+key {
			t.Fatalf("copySource(%q) = %q, %q; the decoded path is %q (%v)", h, bucket, key, decoded, derr)
		}
	})
}

// FuzzObjectHeaders: the headers stored with an object. metadataFromHeaders
// keeps x-amz-meta-* values under their lower-case names without the
// prefix, refuses more than maxUserMetadata bytes of them, and drops
// aws-chunked (a transfer detail) and empty items from Content-Encoding;
// putOptions accepts only a Content-MD5 that is 16 bytes in base64.
func FuzzObjectHeaders(f *testing.F) {
	f.Add("X-Amz-Meta-Color", "blue", "aws-chunked", "1B2M2Y8AsgTpgAmY7PhCfg==", 1)
	f.Add("x-amz-meta-", "empty name", "gzip, AWS-Chunked ,,br", "1B2M2Y8AsgTpgAmY7PhCfg", 1)
	f.Add("X-AMZ-META-ÜBER", "größe", " aws-chunked", "AAAAAAAAAAAAAAAAAAAAAA==", 40)
	f.Add("X-Amz-Meta-Big", strings.Repeat("v", 1000), "", "!!", 3)
	f.Add("Content-Type", "text/plain", "identity", "", 1)
	f.Fuzz(func(t *testing.T, name, value, encoding, md5 string, copies int) {
		copies = min(max(copies, 0), 8)
		h := http.Header{}
		for i := range copies {
			h[name+strconv.Itoa(i)] = []string{value}
		}
		h["Content-Encoding"] = []string{encoding}
		m, err := metadataFromHeaders(h)
		size := 0
		for k, v := range m.User {
			if k == "" || k != strings.ToLower(k) {
				t.Fatalf("user metadata name %q", k)
			}
			orig := ""
			for n, vs := range h {
				if strings.ToLower(n) == "x-amz-meta-"+k {
					orig = strings.Join(vs, ",")
				}
			}
			if v != orig {
				t.Fatalf("user metadata %q = %q, want %q", k, v, orig)
			}
			size += len(k) + len(v)
		}
		if err != nil {
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Code != "MetadataTooLarge" {
				t.Fatalf("error %v", err)
			}
			if size <= maxUserMetadata {
				t.Fatalf("refused %d bytes of metadata", size)
			}
		} else if size > maxUserMetadata {
			t.Fatalf("kept %d bytes of metadata", size)
		}
		if m.ContentEncoding != "" {
			for _, e := range strings.Split(m.ContentEncoding, ",") {
				if e == "" || e != strings.TrimSpace(e) || strings.EqualFold(e, "aws-chunked") {
					t.Fatalf("Content-Encoding %q kept item %q", m.ContentEncoding, e)
				}
			}
		}

		r, _ := http.NewRequest(http.MethodPut, "http://s3.local/pub/a", nil)
		r.Header.Set("Content-MD5", md5)
		r.ContentLength = int64(copies)
		opts, err := putOptions(&request{Request: r}, object.MaxObjectSize, ErrEntityTooLarge)
		switch {
		case err == nil && md5 != "" && len(opts.MD5) != 16:
			t.Fatalf("Content-MD5 %q accepted as %d bytes", md5, len(opts.MD5))
		case err == nil && opts.Size != int64(copies):
			t.Fatalf("size %d, want %d", opts.Size, copies)
		case err != nil && err != ErrInvalidDigest:
			t.Fatalf("putOptions: %v", err)
		case err != nil && (md5 == "" || base64Len(md5) == 16):
			t.Fatalf("Content-MD5 %q refused", md5)
		}
	})
}

// base64Len is the length of s decoded as standard base64, or -1.
func base64Len(s string) int {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return -1
	}
	return len(b)
}

// FuzzPreconditions: checkPreconditions answers 0, 304 or 412; a copy
// source never answers 304; an If-Match naming the object's ETag (or *)
// never fails because of If-Match; and without any condition it answers 0.
func FuzzPreconditions(f *testing.F) {
	f.Add(`"d41d8cd98f00b204e9800998ecf8427e"`, "", "", "", false)
	f.Add(`"x", *`, `W/"d41d8cd98f00b204e9800998ecf8427e"`, "", "", true)
	f.Add("", "*", "Mon, 02 Jan 2006 15:04:05 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", false)
	f.Add("", "", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", true)
	f.Add("", "", "garbage", "", false)
	f.Fuzz(func(t *testing.T, ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince string, copying bool) {
		info := object.ObjectInfo{ETag: "d41d8cd98f00b204e9800998ecf8427e", ModTime: time.Date(2006, 1, 2, 15, 4, 5, 999, time.UTC)}
		prefix := ""
		if copying {
			prefix = "X-Amz-Copy-Source-"
		}
		h := http.Header{}
		set := func(k, v string) {
			if v != "" {
				h.Set(prefix+k, v)
			}
		}
		set("If-Match", ifMatch)
		set("If-None-Match", ifNoneMatch)
		set("If-Modified-Since", ifModifiedSince)
		set("If-Unmodified-Since", ifUnmodifiedSince)
		status := checkPreconditions(h, info, prefix)
		switch {
		case status != 0 && status != http.StatusNotModified && status != http.StatusPreconditionFailed:
			t.Fatalf("status %d", status)
		case copying && status == http.StatusNotModified:
			t.Fatal("a copy source answered 304")
		case len(h) == 0 && status != 0:
			t.Fatalf("status %d without conditions", status)
		}
		// With the If-None-Match and If-Modified-Since answers taken
		// away, a matching If-Match must pass.
		if ifMatch != "" && ifNoneMatch == "" && ifModifiedSince == "" {
			matches := false
			for _, e := range strings.Split(ifMatch, ",") {
				e = strings.TrimSpace(e)
				matches = matches || e == "*" || e == `"`+info.ETag+`"`
			}
			if matches && status != 0 {
				t.Fatalf("If-Match %q names the ETag, yet status %d", ifMatch, status)
			}
		}
	})
}

// FuzzQueryParameters: the numeric and enumerated query parameters of the
// listing and multipart calls stay within S3's bounds, and url encoding of
// listed names is reversible.
func FuzzQueryParameters(f *testing.F) {
	f.Add("max-keys=5&prefix=a%2Fb&delimiter=%2F&encoding-type=url&partNumber=1&max-uploads=0&continuation-token=YQ")
	f.Add("max-keys=-1&encoding-type=URL&partNumber=10001&max-uploads=99999999999999999999")
	f.Add("max-keys=+7&partNumber=+1&max-uploads=0x10&continuation-token=")
	f.Add("prefix=%E2%82%AC+%25&delimiter=&max-keys=2147483648&partNumber=0")
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		if p, err := parseListParams(q); err == nil {
			if p.maxKeys < 0 || p.maxKeys > defaultMaxKeys || p.encodingType != "" && p.encodingType != "url" {
				t.Fatalf("list parameters %+v", p)
			}
			enc := encoder(p.encodingType)
			for _, s := range []string{p.prefix, p.delimiter} {
				if p.encodingType != "url" {
					break
				}
				if back, err := url.QueryUnescape(enc(s)); err != nil || back != s {
					t.Fatalf("encoding %q gives %q, which decodes to %q (%v)", s, enc(s), back, err)
				}
			}
		}
		if n, err := partNumber(q); err == nil && (n < 1 || n > object.MaxPartNumber) {
			t.Fatalf("part number %d", n)
		}
		if n, err := intParam(q, "max-uploads"); err == nil && (n < 0 || n > 1000) {
			t.Fatalf("max-uploads %d", n)
		}
	})
}

// FuzzBucketAndKey: with virtual-host domains configured, a Host of
// <bucket>.<domain> (any case, any port) addresses the lower-case bucket
// and the whole path is the key; any other Host is path-style, where the
// bucket is the first path segment. Either way the request's bucket has
// no '/'.
func FuzzBucketAndKey(f *testing.F) {
	f.Add("pub.s3.example.com", "/dir/key")
	f.Add("PUB.S3.Example.Com:9000", "/")
	f.Add(".s3.example.com", "/pub/key")
	f.Add("s3.example.com", "/pub/dir/key")
	f.Add("a.b.s3.example.com", "//key")
	f.Add("[::1]:9000", "/pub")
	f.Add("pub.s3.example.com.", "/k")
	f.Fuzz(func(t *testing.T, host, path string) {
		a := New(Options{Domains: []string{"s3.example.com"}})
		r := &http.Request{Host: host, URL: &url.URL{Path: path}}
		bucket, key := a.bucketAndKey(r)
		if vb, ok := a.virtualHostBucket(host); ok {
			if bucket != vb || key != strings.TrimPrefix(path, "/") || vb != strings.ToLower(vb) || vb == "" {
				t.Fatalf("host %q path %q: bucket %q key %q (virtual host %q)", host, path, bucket, key, vb)
			}
			name := host
			if h, _, err := net.SplitHostPort(host); err == nil {
				name = h
			}
			if strings.ToLower(name) != vb+".s3.example.com" {
				t.Fatalf("host %q does not name bucket %q", host, vb)
			}
			return
		}
		if strings.Contains(bucket, "/") {
			t.Fatalf("path %q: bucket %q", path, bucket)
		}
		rebuilt := "/" + bucket
		if key != "" || strings.Count(strings.TrimPrefix(path, "/"), "/") > 0 {
			rebuilt += "/" + key
		}
		if rebuilt != "/"+strings.TrimPrefix(path, "/") {
			t.Fatalf("path %q split into bucket %q and key %q", path, bucket, key)
		}
	})
}
