package sts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestAPI_AssumeRole(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	temp, out := e.assume(e.root, &awssts.AssumeRoleInput{
		RoleArn:         aws.String("arn:xxx:xxx:xxx:xxxx"),
		RoleSessionName: aws.String("anything"),
		DurationSeconds: aws.Int32(3600),
		Policy:          aws.String(seedPolicy),
	})
	c := out.Credentials
	if len(*c.AccessKeyId) != 20 || len(*c.SecretAccessKey) != 40 || *c.SessionToken == "" {
		t.Errorf("credentials: key %q (%d), secret of %d, token of %d characters",
			*c.AccessKeyId, len(*c.AccessKeyId), len(*c.SecretAccessKey), len(*c.SessionToken))
	}
	if !near(*c.Expiration, start.Add(time.Hour)) {
		t.Errorf("Expiration = %v, want about %v", *c.Expiration, start.Add(time.Hour))
	}
	u := out.AssumedRoleUser
	if *u.Arn != "arn:aws:sts::000000000000:assumed-role/admin/anything" || !strings.HasSuffix(*u.AssumedRoleId, ":anything") {
		t.Errorf("AssumedRoleUser = %s, %s", *u.Arn, *u.AssumedRoleId)
	}

	id, err := temp.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != *u.Arn || *id.UserId != *u.AssumedRoleId || *id.Account != "000000000000" {
		t.Errorf("GetCallerIdentity with temporary credentials = %s, %s, %s", *id.Arn, *id.UserId, *id.Account)
	}
	// No role chaining.
	_, err = temp.AssumeRole(ctx, &awssts.AssumeRoleInput{})
	wantErr(t, err, "AccessDenied", 403, "Temporary credentials cannot be used to call AssumeRole")
}

func TestAPI_AssumeRole_Duration(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		seconds *int32
		want    time.Duration
	}{
		{nil, time.Hour},
		{aws.Int32(900), 15 * time.Minute},
		{aws.Int32(604800), 7 * 24 * time.Hour},
	} {
		start := time.Now()
		_, out := e.assume(e.root, &awssts.AssumeRoleInput{DurationSeconds: tc.seconds})
		if got := *out.Credentials.Expiration; !near(got, start.Add(tc.want)) {
			t.Errorf("DurationSeconds %v: Expiration = %v, want about %v", aws.ToInt32(tc.seconds), got, start.Add(tc.want))
		}
	}
	// Without RoleSessionName the session is named by its access key.
	_, out := e.assume(e.root, &awssts.AssumeRoleInput{})
	if want := "arn:aws:sts::000000000000:assumed-role/admin/" + *out.Credentials.AccessKeyId; *out.AssumedRoleUser.Arn != want {
		t.Errorf("Arn = %s, want %s", *out.AssumedRoleUser.Arn, want)
	}
}

func TestAPI_AssumeRole_MaxDuration(t *testing.T) {
	e := newEnv(t, envOptions{maxDuration: 12 * time.Hour})
	_, err := e.root.AssumeRole(ctx, &awssts.AssumeRoleInput{DurationSeconds: aws.Int32(43201)})
	wantErr(t, err, "ValidationError", 400,
		"1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200")
	start := time.Now()
	_, out := e.assume(e.root, &awssts.AssumeRoleInput{DurationSeconds: aws.Int32(43200)})
	if !near(*out.Credentials.Expiration, start.Add(12*time.Hour)) {
		t.Errorf("Expiration = %v", *out.Credentials.Expiration)
	}

	// A maximum under an hour is also the default.
	e = newEnv(t, envOptions{maxDuration: 30 * time.Minute})
	start = time.Now()
	_, out = e.assume(e.root, &awssts.AssumeRoleInput{})
	if !near(*out.Credentials.Expiration, start.Add(30*time.Minute)) {
		t.Errorf("default with a 30-minute maximum: Expiration = %v", *out.Credentials.Expiration)
	}
	// The configured maximum cannot exceed iam.MaxSessionDuration.
	e = newEnv(t, envOptions{maxDuration: 30 * 24 * time.Hour})
	_, err = e.root.AssumeRole(ctx, &awssts.AssumeRoleInput{DurationSeconds: aws.Int32(604801)})
	wantErr(t, err, "ValidationError", 400, "less than or equal to 604800")
}

func TestAPI_AssumeRole_Policy(t *testing.T) {
	e := newEnv(t)
	p := policyOfLength(2048)
	if len(p) != 2048 {
		t.Fatalf("policy of %d characters", len(p))
	}
	e.assume(e.root, &awssts.AssumeRoleInput{Policy: aws.String(p)})

	_, err := e.root.AssumeRole(ctx, &awssts.AssumeRoleInput{Policy: aws.String(policyOfLength(2049))})
	wantErr(t, err, "PackedPolicyTooLarge", 400, "101% of allotted space", "2048")
	// Characters, not bytes: 2048 two-byte characters fit.
	multi := policyOfLength(120 + 1024)
	multi = strings.Replace(multi, strings.Repeat("a", 1024), strings.Repeat("é", 1024), 1)
	e.assume(e.root, &awssts.AssumeRoleInput{Policy: aws.String(multi)})

	_, err = e.root.AssumeRole(ctx, &awssts.AssumeRoleInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[`)})
	wantErr(t, err, "MalformedPolicyDocument", 400)
	_, err = e.root.AssumeRole(ctx, &awssts.AssumeRoleInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`)})
	wantErr(t, err, "MalformedPolicyDocument", 400, "Maybe")
	_, err = e.root.AssumeRole(ctx, &awssts.AssumeRoleInput{Policy: aws.String("")})
	wantErr(t, err, "ValidationError", 400,
		"1 validation error detected: Value '' at 'policy' failed to satisfy constraint: Member must have length greater than or equal to 1")
}

func TestAPI_AssumeRole_ValidationError(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("a", 2049)
	for _, tc := range []struct {
		name      string
		in        awssts.AssumeRoleInput
		fragments []string
	}{
		{"duration too short", awssts.AssumeRoleInput{DurationSeconds: aws.Int32(100)}, []string{
			"1 validation error detected: Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
		}},
		{"duration too long", awssts.AssumeRoleInput{DurationSeconds: aws.Int32(604801)}, []string{
			"Value '604801' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 604800",
		}},
		{"negative duration", awssts.AssumeRoleInput{DurationSeconds: aws.Int32(-1)}, []string{"greater than or equal to 900"}},
		{"short RoleArn", awssts.AssumeRoleInput{RoleArn: aws.String("arn:x")}, []string{
			"Value 'arn:x' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
		}},
		{"empty RoleArn", awssts.AssumeRoleInput{RoleArn: aws.String("")}, []string{"Value '' at 'roleArn'"}},
		{"long RoleArn", awssts.AssumeRoleInput{RoleArn: aws.String(long)}, []string{"'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048"}},
		{"short RoleSessionName", awssts.AssumeRoleInput{RoleSessionName: aws.String("a")}, []string{
			"Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
		}},
		{"long RoleSessionName", awssts.AssumeRoleInput{RoleSessionName: aws.String(strings.Repeat("s", 65))}, []string{
			"at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64",
		}},
		{"bad RoleSessionName", awssts.AssumeRoleInput{RoleSessionName: aws.String("bad name!")}, []string{
			`Value 'bad name!' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`,
		}},
		{"several", awssts.AssumeRoleInput{DurationSeconds: aws.Int32(1), RoleArn: aws.String("x"), RoleSessionName: aws.String("x"), Policy: aws.String("")}, []string{
			"4 validation errors detected: ", "'durationSeconds'", "'roleArn'", "'roleSessionName'", "'policy'",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.root.AssumeRole(ctx, &tc.in)
			wantErr(t, err, "ValidationError", 400, tc.fragments...)
		})
	}
	// Well-formed RoleArn and RoleSessionName are accepted and the ARN ignored.
	_, out := e.assume(e.root, &awssts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/whatever"),
		RoleSessionName: aws.String("Bob+=,.@_-99"),
	})
	if *out.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/admin/Bob+=,.@_-99" {
		t.Errorf("Arn = %s", *out.AssumedRoleUser.Arn)
	}
}

func TestAPI_GetCallerIdentity(t *testing.T) {
	e := newEnv(t)
	id, err := e.root.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != "arn:aws:iam::000000000000:root" || *id.UserId != "000000000000" || *id.Account != "000000000000" {
		t.Errorf("root: %s, %s, %s", *id.Arn, *id.UserId, *id.Account)
	}

	u, alice := e.user("alice")
	id, err = alice.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != "arn:aws:iam::000000000000:user/alice" || *id.UserId != u.ID || *id.Account != "000000000000" {
		t.Errorf("alice: %s, %s, %s", *id.Arn, *id.UserId, *id.Account)
	}

	// A user's session, named and unnamed.
	temp, out := e.assume(alice, &awssts.AssumeRoleInput{RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(900)})
	id, err = temp.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if *id.Arn != "arn:aws:sts::000000000000:assumed-role/alice/s1" || *id.Arn != *out.AssumedRoleUser.Arn ||
		*id.UserId != u.ID+":s1" || *id.Account != "000000000000" {
		t.Errorf("alice's session: %s, %s, %s", *id.Arn, *id.UserId, *id.Account)
	}
	_, err = temp.AssumeRole(ctx, &awssts.AssumeRoleInput{RoleSessionName: aws.String("s2")})
	wantErr(t, err, "AccessDenied", 403)
}

func TestAPI_Authentication(t *testing.T) {
	e := newEnv(t)
	_, err := e.clientWith(aws.AnonymousCredentials{}).AssumeRole(ctx, &awssts.AssumeRoleInput{})
	wantErr(t, err, "MissingAuthenticationToken", 403)
	_, err = e.clientWith(aws.AnonymousCredentials{}).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	wantErr(t, err, "MissingAuthenticationToken", 403)

	_, err = e.client("AKIANOSUCHKEY0000000", "secret", "").GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	wantErr(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	_, err = e.client(rootUser, "wrong", "").AssumeRole(ctx, &awssts.AssumeRoleInput{})
	wantErr(t, err, "SignatureDoesNotMatch", 403)

	_, out := e.assume(e.root, &awssts.AssumeRoleInput{DurationSeconds: aws.Int32(900)})
	c := out.Credentials
	// A token that does not unseal, or belongs to other credentials.
	bad := []byte(*c.SessionToken)
	bad[len(bad)/2] ^= 1
	_, err = e.client(*c.AccessKeyId, *c.SecretAccessKey, string(bad)).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	wantErr(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	_, other := e.assume(e.root, &awssts.AssumeRoleInput{})
	_, err = e.client(*c.AccessKeyId, *c.SecretAccessKey, *other.Credentials.SessionToken).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	wantErr(t, err, "InvalidClientTokenId", 403)
	// The wrong secret with a good token.
	_, err = e.client(*c.AccessKeyId, strings.Repeat("x", 40), *c.SessionToken).GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	wantErr(t, err, "SignatureDoesNotMatch", 403)

	// After its 15 minutes the session token is expired.
	temp := e.client(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
	if _, err := temp.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	e.skew.Store(int64(16 * time.Minute))
	_, err = temp.GetCallerIdentity(ctx, &awssts.GetCallerIdentityInput{})
	wantErr(t, err, "ExpiredToken", 400, "The security token included in the request is expired")
}
