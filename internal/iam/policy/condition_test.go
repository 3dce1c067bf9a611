package policy

import (
	"encoding/json"
	"strings"
	"testing"
)

// ctxOf builds a request context from key, value pairs; a key repeated
// gets several values.
func ctxOf(kv ...string) map[string][]string {
	m := make(map[string][]string)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

// conditionHolds parses an Allow statement with the Condition block cond
// (under version; "" for none) and reports whether it allows a request
// with context ctx.
func conditionHolds(t *testing.T, version, cond string, ctx map[string][]string) bool {
	t.Helper()
	v := ""
	if version != "" {
		v = `"Version":"` + version + `",`
	}
	doc := `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":` + cond + `}}`
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return p.Evaluate(&Args{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Conditions: ctx}) == Allow
}

func TestCondition_Eval(t *testing.T) {
	tests := []struct {
		name string
		cond string
		ctx  map[string][]string
		want bool
	}{
		// String operators.
		{"StringEquals match", `{"StringEquals":{"aws:username":"alice"}}`, ctxOf("aws:username", "alice"), true},
		{"StringEquals mismatch", `{"StringEquals":{"aws:username":"alice"}}`, ctxOf("aws:username", "bob"), false},
		{"StringEquals is case-sensitive", `{"StringEquals":{"aws:username":"alice"}}`, ctxOf("aws:username", "Alice"), false},
		{"StringEquals missing key", `{"StringEquals":{"aws:username":"alice"}}`, nil, false},
		{"StringEquals values ORed", `{"StringEquals":{"aws:username":["bob","alice"]}}`, ctxOf("aws:username", "alice"), true},
		{"StringEquals star is literal", `{"StringEquals":{"s3:prefix":"a*"}}`, ctxOf("s3:prefix", "abc"), false},
		{"StringEquals star literal match", `{"StringEquals":{"s3:prefix":"a*"}}`, ctxOf("s3:prefix", "a*"), true},
		{"StringEquals key name case-insensitive", `{"StringEquals":{"AWS:UserName":"alice"}}`, ctxOf("aws:username", "alice"), true},
		{"StringEquals number value", `{"StringEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10"), true},
		{"StringEquals bool value", `{"StringEquals":{"aws:securetransport":true}}`, ctxOf("aws:securetransport", "true"), true},
		{"StringEquals multi-valued request any", `{"StringEquals":{"jwt:groups":"b"}}`, ctxOf("jwt:groups", "a", "jwt:groups", "b"), true},
		{"StringNotEquals mismatch", `{"StringNotEquals":{"aws:username":"alice"}}`, ctxOf("aws:username", "bob"), true},
		{"StringNotEquals match", `{"StringNotEquals":{"aws:username":"alice"}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotEquals missing key", `{"StringNotEquals":{"aws:username":"alice"}}`, nil, true},
		{"StringNotEquals values NORed", `{"StringNotEquals":{"aws:username":["bob","alice"]}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotEquals values NORed none", `{"StringNotEquals":{"aws:username":["bob","carol"]}}`, ctxOf("aws:username", "alice"), true},
		{"StringNotEquals multi-valued request", `{"StringNotEquals":{"jwt:groups":"b"}}`, ctxOf("jwt:groups", "a", "jwt:groups", "b"), false},
		{"StringEqualsIgnoreCase match", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctxOf("aws:username", "alice"), true},
		{"StringEqualsIgnoreCase mismatch", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctxOf("aws:username", "alicia"), false},
		{"StringEqualsIgnoreCase star literal", `{"StringEqualsIgnoreCase":{"aws:username":"A*"}}`, ctxOf("aws:username", "alice"), false},
		{"StringEqualsIgnoreCase missing", `{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, nil, false},
		{"StringNotEqualsIgnoreCase equal", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctxOf("aws:username", "alice"), false},
		{"StringNotEqualsIgnoreCase different", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, ctxOf("aws:username", "bob"), true},
		{"StringNotEqualsIgnoreCase missing", `{"StringNotEqualsIgnoreCase":{"aws:username":"ALICE"}}`, nil, true},
		{"StringLike star", `{"StringLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "home/alice/x"), true},
		{"StringLike question", `{"StringLike":{"s3:prefix":"v?"}}`, ctxOf("s3:prefix", "v1"), true},
		{"StringLike mismatch", `{"StringLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "tmp/x"), false},
		{"StringLike case-sensitive", `{"StringLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "HOME/x"), false},
		{"StringLike empty value", `{"StringLike":{"s3:prefix":["","home/*"]}}`, ctxOf("s3:prefix", ""), true},
		{"StringLike missing", `{"StringLike":{"s3:prefix":"*"}}`, nil, false},
		{"StringNotLike match", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "home/x"), false},
		{"StringNotLike mismatch", `{"StringNotLike":{"s3:prefix":"home/*"}}`, ctxOf("s3:prefix", "tmp/x"), true},
		{"StringNotLike missing", `{"StringNotLike":{"s3:prefix":"home/*"}}`, nil, true},

		// Numeric operators.
		{"NumericEquals", `{"NumericEquals":{"s3:max-keys":"10"}}`, ctxOf("s3:max-keys", "10"), true},
		{"NumericEquals number literal", `{"NumericEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10"), true},
		{"NumericEquals int vs float", `{"NumericEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10.0"), true},
		{"NumericEquals exponent", `{"NumericEquals":{"s3:max-keys":1e3}}`, ctxOf("s3:max-keys", "1000"), true},
		{"NumericEquals mismatch", `{"NumericEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "11"), false},
		{"NumericEquals non-numeric request", `{"NumericEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "ten"), false},
		{"NumericEquals large ints exact", `{"NumericEquals":{"s3:max-keys":9007199254740993}}`, ctxOf("s3:max-keys", "9007199254740992"), false},
		{"NumericEquals missing", `{"NumericEquals":{"s3:max-keys":10}}`, nil, false},
		{"NumericNotEquals different", `{"NumericNotEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "11"), true},
		{"NumericNotEquals equal", `{"NumericNotEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10"), false},
		{"NumericNotEquals non-numeric request", `{"NumericNotEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "x"), true},
		{"NumericNotEquals missing", `{"NumericNotEquals":{"s3:max-keys":10}}`, nil, true},
		{"NumericLessThan below", `{"NumericLessThan":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "9"), true},
		{"NumericLessThan equal", `{"NumericLessThan":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10"), false},
		{"NumericLessThan negative", `{"NumericLessThan":{"s3:max-keys":-1.5}}`, ctxOf("s3:max-keys", "-2"), true},
		{"NumericLessThanEquals equal", `{"NumericLessThanEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10"), true},
		{"NumericLessThanEquals above", `{"NumericLessThanEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10.5"), false},
		{"NumericGreaterThan above", `{"NumericGreaterThan":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "11"), true},
		{"NumericGreaterThan equal", `{"NumericGreaterThan":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10"), false},
		{"NumericGreaterThanEquals equal", `{"NumericGreaterThanEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "10"), true},
		{"NumericGreaterThanEquals below", `{"NumericGreaterThanEquals":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "9"), false},
		{"NumericLessThan values ORed", `{"NumericLessThan":{"s3:max-keys":[5,100]}}`, ctxOf("s3:max-keys", "50"), true},

		// Date operators.
		{"DateEquals", `{"DateEquals":{"aws:currenttime":"2026-01-02T03:04:05Z"}}`, ctxOf("aws:currenttime", "2026-01-02T03:04:05Z"), true},
		{"DateEquals offset", `{"DateEquals":{"aws:currenttime":"2026-01-02T03:04:05Z"}}`, ctxOf("aws:currenttime", "2026-01-02T05:04:05+02:00"), true},
		{"DateEquals epoch policy", `{"DateEquals":{"aws:currenttime":1767323045}}`, ctxOf("aws:currenttime", "2026-01-02T03:04:05Z"), true},
		{"DateEquals epoch request", `{"DateEquals":{"aws:epochtime":"2026-01-02T03:04:05Z"}}`, ctxOf("aws:epochtime", "1767323045"), true},
		{"DateEquals basic format", `{"DateEquals":{"aws:currenttime":"20260102T030405Z"}}`, ctxOf("aws:currenttime", "2026-01-02T03:04:05Z"), true},
		{"DateEquals date only", `{"DateEquals":{"aws:currenttime":"2026-01-02"}}`, ctxOf("aws:currenttime", "2026-01-02T00:00:00Z"), true},
		{"DateEquals mismatch", `{"DateEquals":{"aws:currenttime":"2026-01-02T03:04:05Z"}}`, ctxOf("aws:currenttime", "2026-01-02T03:04:06Z"), false},
		{"DateEquals bad request", `{"DateEquals":{"aws:currenttime":"2026-01-02T03:04:05Z"}}`, ctxOf("aws:currenttime", "yesterday"), false},
		{"DateEquals missing", `{"DateEquals":{"aws:currenttime":"2026-01-02T03:04:05Z"}}`, nil, false},
		{"DateNotEquals different", `{"DateNotEquals":{"aws:currenttime":"2026-01-02T03:04:05Z"}}`, ctxOf("aws:currenttime", "2027-01-01T00:00:00Z"), true},
		{"DateNotEquals equal", `{"DateNotEquals":{"aws:currenttime":"2026-01-02T03:04:05Z"}}`, ctxOf("aws:currenttime", "2026-01-02T03:04:05Z"), false},
		{"DateNotEquals missing", `{"DateNotEquals":{"aws:currenttime":"2026-01-02T03:04:05Z"}}`, nil, true},
		{"DateLessThan before", `{"DateLessThan":{"aws:currenttime":"2026-01-01T00:00:00Z"}}`, ctxOf("aws:currenttime", "2025-12-31T23:59:59Z"), true},
		{"DateLessThan equal", `{"DateLessThan":{"aws:currenttime":"2026-01-01T00:00:00Z"}}`, ctxOf("aws:currenttime", "2026-01-01T00:00:00Z"), false},
		{"DateLessThan fraction", `{"DateLessThan":{"aws:currenttime":"2026-01-01T00:00:00Z"}}`, ctxOf("aws:currenttime", "2025-12-31T23:59:59.999Z"), true},
		{"DateLessThanEquals equal", `{"DateLessThanEquals":{"aws:currenttime":"2026-01-01T00:00:00Z"}}`, ctxOf("aws:currenttime", "2026-01-01T00:00:00Z"), true},
		{"DateLessThanEquals after", `{"DateLessThanEquals":{"aws:currenttime":"2026-01-01T00:00:00Z"}}`, ctxOf("aws:currenttime", "2026-01-01T00:00:01Z"), false},
		{"DateGreaterThan after", `{"DateGreaterThan":{"aws:epochtime":"2026-01-01T00:00:00Z"}}`, ctxOf("aws:epochtime", "1767225601"), true},
		{"DateGreaterThan equal", `{"DateGreaterThan":{"aws:epochtime":"2026-01-01T00:00:00Z"}}`, ctxOf("aws:epochtime", "1767225600"), false},
		{"DateGreaterThanEquals equal", `{"DateGreaterThanEquals":{"aws:epochtime":1767225600}}`, ctxOf("aws:epochtime", "1767225600"), true},
		{"DateGreaterThanEquals before", `{"DateGreaterThanEquals":{"aws:epochtime":1767225600}}`, ctxOf("aws:epochtime", "1767225599"), false},

		// Bool.
		{"Bool true", `{"Bool":{"aws:securetransport":"true"}}`, ctxOf("aws:securetransport", "true"), true},
		{"Bool JSON true", `{"Bool":{"aws:securetransport":true}}`, ctxOf("aws:securetransport", "TRUE"), true},
		{"Bool mismatch", `{"Bool":{"aws:securetransport":true}}`, ctxOf("aws:securetransport", "false"), false},
		{"Bool false", `{"Bool":{"aws:securetransport":false}}`, ctxOf("aws:securetransport", "false"), true},
		{"Bool garbage request", `{"Bool":{"aws:securetransport":false}}`, ctxOf("aws:securetransport", "no"), false},
		{"Bool missing", `{"Bool":{"aws:securetransport":false}}`, nil, false},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:securetransport":false}}`, nil, true},

		// BinaryEquals.
		{"BinaryEquals", `{"BinaryEquals":{"s3:x-amz-content-sha256":"aGVsbG8="}}`, ctxOf("s3:x-amz-content-sha256", "hello"), true},
		{"BinaryEquals mismatch", `{"BinaryEquals":{"s3:x-amz-content-sha256":"aGVsbG8="}}`, ctxOf("s3:x-amz-content-sha256", "aGVsbG8="), false},
		{"BinaryEquals missing", `{"BinaryEquals":{"s3:x-amz-content-sha256":"aGVsbG8="}}`, nil, false},

		// IP addresses.
		{"IpAddress CIDR", `{"IpAddress":{"aws:sourceip":"10.0.0.0/8"}}`, ctxOf("aws:sourceip", "10.1.2.3"), true},
		{"IpAddress CIDR outside", `{"IpAddress":{"aws:sourceip":"10.0.0.0/8"}}`, ctxOf("aws:sourceip", "11.1.2.3"), false},
		{"IpAddress single", `{"IpAddress":{"aws:sourceip":"192.0.2.7"}}`, ctxOf("aws:sourceip", "192.0.2.7"), true},
		{"IpAddress single other", `{"IpAddress":{"aws:sourceip":"192.0.2.7"}}`, ctxOf("aws:sourceip", "192.0.2.8"), false},
		{"IpAddress unmasked CIDR", `{"IpAddress":{"aws:sourceip":"192.0.2.7/24"}}`, ctxOf("aws:sourceip", "192.0.2.200"), true},
		{"IpAddress IPv6", `{"IpAddress":{"aws:sourceip":"2001:db8::/32"}}`, ctxOf("aws:sourceip", "2001:db8:1::5"), true},
		{"IpAddress IPv6 outside", `{"IpAddress":{"aws:sourceip":"2001:db8::/32"}}`, ctxOf("aws:sourceip", "2001:db9::5"), false},
		{"IpAddress v4 in v6 block", `{"IpAddress":{"aws:sourceip":"2001:db8::/32"}}`, ctxOf("aws:sourceip", "10.0.0.1"), false},
		{"IpAddress mapped request", `{"IpAddress":{"aws:sourceip":"10.0.0.0/8"}}`, ctxOf("aws:sourceip", "::ffff:10.0.0.1"), true},
		{"IpAddress mapped policy", `{"IpAddress":{"aws:sourceip":"::ffff:10.0.0.0/104"}}`, ctxOf("aws:sourceip", "10.0.0.1"), true},
		{"IpAddress values ORed", `{"IpAddress":{"aws:sourceip":["192.0.2.0/24","10.0.0.0/8"]}}`, ctxOf("aws:sourceip", "10.0.0.1"), true},
		{"IpAddress garbage request", `{"IpAddress":{"aws:sourceip":"0.0.0.0/0"}}`, ctxOf("aws:sourceip", "localhost"), false},
		{"IpAddress missing", `{"IpAddress":{"aws:sourceip":"0.0.0.0/0"}}`, nil, false},
		{"NotIpAddress outside", `{"NotIpAddress":{"aws:sourceip":"10.0.0.0/8"}}`, ctxOf("aws:sourceip", "11.0.0.1"), true},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:sourceip":"10.0.0.0/8"}}`, ctxOf("aws:sourceip", "10.0.0.1"), false},
		{"NotIpAddress missing", `{"NotIpAddress":{"aws:sourceip":"10.0.0.0/8"}}`, nil, true},

		// ARNs.
		{"ArnEquals exact", `{"ArnEquals":{"aws:sourcearn":"arn:aws:sns:us-east-1:123456789012:topic"}}`, ctxOf("aws:sourcearn", "arn:aws:sns:us-east-1:123456789012:topic"), true},
		{"ArnEquals wildcards", `{"ArnEquals":{"aws:sourcearn":"arn:aws:sns:*:123456789012:*"}}`, ctxOf("aws:sourcearn", "arn:aws:sns:eu-west-1:123456789012:t"), true},
		{"ArnLike wildcards", `{"ArnLike":{"aws:sourcearn":"arn:aws:iam::*:role/ci-?"}}`, ctxOf("aws:sourcearn", "arn:aws:iam::1:role/ci-a"), true},
		{"ArnLike mismatch", `{"ArnLike":{"aws:sourcearn":"arn:aws:iam::*:role/ci-?"}}`, ctxOf("aws:sourcearn", "arn:aws:iam::1:role/ci-ab"), false},
		{"ArnLike no field spanning", `{"ArnLike":{"aws:sourcearn":"arn:aws:iam::*:role/x"}}`, ctxOf("aws:sourcearn", "arn:aws:iam::1:2:role/x"), false},
		{"ArnLike case-sensitive", `{"ArnLike":{"aws:sourcearn":"arn:aws:iam::*:role/x"}}`, ctxOf("aws:sourcearn", "arn:aws:iam::1:Role/x"), false},
		{"ArnLike not an ARN", `{"ArnLike":{"aws:sourcearn":"arn:*:*:*:*:*"}}`, ctxOf("aws:sourcearn", "nope"), false},
		{"ArnLike missing", `{"ArnLike":{"aws:sourcearn":"arn:*:*:*:*:*"}}`, nil, false},
		{"ArnNotEquals different", `{"ArnNotEquals":{"aws:sourcearn":"arn:aws:iam::1:role/x"}}`, ctxOf("aws:sourcearn", "arn:aws:iam::1:role/y"), true},
		{"ArnNotEquals equal", `{"ArnNotEquals":{"aws:sourcearn":"arn:aws:iam::1:role/x"}}`, ctxOf("aws:sourcearn", "arn:aws:iam::1:role/x"), false},
		{"ArnNotLike match", `{"ArnNotLike":{"aws:sourcearn":"arn:aws:iam::*:role/*"}}`, ctxOf("aws:sourcearn", "arn:aws:iam::1:role/x"), false},
		{"ArnNotLike missing", `{"ArnNotLike":{"aws:sourcearn":"arn:aws:iam::*:role/*"}}`, nil, true},

		// Null.
		{"Null true absent", `{"Null":{"aws:userid":"true"}}`, nil, true},
		{"Null true present", `{"Null":{"aws:userid":"true"}}`, ctxOf("aws:userid", "u"), false},
		{"Null false present", `{"Null":{"aws:userid":false}}`, ctxOf("aws:userid", "u"), true},
		{"Null false absent", `{"Null":{"aws:userid":false}}`, nil, false},
		{"Null empty value list is absent", `{"Null":{"aws:userid":true}}`, map[string][]string{"aws:userid": {}}, true},
		{"Null empty string is present", `{"Null":{"aws:userid":true}}`, ctxOf("aws:userid", ""), false},

		// IfExists.
		{"StringEqualsIfExists absent", `{"StringEqualsIfExists":{"aws:username":"alice"}}`, nil, true},
		{"StringEqualsIfExists present match", `{"StringEqualsIfExists":{"aws:username":"alice"}}`, ctxOf("aws:username", "alice"), true},
		{"StringEqualsIfExists present mismatch", `{"StringEqualsIfExists":{"aws:username":"alice"}}`, ctxOf("aws:username", "bob"), false},
		{"NotIpAddressIfExists absent", `{"NotIpAddressIfExists":{"aws:sourceip":"10.0.0.0/8"}}`, nil, true},
		{"NumericLessThanIfExists present", `{"NumericLessThanIfExists":{"s3:max-keys":10}}`, ctxOf("s3:max-keys", "20"), false},

		// Set operators.
		{"ForAnyValue:StringEquals one matches", `{"ForAnyValue:StringEquals":{"jwt:groups":["admins"]}}`, ctxOf("jwt:groups", "users", "jwt:groups", "admins"), true},
		{"ForAnyValue:StringEquals none matches", `{"ForAnyValue:StringEquals":{"jwt:groups":["admins"]}}`, ctxOf("jwt:groups", "users", "jwt:groups", "dev"), false},
		{"ForAnyValue:StringEquals missing", `{"ForAnyValue:StringEquals":{"jwt:groups":["admins"]}}`, nil, false},
		{"ForAllValues:StringEquals subset", `{"ForAllValues:StringEquals":{"jwt:groups":["a","b","c"]}}`, ctxOf("jwt:groups", "a", "jwt:groups", "c"), true},
		{"ForAllValues:StringEquals not subset", `{"ForAllValues:StringEquals":{"jwt:groups":["a","b","c"]}}`, ctxOf("jwt:groups", "a", "jwt:groups", "d"), false},
		{"ForAllValues:StringEquals missing", `{"ForAllValues:StringEquals":{"jwt:groups":["a"]}}`, nil, true},
		{"ForAllValues:StringEquals empty list", `{"ForAllValues:StringEquals":{"jwt:groups":["a"]}}`, map[string][]string{"jwt:groups": {}}, true},
		{"ForAnyValue:StringNotEquals some differs", `{"ForAnyValue:StringNotEquals":{"jwt:groups":["a"]}}`, ctxOf("jwt:groups", "a", "jwt:groups", "b"), true},
		{"ForAnyValue:StringNotEquals all equal", `{"ForAnyValue:StringNotEquals":{"jwt:groups":["a"]}}`, ctxOf("jwt:groups", "a"), false},
		{"ForAnyValue:StringNotEquals missing", `{"ForAnyValue:StringNotEquals":{"jwt:groups":["a"]}}`, nil, false},
		{"ForAllValues:StringNotEquals none listed", `{"ForAllValues:StringNotEquals":{"jwt:groups":["x","y"]}}`, ctxOf("jwt:groups", "a", "jwt:groups", "b"), true},
		{"ForAllValues:StringNotEquals one listed", `{"ForAllValues:StringNotEquals":{"jwt:groups":["x","b"]}}`, ctxOf("jwt:groups", "a", "jwt:groups", "b"), false},
		{"ForAllValues:StringNotEquals missing", `{"ForAllValues:StringNotEquals":{"jwt:groups":["x"]}}`, nil, true},
		{"ForAllValues:StringLike", `{"ForAllValues:StringLike":{"jwt:groups":["team-*"]}}`, ctxOf("jwt:groups", "team-a", "jwt:groups", "team-b"), true},
		{"ForAnyValue:StringLikeIfExists missing", `{"ForAnyValue:StringLikeIfExists":{"jwt:groups":["team-*"]}}`, nil, true},
		{"ForAnyValue:IpAddress", `{"ForAnyValue:IpAddress":{"aws:sourceip":["10.0.0.0/8"]}}`, ctxOf("aws:sourceip", "1.1.1.1", "aws:sourceip", "10.0.0.1"), true},

		// Combination.
		{"keys ANDed", `{"StringEquals":{"aws:username":"alice","aws:principaltype":"User"}}`, ctxOf("aws:username", "alice", "aws:principaltype", "User"), true},
		{"keys ANDed one fails", `{"StringEquals":{"aws:username":"alice","aws:principaltype":"User"}}`, ctxOf("aws:username", "alice", "aws:principaltype", "Role"), false},
		{"operators ANDed", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:securetransport":true}}`, ctxOf("aws:username", "alice", "aws:securetransport", "true"), true},
		{"operators ANDed one fails", `{"StringEquals":{"aws:username":"alice"},"Bool":{"aws:securetransport":true}}`, ctxOf("aws:username", "alice", "aws:securetransport", "false"), false},
		{"empty Condition", `{}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conditionHolds(t, Version2012, tt.cond, tt.ctx); got != tt.want {
				t.Errorf("%s with %v = %v, want %v", tt.cond, tt.ctx, got, tt.want)
			}
		})
	}
}

// TestCondition_Qualifiers runs every operator (but Null) plain, with
// IfExists, ForAnyValue: and ForAllValues:, with the key present
// (matching and not matching) and absent, and checks the rules of the
// package documentation.
func TestCondition_Qualifiers(t *testing.T) {
	type probe struct {
		op       string
		key      string
		value    string // policy value, JSON
		hit, off string // request values on which the positive form holds / fails
	}
	probes := []probe{
		{"StringEquals", "aws:username", `"alice"`, "alice", "bob"},
		{"StringEqualsIgnoreCase", "aws:username", `"alice"`, "ALICE", "bob"},
		{"StringLike", "s3:prefix", `"a/*"`, "a/b", "b/a"},
		{"NumericEquals", "s3:max-keys", `10`, "10", "11"},
		{"NumericLessThan", "s3:max-keys", `10`, "9", "10"},
		{"NumericLessThanEquals", "s3:max-keys", `10`, "10", "11"},
		{"NumericGreaterThan", "s3:max-keys", `10`, "11", "10"},
		{"NumericGreaterThanEquals", "s3:max-keys", `10`, "10", "9"},
		{"DateEquals", "aws:currenttime", `"2026-01-01T00:00:00Z"`, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"},
		{"DateLessThan", "aws:currenttime", `"2026-01-01T00:00:00Z"`, "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
		{"DateLessThanEquals", "aws:currenttime", `"2026-01-01T00:00:00Z"`, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"DateGreaterThan", "aws:currenttime", `"2026-01-01T00:00:00Z"`, "2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z"},
		{"DateGreaterThanEquals", "aws:currenttime", `"2026-01-01T00:00:00Z"`, "2026-01-01T00:00:00Z", "2025-01-01T00:00:00Z"},
		{"Bool", "aws:securetransport", `true`, "true", "false"},
		{"BinaryEquals", "s3:x-amz-content-sha256", `"AAE="`, "\x00\x01", "\x00\x02"},
		{"IpAddress", "aws:sourceip", `"10.0.0.0/8"`, "10.0.0.1", "11.0.0.1"},
		{"ArnEquals", "aws:sourcearn", `"arn:aws:iam::1:role/*"`, "arn:aws:iam::1:role/r", "arn:aws:iam::2:role/r"},
		{"ArnLike", "aws:sourcearn", `"arn:aws:iam::1:role/*"`, "arn:aws:iam::1:role/r", "arn:aws:iam::2:role/r"},
	}
	negated := map[string]string{
		"StringEquals": "StringNotEquals", "StringEqualsIgnoreCase": "StringNotEqualsIgnoreCase",
		"StringLike": "StringNotLike", "NumericEquals": "NumericNotEquals", "DateEquals": "DateNotEquals",
		"IpAddress": "NotIpAddress", "ArnEquals": "ArnNotEquals", "ArnLike": "ArnNotLike",
	}
	type form struct {
		op     string
		negate bool
	}
	count := map[string]bool{}
	for _, pr := range probes {
		forms := []form{{pr.op, false}}
		if n, ok := negated[pr.op]; ok {
			forms = append(forms, form{n, true})
		}
		for _, f := range forms {
			for _, set := range []string{"", prefixForAnyValue, prefixForAllValues} {
				for _, ifExists := range []bool{false, true} {
					name := set + f.op
					if ifExists {
						name += suffixIfExists
					}
					count[f.op] = true
					cond := `{"` + name + `":{"` + pr.key + `":` + pr.value + `}}`
					// Present: the positive form holds on hit and fails on
					// off; the negated form the other way round.
					if got := conditionHolds(t, Version2012, cond, ctxOf(pr.key, pr.hit)); got != !f.negate {
						t.Errorf("%s with %q = %v, want %v", cond, pr.hit, got, !f.negate)
					}
					if got := conditionHolds(t, Version2012, cond, ctxOf(pr.key, pr.off)); got != f.negate {
						t.Errorf("%s with %q = %v, want %v", cond, pr.off, got, f.negate)
					}
					// Absent.
					var want bool
					switch {
					case ifExists, set == prefixForAllValues:
						want = true
					case set == prefixForAnyValue:
						want = false
					default:
						want = f.negate
					}
					if got := conditionHolds(t, Version2012, cond, nil); got != want {
						t.Errorf("%s with the key absent = %v, want %v", cond, got, want)
					}
				}
			}
		}
	}
	// Every operator but Null (tested in TestCondition_Eval) is covered.
	for _, op := range []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike", "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
		"NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateNotEquals", "DateLessThan",
		"DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
		"NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"} {
		if !count[op] {
			t.Errorf("operator %s not covered", op)
		}
		if _, ok := baseOperator(op); !ok {
			t.Errorf("baseOperator(%q) unknown", op)
		}
	}
}

// TestCondition_Variables checks policy variables in condition values.
func TestCondition_Variables(t *testing.T) {
	tests := []struct {
		name    string
		version string
		cond    string
		ctx     map[string][]string
		want    bool
	}{
		{"StringLike with username", Version2012, `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`,
			ctxOf("aws:username", "alice", "s3:prefix", "home/alice/docs"), true},
		{"StringLike other user", Version2012, `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`,
			ctxOf("aws:username", "alice", "s3:prefix", "home/bob/docs"), false},
		{"StringLike variable missing", Version2012, `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`,
			ctxOf("s3:prefix", "home//docs"), false},
		{"StringLike variable missing other value", Version2012, `{"StringLike":{"s3:prefix":["home/${aws:username}/*","public/*"]}}`,
			ctxOf("s3:prefix", "public/x"), true},
		{"StringNotLike variable missing", Version2012, `{"StringNotLike":{"s3:prefix":"home/${aws:username}/*"}}`,
			ctxOf("s3:prefix", "home/x/docs"), true},
		{"StringEquals jwt claim", Version2012, `{"StringEquals":{"s3:prefix":"${jwt:sub}"}}`,
			ctxOf("jwt:sub", "1234", "s3:prefix", "1234"), true},
		{"StringEquals multi-valued variable", Version2012, `{"StringEquals":{"s3:prefix":"${jwt:groups}"}}`,
			ctxOf("jwt:groups", "a", "jwt:groups", "b", "s3:prefix", "a"), false},
		{"StringEquals default", Version2012, `{"StringEquals":{"s3:prefix":"${aws:username, 'anon'}/"}}`,
			ctxOf("s3:prefix", "anon/"), true},
		{"StringEqualsIgnoreCase variable", Version2012, `{"StringEqualsIgnoreCase":{"s3:prefix":"${aws:username}"}}`,
			ctxOf("aws:username", "Alice", "s3:prefix", "aLICE"), true},
		{"ArnLike with userid", Version2012, `{"ArnLike":{"aws:sourcearn":"arn:aws:iam::*:user/${aws:userid}"}}`,
			ctxOf("aws:userid", "AID1", "aws:sourcearn", "arn:aws:iam::1:user/AID1"), true},
		{"escape star", Version2012, `{"StringLike":{"s3:prefix":"a${*}"}}`, ctxOf("s3:prefix", "a*"), true},
		{"escape star literal", Version2012, `{"StringLike":{"s3:prefix":"a${*}"}}`, ctxOf("s3:prefix", "ab"), false},
		{"2008 is literal", Version2008, `{"StringEquals":{"s3:prefix":"${aws:username}"}}`,
			ctxOf("aws:username", "alice", "s3:prefix", "${aws:username}"), true},
		{"2008 no substitution", Version2008, `{"StringEquals":{"s3:prefix":"${aws:username}"}}`,
			ctxOf("aws:username", "alice", "s3:prefix", "alice"), false},
		{"no Version is 2008", "", `{"StringEquals":{"s3:prefix":"${aws:username}"}}`,
			ctxOf("aws:username", "alice", "s3:prefix", "alice"), false},
		{"variables not in numeric values", Version2012, `{"NumericLessThan":{"s3:max-keys":"1000"}}`,
			ctxOf("s3:max-keys", "999"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := conditionHolds(t, tt.version, tt.cond, tt.ctx); got != tt.want {
				t.Errorf("%s with %v = %v, want %v", tt.cond, tt.ctx, got, tt.want)
			}
		})
	}
}

func TestParseOperator(t *testing.T) {
	tests := []struct {
		name     string
		set      setQualifier
		ifExists bool
		bad      string // substring of the error, "" for success
	}{
		{"StringEquals", setNone, false, ""},
		{"StringEqualsIfExists", setNone, true, ""},
		{"ForAnyValue:StringLike", setForAnyValue, false, ""},
		{"ForAllValues:NumericLessThanIfExists", setForAllValues, true, ""},
		{"Null", setNone, false, ""},
		{"NullIfExists", 0, false, "Null takes neither"},
		{"ForAnyValue:Null", 0, false, "Null takes neither"},
		{"stringequals", 0, false, "unknown condition operator"},
		{"StringEqual", 0, false, "unknown condition operator"},
		{"IfExists", 0, false, "unknown condition operator"},
		{"ForSomeValues:StringEquals", 0, false, "unknown condition operator"},
		{"ForAnyValue:ForAllValues:StringEquals", 0, false, "unknown condition operator"},
		{"StringEqualsIfExistsIfExists", 0, false, "unknown condition operator"},
	}
	for _, tt := range tests {
		_, set, ifExists, err := parseOperator(tt.name)
		switch {
		case tt.bad == "" && err != nil:
			t.Errorf("parseOperator(%q): %v", tt.name, err)
		case tt.bad != "" && (err == nil || !strings.Contains(err.Error(), tt.bad)):
			t.Errorf("parseOperator(%q) = %v, want error containing %q", tt.name, err, tt.bad)
		case tt.bad == "" && (set != tt.set || ifExists != tt.ifExists):
			t.Errorf("parseOperator(%q) = %v, %v; want %v, %v", tt.name, set, ifExists, tt.set, tt.ifExists)
		}
	}
}

// TestCondition_ValueTypes checks JSON value types and their round trip.
func TestCondition_ValueTypes(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",` +
		`"Condition":{"NumericLessThan":{"s3:max-keys":[10,"20",1.5e1]},"Bool":{"aws:securetransport":true}}}}`
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*",` +
		`"Condition":{"NumericLessThan":{"s3:max-keys":[10,"20",1.5e1]},"Bool":{"aws:securetransport":true}}}}`
	if string(b) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", b, want)
	}
}
