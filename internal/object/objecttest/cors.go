package objecttest

import (
	"bytes"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

// testConfigCORSDocument checks what the S3 layer's CORS support needs of
// BucketConfigs: a document of 100 rules, over the 64 KiB the S3 layer
// accepts, comes back byte for byte, and a replaced one leaves no
// trace of the longer one before it.
func testConfigCORSDocument(t *testing.T, b object.Backend) {
	cb, ok := b.(object.BucketConfigs)
	if !ok {
		t.Skip("backend has no bucket configurations")
	}
	ctx := t.Context()
	newBucket(t, b)
	rule := "<CORSRule><AllowedOrigin>https://" + string(bytes.Repeat([]byte("a"), 900)) +
		".example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
	big := []byte("<CORSConfiguration>" + string(bytes.Repeat([]byte(rule), 100)) + "</CORSConfiguration>")
	if err := cb.PutBucketConfig(ctx, testBucket, object.ConfigCORS, big); err != nil {
		t.Fatalf("PutBucketConfig of %d bytes: %v", len(big), err)
	}
	if got, err := cb.GetBucketConfig(ctx, testBucket, object.ConfigCORS); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("GetBucketConfig = %d bytes, %v; want the %d bytes put", len(got), err, len(big))
	}
	small := []byte("<CORSConfiguration>" + rule + "</CORSConfiguration>")
	if err := cb.PutBucketConfig(ctx, testBucket, object.ConfigCORS, small); err != nil {
		t.Fatalf("PutBucketConfig: %v", err)
	}
	if got, err := cb.GetBucketConfig(ctx, testBucket, object.ConfigCORS); err != nil || !bytes.Equal(got, small) {
		t.Fatalf("GetBucketConfig after a shorter replacement = %d bytes, %v; want %d", len(got), err, len(small))
	}
}
