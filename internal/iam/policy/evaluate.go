package policy

// Args is one authorization question: may Principal perform Action on
// Resource, given the request context Conditions?
type Args struct {
	// Action is the action requested, e.g. "s3:GetObject". It is matched
	// case-insensitively, as IAM matches action names.
	Action string
	// Resource is the ARN of the resource acted on, e.g.
	// "arn:aws:s3:::photos/alice/cat.jpg", matched case-sensitively field by
	// field. Actions that address no resource use AnyResource.
	Resource string
	// Principal is the caller's ARN for bucket policies, "" for an
	// anonymous caller (who matches only the principal "*"). Identity
	// policies ignore it.
	Principal string
	// RoleARN is the role of an assumed-role session (Principal is then
	// the session's ARN): a Principal entry naming the role names every
	// session of it, as in AWS.
	RoleARN string
	// Federated is set, instead of Principal, when the caller is a web
	// identity asking to assume a role: its identity provider's ARN, which
	// a trust policy's "Federated" principals name.
	Federated string
	// Conditions is the request context: condition keys, LOWER-CASED
	// ("aws:sourceip", "aws:securetransport", "aws:currenttime",
	// "aws:epochtime", "aws:username", "aws:userid", "aws:principaltype",
	// "s3:prefix", "s3:delimiter", "s3:max-keys", "s3:x-amz-acl",
	// "jwt:sub", "jwt:groups", ...), each with its values as strings. A key
	// with no values is absent. Policy variables are looked up here too.
	// Evaluate never modifies the map.
	Conditions map[string][]string
}

// Decision is the outcome of evaluating one policy.
type Decision int

// The decisions, in increasing order of precedence.
const (
	// NotApplicable means no statement applies: an implicit deny.
	NotApplicable Decision = iota
	// Allow means an Allow statement applies and no Deny statement does.
	Allow
	// Deny means a Deny statement applies: an explicit deny, which
	// overrides every Allow of every policy.
	Deny
)

// String returns the decision's name.
func (d Decision) String() string {
	switch d {
	case NotApplicable:
		return "NotApplicable"
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "Decision(?)"
}

// Evaluate returns Deny if a Deny statement of p applies to a, else Allow
// if an Allow statement does, else NotApplicable. A nil p or a evaluates to
// NotApplicable, and so does a bucket policy for a resource that is not its
// bucket or an object in it, whatever its statements say. Evaluate does
// not allocate on the common path (it may for a string with more than four
// policy variables, for request values that fail to parse, and to search
// a long value for a '*'-separated part of a pattern that holds a policy
// variable or has more than 2,048 characters).
func (p *Policy) Evaluate(a *Args) Decision {
	if p == nil || a == nil || p.bucket != "" && !inBucket(a.Resource, p.bucket) {
		return NotApplicable
	}
	d := NotApplicable
	for i := range p.statements {
		s := &p.statements[i]
		if !s.deny && d == Allow {
			continue // only a Deny can change the outcome now
		}
		if !s.applies(a) {
			continue
		}
		if s.deny {
			return Deny
		}
		d = Allow
	}
	return d
}

// IsAllowed evaluates a against every policy (nil policies are skipped)
// and reports whether access is granted: an explicit Deny in any policy
// wins, otherwise at least one policy must Allow. With no applicable
// statement the answer is no.
func IsAllowed(a *Args, policies ...*Policy) bool {
	allowed := false
	for _, p := range policies {
		switch p.Evaluate(a) {
		case Deny:
			return false
		case Allow:
			allowed = true
		}
	}
	return allowed
}
