package s3

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/sesame-s3/sesame/internal/iam"
)

// Request headers that ask for a feature Sesame does not have: DSSE-KMS,
// ACLs, storage classes, website redirects (Object Lock headers are
// objectlock.go's: refused where the backend or bucket lacks it). A request
// carrying one is refused before anything is read or written, never served
// as if the header were absent: a client must not believe its data is
// encrypted, locked or shared when it is not. docs/S3.md lists each
// decision. A header sent with an empty value counts as absent.

// Server-side encryption headers. The customer-key (SSE-C) names follow
// "X-Amz-" for the object written or read, "X-Amz-Copy-Source-" for the
// source of a copy.
const (
	hdrSSE          = "X-Amz-Server-Side-Encryption"
	hdrSSEKMSKeyID  = "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"
	hdrSSEContext   = "X-Amz-Server-Side-Encryption-Context"
	hdrSSEBucketKey = "X-Amz-Server-Side-Encryption-Bucket-Key-Enabled"
	sseCAlgorithm   = "Server-Side-Encryption-Customer-Algorithm"
	sseCKey         = "Server-Side-Encryption-Customer-Key"
	sseCKeyMD5      = "Server-Side-Encryption-Customer-Key-Md5"
)

// cannedACLs are the values of x-amz-acl that S3 knows.
var cannedACLs = []string{
	"private", "public-read", "public-read-write", "authenticated-read",
	"aws-exec-read", "bucket-owner-read", "bucket-owner-full-control", "log-delivery-write",
}

// Errors of refused headers.
var (
	// errSSECNotApplicable answers customer-key headers that name an
	// existing object or upload not stored with SSE-C (S3's answer).
	errSSECNotApplicable = ErrInvalidRequest.WithMessage("The encryption parameters are not applicable to this object.")
	errWebsiteRedirect   = ErrNotImplemented.WithMessage("Website redirects (x-amz-website-redirect-location) are not implemented by this server.")
	errAppend            = ErrNotImplemented.WithMessage("Appending to an object (x-amz-write-offset-bytes) is not implemented by this server.")
	errStorageClass      = ErrInvalidStorageClass.WithMessage("The storage class you specified is not valid: this server stores every object as STANDARD.")
	errObjectACL         = ErrAccessControlListNotSupported.WithMessage("The bucket does not allow ACLs: only the canned ACLs private and bucket-owner-full-control are accepted.")
	errBucketACL         = ErrInvalidBucketACLWithObjectOwnership.WithMessage("Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting: only the canned ACLs private and bucket-owner-full-control are accepted.")
)

// withQueryHeaders returns h with the x-amz-* parameters of query added as
// headers (after any header of the same name). S3 takes them so, and
// presigners such as aws-sdk-js-v3's move x-amz-acl, x-amz-storage-class,
// x-amz-tagging, ... into a presigned URL's query: a refusal that looked
// at the headers alone would let them through unheeded.
func withQueryHeaders(h http.Header, query url.Values) http.Header {
	var out http.Header
	for k, v := range query {
		if len(k) < 6 || !strings.EqualFold(k[:6], "x-amz-") {
			continue
		}
		if out == nil {
			out = h.Clone()
		}
		ck := http.CanonicalHeaderKey(k)
		out[ck] = append(out[ck], v...)
	}
	if out == nil {
		return h
	}
	return out
}

// values returns every non-empty value of the header name: one sent
// twice, or as a header and a query parameter, is checked whole, so that
// an accepted first value cannot hide a refused second one.
func values(h http.Header, name string) []string {
	var out []string
	for _, v := range h.Values(name) {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// hasAny reports whether h has a non-empty value for any of names.
func hasAny(h http.Header, names ...string) bool {
	for _, n := range names {
		if len(values(h, n)) > 0 {
			return true
		}
	}
	return false
}

// hasPrefix reports whether h has a non-empty header whose canonical name
// starts with prefix.
func hasPrefix(h http.Header, prefix string) bool {
	for name := range h {
		if strings.HasPrefix(name, prefix) && len(values(h, name)) > 0 {
			return true
		}
	}
	return false
}

// checkObjectWriteHeaders refuses the headers of a request that creates
// an object (PutObject, CopyObject, CreateMultipartUpload) asking for a
// feature this server lacks.
func checkObjectWriteHeaders(h http.Header) error {
	// Encryption headers are read by writeEncryption (sse.go).
	switch {
	case hasAny(h, "X-Amz-Website-Redirect-Location"):
		return errWebsiteRedirect
	case hasAny(h, "X-Amz-Write-Offset-Bytes"):
		return errAppend
	}
	for _, v := range values(h, "X-Amz-Storage-Class") {
		if v != "STANDARD" {
			return errStorageClass
		}
	}
	if err := checkCannedACL(h, errObjectACL); err != nil {
		return err
	}
	if hasPrefix(h, "X-Amz-Grant-") {
		return errObjectACL
	}
	return nil
}

// checkCannedACL accepts x-amz-acl private and bucket-owner-full-control
// (true of every object and bucket here: one owner, no ACLs), refuses the
// other canned ACLs with refused and an unknown value with InvalidArgument.
func checkCannedACL(h http.Header, refused *APIError) error {
	for _, v := range values(h, "X-Amz-Acl") {
		switch {
		case v == "private" || v == "bucket-owner-full-control":
		case slices.Contains(cannedACLs, v):
			return refused
		default:
			return ErrInvalidArgument.WithMessage("The x-amz-acl header must name a canned ACL (%s).", strings.Join(cannedACLs, ", "))
		}
	}
	return nil
}

// checkBucketCreateHeaders refuses the headers of CreateBucket asking for
// ACLs or an invalid x-amz-bucket-object-lock-enabled (objectLockRequested
// acts on a valid one).
func checkBucketCreateHeaders(h http.Header) error {
	if err := checkCannedACL(h, errBucketACL); err != nil {
		return err
	}
	if hasPrefix(h, "X-Amz-Grant-") {
		return errBucketACL
	}
	for _, v := range values(h, "X-Amz-Bucket-Object-Lock-Enabled") {
		switch strings.ToLower(v) {
		case "false", "true": // true: objectLockRequested
		default:
			return ErrInvalidArgument.WithMessage("The x-amz-bucket-object-lock-enabled header must be true or false.")
		}
	}
	for _, v := range values(h, "X-Amz-Object-Ownership") {
		switch v {
		case "BucketOwnerEnforced":
		case "BucketOwnerPreferred", "ObjectWriter":
			return ErrNotImplemented.WithMessage("Object ownership %s is not implemented by this server: ACLs are disabled and the bucket owner owns every object (BucketOwnerEnforced).", v)
		default:
			return ErrInvalidArgument.WithMessage("The x-amz-object-ownership header must be BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter.")
		}
	}
	return nil
}

// hasSSEC reports whether h has a customer-key header with prefix
// ("X-Amz-" or "X-Amz-Copy-Source-").
func hasSSEC(h http.Header, prefix string) bool {
	return hasAny(h, prefix+sseCAlgorithm, prefix+sseCKey, prefix+sseCKeyMD5)
}

// checkSSECNotApplicable refuses customer-key headers (with prefix, as
// for hasSSEC) on a request that reads an existing object or adds to an
// upload: nothing here is stored with SSE-C, and serving plaintext to a
// client that believes it encrypted would mislead it.
func checkSSECNotApplicable(h http.Header, prefix string) error {
	if hasSSEC(h, prefix) {
		return errSSECNotApplicable
	}
	return nil
}

// checkExpectedOwner refuses a request whose x-amz-expected-bucket-owner
// or x-amz-source-expected-bucket-owner names another account than this
// server's only one, as S3 does for a bucket owned by someone else.
func checkExpectedOwner(h http.Header) error {
	for _, name := range []string{"X-Amz-Expected-Bucket-Owner", "X-Amz-Source-Expected-Bucket-Owner"} {
		for _, v := range values(h, name) {
			if v != iam.AccountID {
				return ErrAccessDenied
			}
		}
	}
	return nil
}
