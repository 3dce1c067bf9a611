package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
)

func TestList(t *testing.T) {
	ep := testEndpoint(t)
	c := sdkClient(ep)
	bucket := newBucket(t, ep)
	// 25 keys for paging, a small tree for delimiters, keys that need encoding.
	var pageKeys []string
	for i := range 25 {
		pageKeys = append(pageKeys, fmt.Sprintf("page/key-%02d", i))
	}
	tree := []string{
		"top.txt",
		"docs/x.txt",
		"photos/readme.txt",
		"photos/2024/a.jpg",
		"photos/2024/b.jpg",
		"photos/2025/c.jpg",
		"d/a/1", "d/a/2", "d/b/1", "d/c", "d/e/1", "d/e/2",
	}
	encoded := []string{
		"enc/hello world.txt",
		"enc/ünïcødé/ß.txt",
		"enc/a+b&c=d%e.txt",
		"enc/日本語 テキスト",
	}
	for _, k := range slices.Concat(pageKeys, tree, encoded) {
		putObject(t, c, bucket, k, []byte(k))
	}
	// A folder marker, as consoles create, with an object inside.
	putObject(t, c, bucket, "folder/", nil)
	putObject(t, c, bucket, "folder/child", []byte("folder/child"))

	t.Run("PrefixDelimiter", func(t *testing.T) { caseListPrefixDelimiter(t, c, bucket) })
	t.Run("FolderMarker", func(t *testing.T) { caseListFolderMarker(t, c, bucket) })
	t.Run("V2Paging", func(t *testing.T) { caseListV2Paging(t, c, bucket, pageKeys) })
	t.Run("V2PagingCommonPrefixes", func(t *testing.T) { caseListV2PagingCommonPrefixes(t, c, bucket) })
	t.Run("V2StartAfter", func(t *testing.T) { caseListV2StartAfter(t, c, bucket, pageKeys) })
	t.Run("V2MaxKeys", func(t *testing.T) { caseListV2MaxKeys(t, c, bucket, pageKeys) })
	t.Run("V2EncodingURL", func(t *testing.T) { caseListV2EncodingURL(t, ep, c, bucket, encoded) })
	t.Run("V1MarkerPaging", func(t *testing.T) { caseListV1MarkerPaging(t, c, bucket, pageKeys) })
	t.Run("MissingBucket", func(t *testing.T) {
		_, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(uniqueBucket())})
		expectError(t, err, "NoSuchBucket", http.StatusNotFound)
		_, err = c.ListObjects(context.Background(), &s3.ListObjectsInput{Bucket: aws.String(uniqueBucket())})
		expectError(t, err, "NoSuchBucket", http.StatusNotFound)
	})
	t.Run("MultipartUploads", func(t *testing.T) { caseListMultipartUploads(t, ep) })
}

func caseListPrefixDelimiter(t *testing.T, c *s3.Client, bucket string) {
	ctx := context.Background()
	for _, tc := range []struct {
		prefix, delimiter string
		keys, prefixes    []string
	}{
		{"", "/", []string{"top.txt"}, []string{"d/", "docs/", "enc/", "folder/", "page/", "photos/"}},
		{"photos/", "/", []string{"photos/readme.txt"}, []string{"photos/2024/", "photos/2025/"}},
		{"photos/2024/", "", []string{"photos/2024/a.jpg", "photos/2024/b.jpg"}, nil},
		{"photos/", "", []string{"photos/2024/a.jpg", "photos/2024/b.jpg", "photos/2025/c.jpg", "photos/readme.txt"}, nil},
		{"photos/20", "/", nil, []string{"photos/2024/", "photos/2025/"}},
		{"d/", "/", []string{"d/c"}, []string{"d/a/", "d/b/", "d/e/"}},
		{"nothing/", "/", nil, nil},
		{"top", "", []string{"top.txt"}, nil},
		// A delimiter other than "/".
		{"photos/", ".", []string{}, []string{"photos/2024/a.", "photos/2024/b.", "photos/2025/c.", "photos/readme."}},
	} {
		t.Run(fmt.Sprintf("prefix=%q,delimiter=%q", tc.prefix, tc.delimiter), func(t *testing.T) {
			in := &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String(tc.prefix)}
			if tc.delimiter != "" {
				in.Delimiter = aws.String(tc.delimiter)
			}
			out, err := c.ListObjectsV2(ctx, in)
			if err != nil {
				t.Fatalf("ListObjectsV2: %v", err)
			}
			if got := objectKeys(out.Contents); !slices.Equal(got, nonNil(tc.keys)) {
				t.Errorf("Contents = %q, want %q", got, tc.keys)
			}
			if got := prefixes(out.CommonPrefixes); !slices.Equal(got, nonNil(tc.prefixes)) {
				t.Errorf("CommonPrefixes = %q, want %q", got, tc.prefixes)
			}
			if want := int32(len(tc.keys) + len(tc.prefixes)); aws.ToInt32(out.KeyCount) != want {
				t.Errorf("KeyCount = %d, want %d", aws.ToInt32(out.KeyCount), want)
			}
			if aws.ToBool(out.IsTruncated) {
				t.Error("IsTruncated = true for a short listing")
			}
			for _, o := range out.Contents {
				if aws.ToInt64(o.Size) != int64(len(aws.ToString(o.Key))) || aws.ToString(o.ETag) != `"`+md5Hex([]byte(aws.ToString(o.Key)))+`"` {
					t.Errorf("entry %s: Size %d, ETag %s; want the size and quoted MD5 of its body", aws.ToString(o.Key), aws.ToInt64(o.Size), aws.ToString(o.ETag))
				}
			}
		})
	}
}

func caseListFolderMarker(t *testing.T, c *s3.Client, bucket string) {
	ctx := context.Background()
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("folder/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := objectKeys(out.Contents), []string{"folder/", "folder/child"}; !slices.Equal(got, want) {
		t.Errorf("keys under folder/ = %q, want %q (the marker lists as an object)", got, want)
	}
	if len(out.CommonPrefixes) != 0 {
		t.Errorf("CommonPrefixes = %q, want none", prefixes(out.CommonPrefixes))
	}
	for _, o := range out.Contents {
		if aws.ToString(o.Key) == "folder/" && (aws.ToInt64(o.Size) != 0 || aws.ToString(o.ETag) != `"`+md5Hex(nil)+`"`) {
			t.Errorf("marker: Size %d, ETag %s; want 0 and the MD5 of nothing", aws.ToInt64(o.Size), aws.ToString(o.ETag))
		}
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: aws.String("folder/")})
	if err != nil {
		t.Fatalf("HeadObject(folder/): %v", err)
	}
	if aws.ToInt64(head.ContentLength) != 0 {
		t.Errorf("marker ContentLength = %d, want 0", aws.ToInt64(head.ContentLength))
	}
	// Without a delimiter the listing is flat.
	keys, _, _ := listAllV2(t, c, s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("fo"), MaxKeys: aws.Int32(1)})
	if want := []string{"folder/", "folder/child"}; !slices.Equal(keys, want) {
		t.Errorf("flat listing = %q, want %q", keys, want)
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// listAllV2 pages through a ListObjectsV2 listing by continuation token and
// returns the keys and common prefixes in the order they came.
func listAllV2(t *testing.T, c *s3.Client, in s3.ListObjectsV2Input) (keys, cps []string, pages int) {
	t.Helper()
	ctx := context.Background()
	for {
		out, err := c.ListObjectsV2(ctx, &in)
		if err != nil {
			t.Fatalf("ListObjectsV2 page %d: %v", pages+1, err)
		}
		pages++
		keys = append(keys, objectKeys(out.Contents)...)
		cps = append(cps, prefixes(out.CommonPrefixes)...)
		n := len(out.Contents) + len(out.CommonPrefixes)
		if in.MaxKeys != nil && n > int(*in.MaxKeys) {
			t.Errorf("page %d has %d entries, more than max-keys %d", pages, n, *in.MaxKeys)
		}
		if aws.ToInt32(out.KeyCount) != int32(n) {
			t.Errorf("page %d: KeyCount = %d, want %d", pages, aws.ToInt32(out.KeyCount), n)
		}
		if in.ContinuationToken != nil && aws.ToString(out.ContinuationToken) != *in.ContinuationToken {
			t.Errorf("page %d: ContinuationToken = %q, want the one sent, %q", pages, aws.ToString(out.ContinuationToken), *in.ContinuationToken)
		}
		if !aws.ToBool(out.IsTruncated) {
			if out.NextContinuationToken != nil {
				t.Errorf("last page has NextContinuationToken %q", *out.NextContinuationToken)
			}
			return keys, cps, pages
		}
		if aws.ToString(out.NextContinuationToken) == "" {
			t.Fatalf("page %d is truncated but has no NextContinuationToken", pages)
		}
		if pages > 100 {
			t.Fatal("listing does not end")
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

func caseListV2Paging(t *testing.T, c *s3.Client, bucket string, pageKeys []string) {
	keys, cps, pages := listAllV2(t, c, s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("page/"), MaxKeys: aws.Int32(7)})
	if !slices.Equal(keys, pageKeys) {
		t.Errorf("paged keys = %q, want every key once, in order: %q", keys, pageKeys)
	}
	if len(cps) != 0 {
		t.Errorf("CommonPrefixes = %q, want none", cps)
	}
	if pages != 4 {
		t.Errorf("25 keys by 7 took %d pages, want 4", pages)
	}
	// The SDK paginator agrees.
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("page/"), MaxKeys: aws.Int32(7)})
	var got []string
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, objectKeys(page.Contents)...)
	}
	if !slices.Equal(got, pageKeys) {
		t.Errorf("paginator keys = %q, want %q", got, pageKeys)
	}
}

func caseListV2PagingCommonPrefixes(t *testing.T, c *s3.Client, bucket string) {
	// One entry per page: a common prefix must neither repeat nor hide keys.
	keys, cps, _ := listAllV2(t, c, s3.ListObjectsV2Input{
		Bucket: &bucket, Prefix: aws.String("d/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(1),
	})
	if want := []string{"d/c"}; !slices.Equal(keys, want) {
		t.Errorf("keys = %q, want %q", keys, want)
	}
	if want := []string{"d/a/", "d/b/", "d/e/"}; !slices.Equal(cps, want) {
		t.Errorf("CommonPrefixes = %q, want %q", cps, want)
	}
	// Everything at the top level, two at a time.
	keys, cps, _ = listAllV2(t, c, s3.ListObjectsV2Input{Bucket: &bucket, Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	if want := []string{"top.txt"}; !slices.Equal(keys, want) {
		t.Errorf("top-level keys = %q, want %q", keys, want)
	}
	if want := []string{"d/", "docs/", "enc/", "folder/", "page/", "photos/"}; !slices.Equal(cps, want) {
		t.Errorf("top-level CommonPrefixes = %q, want %q", cps, want)
	}
}

func caseListV2StartAfter(t *testing.T, c *s3.Client, bucket string, pageKeys []string) {
	ctx := context.Background()
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("page/"), StartAfter: aws.String("page/key-19")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := objectKeys(out.Contents), pageKeys[20:]; !slices.Equal(got, want) {
		t.Errorf("start-after page/key-19: %q, want %q", got, want)
	}
	if aws.ToString(out.StartAfter) != "page/key-19" {
		t.Errorf("StartAfter = %q, want it echoed", aws.ToString(out.StartAfter))
	}
	// A start-after between keys, and one past the end.
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("page/"), StartAfter: aws.String("page/key-22a")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := objectKeys(out.Contents), pageKeys[23:]; !slices.Equal(got, want) {
		t.Errorf("start-after page/key-22a: %q, want %q", got, want)
	}
	out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("page/"), StartAfter: aws.String("page/zzz")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 0 || aws.ToBool(out.IsTruncated) {
		t.Errorf("start-after past the end: %q (truncated %v), want nothing", objectKeys(out.Contents), aws.ToBool(out.IsTruncated))
	}
	// Paging with start-after continues after it.
	keys, _, _ := listAllV2(t, c, s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("page/"), StartAfter: aws.String("page/key-09"), MaxKeys: aws.Int32(4)})
	if !slices.Equal(keys, pageKeys[10:]) {
		t.Errorf("paged from start-after page/key-09: %q, want %q", keys, pageKeys[10:])
	}
}

func caseListV2MaxKeys(t *testing.T, c *s3.Client, bucket string, pageKeys []string) {
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("page/"), MaxKeys: aws.Int32(3)})
	if err != nil {
		t.Fatal(err)
	}
	if got := objectKeys(out.Contents); !slices.Equal(got, pageKeys[:3]) {
		t.Errorf("max-keys 3: %q, want %q", got, pageKeys[:3])
	}
	if !aws.ToBool(out.IsTruncated) || aws.ToInt32(out.MaxKeys) != 3 {
		t.Errorf("max-keys 3: IsTruncated %v, MaxKeys %d; want true, 3", aws.ToBool(out.IsTruncated), aws.ToInt32(out.MaxKeys))
	}
	// Exactly as many keys as there are: not truncated.
	out, err = c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: aws.String("page/"), MaxKeys: aws.Int32(25)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 25 || aws.ToBool(out.IsTruncated) {
		t.Errorf("max-keys 25 over 25 keys: %d keys, truncated %v; want 25, false", len(out.Contents), aws.ToBool(out.IsTruncated))
	}
}

func caseListV2EncodingURL(t *testing.T, ep endpoint, c *s3.Client, bucket string, encoded []string) {
	want := slices.Clone(encoded)
	sort.Strings(want)
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{
		Bucket: &bucket, Prefix: aws.String("enc/"), EncodingType: types.EncodingTypeUrl,
	})
	if err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if out.EncodingType != types.EncodingTypeUrl {
		t.Errorf("EncodingType = %q, want url", out.EncodingType)
	}
	// aws-sdk-go-v2 hands back the keys as sent: URL-encoded, so no raw
	// space or non-ASCII byte may appear, and decoding restores each key.
	var got []string
	for _, k := range objectKeys(out.Contents) {
		for _, r := range k {
			if r == ' ' || r > 0x7e {
				t.Errorf("key %q is not URL-encoded", k)
				break
			}
		}
		dec, err := url.QueryUnescape(k)
		if err != nil {
			t.Errorf("key %q does not decode: %v", k, err)
		}
		got = append(got, dec)
	}
	if !slices.Equal(got, want) {
		t.Errorf("decoded keys = %q, want %q", got, want)
	}
	if dec, _ := url.QueryUnescape(aws.ToString(out.Prefix)); dec != "enc/" {
		t.Errorf("Prefix = %q, want enc/ once decoded", aws.ToString(out.Prefix))
	}

	// Common prefixes are encoded too.
	out, err = c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{
		Bucket: &bucket, Prefix: aws.String("enc/"), Delimiter: aws.String("/"), EncodingType: types.EncodingTypeUrl,
	})
	if err != nil {
		t.Fatalf("ListObjectsV2 with a delimiter: %v", err)
	}
	// As AWS: '/' is not encoded, so the delimiter and prefix read as sent.
	if aws.ToString(out.Delimiter) != "/" || aws.ToString(out.Prefix) != "enc/" {
		t.Errorf("Delimiter %q, Prefix %q under encoding-type=url, want / and enc/", aws.ToString(out.Delimiter), aws.ToString(out.Prefix))
	}
	var cps []string
	for _, p := range prefixes(out.CommonPrefixes) {
		dec, err := url.QueryUnescape(p)
		if err != nil || strings.ContainsAny(p, " ") {
			t.Errorf("common prefix %q is not URL-encoded", p)
		}
		cps = append(cps, dec)
	}
	if want := []string{"enc/ünïcødé/"}; !slices.Equal(cps, want) {
		t.Errorf("decoded CommonPrefixes = %q, want %q", cps, want)
	}
	if len(out.Contents) != 3 {
		t.Errorf("%d keys beside the common prefix, want 3", len(out.Contents))
	}
	// V1 encodes the same way.
	v1, err := c.ListObjects(context.Background(), &s3.ListObjectsInput{Bucket: &bucket, Prefix: aws.String("enc/"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatalf("ListObjects: %v", err)
	}
	got = got[:0]
	for _, k := range objectKeys(v1.Contents) {
		dec, _ := url.QueryUnescape(k)
		got = append(got, dec)
	}
	if !slices.Equal(got, want) {
		t.Errorf("V1 decoded keys = %q, want %q", got, want)
	}

	// minio-go asks for encoding-type=url and decodes itself.
	var mkeys []string
	for o := range minioClient(t, ep, nil).ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: "enc/", Recursive: true}) {
		if o.Err != nil {
			t.Fatalf("minio ListObjects: %v", o.Err)
		}
		mkeys = append(mkeys, o.Key)
	}
	if !slices.Equal(mkeys, want) {
		t.Errorf("minio-go keys = %q, want %q", mkeys, want)
	}

	// The keys work for GET as listed.
	for _, k := range want {
		if got := getObject(t, c, bucket, k); string(got) != k {
			t.Errorf("object %q = %q", k, got)
		}
	}
}

func caseListV1MarkerPaging(t *testing.T, c *s3.Client, bucket string, pageKeys []string) {
	ctx := context.Background()
	in := &s3.ListObjectsInput{Bucket: &bucket, Prefix: aws.String("page/"), MaxKeys: aws.Int32(7)}
	var keys []string
	pages := 0
	for {
		out, err := c.ListObjects(ctx, in)
		if err != nil {
			t.Fatalf("ListObjects: %v", err)
		}
		pages++
		got := objectKeys(out.Contents)
		keys = append(keys, got...)
		if len(got) > 7 {
			t.Errorf("page %d has %d keys, more than max-keys 7", pages, len(got))
		}
		if aws.ToString(out.Marker) != aws.ToString(in.Marker) {
			t.Errorf("Marker = %q, want the one sent, %q", aws.ToString(out.Marker), aws.ToString(in.Marker))
		}
		if !aws.ToBool(out.IsTruncated) || pages > 100 {
			break
		}
		// NextMarker is optional without a delimiter; the last key is the marker then.
		next := aws.ToString(out.NextMarker)
		if next == "" && len(got) > 0 {
			next = got[len(got)-1]
		}
		if next == "" {
			t.Fatal("truncated page without a way to continue")
		}
		in.Marker = aws.String(next)
	}
	if !slices.Equal(keys, pageKeys) {
		t.Errorf("marker-paged keys = %q, want every key once, in order: %q", keys, pageKeys)
	}
	if pages != 4 {
		t.Errorf("pages = %d, want 4", pages)
	}
	// V1 with a delimiter.
	out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: &bucket, Prefix: aws.String("photos/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	if got := objectKeys(out.Contents); !slices.Equal(got, []string{"photos/readme.txt"}) {
		t.Errorf("V1 delimiter keys = %q", got)
	}
	if got := prefixes(out.CommonPrefixes); !slices.Equal(got, []string{"photos/2024/", "photos/2025/"}) {
		t.Errorf("V1 delimiter CommonPrefixes = %q", got)
	}
}

func caseListMultipartUploads(t *testing.T, ep endpoint) {
	c := sdkClient(ep)
	ctx := context.Background()
	bucket := newBucket(t, ep)
	create := func(key string) string {
		out, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key})
		if err != nil {
			t.Fatalf("CreateMultipartUpload(%s): %v", key, err)
		}
		return aws.ToString(out.UploadId)
	}
	ids := map[string]string{}
	for _, k := range []string{"mpu/b", "mpu/a", "mpu/deep/c", "other/d"} {
		ids[k] = create(k)
	}
	second := create("mpu/a") // two uploads of one key

	out, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: aws.String("mpu/")})
	if err != nil {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	var keys []string
	gotIDs := map[string]bool{}
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
		gotIDs[aws.ToString(u.UploadId)] = true
		if u.Initiated == nil || u.Initiated.IsZero() {
			t.Errorf("upload %s has no Initiated time", aws.ToString(u.Key))
		}
	}
	if want := []string{"mpu/a", "mpu/a", "mpu/b", "mpu/deep/c"}; !slices.Equal(keys, want) {
		t.Errorf("upload keys = %q, want %q", keys, want)
	}
	for _, id := range []string{ids["mpu/a"], second, ids["mpu/b"], ids["mpu/deep/c"]} {
		if !gotIDs[id] {
			t.Errorf("upload id %s not listed", id)
		}
	}
	if gotIDs[ids["other/d"]] {
		t.Error("upload outside the prefix listed")
	}

	out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: aws.String("mpu/"), Delimiter: aws.String("/")})
	if err != nil {
		t.Fatal(err)
	}
	keys = keys[:0]
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	if want := []string{"mpu/a", "mpu/a", "mpu/b"}; !slices.Equal(keys, want) {
		t.Errorf("with delimiter: upload keys = %q, want %q", keys, want)
	}
	if got := prefixes(out.CommonPrefixes); !slices.Equal(got, []string{"mpu/deep/"}) {
		t.Errorf("with delimiter: CommonPrefixes = %q, want [mpu/deep/]", got)
	}

	// Paging by key and upload-id markers visits every upload once.
	seen := map[string]int{}
	in := &s3.ListMultipartUploadsInput{Bucket: &bucket, MaxUploads: aws.Int32(2)}
	for page := 1; ; page++ {
		out, err := c.ListMultipartUploads(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Uploads) > 2 {
			t.Errorf("page %d has %d uploads, want at most 2", page, len(out.Uploads))
		}
		for _, u := range out.Uploads {
			seen[aws.ToString(u.UploadId)]++
		}
		if !aws.ToBool(out.IsTruncated) || page > 10 {
			break
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	if len(seen) != 5 {
		t.Errorf("paging saw %d distinct uploads, want 5: %v", len(seen), seen)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("upload %s listed %d times", id, n)
		}
	}

	// Aborted and completed uploads leave the list.
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &bucket, Key: aws.String("mpu/b"), UploadId: aws.String(ids["mpu/b"])}); err != nil {
		t.Fatal(err)
	}
	out, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: &bucket, Prefix: aws.String("mpu/b")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) != 0 {
		t.Errorf("aborted upload still listed: %+v", out.Uploads)
	}
	_, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(uniqueBucket())})
	expectError(t, err, "NoSuchBucket", http.StatusNotFound)
}
