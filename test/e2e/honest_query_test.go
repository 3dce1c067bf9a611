package e2e

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sesame-s3/sesame/internal/httpx"
)

// manyParams returns a query string of n '&'-separated fields: base
// followed by as many "x" fields as it takes.
func manyParams(base string, n int) string {
	return base + strings.Repeat("&x", n-strings.Count(base, "&")-1)
}

// signUnlimited returns the request build makes, built and signed with Go's
// query limit lifted: the SDK's signer reads url.URL.Query, which past the
// limit is empty, and would otherwise sign (and write back) no parameters.
func signUnlimited(t *testing.T, build func(t *testing.T) *http.Request) *http.Request {
	t.Helper()
	var req *http.Request
	t.Run("sign", func(t *testing.T) {
		t.Setenv("GODEBUG", "urlmaxqueryparams=0")
		req = build(t)
	})
	if req == nil {
		t.FailNow()
	}
	return req
}

// TestHonest_QueryParamLimit checks that a request with more query
// parameters than httpx.MaxQueryParams is refused by S3, IAM and STS
// rather than served with the parameters Go's url.URL.Query drops (all of
// them, past its limit) while the signature covers them; and that the
// limit stays put whatever GODEBUG=urlmaxqueryparams says.
func TestHonest_QueryParamLimit(t *testing.T) {
	// What Go itself does, so that a change in a new Go release shows here.
	over := manyParams("list-type=2", httpx.MaxQueryParams+1)
	if q, err := url.ParseQuery(over); err == nil || len(q) != 0 {
		t.Errorf("url.ParseQuery of %d params: %d values, err %v; want none and an error (Go's default limit)", httpx.MaxQueryParams+1, len(q), err)
	}
	if q := (&url.URL{RawQuery: over}).Query(); len(q) != 0 {
		t.Errorf("url.URL.Query of %d params kept %d; Go's behaviour changed", httpx.MaxQueryParams+1, len(q))
	}

	t.Run("ParseQuery", func(t *testing.T) {
		for _, tc := range []struct {
			raw     string
			want    url.Values
			wantErr bool
		}{
			{raw: "", want: url.Values{}},
			{raw: "a=1&b&&c=x%2By+z", want: url.Values{"a": {"1"}, "b": {""}, "c": {"x+y z"}}},
			{raw: "a=1&a=2", want: url.Values{"a": {"1", "2"}}},
			{raw: "prefix=a;b", want: url.Values{"prefix": {"a;b"}}}, // url.ParseQuery drops it
			{raw: "prefix=%zz", wantErr: true},
			{raw: "%zz=1", wantErr: true},
			{raw: manyParams("a=1", httpx.MaxQueryParams), want: url.Values{"a": {"1"}, "x": make([]string, httpx.MaxQueryParams-1)}},
			{raw: manyParams("a=1", httpx.MaxQueryParams+1), wantErr: true},
			{raw: strings.Repeat("&", httpx.MaxQueryParams), wantErr: true}, // empty fields count too
		} {
			got, err := httpx.ParseQuery(tc.raw)
			if tc.wantErr {
				if !errors.Is(err, httpx.ErrBadQuery) || got != nil {
					t.Errorf("ParseQuery(%.40q) = %d values, %v; want nil, ErrBadQuery", tc.raw, len(got), err)
				}
				continue
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseQuery(%.40q) = %.200v, %v; want %.200v", tc.raw, got, err, tc.want)
			}
		}
	})

	ep := startServer(t, nil)
	bucket := newBucket(t, ep)
	listWith := func(t *testing.T, n int) *http.Request {
		return signUnlimited(t, func(t *testing.T) *http.Request {
			return ep.signed(t, http.MethodGet, "/"+bucket, manyParams("list-type=2", n), nil)
		})
	}
	check := func(t *testing.T, godebug string) {
		tooMany, atLimit := listWith(t, httpx.MaxQueryParams+1), listWith(t, httpx.MaxQueryParams)
		if godebug != "" {
			t.Setenv("GODEBUG", godebug)
		}
		expectXMLError(t, ep.do(t, tooMany), http.StatusBadRequest, "InvalidArgument")
		if resp := ep.do(t, atLimit); resp.StatusCode != http.StatusOK {
			t.Errorf("ListObjectsV2 with %d params: %d %s, want 200", httpx.MaxQueryParams, resp.StatusCode, resp.Body)
		}
	}
	t.Run("S3", func(t *testing.T) { check(t, "") })
	t.Run("S3/GODEBUG=urlmaxqueryparams=0", func(t *testing.T) {
		t.Setenv("GODEBUG", "urlmaxqueryparams=0")
		if q, err := url.ParseQuery(over); err != nil || len(q) == 0 {
			t.Fatalf("GODEBUG did not lift Go's limit (err %v); the subtest proves nothing", err)
		}
		check(t, "urlmaxqueryparams=0")
	})
	t.Run("S3/GODEBUG=urlmaxqueryparams=5", func(t *testing.T) { check(t, "urlmaxqueryparams=5") })
	t.Run("S3/Malformed", func(t *testing.T) {
		// A field url.URL.Query would drop silently: refused instead.
		expectXMLError(t, ep.do(t, ep.signed(t, http.MethodGet, "/"+bucket, "list-type=2&prefix=%zz", nil)), http.StatusBadRequest, "InvalidArgument")
	})

	for _, svc := range []struct{ name, service, action, code string }{
		{"IAM", "iam", "Action=GetUser&Version=2010-05-08", "InvalidInput"},
		{"STS", "sts", "Action=GetCallerIdentity&Version=2011-06-15", "InvalidParameterValue"},
	} {
		t.Run(svc.name+"/Query", func(t *testing.T) {
			req := signUnlimited(t, func(t *testing.T) *http.Request {
				return signedQueryPOST(t, ep, svc.service, manyParams(svc.action, httpx.MaxQueryParams+1), "")
			})
			expectQueryError(t, ep.do(t, req), svc.code)
			// The same action under the limit works, so the refusal is the limit's.
			if resp := ep.do(t, signedQueryPOST(t, ep, svc.service, manyParams(svc.action, httpx.MaxQueryParams), "")); resp.StatusCode != http.StatusOK {
				t.Errorf("%s with %d params: %d %.300s", svc.name, httpx.MaxQueryParams, resp.StatusCode, resp.Body)
			}
		})
		t.Run(svc.name+"/Body", func(t *testing.T) {
			expectQueryError(t, ep.do(t, signedQueryPOST(t, ep, svc.service, "", manyParams(svc.action, httpx.MaxQueryParams+1))), svc.code)
		})
	}
}

// signedQueryPOST returns POST /?query with a form body, signed for
// service; the query is sent exactly as given.
func signedQueryPOST(t testing.TB, ep endpoint, service, query, form string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ep.URL+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.URL.RawQuery = query
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// The signer rewrites the query it signs; sign a copy.
	canon := req.Clone(req.Context())
	creds := aws.Credentials{AccessKeyID: ep.AccessKey, SecretAccessKey: ep.SecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, canon, sha256Hex([]byte(form)), service, ep.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	req.Header = canon.Header
	return req
}

// expectQueryError fails the test unless resp is a 400 <ErrorResponse> with code.
func expectQueryError(t testing.TB, resp rawResponse, code string) {
	t.Helper()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400; body: %.300s", resp.StatusCode, resp.Body)
	}
	var doc stsErrorResponse
	if err := xml.Unmarshal(resp.Body, &doc); err != nil {
		t.Fatalf("body is not an <ErrorResponse>: %v; body: %.300s", err, resp.Body)
	}
	if doc.Error.Code != code {
		t.Errorf("<Code> = %q, want %q; message: %s", doc.Error.Code, code, doc.Error.Message)
	}
}
