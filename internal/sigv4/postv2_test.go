package sigv4

import (
	"errors"
	"testing"
)

// A known answer computed independently of this package, with Python:
// base64.b64encode(hmac.new(secret, policy, hashlib.sha1).digest()) over
// the base64 of {"expiration": "2030-01-01T00:00:00Z", "conditions":
// [{"bucket": "photos"}, ["starts-with", "$key", "user/"]]} and AWS's
// example secret key.
const (
	v2PostPolicy    = "eyJleHBpcmF0aW9uIjogIjIwMzAtMDEtMDFUMDA6MDA6MDBaIiwgImNvbmRpdGlvbnMiOiBbeyJidWNrZXQiOiAicGhvdG9zIn0sIFsic3RhcnRzLXdpdGgiLCAiJGtleSIsICJ1c2VyLyJdXX0="
	v2PostSignature = "f1853csyI8yveTEzjAwhH6YaTHg="
)

func TestVerifier_VerifyPostV2(t *testing.T) {
	v := NewVerifier(Options{})
	a, err := ParsePostV2(PostFormV2{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Signature: v2PostSignature, SecurityToken: "tok"})
	if err != nil {
		t.Fatalf("ParsePostV2: %v", err)
	}
	if a.AccessKey != "AKIAIOSFODNN7EXAMPLE" || a.SecurityToken != "tok" || !a.Post || !a.PostV2 {
		t.Fatalf("ParsePostV2 = %+v", a)
	}
	if err := v.VerifyPostV2(a, v2PostPolicy, awsPostSecret); err != nil {
		t.Fatalf("VerifyPostV2 of the known answer: %v", err)
	}
	for name, c := range map[string]struct{ sig, policy, secret string }{
		"other secret":    {v2PostSignature, v2PostPolicy, awsPostSecret + "x"},
		"other policy":    {v2PostSignature, v2PostPolicy[:len(v2PostPolicy)-4], awsPostSecret},
		"reversed":        {"=gHTaY6HhwjAzETeyvy8IysC3581f", v2PostPolicy, awsPostSecret},
		"not base64":      {"f1853csyI8yveTEzjAwhH6YaTHg", v2PostPolicy, awsPostSecret},
		"truncated":       {"f1853csyI8yveTEzjAwhH6Ya", v2PostPolicy, awsPostSecret},
		"hex sha-256 sig": {awsPostSignature, v2PostPolicy, awsPostSecret},
	} {
		b := *a
		b.Signature = c.sig
		if err := v.VerifyPostV2(&b, c.policy, c.secret); !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("%s: VerifyPostV2 = %v, want ErrSignatureMismatch", name, err)
		}
	}
	// A SigV4 request is never checked as SigV2.
	b := *a
	b.PostV2 = false
	if err := v.VerifyPostV2(&b, v2PostPolicy, awsPostSecret); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("VerifyPostV2 of a non-V2 request = %v", err)
	}
}

func TestParsePostV2(t *testing.T) {
	for name, f := range map[string]PostFormV2{
		"no access key": {Signature: v2PostSignature},
		"no signature":  {AccessKeyID: "AKIAIOSFODNN7EXAMPLE"},
	} {
		if _, err := ParsePostV2(f); !errors.Is(err, ErrMalformedPost) {
			t.Errorf("%s: ParsePostV2 = %v, want ErrMalformedPost", name, err)
		}
	}
}
