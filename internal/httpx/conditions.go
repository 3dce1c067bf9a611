package httpx

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"time"
)

// MaxConditionHeader is the longest User-Agent or Referer a request may
// carry: both become policy condition keys, and a policy's StringLike
// against a huge value must stay cheap. Real clients send well under 1 KiB.
const MaxConditionHeader = 8 << 10

// ErrConditionHeaderTooLong is returned by Conditions for a User-Agent or
// Referer over MaxConditionHeader bytes. The request is refused rather
// than its value cut short: a cut value could slip past a Deny.
var ErrConditionHeaderTooLong = errors.New("httpx: the User-Agent or Referer header is longer than 8 KiB")

// Conditions returns the condition keys that the HTTP request itself
// gives, lower-cased as policy.Args wants them: aws:currenttime,
// aws:epochtime (from now), aws:securetransport, aws:sourceip (the TCP
// peer, never a forwarded header), aws:useragent and aws:referer (when
// present). The principal's keys are added by iam.Authorize.
func Conditions(r *http.Request, now time.Time) (map[string][]string, error) {
	if err := CheckConditionHeaders(r); err != nil {
		return nil, err
	}
	return ConditionKeys(r, now), nil
}

// CheckConditionHeaders returns ErrConditionHeaderTooLong for a
// User-Agent or Referer over MaxConditionHeader bytes: the cheap half of
// Conditions, for callers that build the keys only when needed.
func CheckConditionHeaders(r *http.Request) error {
	if len(r.Header.Get("User-Agent")) > MaxConditionHeader || len(r.Header.Get("Referer")) > MaxConditionHeader {
		return ErrConditionHeaderTooLong
	}
	return nil
}

// ConditionKeys is Conditions for a request CheckConditionHeaders passed.
func ConditionKeys(r *http.Request, now time.Time) map[string][]string {
	ua, ref := r.Header.Get("User-Agent"), r.Header.Get("Referer")
	now = now.UTC()
	c := make(map[string][]string, 12)
	c["aws:currenttime"] = []string{now.Format(time.RFC3339)}
	c["aws:epochtime"] = []string{strconv.FormatInt(now.Unix(), 10)}
	c["aws:securetransport"] = []string{strconv.FormatBool(r.TLS != nil)}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c["aws:sourceip"] = []string{host}
	} else if r.RemoteAddr != "" {
		c["aws:sourceip"] = []string{r.RemoteAddr}
	}
	if ua != "" {
		c["aws:useragent"] = []string{ua}
	}
	if ref != "" {
		c["aws:referer"] = []string{ref}
	}
	return c
}
