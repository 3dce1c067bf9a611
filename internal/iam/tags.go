package iam

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Tags. Roles and OpenID Connect providers carry up to MaxTags tags, as in
// AWS IAM. Keys are 1 to 128 characters and values 0 to 256, both of
// letters, digits, white space and _.:/=+-@; neither may begin with "aws:"
// (reserved by AWS). A role's tag keys are compared regardless of case,
// keeping the case they were first added with (tagging Department then
// department replaces the first tag); a provider's are compared exactly
// (AWS IAM User Guide, "Tags for AWS Identity and Access Management
// resources", Case sensitivity).

// MaxTags is the most tags a role or an OpenID Connect provider carries.
const MaxTags = 50

const (
	maxTagKeyLength   = 128
	maxTagValueLength = 256
)

// TagKeyPattern and TagValuePattern are AWS's patterns of tag keys and
// values.
var (
	TagKeyPattern   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	TagValuePattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// tagKeys says when two tag keys are the same key.
type tagKeys func(a, b string) bool

var (
	// roleTagKeys compares a role's tag keys, regardless of case.
	roleTagKeys tagKeys = strings.EqualFold
	// providerTagKeys compares a provider's tag keys, exactly.
	providerTagKeys tagKeys = func(a, b string) bool { return a == b }
)

// checkTagKey validates one tag key.
func checkTagKey(key string) error {
	if n := utf8.RuneCountInString(key); n < 1 || n > maxTagKeyLength || !TagKeyPattern.MatchString(key) {
		return errorf(ErrInvalidInput, "tag key %q must be 1 to %d letters, digits, spaces and _.:/=+-@", key, maxTagKeyLength)
	}
	if len(key) >= 4 && strings.EqualFold(key[:4], "aws:") {
		return errorf(ErrInvalidInput, "tag key %q begins with the prefix aws:, which is reserved for AWS", key)
	}
	return nil
}

// checkTags validates the tags of one request: each key and value, no key
// twice (as same compares them), at most MaxTags.
func checkTags(tags []Tag, same tagKeys) error {
	if len(tags) > MaxTags {
		return errorf(ErrLimitExceeded, "cannot exceed quota for tags per resource: %d", MaxTags)
	}
	for i, t := range tags {
		if err := checkTagKey(t.Key); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(t.Value); n > maxTagValueLength || !TagValuePattern.MatchString(t.Value) {
			return errorf(ErrInvalidInput, "the value of tag %q must be 0 to %d letters, digits, spaces and _.:/=+-@", t.Key, maxTagValueLength)
		}
		if strings.HasPrefix(strings.ToLower(t.Value), "aws:") {
			return errorf(ErrInvalidInput, "the value of tag %q begins with the prefix aws:, which is reserved for AWS", t.Key)
		}
		for _, u := range tags[:i] {
			if same(u.Key, t.Key) {
				return errorf(ErrInvalidInput, "duplicate tag key %q", t.Key)
			}
		}
	}
	return nil
}

// mergeTags returns have with add applied: a tag whose key is already
// there (as same compares keys) replaces that tag in place, a new one is
// appended. More than MaxTags in all is ErrLimitExceeded.
func mergeTags(have, add []Tag, same tagKeys) ([]Tag, error) {
	out := append([]Tag(nil), have...)
next:
	for _, t := range add {
		for i := range out {
			if same(out[i].Key, t.Key) {
				out[i] = t
				continue next
			}
		}
		out = append(out, t)
	}
	if len(out) > MaxTags {
		return have, errorf(ErrLimitExceeded, "cannot exceed quota for tags per resource: %d", MaxTags)
	}
	return out, nil
}

// removeTags returns have without the tags whose keys are in keys (as same
// compares them); keys that are not there are ignored, as AWS does.
func removeTags(have []Tag, keys []string, same tagKeys) []Tag {
	var out []Tag
	for _, t := range have {
		gone := false
		for _, k := range keys {
			if same(t.Key, k) {
				gone = true
				break
			}
		}
		if !gone {
			out = append(out, t)
		}
	}
	return out
}

// checkTagKeys validates the keys of an untag request.
func checkTagKeys(keys []string) error {
	if len(keys) > MaxTags {
		return errorf(ErrInvalidInput, "at most %d tag keys may be removed at once", MaxTags)
	}
	for _, k := range keys {
		if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKeyLength || !TagKeyPattern.MatchString(k) {
			return errorf(ErrInvalidInput, "tag key %q must be 1 to %d letters, digits, spaces and _.:/=+-@", k, maxTagKeyLength)
		}
	}
	return nil
}
