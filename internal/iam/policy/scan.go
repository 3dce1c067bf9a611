package policy

import (
	"cmp"
	"slices"
	"unicode"
	"unicode/utf8"
)

// A scanner finds the leftmost occurrence of a chunk (literal characters
// and '?', without '*') in a subject with the Shift-And algorithm: after
// each subject character, bit j of the state is set when the chunk's
// first j+1 characters match the subject's last j+1 ones, and the chunk
// is found when bit n-1 is set, n being its length in characters. Each
// subject character costs ⌈n/64⌉ word operations, however the chunk and
// the subject are made, so a search is linear in the subject.
//
// The state moves by one shift and one AND with the set of chunk positions
// that accept the character read: a '?' position accepts every character,
// a literal one its character (under folding, every character of the same
// simple-folding orbit).
type scanner struct {
	n     int // characters in the chunk
	words int // uint64 words in a position set: ⌈n/64⌉
	// sets holds position sets of `words` words each. Set 0 is the '?'
	// positions, accepted by any character the chunk does not name; each
	// other set includes it.
	sets []uint64
	// ascii is the index in sets of the set of each ASCII character.
	ascii [utf8.RuneSelf]uint8
	// wide holds the other characters the chunk names, sorted by key. One
	// that occurs at fewer than `words` positions has no set of its own:
	// its positions are listed in pos, so that a chunk of n distinct
	// characters needs O(n) memory, not O(n²/64).
	wide []wideChar
	pos  []int32
}

// A wideChar is a non-ASCII character or an invalid byte named by a chunk.
type wideChar struct {
	key      rune  // see charKey
	set      int32 // index of its set in scanner.sets, or -1
	from, to int32 // when set is -1: its positions are scanner.pos[from:to], ascending
}

// charKey identifies the character r of width w that starts with byte b,
// as utf8.DecodeRuneInString returned them: the rune, or for a byte that
// does not begin a valid UTF-8 sequence -1-b, so that it equals only the
// same byte (and never U+FFFD written validly).
func charKey(r rune, w int, b byte) rune {
	if r == utf8.RuneError && w == 1 {
		return -1 - rune(b)
	}
	return r
}

// newScanner returns the scanner of a chunk made of parts (literal text,
// '?' and policy variables, whose values are vals). With fold, a literal
// character is accepted in every case.
func newScanner(parts []part, vals []string, fold bool) *scanner {
	type occurrence struct {
		key rune
		pos int32
	}
	var (
		occs []occurrence
		ones []int32 // '?' positions
		n    int32
	)
	for _, pt := range parts {
		if pt.kind == partOne {
			ones = append(ones, n)
			n++
			continue
		}
		text := pt.lit
		if pt.kind == partVar {
			text = vals[pt.v]
		}
		for i := 0; i < len(text); {
			r, w := utf8.DecodeRuneInString(text[i:])
			key := charKey(r, w, text[i])
			occs = append(occs, occurrence{key, n})
			if fold && key >= 0 {
				for f := unicode.SimpleFold(key); f != key; f = unicode.SimpleFold(f) {
					occs = append(occs, occurrence{f, n})
				}
			}
			i += w
			n++
		}
	}
	sc := &scanner{n: int(n), words: (int(n) + 63) / 64}
	newSet := func(positions []int32) int {
		idx := len(sc.sets) / max(sc.words, 1)
		set := make([]uint64, sc.words)
		if idx > 0 {
			copy(set, sc.sets[:sc.words])
		}
		for _, p := range positions {
			set[p/64] |= 1 << (p % 64)
		}
		sc.sets = append(sc.sets, set...)
		return idx
	}
	newSet(ones)
	// ASCII characters first, so that their sets have the lowest indexes
	// (at most 128, see scanner.ascii); then by key and position.
	isWide := func(key rune) bool { return key < 0 || key >= utf8.RuneSelf }
	slices.SortFunc(occs, func(a, b occurrence) int {
		if wa, wb := isWide(a.key), isWide(b.key); wa != wb {
			if wb {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.pos, b.pos))
	})
	positions := make([]int32, 0, len(occs))
	for i := 0; i < len(occs); {
		key := occs[i].key
		positions = positions[:0]
		for ; i < len(occs) && occs[i].key == key; i++ {
			positions = append(positions, occs[i].pos)
		}
		switch {
		case !isWide(key):
			sc.ascii[key] = uint8(newSet(positions))
		case len(positions) >= sc.words:
			sc.wide = append(sc.wide, wideChar{key: key, set: int32(newSet(positions))})
		default:
			from := int32(len(sc.pos))
			sc.pos = append(sc.pos, positions...)
			sc.wide = append(sc.wide, wideChar{key: key, set: -1, from: from, to: int32(len(sc.pos))})
		}
	}
	return sc
}

// lookup returns the wide character of key, or nil when the chunk does
// not name it.
func (sc *scanner) lookup(key rune) *wideChar {
	i, ok := slices.BinarySearchFunc(sc.wide, key, func(w wideChar, k rune) int { return cmp.Compare(w.key, k) })
	if !ok {
		return nil
	}
	return &sc.wide[i]
}

// find returns the byte offset just past the leftmost occurrence of the
// chunk in s at or after byte pos, which must be a character boundary.
func (sc *scanner) find(s string, pos int) (int, bool) {
	switch {
	case sc.n == 0:
		return pos, true
	case sc.n > len(s)-pos:
		return 0, false
	case sc.words == 1:
		return sc.find1(s, pos)
	}
	return sc.findN(s, pos)
}

// find1 is find for a chunk of at most 64 characters: the state is one
// word and every character the chunk names has a set.
func (sc *scanner) find1(s string, i int) (int, bool) {
	done := uint64(1) << (sc.n - 1)
	var state uint64
	for i < len(s) {
		var set uint64
		if c := s[i]; c < utf8.RuneSelf {
			set = sc.sets[sc.ascii[c]]
			i++
		} else {
			r, w := utf8.DecodeRuneInString(s[i:])
			set = sc.sets[0]
			if wc := sc.lookup(charKey(r, w, c)); wc != nil {
				set = sc.sets[wc.set]
			}
			i += w
		}
		state = (state<<1 | 1) & set
		if state&done != 0 {
			return i, true
		}
	}
	return 0, false
}

// findN is find for a chunk of more than 64 characters. It allocates the
// state when the chunk is longer than 2,048 characters.
func (sc *scanner) findN(s string, i int) (int, bool) {
	var buf [32]uint64
	state := buf[:]
	if sc.words > len(buf) {
		state = make([]uint64, sc.words)
	}
	state = state[:sc.words]
	doneWord, done := (sc.n-1)/64, uint64(1)<<((sc.n-1)%64)
	// Bits move up one position a character, so the words above the
	// highest non-zero one (live) are zero until a carry reaches them.
	live := 0
	for i < len(s) {
		set, list := sc.sets[:sc.words], []int32(nil)
		if c := s[i]; c < utf8.RuneSelf {
			k := int(sc.ascii[c]) * sc.words
			set = sc.sets[k : k+sc.words]
			i++
		} else {
			r, w := utf8.DecodeRuneInString(s[i:])
			if wc := sc.lookup(charKey(r, w, c)); wc != nil {
				if wc.set >= 0 {
					k := int(wc.set) * sc.words
					set = sc.sets[k : k+sc.words]
				} else {
					list = sc.pos[wc.from:wc.to]
				}
			}
			i += w
		}
		if live < sc.words-1 && state[live]>>63 != 0 {
			live++
		}
		// From the top word down, so that state[k-1] still holds the
		// bit that carries into word k.
		for k := live; k >= 0; k-- {
			in := uint64(1)
			if k > 0 {
				in = state[k-1] >> 63
			}
			shifted := state[k]<<1 | in
			next := shifted & set[k]
			// A character without a set of its own: set 0 (the '?'
			// positions) plus its listed positions.
			for len(list) > 0 && int(list[len(list)-1]/64) >= k {
				p := list[len(list)-1]
				if int(p/64) == k {
					next |= shifted & (1 << (p % 64))
				}
				list = list[:len(list)-1]
			}
			state[k] = next
		}
		for live > 0 && state[live] == 0 {
			live--
		}
		if state[doneWord]&done != 0 {
			return i, true
		}
	}
	return 0, false
}
