package objecttest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

func versioningTests() []subtest {
	return []subtest{
		{"Conditional/Put", testConditionalPut},
		{"Conditional/PutRace", testConditionalPutRace},
		{"Conditional/Complete", testConditionalComplete},
		{"Conditional/Delete", testConditionalDelete},
		{"Conditional/FolderMarker", testConditionalMarker},
		{"Versioning/EnabledPutGetDelete", testVersioningEnabled},
		{"Versioning/Suspended", testVersioningSuspended},
		{"Versioning/ListPages", testVersioningListPages},
		{"Versioning/ObjectLock", testObjectLock},
	}
}

func conditional(t *testing.T, b object.Backend) object.ConditionalWriter {
	cw, ok := b.(object.ConditionalWriter)
	if !ok {
		t.Skip("backend has no atomic conditional writes")
	}
	return cw
}

func versioned(t *testing.T, b object.Backend) object.Versioned {
	v, ok := b.(object.Versioned)
	if !ok {
		t.Skip("backend keeps no versions")
	}
	return v
}

func putErr(b object.Backend, t *testing.T, key, data string, opts object.PutOptions) (object.ObjectInfo, error) {
	opts.Size = int64(len(data))
	return b.PutObject(t.Context(), testBucket, key, strings.NewReader(data), opts)
}

// testConditionalPut checks If-None-Match: * and If-Match on PutObject.
func testConditionalPut(t *testing.T, b object.Backend) {
	conditional(t, b)
	newBucket(t, b)
	first, err := putErr(b, t, "k", "one", object.PutOptions{IfNoneMatch: "*"})
	if err != nil {
		t.Fatalf("If-None-Match on a new key: %v", err)
	}
	_, err = putErr(b, t, "k", "two", object.PutOptions{IfNoneMatch: "*"})
	wantErr(t, err, object.ErrPreconditionFailed, "If-None-Match on an existing key")
	_, err = putErr(b, t, "k", "two", object.PutOptions{IfNoneMatch: `"x", "` + first.ETag + `"`})
	wantErr(t, err, object.ErrPreconditionFailed, "If-None-Match naming the current ETag")
	if _, err := putErr(b, t, "other", "x", object.PutOptions{IfNoneMatch: first.ETag}); err != nil {
		t.Fatalf("If-None-Match with an ETag on a new key: %v", err)
	}
	_, err = putErr(b, t, "k", "two", object.PutOptions{IfMatch: `"` + md5hex([]byte("other")) + `"`})
	wantErr(t, err, object.ErrPreconditionFailed, "If-Match with another ETag")
	_, err = putErr(b, t, "missing", "two", object.PutOptions{IfMatch: "*"})
	wantErr(t, err, object.ErrObjectNotFound, "If-Match on a missing key")
	wantContent(t, b, "k", "one")
	if _, err := putErr(b, t, "k", "three", object.PutOptions{IfMatch: `"` + first.ETag + `"`}); err != nil {
		t.Fatalf("If-Match with the current ETag: %v", err)
	}
	wantContent(t, b, "k", "three")
}

// testConditionalPutRace checks that of concurrent If-None-Match: *
// writers of one new key exactly one wins.
func testConditionalPutRace(t *testing.T, b object.Backend) {
	conditional(t, b)
	newBucket(t, b)
	const writers = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, lost := []string{}, 0
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := fmt.Sprintf("writer %d", i)
			_, err := putErr(b, t, "race", data, object.PutOptions{IfNoneMatch: "*"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won = append(won, data)
			case errors.Is(err, object.ErrPreconditionFailed):
				lost++
			default:
				t.Errorf("writer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || lost != writers-1 {
		t.Fatalf("%d writers won (%q), %d lost; want exactly one winner", len(won), won, lost)
	}
	wantContent(t, b, "race", won[0])
}

// testConditionalComplete checks that a failed condition on
// CompleteMultipartUploadWith leaves the upload usable.
func testConditionalComplete(t *testing.T, b object.Backend) {
	cw := conditional(t, b)
	newBucket(t, b)
	put(t, b, "k", "old")
	id := createUpload(t, b, "k", object.PutOptions{})
	part := uploadPart(t, b, "k", id, 1, []byte("new"))
	parts := []object.CompletePart{{PartNumber: 1, ETag: part.ETag}}
	_, err := cw.CompleteMultipartUploadWith(t.Context(), testBucket, "k", id, parts, object.PutOptions{IfNoneMatch: "*"})
	wantErr(t, err, object.ErrPreconditionFailed, "Complete with If-None-Match over an object")
	wantContent(t, b, "k", "old")
	if _, err := cw.CompleteMultipartUploadWith(t.Context(), testBucket, "k", id, parts, object.PutOptions{IfMatch: md5hex([]byte("old"))}); err != nil {
		t.Fatalf("Complete with the current ETag after a refusal: %v", err)
	}
	wantContent(t, b, "k", "new")
}

// testConditionalDelete checks If-Match on DeleteObjectWith.
func testConditionalDelete(t *testing.T, b object.Backend) {
	cw := conditional(t, b)
	newBucket(t, b)
	info := put(t, b, "k", "data")
	_, err := cw.DeleteObjectWith(t.Context(), testBucket, "k", object.DeleteOptions{IfMatch: `"` + md5hex([]byte("x")) + `"`})
	wantErr(t, err, object.ErrPreconditionFailed, "delete with another ETag")
	wantContent(t, b, "k", "data")
	if _, err := cw.DeleteObjectWith(t.Context(), testBucket, "missing", object.DeleteOptions{IfMatch: "*"}); err != nil {
		t.Fatalf("delete of a missing key with If-Match: %v", err)
	}
	size, old := int64(3), time.Unix(1420070400, 0)
	_, err = cw.DeleteObjectWith(t.Context(), testBucket, "k", object.DeleteOptions{IfMatchSize: &size})
	wantErr(t, err, object.ErrPreconditionFailed, "delete with another size")
	_, err = cw.DeleteObjectWith(t.Context(), testBucket, "k", object.DeleteOptions{IfMatchModTime: &old})
	wantErr(t, err, object.ErrPreconditionFailed, "delete with another modification time")
	wantContent(t, b, "k", "data")
	size, mtime := info.Size, info.ModTime
	if _, err := cw.DeleteObjectWith(t.Context(), testBucket, "k", object.DeleteOptions{IfMatch: info.ETag, IfMatchSize: &size, IfMatchModTime: &mtime}); err != nil {
		t.Fatalf("delete with the current ETag, size and time: %v", err)
	}
	wantMissing(t, b, "k")
}

func readVersion(t *testing.T, v object.Versioned, key, id string) (string, error) {
	t.Helper()
	rd, err := v.GetObjectVersion(t.Context(), testBucket, key, id, object.GetOptions{})
	if err != nil {
		return "", err
	}
	defer rd.Close()
	data, err := io.ReadAll(rd)
	if err != nil {
		t.Fatalf("read version %s of %s: %v", id, key, err)
	}
	return string(data), nil
}

func wantVersion(t *testing.T, v object.Versioned, key, id, want string) {
	t.Helper()
	got, err := readVersion(t, v, key, id)
	if err != nil || got != want {
		t.Fatalf("version %q of %s = %q, %v; want %q", id, key, got, err, want)
	}
}

// listing returns "key:id:latest[:marker]" for every version of the bucket.
func listing(t *testing.T, v object.Versioned, opts object.ListVersionsOptions) []string {
	t.Helper()
	res, err := v.ListObjectVersions(t.Context(), testBucket, opts)
	if err != nil {
		t.Fatalf("ListObjectVersions: %v", err)
	}
	var out []string
	for _, e := range res.Versions {
		s := fmt.Sprintf("%s:%s:%v", e.Key, e.VersionID, e.IsLatest)
		if e.DeleteMarker {
			s += ":marker"
		}
		out = append(out, s)
	}
	return out
}

// testVersioningEnabled walks through the life of a versioned key.
func testVersioningEnabled(t *testing.T, b object.Backend) {
	v := versioned(t, b)
	ctx := t.Context()
	newBucket(t, b)
	put(t, b, "k", "before") // the null version
	en := object.PutOptions{Versioning: object.VersioningEnabled}
	v1, err := putErr(b, t, "k", "one", en)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := putErr(b, t, "k", "two", en)
	if err != nil {
		t.Fatal(err)
	}
	if v1.VersionID == "" || v1.VersionID == v2.VersionID || v1.VersionID == object.NullVersionID {
		t.Fatalf("version IDs %q and %q", v1.VersionID, v2.VersionID)
	}
	wantContent(t, b, "k", "two")
	wantVersion(t, v, "k", v1.VersionID, "one")
	wantVersion(t, v, "k", object.NullVersionID, "before")
	wantVersion(t, v, "k", "", "two")
	_, err = readVersion(t, v, "k", strings.Repeat("0", 32))
	wantErr(t, err, object.ErrVersionNotFound, "GetObjectVersion of an unknown version")
	want := []string{"k:" + v2.VersionID + ":true", "k:" + v1.VersionID + ":false", "k:null:false"}
	if got := listing(t, v, object.ListVersionsOptions{}); !equal(got, want) {
		t.Fatalf("versions %q, want %q", got, want)
	}

	del, err := v.DeleteObjectWith(ctx, testBucket, "k", object.DeleteOptions{Versioning: object.VersioningEnabled})
	if err != nil || !del.DeleteMarker || del.VersionID == "" {
		t.Fatalf("DeleteObjectWith = %+v, %v; want a delete marker", del, err)
	}
	wantMissing(t, b, "k")
	_, err = readVersion(t, v, "k", "")
	wantErr(t, err, object.ErrDeleteMarker, "latest version after a delete")
	_, err = readVersion(t, v, "k", del.VersionID)
	wantErr(t, err, object.ErrDeleteMarker, "the delete marker by ID")
	wantVersion(t, v, "k", v2.VersionID, "two")
	if got := listing(t, v, object.ListVersionsOptions{}); len(got) != 4 || got[0] != "k:"+del.VersionID+":true:marker" {
		t.Fatalf("versions after delete %q", got)
	}

	// Removing the marker makes v2 current again; removing v2, v1.
	if res, err := v.DeleteObjectWith(ctx, testBucket, "k", object.DeleteOptions{VersionID: del.VersionID}); err != nil || !res.DeleteMarker {
		t.Fatalf("delete of the marker = %+v, %v", res, err)
	}
	wantContent(t, b, "k", "two")
	if _, err := v.DeleteObjectWith(ctx, testBucket, "k", object.DeleteOptions{VersionID: v2.VersionID}); err != nil {
		t.Fatal(err)
	}
	wantContent(t, b, "k", "one")
	want = []string{"k:" + v1.VersionID + ":true", "k:null:false"}
	if got := listing(t, v, object.ListVersionsOptions{}); !equal(got, want) {
		t.Fatalf("versions %q, want %q", got, want)
	}
	_, err = v.DeleteObjectWith(ctx, testBucket, "k", object.DeleteOptions{VersionID: "../x"})
	wantErr(t, err, object.ErrInvalidVersionID, "delete of a malformed version ID")
	wantErr(t, b.DeleteBucket(ctx, testBucket), object.ErrBucketNotEmpty, "DeleteBucket with versions")
	for _, id := range []string{v1.VersionID, object.NullVersionID} {
		if _, err := v.DeleteObjectWith(ctx, testBucket, "k", object.DeleteOptions{VersionID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if got := listing(t, v, object.ListVersionsOptions{}); len(got) != 0 {
		t.Fatalf("versions left %q", got)
	}
	if err := b.DeleteBucket(ctx, testBucket); err != nil {
		t.Fatalf("DeleteBucket once every version is gone: %v", err)
	}
}

// testVersioningSuspended checks that writes while suspended replace the
// null version and keep the others.
func testVersioningSuspended(t *testing.T, b object.Backend) {
	v := versioned(t, b)
	newBucket(t, b)
	v1, err := putErr(b, t, "k", "one", object.PutOptions{Versioning: object.VersioningEnabled})
	if err != nil {
		t.Fatal(err)
	}
	sus := object.PutOptions{Versioning: object.VersioningSuspended}
	for _, data := range []string{"two", "three"} {
		info, err := putErr(b, t, "k", data, sus)
		if err != nil || info.VersionID != object.NullVersionID {
			t.Fatalf("suspended put = %q, %v; want version null", info.VersionID, err)
		}
	}
	want := []string{"k:null:true", "k:" + v1.VersionID + ":false"}
	if got := listing(t, v, object.ListVersionsOptions{}); !equal(got, want) {
		t.Fatalf("versions %q, want %q", got, want)
	}
	del, err := v.DeleteObjectWith(t.Context(), testBucket, "k", object.DeleteOptions{Versioning: object.VersioningSuspended})
	if err != nil || del.VersionID != object.NullVersionID || !del.DeleteMarker {
		t.Fatalf("suspended delete = %+v, %v; want a null delete marker", del, err)
	}
	want = []string{"k:null:true:marker", "k:" + v1.VersionID + ":false"}
	if got := listing(t, v, object.ListVersionsOptions{}); !equal(got, want) {
		t.Fatalf("versions %q, want %q", got, want)
	}
}

// testVersioningListPages checks markers, prefixes and delimiters.
func testVersioningListPages(t *testing.T, b object.Backend) {
	v := versioned(t, b)
	newBucket(t, b)
	en := object.PutOptions{Versioning: object.VersioningEnabled}
	var all []string
	for _, key := range []string{"a", "b/1", "b/2", "c"} {
		var ids []string
		for i := range 3 {
			info, err := putErr(b, t, key, strings.Repeat("x", i), en)
			if err != nil {
				t.Fatal(err)
			}
			ids = append([]string{info.VersionID}, ids...)
		}
		for i, id := range ids {
			all = append(all, fmt.Sprintf("%s:%s:%v", key, id, i == 0))
		}
	}
	if _, err := v.DeleteObjectWith(t.Context(), testBucket, "c", object.DeleteOptions{Versioning: object.VersioningEnabled}); err != nil {
		t.Fatal(err)
	}
	full := listing(t, v, object.ListVersionsOptions{})
	if len(full) != 13 || !strings.HasSuffix(full[9], ":true:marker") {
		t.Fatalf("versions %q", full)
	}
	var paged []string
	opts := object.ListVersionsOptions{MaxKeys: 2}
	for range 20 {
		res, err := v.ListObjectVersions(t.Context(), testBucket, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.Versions {
			s := fmt.Sprintf("%s:%s:%v", e.Key, e.VersionID, e.IsLatest)
			if e.DeleteMarker {
				s += ":marker"
			}
			paged = append(paged, s)
		}
		if !res.IsTruncated {
			break
		}
		opts.KeyMarker, opts.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
	}
	if !equal(paged, full) {
		t.Fatalf("paged listing %q, want %q", paged, full)
	}
	res, err := v.ListObjectVersions(t.Context(), testBucket, object.ListVersionsOptions{Delimiter: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if !equal(res.CommonPrefixes, []string{"b/"}) || len(res.Versions) != 7 {
		t.Fatalf("with delimiter: prefixes %q, %d versions", res.CommonPrefixes, len(res.Versions))
	}
	if got := listing(t, v, object.ListVersionsOptions{Prefix: "b/"}); !equal(got, all[3:9]) {
		t.Fatalf("prefix b/: %q, want %q", got, all[3:9])
	}
}

// testObjectLock checks that UpdateObjectLock changes one version's lock
// state in place and that DeleteOptions.Allow can refuse a delete.
func testObjectLock(t *testing.T, b object.Backend) {
	v := versioned(t, b)
	l, ok := b.(object.ObjectLocker)
	if !ok {
		t.Skip("backend has no Object Lock")
	}
	ctx := t.Context()
	newBucket(t, b)
	en := object.PutOptions{Versioning: object.VersioningEnabled}
	until := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	en.Metadata.Lock = object.ObjectLock{Mode: object.LockGovernance, RetainUntil: until}
	old, err := putErr(b, t, "k", "old", en)
	if err != nil {
		t.Fatal(err)
	}
	en.Metadata.Lock = object.ObjectLock{}
	cur, err := putErr(b, t, "k", "new", en)
	if err != nil {
		t.Fatal(err)
	}
	info, err := v.HeadObjectVersion(ctx, testBucket, "k", old.VersionID)
	if err != nil || info.Lock.Mode != object.LockGovernance || !info.Lock.RetainUntil.Equal(until) {
		t.Fatalf("lock of the noncurrent version = %+v, %v", info.Lock, err)
	}
	refused := errors.New("refused")
	_, err = l.UpdateObjectLock(ctx, testBucket, "k", "", func(info object.ObjectInfo, lock *object.ObjectLock) error {
		if info.VersionID != cur.VersionID {
			t.Errorf("update of the current version saw version %q", info.VersionID)
		}
		lock.LegalHold = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.UpdateObjectLock(ctx, testBucket, "k", old.VersionID, func(_ object.ObjectInfo, lock *object.ObjectLock) error {
		lock.Mode = ""
		return refused
	}); !errors.Is(err, refused) {
		t.Fatalf("UpdateObjectLock returned %v, want the update's error", err)
	}
	if info, err := v.HeadObjectVersion(ctx, testBucket, "k", ""); err != nil || !info.Lock.LegalHold {
		t.Fatalf("legal hold of the current version = %+v, %v", info.Lock, err)
	}
	if info, _ := v.HeadObjectVersion(ctx, testBucket, "k", old.VersionID); info.Lock.Mode != object.LockGovernance {
		t.Fatalf("a refused update changed the lock: %+v", info.Lock)
	}
	wantContent(t, b, "k", "new")
	deny := func(info object.ObjectInfo) error {
		if info.Lock.LegalHold || info.Lock.Mode != "" {
			return refused
		}
		return nil
	}
	for _, id := range []string{cur.VersionID, old.VersionID} {
		_, err := v.DeleteObjectWith(ctx, testBucket, "k", object.DeleteOptions{VersionID: id, Allow: deny})
		wantErr(t, err, refused, "delete of locked version %s", id)
	}
	wantVersion(t, v, "k", old.VersionID, "old")
	wantContent(t, b, "k", "new")
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// testConditionalMarker checks the conditions on a folder marker.
func testConditionalMarker(t *testing.T, b object.Backend) {
	conditional(t, b)
	newBucket(t, b)
	if _, err := putErr(b, t, "dir/", "", object.PutOptions{IfNoneMatch: "*"}); err != nil {
		t.Fatalf("If-None-Match on a new folder marker: %v", err)
	}
	_, err := putErr(b, t, "dir/", "", object.PutOptions{IfNoneMatch: "*"})
	wantErr(t, err, object.ErrPreconditionFailed, "If-None-Match on an existing folder marker")
	_, err = putErr(b, t, "other/", "", object.PutOptions{IfMatch: "*"})
	wantErr(t, err, object.ErrObjectNotFound, "If-Match on a missing folder marker")
}
