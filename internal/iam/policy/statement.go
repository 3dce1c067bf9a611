package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// parseOptions carries what a statement's parsing depends on besides its
// own text.
type parseOptions struct {
	variables bool   // Version 2012-10-17: substitute policy variables
	bucket    string // non-empty for bucket policies
	trust     bool   // a role's trust policy
}

// resourcePolicy reports whether statements must name principals.
func (o parseOptions) resourcePolicy() bool { return o.bucket != "" || o.trust }

// strList is a string-or-list element as written.
type strList struct {
	vals []string
	list bool
}

// A principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	star bool // written as the bare string "*"
	// aws, federated and service are the members as written ({"AWS": ...},
	// {"Federated": ...}, {"Service": ...}); members keeps their order.
	aws, federated, service strList
	members                 []string
	any                     bool     // "*" (or {"AWS": "*"}): every caller, anonymous included
	arns                    []string // AWS principals, account ids written as the account's root ARN
	providers               []string // Federated principals: identity provider ARNs or names
}

// match reports whether the caller is in the set: a federated caller
// (federated != "", its identity provider's ARN) by a Federated entry, any
// other by an AWS entry naming its ARN (or, for a role session, its
// role's ARN); the anonymous caller ("") only by
// "*". An AWS entry with an empty account field ("arn:aws:iam:::user/bob",
// as Ceph RGW writes it) names that principal in the caller's account.
// Service principals match no caller.
func (ps *principalSet) match(caller, role, federated string) bool {
	if ps.any {
		return true
	}
	if federated != "" {
		for _, p := range ps.providers {
			if p == federated {
				return true
			}
		}
		return false
	}
	if caller == "" {
		return false
	}
	for _, a := range ps.arns {
		if a == caller || accountless(a, caller) || role != "" && (a == role || accountless(a, role)) {
			return true
		}
	}
	return false
}

// accountless reports whether arn, written with an empty account field,
// names caller: the two equal but for caller's account.
func accountless(arn, caller string) bool {
	const iamPrefix, stsPrefix = "arn:aws:iam:::", "arn:aws:sts:::"
	var prefix string
	switch {
	case strings.HasPrefix(arn, iamPrefix):
		prefix = "arn:aws:iam::"
	case strings.HasPrefix(arn, stsPrefix):
		prefix = "arn:aws:sts::"
	default:
		return false
	}
	rest, ok := strings.CutPrefix(caller, prefix)
	if !ok {
		return false
	}
	account, resource, ok := strings.Cut(rest, ":")
	return ok && account != "" && resource == arn[len(iamPrefix):]
}

// A statement is one compiled Statement element.
type statement struct {
	sid    string
	hasSid bool
	deny   bool

	principalElem string // "", "Principal" or "NotPrincipal"
	principal     principalSet

	notAction bool
	actionSrc strList
	actions   []*pattern

	notResource bool
	resourceSrc strList
	resources   []*arnPattern
	// anyResource: a trust policy's statement, which names no resource
	// (the role it is attached to is the resource).
	anyResource bool

	hasCondition bool
	conditions   []*condition
}

// excerpt returns raw JSON shortened for an error message.
func excerpt(raw json.RawMessage) string {
	const max = 60
	s := strings.TrimSpace(string(raw))
	if len(s) <= max {
		return s
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "..."
}

// parseStatement parses statement number idx of a document.
func parseStatement(idx int, raw json.RawMessage, o parseOptions) (statement, error) {
	var s statement
	where := fmt.Sprintf("statement %d", idx)
	ms, dup, err := members(raw)
	if err != nil {
		return s, malformedf("%s: must be a JSON object, got %s", where, excerpt(raw))
	}
	// Read Sid first so that every message can name the statement by it.
	for _, m := range ms {
		if sid, ok := jsonString(m.value); ok && m.name == "Sid" && sid != "" {
			where += fmt.Sprintf(" (%q)", sid)
			break
		}
	}
	fail := func(format string, args ...any) error {
		return malformedf("%s: %s", where, fmt.Sprintf(format, args...))
	}
	if dup != "" {
		return s, fail("duplicate field %q", dup)
	}
	var effect, principal, notPrincipal, action, notAction, resource, notResource, cond json.RawMessage
	for _, m := range ms {
		switch m.name {
		case "Sid":
			sid, ok := jsonString(m.value)
			if !ok {
				return s, fail("Sid must be a string, got %s", excerpt(m.value))
			}
			s.sid, s.hasSid = sid, true
		case "Effect":
			effect = m.value
		case "Principal":
			principal = m.value
		case "NotPrincipal":
			notPrincipal = m.value
		case "Action":
			action = m.value
		case "NotAction":
			notAction = m.value
		case "Resource":
			resource = m.value
		case "NotResource":
			notResource = m.value
		case "Condition":
			cond = m.value
		default:
			return s, fail("%s", unknownField(m.name, "Sid", "Effect", "Principal", "NotPrincipal",
				"Action", "NotAction", "Resource", "NotResource", "Condition"))
		}
	}

	// Effect.
	if effect == nil {
		return s, fail("missing Effect")
	}
	switch e, _ := jsonString(effect); e {
	case "Allow":
	case "Deny":
		s.deny = true
	default:
		return s, fail(`Effect must be "Allow" or "Deny", got %s`, excerpt(effect))
	}

	// Principal / NotPrincipal.
	name, value := "Principal", principal
	if notPrincipal != nil {
		name, value = "NotPrincipal", notPrincipal
	}
	switch {
	case principal != nil && notPrincipal != nil:
		return s, fail("Principal and NotPrincipal are mutually exclusive")
	case value != nil && !o.resourcePolicy():
		return s, fail("%s is not allowed in an identity policy", name)
	case value == nil && o.bucket != "":
		return s, fail("missing Principal or NotPrincipal (a bucket policy must name its principals)")
	case value == nil && o.trust:
		return s, fail("missing Principal or NotPrincipal (a trust policy must name who may assume the role)")
	case notPrincipal != nil && !s.deny:
		// Allow with NotPrincipal grants to every principal but a few,
		// anonymous callers included; AWS accepts NotPrincipal with Deny
		// only.
		return s, fail(`NotPrincipal can only be used with "Effect": "Deny"`)
	case value != nil:
		ps, err := parsePrincipal(value, o.trust)
		if err != nil {
			return s, fail("%s: %v", name, err)
		}
		s.principalElem, s.principal = name, ps
	}

	// Action / NotAction.
	name, value = "Action", action
	if notAction != nil {
		name, value, s.notAction = "NotAction", notAction, true
	}
	switch {
	case action != nil && notAction != nil:
		return s, fail("Action and NotAction are mutually exclusive")
	case value == nil:
		return s, fail("missing Action or NotAction")
	}
	vals, list, ok := stringOrList(value)
	if !ok {
		return s, fail("%s must be a string or a non-empty list of strings, got %s", name, excerpt(value))
	}
	s.actionSrc = strList{vals: vals, list: list}
	for _, a := range vals {
		if !validAction(a) {
			return s, fail(`%s %q: must be "*" or "service:action" (letters, digits, '-', '_', wildcards)`, name, a)
		}
		if o.bucket != "" {
			if a == "*" {
				a = "s3:*"
			}
			if svc, _, _ := strings.Cut(a, ":"); !strings.EqualFold(svc, "s3") {
				return s, fail("%s %q: a bucket policy can only name s3: actions", name, a)
			}
		}
		if o.trust {
			if a == "*" {
				a = "sts:*"
			}
			if svc, _, _ := strings.Cut(a, ":"); !strings.EqualFold(svc, "sts") {
				return s, fail("%s %q: a trust policy can only name sts: actions (sts:AssumeRole, sts:AssumeRoleWithWebIdentity, sts:TagSession, sts:SetSourceIdentity)", name, a)
			}
		}
		p, err := compilePattern(a, patternOptions{wildcards: true, fold: true})
		if err != nil {
			return s, fail("%s %q: %v", name, a, err)
		}
		s.actions = append(s.actions, p)
	}

	// Resource / NotResource.
	name, value = "Resource", resource
	if notResource != nil {
		name, value, s.notResource = "NotResource", notResource, true
	}
	switch {
	case resource != nil && notResource != nil:
		return s, fail("Resource and NotResource are mutually exclusive")
	case o.trust && value != nil:
		return s, fail("%s is not allowed in a trust policy: the role is the resource", name)
	case o.trust:
		s.anyResource = true
	case value == nil:
		return s, fail("missing Resource or NotResource")
	}
	if o.trust {
		vals = nil
	} else if vals, list, ok = stringOrList(value); !ok {
		return s, fail("%s must be a string or a non-empty list of strings, got %s", name, excerpt(value))
	}
	if !o.trust {
		s.resourceSrc = strList{vals: vals, list: list}
	}
	for _, r := range vals {
		p, err := compileARN(r, patternOptions{wildcards: true, variables: o.variables}, true)
		if err != nil {
			return s, fail("%s %q: %v", name, r, err)
		}
		if o.bucket != "" && !p.reachesBucket(o.bucket) {
			return s, fail("%s %q is outside bucket %q: it can match neither %q nor an object under it, whatever its policy variables",
				name, r, o.bucket, bucketARNPrefix+o.bucket)
		}
		s.resources = append(s.resources, p)
	}

	// Condition.
	if cond != nil {
		s.hasCondition = true
		ops, dup, err := members(cond)
		if err != nil {
			return s, fail("Condition must be an object mapping operators to {key: values}, got %s", excerpt(cond))
		}
		if dup != "" {
			return s, fail("Condition: duplicate operator %q", dup)
		}
		for _, op := range ops {
			if _, _, _, err := parseOperator(op.name); err != nil {
				return s, fail("Condition: %v", err)
			}
			keys, dup, err := members(op.value)
			if err != nil {
				return s, fail("Condition %s must be an object mapping condition keys to values, got %s", op.name, excerpt(op.value))
			}
			if dup != "" {
				return s, fail("Condition %s: duplicate key %q", op.name, dup)
			}
			if len(keys) == 0 {
				return s, fail("Condition %s has no condition keys", op.name)
			}
			for _, k := range keys {
				if !validContextKey(k.name) {
					return s, fail(`Condition %s: invalid condition key %q (want "prefix:name")`, op.name, k.name)
				}
				vals, list, ok := scalarOrList(k.value)
				if !ok {
					return s, fail("Condition %s: key %q: values must be a string, number, boolean or a non-empty list of them, got %s", op.name, k.name, excerpt(k.value))
				}
				c, err := compileCondition(op.name, k.name, vals, list, o.variables)
				if err != nil {
					return s, fail("Condition %s: key %q: %v", op.name, k.name, err)
				}
				s.conditions = append(s.conditions, c)
			}
		}
	}
	return s, nil
}

// parsePrincipal parses a Principal or NotPrincipal value: "*" or an
// object of principal types: {"AWS": "*" | ARN | account id | [...]},
// and in a trust policy also "Federated" (identity provider ARNs or names)
// and "Service" (accepted, never matched: Sesame runs no AWS services).
func parsePrincipal(raw json.RawMessage, trust bool) (principalSet, error) {
	var ps principalSet
	want := `"*" or {"AWS": ...}`
	if trust {
		want = `"*" or {"AWS": ..., "Federated": ..., "Service": ...}`
	}
	if s, ok := jsonString(raw); ok {
		if s != "*" {
			return ps, fmt.Errorf(`must be %s, got %q`, want, s)
		}
		ps.star, ps.any = true, true
		return ps, nil
	}
	ms, dup, err := members(raw)
	if err != nil {
		return ps, fmt.Errorf(`must be %s, got %s`, want, excerpt(raw))
	}
	if dup != "" {
		return ps, fmt.Errorf("duplicate field %q", dup)
	}
	if len(ms) == 0 {
		return ps, fmt.Errorf(`must name at least one principal`)
	}
	for _, m := range ms {
		vals, list, ok := stringOrList(m.value)
		if !ok {
			return ps, fmt.Errorf("%s must be a string or a non-empty list of strings, got %s", m.name, excerpt(m.value))
		}
		src := strList{vals: vals, list: list}
		switch {
		case m.name == "AWS":
			ps.aws = src
			for _, v := range vals {
				switch {
				case v == "*":
					ps.any = true
				case isAccountID(v):
					ps.arns = append(ps.arns, "arn:aws:iam::"+v+":root")
				case strings.HasPrefix(v, "arn:") && !strings.ContainsAny(v, "*?"):
					ps.arns = append(ps.arns, v)
				default:
					return ps, fmt.Errorf(`principal %q: must be "*", an account id or an ARN without wildcards`, v)
				}
			}
		case m.name == "Federated" && trust:
			ps.federated = src
			for _, v := range vals {
				if v == "" || strings.ContainsAny(v, "*?") {
					return ps, fmt.Errorf(`Federated principal %q: must be an identity provider's ARN or name, without wildcards`, v)
				}
				ps.providers = append(ps.providers, v)
			}
		case m.name == "Service" && trust:
			ps.service = src
		case trust:
			return ps, fmt.Errorf(`unsupported principal type %q (want "AWS", "Federated" or "Service")`, m.name)
		default:
			return ps, fmt.Errorf(`unsupported principal type %q (only "AWS" is supported)`, m.name)
		}
		ps.members = append(ps.members, m.name)
	}
	return ps, nil
}

// isAccountID reports whether s is a 12-digit AWS account id.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validAction reports whether a is "*" or "service:action", each part made
// of letters, digits, '-', '_' and the wildcards '*' and '?'.
func validAction(a string) bool {
	if a == "*" {
		return true
	}
	svc, name, ok := strings.Cut(a, ":")
	if !ok || svc == "" || name == "" {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		switch {
		case i == len(svc): // the ':'
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '*', c == '?':
		default:
			return false
		}
	}
	return true
}

// applies reports whether the statement applies to the request: action,
// principal (bucket policies), resource and every condition match.
func (s *statement) applies(a *Args) bool {
	return s.matchAction(a.Action) &&
		(s.principalElem == "" || s.principal.match(a.Principal, a.RoleARN, a.Federated) != (s.principalElem == "NotPrincipal")) &&
		s.matchResource(a.Resource, a.Conditions) &&
		s.matchConditions(a.Conditions)
}

// matchAction applies Action or NotAction; action names are matched
// case-insensitively.
func (s *statement) matchAction(action string) bool {
	for _, p := range s.actions {
		if ok, _ := p.match(action, nil); ok {
			return !s.notAction
		}
	}
	return s.notAction
}

// matchResource applies Resource or NotResource. An entry with a policy
// variable that has no single value matches nothing; in NotResource such
// an entry makes an Allow statement not apply (it never widens what an
// Allow grants) and excludes nothing from a Deny.
func (s *statement) matchResource(res string, ctx map[string][]string) bool {
	if s.anyResource {
		return true
	}
	if !s.notResource {
		for _, r := range s.resources {
			if ok, _ := r.match(res, ctx); ok {
				return true
			}
		}
		return false
	}
	for _, r := range s.resources {
		ok, resolved := r.match(res, ctx)
		if ok || !resolved && !s.deny {
			return false
		}
	}
	return true
}

// matchConditions reports whether every condition holds.
func (s *statement) matchConditions(ctx map[string][]string) bool {
	for _, c := range s.conditions {
		if !c.eval(ctx) {
			return false
		}
	}
	return true
}
