package sigv4

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

// goodAuth is a well-formed Authorization header for the request of newAuthRequest.
const goodAuth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/s3/aws4_request, " +
	"SignedHeaders=host;x-amz-content-sha256;x-amz-date, " +
	"Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// newAuthRequest returns a request with the given Authorization header and
// a matching X-Amz-Date.
func newAuthRequest(auth string) *http.Request {
	r := httptest.NewRequest("GET", "/bucket/key", nil)
	r.Header.Set("X-Amz-Date", "20240501T123045Z")
	r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

func TestParse_Header(t *testing.T) {
	a, err := Parse(newAuthRequest(goodAuth))
	mustIs(t, err, nil, "Parse")
	want := Request{
		AccessKey:     "AKIDEXAMPLE",
		Date:          "20240501",
		Region:        "us-east-1",
		Service:       "s3",
		SignedHeaders: []string{"host", "x-amz-content-sha256", "x-amz-date"},
		Signature:     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		Time:          testTime,
		PayloadHash:   UnsignedPayload,
	}
	if a.AccessKey != want.AccessKey || a.Date != want.Date || a.Region != want.Region || a.Service != want.Service ||
		!slices.Equal(a.SignedHeaders, want.SignedHeaders) || a.Signature != want.Signature ||
		!a.Time.Equal(want.Time) || a.PayloadHash != want.PayloadHash || a.Presigned {
		t.Fatalf("Parse = %+v, want %+v", a, want)
	}
	if got := a.Scope(); got != "20240501/us-east-1/s3/aws4_request" {
		t.Fatalf("Scope = %q", got)
	}
}

func TestParse_Malformed(t *testing.T) {
	const cred = "Credential=AKIDEXAMPLE/20240501/us-east-1/s3/aws4_request"
	const signed = "SignedHeaders=host;x-amz-date"
	const sig = "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	tests := []struct {
		name string
		auth string
		want error
	}{
		{"good", "AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig, nil},
		{"good without spaces", "AWS4-HMAC-SHA256 " + cred + "," + signed + "," + sig, nil},
		{"good other order", "AWS4-HMAC-SHA256 " + sig + ", " + cred + ", " + signed, nil},
		{"upper-case signature", "AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature=0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", nil},
		{"missing credential", "AWS4-HMAC-SHA256 " + signed + ", " + sig, ErrMalformedAuth},
		{"missing signed headers", "AWS4-HMAC-SHA256 " + cred + ", " + sig, ErrMalformedAuth},
		{"missing signature", "AWS4-HMAC-SHA256 " + cred + ", " + signed, ErrMalformedAuth},
		{"algorithm only", "AWS4-HMAC-SHA256", ErrMalformedAuth},
		{"duplicate credential", "AWS4-HMAC-SHA256 " + cred + ", " + cred + ", " + signed + ", " + sig, ErrMalformedAuth},
		{"unknown component", "AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig + ", Foo=bar", ErrMalformedAuth},
		{"component without =", "AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig + ", junk", ErrMalformedAuth},
		{"scope with 4 parts", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/aws4_request, " + signed + ", " + sig, ErrMalformedAuth},
		{"scope with 6 parts", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/s3/x/aws4_request, " + signed + ", " + sig, ErrMalformedAuth},
		{"scope trailing slash", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/s3/aws4_request/, " + signed + ", " + sig, ErrMalformedAuth},
		{"scope not aws4_request", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/s3/aws5_request, " + signed + ", " + sig, ErrMalformedAuth},
		{"scope bad date", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2024-05-01/us-east-1/s3/aws4_request, " + signed + ", " + sig, ErrMalformedAuth},
		{"scope impossible date", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20241301/us-east-1/s3/aws4_request, " + signed + ", " + sig, ErrMalformedAuth},
		{"scope other day", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240502/us-east-1/s3/aws4_request, " + signed + ", " + sig, ErrMalformedAuth},
		{"scope empty access key", "AWS4-HMAC-SHA256 Credential=/20240501/us-east-1/s3/aws4_request, " + signed + ", " + sig, ErrMalformedAuth},
		{"scope empty service", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1//aws4_request, " + signed + ", " + sig, ErrMalformedAuth},
		{"signed headers without host", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, " + sig, ErrMalformedAuth},
		{"signed headers empty", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=, " + sig, ErrMalformedAuth},
		{"signed headers empty name", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig, ErrMalformedAuth},
		{"signed headers upper case", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=Host;x-amz-date, " + sig, ErrMalformedAuth},
		{"signed headers with space", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x amz, " + sig, ErrMalformedAuth},
		{"signature not hex", "AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature=zz23456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ErrMalformedAuth},
		{"signature too short", "AWS4-HMAC-SHA256 " + cred + ", " + signed + ", Signature=0123456789abcdef", ErrMalformedAuth},
		{"signature too long", "AWS4-HMAC-SHA256 " + cred + ", " + signed + ", " + sig + "00", ErrMalformedAuth},
		{"sigv2", "AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", ErrUnsupportedAlgorithm},
		{"sigv4a", "AWS4-ECDSA-P256-SHA256 " + cred + ", " + signed + ", " + sig, ErrUnsupportedAlgorithm},
		{"bearer", "Bearer abc", ErrUnsupportedAlgorithm},
		{"empty header", " ", ErrMalformedAuth},
		{"lower-case algorithm", "aws4-hmac-sha256 " + cred + ", " + signed + ", " + sig, ErrUnsupportedAlgorithm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(newAuthRequest(tt.auth))
			mustIs(t, err, tt.want, "Parse")
		})
	}
}

func TestParse_Dates(t *testing.T) {
	tests := []struct {
		name    string
		amzDate string
		date    string
		want    error
		wantT   time.Time
	}{
		{"x-amz-date", "20240501T123045Z", "", nil, testTime},
		{"x-amz-date wins over date", "20240501T123045Z", "Thu, 02 May 2024 00:00:00 GMT", nil, testTime},
		{"date header", "", "Wed, 01 May 2024 12:30:45 GMT", nil, testTime},
		{"neither", "", "", ErrMissingDate, time.Time{}},
		{"bad x-amz-date", "2024-05-01T12:30:45Z", "", ErrMissingDate, time.Time{}},
		{"bad date", "", "yesterday", ErrMissingDate, time.Time{}},
		{"date other day than scope", "20240502T000000Z", "", ErrMalformedAuth, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", goodAuth)
			if tt.amzDate != "" {
				r.Header.Set("X-Amz-Date", tt.amzDate)
			}
			if tt.date != "" {
				r.Header.Set("Date", tt.date)
			}
			a, err := Parse(r)
			mustIs(t, err, tt.want, "Parse")
			if err == nil && !a.Time.Equal(tt.wantT) {
				t.Fatalf("Time = %s, want %s", a.Time, tt.wantT)
			}
		})
	}
}

func TestParse_Presigned(t *testing.T) {
	const good = "X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIDEXAMPLE%2F20240501%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20240501T123045Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	without := func(name string) string {
		q := ""
		forEachQuery(good, func(n, v string) {
			if n != name {
				if q != "" {
					q += "&"
				}
				q += n + "=" + v
			}
		})
		return q
	}
	tests := []struct {
		name   string
		query  string
		header http.Header
		want   error
	}{
		{"good", good, nil, nil},
		{"missing algorithm", without("X-Amz-Algorithm"), nil, ErrMalformedPresign},
		{"missing credential", without("X-Amz-Credential"), nil, ErrMalformedPresign},
		{"missing date", without("X-Amz-Date"), nil, ErrMalformedPresign},
		{"missing expires", without("X-Amz-Expires"), nil, ErrMalformedPresign},
		{"missing signed headers", without("X-Amz-SignedHeaders"), nil, ErrMalformedPresign},
		{"missing signature", without("X-Amz-Signature"), nil, ErrMalformedPresign},
		{"duplicate signature", good + "&X-Amz-Signature=00", nil, ErrMalformedPresign},
		{"bad credential", without("X-Amz-Credential") + "&X-Amz-Credential=AKID%2F20240501%2Fus-east-1%2Fs3", nil, ErrMalformedPresign},
		{"bad date", without("X-Amz-Date") + "&X-Amz-Date=20240501", nil, ErrMalformedPresign},
		{"date other day", without("X-Amz-Date") + "&X-Amz-Date=20240502T000000Z", nil, ErrMalformedPresign},
		{"no host signed", without("X-Amz-SignedHeaders") + "&X-Amz-SignedHeaders=x-amz-date", nil, ErrMalformedPresign},
		{"bad signature", without("X-Amz-Signature") + "&X-Amz-Signature=abc", nil, ErrMalformedPresign},
		{"bad escape", without("X-Amz-Credential") + "&X-Amz-Credential=AKID%ZZ", nil, ErrMalformedPresign},
		{"other algorithm", without("X-Amz-Algorithm") + "&X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256", nil, ErrUnsupportedAlgorithm},
		{"expires zero", without("X-Amz-Expires") + "&X-Amz-Expires=0", nil, ErrInvalidExpires},
		{"expires too large", without("X-Amz-Expires") + "&X-Amz-Expires=604801", nil, ErrInvalidExpires},
		{"expires not numeric", without("X-Amz-Expires") + "&X-Amz-Expires=1h", nil, ErrInvalidExpires},
		{"also an Authorization header", good, http.Header{"Authorization": {goodAuth}}, ErrMalformedAuth},
		{"sigv2 query", "AWSAccessKeyId=AKID&Expires=1700000000&Signature=abc%3D", nil, ErrUnsupportedAlgorithm},
		{"anonymous", "list-type=2&prefix=x", nil, ErrNoAuth},
		{"anonymous without query", "", nil, ErrNoAuth},
		{"two authorization headers", "", http.Header{"Authorization": {goodAuth, goodAuth}}, ErrMalformedAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/bucket/key", nil)
			r.URL.RawQuery = tt.query
			r.Header.Set("X-Amz-Date", "20240501T123045Z")
			for k, v := range tt.header {
				r.Header[k] = v
			}
			a, err := Parse(r)
			mustIs(t, err, tt.want, "Parse")
			if err == nil && (!a.Presigned || a.Expires != time.Hour || a.PayloadHash != UnsignedPayload ||
				a.AccessKey != "AKIDEXAMPLE" || !slices.Equal(a.SignedHeaders, []string{"host"})) {
				t.Fatalf("Parse = %+v", a)
			}
		})
	}
}

func TestParse_PresignedPayloadAndToken(t *testing.T) {
	const q = "X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIDEXAMPLE%2F20240501%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20240501T123045Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host" +
		"&X-Amz-Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	r := httptest.NewRequest("PUT", "/b/k?"+q+"&X-Amz-Security-Token=tok%2Ben", nil)
	r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	a, err := Parse(r)
	mustIs(t, err, nil, "Parse")
	if a.SecurityToken != "tok+en" || a.PayloadHash != emptySHA256 {
		t.Fatalf("SecurityToken = %q, PayloadHash = %q", a.SecurityToken, a.PayloadHash)
	}
	r = httptest.NewRequest("PUT", "/b/k?"+q+"&X-Amz-Content-Sha256="+emptySHA256, nil)
	r.Header.Set("X-Amz-Security-Token", "header-token")
	a, err = Parse(r)
	mustIs(t, err, nil, "Parse")
	if a.SecurityToken != "header-token" || a.PayloadHash != emptySHA256 {
		t.Fatalf("SecurityToken = %q, PayloadHash = %q", a.SecurityToken, a.PayloadHash)
	}
}

func TestScopeService(t *testing.T) {
	mk := func(rawQuery string, auth ...string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "http://localhost/?"+rawQuery, nil)
		for _, a := range auth {
			r.Header.Add("Authorization", a)
		}
		return r
	}
	cases := []struct {
		name string
		r    *http.Request
		want string
	}{
		{"header", mk("", "AWS4-HMAC-SHA256 Credential=AK/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature="+strings.Repeat("a", 64)), "sts"},
		{"header, credential last", mk("", "AWS4-HMAC-SHA256 SignedHeaders=host,Signature=x,Credential=AK/20260101//iam/aws4_request"), "iam"},
		{"presigned", mk("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=x"), "s3"},
		{"unsigned", mk("Action=AssumeRoleWithWebIdentity"), ""},
		{"SigV2", mk("", "AWS AK:sig"), ""},
		{"bad scope", mk("", "AWS4-HMAC-SHA256 Credential=AK/2026/us-east-1/sts/aws4_request"), ""},
		{"two headers", mk("", "AWS4-HMAC-SHA256 Credential=AK/20260101/r/sts/aws4_request", "AWS4-HMAC-SHA256 Credential=AK/20260101/r/iam/aws4_request"), ""},
	}
	for _, tc := range cases {
		if got := ScopeService(tc.r); got != tc.want {
			t.Errorf("%s: ScopeService = %q, want %q", tc.name, got, tc.want)
		}
	}
}
