package httpx

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// FuzzReadQueryParams: ReadQueryParams never panics and never reads more
// than limit+1 bytes of the body; it fails with ErrBadQuery, ErrBodyTooLarge
// (exactly when the body is over the limit) or ErrNotForm; and what it
// returns is the query string's parameters with the form body's replacing
// those of the same name, nothing else.
func FuzzReadQueryParams(f *testing.F) {
	f.Add("Action=GetCallerIdentity&Version=2011-06-15", []byte(""), "", uint16(1024), true)
	f.Add("", []byte("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123%3Arole%2Fx&DurationSeconds=900"),
		"application/x-www-form-urlencoded; charset=utf-8", uint16(1024), true)
	f.Add("Action=ListUsers&Version=x", []byte("Version=2010-05-08&Marker=a+b%20c"), "application/x-www-form-urlencoded", uint16(64), true)
	f.Add("a=1&a=2&b", []byte("a=3&a=4"), "", uint16(7), true)
	f.Add("a=1", []byte("a=3&a=4"), "", uint16(6), true)
	f.Add("%zz", []byte("x=1"), "", uint16(100), true)
	f.Add("a=1;b=2", []byte(""), "", uint16(100), false)
	f.Add("", []byte("a=1;b=2"), "", uint16(100), true)
	f.Add("", []byte("a=%zz"), "application/x-www-form-urlencoded", uint16(100), true)
	f.Add("", []byte("{\"a\":1}"), "application/json", uint16(100), true)
	f.Add("", []byte("a=1"), "application/x-www-form-urlencoded; charset", uint16(100), true)
	f.Add("", []byte("a=1"), "", uint16(0), true)
	f.Fuzz(func(t *testing.T, rawQuery string, body []byte, contentType string, limit16 uint16, hasBody bool) {
		limit := int64(limit16)
		r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{}}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		var counter *countingReader
		if hasBody {
			counter = &countingReader{r: bytes.NewReader(body)}
			r.Body = io.NopCloser(counter)
		}
		params, err := ReadQueryParams(r, limit)
		if counter != nil && counter.n > limit+1 {
			t.Fatalf("read %d bytes of the body with a limit of %d", counter.n, limit)
		}
		// AWS reads ';' as an ordinary character (ParseQuery), where
		// url.ParseQuery refuses it: the reference escapes it first.
		query, queryErr := url.ParseQuery(strings.ReplaceAll(rawQuery, ";", "%3B"))
		if queryErr != nil {
			if !errors.Is(err, ErrBadQuery) {
				t.Fatalf("query %q: error %v, want ErrBadQuery", rawQuery, err)
			}
			return
		}
		if over := hasBody && int64(len(body)) > limit; over != errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("body of %d bytes, limit %d: error %v", len(body), limit, err)
		}
		if err != nil {
			if !errors.Is(err, ErrBodyTooLarge) && !errors.Is(err, ErrNotForm) {
				t.Fatalf("error %v wraps none of the sentinels", err)
			}
			return
		}
		want := query
		if hasBody && len(body) > 0 {
			form, formErr := url.ParseQuery(strings.ReplaceAll(string(body), ";", "%3B"))
			if formErr != nil {
				t.Fatalf("accepted the body %q that is not a form: %v", body, formErr)
			}
			mediaType, _, _ := strings.Cut(contentType, ";")
			if mediaType = strings.ToLower(strings.TrimSpace(mediaType)); contentType != "" && mediaType != "application/x-www-form-urlencoded" {
				t.Fatalf("accepted a body of type %q", contentType)
			}
			for k, v := range form {
				want[k] = v
			}
		}
		if len(params) != len(want) {
			t.Fatalf("got %d parameters, want %d: %q", len(params), len(want), params)
		}
		for k, v := range want {
			if !slices.Equal(params[k], v) {
				t.Fatalf("parameter %q = %q, want %q", k, params[k], v)
			}
		}
	})
}

// FuzzConditions: the condition keys of a request are its headers and
// peer address verbatim, never a forwarded header; a User-Agent or
// Referer over MaxConditionHeader refuses the request instead of being
// cut.
func FuzzConditions(f *testing.F) {
	f.Add("aws-sdk-go-v2/1.0", "https://example.com/page", "192.0.2.1:1234", "203.0.113.9")
	f.Add("", "", "[2001:db8::1]:443", "")
	f.Add(strings.Repeat("u", MaxConditionHeader+1), "", "pipe", "10.0.0.1, 10.0.0.2")
	f.Add("a", strings.Repeat("r", MaxConditionHeader), "", "")
	f.Fuzz(func(t *testing.T, ua, referer, remoteAddr, forwarded string) {
		r := &http.Request{Header: http.Header{}, RemoteAddr: remoteAddr}
		r.Header["User-Agent"] = []string{ua}
		r.Header["Referer"] = []string{referer}
		r.Header["X-Forwarded-For"] = []string{forwarded}
		now := time.Unix(1_700_000_000, 0)
		c, err := Conditions(r, now)
		if tooLong := len(ua) > MaxConditionHeader || len(referer) > MaxConditionHeader; tooLong != (err != nil) {
			t.Fatalf("User-Agent %d bytes, Referer %d bytes: error %v", len(ua), len(referer), err)
		}
		if err != nil {
			if !errors.Is(err, ErrConditionHeaderTooLong) {
				t.Fatalf("error %v", err)
			}
			return
		}
		check := func(key, want string) {
			t.Helper()
			got, ok := c[key]
			if want == "" {
				if ok {
					t.Fatalf("%s = %q for an empty header", key, got)
				}
				return
			}
			if len(got) != 1 || got[0] != want {
				t.Fatalf("%s = %q, want %q", key, got, want)
			}
		}
		check("aws:useragent", ua)
		check("aws:referer", referer)
		if ip, ok := c["aws:sourceip"]; ok {
			host, _, _ := net.SplitHostPort(remoteAddr)
			if len(ip) != 1 || ip[0] != remoteAddr && ip[0] != host {
				t.Fatalf("aws:sourceip %q is not the peer address %q", ip, remoteAddr)
			}
		} else if remoteAddr != "" {
			t.Fatalf("no aws:sourceip for the peer address %q", remoteAddr)
		}
		if got := c["aws:epochtime"]; len(got) != 1 || got[0] != "1700000000" {
			t.Fatalf("aws:epochtime = %q", got)
		}
	})
}
