package policy

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// A valueMatcher holds the compiled policy values of one condition.
type valueMatcher interface {
	// matchAny reports whether the request value v matches at least one
	// policy value under the positive form of the operator. A policy value
	// whose variables cannot be resolved in ctx matches nothing.
	matchAny(v string, ctx map[string][]string) bool
}

// compileValues compiles the policy values of a non-Null operator.
func compileValues(op operator, values []scalar, vars bool) (valueMatcher, error) {
	switch op.family {
	case famString:
		o := patternOptions{wildcards: op.like, variables: vars, fold: op.fold}
		m := make(stringValues, 0, len(values))
		for _, v := range values {
			p, err := compilePattern(v.s, o)
			if err != nil {
				return nil, fmt.Errorf("value %q: %w", v.s, err)
			}
			m = append(m, p)
		}
		return m, nil
	case famARN:
		o := patternOptions{wildcards: true, variables: vars}
		m := make(arnValues, 0, len(values))
		for _, v := range values {
			p, err := compileARN(v.s, o, false)
			if err != nil {
				return nil, fmt.Errorf("value %q: %w", v.s, err)
			}
			m = append(m, p)
		}
		return m, nil
	case famNumeric:
		m := numericValues{cmp: op.cmp}
		for _, v := range values {
			n, ok := parseNumber(v.s)
			if !ok || v.kind == kindBool {
				return nil, fmt.Errorf("value %q is not a number", v.s)
			}
			m.vals = append(m.vals, n)
		}
		return m, nil
	case famDate:
		m := dateValues{cmp: op.cmp}
		for _, v := range values {
			t, ok := parseDate(v.s)
			if !ok || v.kind == kindBool {
				return nil, fmt.Errorf("value %q is not a date (ISO 8601 or epoch seconds)", v.s)
			}
			m.vals = append(m.vals, t)
		}
		return m, nil
	case famBool:
		m := make(boolValues, 0, len(values))
		for _, v := range values {
			b, ok := parseBool(v.s)
			if !ok || v.kind == kindNumber {
				return nil, fmt.Errorf("value %q is not true or false", v.s)
			}
			m = append(m, b)
		}
		return m, nil
	case famBinary:
		m := make(binaryValues, 0, len(values))
		for _, v := range values {
			b, err := base64.StdEncoding.Strict().DecodeString(v.s)
			if err != nil || v.kind != kindString {
				return nil, fmt.Errorf("value %q is not base64", v.s)
			}
			m = append(m, string(b))
		}
		return m, nil
	case famIP:
		m := make(ipValues, 0, len(values))
		for _, v := range values {
			p, ok := parsePrefix(v.s)
			if !ok || v.kind != kindString {
				return nil, fmt.Errorf("value %q is not an IP address or CIDR block", v.s)
			}
			m = append(m, p)
		}
		return m, nil
	}
	return nil, fmt.Errorf("operator family %d has no values", op.family)
}

// stringValues are the values of String* operators: exact, case-folded or
// wildcard patterns, with policy variables.
type stringValues []*pattern

func (m stringValues) matchAny(v string, ctx map[string][]string) bool {
	for _, p := range m {
		if ok, _ := p.match(v, ctx); ok {
			return true
		}
	}
	return false
}

// arnValues are the values of Arn* operators. ArnEquals and ArnLike are the
// same operator in IAM: both take wildcards, field by field.
type arnValues []*arnPattern

func (m arnValues) matchAny(v string, ctx map[string][]string) bool {
	for _, p := range m {
		if ok, _ := p.match(v, ctx); ok {
			return true
		}
	}
	return false
}

// numericValues are the values of Numeric* operators.
type numericValues struct {
	cmp  comparison
	vals []number
}

func (m numericValues) matchAny(v string, _ map[string][]string) bool {
	n, ok := parseNumber(v)
	if !ok {
		return false
	}
	for _, p := range m.vals {
		if m.cmp.holds(compareNumbers(n, p)) {
			return true
		}
	}
	return false
}

// dateValues are the values of Date* operators, in UTC.
type dateValues struct {
	cmp  comparison
	vals []time.Time
}

func (m dateValues) matchAny(v string, _ map[string][]string) bool {
	t, ok := parseDate(v)
	if !ok {
		return false
	}
	for _, p := range m.vals {
		if m.cmp.holds(t.Compare(p)) {
			return true
		}
	}
	return false
}

// boolValues are the values of Bool.
type boolValues []bool

func (m boolValues) matchAny(v string, _ map[string][]string) bool {
	b, ok := parseBool(v)
	if !ok {
		return false
	}
	for _, p := range m {
		if p == b {
			return true
		}
	}
	return false
}

// binaryValues are the base64-decoded values of BinaryEquals; the request
// value is compared as raw bytes.
type binaryValues []string

func (m binaryValues) matchAny(v string, _ map[string][]string) bool {
	for _, p := range m {
		if p == v {
			return true
		}
	}
	return false
}

// ipValues are the CIDR blocks of IpAddress and NotIpAddress.
type ipValues []netip.Prefix

func (m ipValues) matchAny(v string, _ map[string][]string) bool {
	a, err := netip.ParseAddr(v)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range m {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// A number is a parsed numeric value: integers compare exactly, anything
// else as float64.
type number struct {
	i     int64
	f     float64
	isInt bool
}

// parseNumber parses a decimal number: an optional sign, digits with an
// optional fraction, and an optional exponent. NaN, infinities and hex
// forms are not numbers.
func parseNumber(s string) (number, bool) {
	isInt, ok := numberSyntax(s)
	if !ok {
		return number{}, false
	}
	if isInt {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return number{i: i, f: float64(i), isInt: true}, true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return number{}, false
	}
	return number{f: f}, true
}

// numberSyntax checks the syntax parseNumber accepts and reports whether s
// is a plain integer.
func numberSyntax(s string) (isInt, ok bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	isInt = digits > 0 && i == len(s)
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && isDigit(s[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return false, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && isDigit(s[i]); i++ {
			exp++
		}
		if exp == 0 {
			return false, false
		}
	}
	return isInt, i == len(s)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// compareNumbers compares a and b.
func compareNumbers(a, b number) int {
	if a.isInt && b.isInt {
		return cmp.Compare(a.i, b.i)
	}
	return cmp.Compare(a.f, b.f)
}

// parseDate parses a date condition value: epoch seconds (as
// aws:EpochTime), RFC 3339 / ISO 8601 extended ("2026-01-02T15:04:05Z",
// with optional fraction and offset, as aws:CurrentTime), ISO 8601 basic
// ("20260102T150405Z") or a plain date ("2026-01-02", midnight UTC). The
// result is in UTC.
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if isInt, ok := numberSyntax(s); ok && isInt {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	layouts := [...]string{time.RFC3339, "20060102T150405Z0700", "2006-01-02T15:04:05Z0700", "2006-01-02"}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseBool parses "true" or "false", in any case.
func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parsePrefix parses an IpAddress value: a CIDR block or a single IPv4 or
// IPv6 address (a /32 or /128). IPv4-mapped IPv6 forms are converted to
// IPv4.
func parsePrefix(s string) (netip.Prefix, bool) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}
