package policy

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks that parsing never panics, that every error wraps
// ErrMalformed, and that a parsed policy re-marshals to a document that
// parses to an equal policy and marshals to the same bytes. The seed
// corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`))
	f.Add([]byte(`{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"s3:Get*","NotResource":"arn:aws:s3:::photos/${aws:username}/*"}]}`))
	args := []Args{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::photos/alice/cat.jpg"},
		{Action: "s3:ListBucket", Resource: "arn:aws:s3:::photos", Principal: "arn:aws:iam::1:user/alice",
			Conditions: map[string][]string{
				"aws:username": {"alice"}, "aws:sourceip": {"10.0.0.1"}, "aws:securetransport": {"true"},
				"aws:currenttime": {"2026-01-01T00:00:00Z"}, "aws:epochtime": {"1767225600"},
				"s3:prefix": {"home/alice/"}, "s3:max-keys": {"100"}, "jwt:groups": {"a", "b"},
			}},
		{Action: "admin:ServerInfo", Resource: AnyResource},
	}
	parsers := []struct {
		name  string
		parse func([]byte) (*Policy, error)
	}{
		{"Parse", Parse},
		{"ParseBucketPolicy", func(b []byte) (*Policy, error) { return ParseBucketPolicy(b, "photos") }},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, ps := range parsers {
			p, err := ps.parse(data)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("%s: error %v does not wrap ErrMalformed", ps.name, err)
				}
				continue
			}
			b, err := p.MarshalJSON()
			if err != nil {
				t.Fatalf("%s: MarshalJSON: %v", ps.name, err)
			}
			q, err := ps.parse(b)
			if err != nil {
				t.Fatalf("%s: re-parse of\n%s\nfailed: %v", ps.name, b, err)
			}
			if !reflect.DeepEqual(p, q) {
				t.Fatalf("%s: re-parsed policy differs\n%s", ps.name, b)
			}
			if b2, _ := q.MarshalJSON(); !bytes.Equal(b, b2) {
				t.Fatalf("%s: MarshalJSON not stable:\n%s\n%s", ps.name, b, b2)
			}
			for i := range args {
				if p.Evaluate(&args[i]) != q.Evaluate(&args[i]) {
					t.Fatalf("%s: decisions differ for %+v", ps.name, args[i])
				}
			}
		}
	})
}
