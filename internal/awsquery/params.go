package awsquery

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Params reads a request's parameters and collects the constraint
// violations found on the way, so that one ValidationError lists them all
// as AWS does: "2 validation errors detected: Value null at 'userName'
// failed to satisfy constraint: Member must not be null; ...".
type Params struct {
	values   url.Values
	problems []string
}

// MemberName is the name AWS's validation messages give a parameter:
// "UserName" is 'userName'.
func MemberName(name string) string {
	if name == "" {
		return name
	}
	return strings.ToLower(name[:1]) + name[1:]
}

// Get returns a parameter and whether it was given (perhaps empty).
func (v *Params) Get(name string) (string, bool) {
	vals, ok := v.values[name]
	if !ok || len(vals) == 0 {
		return "", false
	}
	return vals[0], true
}

// Problem records a violation in AWS's words: "Value '100' at
// 'durationSeconds' failed to satisfy constraint: Member must ...". value
// is written as given: quoted (see Quote), or null.
func (v *Params) Problem(member, value, constraint string) {
	v.problems = append(v.problems, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

// Optional returns a parameter and whether it was given; given but empty
// is a violation.
func (v *Params) Optional(name string) (string, bool) {
	s, ok := v.Get(name)
	if !ok {
		return "", false
	}
	if s == "" {
		v.Problem(MemberName(name), "''", "Member must have length greater than or equal to 1")
		return "", false
	}
	return s, true
}

// Required returns a parameter that must be given and not be empty.
func (v *Params) Required(name string) string {
	if _, ok := v.Get(name); !ok {
		v.Problem(MemberName(name), "null", "Member must not be null")
		return ""
	}
	s, _ := v.Optional(name)
	return s
}

// Enum returns a parameter that must be one of allowed; def when absent.
func (v *Params) Enum(name, def string, allowed ...string) string {
	s, ok := v.Optional(name)
	if !ok || !v.oneOf(name, s, allowed) {
		return def
	}
	return s
}

// RequiredEnum returns a parameter that must be given and be one of allowed.
func (v *Params) RequiredEnum(name string, allowed ...string) string {
	s := v.Required(name)
	if s == "" || !v.oneOf(name, s, allowed) {
		return ""
	}
	return s
}

func (v *Params) oneOf(name, s string, allowed []string) bool {
	if slices.Contains(allowed, s) {
		return true
	}
	v.Problem(MemberName(name), Quote(s), "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
	return false
}

// Bool returns a true/false parameter; false when absent.
func (v *Params) Bool(name string) bool {
	return v.Enum(name, "false", "true", "false") == "true"
}

// Int returns an integer parameter between lo and hi, and whether it was
// given and valid.
func (v *Params) Int(name string, lo, hi int64) (int64, bool) {
	s, ok := v.Optional(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	member := MemberName(name)
	switch {
	case err != nil:
		v.Problem(member, Quote(s), "Member must be an integer")
	case n < lo:
		v.Problem(member, Quote(s), fmt.Sprintf("Member must have value greater than or equal to %d", lo))
	case n > hi:
		v.Problem(member, Quote(s), fmt.Sprintf("Member must have value less than or equal to %d", hi))
	default:
		return n, true
	}
	return 0, false
}

// Length checks that s has between lo and hi characters.
func (v *Params) Length(member, s string, lo, hi int) bool {
	switch n := utf8.RuneCountInString(s); {
	case n < lo:
		v.Problem(member, Quote(s), fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	case n > hi:
		v.Problem(member, Quote(s), fmt.Sprintf("Member must have length less than or equal to %d", hi))
	default:
		return true
	}
	return false
}

// Pattern checks s against re, an anchored expression.
func (v *Params) Pattern(member, s string, re *regexp.Regexp) bool {
	if re.MatchString(s) {
		return true
	}
	// AWS names the pattern without the anchors.
	expr := strings.TrimSuffix(strings.TrimPrefix(re.String(), "^"), "$")
	v.Problem(member, Quote(s), "Member must satisfy regular expression pattern: "+expr)
	return false
}

// Duration reads a whole number of seconds between lo and hi.
func (v *Params) Duration(member, s string, lo, hi time.Duration) time.Duration {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		v.Problem(member, Quote(s), "Member must be an integer")
	case n < int64(lo/time.Second):
		v.Problem(member, Quote(s), fmt.Sprintf("Member must have value greater than or equal to %d", int64(lo/time.Second)))
	case n > int64(hi/time.Second):
		v.Problem(member, Quote(s), fmt.Sprintf("Member must have value less than or equal to %d", int64(hi/time.Second)))
	default:
		return time.Duration(n) * time.Second
	}
	return 0
}

// Err returns the ValidationError for the problems found, or nil.
func (v *Params) Err() error {
	if len(v.problems) == 0 {
		return nil
	}
	noun := "error"
	if len(v.problems) > 1 {
		noun = "errors"
	}
	return ErrValidation.WithMessage("%d validation %s detected: %s", len(v.problems), noun, strings.Join(v.problems, "; "))
}

// Quote writes a value as AWS's validation messages do: in single quotes,
// cut short when long so that a message stays readable.
func Quote(s string) string {
	const maxShown = 128
	if utf8.RuneCountInString(s) > maxShown {
		r := []rune(s)
		s = string(r[:maxShown]) + "..."
	}
	return "'" + s + "'"
}
