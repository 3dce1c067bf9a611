package policy

import (
	"errors"
	"strings"
)

// arnSegments is the number of colon-separated fields of an ARN:
// arn:partition:service:region:account-id:resource. The resource field may
// itself contain colons.
const arnSegments = 6

// errNotARN is wrapped by the parser when a Resource or Arn* condition value
// is not an ARN.
var errNotARN = errors.New(`must be an ARN "arn:partition:service:region:account:resource"`)

// An arnPattern is a compiled Resource, NotResource or Arn* condition value.
// Each of the six ARN fields is matched on its own, so a wildcard never
// spans a ':' between fields (it may within the resource field).
type arnPattern struct {
	any     bool // the pattern is "*" (Resource and NotResource only)
	hasVars bool
	segs    [arnSegments]*pattern
	// head is "arn:partition:service:region:account:" when those five
	// fields are literal text, as in "arn:aws:s3:::photos/*"; then a
	// subject matches when it starts with head and its rest matches the
	// resource field's pattern, which equals matching field by field (the
	// literal fields contain no ':').
	head string
}

// compileARN compiles an ARN pattern. allowStar accepts the bare "*".
func compileARN(src string, o patternOptions, allowStar bool) (*arnPattern, error) {
	if allowStar && src == "*" {
		return &arnPattern{any: true}, nil
	}
	raw, ok := splitPatternARN(src, o.variables)
	if !ok || raw[0] != "arn" {
		if _, err := compilePattern(src, o); err != nil {
			return nil, err // a malformed variable says more than errNotARN
		}
		return nil, errNotARN
	}
	a := &arnPattern{}
	for i, seg := range raw {
		p, err := compilePattern(seg, o)
		if err != nil {
			return nil, err
		}
		a.segs[i] = p
		a.hasVars = a.hasVars || len(p.vars) > 0
	}
	literalHead := true
	for _, p := range a.segs[:arnSegments-1] {
		literalHead = literalHead && p.exact
	}
	if literalHead {
		a.head = strings.Join(raw[:arnSegments-1], ":") + ":"
	}
	return a, nil
}

// splitPatternARN splits a policy ARN at its first five colons, skipping
// the colons inside policy variables ("${aws:username}") when variables
// are enabled.
func splitPatternARN(src string, variables bool) (segs [arnSegments]string, ok bool) {
	n, start := 0, 0
	for i := 0; i < len(src) && n < arnSegments-1; i++ {
		switch {
		case variables && src[i] == '$' && i+1 < len(src) && src[i+1] == '{':
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return segs, false
			}
			i += end
		case src[i] == ':':
			segs[n] = src[start:i]
			n++
			start = i + 1
		}
	}
	if n < arnSegments-1 {
		return segs, false
	}
	segs[n] = src[start:]
	return segs, true
}

// splitARN splits a request ARN at its first five colons.
func splitARN(s string) (segs [arnSegments]string, ok bool) {
	for i := 0; i < arnSegments-1; i++ {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return segs, false
		}
		segs[i], s = s[:j], s[j+1:]
	}
	segs[arnSegments-1] = s
	return segs, true
}

// match reports whether the pattern matches the ARN s. resolved is false
// when a policy variable of the pattern has no single value in ctx, in
// which case matched is false.
func (a *arnPattern) match(s string, ctx map[string][]string) (matched, resolved bool) {
	if a.any {
		return true, true
	}
	if a.head != "" {
		rest := a.segs[arnSegments-1]
		if !strings.HasPrefix(s, a.head) {
			return false, !a.hasVars || rest.resolvable(ctx)
		}
		return rest.match(s[len(a.head):], ctx)
	}
	segs, ok := splitARN(s)
	if !ok && !a.hasVars {
		return false, true
	}
	matched = ok
	for i, p := range a.segs {
		m, r := p.match(segs[i], ctx)
		if !r {
			return false, false
		}
		if !m {
			if !a.hasVars {
				return false, true
			}
			matched = false
		}
	}
	return matched, true
}
