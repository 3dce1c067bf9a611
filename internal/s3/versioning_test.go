package s3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/object/posix"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// plainBackend hides every optional interface of a backend.
type plainBackend struct{ object.Backend }

// versioningAPI serves an API over backend (a posix one when nil) with a
// bucket "bkt", and returns a function sending root-signed requests.
func versioningAPI(t *testing.T, wrap func(*posix.Backend) object.Backend) func(method, target string, header http.Header, body string) *httptest.ResponseRecorder {
	t.Helper()
	ctx := context.Background()
	pb, err := posix.Open(t.TempDir(), posix.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pb.Close() })
	var backend object.Backend = pb
	if wrap != nil {
		backend = wrap(pb)
	}
	st := memory.New(memory.Options{})
	svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	api := New(Options{Backend: backend, Auth: auth.New(sigv4.NewVerifier(sigv4.Options{}), auth.IAM(svc)), IAM: svc})
	if err := pb.CreateBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	return func(method, target string, header http.Header, body string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(method, "http://s3.local"+target, strings.NewReader(body))
		for k, v := range header {
			r.Header[k] = v
		}
		sum := sha256.Sum256([]byte(body))
		hash := hex.EncodeToString(sum[:])
		r.Header.Set("X-Amz-Content-Sha256", hash)
		creds := aws.Credentials{AccessKeyID: "admin", SecretAccessKey: "adminsecret"}
		if err := v4.NewSigner().SignHTTP(ctx, creds, r, hash, "s3", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		return rec
	}
}

// wantCode checks the status and the S3 error code of an answer.
func wantCode(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if rec.Code != status || code != "" && !strings.Contains(rec.Body.String(), "<Code>"+code+"</Code>") {
		t.Fatalf("answer %d %s, want %d %s", rec.Code, rec.Body.String(), status, code)
	}
}

func enabledDoc(status string) string {
	return `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>` + status + `</Status></VersioningConfiguration>`
}

func TestAPI_PutBucketVersioning(t *testing.T) {
	do := versioningAPI(t, nil)
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{enabledDoc("enabled"), 400, "MalformedXML"},
		{"<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>", 403, "AccessDenied"},
		{"not xml", 400, "MalformedXML"},
		{enabledDoc("Suspended"), 200, ""},
		{enabledDoc("Enabled"), 200, ""},
	} {
		wantCode(t, do("PUT", "/bkt?versioning", nil, tc.body), tc.status, tc.code)
	}
	rec := do("GET", "/bkt?versioning", nil, "")
	if !strings.Contains(rec.Body.String(), "<Status>Enabled</Status>") {
		t.Fatalf("GetBucketVersioning = %s", rec.Body.String())
	}
	wantCode(t, do("PUT", "/missing-bucket?versioning", nil, enabledDoc("Enabled")), 404, "NoSuchBucket")
}

// TestAPI_DeleteMarkers checks the answers around a delete marker and the
// order of ListObjectVersions entries.
func TestAPI_DeleteMarkers(t *testing.T) {
	do := versioningAPI(t, nil)
	wantCode(t, do("PUT", "/bkt?versioning", nil, enabledDoc("Enabled")), 200, "")
	put := do("PUT", "/bkt/k", nil, "one")
	v1 := put.Header().Get("X-Amz-Version-Id")
	if put.Code != 200 || v1 == "" {
		t.Fatalf("PutObject = %d, version %q", put.Code, v1)
	}
	del := do("DELETE", "/bkt/k", nil, "")
	marker := del.Header().Get("X-Amz-Version-Id")
	if del.Code != 204 || del.Header().Get("X-Amz-Delete-Marker") != "true" || marker == "" || marker == v1 {
		t.Fatalf("DeleteObject = %d %v", del.Code, del.Header())
	}
	get := do("GET", "/bkt/k", nil, "")
	wantCode(t, get, 404, "NoSuchKey")
	if get.Header().Get("X-Amz-Delete-Marker") != "true" || get.Header().Get("X-Amz-Version-Id") != marker {
		t.Fatalf("GET of a deleted key: headers %v", get.Header())
	}
	wantCode(t, do("GET", "/bkt/k?versionId="+marker, nil, ""), 405, "MethodNotAllowed")
	wantCode(t, do("HEAD", "/bkt/k?versionId="+marker, nil, ""), 405, "")
	wantCode(t, do("GET", "/bkt/k?versionId=../../etc", nil, ""), 400, "InvalidArgument")
	wantCode(t, do("GET", "/bkt/k?versionId="+strings.Repeat("a", 32), nil, ""), 404, "NoSuchVersion")
	if rec := do("GET", "/bkt/k?versionId="+v1, nil, ""); rec.Code != 200 || rec.Body.String() != "one" {
		t.Fatalf("GET of version 1 = %d %q", rec.Code, rec.Body.String())
	}
	list := do("GET", "/bkt?versions", nil, "").Body.String()
	dm, v := strings.Index(list, "<DeleteMarker><Key>k</Key><VersionId>"+marker+"</VersionId><IsLatest>true</IsLatest>"),
		strings.Index(list, "<Version><Key>k</Key><VersionId>"+v1+"</VersionId><IsLatest>false</IsLatest>")
	if dm < 0 || v < dm {
		t.Fatalf("ListObjectVersions = %s", list)
	}
	wantCode(t, do("GET", "/bkt?versions&version-id-marker=x", nil, ""), 400, "InvalidArgument")
}

// TestAPI_VersioningNotImplemented checks that a backend without versions
// answers 501 rather than ignoring a version.
func TestAPI_VersioningNotImplemented(t *testing.T) {
	do := versioningAPI(t, func(b *posix.Backend) object.Backend { return plainBackend{b} })
	wantCode(t, do("PUT", "/bkt/k", nil, "data"), 200, "")
	wantCode(t, do("PUT", "/bkt?versioning", nil, enabledDoc("Enabled")), 501, "NotImplemented")
	wantCode(t, do("GET", "/bkt?versions", nil, ""), 501, "NotImplemented")
	wantCode(t, do("GET", "/bkt/k?versionId="+strings.Repeat("a", 32), nil, ""), 501, "NotImplemented")
	wantCode(t, do("DELETE", "/bkt/k?versionId="+strings.Repeat("a", 32), nil, ""), 501, "NotImplemented")
	wantCode(t, do("GET", "/bkt/k?versionId=null", nil, ""), 200, "")
	// Conditions are evaluated only to refuse.
	wantCode(t, do("PUT", "/bkt/k", http.Header{"If-None-Match": {"*"}}, "x"), 412, "PreconditionFailed")
	wantCode(t, do("PUT", "/bkt/new", http.Header{"If-None-Match": {"*"}}, "x"), 501, "NotImplemented")
	wantCode(t, do("PUT", "/bkt?object-lock", nil, "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>"), 501, "NotImplemented")
	wantCode(t, do("PUT", "/cbk", http.Header{"X-Amz-Bucket-Object-Lock-Enabled": {"true"}}, ""), 501, "NotImplemented")
	if rec := do("HEAD", "/cbk", nil, ""); rec.Code != 404 {
		t.Fatalf("bucket created despite the refusal: HEAD %d", rec.Code)
	}
}

// TestAPI_ObjectLockValidation checks the configuration and retention
// documents' validation.
func TestAPI_ObjectLockValidation(t *testing.T) {
	do := versioningAPI(t, nil)
	wantCode(t, do("PUT", "/lkd", http.Header{"X-Amz-Bucket-Object-Lock-Enabled": {"true"}}, ""), 200, "")
	cfg := func(rule string) string {
		return "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>" + rule + "</ObjectLockConfiguration>"
	}
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{cfg("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule>"), 400, "MalformedXML"},
		{cfg("<Rule><DefaultRetention><Mode>governance</Mode><Days>1</Days></DefaultRetention></Rule>"), 400, "MalformedXML"},
		{cfg("<Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>0</Days></DefaultRetention></Rule>"), 400, "InvalidRetentionPeriod"},
		{"<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled></ObjectLockConfiguration>", 400, "MalformedXML"},
		{cfg("<Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>1</Years></DefaultRetention></Rule>"), 200, ""},
	} {
		wantCode(t, do("PUT", "/lkd?object-lock", nil, tc.body), tc.status, tc.code)
	}
	wantCode(t, do("PUT", "/lkd?versioning", nil, enabledDoc("Suspended")), 409, "InvalidBucketState")
	put := do("PUT", "/lkd/k", nil, "x")
	if put.Header().Get("X-Amz-Version-Id") == "" {
		t.Fatal("no version ID on an Object Lock bucket")
	}
	head := do("HEAD", "/lkd/k", nil, "")
	if head.Header().Get("X-Amz-Object-Lock-Mode") != "COMPLIANCE" {
		t.Fatalf("default retention not applied: %v", head.Header())
	}
	id := put.Header().Get("X-Amz-Version-Id")
	wantCode(t, do("DELETE", "/lkd/k?versionId="+id, http.Header{"X-Amz-Bypass-Governance-Retention": {"true"}}, ""), 403, "AccessDenied")
	wantCode(t, do("PUT", "/lkd/k?retention", nil, "<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2099-01-01T00:00:00Z</RetainUntilDate></Retention>"), 403, "AccessDenied")
	wantCode(t, do("PUT", "/lkd/k?retention", nil, "<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2199-01-01T00:00:00Z</RetainUntilDate></Retention>"), 200, "")
	wantCode(t, do("PUT", "/lkd/k?legal-hold", nil, "<LegalHold><Status>on</Status></LegalHold>"), 400, "MalformedXML")
	wantCode(t, do("GET", "/bkt/k?retention", nil, ""), 400, "InvalidRequest")
	wantCode(t, do("GET", "/bkt?object-lock", nil, ""), 404, "ObjectLockConfigurationNotFoundError")
	wantCode(t, do("PUT", "/bkt/k", http.Header{"X-Amz-Object-Lock-Legal-Hold": {"ON"}}, "x"), 400, "InvalidRequest")
	wantCode(t, do("PUT", "/lkd/k2", http.Header{"X-Amz-Object-Lock-Mode": {"GOVERNANCE"}}, "x"), 400, "InvalidArgument")
}
