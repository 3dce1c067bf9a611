package policy

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that parsing never panics, that every error wraps
// ErrMalformed, and that a parsed policy re-marshals to a document that
// parses to an equal policy and marshals to the same bytes. The seed
// corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`))
	f.Add([]byte(`{"Statement":[{"Effect":"Deny","Principal":"*","NotAction":"s3:Get*","NotResource":"arn:aws:s3:::photos/${aws:username}/*"}]}`))
	args := []Args{
		{Action: "s3:GetObject", Resource: "arn:aws:s3:::photos/alice/cat.jpg"},
		{Action: "s3:ListBucket", Resource: "arn:aws:s3:::photos", Principal: "arn:aws:iam::1:user/alice",
			Conditions: map[string][]string{
				"aws:username": {"alice"}, "aws:sourceip": {"10.0.0.1"}, "aws:securetransport": {"true"},
				"aws:currenttime": {"2026-01-01T00:00:00Z"}, "aws:epochtime": {"1767225600"},
				"s3:prefix": {"home/alice/"}, "s3:max-keys": {"100"}, "jwt:groups": {"a", "b"},
			}},
		{Action: "admin:ServerInfo", Resource: AnyResource},
	}
	parsers := []struct {
		name  string
		parse func([]byte) (*Policy, error)
	}{
		{"Parse", Parse},
		{"ParseBucketPolicy", func(b []byte) (*Policy, error) { return ParseBucketPolicy(b, "photos") }},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, ps := range parsers {
			p, err := ps.parse(data)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("%s: error %v does not wrap ErrMalformed", ps.name, err)
				}
				continue
			}
			b, err := p.MarshalJSON()
			if err != nil {
				t.Fatalf("%s: MarshalJSON: %v", ps.name, err)
			}
			q, err := ps.parse(b)
			if err != nil {
				t.Fatalf("%s: re-parse of\n%s\nfailed: %v", ps.name, b, err)
			}
			if !reflect.DeepEqual(p, q) {
				t.Fatalf("%s: re-parsed policy differs\n%s", ps.name, b)
			}
			if b2, _ := q.MarshalJSON(); !bytes.Equal(b, b2) {
				t.Fatalf("%s: MarshalJSON not stable:\n%s\n%s", ps.name, b, b2)
			}
			for i := range args {
				if p.Evaluate(&args[i]) != q.Evaluate(&args[i]) {
					t.Fatalf("%s: decisions differ for %+v", ps.name, args[i])
				}
			}
		}
	})
}

// fuzzContext is the request context of the pattern fuzz tests: policy
// variables with one value (two taken from the fuzzer), with several
// values (unresolvable), with an empty value, and absent ones
// (aws:userid).
func fuzzContext(v1, v2 string) map[string][]string {
	return map[string][]string{
		"aws:username": {v1},
		"jwt:sub":      {v2},
		"jwt:groups":   {"a", "b"},
		"aws:empty":    {""},
	}
}

// fuzzPatternOptions reads pattern options from the low bits of flags.
func fuzzPatternOptions(flags uint8) patternOptions {
	return patternOptions{wildcards: flags&1 != 0, variables: flags&2 != 0, fold: flags&4 != 0}
}

// matchWith is pattern.matchResolved with every middle chunk placed by
// find, so that each way of searching is checked on its own.
func matchWith(p *pattern, s string, vals []string, find func(c *chunk, pos int) (int, bool)) bool {
	cs := p.chunks
	if len(cs) == 1 {
		end, ok := cs[0].matchAt(s, 0, p.fold, vals)
		return ok && end == len(s)
	}
	pos, ok := cs[0].matchAt(s, 0, p.fold, vals)
	if !ok {
		return false
	}
	for i := 1; i < len(cs)-1; i++ {
		if pos, ok = find(&cs[i], pos); !ok {
			return false
		}
	}
	return cs[len(cs)-1].matchSuffix(s, pos, p.fold, vals)
}

// FuzzPattern_Match compares pattern.match and arnPattern.match with the
// reference matcher of reference_test.go on random patterns and subjects,
// with and without wildcards, policy variables and case folding. Each
// way of placing a middle chunk (trying every position, a scanner, a byte
// search) must agree too. The seed corpus is in
// testdata/fuzz/FuzzPattern_Match.
func FuzzPattern_Match(f *testing.F) {
	f.Add("a*b?c", "axxbyc", uint8(1), "alice", "")
	f.Add("*${aws:username}?*", "home/alice/x", uint8(3), "alice", "")
	f.Add("*S3:GET?*", "s3:getObject", uint8(5), "", "")
	f.Add("arn:aws:s3:::home/${jwt:sub}/*", "arn:aws:s3:::home/\u212a/x", uint8(3|8), "", "\u212a")
	f.Fuzz(func(t *testing.T, src, subject string, flags uint8, v1, v2 string) {
		if len(src)+len(v1)+len(v2) > 1<<10 || len(subject) > 4<<10 {
			return // the reference takes time and memory in their product
		}
		o := fuzzPatternOptions(flags)
		ctx := fuzzContext(v1, v2)
		if a, err := compileARN(src, o, flags&8 != 0); err == nil {
			want, wantResolved, ok := refARN(src, o, flags&8 != 0, subject, ctx)
			if !ok {
				t.Fatalf("compileARN(%q) succeeded, the reference refuses it", src)
			}
			if got, resolved := a.match(subject, ctx); got != want || resolved != wantResolved {
				t.Fatalf("ARN %q %+v: match(%q) = %v, %v; reference %v, %v", src, o, subject, got, resolved, want, wantResolved)
			}
		}
		p, err := compilePattern(src, o)
		if err != nil {
			return
		}
		want, wantResolved, ok := refPattern(src, o, subject, ctx)
		if !ok {
			t.Fatalf("compilePattern(%q) succeeded, the reference refuses it", src)
		}
		if got, resolved := p.match(subject, ctx); got != want || resolved != wantResolved {
			t.Fatalf("%q %+v: match(%q) = %v, %v; reference %v, %v", src, o, subject, got, resolved, want, wantResolved)
		}
		if !wantResolved {
			return
		}
		vals := make([]string, len(p.vars))
		for i := range p.vars {
			vals[i], _ = p.vars[i].resolve(ctx)
		}
		finds := map[string]func(c *chunk, pos int) (int, bool){
			"naive":   func(c *chunk, pos int) (int, bool) { return c.findNaive(subject, pos, p.fold, vals) },
			"large":   func(c *chunk, pos int) (int, bool) { return c.findLarge(subject, pos, p.fold, vals) },
			"scanner": func(c *chunk, pos int) (int, bool) { return newScanner(c.parts, vals, p.fold).find(subject, pos) },
		}
		for name, find := range finds {
			if got := matchWith(p, subject, vals, find); got != want {
				t.Fatalf("%q %+v: match(%q) with %s search = %v; reference %v", src, o, subject, name, got, want)
			}
		}
	})
}

// FuzzCondition_Eval evaluates conditions with random operators, keys,
// policy values and request values: compiling either fails or yields a
// condition whose evaluation does not panic, and the String* operators
// (with any qualifier) agree with the reference matcher and the rules of
// the package documentation. Policy values and request values are
// separated by newlines; flags picks the values' JSON type, policy
// variables and whether the key is absent. The seed corpus is in
// testdata/fuzz/FuzzCondition_Eval.
func FuzzCondition_Eval(f *testing.F) {
	f.Add("StringLike", "aws:UserAgent", "*curl/?.*\nwget*", "curl/8.1", uint8(0))
	f.Add("ForAllValues:StringNotLikeIfExists", "jwt:groups", "adm?n*", "admin\nusers", uint8(0))
	f.Add("StringEqualsIgnoreCase", "aws:username", "${aws:username}", "ALICE", uint8(4))
	f.Add("NumericLessThan", "s3:max-keys", "10", "9", uint8(1))
	f.Add("Null", "aws:userid", "true", "", uint8(2|8))
	f.Fuzz(func(t *testing.T, op, key, policyValues, requestValues string, flags uint8) {
		if len(policyValues) > 1<<10 || len(requestValues) > 4<<10 {
			return // the reference takes time and memory in their product
		}
		kind := scalarKind(flags % 3)
		var values []scalar
		for _, v := range strings.Split(policyValues, "\n") {
			values = append(values, scalar{s: v, kind: kind})
		}
		vars := flags&4 != 0
		ctx := fuzzContext("alice", "")
		var request []string
		if flags&8 == 0 {
			request = strings.Split(requestValues, "\n")
			ctx[strings.ToLower(key)] = request
		} else {
			delete(ctx, strings.ToLower(key))
		}
		c, err := compileCondition(op, key, values, len(values) > 1, vars)
		if err != nil {
			return
		}
		got := c.eval(ctx)

		// The reference, for String* operators.
		base, set := op, ""
		for _, prefix := range []string{"ForAnyValue:", "ForAllValues:"} {
			if rest, ok := strings.CutPrefix(base, prefix); ok {
				base, set = rest, prefix
			}
		}
		base, ifExists := strings.CutSuffix(base, "IfExists")
		negate := strings.Contains(base, "Not")
		o := patternOptions{variables: vars}
		switch strings.Replace(base, "Not", "", 1) {
		case "StringEquals":
		case "StringEqualsIgnoreCase":
			o.fold = true
		case "StringLike":
			o.wildcards = true
		default:
			return
		}
		matchesSome := func(v string) bool {
			for _, pv := range values {
				if m, _, _ := refPattern(pv.s, o, v, ctx); m {
					return true
				}
			}
			return false
		}
		var want bool
		switch {
		case len(request) == 0 || flags&8 != 0:
			want = ifExists || set == "ForAllValues:" || set == "" && negate
		case set == "ForAnyValue:":
			for _, v := range request {
				want = want || matchesSome(v) != negate
			}
		case set == "ForAllValues:":
			want = true
			for _, v := range request {
				want = want && matchesSome(v) != negate
			}
		default:
			for _, v := range request {
				want = want || matchesSome(v)
			}
			want = want != negate
		}
		if got != want {
			t.Fatalf("%s {%q: %q} with %q = %v, reference %v", op, key, policyValues, request, got, want)
		}
	})
}
