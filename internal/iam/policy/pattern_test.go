package policy

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestPattern_Match(t *testing.T) {
	glob := patternOptions{wildcards: true}
	fold := patternOptions{wildcards: true, fold: true}
	vars := patternOptions{wildcards: true, variables: true}
	exactVars := patternOptions{variables: true}
	foldVars := patternOptions{wildcards: true, variables: true, fold: true}
	ctx := map[string][]string{
		"aws:username": {"alice"},
		"jwt:groups":   {"a", "b"},
		"jwt:star":     {"*"},
		"aws:empty":    {""},
		"jwt:bad":      {"\xff"},
		"jwt:part":     {"\xe2\x82"}, // the first two bytes of "€"
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
		{"long middle chunk", "*" + strings.Repeat("a?", 40) + "b*", glob, "aa" + strings.Repeat("ax", 40) + "bb", true, true},
		{"long middle chunk mismatch", "*" + strings.Repeat("a?", 40) + "b*", glob, strings.Repeat("ax", 40) + "a", false, true},
		{"fold middle kelvin", "*K?*", fold, "x\u212ay", true, true},
		{"fold middle question rune", "*É?S*", fold, "xé€s", true, true},
		{"invalid byte in value equals itself", "*${jwt:bad}*", vars, "a\xffb", true, true},
		{"invalid byte in value is not U+FFFD", "*${jwt:bad}*", vars, "a\uFFFDb", false, true},
		{"fold invalid byte in value equals itself", "*${jwt:bad}*", foldVars, "a\xffb", true, true},
		{"incomplete sequence in value is no character", "${jwt:part}?", vars, "€", false, true},
		{"incomplete sequence in value matches itself", "${jwt:part}?", vars, "\xe2\x82x", true, true},
		{"incomplete sequence in middle chunk", "*${jwt:part}*", vars, "a€b", false, true},
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

// TestPattern_MatchBounded checks that patterns built to make a matcher
// backtrack, or try every start position in full, are matched against a
// 60 KB subject in bounded time. Each takes about 10 ms or less; a
// matcher quadratic in the chunk length took 0.5 to 2 s for most of them.
func TestPattern_MatchBounded(t *testing.T) {
	const limit = 250 * time.Millisecond
	for _, tt := range adversarialPatterns {
		t.Run(tt.name, func(t *testing.T) {
			p, err := compilePattern(tt.src, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			best := time.Duration(1<<63 - 1)
			for range 3 { // the best of three, against a busy machine
				start := time.Now()
				if ok, _ := p.match(adversarialSubject, tt.ctx); ok {
					t.Fatal("matched, want no match")
				}
				best = min(best, time.Since(start))
			}
			if best > limit {
				t.Errorf("match took %v, want at most %v", best, limit)
			}
		})
	}
}

// TestScanner_Find checks the scanner against the search that tries every
// start position, on random chunks of 1 to 2,100 characters (one to 33
// words of state) over small alphabets of ASCII, non-ASCII and invalid
// characters, with and without folding, in subjects that contain near
// misses and planted copies.
func TestScanner_Find(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabets := [][]string{
		{"a", "b"},
		{"a", "A", "k", "\u212a", "é", "É"},
		{"x", "€", "\xff", "\xe2"},
		nil, // 100 CJK characters, each too rare in a long chunk for a set of its own
	}
	for r := rune(0x4e00); r < 0x4e00+100; r++ {
		alphabets[3] = append(alphabets[3], string(r))
	}
	for _, n := range []int{1, 2, 63, 64, 65, 130, 300, 2100} {
		for _, alphabet := range alphabets {
			for _, fold := range []bool{false, true} {
				// A chunk of literal parts and '?'.
				var parts []part
				var text strings.Builder
				for range n {
					if rng.IntN(4) == 0 {
						if text.Len() > 0 {
							parts = append(parts, part{kind: partLit, lit: text.String()})
							text.Reset()
						}
						parts = append(parts, part{kind: partOne})
						continue
					}
					text.WriteString(alphabet[rng.IntN(len(alphabet))])
				}
				if text.Len() > 0 {
					parts = append(parts, part{kind: partLit, lit: text.String()})
				}
				c := chunk{parts: parts}
				finishChunk(&c)
				sc := newScanner(c.parts, nil, fold)
				for range 4 {
					var subject strings.Builder
					for subject.Len() < 3*n+20 {
						if rng.IntN(3*n+20) == 0 {
							for _, pt := range parts { // a planted copy
								if pt.kind == partOne {
									subject.WriteString(alphabet[rng.IntN(len(alphabet))])
								} else {
									subject.WriteString(pt.lit)
								}
							}
						}
						subject.WriteString(alphabet[rng.IntN(len(alphabet))])
					}
					s := subject.String()
					wantEnd, want := c.findNaive(s, 0, fold, nil)
					if gotEnd, got := sc.find(s, 0); got != want || got && gotEnd != wantEnd {
						t.Fatalf("n=%d fold=%v alphabet %q: scanner found %v at %d, naive search %v at %d",
							n, fold, alphabet, got, gotEnd, want, wantEnd)
					}
				}
			}
		}
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
