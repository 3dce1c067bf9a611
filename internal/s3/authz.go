package s3

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/object"
)

// Authorizer decides what an identity's own policies say about a request.
type Authorizer interface {
	// Decide returns Deny if a policy of the identity denies args, Allow if
	// one allows it, NotApplicable otherwise.
	Decide(ctx context.Context, id auth.Identity, args *policy.Args) policy.Decision
}

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

// principalARN is the caller as bucket policies name it; "" for anonymous.
func principalARN(id auth.Identity) string {
	switch {
	case id.Anonymous:
		return ""
	case id.Root:
		return iam.RootARN
	}
	return id.ARN()
}

// authorize decides whether the request's identity may perform action on
// the bucket or object, evaluating its identity policies together with the bucket's
// policy as AWS does within one account: an explicit Deny in either wins,
// otherwise an Allow in either grants. Root may do everything. With an
// exclusive authorizer (OPA), only its answer counts, for every caller.
func (a *API) authorize(req *request, action, bucketName, key string) error {
	if req.id.Root && !a.exclusive {
		return nil
	}
	args := &policy.Args{
		Action:     action,
		Resource:   resourceARN(bucketName, key),
		Principal:  principalARN(req.id),
		Conditions: a.conditions(req, action),
	}
	if a.exclusive {
		if a.authz.Decide(req.Context(), req.id, args) != policy.Allow {
			return ErrAccessDenied
		}
		return nil
	}
	identity := policy.NotApplicable
	if !req.id.Anonymous && a.authz != nil {
		identity = a.authz.Decide(req.Context(), req.id, args)
	}
	if identity == policy.Deny {
		return ErrAccessDenied
	}
	bucket := policy.NotApplicable
	if bucketName != "" {
		bp, err := a.bucketPolicy(req.Context(), bucketName)
		if err != nil {
			return err
		}
		if bp != nil {
			bucket = bp.Evaluate(args)
		}
	}
	if bucket == policy.Deny || (identity != policy.Allow && bucket != policy.Allow) {
		return ErrAccessDenied
	}
	return nil
}

// conditions builds the condition context of a request: the global aws:
// keys and the s3: keys of the action.
func (a *API) conditions(req *request, action string) map[string][]string {
	now := time.Now().UTC()
	c := map[string][]string{
		"aws:currenttime":     {now.Format(time.RFC3339)},
		"aws:epochtime":       {strconv.FormatInt(now.Unix(), 10)},
		"aws:securetransport": {strconv.FormatBool(req.TLS != nil)},
	}
	if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
		c["aws:sourceip"] = []string{host}
	}
	set := func(key, v string) {
		if v != "" {
			c[key] = []string{v}
		}
	}
	set("aws:useragent", req.UserAgent())
	set("aws:referer", req.Referer())
	switch {
	case req.id.Anonymous:
		c["aws:principaltype"] = []string{"Anonymous"}
	case req.id.Root:
		c["aws:principaltype"] = []string{"Account"}
	default:
		c["aws:principaltype"] = []string{"User"}
		set("aws:username", req.id.User)
		set("aws:userid", req.id.UserID)
	}
	if s := req.id.Session; s != nil {
		// Sessions act for their parent user, whose name policy variables
		// keep resolving to (as MinIO does); claims feed ${jwt:...}.
		c["aws:principaltype"] = []string{"AssumedRole"}
		c["aws:tokenissuetime"] = []string{s.Issued.UTC().Format(time.RFC3339)}
		for k, v := range s.Claims {
			c["jwt:"+strings.ToLower(k)] = v
		}
	}
	if req.sig != nil {
		c["s3:signatureversion"] = []string{"AWS4-HMAC-SHA256"}
		if req.sig.Presigned {
			c["s3:authtype"] = []string{"REST-QUERY-STRING"}
		} else {
			c["s3:authtype"] = []string{"REST-HEADER"}
		}
		set("s3:x-amz-content-sha256", req.sig.PayloadHash)
	}
	switch action {
	case "s3:ListBucket":
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
		a.log.Error("stored bucket policy does not parse", "bucket", bucket, "err", err)
		p = nil
	}
	a.policies.put(bucket, p)
	return p, nil
}
