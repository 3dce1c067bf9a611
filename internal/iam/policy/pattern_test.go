package policy

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPattern_Match(t *testing.T) {
	glob := patternOptions{wildcards: true}
	fold := patternOptions{wildcards: true, fold: true}
	vars := patternOptions{wildcards: true, variables: true}
	exactVars := patternOptions{variables: true}
	ctx := map[string][]string{
		"aws:username": {"alice"},
		"jwt:groups":   {"a", "b"},
		"jwt:star":     {"*"},
		"aws:empty":    {""},
	}
	tests := []struct {
		name     string
		pattern  string
		opts     patternOptions
		subject  string
		want     bool
		resolved bool
	}{
		{"literal", "abc", glob, "abc", true, true},
		{"literal mismatch", "abc", glob, "abd", false, true},
		{"literal is case-sensitive", "abc", glob, "ABC", false, true},
		{"literal longer subject", "abc", glob, "abcd", false, true},
		{"star alone", "*", glob, "", true, true},
		{"star alone any", "*", glob, "x/y:z", true, true},
		{"stars merged", "***", glob, "anything", true, true},
		{"star suffix", "photos/*", glob, "photos/a/b/c.jpg", true, true},
		{"star suffix empty", "photos/*", glob, "photos/", true, true},
		{"star suffix mismatch", "photos/*", glob, "photo/a", false, true},
		{"star prefix", "*.jpg", glob, "a/b/c.jpg", true, true},
		{"star prefix mismatch", "*.jpg", glob, "a/b/c.png", false, true},
		{"star middle", "a*c", glob, "abbbc", true, true},
		{"star middle empty", "a*c", glob, "ac", true, true},
		{"star middle overlap", "ab*ba", glob, "aba", false, true},
		{"star middle overlap ok", "ab*ba", glob, "abba", true, true},
		{"several stars", "a*b*c*d", glob, "axxbyycd", true, true},
		{"several stars order", "a*b*c*d", glob, "axxcyybd", false, true},
		{"backtrack middle", "*ab*abc", glob, "ababab-abc", true, true},
		{"question one", "a?c", glob, "abc", true, true},
		{"question not zero", "a?c", glob, "ac", false, true},
		{"question not two", "a?c", glob, "abbc", false, true},
		{"question slash", "a?c", glob, "a/c", true, true},
		{"question rune", "a?c", glob, "aéc", true, true},
		{"question rune 3 bytes", "a?c", glob, "a€c", true, true},
		{"question rune at end", "*?", glob, "é", true, true},
		{"questions need runes", "x*??", glob, "x€", false, true},
		{"questions two runes", "x*??", glob, "x€é", true, true},
		{"question in last chunk", "*a?", glob, "bbbab", true, true},
		{"question in middle chunk", "*a?c*", glob, "xxabcxx", true, true},
		{"question star mix", "?*?", glob, "a", false, true},
		{"question star mix ok", "?*?", glob, "ab", true, true},
		{"no wildcards: star literal", "a*c", patternOptions{}, "abc", false, true},
		{"no wildcards: star literal match", "a*c", patternOptions{}, "a*c", true, true},
		{"fold ascii", "s3:Get*", fold, "S3:GETOBJECT", true, true},
		{"fold mismatch", "s3:Get*", fold, "s3:PutObject", false, true},
		{"fold unicode", "straße", fold, "STRASSE", false, true},
		{"fold unicode simple", "ÄÖ", fold, "äö", true, true},
		{"fold kelvin", "k", fold, "\u212a", true, true},
		{"fold suffix", "*Object", fold, "s3:getobject", true, true},
		{"fold middle", "*GET*", fold, "s3:getObject", true, true},
		{"fold question", "s3:?etObject", fold, "S3:GETOBJECT", true, true},
		{"fold invalid utf8 subject", "a\uFFFDb", fold, "a\xffb", false, true},
		{"variable", "home/${aws:username}/*", vars, "home/alice/x", true, true},
		{"variable other user", "home/${aws:username}/*", vars, "home/bob/x", false, true},
		{"variable name case-insensitive", "home/${AWS:UserName}/*", vars, "home/alice/x", true, true},
		{"variable missing", "home/${aws:userid}/*", vars, "home/alice/x", false, false},
		{"variable multi-valued", "g/${jwt:groups}", vars, "g/a", false, false},
		{"variable default", "home/${aws:userid, 'nobody'}/*", vars, "home/nobody/x", true, true},
		{"variable default unused", "home/${aws:username, 'nobody'}/*", vars, "home/alice/x", true, true},
		{"variable empty value", "home/${aws:empty}/x", vars, "home//x", true, true},
		{"variable value is literal", "home/${jwt:star}", vars, "home/anything", false, true},
		{"variable value literal star", "home/${jwt:star}", vars, "home/*", true, true},
		{"variable in middle chunk", "*/${aws:username}/*", vars, "a/b/alice/c", true, true},
		{"variable in last chunk", "*${aws:username}", vars, "xxalice", true, true},
		{"variable exact", "${aws:username}", exactVars, "alice", true, true},
		{"escape star", "a${*}", vars, "a*", true, true},
		{"escape star is literal", "a${*}", vars, "ab", false, true},
		{"escape question", "a${?}", vars, "a?", true, true},
		{"escape question is literal", "a${?}", vars, "ab", false, true},
		{"escape dollar", "${$}{x}", vars, "${x}", true, true},
		{"dollar alone", "a$b", vars, "a$b", true, true},
		{"no variables: literal", "${aws:username}", glob, "${aws:username}", true, true},
		{"no variables: star inside is a wildcard", "${*}", glob, "${anything}", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := compilePattern(tt.pattern, tt.opts)
			if err != nil {
				t.Fatalf("compilePattern(%q): %v", tt.pattern, err)
			}
			got, resolved := p.match(tt.subject, ctx)
			if got != tt.want || resolved != tt.resolved {
				t.Errorf("match(%q, %q) = %v, %v; want %v, %v", tt.pattern, tt.subject, got, resolved, tt.want, tt.resolved)
			}
		})
	}
}

func TestPattern_CompileErrors(t *testing.T) {
	vars := patternOptions{wildcards: true, variables: true}
	tests := []struct {
		pattern string
		want    error
	}{
		{"home/${aws:username", errUnterminated},
		{"home/${", errUnterminated},
		{"${}", errBadVariable},
		{"${username}", errBadVariable},
		{"${aws:}", errBadVariable},
		{"${aws:user name}", errBadVariable},
		{"${aws:username, nobody}", errBadVariable},
		{"${aws:username, 'no'body'}", errBadVariable},
		{"${aws:username, 'nobody}", errBadVariable},
	}
	for _, tt := range tests {
		if _, err := compilePattern(tt.pattern, vars); !errors.Is(err, tt.want) {
			t.Errorf("compilePattern(%q) = %v, want %v", tt.pattern, err, tt.want)
		}
	}
}

// TestPattern_MatchLinear checks that patterns built to make naive
// backtracking matchers exponential are matched quickly.
func TestPattern_MatchLinear(t *testing.T) {
	subject := strings.Repeat("a", 20000)
	p, err := compilePattern(strings.Repeat("a*", 50)+"b", patternOptions{wildcards: true})
	if err != nil {
		t.Fatal(err)
	}
	q, err := compilePattern(strings.Repeat("*a?", 50)+"b", patternOptions{wildcards: true, fold: true})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, pat := range []*pattern{p, q} {
		if ok, _ := pat.match(subject, nil); ok {
			t.Fatal("matched, want no match")
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("pathological match took %v", d)
	}
}

func TestArnPattern_Match(t *testing.T) {
	o := patternOptions{wildcards: true, variables: true}
	ctx := map[string][]string{"aws:username": {"alice"}}
	tests := []struct {
		pattern  string
		subject  string
		want     bool
		resolved bool
	}{
		{"*", "anything", true, true},
		{"arn:aws:s3:::photos/*", "arn:aws:s3:::photos/a/b", true, true},
		{"arn:aws:s3:::photos/*", "arn:aws:s3:::photos/a:b:c", true, true},
		{"arn:aws:s3:::photos", "arn:aws:s3:::photos/a", false, true},
		{"arn:aws:s3:::*", "arn:aws:s3:::*", true, true},
		{"arn:aws:s3:::*", "not-an-arn", false, true},
		{"arn:aws:s3:::photos/*", "arn:aws:s3:::Photos/a", false, true},
		// A wildcard in one field never spans into the next one.
		{"arn:aws:s3:*:*:bucket", "arn:aws:s3:::b/x:y:bucket", false, true},
		{"arn:aws:s3:*:*:bucket", "arn:aws:s3:::bucket", true, true},
		{"arn:aws:iam::*:user/*", "arn:aws:iam::123456789012:user/alice", true, true},
		{"arn:aws:iam::*:user/*", "arn:aws:iam::123456789012:role/alice", false, true},
		{"arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::1:user/alice", true, true},
		{"arn:aws:iam::*:user/${aws:userid}", "arn:aws:iam::1:user/alice", false, false},
		{"arn:aws:iam::*:user/${aws:userid}", "arn:aws:iam::1:role/alice", false, false},
		{"arn:aws:iam::*:user/${aws:username}", "short", false, true},
		{"arn:aws:s3:::home/${aws:userid}", "arn:aws:iam::1:x", false, false},
		{"arn:aws:s3:::home/${aws:username}", "arn:aws:iam::1:x", false, true},
		{"arn:aws:s3:::home/${aws:username}", "arn:aws:s3:::home/alice", true, true},
		{"arn:aws:s3:::a", "arn:aws:s3::", false, true},
		{"arn:aws:s3:::", "arn:aws:s3:::", true, true},
		{"arn:aws:s3:::x", "arn:aws:s3:::x:y", false, true},
	}
	for _, tt := range tests {
		p, err := compileARN(tt.pattern, o, true)
		if err != nil {
			t.Fatalf("compileARN(%q): %v", tt.pattern, err)
		}
		got, resolved := p.match(tt.subject, ctx)
		if got != tt.want || resolved != tt.resolved {
			t.Errorf("match(%q, %q) = %v, %v; want %v, %v", tt.pattern, tt.subject, got, resolved, tt.want, tt.resolved)
		}
		// The literal-head fast path agrees with field-by-field matching.
		if p.head != "" {
			slow := *p
			slow.head = ""
			if g, r := slow.match(tt.subject, ctx); g != got || r != resolved {
				t.Errorf("field-by-field match(%q, %q) = %v, %v; fast path %v, %v", tt.pattern, tt.subject, g, r, got, resolved)
			}
		}
	}
	for _, bad := range []string{"photos/*", "arn:aws:s3:photos", "aws:s3:::x:y", "*"} {
		if _, err := compileARN(bad, o, false); err == nil {
			t.Errorf("compileARN(%q) succeeded, want error", bad)
		}
	}
}
