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
}

// strList is a string-or-list element as written.
type strList struct {
	vals []string
	list bool
}

// A principalSet is a compiled Principal or NotPrincipal element.
type principalSet struct {
	star bool    // written as the bare string "*"
	aws  strList // written as {"AWS": ...}
	any  bool    // "*" (or {"AWS": "*"}): every caller, anonymous included
	arns []string
}

// match reports whether the caller's principal ARN is in the set; the
// anonymous caller ("") is only in a set containing "*".
func (ps *principalSet) match(caller string) bool {
	if ps.any {
		return true
	}
	if caller == "" {
		return false
	}
	for _, a := range ps.arns {
		if a == caller {
			return true
		}
	}
	return false
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
	case value != nil && o.bucket == "":
		return s, fail("%s is not allowed in an identity policy", name)
	case value == nil && o.bucket != "":
		return s, fail("missing Principal or NotPrincipal (a bucket policy must name its principals)")
	case notPrincipal != nil && !s.deny:
		// Allow with NotPrincipal grants to every principal but a few,
		// anonymous callers included; AWS accepts NotPrincipal with Deny
		// only.
		return s, fail(`NotPrincipal can only be used with "Effect": "Deny"`)
	case value != nil:
		ps, err := parsePrincipal(value)
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
	case value == nil:
		return s, fail("missing Resource or NotResource")
	}
	vals, list, ok = stringOrList(value)
	if !ok {
		return s, fail("%s must be a string or a non-empty list of strings, got %s", name, excerpt(value))
	}
	s.resourceSrc = strList{vals: vals, list: list}
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

// parsePrincipal parses a Principal or NotPrincipal value: "*" or
// {"AWS": "*" | ARN | [...]}.
func parsePrincipal(raw json.RawMessage) (principalSet, error) {
	var ps principalSet
	if s, ok := jsonString(raw); ok {
		if s != "*" {
			return ps, fmt.Errorf(`must be "*" or {"AWS": ...}, got %q`, s)
		}
		ps.star, ps.any = true, true
		return ps, nil
	}
	ms, dup, err := members(raw)
	if err != nil {
		return ps, fmt.Errorf(`must be "*" or {"AWS": ...}, got %s`, excerpt(raw))
	}
	if dup != "" {
		return ps, fmt.Errorf("duplicate field %q", dup)
	}
	if len(ms) == 0 {
		return ps, fmt.Errorf(`must name at least one principal`)
	}
	for _, m := range ms {
		if m.name != "AWS" {
			return ps, fmt.Errorf(`unsupported principal type %q (only "AWS" is supported)`, m.name)
		}
	}
	vals, list, ok := stringOrList(ms[0].value)
	if !ok {
		return ps, fmt.Errorf("AWS must be a string or a non-empty list of strings, got %s", excerpt(ms[0].value))
	}
	ps.aws = strList{vals: vals, list: list}
	for _, v := range vals {
		switch {
		case v == "*":
			ps.any = true
		case strings.HasPrefix(v, "arn:") && !strings.ContainsAny(v, "*?"):
			ps.arns = append(ps.arns, v)
		default:
			return ps, fmt.Errorf(`principal %q: must be "*" or an ARN without wildcards`, v)
		}
	}
	return ps, nil
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
		(s.principalElem == "" || s.principal.match(a.Principal) != (s.principalElem == "NotPrincipal")) &&
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
