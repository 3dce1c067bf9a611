package policy

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// patternOptions selects how compilePattern reads a policy string.
type patternOptions struct {
	// wildcards makes '*' match any run of characters (including '/' and
	// the empty run) and '?' match exactly one character.
	wildcards bool
	// variables makes "${key}" a policy variable and "${*}", "${?}", "${$}"
	// escapes for a literal '*', '?' and '$' (Version 2012-10-17 only).
	variables bool
	// fold matches case-insensitively (Unicode simple folding).
	fold bool
}

// A pattern is a compiled policy string: literal text, wildcards and policy
// variables. It is stored as chunks separated by '*': the first chunk is
// anchored at the start of the subject, the last at its end, and each
// middle one is placed at its leftmost position after the previous one.
// This is the classic two-pointer glob algorithm (remember the last '*'
// and, on a mismatch, restart one character further), with the restart
// loop replaced by a search: a chunk contains no '*', so it always
// consumes the same number of characters and its leftmost placement is
// never worse for the rest of the pattern; no earlier '*' is revisited.
//
// The restart loop alone would cost up to the chunk's length at each of
// the subject's characters, O(len(subject)·len(pattern)): seconds for a
// 2,000-character pattern against a 60 KB header. Instead each middle
// chunk is searched for once, from where the previous one ended, so the
// searches together read the subject once: literal text with
// strings.Index, a short chunk by trying each start position (at most
// shortChunk comparisons each), anything else (a '?', case folding) with a
// scanner (scan.go) costing ⌈n/64⌉ word operations per subject character
// for a chunk of n characters. A match costs
// O(len(subject)·max(shortChunk, ⌈len(pattern)/64⌉) + len(pattern)) at
// worst.
type pattern struct {
	chunks []chunk    // at least one; a '*' separates consecutive chunks
	vars   []variable // policy variables, referenced by part.v
	fold   bool       // case-insensitive
	single bool       // one chunk only (no '*')
	whole  string     // the literal when single and the chunk is simple
	any    bool       // the pattern is "*" (after merging runs of '*')
	exact  bool       // literal text only: no wildcards, no variables; see whole
}

// A chunk is a run of parts between two '*'.
type chunk struct {
	parts []part
	lit   string   // the literal text when simple
	runes int      // characters consumed by the literal and '?' parts
	scan  *scanner // a long middle chunk's search, when it needs one and has no variable
	// simple is true when the chunk is literal text only, valid UTF-8:
	// then lit is that text, it matches where its bytes occur, and a byte
	// search can only find it at a character boundary (a valid sequence
	// begins with a byte that never continues another).
	simple bool
	hasOne bool // the chunk has a '?' part
	hasVar bool // the chunk has a policy variable
}

// partKind tells what a part matches.
type partKind uint8

const (
	partLit partKind = iota // literal text
	partOne                 // '?': exactly one character
	partVar                 // a policy variable's value, literally
)

// A part is one element of a chunk.
type part struct {
	kind partKind
	lit  string // partLit: the text
	v    int    // partVar: index into pattern.vars
}

// A variable is a policy variable reference: "${key}" or
// "${key, 'default'}".
type variable struct {
	key    string // lower-cased context key
	def    string // default value when the key is absent
	hasDef bool
}

// maxStackVars is how many variable values a match resolves without
// allocating.
const maxStackVars = 4

// Errors of compilePattern; the parser wraps them in an ErrMalformed error
// that names the offending string.
var (
	// errUnterminated is returned when "${" has no closing '}'.
	errUnterminated = errors.New("unterminated policy variable (write ${$} for a literal '$')")
	// errBadVariable is returned when the inside of "${...}" is neither an
	// escape nor "key" or "key, 'default'" with a valid context key.
	errBadVariable = errors.New("malformed policy variable")
)

// compilePattern compiles src under o.
func compilePattern(src string, o patternOptions) (*pattern, error) {
	p := &pattern{fold: o.fold}
	var cur chunk
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			cur.parts = append(cur.parts, part{kind: partLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case o.variables && c == '$' && i+1 < len(src) && src[i+1] == '{':
			end := strings.IndexByte(src[i+2:], '}')
			if end < 0 {
				return nil, errUnterminated
			}
			body := src[i+2 : i+2+end]
			i += 2 + end + 1
			switch body {
			case "*", "?", "$":
				lit.WriteString(body)
				continue
			}
			v, err := parseVariable(body)
			if err != nil {
				return nil, err
			}
			flush()
			cur.parts = append(cur.parts, part{kind: partVar, v: len(p.vars)})
			p.vars = append(p.vars, v)
		case o.wildcards && c == '*':
			flush()
			// Runs of '*' are one '*'; the first chunk is kept even when
			// empty because it anchors the start.
			if len(p.chunks) == 0 || len(cur.parts) > 0 {
				p.chunks = append(p.chunks, cur)
			}
			cur = chunk{}
			i++
		case o.wildcards && c == '?':
			flush()
			cur.parts = append(cur.parts, part{kind: partOne})
			i++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	p.chunks = append(p.chunks, cur)
	for i := range p.chunks {
		c := &p.chunks[i]
		finishChunk(c)
		middle := i > 0 && i < len(p.chunks)-1
		if middle && !c.hasVar && (!c.simple || p.fold) && c.runes > shortChunk {
			c.scan = newScanner(c.parts, nil, p.fold)
		}
	}
	p.single = len(p.chunks) == 1
	if p.single && p.chunks[0].simple {
		p.whole = p.chunks[0].lit
		p.exact = !p.fold
	}
	p.any = len(p.chunks) == 2 && len(p.chunks[0].parts) == 0 && len(p.chunks[1].parts) == 0
	return p, nil
}

// finishChunk computes a chunk's summary fields.
func finishChunk(c *chunk) {
	for _, pt := range c.parts {
		switch pt.kind {
		case partLit:
			c.runes += utf8.RuneCountInString(pt.lit)
		case partOne:
			c.runes++
			c.hasOne = true
		case partVar:
			c.hasVar = true
		}
	}
	switch {
	case len(c.parts) == 0:
		c.simple = true
	case len(c.parts) == 1 && c.parts[0].kind == partLit && utf8.ValidString(c.parts[0].lit):
		c.simple, c.lit = true, c.parts[0].lit
	}
}

// parseVariable parses the inside of "${...}": a context key, optionally
// followed by ", 'default'".
func parseVariable(body string) (variable, error) {
	key, def, hasDef := strings.Cut(body, ",")
	key = strings.TrimSpace(key)
	if !validContextKey(key) {
		return variable{}, errBadVariable
	}
	v := variable{key: strings.ToLower(key)}
	if hasDef {
		def = strings.TrimSpace(def)
		if len(def) < 2 || def[0] != '\'' || def[len(def)-1] != '\'' || strings.IndexByte(def[1:len(def)-1], '\'') >= 0 {
			return variable{}, errBadVariable
		}
		v.def, v.hasDef = def[1:len(def)-1], true
	}
	return v, nil
}

// validContextKey reports whether k looks like a condition context key,
// "prefix:name", without characters that cannot appear in one.
func validContextKey(k string) bool {
	prefix, name, ok := strings.Cut(k, ":")
	if !ok || prefix == "" || name == "" {
		return false
	}
	for _, r := range k {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("{}$,'\"*?", r) {
			return false
		}
	}
	return true
}

// resolve returns the variable's value in ctx. A key with no value uses
// the default if there is one; a key with several values cannot be
// resolved.
func (v *variable) resolve(ctx map[string][]string) (string, bool) {
	vals := ctx[v.key]
	switch len(vals) {
	case 1:
		return vals[0], true
	case 0:
		return v.def, v.hasDef
	default:
		return "", false
	}
}

// match reports whether p matches s. resolved is false when a policy
// variable of p has no single value in ctx; matched is then false.
func (p *pattern) match(s string, ctx map[string][]string) (matched, resolved bool) {
	if p.any {
		return true, true
	}
	if len(p.vars) == 0 {
		if p.exact {
			return s == p.whole, true
		}
		return p.matchResolved(s, nil), true
	}
	var buf [maxStackVars]string
	vals := buf[:0]
	if len(p.vars) > len(buf) {
		vals = make([]string, 0, len(p.vars))
	}
	for i := range p.vars {
		v, ok := p.vars[i].resolve(ctx)
		if !ok {
			return false, false
		}
		vals = append(vals, v)
	}
	return p.matchResolved(s, vals), true
}

// resolvable reports whether every policy variable of p has a single value
// in ctx (or a default).
func (p *pattern) resolvable(ctx map[string][]string) bool {
	for i := range p.vars {
		if _, ok := p.vars[i].resolve(ctx); !ok {
			return false
		}
	}
	return true
}

// matchResolved matches s with the variables' values in vals.
func (p *pattern) matchResolved(s string, vals []string) bool {
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
		if pos, ok = cs[i].find(s, pos, p.fold, vals); !ok {
			return false
		}
	}
	return cs[len(cs)-1].matchSuffix(s, pos, p.fold, vals)
}

// A chunk of at most shortChunk characters is searched for by trying
// every start position, which costs at most shortChunk comparisons per
// subject character and saves the memory of a scanner.
const shortChunk = 16

// naiveBudget is how many character comparisons a longer chunk with a
// policy variable may cost when it is searched for by trying every start
// position; above it, the chunk's search is built for the request (which
// allocates) and runs in linear time.
const naiveBudget = 1 << 12

// matchAt matches the chunk against s starting at byte i and returns the
// byte offset just past the match.
func (c *chunk) matchAt(s string, i int, fold bool, vals []string) (int, bool) {
	for _, pt := range c.parts {
		switch pt.kind {
		case partLit, partVar:
			lit := pt.lit
			if pt.kind == partVar {
				lit = vals[pt.v]
			}
			n, ok := prefixLen(s[i:], lit, fold)
			if !ok {
				return 0, false
			}
			i += n
		case partOne:
			if i >= len(s) {
				return 0, false
			}
			_, w := utf8.DecodeRuneInString(s[i:])
			i += w
		}
	}
	return i, true
}

// find places a middle chunk at its leftmost position at or after byte pos
// and returns the offset just past it. A chunk consumes a fixed number of
// characters, so the match that ends first is also the one that starts
// first.
func (c *chunk) find(s string, pos int, fold bool, vals []string) (int, bool) {
	switch {
	case c.simple && !fold:
		k := strings.Index(s[pos:], c.lit)
		if k < 0 {
			return 0, false
		}
		return pos + k + len(c.lit), true
	case c.scan != nil:
		return c.scan.find(s, pos)
	case !c.hasVar: // a short chunk
		return c.findNaive(s, pos, fold, vals)
	}
	return c.findResolved(s, pos, fold, vals)
}

// findResolved is find for a chunk with policy variables, whose text is
// known only now. A short chunk, or a search that costs little when every
// start position is tried, does so; a longer one is findLarge.
func (c *chunk) findResolved(s string, pos int, fold bool, vals []string) (int, bool) {
	n := c.units(vals)
	rest := len(s) - pos
	switch {
	case n > rest: // n characters take at least n bytes
		return 0, false
	case n <= shortChunk || n*rest <= naiveBudget:
		return c.findNaive(s, pos, fold, vals)
	}
	return c.findLarge(s, pos, fold, vals)
}

// findLarge is find in linear time for a chunk with policy variables:
// strings.Index when the chunk is literal text, a scanner built for the
// request otherwise. It allocates.
func (c *chunk) findLarge(s string, pos int, fold bool, vals []string) (int, bool) {
	if !fold && !c.hasOne {
		if lit, ok := c.literal(vals); ok {
			k := strings.Index(s[pos:], lit)
			if k < 0 {
				return 0, false
			}
			return pos + k + len(lit), true
		}
	}
	return newScanner(c.parts, vals, fold).find(s, pos)
}

// findNaive is find by trying every start position in turn, for short
// chunks and for chunks whose length times the subject's is small.
func (c *chunk) findNaive(s string, pos int, fold bool, vals []string) (int, bool) {
	for i := pos; ; {
		if end, ok := c.matchAt(s, i, fold, vals); ok {
			return end, true
		}
		if i >= len(s) {
			return 0, false
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
}

// units returns how many characters the chunk consumes with the variables'
// values vals.
func (c *chunk) units(vals []string) int {
	n := c.runes
	if c.hasVar {
		for _, pt := range c.parts {
			if pt.kind == partVar {
				n += utf8.RuneCountInString(vals[pt.v])
			}
		}
	}
	return n
}

// literal returns the text of a chunk made of literal parts and variables
// only, when every part is valid UTF-8 (so that the bytes of the whole
// match exactly where its characters do). It allocates when there are
// several parts.
func (c *chunk) literal(vals []string) (string, bool) {
	var b strings.Builder
	for _, pt := range c.parts {
		lit := pt.lit
		switch pt.kind {
		case partOne:
			return "", false
		case partVar:
			lit = vals[pt.v]
		}
		if !utf8.ValidString(lit) {
			return "", false
		}
		if len(c.parts) == 1 {
			return lit, true
		}
		b.WriteString(lit)
	}
	return b.String(), true
}

// matchSuffix reports whether the chunk matches the end of s, starting no
// earlier than byte pos. A chunk consumes a fixed number of characters, so
// its start is found by stepping back that many characters from the end
// (utf8.DecodeLastRuneInString reads the same characters backwards as
// utf8.DecodeRuneInString forwards, invalid bytes included).
func (c *chunk) matchSuffix(s string, pos int, fold bool, vals []string) bool {
	if c.simple && !fold {
		return len(s)-pos >= len(c.lit) && strings.HasSuffix(s, c.lit)
	}
	start := len(s)
	for n := c.units(vals); n > 0; n-- {
		if start <= pos {
			return false
		}
		_, w := utf8.DecodeLastRuneInString(s[pos:start])
		start -= w
	}
	end, ok := c.matchAt(s, start, fold, vals)
	return ok && end == len(s)
}

// prefixLen reports whether s begins with the characters of lit and how
// many bytes of s they cover (with fold the byte lengths may differ). A
// character is a valid UTF-8 sequence or a byte that does not begin one,
// as utf8.DecodeRuneInString reads them; an invalid byte equals only the
// same byte, with or without folding.
func prefixLen(s, lit string, fold bool) (int, bool) {
	if !fold {
		if !strings.HasPrefix(s, lit) {
			return 0, false
		}
		// Equal bytes are equal characters unless lit ends in an
		// incomplete sequence that s completes ("\xe2\x82" of "€").
		if len(lit) == 0 || lit[len(lit)-1] < utf8.RuneSelf || len(lit) == len(s) || utf8.ValidString(lit) {
			return len(lit), true
		}
		for i := 0; i < len(lit); {
			_, wa := utf8.DecodeRuneInString(lit[i:])
			_, wb := utf8.DecodeRuneInString(s[i:])
			if wa != wb {
				return 0, false
			}
			i += wa
		}
		return len(lit), true
	}
	j := 0
	for i := 0; i < len(lit); {
		if j >= len(s) {
			return 0, false
		}
		a, b := lit[i], s[j]
		if a < utf8.RuneSelf && b < utf8.RuneSelf {
			if a != b && lowerASCII(a) != lowerASCII(b) {
				return 0, false
			}
			i++
			j++
			continue
		}
		ra, wa := utf8.DecodeRuneInString(lit[i:])
		rb, wb := utf8.DecodeRuneInString(s[j:])
		ka, kb := charKey(ra, wa, a), charKey(rb, wb, b)
		if ka != kb && (ka < 0 || kb < 0 || !equalFoldRune(ka, kb)) {
			return 0, false
		}
		i += wa
		j += wb
	}
	return j, true
}

// lowerASCII lower-cases an ASCII letter.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldRune reports whether a and b are equal under Unicode simple case
// folding, as strings.EqualFold compares runes.
func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
