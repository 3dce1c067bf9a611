package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// stsClient returns an aws-sdk-go-v2 STS client for ep.
func stsClient(ep endpoint) *sts.Client {
	return sts.NewFromConfig(aws.Config{
		Region:      ep.Region,
		Credentials: credentials.NewStaticCredentialsProvider(ep.AccessKey, ep.SecretKey, ""),
		HTTPClient:  ep.Client,
	}, func(o *sts.Options) {
		o.BaseEndpoint = aws.String(ep.URL)
		o.RetryMaxAttempts = 1
	})
}

// s3WithCreds returns an S3 client for ep using a credentials provider.
func s3WithCreds(ep endpoint, p aws.CredentialsProvider) *s3.Client {
	return s3.NewFromConfig(aws.Config{Region: ep.Region, Credentials: p, HTTPClient: ep.Client}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(ep.URL)
		o.UsePathStyle = true
		o.RetryMaxAttempts = 1
	})
}

// newUser creates a user with a key and the given managed policies through
// the IAM API and returns an endpoint signing with its keys.
func newUser(t *testing.T, root endpoint, name string, policyARNs ...string) endpoint {
	t.Helper()
	ctx := context.Background()
	admin := iamClient(root)
	if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateAccessKey: %v", err)
	}
	for _, arn := range policyARNs {
		if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: aws.String(arn)}); err != nil {
			t.Fatalf("AttachUserPolicy: %v", err)
		}
	}
	return root.withKeys(*key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey)
}

const readwrite = "arn:aws:iam::aws:policy/readwrite"

// TestSTS_AssumeRole is the seed's story: a user with long-term keys gets
// temporary credentials narrowed to one prefix and uploads a folder there,
// multipart included, and is denied anywhere else.
func TestSTS_AssumeRole(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	root, stop := startServerOn(t, dir)
	if _, err := sdkClient(root).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("uploads")}); err != nil {
		t.Fatal(err)
	}
	foobar := newUser(t, root, "foobar", readwrite)

	sessionPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::uploads/folder/*"}]}`
	out, err := stsClient(foobar).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:xxx:xxx:xxx:xxxx"), RoleSessionName: aws.String("anything"),
		Policy: aws.String(sessionPolicy), DurationSeconds: aws.Int32(900),
	})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	c := out.Credentials
	if len(*c.AccessKeyId) != 20 || len(*c.SecretAccessKey) != 40 || len(*c.SessionToken) == 0 || len(*c.SessionToken) >= 4096 {
		t.Fatalf("credentials: key %d, secret %d, token %d characters", len(*c.AccessKeyId), len(*c.SecretAccessKey), len(*c.SessionToken))
	}
	if d := time.Until(*c.Expiration); d < 14*time.Minute || d > 16*time.Minute {
		t.Fatalf("expiration in %v, want ~15m", d)
	}
	temp := s3WithCreds(root, credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))

	// A "folder" with a multipart file, inside the allowed prefix.
	putObject(t, temp, "uploads", "folder/a.txt", []byte("a"))
	big := randomBytes(6 << 20)
	mpu, err := temp.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("uploads"), Key: aws.String("folder/big.bin")})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var parts []types.CompletedPart
	for i, chunk := range [][]byte{big[:5<<20], big[5<<20:]} {
		p, err := temp.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("uploads"), Key: aws.String("folder/big.bin"), UploadId: mpu.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(chunk)})
		if err != nil {
			t.Fatalf("UploadPart: %v", err)
		}
		parts = append(parts, types.CompletedPart{ETag: p.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	if _, err := temp.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("uploads"), Key: aws.String("folder/big.bin"), UploadId: mpu.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	if got := getObject(t, temp, "uploads", "folder/big.bin"); !bytes.Equal(got, big) {
		t.Fatal("multipart object differs")
	}
	// Outside the prefix: denied, although the parent may do it.
	_, err = temp.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("uploads"), Key: aws.String("elsewhere.txt"), Body: strings.NewReader("x")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	putObject(t, sdkClient(foobar), "uploads", "elsewhere.txt", []byte("parent may"))
	_, err = temp.ListBuckets(ctx, &s3.ListBucketsInput{})
	expectError(t, err, "AccessDenied", http.StatusForbidden)

	// A presigned URL made with the temporary credentials works, and carries the token.
	ps, err := s3.NewPresignClient(temp).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String("folder/a.txt")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ps.URL, "X-Amz-Security-Token=") {
		t.Fatal("presigned URL lacks the session token")
	}
	resp, err := root.Client.Get(ps.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "a" {
		t.Fatalf("presigned GET with session: %d %q", resp.StatusCode, body)
	}

	// GetCallerIdentity for the user and for the session.
	id, err := stsClient(foobar).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || *id.Arn != "arn:aws:iam::000000000000:user/foobar" {
		t.Fatalf("GetCallerIdentity(user): %v %v", id, err)
	}
	tempSTS := sts.NewFromConfig(aws.Config{Region: root.Region, HTTPClient: root.Client,
		Credentials: credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)},
		func(o *sts.Options) { o.BaseEndpoint = aws.String(root.URL) })
	id, err = tempSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.Contains(*id.Arn, ":assumed-role/foobar/anything") {
		t.Fatalf("GetCallerIdentity(session): %v %v", id, err)
	}
	// Temporary credentials cannot mint more, nor use the IAM API.
	_, err = tempSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:xxx:xxx:xxx:xxxx"), RoleSessionName: aws.String("again")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	tempIAM := iam.NewFromConfig(aws.Config{Region: root.Region, HTTPClient: root.Client,
		Credentials: credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)},
		func(o *iam.Options) { o.BaseEndpoint = aws.String(root.URL) })
	_, err = tempIAM.ListUsers(ctx, &iam.ListUsersInput{})
	expectError(t, err, "AccessDenied", http.StatusForbidden)

	// Tampered and foreign tokens are refused, never a panic.
	tok := *c.SessionToken
	tampered := tok[:50] + string("AB"[(strings.IndexByte("AB", tok[50])+1)&1]) + tok[51:]
	for name, token := range map[string]string{"tampered": tampered, "truncated": tok[:len(tok)/2], "garbage": "definitely-not-a-token"} {
		bad := s3WithCreds(root, credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, token))
		_, err := bad.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String("folder/a.txt")})
		if code := errorCode(err); code != "InvalidToken" || httpStatus(err) != http.StatusForbidden {
			t.Errorf("%s token: %s %d, want 403 InvalidToken", name, code, httpStatus(err))
		}
	}
	// The access key alone, without its token, is unknown.
	noToken := s3WithCreds(root, credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, ""))
	_, err = noToken.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String("folder/a.txt")})
	expectError(t, err, "InvalidAccessKeyId", http.StatusForbidden)

	// The token survives a restart.
	stop()
	root, _ = startServerOn(t, dir)
	temp = s3WithCreds(root, credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken))
	if got := getObject(t, temp, "uploads", "folder/a.txt"); string(got) != "a" {
		t.Fatalf("after restart: %q", got)
	}

	// Revocation through the IAM API ends the session on the next request.
	resp2 := root.do(t, root.signedForm(t, "iam", "Action=RevokeUserSessions&Version=2010-05-08&UserName=foobar"))
	if resp2.StatusCode != http.StatusOK {
		t.Fatalf("RevokeUserSessions: %d %s", resp2.StatusCode, resp2.Body)
	}
	_, err = temp.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String("folder/a.txt")})
	expectError(t, err, "InvalidToken", http.StatusForbidden)
}

// TestSTS_Providers uses the SDKs' own AssumeRole credential providers.
func TestSTS_Providers(t *testing.T) {
	ctx := context.Background()
	root := startServer(t, nil)
	bucket := newBucket(t, root)
	user := newUser(t, root, "provider", readwrite)

	// aws-sdk-go-v2: stscreds.AssumeRoleProvider refreshes through STS.
	provider := stscreds.NewAssumeRoleProvider(stsClient(user), "arn:xxx:xxx:xxx:xxxx", func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "sdk"
		o.Duration = 15 * time.Minute
	})
	sdk := s3WithCreds(root, aws.NewCredentialsCache(provider))
	putObject(t, sdk, bucket, "sdk.txt", []byte("from stscreds"))
	if got := getObject(t, sdk, bucket, "sdk.txt"); string(got) != "from stscreds" {
		t.Fatalf("stscreds round trip: %q", got)
	}

	// minio-go: credentials.NewSTSAssumeRole.
	mc, err := miniocreds.NewSTSAssumeRole(root.URL, miniocreds.STSAssumeRoleOptions{
		AccessKey: user.AccessKey, SecretKey: user.SecretKey, DurationSeconds: 900,
		Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::` + bucket + `/minio/*"}]}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	client, err := minio.New(root.Host(), &minio.Options{Creds: mc, Region: root.Region})
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(300 << 10)
	if _, err := client.PutObject(ctx, bucket, "minio/obj", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("minio-go PutObject with STS credentials: %v", err)
	}
	obj, err := client.GetObject(ctx, bucket, "minio/obj", minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("minio-go GetObject: %d bytes, %v", len(got), err)
	}
	_, err = client.PutObject(ctx, bucket, "outside", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	if code := minio.ToErrorResponse(err).Code; code != "AccessDenied" {
		t.Fatalf("minio-go outside the session policy: %v (%s), want AccessDenied", err, code)
	}
}

// signedForm returns POST / with a form body signed for service (iam, sts).
func (ep endpoint) signedForm(t testing.TB, service, form string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ep.URL+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	creds := aws.Credentials{AccessKeyID: ep.AccessKey, SecretAccessKey: ep.SecretKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex([]byte(form)), service, ep.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}
