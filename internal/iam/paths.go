package iam

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Paths. Users, groups and managed policies have a path, "/" unless set
// when they are created, as in AWS IAM: it is part of their ARN
// (arn:aws:iam::000000000000:user/s3-tests/alice for alice at /s3-tests/),
// and the List actions filter by path prefix. A path does not make a name:
// names are unique whatever the paths. Records stored before Sesame kept
// paths have none and read as "/".

// MaxPathLength is the longest path or path prefix, in characters.
const MaxPathLength = 512

// RootPath is the default path.
const RootPath = "/"

// PathRule is the constraint on one kind of path parameter, as the AWS
// IAM API defines it.
type PathRule struct {
	re *regexp.Regexp
	// Pattern is the rule's pattern as AWS writes it in its validation
	// messages.
	Pattern string
}

// Valid reports whether s satisfies the rule: 1 to MaxPathLength
// characters matching the pattern.
func (r PathRule) Valid(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= MaxPathLength && r.re.MatchString(s)
}

// The path rules of the AWS IAM API (its pathType, policyPathType and
// pathPrefixType).
var (
	// EntityPath is the rule of the Path of CreateUser and CreateGroup:
	// "/" alone, or printable ASCII beginning and ending with "/".
	EntityPath = PathRule{regexp.MustCompile(`^(?:/|/[\x21-\x7E]+/)$`), `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`}
	// PolicyPath is the rule of the Path of CreatePolicy and the
	// PathPrefix of ListPolicies, ListAttachedUserPolicies and
	// ListAttachedGroupPolicies: "/"-separated segments of letters,
	// digits and .,+@=_- ending with "/".
	PolicyPath = PathRule{regexp.MustCompile(`^(?:/[A-Za-z0-9.,+@=_-]+)*/$`), `((/[A-Za-z0-9\.,\+@=_-]+)*)/`}
	// PathPrefix is the rule of the PathPrefix of ListUsers and
	// ListGroups: "/" followed by any printable ASCII.
	PathPrefix = PathRule{regexp.MustCompile(`^/[\x21-\x7F]*$`), `\u002F[\u0021-\u007F]*`}
)

// checkPath validates the path of a new kind ("user", "group", "policy").
func checkPath(kind, path string, rule PathRule) error {
	if !rule.Valid(path) {
		return errorf(ErrInvalidInput, "%s path %q must be 1 to %d characters matching %s", kind, path, MaxPathLength, rule.Pattern)
	}
	return nil
}

// pathOr returns path, or RootPath when it is empty (records stored
// before paths were kept).
func pathOr(path string) string {
	if path == "" {
		return RootPath
	}
	return path
}

// underPrefix reports whether path begins with prefix; every path is
// under the empty prefix.
func underPrefix(path, prefix string) bool { return strings.HasPrefix(pathOr(path), prefix) }

// CreateOption sets an optional property of a new user, group or managed
// policy.
type CreateOption func(*createOptions)

type createOptions struct {
	path string
}

// WithPath creates the entity at path (RootPath by default), which must
// satisfy EntityPath for a user or group and PolicyPath for a policy.
func WithPath(path string) CreateOption {
	return func(o *createOptions) { o.path = path }
}

func applyCreateOptions(opts []CreateOption) createOptions {
	o := createOptions{path: RootPath}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
