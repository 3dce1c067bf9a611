package s3

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/object"
)

// resourceARN names a bucket or object as IAM policies do.
func resourceARN(bucket, key string) string {
	switch {
	case bucket == "":
		return "arn:aws:s3:::*"
	case key == "":
		return "arn:aws:s3:::" + bucket
	}
	return "arn:aws:s3:::" + bucket + "/" + key
}

// authorize asks the IAM service whether the request's caller may perform
// action on the bucket or object, with the bucket's policy as the
// resource policy. The IAM service alone decides (iam.Service.Authorize):
// this only gathers the request's condition keys.
func (a *API) authorize(req *request, action, bucketName, key string) error {
	if err := httpx.CheckConditionHeaders(req.Request); err != nil {
		return ErrInvalidArgument.WithMessage("%s", strings.TrimPrefix(err.Error(), "httpx: "))
	}
	var rp *policy.Policy
	if bucketName != "" {
		var err error
		if rp, err = a.bucketPolicy(req.Context(), bucketName); err != nil {
			return err
		}
		if rp != nil && req.id.Anonymous && a.restrictsPublic(req.Context(), bucketName) {
			rp = nil // RestrictPublicBuckets (publicaccess.go)
		}
	}
	ar := &iam.Request{Principal: req.id, Action: action, Resource: resourceARN(bucketName, key), ResourcePolicy: rp,
		Lazy: func() map[string][]string { return a.conditions(req, action, bucketName, key, rp) }}
	if err := a.iam.Authorize(req.Context(), ar); err != nil {
		return ErrAccessDenied
	}
	return nil
}

// conditions builds the condition context of a request: the global aws:
// keys of the HTTP request and the s3: keys of the action.
func (a *API) conditions(req *request, action, bucket, key string, rp *policy.Policy) map[string][]string {
	c := httpx.ConditionKeys(req.Request, time.Now())
	set := func(key, v string) {
		if v != "" {
			c[key] = []string{v}
		}
	}
	if req.sig != nil {
		c["s3:signatureversion"] = []string{"AWS4-HMAC-SHA256"}
		if req.sig.PostV2 {
			c["s3:signatureversion"] = []string{"AWS"} // a SigV2 browser form (postobject.go)
		}
		if req.sig.Presigned {
			c["s3:authtype"] = []string{"REST-QUERY-STRING"}
		} else {
			c["s3:authtype"] = []string{"REST-HEADER"}
		}
		set("s3:x-amz-content-sha256", req.sig.PayloadHash)
		if req.sig.Post {
			// A browser form (postobject.go), whose fields may have
			// replaced the request's Content-Type.
			c["s3:authtype"] = []string{"POST"}
		}
	}
	switch action {
	case "s3:GetObjectVersion", "s3:DeleteObjectVersion", "s3:PutObjectRetention", "s3:GetObjectRetention",
		"s3:PutObjectLegalHold", "s3:GetObjectLegalHold":
		set("s3:versionid", req.query.Get("versionId"))
	}
	switch action {
	case "s3:ListBucket", "s3:ListBucketVersions":
		for _, k := range []string{"prefix", "delimiter", "max-keys"} {
			if v, ok := req.query[k]; ok && len(v) > 0 {
				c["s3:"+k] = v[:1]
			}
		}
	case "s3:PutObject":
		for _, h := range []string{"x-amz-acl", "x-amz-storage-class", "x-amz-server-side-encryption",
			"x-amz-metadata-directive", "x-amz-copy-source"} {
			set("s3:"+h, req.Header.Get(h))
		}
	}
	a.tagConditions(req, action, bucket, key, rp, c)
	return c
}

// policyCacheTTL bounds how long a bucket policy read from the backend is
// trusted before it is read again (changes made through this server take
// effect at once; the TTL covers changes by other nodes sharing the data).
const policyCacheTTL = 2 * time.Second

type cachedPolicy struct {
	p      *policy.Policy // nil: the bucket has no policy
	loaded time.Time
}

// policyCache holds parsed bucket policies.
type policyCache struct {
	mu sync.Mutex
	m  map[string]cachedPolicy
}

func (c *policyCache) get(bucket string) (cachedPolicy, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[bucket]
	if !ok || time.Since(e.loaded) > policyCacheTTL {
		return cachedPolicy{}, false
	}
	return e, true
}

func (c *policyCache) put(bucket string, p *policy.Policy) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedPolicy{}
	}
	if len(c.m) > 10000 {
		clear(c.m)
	}
	c.m[bucket] = cachedPolicy{p: p, loaded: time.Now()}
}

func (c *policyCache) forget(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, bucket)
}

// bucketPolicy returns the bucket's parsed policy, or nil when it has none
// (or the bucket does not exist: the handler reports that).
func (a *API) bucketPolicy(ctx context.Context, bucket string) (*policy.Policy, error) {
	if e, ok := a.policies.get(bucket); ok {
		return e.p, nil
	}
	data, err := a.backend.GetBucketPolicy(ctx, bucket)
	switch {
	case errors.Is(err, object.ErrNoSuchBucketPolicy), errors.Is(err, object.ErrBucketNotFound),
		errors.Is(err, object.ErrInvalidBucketName):
		a.policies.put(bucket, nil)
		return nil, nil
	case err != nil:
		return nil, err
	}
	p, err := policy.ParseBucketPolicy(data, bucket)
	if err != nil {
		// Stored policies were validated; one that no longer parses grants nothing.
		a.log.ErrorContext(ctx, "stored bucket policy does not parse", "bucket", bucket, "err", err)
		p = nil
	}
	a.policies.put(bucket, p)
	return p, nil
}
