package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/sesame-s3/sesame/internal/audit"
	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/metrics"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
	"github.com/sesame-s3/sesame/internal/server"
	"github.com/sesame-s3/sesame/internal/server/certstest"
)

// TestOps_TLS serves HTTPS from a certs directory holding a certificate
// from a CA made here, with STS restricted to TLS, and drives it with
// aws-sdk-go-v2 trusting that CA: S3 (over TLS the SDK sends aws-chunked
// bodies with trailing checksums) and STS AssumeRole, whose credentials
// then work. A client that does not trust the CA is refused.
func TestOps_TLS(t *testing.T) {
	certs := t.TempDir()
	ca := certstest.NewCA(t, "Sesame e2e CA")
	ca.WriteServerCert(t, certs, 2, "127.0.0.1", "localhost")
	cfg := config.Config{Dir: t.TempDir(), RootUser: rootUser, RootPassword: rootPassword, Region: testRegion,
		CertsDir: certs, STSRequireTLS: true}
	srv, err := server.Open(cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.ServeWith(ctx, l, server.Limits{}) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("ServeWith: %v", err)
		}
		srv.Close()
	})
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	ep := endpoint{URL: "https://" + l.Addr().String(), AccessKey: rootUser, SecretKey: rootPassword, Region: testRegion, Client: trusting}

	c := sdkClient(ep)
	bucket := "tls-bucket"
	if _, err := c.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
		t.Fatalf("CreateBucket over TLS: %v", err)
	}
	sdkRoundTrip(t, c, bucket, "hello.txt", []byte("hello over TLS"))

	out, err := stsClient(ep).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("tls"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("AssumeRole over TLS: %v", err)
	}
	sess := s3WithCreds(ep, aws.NewCredentialsCache(staticCredsOf(out.Credentials)))
	if _, err := sess.ListBuckets(context.Background(), &s3.ListBucketsInput{}); err != nil {
		t.Errorf("ListBuckets with the session over TLS: %v", err)
	}

	// A client with the system's roots only does not trust the test CA.
	untrusting := ep
	untrusting.Client = &http.Client{Transport: &http.Transport{}}
	if _, err := sdkClient(untrusting).ListBuckets(context.Background(), &s3.ListBucketsInput{}); err == nil ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client without the CA: %v, want a certificate error", err)
	}
}

// staticCredsOf returns the credentials of an STS answer.
func staticCredsOf(c *ststypes.Credentials) aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken)
}

// metricValue returns the value of the series named exactly series in a
// Prometheus text body, 0 when absent.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

// TestOps_MetricsAndAudit runs STS issuances and refusals and IAM changes
// against a server with an OpenID provider, an audit file and an audit
// webhook; then the metrics scraped with a bearer token show the counters
// moved, and the audit records are all there, with who and what, and hold
// no secret key, session token or identity token.
func TestOps_MetricsAndAudit(t *testing.T) {
	idp := oidctest.NewProvider(t, oidctest.Options{})
	env := idp.Env("")
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	openID, err := oidc.ConfigFromEnv(func(k string) string { return env[k] }, environ)
	if err != nil {
		t.Fatal(err)
	}
	var (
		hookMu   sync.Mutex
		hookRecs []audit.Record
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var rec audit.Record
		if err := json.NewDecoder(r.Body).Decode(&rec); err != nil || r.Header.Get("Authorization") != "Bearer hooktoken" {
			t.Errorf("webhook: %v, authorization %q", err, r.Header.Get("Authorization"))
		}
		hookMu.Lock()
		hookRecs = append(hookRecs, rec)
		hookMu.Unlock()
	}))
	defer hook.Close()
	auditFile := filepath.Join(t.TempDir(), "audit.log")
	cfg := config.Config{Dir: t.TempDir(), RootUser: rootUser, RootPassword: rootPassword, Region: testRegion, OpenID: openID,
		Audit: config.AuditConfig{File: auditFile, Webhook: &config.AuditWebhook{Endpoint: hook.URL, AuthToken: "Bearer hooktoken"}}}
	srv, err := server.Open(cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	closed := false
	closeServer := func() {
		if !closed {
			closed = true
			ts.Close()
			if err := srv.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}
	}
	defer closeServer()
	ep := endpoint{URL: ts.URL, AccessKey: rootUser, SecretKey: rootPassword, Region: testRegion, Client: ts.Client()}

	scrape := func() string {
		req, _ := http.NewRequest(http.MethodGet, ep.URL+"/minio/v2/metrics/cluster", nil)
		req.Header.Set("Authorization", "Bearer "+metrics.NewToken(rootUser, rootPassword, time.Now().Add(time.Hour)))
		resp := ep.do(t, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("scrape: %d %s", resp.StatusCode, resp.Body)
		}
		return string(resp.Body)
	}
	before := scrape()

	var secrets []string // what must never be in the audit log
	secrets = append(secrets, rootPassword, "hooktoken")
	ctx := context.Background()
	// STS: AssumeRole issued, and refused for a malformed session policy.
	ar, err := stsClient(ep).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("ops"), DurationSeconds: aws.Int32(1800)})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, *ar.Credentials.SecretAccessKey, *ar.Credentials.SessionToken)
	if _, err := stsClient(ep).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("bad"), Policy: aws.String("{not json")}); err == nil {
		t.Fatal("AssumeRole with a malformed policy succeeded")
	}
	// Federated: issued for a good token, refused for a forged one.
	token := idp.Token(t, map[string]any{"policy": "readwrite"})
	cg := clientGrants(t, ep, token, nil)
	secrets = append(secrets, token, strings.Split(token, ".")[2], cg.Result.Credentials.SecretAccessKey, cg.Result.Credentials.SessionToken)
	forged := token[:len(token)-4] + "AAAA"
	expectSTSError(t, federatedPOST(t, ep, "AssumeRoleWithWebIdentity", "WebIdentityToken", forged, nil), http.StatusBadRequest, "InvalidIdentityToken", forged)
	// GetCallerIdentity issues nothing and is not audited.
	if _, err := stsClient(ep).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	// IAM: two changes that succeed, one that fails, one read.
	ic := iamClient(ep)
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}); err != nil {
		t.Fatal(err)
	}
	key, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, *key.AccessKey.SecretAccessKey)
	if _, err := ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("bob")}); err == nil {
		t.Fatal("DeleteUser bob succeeded")
	}
	if _, err := ic.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatal(err)
	}

	after := scrape()
	for series, want := range map[string]float64{
		`sesame_sts_credentials_issued_total{action="AssumeRole",provider=""}`:                          1,
		`sesame_sts_credentials_issued_total{action="AssumeRoleWithClientGrants",provider="default"}`:   1,
		`sesame_sts_rejections_total{action="AssumeRole",reason="MalformedPolicyDocument"}`:             1,
		`sesame_sts_rejections_total{action="AssumeRoleWithWebIdentity",reason="InvalidIdentityToken"}`: 1,
		`sesame_http_requests_total{api="sts",code="200"}`:                                              3,
		`sesame_http_requests_total{api="iam",code="200"}`:                                              3,
		`sesame_http_requests_total{api="iam",code="404"}`:                                              1,
		`sesame_http_requests_total{api="metrics",code="200"}`:                                          1, // the first scrape
		`sesame_audit_records_total{target="file"}`:                                                     7,
	} {
		if got := metricValue(t, after, series) - metricValue(t, before, series); got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	if metricValue(t, after, `sesame_iam_store_duration_seconds_count{op="create"}`) <= metricValue(t, before, `sesame_iam_store_duration_seconds_count{op="create"}`) {
		t.Error("no IAM store create was timed")
	}
	if !strings.Contains(after, `sesame_http_request_duration_seconds_bucket{api="s3",le="0.0005"}`) && !strings.Contains(after, `sesame_http_request_duration_seconds_bucket{api="sts"`) {
		t.Error("no latency histogram")
	}

	closeServer() // drains the webhook's queue
	data, err := os.ReadFile(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(data), s) {
			t.Errorf("the audit log holds a secret (%.8s...)", s)
		}
	}
	var recs []audit.Record
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 7 {
		t.Fatalf("%d audit records, want 7:\n%s", len(recs), data)
	}
	find := func(kind, action, outcome string) audit.Record {
		t.Helper()
		for _, r := range recs {
			if r.Kind == kind && r.Action == action && r.Outcome == outcome {
				return r
			}
		}
		t.Fatalf("no %s %s %s record in:\n%s", kind, action, outcome, data)
		return audit.Record{}
	}
	r := find("sts", "AssumeRole", "issued")
	if r.Caller != "arn:aws:iam::000000000000:root" || r.Parent != rootUser || r.AccessKey != *ar.Credentials.AccessKeyId ||
		r.Role != anyRoleARN || r.AssumedRole == "" || r.DurationSeconds < 1790 || r.DurationSeconds > 1800 ||
		r.SourceIP != "127.0.0.1" || len(r.RequestID) != 16 || r.Expiration.IsZero() {
		t.Errorf("AssumeRole record: %+v", r)
	}
	r = find("sts", "AssumeRole", "rejected")
	if r.Error != "MalformedPolicyDocument" || r.AccessKey != "" || r.Reason == "" {
		t.Errorf("refused AssumeRole record: %+v", r)
	}
	r = find("sts", "AssumeRoleWithClientGrants", "issued")
	if r.Provider != "default" || r.Subject != cg.Result.SubjectFromToken || r.Subject == "" || r.ClientID != idp.ClientID() ||
		r.AccessKey != cg.Result.Credentials.AccessKeyID || r.Caller != "" {
		t.Errorf("ClientGrants record: %+v", r)
	}
	if r = find("sts", "AssumeRoleWithWebIdentity", "rejected"); r.Error != "InvalidIdentityToken" || r.Subject != "" {
		t.Errorf("forged token record: %+v", r)
	}
	if r = find("iam", "CreateUser", "ok"); r.Target != "UserName=alice" || r.Caller != "arn:aws:iam::000000000000:root" {
		t.Errorf("CreateUser record: %+v", r)
	}
	find("iam", "CreateAccessKey", "ok")
	if r = find("iam", "DeleteUser", "failed"); r.Error != "NoSuchEntity" || r.Target != "UserName=bob" {
		t.Errorf("DeleteUser record: %+v", r)
	}
	hookMu.Lock()
	defer hookMu.Unlock()
	if len(hookRecs) != len(recs) {
		t.Errorf("the webhook got %d records, the file %d", len(hookRecs), len(recs))
	}
}
