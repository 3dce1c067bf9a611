package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// Cross-origin resource sharing (CORS): PutBucketCors, GetBucketCors and
// DeleteBucketCors keep a bucket's rules as an object.ConfigCORS document
// of the backend's object.BucketConfigs; preflight OPTIONS requests are
// answered from them without authentication (a browser sends none), and
// an actual request that carries Origin gets the Access-Control-* headers
// of the first matching rule, on success and on error alike.
//
// A request without Origin costs nothing here. One with Origin costs a
// lookup in corsCache, which reads the backend at most once every
// corsCacheTTL per bucket (changes made through this server apply at once).

// Limits of a CORS configuration, as S3's.
const (
	maxCORSRules     = 100
	maxCORSConfigXML = 64 << 10
	corsCacheTTL     = 2 * time.Second
)

// corsMethods are the methods a rule may allow.
var corsMethods = []string{http.MethodGet, http.MethodPut, http.MethodHead, http.MethodPost, http.MethodDelete}

// CORS errors.
var (
	ErrNoSuchCORSConfiguration = &APIError{Code: "NoSuchCORSConfiguration", Message: "The CORS configuration does not exist", Status: http.StatusNotFound}
	// errCORSNotAllowed answers a preflight that no rule allows.
	errCORSNotAllowed = &APIError{Code: "AccessForbidden", Message: "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.", Status: http.StatusForbidden}
	// errCORSNotEnabled answers a preflight to a bucket without rules.
	errCORSNotEnabled = &APIError{Code: "AccessForbidden", Message: "CORSResponse: CORS is not enabled for this bucket.", Status: http.StatusForbidden}
	errCORSNoOrigin   = &APIError{Code: "BadRequest", Message: "Insufficient information. Origin request header needed.", Status: http.StatusBadRequest}
)

// corsConfiguration is S3's CORSConfiguration document.
type corsConfiguration struct {
	XMLName xml.Name   `xml:"CORSConfiguration"`
	Xmlns   string     `xml:"xmlns,attr,omitempty"`
	Rules   []corsRule `xml:"CORSRule"`
}

type corsRule struct {
	ID             string   `xml:"ID,omitempty"`
	AllowedHeaders []string `xml:"AllowedHeader"`
	AllowedMethods []string `xml:"AllowedMethod"`
	AllowedOrigins []string `xml:"AllowedOrigin"`
	ExposeHeaders  []string `xml:"ExposeHeader"`
	MaxAgeSeconds  *int     `xml:"MaxAgeSeconds"`
}

// parseCORS decodes and validates a CORSConfiguration as S3 does.
func parseCORS(data []byte) (*corsConfiguration, error) {
	var c corsConfiguration
	if err := xml.Unmarshal(data, &c); err != nil {
		return nil, ErrMalformedXML
	}
	if len(c.Rules) == 0 || len(c.Rules) > maxCORSRules {
		return nil, ErrMalformedXML.WithMessage("A CORS configuration must have 1 to %d rules.", maxCORSRules)
	}
	for _, r := range c.Rules {
		if len(r.ID) > 255 {
			return nil, ErrInvalidArgument.WithMessage("A CORS rule ID must be at most 255 characters.")
		}
		if len(r.AllowedMethods) == 0 || len(r.AllowedOrigins) == 0 {
			return nil, ErrMalformedXML.WithMessage("Every CORS rule needs an AllowedMethod and an AllowedOrigin.")
		}
		for _, m := range r.AllowedMethods {
			if !slices.Contains(corsMethods, m) {
				return nil, ErrInvalidRequest.WithMessage("Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return nil, ErrInvalidRequest.WithMessage("AllowedOrigin %q can not have more than one wildcard.", o)
			}
		}
		for _, h := range r.AllowedHeaders {
			if strings.Count(h, "*") > 1 {
				return nil, ErrInvalidRequest.WithMessage("AllowedHeader %q can not have more than one wildcard.", h)
			}
		}
		if r.MaxAgeSeconds != nil && *r.MaxAgeSeconds < 0 {
			return nil, ErrMalformedXML.WithMessage("MaxAgeSeconds must not be negative.")
		}
	}
	return &c, nil
}

func (a *API) putBucketCors(req *request) error {
	cb, err := a.bucketConfigs("CORS")
	if err != nil {
		return err
	}
	var c corsConfiguration
	if err := readXML(req.Body, maxCORSConfigXML, &c); err != nil {
		return err
	}
	c.Xmlns = ""
	data, err := xml.Marshal(&c)
	if err != nil {
		return err
	}
	if _, err := parseCORS(data); err != nil {
		return err
	}
	if err := cb.PutBucketConfig(req.Context(), req.bucket, object.ConfigCORS, data); err != nil {
		return err
	}
	a.cors.forget(req.bucket)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) getBucketCors(req *request) error {
	cb, err := a.bucketConfigs("CORS")
	if err != nil {
		return err
	}
	data, err := cb.GetBucketConfig(req.Context(), req.bucket, object.ConfigCORS)
	if errors.Is(err, object.ErrNoSuchBucketConfig) {
		return ErrNoSuchCORSConfiguration
	}
	if err != nil {
		return err
	}
	c, err := parseCORS(data)
	if err != nil {
		return err
	}
	c.Xmlns = s3NS
	writeXML(req.w, http.StatusOK, c)
	return nil
}

func (a *API) deleteBucketCors(req *request) error {
	cb, err := a.bucketConfigs("CORS")
	if err != nil {
		return err
	}
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	if err := cb.DeleteBucketConfig(req.Context(), req.bucket, object.ConfigCORS); err != nil {
		return err
	}
	a.cors.forget(req.bucket)
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// corsEntry is a cached lookup: the bucket's rules (nil: none) and
// whether the bucket exists.
type corsEntry struct {
	c        *corsConfiguration
	noBucket bool
	loaded   time.Time
}

// corsCache holds parsed CORS configurations by bucket.
type corsCache struct {
	mu sync.Mutex
	m  map[string]corsEntry
}

func (c *corsCache) get(bucket string) (corsEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[bucket]
	if !ok || time.Since(e.loaded) > corsCacheTTL {
		return corsEntry{}, false
	}
	return e, true
}

func (c *corsCache) put(bucket string, e corsEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]corsEntry{}
	}
	if len(c.m) > 10000 {
		clear(c.m)
	}
	e.loaded = time.Now()
	c.m[bucket] = e
}

func (c *corsCache) forget(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, bucket)
}

// bucketCORS returns the bucket's CORS rules (nil when it has none or the
// backend keeps none) and whether the bucket is missing.
func (a *API) bucketCORS(ctx context.Context, bucket string) (corsEntry, error) {
	if e, ok := a.cors.get(bucket); ok {
		return e, nil
	}
	cb, ok := a.backend.(object.BucketConfigs)
	if !ok || !validBucketName(bucket) {
		return corsEntry{noBucket: ok}, nil
	}
	var e corsEntry
	data, err := cb.GetBucketConfig(ctx, bucket, object.ConfigCORS)
	switch {
	case errors.Is(err, object.ErrNoSuchBucketConfig):
	case errors.Is(err, object.ErrBucketNotFound), errors.Is(err, object.ErrInvalidBucketName):
		e.noBucket = true
	case err != nil:
		return e, err
	default:
		if e.c, err = parseCORS(data); err != nil {
			// Stored configurations were validated; one that no longer
			// parses allows nothing.
			a.log.ErrorContext(ctx, "stored CORS configuration does not parse", "bucket", bucket, "err", err)
			e.c = nil
		}
	}
	a.cors.put(bucket, e)
	return e, nil
}

// wildcardMatch reports whether s matches pattern, in which one '*'
// stands for any run of characters; letters compare case-insensitively.
func wildcardMatch(pattern, s string) bool {
	before, after, star := strings.Cut(pattern, "*")
	if !star {
		return strings.EqualFold(pattern, s)
	}
	return len(s) >= len(before)+len(after) &&
		strings.EqualFold(s[:len(before)], before) &&
		strings.EqualFold(s[len(s)-len(after):], after)
}

// match returns the first rule allowing origin, method and every header
// of headers, and the AllowedOrigin that matched.
func (c *corsConfiguration) match(origin, method string, headers []string) (*corsRule, string) {
	for i := range c.Rules {
		r := &c.Rules[i]
		if !slices.Contains(r.AllowedMethods, method) {
			continue
		}
		o := slices.IndexFunc(r.AllowedOrigins, func(p string) bool { return wildcardMatch(p, origin) })
		if o < 0 {
			continue
		}
		allowed := func(h string) bool {
			return slices.ContainsFunc(r.AllowedHeaders, func(p string) bool { return wildcardMatch(p, h) })
		}
		if !allSatisfy(headers, allowed) {
			continue
		}
		return r, r.AllowedOrigins[o]
	}
	return nil, ""
}

func allSatisfy(list []string, f func(string) bool) bool {
	for _, s := range list {
		if !f(s) {
			return false
		}
	}
	return true
}

// setCORSHeaders writes the Access-Control-* headers of rule r, matched by
// the AllowedOrigin pattern, for origin.
func setCORSHeaders(h http.Header, r *corsRule, pattern, origin string) {
	if pattern == "*" {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(r.AllowedMethods, ", "))
	if len(r.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(r.ExposeHeaders, ", "))
	}
	if r.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(*r.MaxAgeSeconds))
	}
	h.Add("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}

// applyCORS adds the Access-Control-* headers to the answer of an actual
// request (not a preflight) that carries Origin, when a rule of its bucket
// allows the origin and the method (Access-Control-Request-Method when
// the client sent one, as some do, else the request's). The headers are
// set before anything else runs, so error answers carry them too.
func (a *API) applyCORS(req *request) {
	origin := req.Header.Get("Origin")
	if origin == "" || req.bucket == "" {
		return
	}
	e, err := a.bucketCORS(req.Context(), req.bucket)
	if err != nil || e.c == nil {
		return
	}
	method := req.Header.Get("Access-Control-Request-Method")
	if method == "" {
		method = req.Method
	}
	if r, pattern := e.c.match(origin, method, nil); r != nil {
		setCORSHeaders(req.w.Header(), r, pattern, origin)
	}
}

// preflight answers an OPTIONS request: no authentication (browsers send
// none), the bucket's rules alone decide.
func (a *API) preflight(req *request) error {
	origin := req.Header.Get("Origin")
	if origin == "" {
		return errCORSNoOrigin
	}
	method := req.Header.Get("Access-Control-Request-Method")
	if !slices.Contains(corsMethods, method) {
		return &APIError{Code: "BadRequest", Message: "Invalid Access-Control-Request-Method: " + method, Status: http.StatusBadRequest}
	}
	if _, err := a.bucketConfigs("CORS"); err != nil {
		return err
	}
	e, err := a.bucketCORS(req.Context(), req.bucket)
	switch {
	case err != nil:
		return err
	case e.noBucket:
		return ErrNoSuchBucket
	case e.c == nil:
		return errCORSNotEnabled
	}
	var headers []string
	for _, v := range req.Header.Values("Access-Control-Request-Headers") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				headers = append(headers, strings.ToLower(h))
			}
		}
	}
	r, pattern := e.c.match(origin, method, headers)
	if r == nil {
		return errCORSNotAllowed
	}
	h := req.w.Header()
	setCORSHeaders(h, r, pattern, origin)
	if len(headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	}
	h.Set("Content-Length", "0")
	req.w.WriteHeader(http.StatusOK)
	return nil
}
