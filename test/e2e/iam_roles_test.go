package e2e

// Roles and OpenID Connect providers as IAM objects, end to end with the
// aws cli: create, read, list, policies, tags, the namespace roles share
// with users, and DeleteConflict. Run them with
// go test ./test/e2e/ -run IAMRoles.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// cli runs an aws cli command as root and decodes its JSON output into
// out (when not nil); it fails the test if the command fails.
func cli(t *testing.T, ep endpoint, out any, args ...string) {
	t.Helper()
	stdout, stderr, err := awsCLI(t, ep, aws.Credentials{AccessKeyID: ep.AccessKey, SecretAccessKey: ep.SecretKey}, args...)
	if err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			t.Fatalf("aws %s: output %q: %v", strings.Join(args, " "), stdout, err)
		}
	}
}

// cliFails runs an aws cli command as root and checks that it fails with
// the error code.
func cliFails(t *testing.T, ep endpoint, code string, args ...string) {
	t.Helper()
	_, stderr, err := awsCLI(t, ep, aws.Credentials{AccessKeyID: ep.AccessKey, SecretAccessKey: ep.SecretKey}, args...)
	if err == nil {
		t.Errorf("aws %s: succeeded, want %s", strings.Join(args, " "), code)
	} else if !strings.Contains(stderr, "("+code+")") {
		t.Errorf("aws %s: %v, stderr %q; want %s", strings.Join(args, " "), err, stderr, code)
	}
}

// docFile writes a policy document to a file for file:// arguments.
func docFile(t *testing.T, name, doc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return "file://" + path
}

type cliRole struct {
	Path, RoleName, RoleId, Arn, Description string
	MaxSessionDuration                       int
	// The aws cli decodes the URL-encoded trust policy into JSON.
	AssumeRolePolicyDocument struct {
		Statement []struct{ Effect, Action string }
	}
	Tags []struct{ Key, Value string }
}

func TestIAMRoles_CLI(t *testing.T) {
	t.Parallel()
	ep := startServer(t, nil)
	trust := docFile(t, "trust.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`)
	perms := docFile(t, "perms.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}`)

	var created struct{ Role cliRole }
	cli(t, ep, &created, "iam", "create-role", "--role-name", "Reader", "--path", "/app/", "--assume-role-policy-document", trust,
		"--description", "reads photos", "--max-session-duration", "7200", "--tags", "Key=team,Value=blue")
	r := created.Role
	if r.Arn != "arn:aws:iam::000000000000:role/app/Reader" || !strings.HasPrefix(r.RoleId, "AROA") || r.Path != "/app/" ||
		r.MaxSessionDuration != 7200 || r.Description != "reads photos" || len(r.Tags) != 1 ||
		len(r.AssumeRolePolicyDocument.Statement) != 1 || r.AssumeRolePolicyDocument.Statement[0].Action != "sts:AssumeRole" {
		t.Errorf("create-role = %+v", r)
	}
	cliFails(t, ep, "EntityAlreadyExists", "iam", "create-role", "--role-name", "READER", "--assume-role-policy-document", trust)
	cliFails(t, ep, "EntityAlreadyExists", "iam", "create-user", "--user-name", "reader")
	cliFails(t, ep, "MalformedPolicyDocument", "iam", "create-role", "--role-name", "broken", "--assume-role-policy-document", `{"Version":"2012-10-17"}`)
	cliFails(t, ep, "InvalidInput", "iam", "create-role", "--role-name", "bounded", "--assume-role-policy-document", trust,
		"--permissions-boundary", "arn:aws:iam::aws:policy/readonly")

	var got struct{ Role cliRole }
	cli(t, ep, &got, "iam", "get-role", "--role-name", "reader")
	if got.Role.RoleName != "Reader" || got.Role.RoleId != r.RoleId || got.Role.Tags[0].Value != "blue" {
		t.Errorf("get-role = %+v", got.Role)
	}
	var list struct{ Roles []cliRole }
	cli(t, ep, &list, "iam", "list-roles")
	if len(list.Roles) != 1 || list.Roles[0].Arn != r.Arn {
		t.Errorf("list-roles = %+v", list.Roles)
	}
	cli(t, ep, &list, "iam", "list-roles", "--path-prefix", "/other/")
	if len(list.Roles) != 0 {
		t.Errorf("list-roles --path-prefix /other/ = %+v", list.Roles)
	}

	// Permissions policies, and DeleteConflict while they are there.
	cli(t, ep, nil, "iam", "put-role-policy", "--role-name", "Reader", "--policy-name", "photos", "--policy-document", perms)
	var inline struct {
		RoleName, PolicyName string
		PolicyDocument       struct {
			Statement []struct{ Action, Resource string }
		}
	}
	cli(t, ep, &inline, "iam", "get-role-policy", "--role-name", "reader", "--policy-name", "PHOTOS")
	if inline.RoleName != "Reader" || inline.PolicyName != "photos" || len(inline.PolicyDocument.Statement) != 1 ||
		inline.PolicyDocument.Statement[0].Resource != "arn:aws:s3:::photos/*" {
		t.Errorf("get-role-policy = %+v", inline)
	}
	cli(t, ep, nil, "iam", "attach-role-policy", "--role-name", "Reader", "--policy-arn", "arn:aws:iam::aws:policy/readonly")
	var attached struct{ AttachedPolicies []struct{ PolicyName string } }
	cli(t, ep, &attached, "iam", "list-attached-role-policies", "--role-name", "Reader")
	if len(attached.AttachedPolicies) != 1 || attached.AttachedPolicies[0].PolicyName != "readonly" {
		t.Errorf("list-attached-role-policies = %+v", attached)
	}
	cliFails(t, ep, "DeleteConflict", "iam", "delete-role", "--role-name", "Reader")

	// Tags.
	cli(t, ep, nil, "iam", "tag-role", "--role-name", "Reader", "--tags", "Key=TEAM,Value=red", "Key=env,Value=prod")
	var tags struct{ Tags []struct{ Key, Value string } }
	cli(t, ep, &tags, "iam", "list-role-tags", "--role-name", "Reader")
	if len(tags.Tags) != 2 || tags.Tags[0].Key != "TEAM" || tags.Tags[0].Value != "red" {
		t.Errorf("list-role-tags = %+v", tags.Tags)
	}
	cli(t, ep, nil, "iam", "untag-role", "--role-name", "Reader", "--tag-keys", "team", "env")

	cli(t, ep, nil, "iam", "update-role", "--role-name", "Reader", "--max-session-duration", "3600")
	cli(t, ep, nil, "iam", "update-assume-role-policy", "--role-name", "Reader", "--policy-document", trust)
	cli(t, ep, nil, "iam", "delete-role-policy", "--role-name", "Reader", "--policy-name", "photos")
	cli(t, ep, nil, "iam", "detach-role-policy", "--role-name", "Reader", "--policy-arn", "arn:aws:iam::aws:policy/readonly")
	cli(t, ep, nil, "iam", "delete-role", "--role-name", "Reader")
	cliFails(t, ep, "NoSuchEntity", "iam", "get-role", "--role-name", "Reader")
}

func TestIAMRoles_OpenIDConnectProvidersCLI(t *testing.T) {
	t.Parallel()
	ep := startServer(t, nil)
	const thumb = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
	var created struct{ OpenIDConnectProviderArn string }
	cli(t, ep, &created, "iam", "create-open-id-connect-provider", "--url", "https://idp.example.com/realms/lab",
		"--client-id-list", "app", "cli", "--thumbprint-list", thumb)
	arn := "arn:aws:iam::000000000000:oidc-provider/idp.example.com/realms/lab"
	if created.OpenIDConnectProviderArn != arn {
		t.Errorf("create-open-id-connect-provider ARN = %s", created.OpenIDConnectProviderArn)
	}
	cliFails(t, ep, "EntityAlreadyExists", "iam", "create-open-id-connect-provider", "--url", "https://idp.example.com/realms/lab/")
	cliFails(t, ep, "InvalidInput", "iam", "create-open-id-connect-provider", "--url", "idp.example.com")

	var list struct{ OpenIDConnectProviderList []struct{ Arn string } }
	cli(t, ep, &list, "iam", "list-open-id-connect-providers")
	if len(list.OpenIDConnectProviderList) != 1 || list.OpenIDConnectProviderList[0].Arn != arn {
		t.Errorf("list-open-id-connect-providers = %+v", list)
	}
	cli(t, ep, nil, "iam", "add-client-id-to-open-id-connect-provider", "--open-id-connect-provider-arn", arn, "--client-id", "web")
	cli(t, ep, nil, "iam", "remove-client-id-from-open-id-connect-provider", "--open-id-connect-provider-arn", arn, "--client-id", "cli")
	cli(t, ep, nil, "iam", "update-open-id-connect-provider-thumbprint", "--open-id-connect-provider-arn", arn, "--thumbprint-list", strings.ToUpper(thumb))
	var got struct {
		Url                          string
		ClientIDList, ThumbprintList []string
		CreateDate                   string
	}
	cli(t, ep, &got, "iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
	if got.Url != "idp.example.com/realms/lab" || strings.Join(got.ClientIDList, ",") != "app,web" ||
		strings.Join(got.ThumbprintList, ",") != strings.ToUpper(thumb) || got.CreateDate == "" {
		t.Errorf("get-open-id-connect-provider = %+v", got)
	}

	// A role may trust the provider; deleting the provider leaves the role.
	trust := docFile(t, "trust.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+arn+`"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"idp.example.com/realms/lab:aud":"app"}}}]}`)
	cli(t, ep, nil, "iam", "create-role", "--role-name", "web-reader", "--assume-role-policy-document", trust)
	cli(t, ep, nil, "iam", "delete-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
	cliFails(t, ep, "NoSuchEntity", "iam", "get-open-id-connect-provider", "--open-id-connect-provider-arn", arn)
	cli(t, ep, nil, "iam", "get-role", "--role-name", "web-reader")
}
