package s3

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func TestParseTaggingHeader(t *testing.T) {
	ten := make([]string, 10)
	for i := range ten {
		ten[i] = string(rune('a'+i)) + "=1"
	}
	tests := []struct {
		in      string
		want    []object.Tag
		errCode string
	}{
		{in: "foo=bar&bar", want: []object.Tag{{Key: "bar"}, {Key: "foo", Value: "bar"}}},
		{in: "a%20b=c%2Fd&x=", want: []object.Tag{{Key: "a b", Value: "c/d"}, {Key: "x"}}},
		{in: "k=v+w", want: []object.Tag{{Key: "k", Value: "v w"}}},
		{in: "", want: nil},
		{in: strings.Join(ten, "&"), want: func() []object.Tag {
			var out []object.Tag
			for i := range 10 {
				out = append(out, object.Tag{Key: string(rune('a' + i)), Value: "1"})
			}
			return out
		}()},
		{in: strings.Join(ten, "&") + "&z=1", errCode: "InvalidTag"},
		{in: "a=1&a=2", errCode: "InvalidTag"},
		{in: "=v", errCode: "InvalidTag"},
		{in: "aws:k=v", errCode: "InvalidTag"},
		{in: "k=%3Cv%3E", errCode: "InvalidTag"},
		{in: "k=%zz", errCode: "InvalidArgument"},
		{in: strings.Repeat("k", 128) + "=" + strings.Repeat("v", 256), want: []object.Tag{{Key: strings.Repeat("k", 128), Value: strings.Repeat("v", 256)}}},
		{in: strings.Repeat("k", 129) + "=v", errCode: "InvalidTag"},
		{in: "k=" + strings.Repeat("v", 257), errCode: "InvalidTag"},
		// UTF-16 units: an astral character counts twice.
		{in: "k=" + strings.Repeat("%F0%9F%98%80", 128), errCode: "InvalidTag"},
		{in: "k=" + strings.Repeat("%C3%A9", 256), want: []object.Tag{{Key: "k", Value: strings.Repeat("é", 256)}}},
	}
	for _, tt := range tests {
		got, err := parseTaggingHeader(tt.in)
		if tt.errCode != "" {
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tt.errCode {
				t.Errorf("parseTaggingHeader(%.40q) error = %v, want %s", tt.in, err, tt.errCode)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("parseTaggingHeader(%.40q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestCheckTags_BucketLimit(t *testing.T) {
	var tags []object.Tag
	for i := range 51 {
		tags = append(tags, object.Tag{Key: "k" + itoa(int64(i)), Value: "v"})
	}
	if _, err := checkTags(tags[:50], maxBucketTags, "Bucket"); err != nil {
		t.Fatalf("50 bucket tags: %v", err)
	}
	var apiErr *APIError
	if _, err := checkTags(tags, maxBucketTags, "Bucket"); !errors.As(err, &apiErr) || apiErr.Code != "InvalidTag" {
		t.Fatalf("51 bucket tags: error = %v, want InvalidTag", err)
	}
}

func TestPolicyIsPublic(t *testing.T) {
	const b = `"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]`
	tests := []struct {
		doc  string
		want bool
	}{
		{`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",` + b + `}]}`, true},
		{`{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000:user/x","*"]},"Action":"s3:GetObject",` + b + `}}`, true},
		{`{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject",` + b + `}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::s3tenant1:root"},"Action":"s3:ListBucket",` + b + `}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket",` + b + `,"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/32"}}}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket",` + b + `,"Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}}]}`, true},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket",` + b + `,"Condition":{"StringLike":{"aws:SourceArn":"arn:*"}}}]}`, true},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket",` + b + `,"Condition":{"StringNotEquals":{"aws:SourceAccount":"1"}}}]}`, true},
		{`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:ListBucket",` + b + `,"Condition":{"StringEquals":{"s3:prefix":"public/"}}}]}`, true},
		{`not json`, false},
	}
	for _, tt := range tests {
		if got := policyIsPublic([]byte(tt.doc)); got != tt.want {
			t.Errorf("policyIsPublic(%s) = %v, want %v", tt.doc, got, tt.want)
		}
	}
}

func TestOwnerOnly(t *testing.T) {
	full := func(id, perm, typ string) accessControlPolicy {
		return accessControlPolicy{Owner: theOwner, Grants: []grant{{Grantee: grantee{Type: typ, ID: id}, Permission: perm}}}
	}
	if !ownerOnly(full(theOwner.ID, "FULL_CONTROL", "CanonicalUser")) {
		t.Error("owner FULL_CONTROL refused")
	}
	for _, p := range []accessControlPolicy{
		full("someone", "FULL_CONTROL", "CanonicalUser"),
		full(theOwner.ID, "READ", "CanonicalUser"),
		full(theOwner.ID, "FULL_CONTROL", "Group"),
		{Owner: theOwner},
		{Owner: theOwner, Grants: append(full(theOwner.ID, "FULL_CONTROL", "CanonicalUser").Grants, grant{Grantee: grantee{Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers"}, Permission: "READ"})},
	} {
		if ownerOnly(p) {
			t.Errorf("ownerOnly(%+v) = true", p)
		}
	}
}

// TestTagging_Versions checks that GetObjectTagging reads the version
// ?versionId names, and that tagging a noncurrent version is refused
// rather than applied to the current one.
func TestTagging_Versions(t *testing.T) {
	fx := newSSEFixture(t, nil)
	want(t, fx.do(t, http.MethodPut, "/bkt", "versioning=", nil, []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)), 200, "")
	first := fx.do(t, http.MethodPut, "/bkt/k", "", map[string]string{"X-Amz-Tagging": "v=1"}, []byte("one"))
	want(t, first, 200, "")
	v1 := first.Header().Get("X-Amz-Version-Id")
	want(t, fx.do(t, http.MethodPut, "/bkt/k", "", map[string]string{"X-Amz-Tagging": "v=2"}, []byte("two")), 200, "")
	rec := fx.do(t, http.MethodGet, "/bkt/k", "tagging=&versionId="+v1, nil, nil)
	want(t, rec, 200, "")
	if !strings.Contains(rec.Body.String(), "<Value>1</Value>") || rec.Header().Get("X-Amz-Version-Id") != v1 {
		t.Errorf("GetObjectTagging of the first version: %s (version %q)", rec.Body, rec.Header().Get("X-Amz-Version-Id"))
	}
	body := []byte(`<Tagging><TagSet><Tag><Key>v</Key><Value>x</Value></Tag></TagSet></Tagging>`)
	want(t, fx.do(t, http.MethodPut, "/bkt/k", "tagging=&versionId="+v1, nil, body), 501, "NotImplemented")
	want(t, fx.do(t, http.MethodDelete, "/bkt/k", "tagging=&versionId="+v1, nil, nil), 501, "NotImplemented")
	rec = fx.do(t, http.MethodGet, "/bkt/k", "tagging=", nil, nil)
	if !strings.Contains(rec.Body.String(), "<Value>2</Value>") {
		t.Errorf("the current version's tags changed: %s", rec.Body)
	}
}
