package policy

import (
	"strings"
	"unicode/utf8"
)

// This file holds a deliberately simple and slow pattern matcher that the
// fuzz tests compare the real one with. It shares no code with pattern.go:
// it reads the pattern source itself, and matches by dynamic programming
// over every (pattern token, subject character) pair.

// refKind is what a reference token matches.
type refKind uint8

const (
	refChar refKind = iota // one literal character
	refOne                 // '?': any one character
	refStar                // '*': any run of characters
)

// A refToken is one element of a pattern, after policy variables are
// replaced by their values.
type refToken struct {
	kind refKind
	char string // refChar: the character's bytes
}

// refChars splits s into characters: valid UTF-8 sequences, and bytes that
// do not begin one.
func refChars(s string) []string {
	var cs []string
	for s != "" {
		_, w := utf8.DecodeRuneInString(s)
		cs = append(cs, s[:w])
		s = s[w:]
	}
	return cs
}

// refTokens reads a pattern source under o, resolving policy variables in
// ctx. It reports ok false when src is not a valid pattern, and resolved
// false when a variable has no single value (and no default). Literal text
// between two wildcards or variables is split into characters on its own,
// and so is a variable's value: a sequence cut short at the end of one
// never joins the next.
func refTokens(src string, o patternOptions, ctx map[string][]string) (toks []refToken, resolved, ok bool) {
	resolved = true
	var text strings.Builder
	flush := func() {
		for _, c := range refChars(text.String()) {
			toks = append(toks, refToken{kind: refChar, char: c})
		}
		text.Reset()
	}
	for i := 0; i < len(src); i++ {
		switch {
		case o.variables && strings.HasPrefix(src[i:], "${"):
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return nil, false, false
			}
			body := src[i+2 : i+end]
			i += end
			if body == "*" || body == "?" || body == "$" {
				text.WriteString(body)
				continue
			}
			key, def, hasDef := strings.Cut(body, ",")
			def = strings.TrimSpace(def)
			if hasDef {
				if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' {
					return nil, false, false
				}
				def = def[1 : len(def)-1]
			}
			value := def
			switch vals := ctx[strings.ToLower(strings.TrimSpace(key))]; {
			case len(vals) == 1:
				value = vals[0]
			case len(vals) > 1 || !hasDef:
				resolved = false
			}
			flush()
			text.WriteString(value)
			flush()
		case o.wildcards && src[i] == '*':
			flush()
			toks = append(toks, refToken{kind: refStar})
		case o.wildcards && src[i] == '?':
			flush()
			toks = append(toks, refToken{kind: refOne})
		default:
			text.WriteByte(src[i])
		}
	}
	flush()
	return toks, resolved, true
}

// refEqual reports whether the pattern character a equals the subject
// character b: the same bytes, or with fold two valid runes that
// strings.EqualFold finds equal. An invalid byte equals only itself.
func refEqual(a, b string, fold bool) bool {
	if a == b {
		return true
	}
	valid := func(c string) bool { r, w := utf8.DecodeRuneInString(c); return r != utf8.RuneError || w > 1 }
	return fold && valid(a) && valid(b) && strings.EqualFold(a, b)
}

// refMatch reports whether toks match the whole of s. m[i][j] is whether
// toks[i:] match the characters cs[j:].
func refMatch(toks []refToken, s string, fold bool) bool {
	cs := refChars(s)
	m := make([][]bool, len(toks)+1)
	for i := range m {
		m[i] = make([]bool, len(cs)+1)
	}
	m[len(toks)][len(cs)] = true
	for i := len(toks) - 1; i >= 0; i-- {
		for j := len(cs); j >= 0; j-- {
			more := j < len(cs)
			switch t := toks[i]; t.kind {
			case refStar:
				m[i][j] = m[i+1][j] || more && m[i][j+1]
			case refOne:
				m[i][j] = more && m[i+1][j+1]
			case refChar:
				m[i][j] = more && refEqual(t.char, cs[j], fold) && m[i+1][j+1]
			}
		}
	}
	return m[0][0]
}

// refPattern is the reference for pattern.match: matched and resolved.
func refPattern(src string, o patternOptions, s string, ctx map[string][]string) (matched, resolved, ok bool) {
	toks, resolved, ok := refTokens(src, o, ctx)
	if !ok || !resolved {
		return false, resolved, ok
	}
	return refMatch(toks, s, o.fold), true, true
}

// refARN is the reference for arnPattern.match: the pattern and the subject
// are cut at their first five colons (a pattern's colons inside "${...}"
// do not count) and matched field by field.
func refARN(src string, o patternOptions, allowStar bool, s string, ctx map[string][]string) (matched, resolved, ok bool) {
	if allowStar && src == "*" {
		return true, true, true
	}
	var fields []string
	start := 0
	for i := 0; i < len(src) && len(fields) < arnSegments-1; i++ {
		if o.variables && strings.HasPrefix(src[i:], "${") {
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return false, false, false
			}
			i += end
		} else if src[i] == ':' {
			fields = append(fields, src[start:i])
			start = i + 1
		}
	}
	if len(fields) < arnSegments-1 || fields[0] != "arn" {
		return false, false, false
	}
	fields = append(fields, src[start:])
	subject := strings.SplitN(s, ":", arnSegments)
	matched, resolved = len(subject) == arnSegments, true
	for i, f := range fields {
		field := ""
		if i < len(subject) {
			field = subject[i]
		}
		m, r, ok := refPattern(f, o, field, ctx)
		if !ok {
			return false, false, false
		}
		matched, resolved = matched && m, resolved && r
	}
	return matched && resolved, resolved, true
}
