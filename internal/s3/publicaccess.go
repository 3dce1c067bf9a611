package s3

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// ErrNoSuchPublicAccessBlock answers GetPublicAccessBlock of a bucket
// without one.
var ErrNoSuchPublicAccessBlock = &APIError{Code: "NoSuchPublicAccessBlockConfiguration", Message: "The public access block configuration was not found.", Status: http.StatusNotFound}

const publicAccessWhat = "The public access block"

// publicAccessBlock is the document of the ?publicAccessBlock sub-resource.
// What each setting does here:
//   - BlockPublicAcls: a public canned ACL (public-read, ...) is refused
//     with AccessDenied instead of AccessControlListNotSupported.
//   - IgnorePublicAcls: nothing to do, no ACL grants anything.
//   - BlockPublicPolicy: PutBucketPolicy of a public policy is AccessDenied.
//   - RestrictPublicBuckets: anonymous callers get nothing from the
//     bucket policy; callers of this server's only account keep their
//     access, as in S3.
type publicAccessBlock struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	Xmlns                 string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

// publicAccessBlock returns the bucket's public access block: all false
// when it has none or the backend keeps no bucket configurations.
func (a *API) publicAccessBlock(req *request) (publicAccessBlock, error) {
	return a.loadPublicAccessBlock(req.Context(), req.bucket)
}

func (a *API) loadPublicAccessBlock(ctx context.Context, bucket string) (publicAccessBlock, error) {
	var pab publicAccessBlock
	cb, ok := a.backend.(object.BucketConfigs)
	if !ok {
		return pab, nil
	}
	doc, err := cb.GetBucketConfig(ctx, bucket, object.ConfigPublicAccessBlock)
	switch {
	case errors.Is(err, object.ErrNoSuchBucketConfig), errors.Is(err, object.ErrBucketNotFound),
		errors.Is(err, object.ErrInvalidBucketName):
		return pab, nil
	case err != nil:
		return pab, err
	}
	if err := xml.Unmarshal(doc, &pab); err != nil {
		// Stored documents were validated: fail closed.
		return publicAccessBlock{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}, nil
	}
	return pab, nil
}

func (a *API) getPublicAccessBlock(req *request) error {
	return a.serveConfig(req, object.ConfigPublicAccessBlock, publicAccessWhat, ErrNoSuchPublicAccessBlock)
}

func (a *API) putPublicAccessBlock(req *request) error {
	if _, err := a.bucketConfigs(publicAccessWhat); err != nil {
		return err
	}
	var pab publicAccessBlock
	if err := readXML(req.Body, maxConfigBody, &pab); err != nil {
		return err
	}
	pab.Xmlns = s3NS
	defer a.restricted.forget(req.bucket)
	return a.putConfig(req, object.ConfigPublicAccessBlock, publicAccessWhat, pab, http.StatusOK)
}

func (a *API) deletePublicAccessBlock(req *request) error {
	err := a.deleteConfig(req, object.ConfigPublicAccessBlock, publicAccessWhat)
	a.restricted.forget(req.bucket)
	return err
}

// restrictCache remembers, per bucket, whether its public access block
// sets RestrictPublicBuckets, so that anonymous requests do not read it
// each time. Entries live policyCacheTTL, as bucket policies do.
type restrictCache struct {
	mu sync.Mutex
	m  map[string]restrictEntry
}

type restrictEntry struct {
	restrict bool
	loaded   time.Time
}

func (c *restrictCache) forget(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, bucket)
}

// restrictsPublic reports whether anonymous callers must get nothing from
// bucket's policy (RestrictPublicBuckets). An error reading the setting
// restricts: the check fails closed.
func (a *API) restrictsPublic(ctx context.Context, bucket string) bool {
	c := &a.restricted
	c.mu.Lock()
	e, ok := c.m[bucket]
	c.mu.Unlock()
	if ok && time.Since(e.loaded) <= policyCacheTTL {
		return e.restrict
	}
	pab, err := a.loadPublicAccessBlock(ctx, bucket)
	restrict := err != nil || pab.RestrictPublicBuckets
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]restrictEntry{}
	}
	c.m[bucket] = restrictEntry{restrict: restrict, loaded: time.Now()}
	return restrict
}

// checkPublicPolicy refuses a public bucket policy under a public access
// block's BlockPublicPolicy, as S3 does, with AccessDenied.
func (a *API) checkPublicPolicy(req *request, doc []byte) error {
	if !policyIsPublic(doc) {
		return nil
	}
	pab, err := a.publicAccessBlock(req)
	if err != nil {
		return err
	}
	if pab.BlockPublicPolicy {
		return ErrAccessDenied.WithMessage("Access Denied: the bucket's public access block refuses public bucket policies.")
	}
	return nil
}

// policyStatus is the document of GetBucketPolicyStatus.
type policyStatus struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	Xmlns    string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

// getBucketPolicyStatus answers whether the bucket's policy is public. A
// bucket without a policy is not public (ACLs grant nothing here).
func (a *API) getBucketPolicyStatus(req *request) error {
	doc, err := a.backend.GetBucketPolicy(req.Context(), req.bucket)
	if err != nil && !errors.Is(err, object.ErrNoSuchBucketPolicy) {
		return err
	}
	writeXML(req.w, http.StatusOK, policyStatus{Xmlns: s3NS, IsPublic: err == nil && policyIsPublic(doc)})
	return nil
}

// fixedConditionKeys are the condition keys that, compared with fixed
// values, confine an Allow statement to known callers: S3 does not call a
// policy so restricted public. Lower case.
var fixedConditionKeys = map[string]bool{
	"aws:sourceip": true, "aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
	"aws:sourceaccount": true, "aws:sourceowner": true, "aws:principalorgid": true,
	"aws:principalaccount": true, "aws:principalarn": true, "aws:principalorgpaths": true,
	"aws:userid": true, "s3:dataaccesspointarn": true, "s3:dataaccesspointaccount": true,
}

// policyIsPublic reports whether a bucket policy is public as S3 defines
// it: an Allow statement grants to every principal ("*", {"AWS": "*"})
// without a condition that fixes the caller's address, network, account
// or identity (fixedConditionKeys with values free of wildcards, under a
// non-negated operator). A policy that does not parse is not public: it
// was not accepted.
func policyIsPublic(doc []byte) bool {
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal(doc, &p) != nil {
		return false
	}
	type statement struct {
		Effect    string
		Principal json.RawMessage
		Condition map[string]map[string]json.RawMessage
	}
	var stmts []statement
	if json.Unmarshal(p.Statement, &stmts) != nil {
		var one statement
		if json.Unmarshal(p.Statement, &one) != nil {
			return false
		}
		stmts = []statement{one}
	}
	for _, s := range stmts {
		if s.Effect == "Allow" && principalIsEveryone(s.Principal) && !conditionFixesCaller(s.Condition) {
			return true
		}
	}
	return false
}

// principalIsEveryone reports whether a Principal element names every
// principal: "*", or "*" among its AWS (or CanonicalUser) values.
func principalIsEveryone(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	for k, v := range m {
		if k != "AWS" && k != "CanonicalUser" {
			continue
		}
		for _, x := range stringList(v) {
			if x == "*" {
				return true
			}
		}
	}
	return false
}

// conditionFixesCaller reports whether a Condition element fixes who the
// caller is (see policyIsPublic).
func conditionFixesCaller(cond map[string]map[string]json.RawMessage) bool {
	for op, keys := range cond {
		lop := strings.ToLower(op)
		if strings.Contains(lop, "not") || strings.HasSuffix(lop, "ifexists") || strings.HasPrefix(lop, "null") {
			continue
		}
		for k, v := range keys {
			if !fixedConditionKeys[strings.ToLower(k)] {
				continue
			}
			vals := stringList(v)
			fixed := len(vals) > 0
			for _, x := range vals {
				if strings.ContainsAny(x, "*?") || x == "0.0.0.0/0" || x == "::/0" {
					fixed = false
				}
			}
			if fixed {
				return true
			}
		}
	}
	return false
}

// stringList decodes a JSON string or list of strings.
func stringList(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var list []string
	_ = json.Unmarshal(raw, &list)
	return list
}
