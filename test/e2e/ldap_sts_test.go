package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sesame-s3/sesame/internal/audit"
	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/ldap"
	"github.com/sesame-s3/sesame/internal/ldap/ldaptest"
)

// ldapResponse is AssumeRoleWithLDAPIdentity's response.
type ldapResponse struct {
	XMLName xml.Name `xml:"AssumeRoleWithLDAPIdentityResponse"`
	Result  struct {
		AssumedRoleUser struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
		Credentials stsCredsXML `xml:"Credentials"`
	} `xml:"AssumeRoleWithLDAPIdentityResult"`
}

// ldapConfig is the LDAP configuration of env (MinIO's variables).
func ldapConfig(t *testing.T, env map[string]string) *ldap.Config {
	t.Helper()
	cfg, err := ldap.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil || cfg == nil {
		t.Fatalf("ldap.ConfigFromEnv: %v, %v", cfg, err)
	}
	return cfg
}

// ldapLogin sends AssumeRoleWithLDAPIdentity as MinIO's documentation
// shows it: an unsigned POST with the parameters in the query string.
func ldapLogin(t *testing.T, ep endpoint, username, password string, extra url.Values) rawResponse {
	t.Helper()
	q := url.Values{"Action": {"AssumeRoleWithLDAPIdentity"}, "Version": {"2011-06-15"}, "LDAPUsername": {username}, "LDAPPassword": {password}}
	for k, v := range extra {
		q[k] = v
	}
	req, err := http.NewRequest(http.MethodPost, ep.URL+"/?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ep.do(t, req)
}

// TestLDAP runs AssumeRoleWithLDAPIdentity and the IAM API's DN
// attachments against one real slapd (internal/ldap/ldaptest): minio-go's
// NewLDAPIdentity, a raw request, nested groups, ${ldap:username}, every
// refusal with its code, and a directory that is down.
func TestLDAP(t *testing.T) {
	ctx := context.Background()
	slapd := ldaptest.Start(t)
	auditFile := filepath.Join(t.TempDir(), "audit.log")
	ep := startServer(t, func(c *config.Config) { c.LDAP = ldapConfig(t, slapd.Env()); c.Audit.File = auditFile })
	admin := iamClient(ep)
	bucket := newBucket(t, ep)
	putObject(t, sdkClient(ep), bucket, "shared/doc", []byte("doc"))
	home := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::%[1]s/home/${ldap:username}/*"},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%[1]s/shared/*"}]}`, bucket)
	if _, err := admin.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ldaphome"), PolicyDocument: aws.String(home)}); err != nil {
		t.Fatal(err)
	}
	const homeARN = "arn:aws:iam::000000000000:policy/ldaphome"
	attachGroup := func(t *testing.T, dn string) {
		t.Helper()
		if _, err := admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(dn), PolicyArn: aws.String(homeARN)}); err != nil {
			t.Fatalf("AttachGroupPolicy(%s): %v", dn, err)
		}
	}

	t.Run("NestedGroup/MinioGo", func(t *testing.T) {
		// alice is in interns, interns in readers, readers in staff: a
		// policy on staff reaches her.
		attachGroup(t, ldaptest.GroupDN("staff"))
		creds, err := miniocreds.NewLDAPIdentity(ep.URL, "alice", ldaptest.Password("alice"), miniocreds.LDAPIdentityExpiryOpt(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		v, err := creds.GetWithContext(nil)
		if err != nil {
			t.Fatalf("minio-go NewLDAPIdentity: %v", err)
		}
		if v.SessionToken == "" || time.Until(v.Expiration) > time.Hour+time.Minute {
			t.Errorf("credentials: token %d bytes, expiry %v", len(v.SessionToken), v.Expiration)
		}
		c := minioSession(t, ep, creds)
		minioRoundTrip(t, c, bucket, "home/alice/notes", []byte("mine"))
		minioGet(t, c, bucket, "shared/doc", []byte("doc"))
		if _, err := c.StatObject(ctx, bucket, "home/bob/x", minio.StatObjectOptions{}); errorCode(err) != "AccessDenied" {
			t.Errorf("another user's home: %v, want AccessDenied", err)
		}
	})

	t.Run("RawRequest", func(t *testing.T) {
		resp := ldapLogin(t, ep, "alice", ldaptest.Password("alice"), url.Values{"DurationSeconds": {"900"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
		var out ldapResponse
		if err := xml.Unmarshal(resp.Body, &out); err != nil {
			t.Fatalf("%v: %s", err, resp.Body)
		}
		wantARN := "arn:aws:sts::000000000000:assumed-role/ldap/" + ldaptest.UserDN("alice")
		if out.Result.AssumedRoleUser.Arn != wantARN {
			t.Errorf("Arn %q, want %q", out.Result.AssumedRoleUser.Arn, wantARN)
		}
		exp, err := time.Parse(time.RFC3339, out.Result.Credentials.Expiration)
		if err != nil || exp.Sub(time.Now()) > 901*time.Second || exp.Sub(time.Now()) < 890*time.Second {
			t.Errorf("Expiration %q, want 15 minutes from now", out.Result.Credentials.Expiration)
		}
		if bytes.Contains(resp.Body, []byte(ldaptest.Password("alice"))) {
			t.Error("the response holds the password")
		}
		who, err := stsAs(ep, staticCreds(out.Result.Credentials)).GetCallerIdentity(ctx, nil)
		if err != nil || aws.ToString(who.Arn) != wantARN {
			t.Errorf("GetCallerIdentity = %v, %v", who, err)
		}
		// A session policy narrows the session.
		narrow := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::%s/shared/*"}]}`, bucket)
		resp = ldapLogin(t, ep, "alice", ldaptest.Password("alice"), url.Values{"Policy": {narrow}})
		if err := xml.Unmarshal(resp.Body, &out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %v: %s", resp.StatusCode, err, resp.Body)
		}
		s := s3WithCreds(ep, staticCreds(out.Result.Credentials))
		getObject(t, s, bucket, "shared/doc")
		_, err = s.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("home/alice/x"), Body: strings.NewReader("x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("UserDN", func(t *testing.T) {
		// carol is in no group: without a policy on her DN she gets none.
		resp := ldapLogin(t, ep, "carol", ldaptest.Password("carol"), nil)
		msg := expectSTSError(t, resp, http.StatusForbidden, "AccessDenied", "")
		if !strings.Contains(strings.ToLower(msg), "no policy") {
			t.Errorf("message %q does not say that no policy is attached", msg)
		}
		// Any spelling of her DN names her.
		spelt := "UID=Carol, OU=People,DC=Example,DC=org"
		if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(spelt), PolicyArn: aws.String(homeARN)}); err != nil {
			t.Fatalf("AttachUserPolicy by DN: %v", err)
		}
		list, err := admin.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(ldaptest.UserDN("carol"))})
		if err != nil || len(list.AttachedPolicies) != 1 || aws.ToString(list.AttachedPolicies[0].PolicyArn) != homeARN {
			t.Fatalf("ListAttachedUserPolicies by DN = %+v, %v", list, err)
		}
		resp = ldapLogin(t, ep, "carol", ldaptest.Password("carol"), nil)
		var out ldapResponse
		if err := xml.Unmarshal(resp.Body, &out); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%d %v: %s", resp.StatusCode, err, resp.Body)
		}
		s := s3WithCreds(ep, staticCreds(out.Result.Credentials))
		sdkRoundTrip(t, s, bucket, "home/carol/x", []byte("carol's"))
		// Detached, the running session loses it at once.
		if _, err := admin.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(ldaptest.UserDN("carol")), PolicyArn: aws.String(homeARN)}); err != nil {
			t.Fatalf("DetachUserPolicy by DN: %v", err)
		}
		_, err = s.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("home/carol/x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("IAMRefusals", func(t *testing.T) {
		_, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("uid=eve," + ldaptest.ContractorsDN), PolicyArn: aws.String(homeARN)})
		expectError(t, err, "InvalidInput", http.StatusBadRequest)
		if err == nil || !strings.Contains(err.Error(), ldap.EnvUserDNSearchBaseDN) {
			t.Errorf("the refusal does not name %s: %v", ldap.EnvUserDNSearchBaseDN, err)
		}
		_, err = admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(ldaptest.UserDN("alice")), PolicyArn: aws.String(homeARN)})
		expectError(t, err, "InvalidInput", http.StatusBadRequest)
		_, err = admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(ldaptest.UserDN("nobody")), PolicyArn: aws.String(homeARN)})
		expectError(t, err, "NoSuchEntity", http.StatusNotFound)
		_, err = admin.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(ldaptest.GroupDN("admins")), PolicyArn: aws.String("arn:aws:iam::000000000000:policy/nosuch")})
		expectError(t, err, "NoSuchEntity", http.StatusNotFound)
		_, err = admin.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: aws.String(ldaptest.GroupDN("admins")), PolicyArn: aws.String(homeARN)})
		expectError(t, err, "NoSuchEntity", http.StatusNotFound)
		_, err = admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("uid=x,ou=people,dc=example,dc=org")})
		expectError(t, err, "InvalidInput", http.StatusBadRequest)
		// Temporary credentials of an LDAP user never call IAM.
		resp := ldapLogin(t, ep, "alice", ldaptest.Password("alice"), nil)
		var out ldapResponse
		if err := xml.Unmarshal(resp.Body, &out); err != nil {
			t.Fatal(err)
		}
		sess := ep.withKeys(out.Result.Credentials.AccessKeyID, out.Result.Credentials.SecretAccessKey)
		_, err = iamClient(sess).ListUsers(ctx, &iam.ListUsersInput{}, func(o *iam.Options) {
			o.Credentials = staticCreds(out.Result.Credentials)
		})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("LoginRefusals", func(t *testing.T) {
		wrong := ldapLogin(t, ep, "alice", "not-her-password", nil)
		wrongMsg := expectSTSError(t, wrong, http.StatusForbidden, "AccessDenied", "")
		unknown := ldapLogin(t, ep, "nobody", "whatever-secret", nil)
		if msg := expectSTSError(t, unknown, http.StatusForbidden, "AccessDenied", ""); msg != wrongMsg {
			t.Errorf("an unknown user (%q) and a wrong password (%q) must read alike", msg, wrongMsg)
		}
		ambiguous := ldapLogin(t, ep, "*", "whatever-secret", nil)
		expectSTSError(t, ambiguous, http.StatusForbidden, "AccessDenied", "")
		empty := ldapLogin(t, ep, "alice", "", nil)
		expectSTSError(t, empty, http.StatusForbidden, "AccessDenied", "")
		for _, r := range []rawResponse{wrong, unknown, empty} {
			if bytes.Contains(r.Body, []byte("not-her-password")) || bytes.Contains(r.Body, []byte("dc=example")) {
				t.Errorf("an error echoes the password or a DN: %s", r.Body)
			}
		}
		q := url.Values{"Action": {"AssumeRoleWithLDAPIdentity"}, "Version": {"2011-06-15"}, "LDAPUsername": {"alice"}}
		req, _ := http.NewRequest(http.MethodPost, ep.URL+"/?"+q.Encode(), nil)
		expectSTSError(t, ep.do(t, req), http.StatusBadRequest, "ValidationError", "")
		expectSTSError(t, ldapLogin(t, ep, "alice", ldaptest.Password("alice"), url.Values{"ConfigName": {"other"}}), http.StatusBadRequest, "ValidationError", "")
		expectSTSError(t, ldapLogin(t, ep, "alice", ldaptest.Password("alice"), url.Values{"DurationSeconds": {"100"}}), http.StatusBadRequest, "ValidationError", "")
		expectSTSError(t, ldapLogin(t, ep, "alice", ldaptest.Password("alice"), url.Values{"Policy": {"{"}}), http.StatusBadRequest, "MalformedPolicyDocument", "")
	})

	t.Run("Audit", func(t *testing.T) {
		// Every login, issued or refused, is audited with who it was; no
		// record holds a password.
		var recs []audit.Record
		eventually(t, "the audit records of the logins", func() error {
			data, err := os.ReadFile(auditFile)
			if err != nil {
				return err
			}
			if bytes.Contains(data, []byte(ldaptest.Password("alice"))) || bytes.Contains(data, []byte("not-her-password")) {
				t.Fatalf("the audit log holds a password")
			}
			recs = nil
			for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
				var r audit.Record
				if err := json.Unmarshal(line, &r); err != nil {
					return err
				}
				if r.Action == "AssumeRoleWithLDAPIdentity" || r.Action == "AttachGroupPolicy" {
					recs = append(recs, r)
				}
			}
			if len(recs) < 10 {
				return fmt.Errorf("%d records", len(recs))
			}
			return nil
		})
		var issued, refused, attached bool
		for _, r := range recs {
			switch {
			case r.Kind == "sts" && r.Outcome == "issued":
				issued = true
				if r.Provider != "ldap" || !strings.HasPrefix(r.Subject, "uid=") || r.AccessKey == "" || !strings.Contains(r.AssumedRole, "assumed-role/ldap/") || r.Expiration.IsZero() {
					t.Errorf("issued record: %+v", r)
				}
			case r.Kind == "sts" && r.Outcome == "rejected":
				refused = refused || r.Error == "AccessDenied"
			case r.Kind == "iam" && r.Outcome == "ok":
				attached = attached || strings.Contains(r.Target, "GroupName=cn=staff")
			}
		}
		if !issued || !refused || !attached {
			t.Errorf("records issued %v, refused %v, attach %v", issued, refused, attached)
		}
	})

	t.Run("DirectoryDown", func(t *testing.T) {
		env := slapd.Env()
		env["MINIO_IDENTITY_LDAP_SERVER_ADDR"] = ldaptest.ClosedAddr(t)
		down := startServer(t, func(c *config.Config) { c.LDAP = ldapConfig(t, env) })
		resp := ldapLogin(t, down, "alice", ldaptest.Password("alice"), nil)
		expectSTSError(t, resp, http.StatusServiceUnavailable, "ServiceUnavailable", "")
		_, err := iamClient(down).AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(ldaptest.GroupDN("staff")), PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")})
		expectError(t, err, "ServiceUnavailable", http.StatusServiceUnavailable)
	})
}
