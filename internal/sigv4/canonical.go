package sigv4

import (
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// appendCanonicalRequest appends the canonical request of r, as described by
// a, to buf:
//
//	METHOD\nURI\nQUERY\nHEADERS\nSIGNED-HEADERS\nPAYLOAD-HASH
//
// where HEADERS ends with its own newline after the last header.
func appendCanonicalRequest(buf []byte, r *http.Request, a *Request) []byte {
	buf = append(buf, r.Method...)
	buf = append(buf, '\n')
	buf = appendCanonicalURI(buf, r.URL.Path)
	buf = append(buf, '\n')
	buf = appendCanonicalQuery(buf, r.URL.RawQuery, a.Presigned)
	buf = append(buf, '\n')
	for _, name := range a.SignedHeaders {
		buf = append(buf, name...)
		buf = append(buf, ':')
		buf = appendCanonicalHeaderValue(buf, r, name)
		buf = append(buf, '\n')
	}
	buf = append(buf, '\n')
	for i, name := range a.SignedHeaders {
		if i > 0 {
			buf = append(buf, ';')
		}
		buf = append(buf, name...)
	}
	buf = append(buf, '\n')
	return append(buf, a.PayloadHash...)
}

// appendCanonicalURI appends the canonical URI of the decoded path: every
// byte AWS-URI-encoded except '/'. S3 signs the path encoded once, which is
// what this produces; services that double-encode (all but S3) only ever see
// the path "/" here, whose encodings coincide.
func appendCanonicalURI(buf []byte, path string) []byte {
	if path == "" {
		return append(buf, '/')
	}
	for i := 0; i < len(path); i++ {
		buf = appendEncodedByte(buf, path[i], true)
	}
	return buf
}

// queryPair locates one encoded name=value pair in a scratch buffer: the
// name is scratch[start:eq] and the value scratch[eq:end].
type queryPair struct{ start, eq, end int }

// appendCanonicalQuery appends the canonical query string of the raw query:
// each name and value decoded ('+' as space, %XX) and AWS-URI-encoded again
// ('/' included), pairs sorted by encoded name then encoded value, joined as
// "name=value" with '&'. When presigned is true, X-Amz-Signature is left out.
// A '%' not followed by two hex digits is taken literally.
func appendCanonicalQuery(buf []byte, raw string, presigned bool) []byte {
	if raw == "" {
		return buf
	}
	var scratchArr [512]byte
	var pairsArr [16]queryPair
	scratch, pairs := scratchArr[:0], pairsArr[:0]
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		start := len(scratch)
		scratch = appendQueryComponent(scratch, name)
		eq := len(scratch)
		if presigned && string(scratch[start:eq]) == "X-Amz-Signature" {
			scratch = scratch[:start]
			continue
		}
		scratch = appendQueryComponent(scratch, value)
		pairs = append(pairs, queryPair{start, eq, len(scratch)})
	}
	slices.SortFunc(pairs, func(x, y queryPair) int {
		if c := bytes.Compare(scratch[x.start:x.eq], scratch[y.start:y.eq]); c != 0 {
			return c
		}
		return bytes.Compare(scratch[x.eq:x.end], scratch[y.eq:y.end])
	})
	for i, p := range pairs {
		if i > 0 {
			buf = append(buf, '&')
		}
		buf = append(buf, scratch[p.start:p.eq]...)
		buf = append(buf, '=')
		buf = append(buf, scratch[p.eq:p.end]...)
	}
	return buf
}

// appendQueryComponent decodes a raw query name or value and appends its
// AWS URI encoding.
func appendQueryComponent(buf []byte, raw string) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '+':
			c = ' '
		case c == '%' && i+2 < len(raw) && isHex(raw[i+1]) && isHex(raw[i+2]):
			c = unhex(raw[i+1])<<4 | unhex(raw[i+2])
			i += 2
		}
		buf = appendEncodedByte(buf, c, false)
	}
	return buf
}

// appendCanonicalHeaderValue appends the canonical value of the signed
// header name: all its values trimmed, inner runs of spaces collapsed, joined
// with ','. "host" comes from r.Host (net/http moves it out of r.Header), and
// "content-length" and "transfer-encoding" fall back to the fields net/http
// fills when it removes them from r.Header.
func appendCanonicalHeaderValue(buf []byte, r *http.Request, name string) []byte {
	switch name {
	case "host":
		return appendTrimmedValue(buf, r.Host)
	case "content-length":
		if v := headerValues(r.Header, name); len(v) > 0 {
			return appendJoinedValues(buf, v)
		}
		if r.ContentLength >= 0 {
			return strconv.AppendInt(buf, r.ContentLength, 10)
		}
		return buf
	case "transfer-encoding":
		if v := headerValues(r.Header, name); len(v) > 0 {
			return appendJoinedValues(buf, v)
		}
		return appendJoinedValues(buf, r.TransferEncoding)
	}
	return appendJoinedValues(buf, headerValues(r.Header, name))
}

// appendJoinedValues appends the trimmed values joined with ','.
func appendJoinedValues(buf []byte, values []string) []byte {
	for i, v := range values {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendTrimmedValue(buf, v)
	}
	return buf
}

// appendTrimmedValue appends v without leading and trailing white space and
// with every run of spaces inside it collapsed to one space.
func appendTrimmedValue(buf []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		buf = append(buf, v[i])
	}
	return buf
}

// headerValues returns the values of the header whose lower-case name is
// given, without allocating: it builds the canonical MIME key on the stack
// and falls back to a case-insensitive scan for keys net/http left as they
// were (names with bytes it does not canonicalise).
func headerValues(h http.Header, name string) []string {
	var stack [64]byte
	key := stack[:0]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		key = append(key, c)
		upper = c == '-'
	}
	if v, ok := h[string(key)]; ok {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

// appendEncodedByte appends c AWS-URI-encoded: unreserved characters
// (A-Z a-z 0-9 - . _ ~) as they are, '/' as is when keepSlash, anything else
// as %XX with upper-case hex.
func appendEncodedByte(buf []byte, c byte, keepSlash bool) []byte {
	if isUnreserved(c) || (c == '/' && keepSlash) {
		return append(buf, c)
	}
	const hexUpper = "0123456789ABCDEF"
	return append(buf, '%', hexUpper[c>>4], hexUpper[c&15])
}

// isUnreserved reports whether c is an RFC 3986 unreserved character.
func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// isHex reports whether c is a hex digit of either case.
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unhex returns the value of the hex digit c.
func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// forEachQuery calls fn with the raw (still encoded) name and value of every
// non-empty '&'-separated pair of the raw query.
func forEachQuery(raw string, fn func(name, value string)) {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		name, value, _ := strings.Cut(part, "=")
		fn(name, value)
	}
}

// queryUnescape decodes a raw query component ('+' as space, %XX). It
// reports false for a '%' not followed by two hex digits.
func queryUnescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		b = append(b, c)
	}
	return string(b), true
}
