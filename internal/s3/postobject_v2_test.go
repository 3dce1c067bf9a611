package s3

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"
)

// signPostV2 returns the policy and SigV2 fields of a form signed by
// accessKey/secret, written with crypto/hmac independently of package sigv4.
func signPostV2(accessKey, secret string, exp time.Time, conditions []any) []formField {
	doc, _ := json.Marshal(map[string]any{"expiration": exp.UTC().Format("2006-01-02T15:04:05Z"), "conditions": conditions})
	policy := base64.StdEncoding.EncodeToString(doc)
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(policy))
	return []formField{{"AWSAccessKeyId", accessKey}, {"policy", policy}, {"signature", base64.StdEncoding.EncodeToString(m.Sum(nil))}}
}

func TestAPI_PostObjectV2(t *testing.T) {
	fx := newS3Fixture(t)
	hour := time.Now().Add(time.Hour)
	conds := []any{map[string]string{"bucket": fuzzBucket}, []any{"starts-with", "$key", "v2/"},
		map[string]string{"acl": "private"}, []any{"starts-with", "$Content-Type", "text/"}, []any{"content-length-range", 0, 10}}
	good := []formField{{"key", "v2/${filename}"}, {"acl", "private"}, {"Content-Type", "text/plain"}}
	form := func(sig []formField, fields ...formField) []formField { return append(fields, sig...) }
	sig := signPostV2("admin", "adminsecret", hour, conds)

	rec := fx.post(t, fuzzBucket, form(sig, good...), "a.txt", []byte("hello"))
	if rec.Code != 204 {
		t.Fatalf("SigV2 POST = %d %s", rec.Code, rec.Body)
	}
	info, err := fx.backend.HeadObject(context.Background(), fuzzBucket, "v2/a.txt")
	if err != nil || info.ContentType != "text/plain" || info.Size != 5 {
		t.Fatalf("stored %+v, %v", info, err)
	}

	without := func(name string) []formField {
		var out []formField
		for _, f := range form(sig, good...) {
			if f.name != name {
				out = append(out, f)
			}
		}
		return out
	}
	badSig := append([]formField{}, sig...)
	badSig[2].value = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
	for _, c := range []struct {
		name   string
		fields []formField
		file   []byte
		status int
		code   string
	}{
		{"wrong secret", form(signPostV2("admin", "wrong", hour, conds), good...), []byte("x"), 403, "SignatureDoesNotMatch"},
		{"wrong signature", form(badSig, good...), []byte("x"), 403, "SignatureDoesNotMatch"},
		{"signature not base64", form([]formField{sig[0], sig[1], {"signature", "not base64!"}}, good...), []byte("x"), 403, "SignatureDoesNotMatch"},
		{"unknown key", form(signPostV2("nobody", "adminsecret", hour, conds), good...), []byte("x"), 403, "InvalidAccessKeyId"},
		{"no signature", without("signature"), []byte("x"), 400, "InvalidArgument"},
		{"no access key", without("AWSAccessKeyId"), []byte("x"), 400, "InvalidArgument"},
		{"no policy", without("policy"), []byte("x"), 400, "InvalidArgument"},
		{"and sigv4", form(sig, append(good, formField{"x-amz-algorithm", "AWS4-HMAC-SHA256"})...), []byte("x"), 400, "InvalidArgument"},
		{"expired", form(signPostV2("admin", "adminsecret", time.Now().Add(-time.Minute), conds), good...), []byte("x"), 403, "AccessDenied"},
		{"key condition", form(sig, formField{"key", "other/x"}, good[1], good[2]), []byte("x"), 403, "AccessDenied"},
		{"extra field", form(sig, append(good, formField{"x-amz-meta-a", "1"})...), []byte("x"), 403, "AccessDenied"},
		{"too large", form(sig, good...), []byte("01234567890"), 400, "EntityTooLarge"},
		{"bad token", form(sig, append(good, formField{"x-amz-security-token", "forged"})...), []byte("x"), 403, "InvalidToken"},
	} {
		rec := fx.post(t, fuzzBucket, c.fields, "b.txt", c.file)
		if rec.Code != c.status || errorCode(t, rec) != c.code {
			t.Errorf("%s: POST = %d %s; want %d %s", c.name, rec.Code, rec.Body, c.status, c.code)
		}
	}
	if _, err := fx.backend.HeadObject(context.Background(), fuzzBucket, "v2/b.txt"); err == nil {
		t.Errorf("a refused SigV2 upload was stored")
	}
}
