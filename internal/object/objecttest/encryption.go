package objecttest

import (
	"reflect"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

func encryptionTests() []subtest {
	return []subtest{
		{"Encryption/MetadataRoundTrip", testEncryptionMetadata},
		{"Encryption/UpdateMetadata", testUpdateMetadata},
		{"Encryption/GetUpload", testGetUpload},
	}
}

var testEncryption = object.Encryption{Mode: object.SSES3, MasterKeyID: "0123456789abcdef", DataKey: "c2VhbGVk", Size: 3, Parts: []int64{1, 2}}

// testEncryptionMetadata checks that the S3 layer's encryption record is
// stored with objects and uploads as given, and listed.
func testEncryptionMetadata(t *testing.T, b object.Backend) {
	newBucket(t, b)
	enc := testEncryption
	putOpts(t, b, "k", "xyz", object.PutOptions{Size: 3, Metadata: object.Metadata{Encryption: &enc}})
	info, err := b.HeadObject(t.Context(), testBucket, "k")
	if err != nil || info.Encryption == nil || !reflect.DeepEqual(*info.Encryption, enc) {
		t.Fatalf("HeadObject: %v, encryption %+v, want %+v", err, info.Encryption, enc)
	}
	res, err := b.ListObjects(t.Context(), testBucket, object.ListOptions{})
	if err != nil || len(res.Objects) != 1 || res.Objects[0].Encryption == nil || !reflect.DeepEqual(*res.Objects[0].Encryption, enc) {
		t.Fatalf("ListObjects: %v %+v", err, res.Objects)
	}
	id := createUpload(t, b, "u", object.PutOptions{Size: -1, Metadata: object.Metadata{Encryption: &enc}})
	lp, err := b.ListParts(t.Context(), testBucket, "u", id, object.ListPartsOptions{})
	if err != nil || lp.Metadata.Encryption == nil || !reflect.DeepEqual(*lp.Metadata.Encryption, enc) {
		t.Fatalf("ListParts: %v, upload encryption %+v", err, lp.Metadata.Encryption)
	}
}

// testUpdateMetadata checks the optional MetadataUpdater: it replaces the
// metadata of the object with the given ETag, and nothing else.
func testUpdateMetadata(t *testing.T, b object.Backend) {
	u, ok := b.(object.MetadataUpdater)
	if !ok {
		t.Skip("backend cannot update metadata")
	}
	newBucket(t, b)
	info := putOpts(t, b, "k", "xyz", object.PutOptions{Size: 3, Metadata: object.Metadata{ContentType: "text/plain"}})
	enc := testEncryption
	enc.ETag = "plain"
	meta := object.Metadata{ContentType: "text/plain", Encryption: &enc}
	if err := u.UpdateMetadata(t.Context(), testBucket, "k", info.ETag, meta); err != nil {
		t.Fatalf("UpdateMetadata: %v", err)
	}
	got, err := b.HeadObject(t.Context(), testBucket, "k")
	if err != nil || !reflect.DeepEqual(got.Metadata, meta) || got.ETag != info.ETag || got.Size != 3 {
		t.Fatalf("after UpdateMetadata: %v %+v", err, got)
	}
	if data, _ := get(t, b, "k", nil); data != "xyz" {
		t.Fatalf("data after UpdateMetadata: %q", data)
	}
	// Another ETag (the object was replaced meanwhile) changes nothing.
	err = u.UpdateMetadata(t.Context(), testBucket, "k", "0123456789abcdef0123456789abcdef", object.Metadata{})
	wantErr(t, err, object.ErrObjectNotFound, "UpdateMetadata with a stale ETag")
	err = u.UpdateMetadata(t.Context(), testBucket, "missing", info.ETag, object.Metadata{})
	wantErr(t, err, object.ErrObjectNotFound, "UpdateMetadata of a missing key")
	if got, _ := b.HeadObject(t.Context(), testBucket, "k"); !reflect.DeepEqual(got.Metadata, meta) {
		t.Fatalf("a refused UpdateMetadata changed the metadata: %+v", got.Metadata)
	}
}

// testGetUpload checks the optional UploadDescriber.
func testGetUpload(t *testing.T, b object.Backend) {
	d, ok := b.(object.UploadDescriber)
	if !ok {
		t.Skip("backend cannot describe an upload")
	}
	newBucket(t, b)
	enc := testEncryption
	id := createUpload(t, b, "u", object.PutOptions{Size: -1, Metadata: object.Metadata{ContentType: "a/b", Encryption: &enc}})
	up, err := d.GetUpload(t.Context(), testBucket, "u", id)
	if err != nil || up.Key != "u" || up.UploadID != id || up.Metadata.ContentType != "a/b" || !reflect.DeepEqual(*up.Metadata.Encryption, enc) {
		t.Fatalf("GetUpload: %v %+v", err, up)
	}
	_, err = d.GetUpload(t.Context(), testBucket, "other", id)
	wantErr(t, err, object.ErrUploadNotFound, "GetUpload under another key")
	if err := b.AbortMultipartUpload(t.Context(), testBucket, "u", id); err != nil {
		t.Fatal(err)
	}
	_, err = d.GetUpload(t.Context(), testBucket, "u", id)
	wantErr(t, err, object.ErrUploadNotFound, "GetUpload after abort")
}
