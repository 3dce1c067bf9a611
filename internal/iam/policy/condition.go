package policy

import (
	"fmt"
	"strings"
)

// setQualifier is the ForAnyValue:/ForAllValues: prefix of an operator.
type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAnyValue
	setForAllValues
)

// Prefixes and suffix that qualify a condition operator.
const (
	prefixForAnyValue  = "ForAnyValue:"
	prefixForAllValues = "ForAllValues:"
	suffixIfExists     = "IfExists"
)

// family groups the operators that compare the same kind of value.
type family uint8

const (
	famString family = iota
	famNumeric
	famDate
	famBool
	famBinary
	famIP
	famARN
	famNull
)

// comparison is the relation a numeric or date operator tests between the
// request value and a policy value.
type comparison uint8

const (
	cmpEq comparison = iota
	cmpLT
	cmpLE
	cmpGT
	cmpGE
)

// holds reports whether the comparison holds for d = compare(request,
// policy).
func (c comparison) holds(d int) bool {
	switch c {
	case cmpLT:
		return d < 0
	case cmpLE:
		return d <= 0
	case cmpGT:
		return d > 0
	case cmpGE:
		return d >= 0
	default:
		return d == 0
	}
}

// operator describes a base condition operator (without qualifiers).
type operator struct {
	family family
	cmp    comparison
	negate bool // the NOR of the positive operator over the policy values
	fold   bool // StringEqualsIgnoreCase, StringNotEqualsIgnoreCase
	like   bool // wildcards in values: StringLike, ArnLike, ArnEquals, ...
}

// baseOperator returns the operator named name, an IAM condition operator
// without ForAnyValue:/ForAllValues: and IfExists. Names are case-sensitive.
func baseOperator(name string) (operator, bool) {
	switch name {
	case "StringEquals":
		return operator{family: famString}, true
	case "StringNotEquals":
		return operator{family: famString, negate: true}, true
	case "StringEqualsIgnoreCase":
		return operator{family: famString, fold: true}, true
	case "StringNotEqualsIgnoreCase":
		return operator{family: famString, fold: true, negate: true}, true
	case "StringLike":
		return operator{family: famString, like: true}, true
	case "StringNotLike":
		return operator{family: famString, like: true, negate: true}, true
	case "NumericEquals":
		return operator{family: famNumeric}, true
	case "NumericNotEquals":
		return operator{family: famNumeric, negate: true}, true
	case "NumericLessThan":
		return operator{family: famNumeric, cmp: cmpLT}, true
	case "NumericLessThanEquals":
		return operator{family: famNumeric, cmp: cmpLE}, true
	case "NumericGreaterThan":
		return operator{family: famNumeric, cmp: cmpGT}, true
	case "NumericGreaterThanEquals":
		return operator{family: famNumeric, cmp: cmpGE}, true
	case "DateEquals":
		return operator{family: famDate}, true
	case "DateNotEquals":
		return operator{family: famDate, negate: true}, true
	case "DateLessThan":
		return operator{family: famDate, cmp: cmpLT}, true
	case "DateLessThanEquals":
		return operator{family: famDate, cmp: cmpLE}, true
	case "DateGreaterThan":
		return operator{family: famDate, cmp: cmpGT}, true
	case "DateGreaterThanEquals":
		return operator{family: famDate, cmp: cmpGE}, true
	case "Bool":
		return operator{family: famBool}, true
	case "BinaryEquals":
		return operator{family: famBinary}, true
	case "IpAddress":
		return operator{family: famIP}, true
	case "NotIpAddress":
		return operator{family: famIP, negate: true}, true
	case "ArnEquals", "ArnLike":
		return operator{family: famARN, like: true}, true
	case "ArnNotEquals", "ArnNotLike":
		return operator{family: famARN, like: true, negate: true}, true
	case "Null":
		return operator{family: famNull}, true
	}
	return operator{}, false
}

// parseOperator splits a full operator name such as
// "ForAllValues:StringLikeIfExists" into its parts.
func parseOperator(name string) (op operator, set setQualifier, ifExists bool, err error) {
	rest := name
	if r, ok := strings.CutPrefix(rest, prefixForAnyValue); ok {
		rest, set = r, setForAnyValue
	} else if r, ok := strings.CutPrefix(rest, prefixForAllValues); ok {
		rest, set = r, setForAllValues
	}
	op, ok := baseOperator(rest)
	if !ok {
		base, hasSuffix := strings.CutSuffix(rest, suffixIfExists)
		if op, ok = baseOperator(base); !ok || !hasSuffix {
			return op, set, false, fmt.Errorf("unknown condition operator %q", name)
		}
		ifExists = true
	}
	if op.family == famNull && (ifExists || set != setNone) {
		return op, set, ifExists, fmt.Errorf("condition operator %q: Null takes neither IfExists nor a ForAnyValue:/ForAllValues: prefix", name)
	}
	return op, set, ifExists, nil
}

// scalarKind is the JSON type a condition value was written as.
type scalarKind uint8

const (
	kindString scalarKind = iota
	kindNumber
	kindBool
)

// A scalar is one condition value as written: its text (a JSON number's
// literal text, "true" or "false" for booleans) and JSON type.
type scalar struct {
	s    string
	kind scalarKind
}

// A condition is one (operator, key, values) triple of a Condition block,
// compiled.
type condition struct {
	// As written, for MarshalJSON.
	op     string
	key    string
	values []scalar
	list   bool

	lkey     string // lower-cased context key
	set      setQualifier
	ifExists bool
	negate   bool
	null     bool
	nulls    []bool       // Null: true means "the key must be absent"
	m        valueMatcher // every operator but Null
}

// compileCondition compiles one key of an operator block. vars enables
// policy variables in String* and Arn* values.
func compileCondition(opName, key string, values []scalar, list, vars bool) (*condition, error) {
	op, set, ifExists, err := parseOperator(opName)
	if err != nil {
		return nil, err
	}
	c := &condition{
		op: opName, key: key, values: values, list: list,
		lkey: strings.ToLower(key), set: set, ifExists: ifExists, negate: op.negate,
	}
	if op.family == famNull {
		c.null = true
		for _, v := range values {
			b, ok := parseBool(v.s)
			if !ok || v.kind == kindNumber {
				return nil, fmt.Errorf("value %q is not true or false", v.s)
			}
			c.nulls = append(c.nulls, b)
		}
		return c, nil
	}
	c.m, err = compileValues(op, values, vars)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// eval reports whether the condition holds in the request context ctx.
// A key is absent when ctx has no value for it. The rules:
//
//   - Null: true when some policy value says true and the key is absent,
//     or says false and the key is present.
//   - Absent key: true for ...IfExists and ForAllValues:, false for
//     ForAnyValue:, otherwise false for a positive operator and true for a
//     negated one (StringNotEquals, NotIpAddress, ArnNotLike, ...).
//   - ForAnyValue: some request value satisfies the operator.
//   - ForAllValues: every request value satisfies the operator.
//   - Neither: a positive operator holds when some request value matches
//     some policy value; a negated one holds when none does.
//
// A request value "satisfies" a positive operator when it matches at least
// one policy value (OR) and a negated one when it matches none (NOR).
func (c *condition) eval(ctx map[string][]string) bool {
	vals := ctx[c.lkey]
	if c.null {
		absent := len(vals) == 0
		for _, want := range c.nulls {
			if want == absent {
				return true
			}
		}
		return false
	}
	if len(vals) == 0 {
		switch {
		case c.ifExists, c.set == setForAllValues:
			return true
		case c.set == setForAnyValue:
			return false
		}
		return c.negate
	}
	switch c.set {
	case setForAnyValue:
		for _, v := range vals {
			if c.m.matchAny(v, ctx) != c.negate {
				return true
			}
		}
		return false
	case setForAllValues:
		for _, v := range vals {
			if c.m.matchAny(v, ctx) == c.negate {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if c.m.matchAny(v, ctx) {
			return !c.negate
		}
	}
	return c.negate
}
