package sts_test

import (
	"context"
	"encoding/xml"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/iam"
)

// assumeRoleXML is the AssumeRole response document, element for element.
type assumeRoleXML struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result  struct {
		User struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
			Expiration      string `xml:"Expiration"`
		} `xml:"Credentials"`
	} `xml:"AssumeRoleResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// decodeAssumeRole checks a successful raw AssumeRole response and returns
// the temporary credentials.
func decodeAssumeRole(t *testing.T, r rawResponse, want time.Duration) aws.Credentials {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("AssumeRole: %d %s: %s", r.status, r.err.Code, r.err.Message)
	}
	if ct := r.header.Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type = %q", ct)
	}
	var doc assumeRoleXML
	if err := xml.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	c := doc.Result.Credentials
	exp, err := time.Parse("2006-01-02T15:04:05Z", c.Expiration)
	if err != nil {
		t.Errorf("Expiration %q is not RFC 3339 UTC with seconds: %v", c.Expiration, err)
	}
	if !near(exp, time.Now().Add(want)) {
		t.Errorf("Expiration = %v, want about now + %v", exp, want)
	}
	if len(c.AccessKeyID) != 20 || len(c.SecretAccessKey) != 40 || c.SessionToken == "" || doc.Result.User.Arn == "" || doc.Result.User.AssumedRoleID == "" {
		t.Errorf("AssumeRoleResult = %+v", doc.Result)
	}
	if doc.RequestID == "" || doc.RequestID != r.header.Get("X-Amz-Request-Id") {
		t.Errorf("RequestId = %q, header %q", doc.RequestID, r.header.Get("X-Amz-Request-Id"))
	}
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}

// TestAPI_SeedRequest sends MinIO's sample request: every parameter in the
// query string of a POST without body, signed for "sts".
func TestAPI_SeedRequest(t *testing.T) {
	e := newEnv(t)
	// As typed, the policy's JSON unescaped in the URL...
	r := e.raw("POST", "Action=AssumeRole&DurationSeconds=3600&Version=2011-06-15&Policy="+seedPolicy, "", e.rootSig())
	creds := decodeAssumeRole(t, r, time.Hour)
	// ...and as a client library escapes it.
	q := url.Values{"Action": {"AssumeRole"}, "DurationSeconds": {"900"}, "Version": {"2011-06-15"}, "Policy": {seedPolicy}}
	decodeAssumeRole(t, e.raw("POST", q.Encode(), "", e.rootSig()), 15*time.Minute)

	// The credentials work, signed by the SDK with their token.
	id, err := e.client(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*id.Arn, "arn:aws:sts::000000000000:assumed-role/admin/") {
		t.Errorf("Arn = %s", *id.Arn)
	}
	// And raw, with the token in X-Amz-Security-Token.
	r = e.raw("GET", "Action=GetCallerIdentity&Version=2011-06-15", "", signed{creds: creds, service: "sts"})
	if r.status != 200 || !strings.Contains(string(r.body), "<Arn>"+*id.Arn+"</Arn>") {
		t.Errorf("GetCallerIdentity: %d %s", r.status, r.body)
	}
}

func TestAPI_Parameters(t *testing.T) {
	e := newEnv(t)
	// GET with the parameters in the query string.
	decodeAssumeRole(t, e.raw("GET", "Action=AssumeRole&Version=2011-06-15&DurationSeconds=1800", "", e.rootSig()), 30*time.Minute)
	// Body parameters replace query parameters of the same name.
	decodeAssumeRole(t, e.raw("POST", "DurationSeconds=100", "Action=AssumeRole&Version=2011-06-15&DurationSeconds=900", e.rootSig()), 15*time.Minute)
	// Query and body parameters merge.
	decodeAssumeRole(t, e.raw("POST", "Action=AssumeRole", "Version=2011-06-15&DurationSeconds=2700", e.rootSig()), 45*time.Minute)
}

func TestAPI_RequestErrors(t *testing.T) {
	e := newEnv(t)
	root := e.rootSig()
	for _, tc := range []struct {
		name, method, query, body string
		sig                       signed
		code                      string
		status                    int
		fragments                 []string
	}{
		{"no Version", "POST", "", "Action=AssumeRole", root, "MissingParameter", 400, []string{"The request must contain the parameter Version"}},
		{"empty Version", "POST", "", "Action=AssumeRole&Version=", root, "MissingParameter", 400, nil},
		{"other Version", "POST", "", "Action=AssumeRole&Version=2011-06-14", root, "InvalidAction", 400, []string{"Could not find operation AssumeRole for version 2011-06-14"}},
		{"no Action", "POST", "", "Version=2011-06-15", root, "MissingAction", 400, nil},
		{"unknown Action", "POST", "", "Action=DecodeAuthorizationMessage&Version=2011-06-15", root, "InvalidAction", 400, []string{"DecodeAuthorizationMessage"}},
		{"AssumeRoleWithWebIdentity token too short", "POST", "", "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=x", signed{}, "ValidationError", 400, []string{"webIdentityToken", "greater than or equal to 4"}},
		{"AssumeRoleWithClientGrants without OpenID", "POST", "", "Action=AssumeRoleWithClientGrants&Version=2011-06-15&Token=abcdefgh", signed{}, "InvalidIdentityToken", 400, []string{"MINIO_IDENTITY_OPENID_CONFIG_URL"}},
		{"AssumeRoleWithSAML", "POST", "", "Action=AssumeRoleWithSAML&Version=2011-06-15", signed{}, "InvalidAction", 400, []string{"not implemented"}},
		{"AssumeRoleWithLDAPIdentity without its parameters", "POST", "Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15", "", signed{}, "ValidationError", 400, []string{"ldapUsername", "ldapPassword"}},
		{"AssumeRoleWithLDAPIdentity without a directory", "POST", "Action=AssumeRoleWithLDAPIdentity&Version=2011-06-15&LDAPUsername=a&LDAPPassword=b", "", signed{}, "AccessDenied", 403, []string{"MINIO_IDENTITY_LDAP_SERVER_ADDR"}},
		{"unsigned AssumeRole", "POST", "", "Action=AssumeRole&Version=2011-06-15", signed{}, "MissingAuthenticationToken", 403, []string{"Request is missing Authentication Token"}},
		{"unsigned GetCallerIdentity", "GET", "Action=GetCallerIdentity&Version=2011-06-15", "", signed{}, "MissingAuthenticationToken", 403, nil},
		{"non-integer DurationSeconds", "POST", "", "Action=AssumeRole&Version=2011-06-15&DurationSeconds=abc", root, "ValidationError", 400, []string{
			"1 validation error detected: Value 'abc' at 'durationSeconds' failed to satisfy constraint: Member must be an integer",
		}},
		{"fractional DurationSeconds", "POST", "", "Action=AssumeRole&Version=2011-06-15&DurationSeconds=900.5", root, "ValidationError", 400, []string{"Member must be an integer"}},
		{"empty DurationSeconds", "POST", "", "Action=AssumeRole&Version=2011-06-15&DurationSeconds=", root, "ValidationError", 400, []string{"Value '' at 'durationSeconds'"}},
		{"huge DurationSeconds", "POST", "", "Action=AssumeRole&Version=2011-06-15&DurationSeconds=99999999999999999999", root, "ValidationError", 400, []string{"'durationSeconds'"}},
		{"scoped to s3", "POST", "", "Action=GetCallerIdentity&Version=2011-06-15", signed{creds: root.creds, service: "s3"}, "SignatureDoesNotMatch", 403, []string{"Credential should be scoped to correct service: 'sts'."}},
		{"PUT", "PUT", "", "Action=GetCallerIdentity&Version=2011-06-15", root, "InvalidAction", 400, nil},
		{"body not a form", "POST", "", `{"Action":"GetCallerIdentity"}`, signed{creds: root.creds, service: "sts", contentType: "application/json"}, "InvalidParameterValue", 400, []string{"application/x-www-form-urlencoded"}},
		{"body too large", "POST", "", "Action=GetCallerIdentity&Version=2011-06-15&Pad=" + strings.Repeat("x", 64<<10), root, "ValidationError", 400, []string{"65536"}},
		{"malformed query", "POST", "Action=GetCallerIdentity&Version=2011-06-15&x=%zz", "", signed{}, "InvalidParameterValue", 400, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantRaw(t, e.raw(tc.method, tc.query, tc.body, tc.sig), tc.code, tc.status, tc.fragments...)
		})
	}
}

func TestAPI_MalformedSignature(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest("POST", e.url+"/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=admin/20200101/us-east-1/sts/aws4_request")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc xmlError
	if err := xml.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || doc.Code != "IncompleteSignature" {
		t.Errorf("got %d %s (%s), want 400 IncompleteSignature", resp.StatusCode, doc.Code, doc.Message)
	}
}

// sessionless is a credentials source that authenticates session tokens
// but loses their session: the API must refuse rather than take the
// caller for its parent.
type sessionless struct{ auth.Credentials }

func (s sessionless) Lookup(ctx context.Context, accessKey, token string) (auth.Identity, string, error) {
	id, secret, err := s.Credentials.Lookup(ctx, accessKey, token)
	id.Session = nil
	return id, secret, err
}

// TestAPI_InternalFailure checks that a server fault is a Receiver
// InternalFailure whose details, and no credentials, reach the log only.
func TestAPI_InternalFailure(t *testing.T) {
	e := newEnv(t, envOptions{creds: func(c auth.Credentials) auth.Credentials { return sessionless{c} }})
	_, out := e.assume(e.root, &awssts.AssumeRoleInput{})
	c := out.Credentials
	r := e.raw("POST", "", "Action=AssumeRole&Version=2011-06-15", signed{
		creds:   aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken},
		service: "sts",
	})
	wantRaw(t, r, "InternalFailure", 500)
	if strings.Contains(r.err.Message, "session") {
		t.Errorf("message leaks details: %q", r.err.Message)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "sts request failed") || !strings.Contains(logs, "without a session") {
		t.Errorf("the failure is not logged:\n%s", logs)
	}
	for _, secret := range []string{*c.SecretAccessKey, *c.SessionToken, rootSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret or token:\n%s", logs)
		}
	}
}

// TestAPI_RealRoleParameters checks what the AWS path adds to
// AssumeRole's parameters: RoleSessionName is required for a real role
// (optional on MinIO's path), MFA is refused, and the list parameters are
// read.
func TestAPI_RealRoleParameters(t *testing.T) {
	e := newEnv(t)
	u, c := e.user("ci")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + iam.UserARN("", u.Name) + `"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	if _, err := e.svc.CreateRole(ctx, "r1", trust); err != nil {
		t.Fatal(err)
	}
	role := "arn:aws:iam::000000000000:role/r1"
	_, err := c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ok"),
		SerialNumber: aws.String("arn:aws:iam::000000000000:mfa/x"), TokenCode: aws.String("123456")})
	wantErr(t, err, "ValidationError", 400, "MFA")
	out, err := c.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ok"),
		Tags: []ststypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	if err != nil || *out.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/r1/ok" || out.PackedPolicySize == nil {
		t.Fatalf("AssumeRole of a real role = %+v, %v", out, err)
	}
}
