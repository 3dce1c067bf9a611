package sigv4

import (
	"errors"
	"testing"
)

// The worked example of AWS's S3 API reference, "Example: Browser-Based
// Upload using HTTP POST (Using AWS Signature Version 4)": its example
// credentials, its base64 policy and the signature it publishes.
const (
	awsPostPolicy    = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9"
	awsPostSignature = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e"
	awsPostSecret    = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

func awsPostForm() PostForm {
	return PostForm{Algorithm: Algorithm, Credential: "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request",
		Date: "20151229T000000Z", Signature: awsPostSignature}
}

func TestVerifier_VerifyPost(t *testing.T) {
	for _, cacheSize := range []int{0, -1} {
		v := NewVerifier(Options{KeyCacheSize: cacheSize})
		a, err := ParsePost(awsPostForm())
		if err != nil {
			t.Fatalf("ParsePost: %v", err)
		}
		if a.AccessKey != "AKIAIOSFODNN7EXAMPLE" || a.Region != "us-east-1" || a.Service != "s3" || a.Date != "20151229" {
			t.Fatalf("ParsePost = %+v", a)
		}
		if err := v.VerifyPost(a, awsPostPolicy, awsPostSecret); err != nil {
			t.Fatalf("VerifyPost of AWS's example: %v", err)
		}
		if err := v.VerifyPost(a, awsPostPolicy, awsPostSecret+"x"); !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("VerifyPost with another secret = %v", err)
		}
		if err := v.VerifyPost(a, awsPostPolicy[:len(awsPostPolicy)-4], awsPostSecret); !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("VerifyPost of another policy = %v", err)
		}
		other := *a
		other.Region = "eu-west-1"
		if err := v.VerifyPost(&other, awsPostPolicy, awsPostSecret); !errors.Is(err, ErrSignatureMismatch) {
			t.Errorf("VerifyPost in another region = %v", err)
		}
	}
}

func TestParsePost(t *testing.T) {
	edit := func(f func(*PostForm)) PostForm { p := awsPostForm(); f(&p); return p }
	for name, c := range map[string]struct {
		form PostForm
		want error
	}{
		"no algorithm":   {edit(func(p *PostForm) { p.Algorithm = "" }), ErrMalformedPost},
		"sigv2":          {edit(func(p *PostForm) { p.Algorithm = "AWS" }), ErrUnsupportedAlgorithm},
		"no credential":  {edit(func(p *PostForm) { p.Credential = "" }), ErrMalformedPost},
		"bad credential": {edit(func(p *PostForm) { p.Credential = "AK/20151229/us-east-1/s3" }), ErrMalformedPost},
		"no date":        {edit(func(p *PostForm) { p.Date = "" }), ErrMalformedPost},
		"bad date":       {edit(func(p *PostForm) { p.Date = "2015-12-29T00:00:00Z" }), ErrMalformedPost},
		"other day":      {edit(func(p *PostForm) { p.Date = "20151230T000000Z" }), ErrMalformedPost},
		"no signature":   {edit(func(p *PostForm) { p.Signature = "" }), ErrMalformedPost},
		"bad signature":  {edit(func(p *PostForm) { p.Signature = "xyz" }), ErrMalformedPost},
	} {
		if _, err := ParsePost(c.form); !errors.Is(err, c.want) {
			t.Errorf("%s: ParsePost = %v, want %v", name, err, c.want)
		}
	}
}
