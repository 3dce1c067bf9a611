package s3

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

func hmacSum(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// signPost returns the SigV4 fields of a form signed by accessKey/secret
// over the policy with conditions expiring at exp, written with crypto/hmac
// independently of package sigv4.
func signPost(accessKey, secret string, exp time.Time, conditions []any) map[string]string {
	now := time.Now().UTC()
	date := now.Format("20060102")
	cred := accessKey + "/" + date + "/us-east-1/s3/aws4_request"
	conditions = append(conditions,
		map[string]string{"x-amz-algorithm": "AWS4-HMAC-SHA256"},
		map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": now.Format("20060102T150405Z")})
	doc, _ := json.Marshal(map[string]any{"expiration": exp.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conditions})
	policy := base64.StdEncoding.EncodeToString(doc)
	k := hmacSum([]byte("AWS4"+secret), date)
	k = hmacSum(k, "us-east-1")
	k = hmacSum(k, "s3")
	k = hmacSum(k, "aws4_request")
	return map[string]string{
		"policy": policy, "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": cred,
		"x-amz-date": now.Format("20060102T150405Z"), "x-amz-signature": hex.EncodeToString(hmacSum(k, policy)),
	}
}

type formField struct{ name, value string }

// postForm sends fields then a file part (unless file is nil) to bucket.
func (fx *s3Fixture) post(t *testing.T, bucket string, fields []formField, filename string, file []byte) *httptest.ResponseRecorder {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	if file != nil {
		fw, err := mw.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	mw.Close()
	r := httptest.NewRequest("POST", "http://s3.local/"+bucket, &buf)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	rec := httptest.NewRecorder()
	fx.api.ServeHTTP(rec, r)
	return rec
}

func withSig(sig map[string]string, fields ...formField) []formField {
	for _, k := range []string{"policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
		fields = append(fields, formField{k, sig[k]})
	}
	return fields
}

func TestAPI_PostObject(t *testing.T) {
	fx := newS3Fixture(t)
	hour := time.Now().Add(time.Hour)
	conds := []any{map[string]string{"bucket": fuzzBucket}, []any{"starts-with", "$key", "up/"},
		[]any{"starts-with", "$Content-Type", "text/"}, []any{"content-length-range", 1, 10},
		[]any{"eq", "$x-amz-meta-color", "blue"}, map[string]string{"success_action_status": "201"}}
	sig := signPost("admin", "adminsecret", hour, conds)
	good := []formField{{"Key", "up/${filename}"}, {"Content-Type", "text/plain"}, {"x-amz-meta-color", "blue"}, {"success_action_status", "201"}}

	rec := fx.post(t, fuzzBucket, withSig(sig, good...), "a.txt", []byte("hello"))
	if rec.Code != 201 {
		t.Fatalf("signed POST = %d %s", rec.Code, rec.Body)
	}
	var pr struct{ Bucket, Key, ETag string }
	if err := xml.Unmarshal(rec.Body.Bytes(), &pr); err != nil || pr.Key != "up/a.txt" || pr.Bucket != fuzzBucket || pr.ETag != `"5d41402abc4b2a76b9719d911017c592"` {
		t.Fatalf("PostResponse = %s", rec.Body)
	}
	info, err := fx.backend.HeadObject(context.Background(), fuzzBucket, "up/a.txt")
	if err != nil || info.ContentType != "text/plain" || info.User["color"] != "blue" || info.Size != 5 {
		t.Fatalf("stored %+v, %v", info, err)
	}

	for _, c := range []struct {
		name   string
		fields []formField
		file   []byte
		status int
		code   string
	}{
		{"too large", withSig(sig, good...), []byte("01234567890"), 400, "EntityTooLarge"},
		{"too small", withSig(sig, good...), []byte{}, 400, "EntityTooSmall"},
		{"key condition", withSig(sig, formField{"key", "down/x"}, good[1], good[2], good[3]), []byte("x"), 403, "AccessDenied"},
		{"extra field", withSig(sig, append(good, formField{"x-amz-meta-size", "1"})...), []byte("x"), 403, "AccessDenied"},
		{"ignored field", withSig(sig, append(good, formField{"x-ignore-me", "1"})...), []byte("x"), 201, ""},
		{"bad meta", withSig(sig, good[0], good[1], formField{"x-amz-meta-color", "red"}, good[3]), []byte("x"), 403, "AccessDenied"},
		{"no key", withSig(sig, good[1:]...), []byte("x"), 400, "InvalidArgument"},
		{"no file", withSig(sig, good...), nil, 400, "InvalidArgument"},
		{"anonymous", good[:3], []byte("x"), 403, "AccessDenied"},
		{"expired", withSig(signPost("admin", "adminsecret", time.Now().Add(-time.Minute), conds), good...), []byte("x"), 403, "AccessDenied"},
		{"wrong secret", withSig(signPost("admin", "wrong", hour, conds), good...), []byte("x"), 403, "SignatureDoesNotMatch"},
		{"unknown key", withSig(signPost("nobody", "adminsecret", hour, conds), good...), []byte("x"), 403, "InvalidAccessKeyId"},
		{"bad policy", withSig(map[string]string{"policy": "e30=", "x-amz-algorithm": "AWS4-HMAC-SHA256", "x-amz-credential": sig["x-amz-credential"], "x-amz-date": sig["x-amz-date"], "x-amz-signature": sig["x-amz-signature"]}, good...), []byte("x"), 403, "SignatureDoesNotMatch"},
	} {
		rec := fx.post(t, fuzzBucket, c.fields, "b.txt", c.file)
		if rec.Code != c.status || c.code != "" && errorCode(t, rec) != c.code {
			t.Errorf("%s: POST = %d %s; want %d %s", c.name, rec.Code, rec.Body, c.status, c.code)
		}
	}
	if _, err := fx.backend.HeadObject(context.Background(), fuzzBucket, "up/b.txt"); err != nil {
		t.Errorf("the ignored-field upload was not stored: %v", err)
	}
	if _, err := fx.backend.HeadObject(context.Background(), fuzzBucket, "down/x"); err == nil {
		t.Errorf("a refused upload was stored")
	}

	// A policy without conditions on the signature fields names no extra
	// fields; success_action_redirect and the default 204.
	sig2 := signPost("admin", "adminsecret", hour, []any{map[string]string{"bucket": fuzzBucket}, []any{"starts-with", "$key", ""},
		[]any{"starts-with", "$success_action_redirect", "http://example.com/"}})
	rec = fx.post(t, fuzzBucket, withSig(sig2, formField{"key", "r"}, formField{"success_action_redirect", "http://example.com/done?x=1"}), "", []byte("r"))
	if loc := rec.Header().Get("Location"); rec.Code != 303 || loc != `http://example.com/done?x=1&bucket=pub&key=r&etag=%22`+md5Hex("r")+`%22` {
		t.Errorf("redirect = %d %q", rec.Code, loc)
	}
	sig3 := signPost("admin", "adminsecret", hour, []any{map[string]string{"bucket": fuzzBucket}, []any{"starts-with", "$key", ""}})
	rec = fx.post(t, fuzzBucket, withSig(sig3, formField{"key", "plain"}), "", []byte("p"))
	if rec.Code != 204 || rec.Header().Get("ETag") != `"`+md5Hex("p")+`"` {
		t.Errorf("default answer = %d %v", rec.Code, rec.Header())
	}
	// Refused headers are refused as for PutObject.
	sig4 := signPost("admin", "adminsecret", hour, []any{map[string]string{"bucket": fuzzBucket}, []any{"starts-with", "$key", ""}, []any{"starts-with", "$acl", ""}})
	rec = fx.post(t, fuzzBucket, withSig(sig4, formField{"key", "acl"}, formField{"acl", "public-read"}), "", []byte("p"))
	if rec.Code != 400 || errorCode(t, rec) != "AccessControlListNotSupported" {
		t.Errorf("public-read acl = %d %s", rec.Code, rec.Body)
	}
	for _, f := range []formField{{"tagging", "<Tagging><TagSet></TagSet></Tagging>"}, {"x-amz-checksum-algorithm", "CRC32"}} {
		sig := signPost("admin", "adminsecret", hour, []any{map[string]string{"bucket": fuzzBucket}, []any{"starts-with", "$key", ""}, []any{"starts-with", "$" + f.name, ""}})
		rec = fx.post(t, fuzzBucket, withSig(sig, formField{"key", "refused"}, f), "", []byte("p"))
		if rec.Code != 501 || errorCode(t, rec) != "NotImplemented" {
			t.Errorf("%s field = %d %s", f.name, rec.Code, rec.Body)
		}
	}
}

// TestAPI_PostObjectChecksum: an x-amz-checksum-<algorithm> field is
// checked against the file, needs no condition, and is stored.
func TestAPI_PostObjectChecksum(t *testing.T) {
	fx := newS3Fixture(t)
	sig := signPost("admin", "adminsecret", time.Now().Add(time.Hour), []any{map[string]string{"bucket": fuzzBucket}, []any{"starts-with", "$key", "ck/"}})
	sum := sha256.Sum256([]byte("checked"))
	good := base64.StdEncoding.EncodeToString(sum[:])
	rec := fx.post(t, fuzzBucket, withSig(sig, formField{"key", "ck/good"}, formField{"x-amz-checksum-sha256", good}), "", []byte("checked"))
	if rec.Code != 204 || rec.Header().Get("X-Amz-Checksum-Sha256") != good {
		t.Fatalf("POST with a good checksum = %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	info, err := fx.backend.HeadObject(context.Background(), fuzzBucket, "ck/good")
	if err != nil || info.Checksum.Algorithm != "SHA256" || info.Checksum.Value != good {
		t.Fatalf("stored %+v, %v", info.Checksum, err)
	}
	for _, c := range []struct {
		name   string
		fields []formField
		code   string
	}{
		{"wrong", []formField{{"x-amz-checksum-sha256", "sailorjerry"}}, "BadDigest"},
		{"empty", []formField{{"x-amz-checksum-crc32", ""}}, "BadDigest"},
		{"two", []formField{{"x-amz-checksum-sha256", good}, {"x-amz-checksum-crc32", "AAAAAA=="}}, "InvalidRequest"},
	} {
		rec := fx.post(t, fuzzBucket, withSig(sig, append([]formField{{"key", "ck/bad"}}, c.fields...)...), "", []byte("checked"))
		if rec.Code != 400 || errorCode(t, rec) != c.code {
			t.Errorf("%s: POST = %d %s; want 400 %s", c.name, rec.Code, rec.Body, c.code)
		}
	}
	if _, err := fx.backend.HeadObject(context.Background(), fuzzBucket, "ck/bad"); err == nil {
		t.Errorf("an upload with a wrong checksum was stored")
	}
}

// TestAPI_PostObjectStreams checks that the file is not buffered: a body
// far beyond maxPostFields goes through and is stored whole.
func TestAPI_PostObjectStreams(t *testing.T) {
	fx := newS3Fixture(t)
	sig := signPost("admin", "adminsecret", time.Now().Add(time.Hour), []any{map[string]string{"bucket": fuzzBucket}, []any{"eq", "$key", "big"}})
	big := bytes.Repeat([]byte("0123456789abcdef"), 3*maxPostFields/16)
	if rec := fx.post(t, fuzzBucket, withSig(sig, formField{"key", "big"}), "", big); rec.Code != 204 {
		t.Fatalf("POST = %d %s", rec.Code, rec.Body)
	}
	r, err := fx.backend.GetObject(context.Background(), fuzzBucket, "big", object.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, _ := io.ReadAll(r)
	if !bytes.Equal(got, big) {
		t.Fatalf("stored %d bytes, want %d", len(got), len(big))
	}
	// Fields alone beyond the limit are refused.
	fields := []formField{{"key", "x"}, {"x-ignore-a", strings.Repeat("a", maxPostFields)}}
	if rec := fx.post(t, fuzzBucket, fields, "", []byte("x")); rec.Code != 400 {
		t.Fatalf("oversized fields = %d %s", rec.Code, rec.Body)
	}
	_ = http.StatusOK
}

// FuzzParsePostPolicy: a policy document never panics the parser; one it
// accepts has a sane content-length-range, and checking any form against
// it never panics either.
func FuzzParsePostPolicy(f *testing.F) {
	for _, doc := range []string{
		`{"expiration":"2099-01-01T00:00:00Z","conditions":[{"bucket":"b"},["starts-with","$key",""],["content-length-range",1,"10"]]}`,
		`{"expiration":"2099-01-01T00:00:00.000Z","conditions":[["eq","$x-amz-meta-a",""],["StArTs-WiTh","$Content-Type","text/,image/"]]}`,
		`{"expiration":"2000-01-01T00:00:00Z","conditions":[]}`,
		`{"expiration":1,"conditions":null}`, `{"conditions":[[]]}`, `[]`, `{"expiration":"2099-01-01T00:00:00Z","conditions":[null,1,"x",[1,2,3]]}`,
	} {
		f.Add(doc, "key", "text/plain")
	}
	f.Fuzz(func(t *testing.T, doc, key, contentType string) {
		p, err := parsePostPolicy(base64.StdEncoding.EncodeToString([]byte(doc)), time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			if toAPIError(err) == ErrInternal {
				t.Fatalf("parsePostPolicy(%q) = %v, an internal error", doc, err)
			}
			return
		}
		if p.maxSize >= 0 && (p.minSize < 0 || p.minSize > p.maxSize) {
			t.Fatalf("parsePostPolicy(%q): content-length-range %d..%d", doc, p.minSize, p.maxSize)
		}
		form := &postForm{fields: map[string]string{"key": key, "content-type": contentType}, names: []string{"key", "content-type"}}
		_ = p.check(form, "bucket", key)
	})
}

// TestAPI_PostObjectWritePath checks that a POST upload takes PutObject's
// write path: a versioned bucket keeps the version it replaces, and an
// upload that is to be encrypted (a field, or the bucket's default) is
// refused rather than stored in plaintext.
func TestAPI_PostObjectWritePath(t *testing.T) {
	fx := newS3Fixture(t)
	hour := time.Now().Add(time.Hour)
	conds := []any{map[string]string{"bucket": fuzzBucket}, []any{"starts-with", "$key", ""},
		[]any{"starts-with", "$x-amz-server-side-encryption", ""}}
	sig := signPost("admin", "adminsecret", hour, conds)
	post := func(body string, extra ...formField) *httptest.ResponseRecorder {
		return fx.post(t, fuzzBucket, withSig(sig, append([]formField{{"key", "v.txt"}}, extra...)...), "v.txt", []byte(body))
	}
	versioning := []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)
	if rec := fx.do(t, "PUT", "/"+fuzzBucket, url.Values{"versioning": {""}}, nil, versioning); rec.Code != 200 {
		t.Fatalf("PutBucketVersioning = %d %s", rec.Code, rec.Body)
	}
	for _, body := range []string{"one", "two"} {
		if rec := post(body); rec.Code != 204 || rec.Header().Get("X-Amz-Version-Id") == "" {
			t.Fatalf("POST %s = %d (version %q) %s", body, rec.Code, rec.Header().Get("X-Amz-Version-Id"), rec.Body)
		}
	}
	rec := fx.do(t, "GET", "/"+fuzzBucket, url.Values{"versions": {""}, "prefix": {"v.txt"}}, nil, nil)
	if n := strings.Count(rec.Body.String(), "<Version>"); rec.Code != 200 || n != 2 {
		t.Fatalf("ListObjectVersions after two POSTs: %d versions, status %d\n%s", n, rec.Code, rec.Body)
	}

	if rec := post("x", formField{"x-amz-server-side-encryption", "AES256"}); rec.Code != 501 || errorCode(t, rec) != "NotImplemented" {
		t.Errorf("POST asking for SSE-S3 = %d %s, want 501 NotImplemented", rec.Code, rec.Body)
	}
	// The bucket's default encryption applies to POST uploads too (a
	// server with an SSE keyring).
	sfx := newSSEFixture(t, nil)
	efx := &s3Fixture{api: sfx.api}
	enc := []byte(`<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`)
	want(t, sfx.do(t, "PUT", "/bkt", "encryption", nil, enc), 200, "")
	esig := signPost("admin", "adminsecret", hour, []any{map[string]string{"bucket": "bkt"}, []any{"starts-with", "$key", ""}})
	if rec := efx.post(t, "bkt", withSig(esig, formField{"key", "e.txt"}), "e.txt", []byte("x")); rec.Code != 501 || errorCode(t, rec) != "NotImplemented" {
		t.Errorf("POST to a bucket with default encryption = %d %s, want 501 NotImplemented", rec.Code, rec.Body)
	}
	want(t, sfx.do(t, "HEAD", "/bkt/e.txt", "", nil, nil), 404, "")
	if got, _ := fx.content(t, fuzzBucket, "v.txt"); got != "two" {
		t.Errorf("after the refused POSTs the object holds %q, want %q", got, "two")
	}
}
