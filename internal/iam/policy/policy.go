package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Policy language versions.
const (
	// Version2012 is the current policy language version, the only one in
	// which policy variables (${aws:username}, ...) are substituted.
	Version2012 = "2012-10-17"
	// Version2008 is the original policy language version, assumed when a
	// document has no Version. It treats "${...}" as literal text.
	Version2008 = "2008-10-17"
)

// AnyResource is the Resource to evaluate actions that address no resource
// (admin:*, kms:*, sts:*) with: only statements whose Resource covers all
// of S3 ("*" or "arn:aws:s3:::*") match it.
const AnyResource = "arn:aws:s3:::*"

// ErrMalformed is returned (wrapped, with a message that names the
// offending statement and field) when a policy document is not valid JSON
// or does not follow the IAM policy grammar this package accepts, and by
// ParseBucketPolicy for an invalid bucket name.
var ErrMalformed = errors.New("policy: malformed policy document")

// A Policy is a parsed, validated and precompiled policy document: an
// identity policy (Parse) or a bucket policy (ParseBucketPolicy). A Policy
// is immutable and safe for concurrent use; the zero Policy and a nil
// *Policy have no statements and evaluate to NotApplicable.
type Policy struct {
	version       string // as written; "" when the document had none
	id            string
	hasID         bool
	statementList bool   // Statement was written as a list
	bucket        string // the bucket of a bucket policy, "" for identity policies
	statements    []statement
}

// Version returns the policy language version in effect: the document's
// Version, or Version2008 when it had none.
func (p *Policy) Version() string {
	if p == nil || p.version == "" {
		return Version2008
	}
	return p.version
}

// ID returns the document's optional Id element.
func (p *Policy) ID() string {
	if p == nil {
		return ""
	}
	return p.id
}

// Bucket returns the bucket a bucket policy was parsed for, or "" for an
// identity policy.
func (p *Policy) Bucket() string {
	if p == nil {
		return ""
	}
	return p.bucket
}

// Parse parses an identity policy: a policy attached to a user, group or
// role, or an STS session policy. Its statements must not name a Principal
// or NotPrincipal and must each have a Resource or NotResource. Errors
// wrap ErrMalformed.
func Parse(data []byte) (*Policy, error) {
	return parse(data, "")
}

// ParseBucketPolicy parses the resource-based policy of bucket. Every
// statement must name a Principal, or a NotPrincipal with "Effect": "Deny";
// every Resource and NotResource entry must be able to match
// "arn:aws:s3:::<bucket>" or an object ARN under "arn:aws:s3:::<bucket>/"
// whatever values its policy variables take (wildcards such as
// "arn:aws:s3:::*" can); every action must be an s3: action (the bare
// action "*" is read as "s3:*"). The policy evaluates to NotApplicable
// for resources outside the bucket. Errors wrap ErrMalformed.
func ParseBucketPolicy(data []byte, bucket string) (*Policy, error) {
	if bucket == "" || strings.ContainsAny(bucket, "/*?${}: ") {
		return nil, fmt.Errorf("%w: invalid bucket name %q", ErrMalformed, bucket)
	}
	return parse(data, bucket)
}

// ParseTrustPolicy parses a role's trust policy (AssumeRolePolicyDocument):
// every statement names a Principal (or a NotPrincipal with "Effect":
// "Deny") among "AWS" (ARNs, account ids, "*"), "Federated" (identity
// provider ARNs or names) and "Service" (accepted, never matched); no
// Resource or NotResource (the role is the resource); sts: actions only
// (the bare "*" is read as "sts:*"). Evaluate it with Args.Principal set
// to the caller's ARN, or Args.Federated to the identity provider's ARN of
// a web identity, and any Resource. Errors wrap ErrMalformed.
func ParseTrustPolicy(data []byte) (*Policy, error) {
	return parseWith(data, parseOptions{trust: true})
}

// malformedf returns an ErrMalformed error with a formatted message.
func malformedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// unknownField returns the message for an unknown member name, with a hint
// when it differs from a known name only in case.
func unknownField(name string, known ...string) string {
	for _, k := range known {
		if strings.EqualFold(name, k) {
			return fmt.Sprintf("unknown field %q (element names are case-sensitive: %q)", name, k)
		}
	}
	return fmt.Sprintf("unknown field %q", name)
}

// parse parses a policy document; bucket is "" for identity policies.
func parse(data []byte, bucket string) (*Policy, error) {
	return parseWith(data, parseOptions{bucket: bucket})
}

// parseWith parses a policy document of the kind opts says (its variables
// field is set from the document's Version).
func parseWith(data []byte, opts parseOptions) (*Policy, error) {
	bucket := opts.bucket
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, malformedf("invalid JSON at byte %d: %v", se.Offset, err)
		}
		return nil, malformedf("invalid JSON: %v", err)
	}
	raw := json.RawMessage(data)
	ms, dup, err := members(raw)
	if err != nil {
		return nil, malformedf("policy must be a JSON object")
	}
	if dup != "" {
		return nil, malformedf("duplicate field %q", dup)
	}
	p := &Policy{bucket: bucket}
	var stmts json.RawMessage
	for _, m := range ms {
		switch m.name {
		case "Version":
			v, ok := jsonString(m.value)
			if !ok || (v != Version2012 && v != Version2008) {
				return nil, malformedf("Version must be %q or %q, got %s", Version2012, Version2008, excerpt(m.value))
			}
			p.version = v
		case "Id":
			id, ok := jsonString(m.value)
			if !ok {
				return nil, malformedf("Id must be a string, got %s", excerpt(m.value))
			}
			p.id, p.hasID = id, true
		case "Statement":
			stmts = m.value
		default:
			return nil, malformedf("%s", unknownField(m.name, "Version", "Id", "Statement"))
		}
	}
	opts.variables = p.version == Version2012
	switch jsonKind(stmts) {
	case 0:
		return nil, malformedf("missing Statement")
	case '{':
		s, err := parseStatement(0, stmts, opts)
		if err != nil {
			return nil, err
		}
		p.statements = []statement{s}
	case '[':
		elems, ok := elements(stmts)
		if !ok {
			return nil, malformedf("Statement: malformed list")
		}
		if len(elems) == 0 {
			return nil, malformedf("Statement must not be an empty list")
		}
		p.statementList = true
		p.statements = make([]statement, 0, len(elems))
		var sids map[string]int // statement index by Sid, for long lists
		if len(elems) > 16 {
			sids = make(map[string]int, len(elems))
		}
		for i, e := range elems {
			s, err := parseStatement(i, e, opts)
			if err != nil {
				return nil, err
			}
			if first := p.sidIndex(s.sid, sids); first >= 0 {
				return nil, malformedf("statement %d (%q): duplicate Sid %q, also statement %d's (Sids must be unique within a policy)", i, s.sid, s.sid, first)
			}
			if sids != nil && s.sid != "" {
				sids[s.sid] = i
			}
			p.statements = append(p.statements, s)
		}
	default:
		return nil, malformedf("Statement must be an object or a list of objects, got %s", excerpt(stmts))
	}
	return p, nil
}

// sidIndex returns the index of the statement parsed so far whose Sid is
// sid, or -1 if there is none or sid is empty (empty Sids are never
// duplicates). sids indexes the statements by Sid when the list is long;
// otherwise they are scanned.
func (p *Policy) sidIndex(sid string, sids map[string]int) int {
	if sid == "" {
		return -1
	}
	if sids != nil {
		if i, ok := sids[sid]; ok {
			return i
		}
		return -1
	}
	for i := range p.statements {
		if p.statements[i].sid == sid {
			return i
		}
	}
	return -1
}
