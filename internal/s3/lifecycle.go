package s3

import (
	"context"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// Bucket lifecycle (PutBucketLifecycleConfiguration, ...): a document kept
// with object.BucketConfigs under object.ConfigLifecycle. RunLifecycle
// applies its Expiration and AbortIncompleteMultipartUpload actions; the
// x-amz-expiration header of PUT, GET and HEAD reports when an object
// will expire. Transitions answer 501 (one storage class here).
// NoncurrentVersionExpiration and ExpiredObjectDeleteMarker are accepted
// and stored but not applied yet: they need object versions.
// TODO(versioning): apply them through the versioning backend interface
// once it exists.

// ErrNoSuchLifecycleConfiguration answers GetBucketLifecycleConfiguration
// of a bucket without one.
var ErrNoSuchLifecycleConfiguration = &APIError{Code: "NoSuchLifecycleConfiguration", Message: "The lifecycle configuration does not exist.", Status: http.StatusNotFound}

// Limits of a lifecycle configuration.
const (
	maxLifecycleRules = 1000
	maxLifecycleID    = 255
)

type lifecycleConfiguration struct {
	XMLName xml.Name `xml:"LifecycleConfiguration"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Rules   []lcRule `xml:"Rule"`
}

type lcRule struct {
	ID                             string              `xml:"ID,omitempty"`
	Prefix                         *string             `xml:"Prefix"`
	Filter                         *lcFilter           `xml:"Filter"`
	Status                         string              `xml:"Status"`
	Expiration                     *lcExpiration       `xml:"Expiration"`
	Transitions                    []lcTransition      `xml:"Transition"`
	NoncurrentVersionTransitions   []lcTransition      `xml:"NoncurrentVersionTransition"`
	NoncurrentVersionExpiration    *lcNoncurExpiration `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload *lcAbort            `xml:"AbortIncompleteMultipartUpload"`
}

type lcFilter struct {
	Prefix                *string `xml:"Prefix"`
	Tag                   *lcTag  `xml:"Tag"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
	And                   *lcAnd  `xml:"And"`
}

type lcAnd struct {
	Prefix                *string `xml:"Prefix"`
	Tags                  []lcTag `xml:"Tag"`
	ObjectSizeGreaterThan *int64  `xml:"ObjectSizeGreaterThan"`
	ObjectSizeLessThan    *int64  `xml:"ObjectSizeLessThan"`
}

type lcTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type lcExpiration struct {
	Days                      *int   `xml:"Days"`
	Date                      string `xml:"Date,omitempty"`
	ExpiredObjectDeleteMarker *bool  `xml:"ExpiredObjectDeleteMarker"`
}

type lcNoncurExpiration struct {
	NoncurrentDays          *int `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *int `xml:"NewerNoncurrentVersions"`
}

type lcAbort struct {
	DaysAfterInitiation *int `xml:"DaysAfterInitiation"`
}

// lcTransition is checked and then refused (one storage class here).
type lcTransition struct {
	Days           *int   `xml:"Days"`
	NoncurrentDays *int   `xml:"NoncurrentDays"`
	Date           string `xml:"Date"`
	StorageClass   string `xml:"StorageClass"`
}

// lcMatch is what a rule's filter selects.
type lcMatch struct {
	prefix           string
	tags             []lcTag
	sizeGT, sizeLT   int64 // 0: no bound
	hasGT, hasLT     bool
	needsObjectTags  bool
	expireAt         time.Time // Expiration Date
	expireDays       int
	abortDays        int
	id               string
	enabled          bool
	expiresDeleteMkr bool
}

func errLifecycle(format string, args ...any) error {
	return ErrInvalidArgument.WithMessage(format, args...)
}

// parseLifecycleDate accepts an ISO 8601 date or date-time at midnight UTC.
func parseLifecycleDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			if !t.Equal(t.UTC().Truncate(24 * time.Hour)) {
				return t, errLifecycle("'Date' must be at midnight GMT.")
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, errLifecycle("'Date' must be an ISO 8601 date at midnight GMT.")
}

// validateLifecycle checks cfg as S3 does and returns its rules' matches;
// it gives rules without an ID a random one.
func validateLifecycle(cfg *lifecycleConfiguration) ([]lcMatch, error) {
	if len(cfg.Rules) == 0 {
		return nil, ErrMalformedXML.WithMessage("A lifecycle configuration needs at least one Rule.")
	}
	if len(cfg.Rules) > maxLifecycleRules {
		return nil, ErrMalformedXML.WithMessage("A lifecycle configuration has at most %d rules.", maxLifecycleRules)
	}
	ids := map[string]bool{}
	var out []lcMatch
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		if r.ID == "" {
			r.ID = randomRuleID()
		}
		if len(r.ID) > maxLifecycleID {
			return nil, errLifecycle("ID length should not exceed allowed limit of %d", maxLifecycleID)
		}
		if ids[r.ID] {
			return nil, errLifecycle("Rule ID must be unique. Found same ID for more than one rule")
		}
		ids[r.ID] = true
		m := lcMatch{id: r.ID}
		switch r.Status {
		case "Enabled":
			m.enabled = true
		case "Disabled":
		default:
			return nil, ErrMalformedXML.WithMessage("The Status of a lifecycle rule must be Enabled or Disabled.")
		}
		if r.Prefix != nil && r.Filter != nil {
			return nil, ErrMalformedXML.WithMessage("A lifecycle rule has either a Prefix or a Filter, not both.")
		}
		if r.Prefix != nil {
			m.prefix = *r.Prefix
		}
		if f := r.Filter; f != nil {
			n := 0
			for _, set := range []bool{f.Prefix != nil, f.Tag != nil, f.ObjectSizeGreaterThan != nil, f.ObjectSizeLessThan != nil, f.And != nil} {
				if set {
					n++
				}
			}
			if n > 1 {
				return nil, ErrMalformedXML.WithMessage("A lifecycle Filter holds one of Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan or And.")
			}
			prefix, tags, gt, lt := f.Prefix, []lcTag(nil), f.ObjectSizeGreaterThan, f.ObjectSizeLessThan
			if f.Tag != nil {
				tags = []lcTag{*f.Tag}
			}
			if a := f.And; a != nil {
				prefix, tags, gt, lt = a.Prefix, a.Tags, a.ObjectSizeGreaterThan, a.ObjectSizeLessThan
			}
			if prefix != nil {
				m.prefix = *prefix
			}
			m.tags = tags
			m.needsObjectTags = len(tags) > 0
			if gt != nil {
				if *gt < 0 {
					return nil, errLifecycle("'ObjectSizeGreaterThan' must be a non-negative integer.")
				}
				m.sizeGT, m.hasGT = *gt, true
			}
			if lt != nil {
				if *lt <= 0 {
					return nil, errLifecycle("'ObjectSizeLessThan' must be a positive integer.")
				}
				m.sizeLT, m.hasLT = *lt, true
			}
			if m.hasGT && m.hasLT && m.sizeGT >= m.sizeLT {
				return nil, errLifecycle("ObjectSizeGreaterThan must be less than ObjectSizeLessThan.")
			}
		}
		actions := 0
		if e := r.Expiration; e != nil {
			actions++
			n := 0
			if e.Days != nil {
				n++
				if *e.Days <= 0 {
					return nil, errLifecycle("'Days' for Expiration action must be a positive integer")
				}
				m.expireDays = *e.Days
			}
			if e.Date != "" {
				n++
				t, err := parseLifecycleDate(e.Date)
				if err != nil {
					return nil, err
				}
				m.expireAt = t
			}
			if e.ExpiredObjectDeleteMarker != nil {
				n++
				if m.needsObjectTags {
					return nil, errLifecycle("ExpiredObjectDeleteMarker cannot be specified with tags.")
				}
				m.expiresDeleteMkr = *e.ExpiredObjectDeleteMarker
			}
			if n != 1 {
				return nil, ErrMalformedXML.WithMessage("An Expiration action holds exactly one of Days, Date or ExpiredObjectDeleteMarker.")
			}
		}
		for _, tr := range append(slices.Clone(r.Transitions), r.NoncurrentVersionTransitions...) {
			if tr.Date != "" {
				if _, err := parseLifecycleDate(tr.Date); err != nil {
					return nil, err
				}
			}
			if tr.Days != nil && *tr.Days < 0 || tr.NoncurrentDays != nil && *tr.NoncurrentDays < 0 {
				return nil, errLifecycle("'Days' for Transition action must be a non-negative integer")
			}
		}
		if len(r.Transitions) > 0 || len(r.NoncurrentVersionTransitions) > 0 {
			return nil, ErrNotImplemented.WithMessage("Lifecycle transitions are not implemented by this server: it has one storage class, STANDARD.")
		}
		if e := r.NoncurrentVersionExpiration; e != nil {
			actions++
			if e.NoncurrentDays == nil || *e.NoncurrentDays <= 0 {
				return nil, errLifecycle("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
			}
			if e.NewerNoncurrentVersions != nil && *e.NewerNoncurrentVersions <= 0 {
				return nil, errLifecycle("'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer")
			}
		}
		if a := r.AbortIncompleteMultipartUpload; a != nil {
			actions++
			if a.DaysAfterInitiation == nil || *a.DaysAfterInitiation <= 0 {
				return nil, errLifecycle("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
			}
			if m.needsObjectTags || m.hasGT || m.hasLT {
				return nil, errLifecycle("AbortIncompleteMultipartUpload cannot be specified with tags or object size filters.")
			}
			m.abortDays = *a.DaysAfterInitiation
		}
		if actions == 0 {
			return nil, ErrInvalidRequest.WithMessage("At least one action needs to be specified in a rule.")
		}
		out = append(out, m)
	}
	return out, nil
}

func randomRuleID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func (a *API) putBucketLifecycle(req *request) error {
	bc, err := a.bucketConfigs("Bucket lifecycle")
	if err != nil {
		return err
	}
	var cfg lifecycleConfiguration
	if err := readXML(req.Body, 4<<20, &cfg); err != nil {
		return err
	}
	if _, err := validateLifecycle(&cfg); err != nil {
		return err
	}
	cfg.Xmlns = s3NS
	doc, err := xml.Marshal(cfg)
	if err != nil {
		return err
	}
	if err := bc.PutBucketConfig(req.Context(), req.bucket, object.ConfigLifecycle, doc); err != nil {
		return err
	}
	a.lifecycles.forget(req.bucket)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) getBucketLifecycle(req *request) error {
	doc, err := a.bucketConfigDoc(req, "Bucket lifecycle", object.ConfigLifecycle, ErrNoSuchLifecycleConfiguration)
	if err != nil {
		return err
	}
	var cfg lifecycleConfiguration
	if err := xml.Unmarshal(doc, &cfg); err != nil {
		return err
	}
	cfg.Xmlns = s3NS
	writeXML(req.w, http.StatusOK, cfg)
	return nil
}

func (a *API) deleteBucketLifecycle(req *request) error {
	a.lifecycles.forget(req.bucket)
	return a.deleteBucketConfigDoc(req, "Bucket lifecycle", object.ConfigLifecycle)
}

// lifecycleRules returns the bucket's parsed rules (nil for none), cached
// for policyCacheTTL.
func (a *API) lifecycleRules(ctx context.Context, bucket string) ([]lcMatch, error) {
	if m, ok := a.lifecycles.get(bucket); ok {
		return m, nil
	}
	bc, ok := a.backend.(object.BucketConfigs)
	if !ok {
		return nil, nil
	}
	doc, err := bc.GetBucketConfig(ctx, bucket, object.ConfigLifecycle)
	switch {
	case errors.Is(err, object.ErrNoSuchBucketConfig), errors.Is(err, object.ErrBucketNotFound):
		a.lifecycles.put(bucket, nil)
		return nil, nil
	case err != nil:
		return nil, err
	}
	var cfg lifecycleConfiguration
	if err := xml.Unmarshal(doc, &cfg); err != nil {
		return nil, err
	}
	rules, err := validateLifecycle(&cfg)
	if err != nil {
		return nil, fmt.Errorf("s3: stored lifecycle of %s: %v", bucket, err)
	}
	a.lifecycles.put(bucket, rules)
	return rules, nil
}

// matches reports whether the rule selects an object (tag filters select
// nothing yet: objects have no tags here). TODO(tagging): match the
// object's tags once objects have them.
func (m *lcMatch) matches(key string, size int64) bool {
	return m.enabled && !m.needsObjectTags && strings.HasPrefix(key, m.prefix) &&
		(!m.hasGT || size > m.sizeGT) && (!m.hasLT || size < m.sizeLT)
}

// after returns when n lifecycle days after t have passed: with S3's
// 24-hour day, the next midnight UTC after t + n days; with the shorter
// day of tests, t + n days exactly.
func (a *API) after(t time.Time, n int) time.Time {
	if a.lifecycleDay > 0 && a.lifecycleDay != 24*time.Hour {
		return t.Add(time.Duration(n) * a.lifecycleDay)
	}
	return dayAfter(t, n)
}

// dayAfter is t + n days rounded up to the next midnight UTC, as S3
// computes expiry dates.
func dayAfter(t time.Time, n int) time.Time {
	d := t.UTC().Add(time.Duration(n) * 24 * time.Hour)
	if mid := d.Truncate(24 * time.Hour); !mid.Equal(d) {
		return mid.Add(24 * time.Hour)
	}
	return d
}

// setExpirationHeader sets x-amz-expiration for an object the bucket's
// lifecycle will expire: the earliest expiry of the enabled rules that
// select it, in 24-hour days as S3 reports it.
func (a *API) setExpirationHeader(req *request, info object.ObjectInfo) {
	rules, err := a.lifecycleRules(req.Context(), req.bucket)
	if err != nil || len(rules) == 0 {
		return
	}
	var best time.Time
	id := ""
	for _, m := range rules {
		if !m.matches(info.Key, info.Size) {
			continue
		}
		var t time.Time
		switch {
		case m.expireDays > 0:
			t = dayAfter(info.ModTime, m.expireDays)
		case !m.expireAt.IsZero():
			t = m.expireAt
		default:
			continue
		}
		if id == "" || t.Before(best) {
			best, id = t, m.id
		}
	}
	if id != "" {
		req.w.Header().Set("X-Amz-Expiration", fmt.Sprintf(`expiry-date="%s", rule-id="%s"`, best.UTC().Format(http.TimeFormat), id))
	}
}

// RunLifecycle applies every bucket's lifecycle rules once, as of now:
// it deletes the objects an Expiration selects and aborts the multipart
// uploads an AbortIncompleteMultipartUpload selects. Several servers may
// run it on the same data at once: deleting what is already gone is
// harmless, and an object is checked again just before it is deleted.
func (a *API) RunLifecycle(ctx context.Context, now time.Time) error {
	if _, ok := a.backend.(object.BucketConfigs); !ok {
		return nil
	}
	buckets, err := a.backend.ListBuckets(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range buckets {
		a.lifecycles.forget(b.Name)
		rules, err := a.lifecycleRules(ctx, b.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, m := range rules {
			if err := a.applyRule(ctx, b.Name, m, now); err != nil && !errors.Is(err, object.ErrBucketNotFound) {
				errs = append(errs, fmt.Errorf("bucket %s rule %s: %w", b.Name, m.id, err))
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

func (a *API) applyRule(ctx context.Context, bucket string, m lcMatch, now time.Time) error {
	if !m.enabled || m.needsObjectTags {
		return nil
	}
	if m.expireDays > 0 || !m.expireAt.IsZero() {
		expired := func(o object.ObjectInfo) bool {
			if !m.matches(o.Key, o.Size) {
				return false
			}
			if m.expireDays > 0 {
				return !now.Before(a.after(o.ModTime, m.expireDays))
			}
			return !now.Before(m.expireAt)
		}
		after := ""
		for {
			res, err := a.backend.ListObjects(ctx, bucket, object.ListOptions{Prefix: m.prefix, After: after, MaxKeys: 1000})
			if err != nil {
				return err
			}
			// Rules see plaintext sizes; the checks below compare what the
			// backend stores (an SSE-S3 object's listed ETag is its
			// plaintext MD5, not the stored one).
			stored := slices.Clone(res.Objects)
			if err := a.plainListing(ctx, res.Objects); err != nil {
				return err
			}
			for i, o := range res.Objects {
				if !expired(o) {
					continue
				}
				// Checked again: a newer object under the key is not expired.
				raw := stored[i]
				if cur, err := a.backend.HeadObject(ctx, bucket, raw.Key); err != nil || cur.ETag != raw.ETag || !cur.ModTime.Equal(raw.ModTime) {
					continue
				}
				if err := a.expire(ctx, bucket, raw); err != nil {
					return err
				}
			}
			if !res.IsTruncated {
				break
			}
			after = res.NextAfter
		}
	}
	if m.abortDays > 0 {
		opts := object.ListUploadsOptions{Prefix: m.prefix, MaxUploads: 1000}
		for {
			res, err := a.backend.ListMultipartUploads(ctx, bucket, opts)
			if err != nil {
				return err
			}
			for _, u := range res.Uploads {
				if now.Before(a.after(u.Initiated, m.abortDays)) {
					continue
				}
				if err := a.backend.AbortMultipartUpload(ctx, bucket, u.Key, u.UploadID); err != nil && !errors.Is(err, object.ErrUploadNotFound) {
					return err
				}
			}
			if !res.IsTruncated {
				break
			}
			opts.KeyMarker, opts.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
		}
	}
	return nil
}

// lifecycleCache holds parsed lifecycle rules per bucket.
type lifecycleCache struct {
	mu sync.Mutex
	m  map[string]cachedLifecycle
}

type cachedLifecycle struct {
	rules  []lcMatch
	loaded time.Time
}

func (c *lifecycleCache) get(bucket string) ([]lcMatch, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[bucket]
	if !ok || time.Since(e.loaded) > policyCacheTTL {
		return nil, false
	}
	return e.rules, true
}

func (c *lifecycleCache) put(bucket string, rules []lcMatch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]cachedLifecycle{}
	}
	c.m[bucket] = cachedLifecycle{rules: rules, loaded: time.Now()}
}

func (c *lifecycleCache) forget(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, bucket)
}

// expire deletes an expired current object as a DeleteObject would: on a
// versioned bucket by adding a delete marker (the version stays, for
// NoncurrentVersionExpiration to remove), and only while the object is
// still the one found expired (If-Match on its ETag, atomic with the
// delete where the backend can).
func (a *API) expire(ctx context.Context, bucket string, o object.ObjectInfo) error {
	cw, ok := a.backend.(object.ConditionalWriter)
	if !ok {
		err := a.backend.DeleteObject(ctx, bucket, o.Key)
		if errors.Is(err, object.ErrObjectNotFound) {
			return nil
		}
		return err
	}
	state, err := a.versioningOf(ctx, bucket)
	if err != nil {
		return err
	}
	_, err = cw.DeleteObjectWith(ctx, bucket, o.Key, object.DeleteOptions{Versioning: state, IfMatch: `"` + o.ETag + `"`})
	if errors.Is(err, object.ErrObjectNotFound) || errors.Is(err, object.ErrPreconditionFailed) {
		return nil // gone, or replaced since the listing: not expired
	}
	return err
}
