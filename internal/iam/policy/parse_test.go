package policy

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		doc        string
		version    string
		id         string
		statements int
	}{
		{"single statement object",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
			Version2012, "", 1},
		{"statement list and Id",
			`{"Version":"2012-10-17","Id":"p1","Statement":[
				{"Sid":"a","Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]},
				{"Sid":"b","Effect":"Deny","NotAction":"s3:Get*","NotResource":"arn:aws:s3:::b/public/*"}]}`,
			Version2012, "p1", 2},
		{"no Version is 2008",
			`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			Version2008, "", 1},
		{"Version 2008",
			`{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${x"}}`,
			Version2008, "", 1},
		{"whitespace and element order",
			" \n{ \"Statement\" : [ { \"Resource\" : \"*\", \"Action\" : \"*\", \"Effect\" : \"Allow\" } ], \"Version\" : \"2012-10-17\" }\n",
			Version2012, "", 1},
		{"empty Sid",
			`{"Version":"2012-10-17","Statement":{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			Version2012, "", 1},
		{"empty and absent Sids are not duplicates",
			`{"Version":"2012-10-17","Statement":[
				{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
				{"Sid":"","Effect":"Allow","Action":"s3:PutObject","Resource":"*"},
				{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"},
				{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`,
			Version2012, "", 4},
		{"Sids differing in case are distinct",
			`{"Version":"2012-10-17","Statement":[
				{"Sid":"read","Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
				{"Sid":"Read","Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`,
			Version2012, "", 2},
		{"every condition value type",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
				"StringEquals":{"s3:x-amz-acl":["private",1,true]},
				"NumericLessThanEquals":{"s3:max-keys":"1000"},
				"DateLessThan":{"aws:currenttime":1767225600},
				"Bool":{"aws:securetransport":"TRUE"},
				"BinaryEquals":{"s3:x":"AA=="},
				"IpAddress":{"aws:sourceip":["10.0.0.0/8","2001:db8::1"]},
				"ArnLike":{"aws:sourcearn":"arn:aws:sns:*:*:*"},
				"Null":{"aws:userid":[true,"false"]}}}}`,
			Version2012, "", 1},
		{"action charset",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["a-b_c:D-e_f*?","s3:*"],"Resource":"*"}}`,
			Version2012, "", 1},
		{"resource ARN with colons in resource",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/a:b:c"}}`,
			Version2012, "", 1},
		{"resource variable with colon in an early field",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::${aws:userid}:user/x"}}`,
			Version2012, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Version() != tt.version || p.ID() != tt.id || len(p.statements) != tt.statements || p.Bucket() != "" {
				t.Errorf("Parse = version %q id %q %d statements; want %q %q %d",
					p.Version(), p.ID(), len(p.statements), tt.version, tt.id, tt.statements)
			}
		})
	}
}

func TestParse_Errors(t *testing.T) {
	const v = `"Version":"2012-10-17",`
	tests := []struct {
		name string
		doc  string
		want string // substring of the error message
	}{
		{"not JSON", `{"Version":`, "invalid JSON"},
		{"trailing garbage", `{"Statement":[]} x`, "invalid JSON"},
		{"not an object", `["Statement"]`, "policy must be a JSON object"},
		{"null", `null`, "policy must be a JSON object"},
		{"unknown top-level field", `{` + v + `"Statment":[]}`, `unknown field "Statment"`},
		{"top-level field case", `{"version":"2012-10-17","Statement":[]}`, `unknown field "version" (element names are case-sensitive: "Version")`},
		{"duplicate top-level field", `{` + v + `"Version":"2012-10-17","Statement":[]}`, `duplicate field "Version"`},
		{"bad Version", `{"Version":"2012-10-18","Statement":[]}`, `Version must be "2012-10-17" or "2008-10-17", got "2012-10-18"`},
		{"Version not a string", `{"Version":2012,"Statement":[]}`, `Version must be`},
		{"Id not a string", `{` + v + `"Id":1,"Statement":[]}`, `Id must be a string`},
		{"missing Statement", `{` + v + `"Id":"x"}`, "missing Statement"},
		{"empty Statement", `{` + v + `"Statement":[]}`, "Statement must not be an empty list"},
		{"Statement string", `{` + v + `"Statement":"x"}`, "Statement must be an object or a list of objects"},
		{"Statement null", `{` + v + `"Statement":null}`, "Statement must be an object or a list of objects"},
		{"statement not an object", `{` + v + `"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},"x"]}`, `statement 1: must be a JSON object, got "x"`},
		{"unknown statement field", `{` + v + `"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"Sid1","Efect":"Allow","Action":"s3:*","Resource":"*"}]}`, `statement 2 ("Sid1"): unknown field "Efect"`},
		{"Sid named even when later", `{` + v + `"Statement":{"Efect":"Allow","Sid":"S"}}`, `statement 0 ("S"): unknown field "Efect"`},
		{"statement field case", `{` + v + `"Statement":{"effect":"Allow","Action":"s3:*","Resource":"*"}}`, `statement 0: unknown field "effect" (element names are case-sensitive: "Effect")`},
		{"duplicate statement field", `{` + v + `"Statement":{"Effect":"Allow","Effect":"Deny","Action":"s3:*","Resource":"*"}}`, `statement 0: duplicate field "Effect"`},
		{"duplicate Sid", `{` + v + `"Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:Get*","Resource":"*"},{"Sid":"","Effect":"Allow","Action":"s3:List*","Resource":"*"},{"Sid":"Read","Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}`, `statement 2 ("Read"): duplicate Sid "Read", also statement 0's`},
		{"duplicate Sid in a long list", `{` + v + `"Statement":[` + strings.Repeat(`{"Effect":"Allow","Action":"s3:*","Resource":"*"},`, 20) +
			`{"Sid":"x","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"y","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"x","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`,
			`statement 22 ("x"): duplicate Sid "x", also statement 20's`},
		{"duplicate Sid without Version", `{"Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, `duplicate Sid "a"`},
		{"Sid not a string", `{` + v + `"Statement":{"Sid":1,"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, `statement 0: Sid must be a string`},
		{"missing Effect", `{` + v + `"Statement":{"Action":"s3:*","Resource":"*"}}`, `statement 0: missing Effect`},
		{"Effect lower case", `{` + v + `"Statement":{"Effect":"allow","Action":"s3:*","Resource":"*"}}`, `statement 0: Effect must be "Allow" or "Deny", got "allow"`},
		{"Effect not a string", `{` + v + `"Statement":{"Effect":true,"Action":"s3:*","Resource":"*"}}`, `statement 0: Effect must be "Allow" or "Deny", got true`},
		{"missing Action", `{` + v + `"Statement":{"Effect":"Allow","Resource":"*"}}`, `statement 0: missing Action or NotAction`},
		{"Action and NotAction", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","NotAction":"s3:*","Resource":"*"}}`, `statement 0: Action and NotAction are mutually exclusive`},
		{"empty Action list", `{` + v + `"Statement":{"Effect":"Allow","Action":[],"Resource":"*"}}`, `statement 0: Action must be a string or a non-empty list of strings, got []`},
		{"Action not a string", `{` + v + `"Statement":{"Effect":"Allow","Action":["s3:*",1],"Resource":"*"}}`, `statement 0: Action must be a string or a non-empty list of strings`},
		{"Action without service", `{` + v + `"Statement":{"Effect":"Allow","Action":"GetObject","Resource":"*"}}`, `statement 0: Action "GetObject": must be "*" or "service:action"`},
		{"Action empty name", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:","Resource":"*"}}`, `statement 0: Action "s3:"`},
		{"Action bad character", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:Get Object","Resource":"*"}}`, `statement 0: Action "s3:Get Object"`},
		{"NotAction bad", `{` + v + `"Statement":{"Effect":"Allow","NotAction":"s3:a:b","Resource":"*"}}`, `statement 0: NotAction "s3:a:b"`},
		{"missing Resource", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*"}}`, `statement 0: missing Resource or NotResource`},
		{"Resource and NotResource", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","NotResource":"*"}}`, `statement 0: Resource and NotResource are mutually exclusive`},
		{"Resource not an ARN", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"photos/*"}}`, `statement 0: Resource "photos/*": must be an ARN`},
		{"Resource too few fields", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:photos"}}`, `statement 0: Resource "arn:aws:s3:photos": must be an ARN`},
		{"Resource unterminated variable", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username"}}`, `statement 0: Resource "arn:aws:s3:::b/${aws:username": unterminated policy variable`},
		{"Resource bad variable", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${username}"}}`, `statement 0: Resource "arn:aws:s3:::b/${username}": malformed policy variable`},
		{"NotResource empty list", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","NotResource":[]}}`, `statement 0: NotResource must be a string or a non-empty list of strings`},
		{"Principal in identity policy", `{` + v + `"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, `statement 0: Principal is not allowed in an identity policy`},
		{"NotPrincipal in identity policy", `{` + v + `"Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"s3:*","Resource":"*"}}`, `statement 0: NotPrincipal is not allowed in an identity policy`},
		{"Condition not an object", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":[]}}`, `statement 0: Condition must be an object`},
		{"unknown operator", `{` + v + `"Statement":{"Sid":"c","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqual":{"aws:username":"a"}}}}`, `statement 0 ("c"): Condition: unknown condition operator "StringEqual"`},
		{"operator case", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"stringequals":{"aws:username":"a"}}}}`, `unknown condition operator "stringequals"`},
		{"NullIfExists", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}}`, `Null takes neither IfExists`},
		{"duplicate operator", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:securetransport":true},"Bool":{"aws:x":true}}}}`, `statement 0: Condition: duplicate operator "Bool"`},
		{"operator block not an object", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":true}}}`, `statement 0: Condition Bool must be an object`},
		{"empty operator block", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{}}}}`, `statement 0: Condition Bool has no condition keys`},
		{"duplicate key", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:x":true,"aws:x":false}}}}`, `statement 0: Condition Bool: duplicate key "aws:x"`},
		{"bad key", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"securetransport":true}}}}`, `statement 0: Condition Bool: invalid condition key "securetransport"`},
		{"null value", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}}`, `statement 0: Condition StringEquals: key "aws:username": values must be a string, number, boolean or a non-empty list of them, got null`},
		{"empty value list", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":[]}}}}`, `key "aws:username": values must be`},
		{"nested value list", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":[["a"]]}}}}`, `key "aws:username": values must be`},
		{"object value", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":1}}}}}`, `key "aws:username": values must be`},
		{"bad number", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}}`, `statement 0: Condition NumericLessThan: key "s3:max-keys": value "ten" is not a number`},
		{"NaN", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"NaN"}}}}`, `value "NaN" is not a number`},
		{"infinite number", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":1e999}}}}`, `value "1e999" is not a number`},
		{"bool as number", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":true}}}}`, `value "true" is not a number`},
		{"bad date", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:currenttime":"tomorrow"}}}}`, `Condition DateLessThan: key "aws:currenttime": value "tomorrow" is not a date`},
		{"bad bool", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:securetransport":"yes"}}}}`, `value "yes" is not true or false`},
		{"number as bool", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:securetransport":1}}}}`, `value "1" is not true or false`},
		{"bad Null", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:userid":"maybe"}}}}`, `Condition Null: key "aws:userid": value "maybe" is not true or false`},
		{"bad base64", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BinaryEquals":{"s3:x":"!!"}}}}`, `value "!!" is not base64`},
		{"bad IP", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:sourceip":"10.0.0.0/33"}}}}`, `Condition IpAddress: key "aws:sourceip": value "10.0.0.0/33" is not an IP address or CIDR block`},
		{"IP with zone", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NotIpAddress":{"aws:sourceip":"fe80::1%eth0"}}}}`, `is not an IP address`},
		{"bad ARN value", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ArnLike":{"aws:sourcearn":"*"}}}}`, `Condition ArnLike: key "aws:sourcearn": value "*": must be an ARN`},
		{"bad variable in condition", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"${aws:username"}}}}`, `Condition StringLike: key "s3:prefix": value "${aws:username": unterminated policy variable`},
		{"very long value excerpt", `{` + v + `"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":"` + strings.Repeat("x", 200) + `"}}}`, `xxx...`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.doc))
			if err == nil {
				t.Fatalf("Parse succeeded (%d statements), want error containing %q", len(p.statements), tt.want)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseBucketPolicy(t *testing.T) {
	const stmt = `{"Version":"2012-10-17","Statement":{%s}}`
	tests := []struct {
		name   string
		bucket string
		body   string // the statement's members
		want   string // substring of the error, "" for success
	}{
		{"ok", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, ""},
		{"ok bucket ARN", "photos", `"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:user/a"]},"Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::photos"`, ""},
		{"ok NotPrincipal", "photos", `"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:*","NotResource":"arn:aws:s3:::photos/private/*"`, ""},
		{"NotPrincipal with Allow", "photos", `"Sid":"All","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `statement 0 ("All"): NotPrincipal can only be used with "Effect": "Deny"`},
		{"NotPrincipal star with Allow", "photos", `"Effect":"Allow","NotPrincipal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `NotPrincipal can only be used with "Effect": "Deny"`},
		{"ok action star", "photos", `"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::photos/*"`, ""},
		{"ok upper-case service", "photos", `"Effect":"Allow","Principal":"*","Action":"S3:GetObject","Resource":"arn:aws:s3:::photos/*"`, ""},
		{"ok variable under bucket", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/${aws:username}/*"`, ""},
		{"missing principal", "photos", `"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `statement 0: missing Principal or NotPrincipal`},
		{"both principals", "photos", `"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `statement 0: Principal and NotPrincipal are mutually exclusive`},
		{"principal string ARN", "photos", `"Effect":"Allow","Principal":"arn:aws:iam::1:user/a","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `statement 0: Principal: must be "*" or {"AWS": ...}, got "arn:aws:iam::1:user/a"`},
		{"principal service", "photos", `"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `statement 0: Principal: unsupported principal type "Service"`},
		{"principal empty object", "photos", `"Effect":"Allow","Principal":{},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `statement 0: Principal: must name at least one principal`},
		{"principal wildcard ARN", "photos", `"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:user/*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `statement 0: Principal: principal "arn:aws:iam::1:user/*": must be "*", an account id or an ARN without wildcards`},
		{"principal type Federated", "photos", `"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/idp"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `unsupported principal type "Federated"`},
		{"principal empty list", "photos", `"Effect":"Allow","Principal":{"AWS":[]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `statement 0: Principal: AWS must be a string or a non-empty list of strings`},
		{"principal duplicate", "photos", `"Effect":"Allow","Principal":{"AWS":"*","AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `statement 0: Principal: duplicate field "AWS"`},
		{"other bucket", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"`, `statement 0: Resource "arn:aws:s3:::other/*" is outside bucket "photos"`},
		{"bucket prefix", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos2/*"`, `is outside bucket "photos"`},
		{"ok bucket wildcard", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photo*"`, ""},
		{"ok bucket question mark", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photo?/*"`, ""},
		{"ok all resources", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"`, ""},
		{"ok all of S3", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::*"`, ""},
		{"ok all of S3 in a list", "photos", `"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::*/*"]`, ""},
		{"ok wildcard fields", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:*:s3:*:*:photos/*"`, ""},
		{"ok NotResource all of S3", "photos", `"Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::*"`, ""},
		{"ok variable after wildcard", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::*${aws:username}"`, ""},
		{"ok question mark for the slash", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos?*"`, ""},
		{"part of the bucket name", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photo"`, `is outside bucket "photos"`},
		{"longer bucket name wildcard", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos-?"`, `is outside bucket "photos"`},
		{"other bucket wildcard", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos-*/*"`, `is outside bucket "photos"`},
		{"other service", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:iam::*:*"`, `Resource "arn:aws:iam::*:*" is outside bucket "photos"`},
		{"other partition", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws-cn:s3:::photos/*"`, `is outside bucket "photos"`},
		{"region", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:?::photos/*"`, `is outside bucket "photos"`},
		{"NotResource outside", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::other"`, `NotResource "arn:aws:s3:::other" is outside bucket "photos": it can match neither "arn:aws:s3:::photos" nor an object under it`},
		{"variable as bucket", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::${aws:username}/*"`, `is outside bucket "photos"`},
		{"variable glued to bucket", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos${aws:username}"`, `is outside bucket "photos"`},
		{"variable in region", "photos", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:${aws:username}::photos/*"`, `is outside bucket "photos"`},
		{"admin action", "photos", `"Effect":"Allow","Principal":"*","Action":"admin:ServerInfo","Resource":"arn:aws:s3:::photos"`, `statement 0: Action "admin:ServerInfo": a bucket policy can only name s3: actions`},
		{"wildcard service", "photos", `"Effect":"Allow","Principal":"*","Action":"s*:GetObject","Resource":"arn:aws:s3:::photos"`, `a bucket policy can only name s3: actions`},
		{"empty bucket name", "", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"`, `invalid bucket name ""`},
		{"bucket name with wildcard", "ph*", `"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::ph*/*"`, `invalid bucket name "ph*"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(stmt, "%s", tt.body, 1)
			p, err := ParseBucketPolicy([]byte(doc), tt.bucket)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ParseBucketPolicy: %v", err)
			case tt.want == "" && p.Bucket() != tt.bucket:
				t.Errorf("Bucket() = %q", p.Bucket())
			case tt.want != "" && err == nil:
				t.Fatalf("ParseBucketPolicy succeeded, want error containing %q", tt.want)
			case tt.want != "" && (!errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %q, want ErrMalformed containing %q", err, tt.want)
			}
		})
	}
}

func TestPolicy_MarshalJSON(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		want   string
		bucket string
	}{
		{"canonical order and compact",
			`{ "Statement": { "Resource": "*", "Action": "s3:GetObject", "Effect": "Allow", "Sid": "s" }, "Id": "i", "Version": "2012-10-17" }`,
			`{"Version":"2012-10-17","Id":"i","Statement":{"Sid":"s","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, ""},
		{"lists kept as lists",
			`{"Statement":[{"Effect":"Deny","NotAction":["s3:Get*"],"NotResource":["arn:aws:s3:::b/*","arn:aws:s3:::c"]}]}`,
			`{"Statement":[{"Effect":"Deny","NotAction":["s3:Get*"],"NotResource":["arn:aws:s3:::b/*","arn:aws:s3:::c"]}]}`, ""},
		{"condition order and types",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":["a/*","b/*"],"s3:delimiter":"/"},"NumericLessThan":{"s3:max-keys":100},"Null":{"aws:userid":false}}}}`,
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":["a/*","b/*"],"s3:delimiter":"/"},"NumericLessThan":{"s3:max-keys":100},"Null":{"aws:userid":false}}}}`, ""},
		{"escapes",
			`{"Statement":{"Sid":"a\"b\\c\n\u0001<\u2028é","Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			`{"Statement":{"Sid":"a\"b\\c\n\u0001<\u2028é","Effect":"Allow","Action":"s3:*","Resource":"*"}}`, ""},
		{"principals",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::photos/*"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::1:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::photos"}]}`,
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::photos/*"},{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::1:root"]},"Action":"s3:*","Resource":"arn:aws:s3:::photos"}]}`, "photos"},
		{"empty Condition kept",
			`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{}}}`,
			`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{}}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parse := Parse
			if tt.bucket != "" {
				parse = func(b []byte) (*Policy, error) { return ParseBucketPolicy(b, tt.bucket) }
			}
			p, err := parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			// json.Marshal escapes HTML characters in Marshaler output;
			// compare with the method's own bytes too.
			own, _ := p.MarshalJSON()
			if string(own) != tt.want {
				t.Errorf("MarshalJSON =\n%s\nwant\n%s", own, tt.want)
			}
			if !json.Valid(got) {
				t.Errorf("json.Marshal output is not valid JSON: %s", got)
			}
			q, err := parse(got)
			if err != nil {
				t.Fatalf("re-parse: %v", err)
			}
			if !reflect.DeepEqual(p, q) {
				t.Errorf("re-parsed policy differs")
			}
		})
	}
	var nilPolicy *Policy
	if b, _ := nilPolicy.MarshalJSON(); string(b) != "null" {
		t.Errorf("nil MarshalJSON = %s", b)
	}
}

func TestCanned(t *testing.T) {
	names := CannedNames()
	if want := []string{"consoleAdmin", "diagnostics", "readonly", "readwrite", "writeonly"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("CannedNames() = %v, want %v", names, want)
	}
	names[0] = "mutated"
	if CannedNames()[0] != "consoleAdmin" {
		t.Fatal("CannedNames shares its slice")
	}
	tests := []struct {
		policy, action, resource string
		want                     bool
	}{
		{"readonly", "s3:GetObject", "arn:aws:s3:::b/k", true},
		{"readonly", "s3:GetBucketLocation", "arn:aws:s3:::b", true},
		{"readonly", "s3:PutObject", "arn:aws:s3:::b/k", false},
		{"readonly", "s3:ListBucket", "arn:aws:s3:::b", false},
		{"readwrite", "s3:PutObject", "arn:aws:s3:::b/k", true},
		{"readwrite", "s3:DeleteBucket", "arn:aws:s3:::b", true},
		{"readwrite", "admin:ServerInfo", AnyResource, false},
		{"writeonly", "s3:PutObject", "arn:aws:s3:::b/k", true},
		{"writeonly", "s3:GetObject", "arn:aws:s3:::b/k", false},
		{"diagnostics", "admin:ServerInfo", AnyResource, true},
		{"diagnostics", "admin:Prometheus", AnyResource, true},
		{"diagnostics", "admin:OBDInfo", AnyResource, true},
		{"diagnostics", "admin:CreateUser", AnyResource, false},
		{"diagnostics", "s3:GetObject", "arn:aws:s3:::b/k", false},
		{"consoleAdmin", "admin:CreateUser", AnyResource, true},
		{"consoleAdmin", "kms:CreateKey", AnyResource, true},
		{"consoleAdmin", "s3:GetObject", "arn:aws:s3:::b/k", true},
		{"consoleAdmin", "sts:AssumeRole", AnyResource, false},
	}
	for _, tt := range tests {
		p, ok := Canned(tt.policy)
		if !ok {
			t.Fatalf("Canned(%q) not found", tt.policy)
		}
		if got := IsAllowed(&Args{Action: tt.action, Resource: tt.resource}, p); got != tt.want {
			t.Errorf("%s allows %s on %s = %v, want %v", tt.policy, tt.action, tt.resource, got, tt.want)
		}
	}
	for _, name := range CannedNames() {
		if _, ok := Canned(name); !ok {
			t.Errorf("Canned(%q) not found", name)
		}
	}
	if _, ok := Canned("ReadOnly"); ok {
		t.Error(`Canned("ReadOnly") found; names are case-sensitive`)
	}
	a, _ := Canned("readonly")
	b, _ := Canned("readonly")
	if a == b {
		t.Error("Canned returns a shared *Policy")
	}
}
