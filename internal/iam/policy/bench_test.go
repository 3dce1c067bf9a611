package policy

import (
	"strings"
	"testing"
)

// benchPolicy is a realistic 10-statement identity policy: wildcard
// actions, StringLike on s3:prefix, IpAddress, Bool aws:SecureTransport,
// dates, and a Deny with NotResource. %s is replaced by the home-directory
// resource of statement 1.
const benchPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ListPhotos", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::photos",
     "Condition": {"StringLike": {"s3:prefix": ["public/*", "shared/*", "%s/*"]}}},
    {"Sid": "Home", "Effect": "Allow", "Action": ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject"], "Resource": "arn:aws:s3:::photos/%s/*"},
    {"Sid": "ReadPublic", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": ["arn:aws:s3:::photos/public/*", "arn:aws:s3:::photos/shared/*"]},
    {"Sid": "UploadFromOffice", "Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::uploads/*",
     "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"]}}},
    {"Sid": "TLSOnly", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "OnlyTheseBuckets", "Effect": "Deny", "Action": "s3:*",
     "NotResource": ["arn:aws:s3:::photos", "arn:aws:s3:::photos/*", "arn:aws:s3:::uploads", "arn:aws:s3:::uploads/*", "arn:aws:s3:::logs/*"]},
    {"Sid": "LogsUntil2030", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*",
     "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
    {"Sid": "NoDeletesButAdmin", "Effect": "Deny", "Action": ["s3:DeleteObject*", "s3:DeleteBucket*"], "Resource": "arn:aws:s3:::photos/public/*",
     "Condition": {"StringNotEquals": {"aws:username": "admin"}}},
    {"Sid": "ListAll", "Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"], "Resource": "*"},
    {"Sid": "PrivateACLOnly", "Effect": "Deny", "Action": "s3:PutObject*", "Resource": "arn:aws:s3:::uploads/*",
     "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-acl": "private"}}}
  ]
}`

func benchmarkEvaluate(b *testing.B, home string) {
	p, err := Parse([]byte(strings.ReplaceAll(benchPolicy, "%s", home)))
	if err != nil {
		b.Fatal(err)
	}
	args := &Args{
		Action:   "s3:GetObject",
		Resource: "arn:aws:s3:::photos/alice/2026/cat.jpg",
		Conditions: map[string][]string{
			"aws:username":        {"alice"},
			"aws:userid":          {"AIDAEXAMPLE"},
			"aws:sourceip":        {"10.1.2.3"},
			"aws:securetransport": {"true"},
			"aws:currenttime":     {"2026-05-01T12:00:00Z"},
			"aws:epochtime":       {"1777636800"},
			"aws:principaltype":   {"User"},
		},
	}
	if got := p.Evaluate(args); got != Allow {
		b.Fatalf("Evaluate = %v, want Allow", got)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if p.Evaluate(args) != Allow {
			b.Fatal("not allowed")
		}
	}
}

// BenchmarkPolicy_Evaluate evaluates a 10-statement policy without policy
// variables; every statement is visited (a Deny could apply).
func BenchmarkPolicy_Evaluate(b *testing.B) { benchmarkEvaluate(b, "alice") }

// BenchmarkPolicy_EvaluateVariables is the same policy with
// ${aws:username} in the home-directory Resource and s3:prefix condition.
func BenchmarkPolicy_EvaluateVariables(b *testing.B) { benchmarkEvaluate(b, "${aws:username}") }

// BenchmarkPolicy_EvaluateDeny hits the TLS Deny statement.
func BenchmarkPolicy_EvaluateDeny(b *testing.B) {
	p, err := Parse([]byte(strings.ReplaceAll(benchPolicy, "%s", "${aws:username}")))
	if err != nil {
		b.Fatal(err)
	}
	args := &Args{
		Action:     "s3:PutObject",
		Resource:   "arn:aws:s3:::uploads/x",
		Conditions: map[string][]string{"aws:username": {"alice"}, "aws:sourceip": {"10.1.2.3"}, "aws:securetransport": {"false"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if p.Evaluate(args) != Deny {
			b.Fatal("not denied")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	doc := []byte(strings.ReplaceAll(benchPolicy, "%s", "${aws:username}"))
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// adversarialSubject is a 60 KB value, the size of a large User-Agent
// header, made of the character the adversarial patterns almost match.
var adversarialSubject = strings.Repeat("a", 60<<10)

// adversarialPatterns are ~2,000-character patterns built to make a
// matcher that tries every start position do len(subject)·len(pattern)
// work against adversarialSubject; none of them matches it.
var adversarialPatterns = []struct {
	name string
	src  string
	opts patternOptions
	ctx  map[string][]string
}{
	{name: "stars", src: strings.Repeat("*a", 999) + "*b",
		opts: patternOptions{wildcards: true}},
	{name: "stars open end", src: strings.Repeat("*a", 999) + "*b*",
		opts: patternOptions{wildcards: true}},
	{name: "questions", src: "*" + strings.Repeat("?", 1998) + "b*",
		opts: patternOptions{wildcards: true}},
	{name: "letters and questions", src: "*" + strings.Repeat("a?", 999) + "b*",
		opts: patternOptions{wildcards: true}},
	{name: "long literal", src: "*" + strings.Repeat("a", 1998) + "b*",
		opts: patternOptions{wildcards: true}},
	{name: "folded", src: "*" + strings.Repeat("A?", 999) + "B*",
		opts: patternOptions{wildcards: true, fold: true}},
	{name: "variable", src: "*${aws:referer}*",
		opts: patternOptions{wildcards: true, variables: true},
		ctx:  map[string][]string{"aws:referer": {strings.Repeat("a", 30<<10) + "b"}}},
	{name: "variable and questions", src: "*${aws:referer}?" + strings.Repeat("a?", 500) + "b*",
		opts: patternOptions{wildcards: true, variables: true},
		ctx:  map[string][]string{"aws:referer": {strings.Repeat("a", 2<<10)}}},
}

// BenchmarkPattern_MatchAdversarial matches each adversarial pattern
// against a 60 KB subject; the time per match must stay in the
// milliseconds (it was up to seconds with a quadratic matcher).
func BenchmarkPattern_MatchAdversarial(b *testing.B) {
	for _, tt := range adversarialPatterns {
		b.Run(tt.name, func(b *testing.B) {
			p, err := compilePattern(tt.src, tt.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(adversarialSubject)))
			for b.Loop() {
				if ok, _ := p.match(adversarialSubject, tt.ctx); ok {
					b.Fatal("matched")
				}
			}
		})
	}
}

// BenchmarkPolicy_EvaluateLargeUserAgent evaluates a bucket policy whose
// StringLike condition on aws:UserAgent is a pathological pattern, for a
// request with a 60 KB User-Agent header.
func BenchmarkPolicy_EvaluateLargeUserAgent(b *testing.B) {
	p, err := ParseBucketPolicy([]byte(largeUserAgentPolicy), "photos")
	if err != nil {
		b.Fatal(err)
	}
	args := largeUserAgentArgs()
	b.ReportAllocs()
	for b.Loop() {
		if p.Evaluate(args) != NotApplicable {
			b.Fatal("applicable")
		}
	}
}

// largeUserAgentPolicy grants reads to clients whose User-Agent matches a
// 2,000-character pattern of letters and '?'.
var largeUserAgentPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
 "Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*",
 "Condition":{"StringLike":{"aws:UserAgent":"*` + strings.Repeat("a?", 999) + `b*"}}}]}`

// largeUserAgentArgs is a read request with a 60 KB User-Agent.
func largeUserAgentArgs() *Args {
	return &Args{
		Action:     "s3:GetObject",
		Resource:   "arn:aws:s3:::photos/cat.jpg",
		Conditions: map[string][]string{"aws:useragent": {adversarialSubject}},
	}
}
