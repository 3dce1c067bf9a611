package policy

import (
	"strings"
	"testing"
	"time"
)

// mustParse parses an identity policy or fails the test.
func mustParse(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, doc)
	}
	return p
}

// mustParseBucket parses a bucket policy for bucket "photos" or fails the
// test.
func mustParseBucket(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := ParseBucketPolicy([]byte(doc), "photos")
	if err != nil {
		t.Fatalf("ParseBucketPolicy: %v\n%s", err, doc)
	}
	return p
}

func TestPolicy_Evaluate(t *testing.T) {
	const obj = "arn:aws:s3:::photos/alice/cat.jpg"
	tests := []struct {
		name string
		doc  string
		args Args
		want Decision
	}{
		{"exact action and resource",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/alice/cat.jpg"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"other action",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			Args{Action: "s3:PutObject", Resource: obj}, NotApplicable},
		{"action case-insensitive",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"S3:getobject","Resource":"*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"action request case-insensitive",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			Args{Action: "S3:GETOBJECT", Resource: obj}, Allow},
		{"action wildcard",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`,
			Args{Action: "s3:GetObjectTagging", Resource: obj}, Allow},
		{"action wildcard other service",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			Args{Action: "admin:ServerInfo", Resource: AnyResource}, NotApplicable},
		{"action question mark",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:?etObject","Resource":"*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"action star",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
			Args{Action: "kms:Decrypt", Resource: AnyResource}, Allow},
		{"action list",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"NotAction excludes",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:Delete*","Resource":"*"}]}`,
			Args{Action: "s3:DeleteObject", Resource: obj}, NotApplicable},
		{"NotAction includes the rest",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["s3:Delete*"],"Resource":"*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"NotAction case-insensitive",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:deleteobject","Resource":"*"}]}`,
			Args{Action: "s3:DeleteObject", Resource: obj}, NotApplicable},
		{"resource wildcard",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"resource case-sensitive",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::Photos/*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, NotApplicable},
		{"resource bucket vs objects",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::photos/*"}]}`,
			Args{Action: "s3:ListBucket", Resource: "arn:aws:s3:::photos"}, NotApplicable},
		{"resource question mark",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::photos/alice/ca?.jpg"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"resource star matches everything",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"resource list",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::a/*","arn:aws:s3:::photos/*"]}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"AnyResource needs all of S3",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"admin:*","Resource":"arn:aws:s3:::photos/*"}]}`,
			Args{Action: "admin:ServerInfo", Resource: AnyResource}, NotApplicable},
		{"AnyResource granted",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"admin:*","Resource":"arn:aws:s3:::*"}]}`,
			Args{Action: "admin:ServerInfo", Resource: AnyResource}, Allow},
		{"NotResource excludes",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::photos/alice/*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, NotApplicable},
		{"NotResource includes the rest",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::photos/bob/*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"explicit deny wins",
			`{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Action":"s3:*","Resource":"*"},
				{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Deny},
		{"explicit deny wins in any order",
			`{"Version":"2012-10-17","Statement":[
				{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"},
				{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Deny},
		{"deny alone",
			`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:*","Resource":"*"}}`,
			Args{Action: "s3:GetObject", Resource: obj}, Deny},
		{"deny not applying leaves allow",
			`{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Action":"s3:*","Resource":"*"},
				{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Allow},
		{"deny with NotResource",
			`{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Action":"s3:*","Resource":"*"},
				{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::public","arn:aws:s3:::public/*"]}]}`,
			Args{Action: "s3:GetObject", Resource: obj}, Deny},
		{"deny with condition",
			`{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Action":"s3:*","Resource":"*"},
				{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:securetransport":"false"}}}]}`,
			Args{Action: "s3:GetObject", Resource: obj, Conditions: ctxOf("aws:securetransport", "false")}, Deny},
		{"deny condition false",
			`{"Version":"2012-10-17","Statement":[
				{"Effect":"Allow","Action":"s3:*","Resource":"*"},
				{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:securetransport":"false"}}}]}`,
			Args{Action: "s3:GetObject", Resource: obj, Conditions: ctxOf("aws:securetransport", "true")}, Allow},
		{"principal ignored for identity policies",
			`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`,
			Args{Action: "s3:GetObject", Resource: obj, Principal: "arn:aws:iam::1:user/x"}, Allow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.doc)
			if got := p.Evaluate(&tt.args); got != tt.want {
				t.Errorf("Evaluate(%+v) = %v, want %v", tt.args, got, tt.want)
			}
		})
	}
}

func TestPolicy_EvaluateVariables(t *testing.T) {
	tests := []struct {
		name     string
		version  string
		resource string // the Resource element, JSON
		not      bool   // NotResource instead of Resource
		effect   string
		args     Args
		want     Decision
	}{
		{"aws:username", Version2012, `"arn:aws:s3:::home/${aws:username}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::home/alice/x", Conditions: ctxOf("aws:username", "alice")}, Allow},
		{"aws:username other user", Version2012, `"arn:aws:s3:::home/${aws:username}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::home/bob/x", Conditions: ctxOf("aws:username", "alice")}, NotApplicable},
		{"aws:userid", Version2012, `"arn:aws:s3:::home/${aws:userid}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::home/AIDA1/x", Conditions: ctxOf("aws:userid", "AIDA1")}, Allow},
		{"aws:SourceIp", Version2012, `"arn:aws:s3:::ip/${aws:SourceIp}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::ip/10.0.0.1", Conditions: ctxOf("aws:sourceip", "10.0.0.1")}, Allow},
		{"aws:CurrentTime", Version2012, `"arn:aws:s3:::t/${aws:CurrentTime}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::t/2026-01-01T00:00:00Z", Conditions: ctxOf("aws:currenttime", "2026-01-01T00:00:00Z")}, Allow},
		{"aws:EpochTime", Version2012, `"arn:aws:s3:::t/${aws:EpochTime}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::t/1767225600", Conditions: ctxOf("aws:epochtime", "1767225600")}, Allow},
		{"aws:PrincipalType", Version2012, `"arn:aws:s3:::t/${aws:PrincipalType}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::t/User/x", Conditions: ctxOf("aws:principaltype", "User")}, Allow},
		{"jwt:sub", Version2012, `"arn:aws:s3:::home/${jwt:sub}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::home/1234/x", Conditions: ctxOf("jwt:sub", "1234")}, Allow},
		{"s3:prefix", Version2012, `"arn:aws:s3:::b/${s3:prefix}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::b/p/", Conditions: ctxOf("s3:prefix", "p/")}, Allow},
		{"s3:delimiter", Version2012, `"arn:aws:s3:::b/${s3:delimiter}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::b//", Conditions: ctxOf("s3:delimiter", "/")}, Allow},
		{"s3:max-keys", Version2012, `"arn:aws:s3:::b/${s3:max-keys}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::b/100", Conditions: ctxOf("s3:max-keys", "100")}, Allow},
		{"escape star", Version2012, `"arn:aws:s3:::b/${*}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::b/*"}, Allow},
		{"escape star is literal", Version2012, `"arn:aws:s3:::b/${*}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::b/x"}, NotApplicable},
		{"escape question", Version2012, `"arn:aws:s3:::b/${?}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::b/?"}, Allow},
		{"escape question is literal", Version2012, `"arn:aws:s3:::b/${?}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::b/x"}, NotApplicable},
		{"escape dollar", Version2012, `"arn:aws:s3:::b/${$}{x}"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::b/${x}"}, Allow},
		{"substituted value is literal", Version2012, `"arn:aws:s3:::home/${jwt:sub}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::home/alice/x", Conditions: ctxOf("jwt:sub", "*")}, NotApplicable},
		{"missing variable", Version2012, `"arn:aws:s3:::home/${aws:username}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::home//x"}, NotApplicable},
		{"missing variable, other entry", Version2012, `["arn:aws:s3:::home/${aws:username}/*","arn:aws:s3:::public/*"]`, false, "Allow",
			Args{Resource: "arn:aws:s3:::public/x"}, Allow},
		{"multi-valued variable", Version2012, `"arn:aws:s3:::g/${jwt:groups}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::g/a/x", Conditions: ctxOf("jwt:groups", "a", "jwt:groups", "b")}, NotApplicable},
		{"default value", Version2012, `"arn:aws:s3:::home/${aws:username, 'guest'}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::home/guest/x"}, Allow},
		{"deny with missing variable does not apply", Version2012, `"arn:aws:s3:::home/${aws:username}/*"`, false, "Deny",
			Args{Resource: "arn:aws:s3:::home/x/y"}, NotApplicable},
		{"NotResource with variable", Version2012, `"arn:aws:s3:::home/${aws:username}/*"`, true, "Allow",
			Args{Resource: "arn:aws:s3:::home/bob/x", Conditions: ctxOf("aws:username", "alice")}, Allow},
		{"NotResource with variable excludes", Version2012, `"arn:aws:s3:::home/${aws:username}/*"`, true, "Allow",
			Args{Resource: "arn:aws:s3:::home/alice/x", Conditions: ctxOf("aws:username", "alice")}, NotApplicable},
		{"NotResource missing variable never widens an Allow", Version2012, `"arn:aws:s3:::home/${aws:username}/*"`, true, "Allow",
			Args{Resource: "arn:aws:s3:::home/bob/x"}, NotApplicable},
		{"NotResource missing variable excludes nothing from a Deny", Version2012, `"arn:aws:s3:::home/${aws:username}/*"`, true, "Deny",
			Args{Resource: "arn:aws:s3:::home/bob/x"}, Deny},
		{"2008 does not substitute", Version2008, `"arn:aws:s3:::home/${aws:username}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::home/alice/x", Conditions: ctxOf("aws:username", "alice")}, NotApplicable},
		{"2008 matches literally", Version2008, `"arn:aws:s3:::home/${aws:username}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::home/${aws:username}/x", Conditions: ctxOf("aws:username", "alice")}, Allow},
		{"no Version does not substitute", "", `"arn:aws:s3:::home/${aws:username}/*"`, false, "Allow",
			Args{Resource: "arn:aws:s3:::home/alice/x", Conditions: ctxOf("aws:username", "alice")}, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			version := ""
			if tt.version != "" {
				version = `"Version":"` + tt.version + `",`
			}
			elem := "Resource"
			if tt.not {
				elem = "NotResource"
			}
			doc := `{` + version + `"Statement":[{"Effect":"` + tt.effect + `","Action":"s3:*","` + elem + `":` + tt.resource + `}]}`
			p := mustParse(t, doc)
			tt.args.Action = "s3:GetObject"
			if got := p.Evaluate(&tt.args); got != tt.want {
				t.Errorf("%s: Evaluate(%+v) = %v, want %v", doc, tt.args, got, tt.want)
			}
		})
	}
}

func TestPolicy_EvaluateBucketPolicy(t *testing.T) {
	const alice = "arn:aws:iam::123456789012:user/alice"
	const bob = "arn:aws:iam::123456789012:user/bob"
	obj := "arn:aws:s3:::photos/cat.jpg"
	tests := []struct {
		name      string
		principal string // the principal element, e.g. `"Principal":"*"`
		caller    string
		want      Decision
	}{
		{"star matches anonymous", `"Principal":"*"`, "", Allow},
		{"star matches a user", `"Principal":"*"`, alice, Allow},
		{"AWS star matches anonymous", `"Principal":{"AWS":"*"}`, "", Allow},
		{"AWS star list", `"Principal":{"AWS":["*"]}`, bob, Allow},
		{"specific ARN", `"Principal":{"AWS":"` + alice + `"}`, alice, Allow},
		{"specific ARN other user", `"Principal":{"AWS":"` + alice + `"}`, bob, NotApplicable},
		{"specific ARN anonymous", `"Principal":{"AWS":"` + alice + `"}`, "", NotApplicable},
		{"ARN list", `"Principal":{"AWS":["` + bob + `","` + alice + `"]}`, alice, Allow},
		{"ARN is case-sensitive", `"Principal":{"AWS":"` + alice + `"}`, "arn:aws:iam::123456789012:user/Alice", NotApplicable},
		// NotPrincipal goes with Deny only.
		{"NotPrincipal excludes", `"Effect":"Deny","NotPrincipal":{"AWS":"` + alice + `"}`, alice, NotApplicable},
		{"NotPrincipal includes others", `"Effect":"Deny","NotPrincipal":{"AWS":"` + alice + `"}`, bob, Deny},
		{"NotPrincipal includes anonymous", `"Effect":"Deny","NotPrincipal":{"AWS":"` + alice + `"}`, "", Deny},
		{"NotPrincipal star excludes everyone", `"Effect":"Deny","NotPrincipal":"*"`, bob, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			principal := tt.principal
			if !strings.HasPrefix(principal, `"Effect"`) {
				principal = `"Effect":"Allow",` + principal
			}
			doc := `{"Version":"2012-10-17","Statement":[{` + principal +
				`,"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}`
			p := mustParseBucket(t, doc)
			if got := p.Evaluate(&Args{Action: "s3:GetObject", Resource: obj, Principal: tt.caller}); got != tt.want {
				t.Errorf("Evaluate(principal %q) = %v, want %v", tt.caller, got, tt.want)
			}
		})
	}

	// A bare "*" action is "s3:*" in a bucket policy.
	p := mustParseBucket(t, `{"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::photos/*"}}`)
	if got := p.Evaluate(&Args{Action: "admin:ServerInfo", Resource: obj}); got != NotApplicable {
		t.Errorf("bucket policy action * on admin:ServerInfo = %v, want NotApplicable", got)
	}
	if got := p.Evaluate(&Args{Action: "s3:GetObject", Resource: obj}); got != Allow {
		t.Errorf("bucket policy action * on s3:GetObject = %v, want Allow", got)
	}
	if p.Bucket() != "photos" {
		t.Errorf("Bucket() = %q", p.Bucket())
	}
}

// TestPolicy_EvaluateBucketScope checks that a bucket policy applies to
// its bucket and the objects in it only, even when its resources are
// wildcards that cover other buckets.
func TestPolicy_EvaluateBucketScope(t *testing.T) {
	allowAll := mustParseBucket(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::*"}}`)
	denyOthers := mustParseBucket(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::photos/public/*"}}`)
	tests := []struct {
		name     string
		p        *Policy
		resource string
		want     Decision
	}{
		{"wildcard: the bucket", allowAll, "arn:aws:s3:::photos", Allow},
		{"wildcard: an object", allowAll, "arn:aws:s3:::photos/cat.jpg", Allow},
		{"wildcard: an object with an empty key", allowAll, "arn:aws:s3:::photos/", Allow},
		{"wildcard: another bucket", allowAll, "arn:aws:s3:::other", NotApplicable},
		{"wildcard: another bucket's object", allowAll, "arn:aws:s3:::other/cat.jpg", NotApplicable},
		{"wildcard: a bucket with a longer name", allowAll, "arn:aws:s3:::photos2/cat.jpg", NotApplicable},
		{"wildcard: all of S3", allowAll, AnyResource, NotApplicable},
		{"wildcard: not an ARN", allowAll, "photos/cat.jpg", NotApplicable},
		{"NotResource: an object it excludes", denyOthers, "arn:aws:s3:::photos/public/cat.jpg", NotApplicable},
		{"NotResource: an object it covers", denyOthers, "arn:aws:s3:::photos/private/cat.jpg", Deny},
		{"NotResource: another bucket's object", denyOthers, "arn:aws:s3:::other/cat.jpg", NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Evaluate(&Args{Action: "s3:GetObject", Resource: tt.resource}); got != tt.want {
				t.Errorf("Evaluate(%q) = %v, want %v", tt.resource, got, tt.want)
			}
		})
	}
}

func TestIsAllowed(t *testing.T) {
	allow := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`)
	deny := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}}`)
	other := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}`)
	get := &Args{Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}
	del := &Args{Action: "s3:DeleteObject", Resource: "arn:aws:s3:::b/k"}
	tests := []struct {
		name     string
		args     *Args
		policies []*Policy
		want     bool
	}{
		{"no policies", get, nil, false},
		{"nil policy", get, []*Policy{nil}, false},
		{"allow", get, []*Policy{allow}, true},
		{"not applicable", get, []*Policy{other}, false},
		{"allow among others", get, []*Policy{other, nil, allow}, true},
		{"deny wins across policies", del, []*Policy{allow, deny}, false},
		{"deny wins in any order", del, []*Policy{deny, allow}, false},
		{"deny without allow", del, []*Policy{deny}, false},
		{"deny not applying", get, []*Policy{deny, allow}, true},
		{"nil args", nil, []*Policy{allow}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsAllowed(tt.args, tt.policies...); got != tt.want {
				t.Errorf("IsAllowed = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecision_String(t *testing.T) {
	for d, want := range map[Decision]string{NotApplicable: "NotApplicable", Allow: "Allow", Deny: "Deny", 7: "Decision(?)"} {
		if got := d.String(); got != want {
			t.Errorf("Decision(%d).String() = %q, want %q", int(d), got, want)
		}
	}
}

func TestPolicy_EvaluateZero(t *testing.T) {
	var nilPolicy *Policy
	if got := nilPolicy.Evaluate(&Args{Action: "s3:GetObject"}); got != NotApplicable {
		t.Errorf("nil policy = %v", got)
	}
	if got := new(Policy).Evaluate(&Args{Action: "s3:GetObject"}); got != NotApplicable {
		t.Errorf("zero policy = %v", got)
	}
	if nilPolicy.Version() != Version2008 || nilPolicy.ID() != "" || nilPolicy.Bucket() != "" {
		t.Error("nil policy accessors")
	}
}

// TestPolicy_EvaluateLargeHeaderValues evaluates bucket policies whose
// StringLike and StringNotLike conditions on aws:UserAgent are
// pathological 2,000-character patterns, for requests whose User-Agent
// header is 60 KB: the decision is right and takes bounded time (about
// 10 ms; 2 s with a matcher quadratic in the pattern's length).
func TestPolicy_EvaluateLargeHeaderValues(t *testing.T) {
	const limit = 250 * time.Millisecond
	allow := mustParseBucket(t, largeUserAgentPolicy)
	deny := mustParseBucket(t, strings.Replace(strings.Replace(largeUserAgentPolicy,
		`"Allow"`, `"Deny"`, 1), "StringLike", "StringNotLike", 1))
	matching := adversarialSubject + strings.Repeat("ax", 999) + "b"
	tests := []struct {
		name string
		p    *Policy
		ua   string
		want Decision
	}{
		{"StringLike, no match", allow, adversarialSubject, NotApplicable},
		{"StringLike, match at the end", allow, matching, Allow},
		{"StringNotLike, no match", deny, adversarialSubject, Deny},
		{"StringNotLike, match at the end", deny, matching, NotApplicable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := largeUserAgentArgs()
			args.Conditions["aws:useragent"] = []string{tt.ua}
			start := time.Now()
			if got := tt.p.Evaluate(args); got != tt.want {
				t.Errorf("Evaluate = %v, want %v", got, tt.want)
			}
			if d := time.Since(start); d > limit {
				t.Errorf("Evaluate took %v, want at most %v", d, limit)
			}
		})
	}
}
