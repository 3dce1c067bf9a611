package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"
)

// This file holds the order-preserving, duplicate-detecting JSON reading
// the parser is built on. encoding/json's struct decoding matches field
// names case-insensitively and keeps the last of duplicate keys; the IAM
// grammar is case-sensitive and a duplicate key is almost always a
// mistake, so objects are read member by member instead. parse validates
// the whole document with encoding/json first; the functions here then
// only split the validated bytes, without copying them.

// A member is one name/value pair of a JSON object.
type member struct {
	name  string
	value json.RawMessage
}

// jsonKind returns the first byte of a JSON value, which tells its type:
// '{', '[', '"', 't', 'f', 'n', or a digit or '-' for a number.
func jsonKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// errNotObject is returned by members for a value that is not an object.
var errNotObject = errors.New("not a JSON object")

// errTruncated is returned when valid JSON was expected but the input ends
// early; parse validates the whole document first, so it means a bug.
var errTruncated = errors.New("unexpected end of JSON")

// members returns the members of the JSON object raw in document order,
// as sub-slices of raw. dup is the first name that occurs twice, if any.
// raw must be valid JSON (parse checks the whole document once with
// json.Valid, so the splitting here only follows the structure).
func members(raw json.RawMessage) (ms []member, dup string, err error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, "", errNotObject
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return nil, "", nil
	}
	var seen nameSet
	for {
		end, err := skipValue(raw, i)
		if err != nil || raw[i] != '"' {
			return nil, "", errTruncated
		}
		name, ok := jsonString(raw[i:end])
		if !ok {
			return nil, "", errTruncated
		}
		i = skipSpace(raw, end)
		if i >= len(raw) || raw[i] != ':' {
			return nil, "", errTruncated
		}
		i = skipSpace(raw, i+1)
		if end, err = skipValue(raw, i); err != nil {
			return nil, "", err
		}
		if dup == "" && seen.add(name, ms) {
			dup = name
		}
		ms = append(ms, member{name: name, value: raw[i:end]})
		i = skipSpace(raw, end)
		if i >= len(raw) {
			return nil, "", errTruncated
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case '}':
			return ms, dup, nil
		default:
			return nil, "", errTruncated
		}
	}
}

// nameSet finds duplicate member names: by scanning the few members read
// so far, or with a map once an object has many.
type nameSet struct {
	m map[string]struct{}
}

// add reports whether name is already among ms (the members read so far)
// and records it.
func (s *nameSet) add(name string, ms []member) bool {
	const small = 16
	if s.m == nil && len(ms) < small {
		for _, m := range ms {
			if m.name == name {
				return true
			}
		}
		return false
	}
	if s.m == nil {
		s.m = make(map[string]struct{}, 2*len(ms))
		for _, m := range ms {
			s.m[m.name] = struct{}{}
		}
	}
	_, dup := s.m[name]
	s.m[name] = struct{}{}
	return dup
}

// elements returns the elements of the JSON array raw, as sub-slices of
// raw. raw must be valid JSON.
func elements(raw json.RawMessage) ([]json.RawMessage, bool) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return nil, true
	}
	var elems []json.RawMessage
	for {
		end, err := skipValue(raw, i)
		if err != nil {
			return nil, false
		}
		elems = append(elems, raw[i:end])
		i = skipSpace(raw, end)
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case ']':
			return elems, true
		default:
			return nil, false
		}
	}
}

// skipSpace returns the index of the first non-whitespace byte at or after
// i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the valid JSON value starting at
// b[i].
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errTruncated
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, err := skipString(b, i)
				if err != nil {
					return 0, err
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errTruncated
	default: // number, true, false, null
		j := i
		for j < len(b) && !strings.ContainsRune(",:}] \t\r\n", rune(b[j])) {
			j++
		}
		if j == i {
			return 0, errTruncated
		}
		return j, nil
	}
}

// skipString returns the index just past the JSON string starting at b[i].
func skipString(b []byte, i int) (int, error) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, nil
		}
	}
	return 0, errTruncated
}

// jsonString decodes a JSON string value.
func jsonString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	// Fast path: no escapes and valid UTF-8 decode to the bytes between
	// the quotes (encoding/json would replace invalid UTF-8).
	if body := raw[1 : len(raw)-1]; bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// stringOrList decodes a JSON string or a non-empty list of strings; list
// reports which form it was.
func stringOrList(raw json.RawMessage) (vals []string, list, ok bool) {
	switch jsonKind(raw) {
	case '"':
		s, ok := jsonString(raw)
		return []string{s}, false, ok
	case '[':
		elems, ok := elements(raw)
		if !ok || len(elems) == 0 {
			return nil, true, false
		}
		vals = make([]string, 0, len(elems))
		for _, e := range elems {
			s, ok := jsonString(e)
			if !ok {
				return nil, true, false
			}
			vals = append(vals, s)
		}
		return vals, true, true
	}
	return nil, false, false
}

// scalarOrList decodes a condition value: a string, number or boolean, or
// a non-empty list of them.
func scalarOrList(raw json.RawMessage) (vals []scalar, list, ok bool) {
	if jsonKind(raw) != '[' {
		v, ok := jsonScalar(raw)
		return []scalar{v}, false, ok
	}
	elems, ok := elements(raw)
	if !ok || len(elems) == 0 {
		return nil, true, false
	}
	vals = make([]scalar, 0, len(elems))
	for _, e := range elems {
		v, ok := jsonScalar(e)
		if !ok {
			return nil, true, false
		}
		vals = append(vals, v)
	}
	return vals, true, true
}

// jsonScalar decodes a JSON string, number or boolean.
func jsonScalar(raw json.RawMessage) (scalar, bool) {
	switch k := jsonKind(raw); {
	case k == '"':
		s, ok := jsonString(raw)
		return scalar{s: s, kind: kindString}, ok
	case k == 't' || k == 'f':
		switch t := string(bytes.TrimSpace(raw)); t {
		case "true", "false":
			return scalar{s: t, kind: kindBool}, true
		}
	case k == '-' || isDigit(k):
		// raw is a valid JSON number: keep its text.
		return scalar{s: string(bytes.TrimSpace(raw)), kind: kindNumber}, true
	}
	return scalar{}, false
}
