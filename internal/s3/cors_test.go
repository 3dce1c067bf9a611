package s3

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

const testCORS = `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
<CORSRule><ID>gets</ID><AllowedOrigin>*suffix</AllowedOrigin><AllowedOrigin>start*end</AllowedOrigin><AllowedMethod>GET</AllowedMethod>
<AllowedHeader>x-amz-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>300</MaxAgeSeconds></CORSRule>
<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod></CORSRule>
</CORSConfiguration>`

func errorCode(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	var e errorResponse
	if err := xml.Unmarshal(rec.Body.Bytes(), &e); err != nil {
		t.Fatalf("error body %q: %v", rec.Body.String(), err)
	}
	return e.Code
}

func TestAPI_BucketCors(t *testing.T) {
	fx := newS3Fixture(t)
	fx.put(t, fuzzBucket, "a", "object a")
	cors := url.Values{"cors": {""}}
	if rec := fx.do(t, "GET", "/"+fuzzBucket, cors, nil, nil); rec.Code != 404 || errorCode(t, rec) != "NoSuchCORSConfiguration" {
		t.Fatalf("GetBucketCors before any = %d %s", rec.Code, rec.Body)
	}
	if rec := fx.do(t, "PUT", "/no-such-bucket", cors, nil, []byte(testCORS)); rec.Code != 404 || errorCode(t, rec) != "NoSuchBucket" {
		t.Fatalf("PutBucketCors on a missing bucket = %d %s", rec.Code, rec.Body)
	}
	bad := map[string]string{
		"no rules":        `<CORSConfiguration></CORSConfiguration>`,
		"not xml":         `<CORSConfiguration>`,
		"bad method":      `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>`,
		"two wildcards":   `<CORSConfiguration><CORSRule><AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`,
		"no origin":       `<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>`,
		"too many rules":  `<CORSConfiguration>` + strings.Repeat(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>`, 101) + `</CORSConfiguration>`,
		"negative maxage": `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule></CORSConfiguration>`,
	}
	want := map[string]string{"no rules": "MalformedXML", "not xml": "MalformedXML", "bad method": "InvalidRequest",
		"two wildcards": "InvalidRequest", "no origin": "MalformedXML", "too many rules": "MalformedXML", "negative maxage": "MalformedXML"}
	for name, doc := range bad {
		if rec := fx.do(t, "PUT", "/"+fuzzBucket, cors, nil, []byte(doc)); rec.Code != 400 || errorCode(t, rec) != want[name] {
			t.Errorf("PutBucketCors %s = %d %s; want 400 %s", name, rec.Code, rec.Body, want[name])
		}
	}
	if rec := fx.do(t, "PUT", "/"+fuzzBucket, cors, nil, []byte(testCORS)); rec.Code != 200 {
		t.Fatalf("PutBucketCors = %d %s", rec.Code, rec.Body)
	}
	rec := fx.do(t, "GET", "/"+fuzzBucket, cors, nil, nil)
	var got corsConfiguration
	if err := xml.Unmarshal(rec.Body.Bytes(), &got); rec.Code != 200 || err != nil {
		t.Fatalf("GetBucketCors = %d %s", rec.Code, rec.Body)
	}
	if len(got.Rules) != 2 || got.Rules[0].ID != "gets" || *got.Rules[0].MaxAgeSeconds != 300 ||
		strings.Join(got.Rules[1].AllowedMethods, ",") != "PUT,POST" || !strings.Contains(rec.Body.String(), `xmlns="`+s3NS+`"`) {
		t.Fatalf("GetBucketCors = %s", rec.Body)
	}

	// Preflights: no signature.
	preflight := func(path string, h map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("OPTIONS", "http://s3.local"+path, nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		fx.api.ServeHTTP(rec, r)
		return rec
	}
	for _, c := range []struct {
		name, path     string
		h              map[string]string
		status         int
		code           string
		origin, method string
	}{
		{"no origin", "/pub/a", nil, 400, "BadRequest", "", ""},
		{"no method", "/pub/a", map[string]string{"Origin": "x.suffix"}, 400, "BadRequest", "", ""},
		{"suffix", "/pub/a", map[string]string{"Origin": "x.suffix", "Access-Control-Request-Method": "GET"}, 200, "", "x.suffix", "GET"},
		{"case", "/pub", map[string]string{"Origin": "START-x-END", "Access-Control-Request-Method": "GET"}, 200, "", "START-x-END", "GET"},
		{"method", "/pub/a", map[string]string{"Origin": "x.suffix", "Access-Control-Request-Method": "DELETE"}, 403, "AccessForbidden", "", ""},
		{"origin", "/pub/a", map[string]string{"Origin": "x.suffix.no", "Access-Control-Request-Method": "GET"}, 403, "AccessForbidden", "", ""},
		{"headers ok", "/pub/a", map[string]string{"Origin": "x.suffix", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-Amz-Date, x-amz-meta-a"}, 200, "", "x.suffix", "GET"},
		{"header refused", "/pub/a", map[string]string{"Origin": "x.suffix", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-amz-date, content-md5"}, 403, "AccessForbidden", "", ""},
		{"star", "/pub/a", map[string]string{"Origin": "http://any", "Access-Control-Request-Method": "PUT"}, 200, "", "*", "PUT, POST"},
		{"star no headers", "/pub/a", map[string]string{"Origin": "http://any", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-a"}, 403, "AccessForbidden", "", ""},
		{"no config", "/victim/keep", map[string]string{"Origin": "http://any", "Access-Control-Request-Method": "GET"}, 403, "AccessForbidden", "", ""},
		{"no bucket", "/nobucket/keep", map[string]string{"Origin": "http://any", "Access-Control-Request-Method": "GET"}, 404, "NoSuchBucket", "", ""},
	} {
		rec := preflight(c.path, c.h)
		if rec.Code != c.status || c.code != "" && errorCode(t, rec) != c.code {
			t.Errorf("preflight %s = %d %s; want %d %s", c.name, rec.Code, rec.Body, c.status, c.code)
		}
		if o, m := rec.Header().Get("Access-Control-Allow-Origin"), rec.Header().Get("Access-Control-Allow-Methods"); o != c.origin || m != c.method {
			t.Errorf("preflight %s: allow origin %q methods %q; want %q %q", c.name, o, m, c.origin, c.method)
		}
	}
	rec = preflight("/pub/a", map[string]string{"Origin": "x.suffix", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "X-Amz-Date"})
	if h := rec.Header(); h.Get("Access-Control-Allow-Headers") != "x-amz-date" || h.Get("Access-Control-Max-Age") != "300" ||
		h.Get("Access-Control-Expose-Headers") != "ETag" || h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Vary") == "" {
		t.Errorf("preflight headers = %v", h)
	}

	// Actual requests: on success and on errors, only for a matching rule.
	h := http.Header{"Origin": {"a.suffix"}}
	if rec := fx.do(t, "GET", "/pub/a", nil, h, nil); rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "a.suffix" {
		t.Errorf("GET with Origin = %d %v", rec.Code, rec.Header())
	}
	if rec := fx.do(t, "GET", "/pub/missing", nil, h, nil); rec.Code != 404 || rec.Header().Get("Access-Control-Allow-Origin") != "a.suffix" {
		t.Errorf("GET of a missing key with Origin = %d %v", rec.Code, rec.Header())
	}
	if rec := fx.do(t, "DELETE", "/pub/missing", nil, h, nil); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("DELETE with Origin (no rule) got %v", rec.Header())
	}
	r := httptest.NewRequest("GET", "http://s3.local/pub/a", nil)
	r.Header.Set("Origin", "b.suffix")
	rec = httptest.NewRecorder()
	fx.api.ServeHTTP(rec, r)
	if rec.Code != 403 || rec.Header().Get("Access-Control-Allow-Origin") != "b.suffix" {
		t.Errorf("anonymous GET with Origin = %d %v", rec.Code, rec.Header())
	}

	if rec := fx.do(t, "DELETE", "/"+fuzzBucket, cors, nil, nil); rec.Code != 204 {
		t.Fatalf("DeleteBucketCors = %d %s", rec.Code, rec.Body)
	}
	if rec := fx.do(t, "GET", "/"+fuzzBucket, cors, nil, nil); rec.Code != 404 || errorCode(t, rec) != "NoSuchCORSConfiguration" {
		t.Fatalf("GetBucketCors after delete = %d %s", rec.Code, rec.Body)
	}
	if rec := fx.do(t, "GET", "/pub/a", nil, h, nil); rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET with Origin after DeleteBucketCors still has CORS headers")
	}
	if rec := preflight("/pub/a", map[string]string{"Origin": "x.suffix", "Access-Control-Request-Method": "GET"}); rec.Code != 403 {
		t.Errorf("preflight after DeleteBucketCors = %d", rec.Code)
	}
}

func TestWildcardMatch(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "a", true}, {"a*", "ba", false}, {"*a", "ba", true},
		{"s*e", "se", true}, {"s*e", "s1e", true}, {"s*e", "0se", false}, {"ab*ba", "aba", false},
		{"http://X.com", "http://x.COM", true}, {"x", "xx", false},
	} {
		if got := wildcardMatch(c.p, c.s); got != c.want {
			t.Errorf("wildcardMatch(%q, %q) = %v", c.p, c.s, got)
		}
	}
}
