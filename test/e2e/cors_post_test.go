package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/minio/minio-go/v7"

	"github.com/sesame-s3/sesame/internal/config"
)

// TestCORS runs the bucket CORS cases against one server.
func TestCORS(t *testing.T) {
	t.Parallel()
	ep := testEndpoint(t)
	t.Run("Configuration", func(t *testing.T) { caseCORSConfiguration(t, ep) })
	t.Run("Requests", func(t *testing.T) { caseCORSRequests(t, ep) })
}

// caseCORSConfiguration: Put/Get/DeleteBucketCors with aws-sdk-go-v2.
func caseCORSConfiguration(t *testing.T, ep endpoint) {
	ctx := context.Background()
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	_, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &bucket})
	expectError(t, err, "NoSuchCORSConfiguration", http.StatusNotFound)
	rules := []types.CORSRule{
		{ID: aws.String("web"), AllowedOrigins: []string{"https://*.example.com"}, AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600)},
	}
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: &bucket, CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	out, err := c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &bucket})
	if err != nil {
		t.Fatalf("GetBucketCors: %v", err)
	}
	if len(out.CORSRules) != 1 || aws.ToString(out.CORSRules[0].ID) != "web" || aws.ToInt32(out.CORSRules[0].MaxAgeSeconds) != 600 ||
		fmt.Sprint(out.CORSRules[0].AllowedMethods) != "[GET PUT]" || fmt.Sprint(out.CORSRules[0].ExposeHeaders) != "[ETag]" {
		t.Errorf("GetBucketCors = %+v", out.CORSRules)
	}
	bad := []types.CORSRule{{AllowedOrigins: []string{"*"}, AllowedMethods: []string{"PATCH"}}}
	_, err = c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: &bucket, CORSConfiguration: &types.CORSConfiguration{CORSRules: bad}})
	expectError(t, err, "InvalidRequest", http.StatusBadRequest)
	if _, err := c.DeleteBucketCors(ctx, &s3.DeleteBucketCorsInput{Bucket: &bucket}); err != nil {
		t.Fatalf("DeleteBucketCors: %v", err)
	}
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: &bucket})
	expectError(t, err, "NoSuchCORSConfiguration", http.StatusNotFound)
	_, err = c.GetBucketCors(ctx, &s3.GetBucketCorsInput{Bucket: aws.String(uniqueBucket())})
	expectError(t, err, "NoSuchBucket", http.StatusNotFound)
}

// caseCORSRequests: preflights without a signature, and the headers of
// actual requests, errors included.
func caseCORSRequests(t *testing.T, ep endpoint) {
	ctx := context.Background()
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	putObject(t, c, bucket, "k", []byte("v"))
	preflight := func(origin, method, headers string) rawResponse {
		req := ep.newRequest(t, http.MethodOptions, "/"+bucket+"/k", "", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if method != "" {
			req.Header.Set("Access-Control-Request-Method", method)
		}
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		return ep.do(t, req)
	}
	expectXMLError(t, preflight("https://a.example.com", "GET", ""), http.StatusForbidden, "AccessForbidden")
	rules := []types.CORSRule{{AllowedOrigins: []string{"https://*.example.com"}, AllowedMethods: []string{"GET", "PUT"},
		AllowedHeaders: []string{"x-amz-*", "content-type"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(600)}}
	if _, err := c.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: &bucket, CORSConfiguration: &types.CORSConfiguration{CORSRules: rules}}); err != nil {
		t.Fatalf("PutBucketCors: %v", err)
	}
	resp := preflight("https://a.example.com", "PUT", "Content-Type, X-Amz-Date")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preflight = %d %s", resp.StatusCode, resp.Body)
	}
	for h, want := range map[string]string{
		"Access-Control-Allow-Origin": "https://a.example.com", "Access-Control-Allow-Methods": "GET, PUT",
		"Access-Control-Allow-Headers": "content-type, x-amz-date", "Access-Control-Max-Age": "600",
		"Access-Control-Expose-Headers": "ETag", "Access-Control-Allow-Credentials": "true",
	} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("preflight %s = %q, want %q", h, got, want)
		}
	}
	expectXMLError(t, preflight("https://a.example.org", "GET", ""), http.StatusForbidden, "AccessForbidden")
	expectXMLError(t, preflight("https://a.example.com", "DELETE", ""), http.StatusForbidden, "AccessForbidden")
	expectXMLError(t, preflight("https://a.example.com", "GET", "authorization"), http.StatusForbidden, "AccessForbidden")
	expectXMLError(t, preflight("", "GET", ""), http.StatusBadRequest, "BadRequest")

	get := func(key, origin string, signed bool) rawResponse {
		var req *http.Request
		if signed {
			req = ep.newRequest(t, http.MethodGet, "/"+bucket+"/"+key, "", nil)
			req.Header.Set("Origin", origin)
			ep.sign(t, req, sha256Hex(nil), time.Now())
		} else {
			req = ep.newRequest(t, http.MethodGet, "/"+bucket+"/"+key, "", nil)
			req.Header.Set("Origin", origin)
		}
		return ep.do(t, req)
	}
	for _, c := range []struct {
		key, origin string
		signed      bool
		status      int
		allow       string
	}{
		{"k", "https://a.example.com", true, 200, "https://a.example.com"},
		{"missing", "https://a.example.com", true, 404, "https://a.example.com"},
		{"k", "https://a.example.com", false, 403, "https://a.example.com"},
		{"k", "https://evil.test", true, 200, ""},
	} {
		resp := get(c.key, c.origin, c.signed)
		if resp.StatusCode != c.status || resp.Header.Get("Access-Control-Allow-Origin") != c.allow {
			t.Errorf("GET %s from %s (signed %v) = %d, allow-origin %q; want %d %q",
				c.key, c.origin, c.signed, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), c.status, c.allow)
		}
	}
}

// TestPostObject runs the browser POST upload cases against one server.
func TestPostObject(t *testing.T) {
	t.Parallel()
	ep := startServer(t, nil)
	t.Run("AWSSDK", func(t *testing.T) { casePostObjectSDK(t, ep) })
	t.Run("MinioGo", func(t *testing.T) { casePostObjectMinio(t, ep) })
	t.Run("Session", func(t *testing.T) { casePostObjectSession(t, ep) })
	t.Run("Anonymous", func(t *testing.T) { casePostObjectAnonymous(t, ep) })
	t.Run("SigV2", func(t *testing.T) { casePostObjectV2(t, ep) })
}

// sendForm posts fields, then the file, to u as a browser would.
func sendForm(t *testing.T, ep endpoint, u string, fields map[string]string, file []byte) rawResponse {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "upload.bin")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(file)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, u, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	client := *ep.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return endpoint{Client: &client}.do(t, req)
}

func presignPost(t *testing.T, c *s3.Client, bucket, key string, conditions []any) *s3.PresignedPostRequest {
	t.Helper()
	p, err := s3.NewPresignClient(c).PresignPostObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key},
		func(o *s3.PresignPostOptions) { o.Expires = 5 * time.Minute; o.Conditions = conditions })
	if err != nil {
		t.Fatalf("PresignPostObject: %v", err)
	}
	return p
}

// casePostObjectSDK: aws-sdk-go-v2's PresignPostObject, as root.
func casePostObjectSDK(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	p := presignPost(t, c, bucket, "sdk/obj", []any{[]any{"starts-with", "$Content-Type", "image/"},
		map[string]string{"success_action_status": "201"}, []any{"content-length-range", 1, 100}})
	fields := p.Values
	fields["Content-Type"] = "image/png"
	fields["success_action_status"] = "201"
	resp := sendForm(t, ep, p.URL, fields, []byte("png bytes"))
	if resp.StatusCode != http.StatusCreated || !bytes.Contains(resp.Body, []byte("<Key>sdk/obj</Key>")) {
		t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	if got := getObject(t, c, bucket, "sdk/obj"); string(got) != "png bytes" {
		t.Errorf("stored %q", got)
	}
	head, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("sdk/obj")})
	if err != nil || aws.ToString(head.ContentType) != "image/png" {
		t.Errorf("HeadObject = %v, %v", head, err)
	}

	fields["Content-Type"] = "text/plain"
	expectXMLError(t, sendForm(t, ep, p.URL, fields, []byte("x")), http.StatusForbidden, "AccessDenied")
	fields["Content-Type"] = "image/png"
	expectXMLError(t, sendForm(t, ep, p.URL, fields, bytes.Repeat([]byte("x"), 101)), http.StatusBadRequest, "EntityTooLarge")
	expectNoObject(t, c, bucket, "sdk/other")
	fields["key"] = "sdk/other"
	expectXMLError(t, sendForm(t, ep, p.URL, fields, []byte("x")), http.StatusForbidden, "AccessDenied")
	fields["key"] = "sdk/obj"
	fields["X-Amz-Signature"] = "0000000000000000000000000000000000000000000000000000000000000000"
	expectXMLError(t, sendForm(t, ep, p.URL, fields, []byte("x")), http.StatusForbidden, "SignatureDoesNotMatch")
}

// casePostObjectMinio: minio-go's PresignedPostPolicy, with a redirect.
func casePostObjectMinio(t *testing.T, ep endpoint) {
	ctx := context.Background()
	mc := minioClient(t, ep, nil)
	bucket := newBucket(t, ep)
	pp := minio.NewPostPolicy()
	_ = pp.SetBucket(bucket)
	_ = pp.SetKey("mc/obj")
	_ = pp.SetExpires(time.Now().Add(time.Hour))
	_ = pp.SetContentLengthRange(1, 1024)
	_ = pp.SetUserMetadata("color", "blue")
	_ = pp.SetSuccessActionRedirect("https://app.example.com/done")
	u, fields, err := mc.PresignedPostPolicy(ctx, pp)
	if err != nil {
		t.Fatalf("PresignedPostPolicy: %v", err)
	}
	resp := sendForm(t, ep, u.String(), fields, []byte("hello"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Host != "app.example.com" ||
		loc.Query().Get("key") != "mc/obj" || loc.Query().Get("bucket") != bucket || loc.Query().Get("etag") != `"`+md5Hex([]byte("hello"))+`"` {
		t.Fatalf("POST = %d Location %q %s", resp.StatusCode, resp.Header.Get("Location"), resp.Body)
	}
	info, err := mc.StatObject(ctx, bucket, "mc/obj", minio.StatObjectOptions{})
	if err != nil || info.UserMetadata["Color"] != "blue" {
		t.Errorf("StatObject = %+v, %v", info.UserMetadata, err)
	}
	expectXMLError(t, sendForm(t, ep, u.String(), fields, nil), http.StatusBadRequest, "EntityTooSmall")
}

// casePostObjectSession: a form signed with temporary credentials obeys
// their session policy, as any request does.
func casePostObjectSession(t *testing.T, ep endpoint) {
	ctx := context.Background()
	bucket := newBucket(t, ep)
	// Forms only: s3:authtype is POST for them.
	narrow := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::%s/allowed/*",
		"Condition":{"StringEquals":{"s3:authtype":"POST"}}}]}`, bucket)
	out, err := stsClient(ep).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("post"), Policy: aws.String(narrow)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	cr := out.Credentials
	s := s3WithCreds(ep, credentials.NewStaticCredentialsProvider(*cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken))
	p := presignPost(t, s, bucket, "allowed/a", nil)
	if resp := sendForm(t, ep, p.URL, p.Values, []byte("a")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST under allowed/ = %d %s", resp.StatusCode, resp.Body)
	}
	_, err = s.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("allowed/put"), Body: strings.NewReader("x")})
	expectError(t, err, "AccessDenied", http.StatusForbidden)
	p = presignPost(t, s, bucket, "other/a", nil)
	expectXMLError(t, sendForm(t, ep, p.URL, p.Values, []byte("a")), http.StatusForbidden, "AccessDenied")
	expectNoObject(t, sdkClient(ep), bucket, "other/a")
	p = presignPost(t, s, bucket, "allowed/b", nil)
	p.Values["x-amz-security-token"] = "tampered"
	if resp := sendForm(t, ep, p.URL, p.Values, []byte("b")); resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST with a tampered token = %d %s", resp.StatusCode, resp.Body)
	}
}

// casePostObjectAnonymous: an unsigned form is anonymous; a bucket policy
// allowing public PutObject lets it in.
func casePostObjectAnonymous(t *testing.T, ep endpoint) {
	ctx := context.Background()
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	u := ep.URL + "/" + bucket
	fields := map[string]string{"key": "public/${filename}", "Content-Type": "text/plain"}
	expectXMLError(t, sendForm(t, ep, u, fields, []byte("anon")), http.StatusForbidden, "AccessDenied")
	bp := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::%s/public/*"}]}`, bucket)
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: &bp}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	if resp := sendForm(t, ep, u, fields, []byte("anon")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("anonymous POST = %d %s", resp.StatusCode, resp.Body)
	}
	if got := getObject(t, c, bucket, "public/upload.bin"); string(got) != "anon" {
		t.Errorf("stored %q", got)
	}
	fields["key"] = "private/x"
	expectXMLError(t, sendForm(t, ep, u, fields, []byte("anon")), http.StatusForbidden, "AccessDenied")
	// The form's acl field is the s3:x-amz-acl of the bucket policy.
	bp = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::%s/acl/*",
		"Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`, bucket)
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: &bucket, Policy: &bp}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	fields = map[string]string{"key": "acl/a"}
	expectXMLError(t, sendForm(t, ep, u, fields, []byte("anon")), http.StatusForbidden, "AccessDenied")
	fields["acl"] = "bucket-owner-full-control"
	if resp := sendForm(t, ep, u, fields, []byte("anon")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("anonymous POST with the acl the policy asks for = %d %s", resp.StatusCode, resp.Body)
	}
}

// TestPostObjectVirtualHost: a form posted to "/" of a virtual-host bucket
// is an upload, not an STS call.
func TestPostObjectVirtualHost(t *testing.T) {
	t.Parallel()
	ep := startServer(t, func(c *config.Config) { c.Domains = []string{"sesame.test"} })
	u, err := url.Parse(ep.URL)
	if err != nil {
		t.Fatal(err)
	}
	vhost := endpoint{URL: "http://sesame.test:" + u.Port(), AccessKey: ep.AccessKey, SecretKey: ep.SecretKey, Region: ep.Region,
		Client: &http.Client{Transport: newHostRecorder(u.Host)}}
	vc := sdkClient(vhost, func(o *s3.Options) { o.UsePathStyle = false; o.HTTPClient = vhost.Client })
	bucket := newBucket(t, ep)
	p := presignPost(t, vc, bucket, "vhost/obj", nil)
	if !strings.HasPrefix(p.URL, "http://"+bucket+".sesame.test:") {
		t.Fatalf("presigned URL %q is not virtual-host style", p.URL)
	}
	if resp := sendForm(t, vhost, p.URL, p.Values, []byte("v")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	if got := getObject(t, sdkClient(ep), bucket, "vhost/obj"); string(got) != "v" {
		t.Errorf("stored %q", got)
	}
}

// signFormV2 returns the fields of a browser form signed with Signature
// Version 2 as S3's documentation builds it: the base64 policy and
// base64(HMAC-SHA1(secret, policy)), with a session token when given (the
// policy names it, as every field but AWSAccessKeyId and signature).
func signFormV2(accessKey, secret, token string, conditions []any) map[string]string {
	if token != "" {
		conditions = append(conditions, map[string]string{"x-amz-security-token": token})
	}
	doc, _ := json.Marshal(map[string]any{"expiration": time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z"), "conditions": conditions})
	policy := base64.StdEncoding.EncodeToString(doc)
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(policy))
	f := map[string]string{"AWSAccessKeyId": accessKey, "policy": policy, "signature": base64.StdEncoding.EncodeToString(m.Sum(nil))}
	if token != "" {
		f["x-amz-security-token"] = token
	}
	return f
}

// casePostObjectV2: SigV2 forms, as root and with temporary credentials
// whose session policy applies; header SigV2 stays refused.
func casePostObjectV2(t *testing.T, ep endpoint) {
	ctx := context.Background()
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	u := ep.URL + "/" + bucket
	conds := []any{map[string]string{"bucket": bucket}, []any{"starts-with", "$key", "v2/"}, map[string]string{"acl": "private"},
		[]any{"starts-with", "$Content-Type", "text/"}, []any{"content-length-range", 0, 100}}
	form := func(sig map[string]string, key string) map[string]string {
		f := map[string]string{"key": key, "acl": "private", "Content-Type": "text/plain"}
		for k, v := range sig {
			f[k] = v
		}
		return f
	}
	sig := signFormV2(ep.AccessKey, ep.SecretKey, "", conds)
	if resp := sendForm(t, ep, u, form(sig, "v2/root"), []byte("v2 root")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("SigV2 POST = %d %s", resp.StatusCode, resp.Body)
	}
	if got := getObject(t, c, bucket, "v2/root"); string(got) != "v2 root" {
		t.Errorf("stored %q", got)
	}
	expectXMLError(t, sendForm(t, ep, u, form(signFormV2(ep.AccessKey, ep.SecretKey+"x", "", conds), "v2/bad"), []byte("x")), http.StatusForbidden, "SignatureDoesNotMatch")
	expectXMLError(t, sendForm(t, ep, u, form(signFormV2("NOSUCHKEY", ep.SecretKey, "", conds), "v2/bad"), []byte("x")), http.StatusForbidden, "InvalidAccessKeyId")
	f := form(sig, "v2/bad")
	delete(f, "signature")
	expectXMLError(t, sendForm(t, ep, u, f, []byte("x")), http.StatusBadRequest, "InvalidArgument")
	expectXMLError(t, sendForm(t, ep, u, form(sig, "elsewhere"), []byte("x")), http.StatusForbidden, "AccessDenied")
	expectNoObject(t, c, bucket, "v2/bad")

	// Temporary credentials: the session policy allows SigV2 forms only
	// (s3:signatureversion AWS) and only under v2/allowed/.
	narrow := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::%s/v2/allowed/*",
		"Condition":{"StringEquals":{"s3:signatureversion":"AWS","s3:authtype":"POST"}}}]}`, bucket)
	out, err := stsClient(ep).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(anyRoleARN), RoleSessionName: aws.String("postv2"), Policy: aws.String(narrow)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	cr := out.Credentials
	ssig := signFormV2(*cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken, conds)
	if resp := sendForm(t, ep, u, form(ssig, "v2/allowed/a"), []byte("a")); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("session SigV2 POST = %d %s", resp.StatusCode, resp.Body)
	}
	expectXMLError(t, sendForm(t, ep, u, form(ssig, "v2/other"), []byte("a")), http.StatusForbidden, "AccessDenied")
	expectNoObject(t, c, bucket, "v2/other")
	// Without its token the key is unknown; the same session's SigV4 form
	// is not s3:signatureversion AWS.
	nt := signFormV2(*cr.AccessKeyId, *cr.SecretAccessKey, "", conds)
	expectXMLError(t, sendForm(t, ep, u, form(nt, "v2/allowed/b"), []byte("b")), http.StatusForbidden, "InvalidAccessKeyId")
	s := s3WithCreds(ep, credentials.NewStaticCredentialsProvider(*cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken))
	p := presignPost(t, s, bucket, "v2/allowed/v4", nil)
	expectXMLError(t, sendForm(t, ep, p.URL, p.Values, []byte("v4")), http.StatusForbidden, "AccessDenied")
	expectNoObject(t, c, bucket, "v2/allowed/v4")

	// SigV2 in a header or a query string stays refused.
	req, err := http.NewRequest(http.MethodGet, u+"/v2/root", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "AWS "+ep.AccessKey+":"+sig["signature"])
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	expectXMLError(t, ep.do(t, req), http.StatusBadRequest, "InvalidArgument")
	q := u + "/v2/root?AWSAccessKeyId=" + ep.AccessKey + "&Expires=" + fmt.Sprint(time.Now().Add(time.Hour).Unix()) + "&Signature=" + strings.ReplaceAll(sig["signature"], "+", "%2B")
	if req, err = http.NewRequest(http.MethodGet, q, nil); err != nil {
		t.Fatal(err)
	}
	expectXMLError(t, ep.do(t, req), http.StatusBadRequest, "InvalidArgument")
}
