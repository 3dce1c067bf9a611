package s3

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/object"
)

// Tag limits, as S3 sets them.
const (
	maxObjectTags  = 10
	maxBucketTags  = 50
	maxTagKeyLen   = 128 // UTF-16 code units
	maxTagValueLen = 256
)

// Tagging errors.
var (
	ErrInvalidTag   = &APIError{Code: "InvalidTag", Message: "The tag provided was not a valid tag.", Status: http.StatusBadRequest}
	ErrNoSuchTagSet = &APIError{Code: "NoSuchTagSet", Message: "The TagSet does not exist.", Status: http.StatusNotFound}
)

// tagging is the XML document of PutObjectTagging, GetObjectTagging and
// their bucket counterparts.
type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []xmlTag `xml:"TagSet>Tag"`
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

func (t tagging) tags() []object.Tag {
	out := make([]object.Tag, len(t.TagSet))
	for i, x := range t.TagSet {
		out[i] = object.Tag{Key: x.Key, Value: x.Value}
	}
	return out
}

func taggingDoc(tags []object.Tag) tagging {
	t := tagging{Xmlns: s3NS, TagSet: make([]xmlTag, len(tags))}
	for i, x := range tags {
		t.TagSet[i] = xmlTag{Key: x.Key, Value: x.Value}
	}
	return t
}

// checkTags validates a tag set against S3's rules (at most max tags, keys
// of 1 to 128 and values of at most 256 UTF-16 units, letters, digits,
// white space and "+-=._:/@" only, no "aws:" key prefix, no key twice)
// and returns it sorted by key, the order it is read back in.
func checkTags(tags []object.Tag, max int, what string) ([]object.Tag, error) {
	if len(tags) > max {
		return nil, ErrInvalidTag.WithMessage("%s tags cannot be greater than %d.", what, max)
	}
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		switch {
		case t.Key == "" || utf16Len(t.Key) > maxTagKeyLen:
			return nil, ErrInvalidTag.WithMessage("The TagKey you have provided is invalid: it must be 1 to %d characters long.", maxTagKeyLen)
		case utf16Len(t.Value) > maxTagValueLen:
			return nil, ErrInvalidTag.WithMessage("The TagValue you have provided is too long: the limit is %d characters.", maxTagValueLen)
		case !validTagText(t.Key):
			return nil, ErrInvalidTag.WithMessage("The TagKey you have provided is invalid.")
		case !validTagText(t.Value):
			return nil, ErrInvalidTag.WithMessage("The TagValue you have provided is invalid.")
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return nil, ErrInvalidTag.WithMessage("Your TagKey cannot be prefixed with aws:")
		case seen[t.Key]:
			return nil, ErrInvalidTag.WithMessage("Cannot provide multiple Tags with the same key.")
		}
		seen[t.Key] = true
	}
	out := slices.Clone(tags)
	slices.SortFunc(out, func(a, b object.Tag) int { return strings.Compare(a.Key, b.Key) })
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// validTagText reports whether s holds only what S3 allows in a tag:
// letters, digits, white space and + - = . _ : / @.
func validTagText(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsNumber(r) && !unicode.IsSpace(r) &&
			!strings.ContainsRune("+-=._:/@", r) {
			return false
		}
	}
	return true
}

// parseTaggingHeader parses x-amz-tagging: URL-encoded "k1=v1&k2", in
// which a key without "=" has an empty value.
func parseTaggingHeader(v string) ([]object.Tag, error) {
	var tags []object.Tag
	for pair := range strings.SplitSeq(v, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			return nil, ErrInvalidArgument.WithMessage("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
		}
		tags = append(tags, object.Tag{Key: key, Value: value})
	}
	return checkTags(tags, maxObjectTags, "Object")
}

// requestTags returns the tags of an object write's x-amz-tagging header
// (nil when absent); a header given twice is refused.
func requestTags(req *request) ([]object.Tag, bool, error) {
	vals := values(req.amz, "X-Amz-Tagging")
	switch len(vals) {
	case 0:
		return nil, false, nil
	case 1:
		tags, err := parseTaggingHeader(vals[0])
		return tags, true, err
	}
	return nil, true, ErrInvalidArgument.WithMessage("The header 'x-amz-tagging' may be given only once.")
}

// objectTagger returns the backend's optional tag replacement, or 501.
func (a *API) objectTagger() (object.ObjectTagger, error) {
	tb, ok := a.backend.(object.ObjectTagger)
	if !ok {
		return nil, ErrNotImplemented.WithMessage("Object tagging is not implemented by this server's storage backend.")
	}
	return tb, nil
}

func (a *API) getObjectTagging(req *request) error {
	info, err := a.headVersion(req) // the version ?versionId names, else the current one
	if err != nil {
		return err
	}
	setVersionHeader(req.w, info.VersionID)
	writeXML(req.w, http.StatusOK, taggingDoc(info.Tags))
	return nil
}

// checkTaggedVersion refuses a tag change aimed at a version other than
// the current one: tags are replaced on the current object only, and
// changing another version's cannot be done silently to the wrong one.
func (a *API) checkTaggedVersion(req *request) error {
	if req.query.Get("versionId") == "" {
		return nil
	}
	info, err := a.headVersion(req)
	if err != nil {
		return err
	}
	cur, err := a.backend.HeadObject(req.Context(), req.bucket, req.key)
	if err != nil || cur.VersionID != info.VersionID {
		return ErrNotImplemented.WithMessage("Changing the tags of a noncurrent version is not implemented by this server.")
	}
	return nil
}

// readTagging reads and validates a Tagging body.
func readTagging(req *request, max int, what string) ([]object.Tag, error) {
	var doc tagging
	if err := readXML(req.Body, maxConfigBody, &doc); err != nil {
		return nil, err
	}
	return checkTags(doc.tags(), max, what)
}

// putObjectTagging authorizes itself (its route names no action): the
// tags of its body are the s3:RequestObjectTag keys of s3:PutObjectTagging,
// so the body (at most maxConfigBody bytes) is read first. A body that
// does not parse is reported only to a caller allowed to tag the object.
func (a *API) putObjectTagging(req *request) error {
	tags, bodyErr := readTagging(req, maxObjectTags, "Object")
	if bodyErr == nil {
		req.Request = req.WithContext(context.WithValue(req.Context(), bodyTagsKey{}, tags))
	}
	if err := a.authorize(req, "s3:PutObjectTagging", req.bucket, req.key); err != nil {
		return err
	}
	if bodyErr != nil {
		return bodyErr
	}
	if err := a.checkTaggedVersion(req); err != nil {
		return err
	}
	tb, err := a.objectTagger()
	if err != nil {
		return err
	}
	if err := tb.PutObjectTags(req.Context(), req.bucket, req.key, tags); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// bodyTagsKey keys the tags of a PutObjectTagging body in its request's
// context, for tagConditions.
type bodyTagsKey struct{}

func (a *API) deleteObjectTagging(req *request) error {
	tb, err := a.objectTagger()
	if err != nil {
		return err
	}
	if err := a.checkTaggedVersion(req); err != nil {
		return err
	}
	if err := tb.PutObjectTags(req.Context(), req.bucket, req.key, nil); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

const bucketTaggingWhat = "Bucket tagging"

func (a *API) getBucketTagging(req *request) error {
	return a.serveConfig(req, object.ConfigTagging, bucketTaggingWhat, ErrNoSuchTagSet)
}

func (a *API) putBucketTagging(req *request) error {
	if _, err := a.bucketConfigs(bucketTaggingWhat); err != nil {
		return err
	}
	tags, err := readTagging(req, maxBucketTags, "Bucket")
	if err != nil {
		return err
	}
	return a.putConfig(req, object.ConfigTagging, bucketTaggingWhat, taggingDoc(tags), http.StatusNoContent)
}

func (a *API) deleteBucketTagging(req *request) error {
	return a.deleteConfig(req, object.ConfigTagging, bucketTaggingWhat)
}

// tagConditions adds the tag condition keys of a request to c:
// s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys for the tags of an
// object write's x-amz-tagging header, and s3:ExistingObjectTag/<key> for
// the tags of the object an action reads or tags, and aws:ResourceTag/<key>
// for the tags of the bucket. The object's metadata (the bucket's tagging)
// is read only when the bucket policy rp tests s3:ExistingObjectTag
// (aws:ResourceTag), so other requests pay nothing for it (identity
// policies testing them see no tags).
// Keys are lower case, as the policy engine looks them up, so tag keys
// compare without regard to case.
func (a *API) tagConditions(req *request, action, bucket, key string, rp *policy.Policy, c map[string][]string) {
	if action == "s3:PutObject" || action == "s3:PutObjectTagging" {
		// PutObject's x-amz-tagging, which PutObjectTagging authorizes
		// too, or the body of PutObjectTagging.
		tags, _, err := requestTags(req)
		if body, ok := req.Context().Value(bodyTagsKey{}).([]object.Tag); ok && action == "s3:PutObjectTagging" {
			tags, err = body, nil
		}
		if err == nil {
			for _, t := range tags {
				c["s3:requestobjecttag/"+strings.ToLower(t.Key)] = []string{t.Value}
				c["s3:requestobjecttagkeys"] = append(c["s3:requestobjecttagkeys"], t.Key)
			}
		}
	}
	if bucket != "" && rp.UsesConditionKey("aws:resourcetag/") {
		for _, t := range a.bucketTags(req, bucket) {
			c["aws:resourcetag/"+strings.ToLower(t.Key)] = []string{t.Value}
		}
	}
	switch action {
	case "s3:GetObject", "s3:GetObjectTagging", "s3:PutObjectTagging", "s3:DeleteObjectTagging",
		"s3:GetObjectAcl", "s3:PutObjectAcl":
		if key == "" || !rp.UsesConditionKey("s3:existingobjecttag/") {
			return
		}
		info, err := a.backend.HeadObject(req.Context(), bucket, key)
		if err != nil {
			return
		}
		for _, t := range info.Tags {
			c["s3:existingobjecttag/"+strings.ToLower(t.Key)] = []string{t.Value}
		}
	}
}

// bucketTags returns the bucket's tags for a condition context; none when
// it has none or they cannot be read.
func (a *API) bucketTags(req *request, bucket string) []object.Tag {
	cb, ok := a.backend.(object.BucketConfigs)
	if !ok {
		return nil
	}
	doc, err := cb.GetBucketConfig(req.Context(), bucket, object.ConfigTagging)
	if err != nil {
		return nil
	}
	var t tagging
	if xml.Unmarshal(doc, &t) != nil {
		return nil
	}
	return t.tags()
}
