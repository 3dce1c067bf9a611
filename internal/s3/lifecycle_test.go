package s3

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func lifecycleDoc(rules ...string) []byte {
	return []byte("<LifecycleConfiguration>" + strings.Join(rules, "") + "</LifecycleConfiguration>")
}

func TestLifecycle_Validation(t *testing.T) {
	fx := newSSEFixture(t, nil)
	long := strings.Repeat("x", 256)
	for name, tc := range map[string]struct {
		doc    []byte
		status int
		code   string
	}{
		"days":                {lifecycleDoc(`<Rule><ID>a</ID><Prefix>p/</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>`), 200, ""},
		"empty filter":        {lifecycleDoc(`<Rule><ID>a</ID><Filter></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>`), 200, ""},
		"and filter":          {lifecycleDoc(`<Rule><Filter><And><Prefix>p</Prefix><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`), 200, ""},
		"date":                {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Expiration><Date>2030-01-01T00:00:00Z</Date></Expiration></Rule>`), 200, ""},
		"date not 0h":         {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration></Rule>`), 400, "InvalidArgument"},
		"bad date":            {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Expiration><Date>20200101</Date></Expiration></Rule>`), 400, "InvalidArgument"},
		"days 0":              {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>`), 400, "InvalidArgument"},
		"id too long":         {lifecycleDoc(`<Rule><ID>` + long + `</ID><Prefix/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`), 400, "InvalidArgument"},
		"same id":             {lifecycleDoc(`<Rule><ID>a</ID><Prefix>x</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`, `<Rule><ID>a</ID><Prefix>y</Prefix><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`), 400, "InvalidArgument"},
		"bad status":          {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Status>enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`), 400, "MalformedXML"},
		"no rules":            {lifecycleDoc(), 400, "MalformedXML"},
		"no action":           {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Status>Enabled</Status></Rule>`), 400, "InvalidRequest"},
		"transition":          {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Transition><Days>1</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>`), 501, "NotImplemented"},
		"transition bad date": {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><Transition><Date>20220927</Date><StorageClass>GLACIER</StorageClass></Transition></Rule>`), 400, "InvalidArgument"},
		"abort":               {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`), 200, ""},
		"abort and tag":       {lifecycleDoc(`<Rule><ID>a</ID><Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`), 400, "InvalidArgument"},
		"noncurrent":          {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration></Rule>`), 200, ""},
		"prefix+filter":       {lifecycleDoc(`<Rule><ID>a</ID><Prefix/><Filter><Prefix/></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`), 400, "MalformedXML"},
	} {
		t.Run(name, func(t *testing.T) {
			want(t, fx.do(t, http.MethodPut, "/bkt", "lifecycle=", nil, tc.doc), tc.status, tc.code)
		})
	}
}

func TestLifecycle_GetDeleteAndHeader(t *testing.T) {
	fx := newSSEFixture(t, nil)
	want(t, fx.do(t, http.MethodGet, "/bkt", "lifecycle=", nil, nil), 404, "NoSuchLifecycleConfiguration")
	doc := lifecycleDoc(`<Rule><ID>r1</ID><Prefix>p/</Prefix><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>`,
		`<Rule><Prefix>q/</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration></Rule>`)
	want(t, fx.do(t, http.MethodPut, "/bkt", "lifecycle=", nil, doc), 200, "")
	rec := fx.do(t, http.MethodGet, "/bkt", "lifecycle=", nil, nil)
	want(t, rec, 200, "")
	body := rec.Body.String()
	if !strings.Contains(body, "<ID>r1</ID>") || strings.Count(body, "<ID>") != 2 || !strings.Contains(body, "<Prefix>p/</Prefix>") {
		t.Errorf("GetBucketLifecycleConfiguration: %s", body)
	}
	rec = fx.do(t, http.MethodPut, "/bkt/p/x", "", nil, []byte("x"))
	want(t, rec, 200, "")
	exp := rec.Header().Get("X-Amz-Expiration")
	wantDate := dayAfter(time.Now(), 2).Format(http.TimeFormat)
	if exp != `expiry-date="`+wantDate+`", rule-id="r1"` {
		t.Errorf("x-amz-expiration %q, want expiry %s rule r1", exp, wantDate)
	}
	if h := fx.do(t, http.MethodHead, "/bkt/p/x", "", nil, nil).Header().Get("X-Amz-Expiration"); h != exp {
		t.Errorf("HEAD x-amz-expiration %q", h)
	}
	if h := fx.do(t, http.MethodPut, "/bkt/other", "", nil, []byte("x")).Header().Get("X-Amz-Expiration"); h != "" {
		t.Errorf("unmatched key has x-amz-expiration %q", h)
	}
	want(t, fx.do(t, http.MethodDelete, "/bkt", "lifecycle=", nil, nil), 204, "")
	want(t, fx.do(t, http.MethodGet, "/bkt", "lifecycle=", nil, nil), 404, "NoSuchLifecycleConfiguration")
}

func TestLifecycle_Run(t *testing.T) {
	fx := newSSEFixture(t, func(o *Options) { o.LifecycleDay = time.Second })
	ctx := context.Background()
	for _, k := range []string{"old/a", "old/b", "keep/a"} {
		want(t, fx.do(t, http.MethodPut, "/bkt/"+k, "", nil, []byte("x")), 200, "")
	}
	want(t, fx.do(t, http.MethodPost, "/bkt/old/mpu", "uploads=", nil, nil), 200, "")
	want(t, fx.do(t, http.MethodPost, "/bkt/keep/mpu", "uploads=", nil, nil), 200, "")
	doc := lifecycleDoc(`<Rule><ID>e</ID><Filter><Prefix>old/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`,
		`<Rule><ID>off</ID><Prefix>keep/</Prefix><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
	want(t, fx.do(t, http.MethodPut, "/bkt", "lifecycle=", nil, doc), 200, "")
	// Not yet due.
	if err := fx.api.RunLifecycle(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	want(t, fx.do(t, http.MethodHead, "/bkt/old/a", "", nil, nil), 200, "")
	// Due: two lifecycle days (seconds here) later. Two passes, as two
	// servers sharing the data would run them: the second finds nothing.
	later := time.Now().Add(3 * time.Second)
	for range 2 {
		if err := fx.api.RunLifecycle(ctx, later); err != nil {
			t.Fatal(err)
		}
	}
	want(t, fx.do(t, http.MethodHead, "/bkt/old/a", "", nil, nil), 404, "NoSuchKey")
	want(t, fx.do(t, http.MethodHead, "/bkt/old/b", "", nil, nil), 404, "NoSuchKey")
	want(t, fx.do(t, http.MethodHead, "/bkt/keep/a", "", nil, nil), 200, "")
	rec := fx.do(t, http.MethodGet, "/bkt", "uploads=", nil, nil)
	if body := rec.Body.String(); strings.Contains(body, "<Key>old/mpu</Key>") || !strings.Contains(body, "<Key>keep/mpu</Key>") {
		t.Errorf("uploads after the pass: %s", body)
	}
}

// TestLifecycle_RunVersionedAndEncrypted checks that expiration deletes as
// DeleteObject does: on a versioned bucket a delete marker hides the
// object and its version stays; an SSE-S3 object (whose listed ETag is its
// plaintext MD5, not the stored one) expires too.
func TestLifecycle_RunVersionedAndEncrypted(t *testing.T) {
	fx := newSSEFixture(t, func(o *Options) { o.LifecycleDay = time.Second })
	ctx := context.Background()
	want(t, fx.do(t, http.MethodPut, "/bkt", "versioning=", nil, []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)), 200, "")
	want(t, fx.do(t, http.MethodPut, "/bkt/old/v", "", nil, []byte("versioned")), 200, "")
	want(t, fx.do(t, http.MethodPut, "/bkt/old/enc", "", map[string]string{"X-Amz-Server-Side-Encryption": "AES256"}, []byte("secret")), 200, "")
	doc := lifecycleDoc(`<Rule><ID>e</ID><Filter><Prefix>old/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`)
	want(t, fx.do(t, http.MethodPut, "/bkt", "lifecycle=", nil, doc), 200, "")
	if err := fx.api.RunLifecycle(ctx, time.Now().Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"old/v", "old/enc"} {
		rec := fx.do(t, http.MethodHead, "/bkt/"+k, "", nil, nil)
		if rec.Code != 404 || rec.Header().Get("X-Amz-Delete-Marker") != "true" {
			t.Errorf("HEAD %s after expiration = %d, delete marker %q; want 404 behind a delete marker", k, rec.Code, rec.Header().Get("X-Amz-Delete-Marker"))
		}
	}
	rec := fx.do(t, http.MethodGet, "/bkt", "versions=&prefix=old/v", nil, nil)
	if body := rec.Body.String(); strings.Count(body, "<Version>") != 1 || strings.Count(body, "<DeleteMarker>") != 1 {
		t.Errorf("versions of old/v after expiration (want the version and a marker):\n%s", body)
	}
}
