package sigv4

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Payload hash values (X-Amz-Content-Sha256) other than a hex SHA-256.
const (
	// UnsignedPayload means the body is not covered by the signature.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// StreamingPayload means an aws-chunked body whose every chunk is signed.
	StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// StreamingPayloadTrailer is StreamingPayload followed by signed
	// trailing headers.
	StreamingPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	// StreamingUnsignedPayloadTrailer means an aws-chunked body without
	// chunk signatures, followed by unsigned trailing headers.
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

const (
	// Algorithm is the only signing algorithm this package accepts.
	Algorithm = "AWS4-HMAC-SHA256"
	// scopeTerminator ends every credential scope.
	scopeTerminator = "aws4_request"
	// amzDateLayout is the ISO 8601 basic format of X-Amz-Date.
	amzDateLayout = "20060102T150405Z"
	// scopeDateLayout is the date format of the credential scope.
	scopeDateLayout = "20060102"
	// emptySHA256 is the hex SHA-256 of the empty string.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// maxPresignExpires is AWS's limit for X-Amz-Expires: seven days.
	maxPresignExpires = 7 * 24 * time.Hour
)

// Request is the parsed authentication of one HTTP request.
type Request struct {
	AccessKey     string
	Date          string        // YYYYMMDD from the credential scope
	Region        string        // region of the credential scope
	Service       string        // "s3", "sts", "iam", ...
	SignedHeaders []string      // lower-case, as given
	Signature     string        // lower-case hex
	Time          time.Time     // from X-Amz-Date (or the Date header if X-Amz-Date absent, header auth only)
	Presigned     bool          // authentication came from the query string
	Expires       time.Duration // presigned only (X-Amz-Expires)
	PayloadHash   string        // X-Amz-Content-Sha256 value; "UNSIGNED-PAYLOAD" for presigned URLs unless the query/header says otherwise
	SecurityToken string        // X-Amz-Security-Token header, or query parameter for presigned
	Post          bool          // a browser POST form's signature over its policy (ParsePost, ParsePostV2)
	PostV2        bool          // a browser POST form signed with Signature Version 2 (ParsePostV2): Signature is base64 HMAC-SHA1, no scope
}

// Scope returns the credential scope "date/region/service/aws4_request".
func (a *Request) Scope() string {
	return a.Date + "/" + a.Region + "/" + a.Service + "/" + scopeTerminator
}

// Parse extracts the Signature Version 4 authentication of r, from its
// Authorization header or from presigned-URL query parameters. It checks the
// syntax only; Verifier.Verify checks time and signature.
//
// Parse returns ErrNoAuth when r carries no authentication at all,
// ErrUnsupportedAlgorithm for any other algorithm (Signature Version 2
// included), ErrMalformedAuth or ErrMalformedPresign for malformed
// authentication, ErrMissingDate when a header-signed request has no usable
// date, and ErrInvalidExpires for an X-Amz-Expires outside 1..604800.
func Parse(r *http.Request) (*Request, error) {
	auth := r.Header["Authorization"]
	presigned, sigV2Query := queryAuthKind(r.URL.RawQuery)
	switch {
	case len(auth) > 1:
		return nil, fmt.Errorf("%w: more than one Authorization header", ErrMalformedAuth)
	case len(auth) == 1 && (presigned || sigV2Query):
		return nil, fmt.Errorf("%w: both an Authorization header and presigned query parameters", ErrMalformedAuth)
	case len(auth) == 1:
		return parseHeaderAuth(r, auth[0])
	case presigned:
		return parsePresigned(r)
	case sigV2Query:
		return nil, fmt.Errorf("%w: Signature Version 2 presigned URL", ErrUnsupportedAlgorithm)
	}
	return nil, ErrNoAuth
}

// queryAuthKind reports whether the raw query holds SigV4 presign parameters
// (X-Amz-Algorithm, X-Amz-Credential or X-Amz-Signature), or SigV2 ones
// (AWSAccessKeyId together with Signature).
func queryAuthKind(raw string) (sigV4, sigV2 bool) {
	if raw == "" {
		return false, false
	}
	var v2Key, v2Sig bool
	forEachQuery(raw, func(rawName, _ string) {
		name, ok := queryUnescape(rawName)
		if !ok {
			return
		}
		switch name {
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature":
			sigV4 = true
		case "AWSAccessKeyId":
			v2Key = true
		case "Signature":
			v2Sig = true
		}
	})
	return sigV4, v2Key && v2Sig
}

// parseHeaderAuth parses an Authorization header of the form
// "AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=<64 hex>".
func parseHeaderAuth(r *http.Request, auth string) (*Request, error) {
	if strings.TrimSpace(auth) == "" {
		return nil, fmt.Errorf("%w: empty Authorization header", ErrMalformedAuth)
	}
	alg, rest, _ := strings.Cut(strings.TrimLeft(auth, " "), " ")
	if alg != Algorithm {
		if alg == "AWS" {
			return nil, fmt.Errorf("%w: Signature Version 2 (AWS access-key:signature)", ErrUnsupportedAlgorithm)
		}
		return nil, fmt.Errorf("%w: %.40q", ErrUnsupportedAlgorithm, alg)
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%w: component %.40q is not key=value", ErrMalformedAuth, part)
		}
		var seen *bool
		switch k {
		case "Credential":
			cred, seen = val, &haveCred
		case "SignedHeaders":
			signed, seen = val, &haveSigned
		case "Signature":
			sig, seen = val, &haveSig
		default:
			return nil, fmt.Errorf("%w: unknown component %.40q", ErrMalformedAuth, k)
		}
		if *seen {
			return nil, fmt.Errorf("%w: duplicate %s", ErrMalformedAuth, k)
		}
		*seen = true
	}
	switch {
	case !haveCred:
		return nil, fmt.Errorf("%w: missing Credential", ErrMalformedAuth)
	case !haveSigned:
		return nil, fmt.Errorf("%w: missing SignedHeaders", ErrMalformedAuth)
	case !haveSig:
		return nil, fmt.Errorf("%w: missing Signature", ErrMalformedAuth)
	}

	a := &Request{}
	var err error
	if err = parseCredential(a, cred); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedAuth, err)
	}
	if a.SignedHeaders, err = parseSignedHeaders(signed); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedAuth, err)
	}
	if a.Signature, err = parseSignature(sig); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedAuth, err)
	}

	if v := firstHeader(r.Header, "X-Amz-Date"); v != "" {
		t, ok := parseAmzDate(v)
		if !ok {
			return nil, fmt.Errorf("%w: X-Amz-Date %.40q is not YYYYMMDDTHHMMSSZ", ErrMissingDate, v)
		}
		a.Time = t
	} else if v := firstHeader(r.Header, "Date"); v != "" {
		t, err := http.ParseTime(v)
		if err != nil {
			return nil, fmt.Errorf("%w: Date %.40q is not an HTTP date", ErrMissingDate, v)
		}
		a.Time = t.UTC()
	} else {
		return nil, fmt.Errorf("%w: neither X-Amz-Date nor Date is present", ErrMissingDate)
	}
	if !sameDay(a.Time, a.Date) {
		return nil, fmt.Errorf("%w: credential date %s does not match request date", ErrMalformedAuth, a.Date)
	}
	a.PayloadHash = firstHeader(r.Header, "X-Amz-Content-Sha256")
	a.SecurityToken = firstHeader(r.Header, "X-Amz-Security-Token")
	return a, nil
}

// parsePresigned parses the X-Amz-* query parameters of a presigned URL.
func parsePresigned(r *http.Request) (*Request, error) {
	const (
		pAlgorithm = iota
		pCredential
		pDate
		pExpires
		pSignedHeaders
		pSignature
		pToken
		pContentSHA256
		pCount
	)
	names := [pCount]string{
		"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
		"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token", "X-Amz-Content-Sha256",
	}
	var vals [pCount]string
	var seen [pCount]bool
	var err error
	forEachQuery(r.URL.RawQuery, func(rawName, rawValue string) {
		if err != nil {
			return
		}
		name, ok := queryUnescape(rawName)
		if !ok || !strings.HasPrefix(name, "X-Amz-") {
			return
		}
		for i, n := range names {
			if n != name {
				continue
			}
			if seen[i] {
				err = fmt.Errorf("%w: duplicate %s", ErrMalformedPresign, n)
				return
			}
			v, ok := queryUnescape(rawValue)
			if !ok {
				err = fmt.Errorf("%w: %s is not properly URL-encoded", ErrMalformedPresign, n)
				return
			}
			vals[i], seen[i] = v, true
			return
		}
	})
	if err != nil {
		return nil, err
	}
	for i := range pToken {
		if !seen[i] {
			return nil, fmt.Errorf("%w: missing %s", ErrMalformedPresign, names[i])
		}
	}
	if vals[pAlgorithm] != Algorithm {
		return nil, fmt.Errorf("%w: X-Amz-Algorithm %.40q", ErrUnsupportedAlgorithm, vals[pAlgorithm])
	}

	a := &Request{Presigned: true}
	if err = parseCredential(a, vals[pCredential]); err != nil {
		return nil, fmt.Errorf("%w: X-Amz-Credential: %w", ErrMalformedPresign, err)
	}
	if a.SignedHeaders, err = parseSignedHeaders(vals[pSignedHeaders]); err != nil {
		return nil, fmt.Errorf("%w: X-Amz-SignedHeaders: %w", ErrMalformedPresign, err)
	}
	if a.Signature, err = parseSignature(vals[pSignature]); err != nil {
		return nil, fmt.Errorf("%w: X-Amz-Signature: %w", ErrMalformedPresign, err)
	}
	var ok bool
	if a.Time, ok = parseAmzDate(vals[pDate]); !ok {
		return nil, fmt.Errorf("%w: X-Amz-Date %.40q is not YYYYMMDDTHHMMSSZ", ErrMalformedPresign, vals[pDate])
	}
	if !sameDay(a.Time, a.Date) {
		return nil, fmt.Errorf("%w: credential date %s does not match X-Amz-Date", ErrMalformedPresign, a.Date)
	}
	secs, ok := parseDigits(vals[pExpires])
	if !ok || secs < 1 || secs > int64(maxPresignExpires/time.Second) {
		return nil, fmt.Errorf("%w: %.40q is not a number of seconds from 1 to 604800", ErrInvalidExpires, vals[pExpires])
	}
	a.Expires = time.Duration(secs) * time.Second

	a.SecurityToken = vals[pToken]
	if !seen[pToken] {
		a.SecurityToken = firstHeader(r.Header, "X-Amz-Security-Token")
	}
	a.PayloadHash = vals[pContentSHA256]
	if !seen[pContentSHA256] {
		a.PayloadHash = firstHeader(r.Header, "X-Amz-Content-Sha256")
	}
	if a.PayloadHash == "" {
		a.PayloadHash = UnsignedPayload
	}
	return a, nil
}

// parseCredential fills a's access key and scope from
// "<access key>/<YYYYMMDD>/<region>/<service>/aws4_request".
func parseCredential(a *Request, cred string) error {
	if strings.Count(cred, "/") != 4 {
		return fmt.Errorf("credential %.80q does not have 5 '/'-separated parts", cred)
	}
	var parts [5]string
	rest := cred
	for i := range parts {
		parts[i], rest, _ = strings.Cut(rest, "/")
	}
	switch {
	case parts[0] == "":
		return fmt.Errorf("credential has an empty access key")
	case parts[3] == "":
		return fmt.Errorf("credential scope has an empty service")
	case parts[4] != scopeTerminator:
		return fmt.Errorf("credential scope ends with %.40q, not aws4_request", parts[4])
	}
	// Only the form is checked here: callers compare the date with the
	// request time, which no impossible date can match.
	if _, ok := parseDigits(parts[1]); !ok || len(parts[1]) != len(scopeDateLayout) {
		return fmt.Errorf("credential scope date %.40q is not YYYYMMDD", parts[1])
	}
	a.AccessKey, a.Date, a.Region, a.Service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

// parseSignedHeaders splits a ';'-separated list of lower-case header names,
// which must include "host".
func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("empty signed header list")
	}
	out := make([]string, 0, strings.Count(s, ";")+1)
	host := false
	for s != "" {
		var name string
		name, s, _ = strings.Cut(s, ";")
		if name == "" {
			return nil, fmt.Errorf("empty name in signed header list")
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; !isTokenChar(c) || ('A' <= c && c <= 'Z') {
				return nil, fmt.Errorf("signed header %.40q is not a lower-case header name", name)
			}
		}
		host = host || name == "host"
		out = append(out, name)
	}
	if !host {
		return nil, fmt.Errorf("signed headers do not include host")
	}
	return out, nil
}

// parseSignature checks that s is 64 hex digits and returns it lower-cased.
func parseSignature(s string) (string, error) {
	if len(s) != 64 {
		return "", fmt.Errorf("signature is not 64 hex digits")
	}
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			upper = true
		default:
			return "", fmt.Errorf("signature is not 64 hex digits")
		}
	}
	if upper {
		s = strings.ToLower(s)
	}
	return s, nil
}

// sameDay reports whether t (in UTC) falls on the YYYYMMDD date.
func sameDay(t time.Time, date string) bool {
	y, m, d := t.UTC().Date()
	n, ok := parseDigits(date)
	return ok && len(date) == len(scopeDateLayout) && n == int64(y)*10000+int64(m)*100+int64(d)
}

// parseAmzDate parses an ISO 8601 basic timestamp "YYYYMMDDTHHMMSSZ" (the
// X-Amz-Date format), rejecting impossible dates and times. It does the
// work of time.Parse(amzDateLayout, s) in a fraction of the time.
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) != len(amzDateLayout) || s[8] != 'T' || s[15] != 'Z' {
		return time.Time{}, false
	}
	date, ok1 := parseDigits(s[:8])
	clock, ok2 := parseDigits(s[9:15])
	if !ok1 || !ok2 {
		return time.Time{}, false
	}
	y, mo, d := int(date/10000), time.Month(date/100%100), int(date%100)
	h, mi, sec := int(clock/10000), int(clock/100%100), int(clock%100)
	t := time.Date(y, mo, d, h, mi, sec, 0, time.UTC)
	if t.Month() != mo || t.Day() != d || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	return t, true
}

// parseDigits parses a non-empty decimal number of at most 18 digits.
func parseDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// firstHeader returns the first value of the header with canonical key k
// without allocating.
func firstHeader(h http.Header, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// isTokenChar reports whether c may appear in an HTTP header name (RFC 9110 token).
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// ScopeService returns the service named in r's credential scope ("s3",
// "iam", "sts"), or "" when r is not signed with SigV4 or its credential
// does not parse (Parse then says why). It reads only the credential, for
// routing a request before it is authenticated.
func ScopeService(r *http.Request) string {
	var cred string
	if auth := r.Header["Authorization"]; len(auth) == 1 {
		alg, rest, _ := strings.Cut(strings.TrimLeft(auth[0], " "), " ")
		if alg != Algorithm {
			return ""
		}
		for rest != "" {
			var part string
			part, rest, _ = strings.Cut(rest, ",")
			if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
				cred = v
				break
			}
		}
	} else if len(auth) == 0 && strings.Contains(r.URL.RawQuery, "X-Amz-Credential=") {
		forEachQuery(r.URL.RawQuery, func(rawName, rawValue string) {
			if rawName == "X-Amz-Credential" {
				cred, _ = queryUnescape(rawValue)
			}
		})
	}
	var a Request
	if cred == "" || parseCredential(&a, cred) != nil {
		return ""
	}
	return a.Service
}
