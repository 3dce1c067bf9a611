package ldap

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	goldap "github.com/go-ldap/ldap/v3"
)

// NormalizeDN returns the canonical form of a distinguished name, the form
// in which Identity carries DNs and in which the IAM store should key
// policy attachments, so that two spellings of one entry attach to one
// key. The DN is parsed per RFC 4514 (go-ldap's ParseDN: escapes, hex
// pairs, '#' BER values, spaces around separators); attribute types are
// lowercased; values are case-folded; the attributes of a multi-valued RDN
// are sorted; values are re-escaped per RFC 4514 (UTF-8 characters are
// kept as they are) and the RDNs joined with ",". So
// "UID=Alice, OU=People,DC=Example,DC=org" becomes
// "uid=alice,ou=people,dc=example,dc=org".
//
// Folding values treats every naming attribute as case-insensitive, which
// is what the attributes used in DNs (cn, uid, ou, o, dc, l, ...) declare
// (caseIgnoreMatch) and what Active Directory does for all of them. An
// attribute type given as an OID is not mapped to its name.
//
// It fails for a string that is not a DN, and for the empty DN (the root,
// which names no user or group).
func NormalizeDN(dn string) (string, error) {
	rdns, err := parseDN(dn)
	if err != nil {
		return "", err
	}
	return strings.Join(rdns, ","), nil
}

// parseDN parses dn into its normalised RDNs, leaf first.
func parseDN(dn string) ([]string, error) {
	if !utf8.ValidString(dn) {
		return nil, errors.New("DN is not valid UTF-8")
	}
	parsed, err := goldap.ParseDN(dn)
	if err != nil {
		return nil, err
	}
	if len(parsed.RDNs) == 0 {
		return nil, errors.New("empty DN")
	}
	out := make([]string, len(parsed.RDNs))
	for i, rdn := range parsed.RDNs {
		if len(rdn.Attributes) == 0 {
			return nil, errors.New("empty RDN")
		}
		pairs := make([]string, len(rdn.Attributes))
		for j, a := range rdn.Attributes {
			if !validAttributeType(a.Type) {
				return nil, errors.New("invalid attribute type " + strconv.Quote(a.Type))
			}
			if !utf8.ValidString(a.Value) {
				return nil, errors.New("attribute value is not valid UTF-8")
			}
			pairs[j] = strings.ToLower(a.Type) + "=" + escapeValue(fold(a.Value))
		}
		slices.Sort(pairs)
		out[i] = strings.Join(pairs, "+")
	}
	return out, nil
}

// validAttributeType accepts a descriptor (a letter, then letters, digits
// and hyphens) or a numeric OID, as RFC 4514 §3 allows.
func validAttributeType(t string) bool {
	if t == "" {
		return false
	}
	if t[0] >= '0' && t[0] <= '9' {
		for _, part := range strings.Split(t, ".") {
			if part == "" || strings.Trim(part, "0123456789") != "" || (len(part) > 1 && part[0] == '0') {
				return false
			}
		}
		return true
	}
	for i, r := range t {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !(letter || i > 0 && (r >= '0' && r <= '9' || r == '-')) {
			return false
		}
	}
	return true
}

// escapeValue escapes an attribute value per RFC 4514 §2.4: the special
// characters with a backslash, a leading space or '#' and a trailing
// space, and control or unprintable characters as \XX per byte. Other
// UTF-8 characters stay as they are, so normalised DNs remain readable.
func escapeValue(v string) string {
	var b strings.Builder
	for i, r := range v {
		size := utf8.RuneLen(r)
		switch {
		case strings.ContainsRune(`"+,;<>\`, r),
			i == 0 && (r == ' ' || r == '#'),
			i+size == len(v) && r == ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || !unicode.IsPrint(r):
			for _, c := range []byte(string(r)) {
				fmt.Fprintf(&b, "\\%02x", c)
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// fold maps every rune to one representative of its case-folding orbit
// (the lower case of its smallest member), so that fold(a) == fold(b)
// exactly when strings.EqualFold(a, b), and ASCII letters become lower
// case.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		smallest := r
		for next := unicode.SimpleFold(r); next != r; next = unicode.SimpleFold(next) {
			if next < smallest {
				smallest = next
			}
		}
		b.WriteRune(unicode.ToLower(smallest))
	}
	return b.String()
}

// splitDNList splits a ';'-separated list of DNs (MinIO's format for the
// base DN variables), honouring backslash escapes, trimming spaces and
// dropping empty items.
func splitDNList(s string) []string {
	var out []string
	start, escaped := 0, false
	add := func(part string) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	for i := 0; i < len(s); i++ {
		switch {
		case escaped:
			escaped = false
		case s[i] == '\\':
			escaped = true
		case s[i] == ';':
			add(s[start:i])
			start = i + 1
		}
	}
	add(s[start:])
	return out
}

// baseSet is a list of base DNs, normalised, for "at or below" checks.
type baseSet [][]string

func newBaseSet(dns []string) (baseSet, error) {
	var set baseSet
	for _, dn := range dns {
		rdns, err := parseDN(dn)
		if err != nil {
			return nil, err
		}
		set = append(set, rdns)
	}
	return set, nil
}

// contains reports whether the normalised DN rdns is one of the bases or
// lies below one. The comparison is RDN by RDN, so an escaped comma in a
// value can never make a DN look like a descendant.
func (s baseSet) contains(rdns []string) bool {
	for _, base := range s {
		if len(rdns) < len(base) {
			continue
		}
		tail := rdns[len(rdns)-len(base):]
		match := true
		for i := range base {
			if tail[i] != base[i] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func (s baseSet) containsDN(dn string) bool {
	rdns, err := parseDN(dn)
	return err == nil && s.contains(rdns)
}
