package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestObjects(t *testing.T) {
	ep := testEndpoint(t)
	t.Run("PutGetRoundTrip", func(t *testing.T) { casePutGetRoundTrip(t, ep) })
	t.Run("HeadObject", func(t *testing.T) { caseHeadObject(t, ep) })
	t.Run("Range", func(t *testing.T) { caseRange(t, ep) })
	t.Run("Conditional", func(t *testing.T) { caseConditional(t, ep) })
	t.Run("ResponseOverrides", func(t *testing.T) { caseResponseOverrides(t, ep) })
	t.Run("ContentMD5", func(t *testing.T) { caseContentMD5(t, ep) })
	t.Run("DeleteObject", func(t *testing.T) { caseDeleteObject(t, ep) })
	t.Run("DeleteObjects", func(t *testing.T) { caseDeleteObjects(t, ep) })
	t.Run("CopyObject", func(t *testing.T) { caseCopyObject(t, ep) })
}

func casePutGetRoundTrip(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	data := randomBytes(100 << 10)

	put := putObject(t, c, bucket, "dir/photo.jpg", data, func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("image/jpeg")
		in.CacheControl = aws.String("max-age=60")
		in.ContentDisposition = aws.String(`inline; filename="photo.jpg"`)
		in.Metadata = map[string]string{"camera": "Pentax K-1", "Shot-By": "ana"}
	})
	wantETag := `"` + md5Hex(data) + `"`
	if got := aws.ToString(put.ETag); got != wantETag {
		t.Errorf("PutObject ETag = %s, want %s (quoted MD5 hex)", got, wantETag)
	}

	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("dir/photo.jpg")})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("GetObject returned %d bytes that differ from the %d stored", len(got), len(data))
	}
	if aws.ToString(out.ETag) != wantETag {
		t.Errorf("GetObject ETag = %s, want %s", aws.ToString(out.ETag), wantETag)
	}
	if aws.ToInt64(out.ContentLength) != int64(len(data)) {
		t.Errorf("GetObject ContentLength = %d, want %d", aws.ToInt64(out.ContentLength), len(data))
	}
	if aws.ToString(out.ContentType) != "image/jpeg" {
		t.Errorf("GetObject ContentType = %q, want image/jpeg", aws.ToString(out.ContentType))
	}
	if aws.ToString(out.CacheControl) != "max-age=60" {
		t.Errorf("GetObject CacheControl = %q, want max-age=60", aws.ToString(out.CacheControl))
	}
	if aws.ToString(out.ContentDisposition) != `inline; filename="photo.jpg"` {
		t.Errorf("GetObject ContentDisposition = %q", aws.ToString(out.ContentDisposition))
	}
	wantMeta := map[string]string{"camera": "Pentax K-1", "shot-by": "ana"}
	if !equalMetadata(out.Metadata, wantMeta) {
		t.Errorf("GetObject Metadata = %v, want %v", out.Metadata, wantMeta)
	}
	if out.LastModified == nil || time.Since(*out.LastModified) > time.Minute {
		t.Errorf("GetObject LastModified = %v, want about now", out.LastModified)
	}

	// Overwriting replaces bytes and metadata together.
	putObject(t, c, bucket, "dir/photo.jpg", []byte("small"), func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("text/plain")
	})
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("dir/photo.jpg")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if len(head.Metadata) != 0 || aws.ToString(head.ContentType) != "text/plain" || aws.ToInt64(head.ContentLength) != 5 {
		t.Errorf("after overwrite: Metadata %v, ContentType %q, ContentLength %d; want none, text/plain, 5",
			head.Metadata, aws.ToString(head.ContentType), aws.ToInt64(head.ContentLength))
	}

	// An empty object and a key with spaces, unicode and reserved characters.
	key := "odd keys/ünïcødé ☃/a+b&c=d;e%f?g#h"
	putObject(t, c, bucket, key, nil)
	if got := getObject(t, c, bucket, key); len(got) != 0 {
		t.Errorf("empty object read back as %d bytes", len(got))
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("dir/missing")})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
	// User metadata is limited to 2 KiB.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("dir/meta-heavy"), Body: strings.NewReader("x"),
		Metadata: map[string]string{"a": strings.Repeat("m", 1500), "b": strings.Repeat("n", 1500)},
	})
	expectError(t, err, "MetadataTooLarge", http.StatusBadRequest)
	expectNoObject(t, c, bucket, "dir/meta-heavy")
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(uniqueBucket()), Key: aws.String("k"), Body: strings.NewReader("x")})
	expectError(t, err, "NoSuchBucket", http.StatusNotFound)
}

// equalMetadata compares user metadata case-insensitively by name, as HTTP does.
func equalMetadata(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range got {
		if want[strings.ToLower(k)] != v {
			return false
		}
	}
	return true
}

func caseHeadObject(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	data := []byte("head object body")
	putObject(t, c, bucket, "h", data, func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("text/x-head")
		in.Metadata = map[string]string{"color": "blue"}
	})
	out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("h")})
	if err != nil {
		t.Fatalf("HeadObject: %v", err)
	}
	if aws.ToInt64(out.ContentLength) != int64(len(data)) {
		t.Errorf("ContentLength = %d, want %d", aws.ToInt64(out.ContentLength), len(data))
	}
	if aws.ToString(out.ETag) != `"`+md5Hex(data)+`"` {
		t.Errorf("ETag = %s, want quoted MD5", aws.ToString(out.ETag))
	}
	if aws.ToString(out.ContentType) != "text/x-head" {
		t.Errorf("ContentType = %q", aws.ToString(out.ContentType))
	}
	if !equalMetadata(out.Metadata, map[string]string{"color": "blue"}) {
		t.Errorf("Metadata = %v", out.Metadata)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("missing")})
	if status := httpStatus(err); status != http.StatusNotFound {
		t.Errorf("HeadObject(missing): status %d (err %v), want 404", status, err)
	}
	// A HEAD error has no body but says which error it is.
	resp := ep.do(t, ep.signed(t, http.MethodHead, "/"+bucket+"/missing", "", nil))
	if resp.StatusCode != http.StatusNotFound || len(resp.Body) != 0 || resp.Header.Get("X-Amz-Request-Id") == "" {
		t.Errorf("raw HEAD of missing key: status %d, %d body bytes, request id %q; want 404, no body, an id",
			resp.StatusCode, len(resp.Body), resp.Header.Get("X-Amz-Request-Id"))
	}
}

func caseRange(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	data := []byte("0123456789abcdefghij") // 20 bytes
	putObject(t, c, bucket, "r", data)

	for _, tc := range []struct {
		rng          string
		want         string
		contentRange string
	}{
		{"bytes=0-4", "01234", "bytes 0-4/20"},
		{"bytes=5-9", "56789", "bytes 5-9/20"},
		{"bytes=15-", "fghij", "bytes 15-19/20"},
		{"bytes=-3", "hij", "bytes 17-19/20"},
		{"bytes=-50", string(data), "bytes 0-19/20"},
		{"bytes=18-100", "ij", "bytes 18-19/20"},
	} {
		t.Run(tc.rng, func(t *testing.T) {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("r"), Range: aws.String(tc.rng)})
			if err != nil {
				t.Fatalf("GetObject: %v", err)
			}
			got, err := io.ReadAll(out.Body)
			out.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("body = %q, want %q", got, tc.want)
			}
			if aws.ToString(out.ContentRange) != tc.contentRange {
				t.Errorf("Content-Range = %q, want %q", aws.ToString(out.ContentRange), tc.contentRange)
			}
			if aws.ToInt64(out.ContentLength) != int64(len(tc.want)) {
				t.Errorf("ContentLength = %d, want %d", aws.ToInt64(out.ContentLength), len(tc.want))
			}
		})
	}
	t.Run("Unsatisfiable", func(t *testing.T) {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("r"), Range: aws.String("bytes=20-")})
		expectError(t, err, "InvalidRange", http.StatusRequestedRangeNotSatisfiable)
		req := ep.signed(t, http.MethodGet, "/"+bucket+"/r", "", nil)
		req.Header.Set("Range", "bytes=100-200") // unsigned, which S3 allows
		resp := ep.do(t, req)
		expectXMLError(t, resp, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
		if got := resp.Header.Get("Content-Range"); got != "bytes */20" {
			t.Errorf("Content-Range = %q, want %q", got, "bytes */20")
		}
	})
}

func caseConditional(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	put := putObject(t, c, bucket, "cond", []byte("conditional"))
	etag := aws.ToString(put.ETag)
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("cond")})
	if err != nil {
		t.Fatal(err)
	}
	modified := *head.LastModified
	past, future := modified.Add(-time.Hour), modified.Add(time.Hour)

	for _, tc := range []struct {
		name   string
		edit   func(*s3.GetObjectInput)
		status int    // 0 for success
		code   string // expected error code, "" for 304 (which has no body)
	}{
		{"IfMatch/match", func(in *s3.GetObjectInput) { in.IfMatch = aws.String(etag) }, 0, ""},
		{"IfMatch/star", func(in *s3.GetObjectInput) { in.IfMatch = aws.String("*") }, 0, ""},
		{"IfMatch/differs", func(in *s3.GetObjectInput) { in.IfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`) }, 412, "PreconditionFailed"},
		{"IfNoneMatch/match", func(in *s3.GetObjectInput) { in.IfNoneMatch = aws.String(etag) }, 304, ""},
		{"IfNoneMatch/differs", func(in *s3.GetObjectInput) { in.IfNoneMatch = aws.String(`"0123456789abcdef0123456789abcdef"`) }, 0, ""},
		{"IfModifiedSince/later", func(in *s3.GetObjectInput) { in.IfModifiedSince = &future }, 304, ""},
		{"IfModifiedSince/equal", func(in *s3.GetObjectInput) { in.IfModifiedSince = &modified }, 304, ""},
		{"IfModifiedSince/earlier", func(in *s3.GetObjectInput) { in.IfModifiedSince = &past }, 0, ""},
		{"IfUnmodifiedSince/earlier", func(in *s3.GetObjectInput) { in.IfUnmodifiedSince = &past }, 412, "PreconditionFailed"},
		{"IfUnmodifiedSince/later", func(in *s3.GetObjectInput) { in.IfUnmodifiedSince = &future }, 0, ""},
		// If-Match wins over a failing If-Unmodified-Since, as in RFC 7232.
		{"IfMatch+IfUnmodifiedSince", func(in *s3.GetObjectInput) { in.IfMatch = aws.String(etag); in.IfUnmodifiedSince = &past }, 0, ""},
		// If-None-Match wins over If-Modified-Since.
		{"IfNoneMatch+IfModifiedSince", func(in *s3.GetObjectInput) {
			in.IfNoneMatch = aws.String(`"0123456789abcdef0123456789abcdef"`)
			in.IfModifiedSince = &future
		}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("cond")}
			tc.edit(in)
			out, err := c.GetObject(ctx, in)
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("GetObject: %v, want success", err)
				}
				body, _ := io.ReadAll(out.Body)
				out.Body.Close()
				if string(body) != "conditional" {
					t.Errorf("body = %q", body)
				}
				return
			}
			if err == nil {
				out.Body.Close()
				t.Fatalf("GetObject succeeded, want status %d", tc.status)
			}
			if got := httpStatus(err); got != tc.status {
				t.Errorf("status = %d, want %d (err %v)", got, tc.status, err)
			}
			if tc.code != "" {
				expectError(t, err, tc.code, tc.status)
			}
		})
	}
	// HeadObject applies the same rules.
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("cond"), IfNoneMatch: aws.String(etag)})
	if got := httpStatus(err); got != http.StatusNotModified {
		t.Errorf("HeadObject If-None-Match: status %d (err %v), want 304", got, err)
	}
	_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("cond"), IfUnmodifiedSince: &past})
	if got := httpStatus(err); got != http.StatusPreconditionFailed {
		t.Errorf("HeadObject If-Unmodified-Since: status %d (err %v), want 412", got, err)
	}
}

func caseResponseOverrides(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	putObject(t, c, bucket, "report", []byte("a,b\n"), func(in *s3.PutObjectInput) { in.ContentType = aws.String("text/plain") })
	out, err := c.GetObject(ctx, &s3.GetObjectInput{
		Bucket:                     &bucket,
		Key:                        aws.String("report"),
		ResponseContentType:        aws.String("text/csv; charset=utf-8"),
		ResponseContentDisposition: aws.String(`attachment; filename="report.csv"`),
		ResponseCacheControl:       aws.String("no-store"),
		ResponseContentLanguage:    aws.String("de-CH"),
	})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	out.Body.Close()
	for name, pair := range map[string][2]string{
		"Content-Type":        {aws.ToString(out.ContentType), "text/csv; charset=utf-8"},
		"Content-Disposition": {aws.ToString(out.ContentDisposition), `attachment; filename="report.csv"`},
		"Cache-Control":       {aws.ToString(out.CacheControl), "no-store"},
		"Content-Language":    {aws.ToString(out.ContentLanguage), "de-CH"},
	} {
		if pair[0] != pair[1] {
			t.Errorf("%s = %q, want %q", name, pair[0], pair[1])
		}
	}
	// The overrides change the response, not the object.
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("report")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(head.ContentType) != "text/plain" || head.ContentDisposition != nil {
		t.Errorf("stored object changed: ContentType %q, ContentDisposition %v", aws.ToString(head.ContentType), head.ContentDisposition)
	}
}

func caseContentMD5(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	data := []byte("digest me")
	wrong := md5.Sum([]byte("something else"))
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("md5"), Body: bytes.NewReader(data),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(wrong[:])),
	})
	expectError(t, err, "BadDigest", http.StatusBadRequest)
	expectNoObject(t, c, bucket, "md5")

	_, err = c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("md5"), Body: bytes.NewReader(data),
		ContentMD5: aws.String("not base64!"),
	})
	expectError(t, err, "InvalidDigest", http.StatusBadRequest)
	expectNoObject(t, c, bucket, "md5")

	right := md5.Sum(data)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: aws.String("md5"), Body: bytes.NewReader(data),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(right[:])),
	})
	if err != nil {
		t.Fatalf("PutObject with the right Content-MD5: %v", err)
	}
	if aws.ToString(put.ETag) != `"`+md5Hex(data)+`"` {
		t.Errorf("ETag = %s", aws.ToString(put.ETag))
	}
}

func caseDeleteObject(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	putObject(t, c, bucket, "a/b/c", []byte("x"))
	putObject(t, c, bucket, "a/d", []byte("y"))
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("a/b/c")}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String("a/b/c")})
	expectError(t, err, "NoSuchKey", http.StatusNotFound)
	if got := getObject(t, c, bucket, "a/d"); string(got) != "y" {
		t.Errorf("sibling object = %q, want %q", got, "y")
	}
	// Deleting a missing key succeeds, as in S3.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String("never/there")}); err != nil {
		t.Errorf("DeleteObject(missing key): %v, want success", err)
	}
	// The emptied prefix no longer lists.
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		t.Fatal(err)
	}
	if got := objectKeys(list.Contents); len(got) != 1 || got[0] != "a/d" {
		t.Errorf("keys after delete = %v, want [a/d]", got)
	}
	_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(uniqueBucket()), Key: aws.String("k")})
	expectError(t, err, "NoSuchBucket", http.StatusNotFound)
}

func caseDeleteObjects(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	for _, quiet := range []bool{false, true} {
		name := "Verbose"
		if quiet {
			name = "Quiet"
		}
		t.Run(name, func(t *testing.T) {
			keys := []string{name + "/1", name + "/2", name + "/sub/3"}
			for _, k := range keys {
				putObject(t, c, bucket, k, []byte(k))
			}
			putObject(t, c, bucket, name+"/keep", []byte("keep"))
			ids := []types.ObjectIdentifier{{Key: aws.String(name + "/missing")}}
			for _, k := range keys {
				ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
			}
			out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
				Bucket: &bucket,
				Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(quiet)},
			})
			if err != nil {
				t.Fatalf("DeleteObjects: %v", err)
			}
			if len(out.Errors) != 0 {
				t.Errorf("DeleteObjects errors: %+v", out.Errors)
			}
			var deleted []string
			for _, d := range out.Deleted {
				deleted = append(deleted, aws.ToString(d.Key))
			}
			if quiet && len(deleted) != 0 {
				t.Errorf("quiet DeleteObjects reported %v, want no <Deleted> entries", deleted)
			}
			if !quiet {
				want := map[string]bool{}
				for _, id := range ids {
					want[aws.ToString(id.Key)] = true
				}
				got := map[string]bool{}
				for _, k := range deleted {
					got[k] = true
				}
				if len(deleted) != len(ids) || len(got) != len(want) {
					t.Errorf("Deleted = %v, want each of %d keys once (a missing key counts as deleted)", deleted, len(ids))
				}
				for k := range want {
					if !got[k] {
						t.Errorf("Deleted lacks %q", k)
					}
				}
			}
			list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String(name + "/")})
			if err != nil {
				t.Fatal(err)
			}
			if got := objectKeys(list.Contents); len(got) != 1 || got[0] != name+"/keep" {
				t.Errorf("remaining keys = %v, want [%s/keep]", got, name)
			}
		})
	}
	t.Run("MissingBucket", func(t *testing.T) {
		_, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: aws.String(uniqueBucket()),
			Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("k")}}},
		})
		expectError(t, err, "NoSuchBucket", http.StatusNotFound)
	})
}

func caseCopyObject(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	other := newBucket(t, ep)
	data := randomBytes(64 << 10)
	putObject(t, c, bucket, "src/orig", data, func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("application/x-orig")
		in.Metadata = map[string]string{"origin": "source", "n": "1"}
	})
	etag := `"` + md5Hex(data) + `"`

	t.Run("CopyDirective", func(t *testing.T) {
		for _, dst := range []struct{ bucket, key string }{{bucket, "dst/copy"}, {other, "elsewhere/copy"}} {
			out, err := c.CopyObject(ctx, &s3.CopyObjectInput{
				Bucket: aws.String(dst.bucket), Key: aws.String(dst.key),
				CopySource: aws.String(bucket + "/src/orig"),
				// COPY is the default; extra headers are ignored with it.
				ContentType: aws.String("text/ignored"),
				Metadata:    map[string]string{"ignored": "yes"},
			})
			if err != nil {
				t.Fatalf("CopyObject to %s/%s: %v", dst.bucket, dst.key, err)
			}
			if out.CopyObjectResult == nil || aws.ToString(out.CopyObjectResult.ETag) != etag {
				t.Errorf("CopyObjectResult = %+v, want ETag %s", out.CopyObjectResult, etag)
			}
			head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(dst.bucket), Key: aws.String(dst.key)})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(head.ContentType) != "application/x-orig" {
				t.Errorf("copy ContentType = %q, want application/x-orig", aws.ToString(head.ContentType))
			}
			if !equalMetadata(head.Metadata, map[string]string{"origin": "source", "n": "1"}) {
				t.Errorf("copy Metadata = %v, want the source's", head.Metadata)
			}
			if !bytes.Equal(getObject(t, c, dst.bucket, dst.key), data) {
				t.Error("copy's bytes differ from the source's")
			}
		}
	})
	t.Run("ReplaceDirective", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &bucket, Key: aws.String("dst/replaced"),
			CopySource:        aws.String(bucket + "/src/orig"),
			MetadataDirective: types.MetadataDirectiveReplace,
			ContentType:       aws.String("text/replaced"),
			Metadata:          map[string]string{"fresh": "value"},
		})
		if err != nil {
			t.Fatalf("CopyObject: %v", err)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("dst/replaced")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(head.ContentType) != "text/replaced" {
			t.Errorf("ContentType = %q, want text/replaced", aws.ToString(head.ContentType))
		}
		if !equalMetadata(head.Metadata, map[string]string{"fresh": "value"}) {
			t.Errorf("Metadata = %v, want only fresh=value", head.Metadata)
		}
		if aws.ToString(head.ETag) != etag {
			t.Errorf("ETag = %s, want %s", aws.ToString(head.ETag), etag)
		}
	})
	t.Run("OntoItself", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &bucket, Key: aws.String("src/orig"), CopySource: aws.String(bucket + "/src/orig"),
		})
		expectError(t, err, "InvalidRequest", http.StatusBadRequest)
		// With REPLACE it is how S3 clients edit metadata in place.
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &bucket, Key: aws.String("src/orig"), CopySource: aws.String(bucket + "/src/orig"),
			MetadataDirective: types.MetadataDirectiveReplace,
			ContentType:       aws.String("application/x-edited"),
			Metadata:          map[string]string{"edited": "true"},
		})
		if err != nil {
			t.Fatalf("CopyObject onto itself with REPLACE: %v", err)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("src/orig")})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(head.ContentType) != "application/x-edited" || !equalMetadata(head.Metadata, map[string]string{"edited": "true"}) {
			t.Errorf("after in-place REPLACE: ContentType %q, Metadata %v", aws.ToString(head.ContentType), head.Metadata)
		}
		if !bytes.Equal(getObject(t, c, bucket, "src/orig"), data) {
			t.Error("in-place copy changed the bytes")
		}
	})
	t.Run("MissingSource", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &bucket, Key: aws.String("dst/x"), CopySource: aws.String(bucket + "/src/missing"),
		})
		expectError(t, err, "NoSuchKey", http.StatusNotFound)
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &bucket, Key: aws.String("dst/x"), CopySource: aws.String(uniqueBucket() + "/src/orig"),
		})
		expectError(t, err, "NoSuchBucket", http.StatusNotFound)
	})
	t.Run("EncodedSourceKey", func(t *testing.T) {
		key := "odd src/ünï cødé+plus&amp=?.txt"
		putObject(t, c, bucket, key, []byte("odd source"))
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &bucket, Key: aws.String("dst/odd copy"),
			CopySource: aws.String(url.PathEscape(bucket + "/" + key)),
		})
		if err != nil {
			t.Fatalf("CopyObject from %q: %v", key, err)
		}
		if got := getObject(t, c, bucket, "dst/odd copy"); string(got) != "odd source" {
			t.Errorf("copy = %q, want %q", got, "odd source")
		}
	})
	t.Run("SourceCondition", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{
			Bucket: &bucket, Key: aws.String("dst/cond"), CopySource: aws.String(bucket + "/src/orig"),
			CopySourceIfMatch: aws.String(`"0123456789abcdef0123456789abcdef"`),
		})
		expectError(t, err, "PreconditionFailed", http.StatusPreconditionFailed)
		expectNoObject(t, c, bucket, "dst/cond")
	})
}
