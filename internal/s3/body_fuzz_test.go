package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/posix"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// The fuzz targets in this file send whole requests, signed by the AWS
// SDK's signer as root, through API.ServeHTTP to a posix backend: the XML
// bodies of CompleteMultipartUpload, DeleteObjects and CreateBucket, the
// bucket policy of PutBucketPolicy, and the Range and x-amz-copy-source
// headers. Every target checks that a client's mistake is never answered
// with a server fault (5xx), that the answer is the S3 document it should
// be, and that nothing outside the addressed bucket changes or leaks: an
// object in another bucket and a file beside the data directory stay
// untouched and never come back in a response.

const (
	fuzzBucket   = "pub"
	victimBucket = "victim"
	victimKey    = "keep"
	victimBody   = "the victim object"
	outsideBody  = "a file beside the data directory"
	partBody     = "the only part"
)

// objectBodies are the objects every iteration starts with in fuzzBucket.
var objectBodies = map[string]string{"a": "object a", "d/b": "object d/b"}

// s3Fixture is one API over a posix backend in a temporary directory.
type s3Fixture struct {
	api     *API
	backend *posix.Backend
	outside string // the file beside the data directory
}

func newS3Fixture(f testing.TB) *s3Fixture {
	f.Helper()
	ctx := context.Background()
	dir := f.TempDir()
	fx := &s3Fixture{outside: filepath.Join(dir, "outside")}
	if err := os.WriteFile(fx.outside, []byte(outsideBody), 0o600); err != nil {
		f.Fatal(err)
	}
	var err error
	if fx.backend, err = posix.Open(filepath.Join(dir, "data"), posix.Options{}); err != nil {
		f.Fatal(err)
	}
	st := memory.New(memory.Options{})
	svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { svc.Close(); st.Close() })
	fx.api = New(Options{Backend: fx.backend, Auth: auth.New(sigv4.NewVerifier(sigv4.Options{}), auth.IAM(svc)), IAM: svc})
	for _, b := range []string{fuzzBucket, victimBucket} {
		if err := fx.backend.CreateBucket(ctx, b); err != nil {
			f.Fatal(err)
		}
	}
	fx.put(f, victimBucket, victimKey, victimBody)
	return fx
}

func (fx *s3Fixture) put(t testing.TB, bucket, key, body string) {
	t.Helper()
	_, err := fx.backend.PutObject(context.Background(), bucket, key, strings.NewReader(body), object.PutOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// reset gives fuzzBucket its starting objects and no policy, writing only
// what changed (the backend syncs every write to disk).
func (fx *s3Fixture) reset(t *testing.T) {
	t.Helper()
	for k, v := range objectBodies {
		if got, ok := fx.content(t, fuzzBucket, k); !ok || got != v {
			fx.put(t, fuzzBucket, k, v)
		}
	}
	ctx := context.Background()
	if _, err := fx.backend.GetBucketPolicy(ctx, fuzzBucket); err == nil {
		if err := fx.backend.DeleteBucketPolicy(ctx, fuzzBucket); err != nil {
			t.Fatal(err)
		}
	}
	fx.api.policies.forget(fuzzBucket)
}

// do sends a request signed as root and returns the answer.
func (fx *s3Fixture) do(t *testing.T, method, path string, query url.Values, header http.Header, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	u := &url.URL{Scheme: "http", Host: "s3.local", Path: path, RawQuery: query.Encode()}
	r, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		r.Header[k] = v
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: "admin", SecretAccessKey: "adminsecret"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hash, "s3", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	fx.api.ServeHTTP(rec, r)
	return rec
}

// check fails on a server fault or an error answer that is not an S3
// <Error> document, on a response that leaks the victim object or the
// file outside, and when either changed.
func (fx *s3Fixture) check(t *testing.T, rec *httptest.ResponseRecorder, method string) {
	t.Helper()
	body := rec.Body.Bytes()
	if rec.Code >= 500 && rec.Code != http.StatusNotImplemented {
		t.Fatalf("server fault %d: %s", rec.Code, body)
	}
	if rec.Code >= 400 && method != http.MethodHead {
		var doc struct {
			XMLName xml.Name
			Code    string
		}
		if err := xml.Unmarshal(body, &doc); err != nil || doc.XMLName.Local != "Error" || doc.Code == "" {
			t.Fatalf("%d answer is not an S3 error: %s", rec.Code, body)
		}
	}
	if bytes.Contains(body, []byte(outsideBody)) {
		t.Fatalf("the response leaks the file outside the data directory: %s", body)
	}
	ctx := context.Background()
	rd, err := fx.backend.GetObject(ctx, victimBucket, victimKey, object.GetOptions{})
	if err != nil {
		t.Fatalf("the object in the other bucket is gone: %v", err)
	}
	got, err := io.ReadAll(rd)
	rd.Close()
	if err != nil || string(got) != victimBody {
		t.Fatalf("the object in the other bucket changed: %q %v", got, err)
	}
	if got, err := os.ReadFile(fx.outside); err != nil || string(got) != outsideBody {
		t.Fatalf("the file outside the data directory changed: %q %v", got, err)
	}
}

// content returns an object's bytes, or ok false when it does not exist.
func (fx *s3Fixture) content(t *testing.T, bucket, key string) (string, bool) {
	t.Helper()
	rd, err := fx.backend.GetObject(context.Background(), bucket, key, object.GetOptions{})
	if err != nil {
		return "", false
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), true
}

// fieldValue reports whether s may be sent as an HTTP header value
// (net/http refuses control characters other than tab).
func fieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// FuzzDeleteObjects posts a fuzzed <Delete> document. Properties, beyond
// check's: a 200 answers every object named (in Deleted or Error, only
// errors when Quiet) and a deleted key is gone afterwards; a refused
// document is MalformedXML.
func FuzzDeleteObjects(f *testing.F) {
	for _, s := range []string{
		`<Delete><Object><Key>a</Key></Object><Object><Key>missing</Key></Object></Delete>`,
		`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>d/b</Key><VersionId>null</VersionId></Object></Delete>`,
		`<Delete><Object><Key>../victim/keep</Key></Object><Object><Key>/a</Key></Object><Object><Key>d/../a</Key></Object></Delete>`,
		`<Delete><Object><Key>a&#0;b</Key></Object><Object><Key>d/</Key></Object><Object><Key></Key></Object></Delete>`,
		`<Delete><Quiet>yes</Quiet><Object><Key>a</Key></Object></Delete>`,
		`<Delete></Delete>`,
		`<Delete><Object><Key>a</Key></Object>`,
		`<?xml version="1.0" encoding="UTF-16"?><Delete/>`,
		`<!DOCTYPE d [<!ENTITY x "a">]><Delete><Object><Key>&x;</Key></Object></Delete>`,
		``,
	} {
		f.Add([]byte(s))
	}
	fx := newS3Fixture(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fx.reset(t)
		rec := fx.do(t, http.MethodPost, "/"+fuzzBucket, url.Values{"delete": {""}}, nil, body)
		fx.check(t, rec, http.MethodPost)
		if rec.Code != http.StatusOK {
			var doc struct{ Code string }
			xml.Unmarshal(rec.Body.Bytes(), &doc)
			if doc.Code != "MalformedXML" {
				t.Fatalf("%d %s for a Delete document", rec.Code, doc.Code)
			}
			return
		}
		var req struct {
			Quiet   bool
			Objects []struct{ Key string } `xml:"Object"`
		}
		if err := xml.Unmarshal(body, &req); err != nil {
			t.Fatalf("accepted a document that does not decode: %v", err)
		}
		var res struct {
			XMLName xml.Name
			Deleted []struct{ Key string }
			Errors  []struct{ Key, Code string } `xml:"Error"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.XMLName.Local != "DeleteResult" {
			t.Fatalf("200 with %s (%v)", rec.Body.Bytes(), err)
		}
		answered := len(res.Deleted) + len(res.Errors)
		if req.Quiet && len(res.Deleted) > 0 || !req.Quiet && answered != len(req.Objects) || answered > len(req.Objects) {
			t.Fatalf("%d objects (quiet %v) answered with %d deleted and %d errors", len(req.Objects), req.Quiet, len(res.Deleted), len(res.Errors))
		}
		for _, e := range res.Errors {
			if e.Code == "" || e.Code == ErrInternal.Code {
				t.Fatalf("key %q: error %q", e.Key, e.Code)
			}
		}
		for _, d := range res.Deleted {
			if _, err := fx.backend.HeadObject(context.Background(), fuzzBucket, d.Key); !errors.Is(err, object.ErrObjectNotFound) {
				t.Fatalf("deleted key %q still answers %v", d.Key, err)
			}
		}
	})
}

// FuzzCompleteMultipartUpload completes an upload of one part with a
// fuzzed document. Properties, beyond check's: a 200 made the object of
// exactly that part, with the multipart ETag; anything else is a 4xx.
func FuzzCompleteMultipartUpload(f *testing.F) {
	etag := md5Hex(partBody)
	for _, s := range []string{
		`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"` + etag + `"</ETag></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>` + etag + `</ETag><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"` + etag + `"</ETag></Part><Part><PartNumber>1</PartNumber><ETag>"` + etag + `"</ETag></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>"` + etag + `"</ETag></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part><PartNumber>99999999999999999999</PartNumber></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"00000000000000000000000000000000"</ETag></Part></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload></CompleteMultipartUpload>`,
		`<CompleteMultipartUpload><Part>`,
		``,
	} {
		f.Add([]byte(s))
	}
	fx := newS3Fixture(f)
	const key = "mpu"
	id := "" // the upload, kept until a request completes it
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		if _, err := fx.backend.ListParts(ctx, fuzzBucket, key, id, object.ListPartsOptions{}); err != nil {
			var err error
			if id, err = fx.backend.CreateMultipartUpload(ctx, fuzzBucket, key, object.PutOptions{Size: -1}); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.backend.UploadPart(ctx, fuzzBucket, key, id, 1, strings.NewReader(partBody), object.PutOptions{Size: int64(len(partBody))}); err != nil {
				t.Fatal(err)
			}
		}
		rec := fx.do(t, http.MethodPost, "/"+fuzzBucket+"/"+key, url.Values{"uploadId": {id}}, nil, body)
		fx.check(t, rec, http.MethodPost)
		if rec.Code != http.StatusOK {
			return
		}
		var res struct {
			XMLName xml.Name
			Bucket  string
			Key     string
			ETag    string
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &res); err != nil || res.XMLName.Local != "CompleteMultipartUploadResult" {
			t.Fatalf("200 with %s (%v)", rec.Body.Bytes(), err)
		}
		sum := md5.Sum(mustHex(t, etag))
		if want := `"` + hex.EncodeToString(sum[:]) + `-1"`; res.ETag != want || res.Bucket != fuzzBucket || res.Key != key {
			t.Fatalf("result %+v, want ETag %s", res, want)
		}
		if got, ok := fx.content(t, fuzzBucket, key); !ok || got != partBody {
			t.Fatalf("completed object %q (exists %v), want the part", got, ok)
		}
		if err := fx.backend.DeleteObject(ctx, fuzzBucket, key); err != nil {
			t.Fatal(err)
		}
	})
}

func mustHex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzCreateBucket creates a bucket with a fuzzed name and
// <CreateBucketConfiguration> body. Properties, beyond check's: a 200
// created a bucket whose name follows S3's rules, from an empty body or
// one that decodes.
func FuzzCreateBucket(f *testing.F) {
	for _, s := range []string{
		`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`,
		`<CreateBucketConfiguration/>`,
		`<CreateBucketConfiguration><LocationConstraint>`,
		`not xml`,
		``,
	} {
		f.Add("new-bucket", []byte(s))
	}
	f.Add(fuzzBucket, []byte(nil))
	f.Add("..", []byte(nil))
	f.Add(".sesame.sys", []byte(nil))
	f.Add("192.168.0.1", []byte(nil))
	f.Add("xn--bucket", []byte(nil))
	f.Add("UPPER", []byte(nil))
	fx := newS3Fixture(f)
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		if name == "" || strings.ContainsAny(name, "/?#%") || !fieldValue(name) || name == fuzzBucket || name == victimBucket {
			return
		}
		ctx := context.Background()
		rec := fx.do(t, http.MethodPut, "/"+name, nil, nil, body)
		fx.check(t, rec, http.MethodPut)
		if rec.Code != http.StatusOK {
			return
		}
		if _, err := fx.backend.HeadBucket(ctx, name); err != nil {
			t.Fatalf("200 for bucket %q, which does not exist: %v", name, err)
		}
		if err := fx.backend.DeleteBucket(ctx, name); err != nil {
			t.Fatal(err)
		}
		if !validBucketName(name) {
			t.Fatalf("created bucket %q", name)
		}
		if len(body) > 0 {
			var cfg struct{ LocationConstraint string }
			if err := xml.Unmarshal(body, &cfg); err != nil {
				t.Fatalf("accepted the configuration %q: %v", body, err)
			}
		}
	})
}

// FuzzPutBucketPolicy puts a fuzzed policy on a bucket. Properties, beyond
// check's: a 204 stored exactly the document, which the policy parser
// accepts for this bucket; anything else is MalformedPolicy.
func FuzzPutBucketPolicy(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub/*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":["*"]},"Action":["s3:*"],"Resource":["arn:aws:s3:::pub","arn:aws:s3:::pub/*"]}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::victim/*"}]}`,
		`{"Statement":[]}`,
		`{`,
		``,
	} {
		f.Add([]byte(s))
	}
	fx := newS3Fixture(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fx.reset(t)
		rec := fx.do(t, http.MethodPut, "/"+fuzzBucket, url.Values{"policy": {""}}, nil, body)
		fx.check(t, rec, http.MethodPut)
		if rec.Code != http.StatusNoContent {
			var doc struct{ Code string }
			xml.Unmarshal(rec.Body.Bytes(), &doc)
			if doc.Code != "MalformedPolicy" {
				t.Fatalf("%d %s for a policy", rec.Code, doc.Code)
			}
			return
		}
		if _, err := policy.ParseBucketPolicy(body, fuzzBucket); err != nil {
			t.Fatalf("stored a policy the parser refuses: %v", err)
		}
		stored, err := fx.backend.GetBucketPolicy(context.Background(), fuzzBucket)
		if err != nil || !bytes.Equal(stored, body) {
			t.Fatalf("stored %q (%v), want the document sent", stored, err)
		}
	})
}

// FuzzGetObjectRange gets and heads an object with a fuzzed Range header.
// Properties, beyond check's: GET and HEAD agree on the status, the
// Content-Range and the Content-Length; a 206 sends exactly the bytes its
// Content-Range names; a 200 sends the whole object; a 416 names the size.
func FuzzGetObjectRange(f *testing.F) {
	for _, s := range []string{"bytes=0-0", "bytes=2-", "bytes=-3", "bytes=-0", "bytes=7-", "bytes=8-", "bytes=3-100",
		"bytes=5-4", "bytes=0-1,3-4", "bytes=+1-2", "bits=0-1", "bytes=-99999999999999999999"} {
		f.Add(s)
	}
	fx := newS3Fixture(f)
	f.Fuzz(func(t *testing.T, rangeHeader string) {
		if !fieldValue(rangeHeader) {
			return
		}
		fx.reset(t)
		whole := objectBodies["a"]
		header := http.Header{"Range": {rangeHeader}}
		get := fx.do(t, http.MethodGet, "/"+fuzzBucket+"/a", nil, header, nil)
		fx.check(t, get, http.MethodGet)
		head := fx.do(t, http.MethodHead, "/"+fuzzBucket+"/a", nil, header, nil)
		fx.check(t, head, http.MethodHead)
		headers := []string{"Content-Range"}
		if get.Code < 300 {
			headers = append(headers, "Content-Length") // an error has a body only for GET
		}
		for _, h := range headers {
			if get.Code != head.Code || get.Header().Get(h) != head.Header().Get(h) {
				t.Fatalf("Range %q: GET %d %s %q, HEAD %d %q", rangeHeader, get.Code, h, get.Header().Get(h), head.Code, head.Header().Get(h))
			}
		}
		body := get.Body.String()
		switch get.Code {
		case http.StatusOK:
			if body != whole {
				t.Fatalf("200 with %q", body)
			}
		case http.StatusPartialContent:
			var first, last, size int
			cr := get.Header().Get("Content-Range")
			_, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &first, &last, &size)
			if err != nil || size != len(whole) || first < 0 || first > last || last >= size || body != whole[first:last+1] {
				t.Fatalf("206 %q with %q (%v)", cr, body, err)
			}
		case http.StatusRequestedRangeNotSatisfiable:
			if cr := get.Header().Get("Content-Range"); cr != "bytes */8" {
				t.Fatalf("416 with Content-Range %q", cr)
			}
		default:
			t.Fatalf("Range %q: status %d", rangeHeader, get.Code)
		}
	})
}

// FuzzCopyObject copies with a fuzzed x-amz-copy-source. Properties, beyond
// check's: a copy made is a byte-for-byte copy of an object that exists in
// the backend (never the file outside the data directory or Sesame's own
// files), named by the header as copySource reads it; a source key with a
// NUL byte never copies.
func FuzzCopyObject(f *testing.F) {
	for _, s := range []string{"/pub/a", "pub/d/b", "/victim/keep", "/pub/a?versionId=null", "/pub/a?versionId=1",
		"/pub/%2E%2E/outside", "/pub/../../outside", "/pub/d/../a", "/pub//a", "/.sesame.sys/tmp", "/pub/a%00",
		"/pub/" + strings.Repeat("x", 300), "/pub/dst", "/nope/a"} {
		f.Add(s, "")
	}
	f.Add("/pub/a", "REPLACE")
	f.Add("/pub/dst", "COPY")
	fx := newS3Fixture(f)
	f.Fuzz(func(t *testing.T, source, directive string) {
		if source == "" || !fieldValue(source) || !fieldValue(directive) {
			return // without a source, the request is a plain PutObject
		}
		fx.reset(t)
		ctx := context.Background()
		defer fx.backend.DeleteObject(ctx, fuzzBucket, "dst")
		header := http.Header{"X-Amz-Copy-Source": {source}}
		if directive != "" {
			header.Set("X-Amz-Metadata-Directive", directive)
		}
		rec := fx.do(t, http.MethodPut, "/"+fuzzBucket+"/dst", nil, header, nil)
		fx.check(t, rec, http.MethodPut)
		r, _ := http.NewRequest(http.MethodPut, "http://s3.local/", nil)
		r.Header.Set("X-Amz-Copy-Source", source)
		bucket, key, perr := copySource(&request{Request: r}, false)
		if rec.Code != http.StatusOK {
			return
		}
		if perr != nil {
			t.Fatalf("copied from %q, which copySource refuses: %v", source, perr)
		}
		if strings.Contains(key, "\x00") {
			t.Fatalf("copied from key %q", key)
		}
		got, ok := fx.content(t, fuzzBucket, "dst")
		if !ok {
			t.Fatal("200, but no copy")
		}
		want, ok := fx.content(t, bucket, key)
		if !ok && got != "" || ok && got != want {
			t.Fatalf("copy of %s/%s holds %q, want %q", bucket, key, got, want)
		}
	})
}
