package s3

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"

	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/sse"
)

// Server-side encryption in the S3 layer (docs/ENCRYPTION.md): object data
// is encrypted before it reaches the backend and decrypted after, so every
// backend stores only ciphertext and the object.Encryption record that
// describes it.

// Errors of server-side encryption.
var (
	ErrInvalidEncryptionAlgorithm = &APIError{Code: "InvalidEncryptionAlgorithmError", Message: "The Encryption request you specified is not valid. Supported value: AES256.", Status: http.StatusBadRequest}

	errDSSEKMS    = ErrNotImplemented.WithMessage("Dual-layer server-side encryption (DSSE-KMS) is not implemented by this server: use aws:kms, AES256 (SSE-S3) or customer-provided keys (SSE-C).")
	errKMSContext = ErrNotImplemented.WithMessage("An SSE-KMS encryption context is not implemented by this server.")
	errKMSNoKeyID = ErrInvalidArgument.WithMessage("Server Side Encryption with KMS managed key requires HTTP header x-amz-server-side-encryption-aws-kms-key-id naming a key: this server has no default KMS key (use AES256 for SSE-S3).")
	// ErrKMSNotFound answers an SSE-KMS key id the server's keyring lacks.
	ErrKMSNotFound     = &APIError{Code: "KMS.NotFoundException", Message: "Invalid keyId.", Status: http.StatusBadRequest}
	errSSENoKeys       = ErrNotImplemented.WithMessage("Server-side encryption (SSE-S3) is not configured on this server: it has no master key.")
	errSSECInsecure    = ErrInvalidRequest.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.")
	errSSECMissing     = ErrInvalidRequest.WithMessage("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
	errSSECWrongKey    = ErrAccessDenied.WithMessage("The provided customer encryption key does not match the key the object was stored with.")
	errSSECUploadKey   = ErrInvalidRequest.WithMessage("The provided customer encryption key does not match the key the multipart upload was initiated with.")
	errSSEHeaderOnRead = ErrInvalidArgument.WithMessage("The x-amz-server-side-encryption header is not supported for this operation: an SSE-S3 object is decrypted without it.")
	errSSEStored       = errors.New("s3: stored encrypted data does not authenticate")
)

// customerKey is the SSE-C key of a request.
type customerKey struct {
	key []byte
	md5 string // base64, as sent
}

// parseCustomerKey reads the SSE-C headers with prefix ("X-Amz-" or
// "X-Amz-Copy-Source-"); nil when there are none.
func (a *API) parseCustomerKey(req *request, prefix string) (*customerKey, error) {
	if !hasSSEC(req.amz, prefix) {
		return nil, nil
	}
	alg, k64, sum := req.amz.Get(prefix+sseCAlgorithm), req.amz.Get(prefix+sseCKey), req.amz.Get(prefix+sseCKeyMD5)
	switch {
	case alg == "":
		return nil, ErrInvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.")
	case alg != "AES256":
		return nil, ErrInvalidEncryptionAlgorithm
	case k64 == "":
		return nil, ErrInvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.")
	case sum == "":
		return nil, ErrInvalidArgument.WithMessage("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.")
	}
	key, err := base64.StdEncoding.DecodeString(k64)
	if err != nil || len(key) != sse.KeySize {
		return nil, ErrInvalidArgument.WithMessage("The secret key was invalid for the specified algorithm.")
	}
	got := md5.Sum(key)
	want, err := base64.StdEncoding.DecodeString(sum)
	if err != nil || subtle.ConstantTimeCompare(got[:], want) != 1 {
		return nil, ErrInvalidArgument.WithMessage("The calculated MD5 hash of the key did not match the hash that was provided.")
	}
	if req.TLS == nil && !a.sseCInsecure {
		return nil, errSSECInsecure
	}
	return &customerKey{key: key, md5: base64.StdEncoding.EncodeToString(got[:])}, nil
}

// writeEncryption decides how an object write (PutObject, CopyObject's
// destination, CreateMultipartUpload) is encrypted: from its headers, else
// from the bucket's default encryption. It returns a fresh record and data
// key, or nil when the object is stored in clear.
func (a *API) writeEncryption(req *request) (*object.Encryption, sse.Key, error) {
	var dk sse.Key
	if hasAny(req.amz, hdrSSE) && hasSSEC(req.amz, "X-Amz-") {
		return nil, dk, ErrInvalidArgument.WithMessage("Server Side Encryption with Customer provided key is incompatible with the encryption method specified.")
	}
	mode, keyID := "", ""
	for _, v := range values(req.amz, hdrSSE) {
		switch v {
		case "AES256":
			mode = object.SSES3
		case "aws:kms":
			mode = object.SSEKMS
		case "aws:kms:dsse":
			return nil, dk, errDSSEKMS
		default:
			return nil, dk, ErrInvalidArgument.WithMessage("The encryption method specified is not supported.")
		}
	}
	if mode != object.SSEKMS && hasAny(req.amz, hdrSSEKMSKeyID, hdrSSEContext) {
		return nil, dk, ErrInvalidArgument.WithMessage("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms.")
	}
	if mode == object.SSEKMS {
		if hasAny(req.amz, hdrSSEContext) {
			return nil, dk, errKMSContext
		}
		if keyID = req.amz.Get(hdrSSEKMSKeyID); keyID == "" {
			return nil, dk, errKMSNoKeyID
		}
	}
	ck, err := a.parseCustomerKey(req, "X-Amz-")
	if err != nil {
		return nil, dk, err
	}
	if ck != nil {
		mode = object.SSEC
	}
	if mode == "" {
		if mode, keyID, err = a.defaultEncryption(req.Context(), req.bucket); err != nil || mode == "" {
			return nil, dk, err
		}
	}
	if dk, err = sse.NewDataKey(rand.Reader); err != nil {
		return nil, dk, err
	}
	enc := &object.Encryption{Mode: mode, Size: -1}
	if mode == object.SSEC {
		enc.CustomerKeyMD5 = ck.md5
		enc.DataKey, err = sse.SealKey(sse.CustomerKEK(ck.key), dk, sealLabel(mode), rand.Reader)
		return enc, dk, err
	}
	if a.sseKeys == nil {
		return nil, dk, errSSENoKeys
	}
	mk := a.sseKeys.Active()
	if mode == object.SSEKMS {
		if mk, err = a.kmsKey(keyID); err != nil {
			return nil, dk, err
		}
	}
	enc.MasterKeyID = mk.ID
	enc.DataKey, err = sse.SealKey(mk.Key, dk, sealLabel(mode), rand.Reader)
	return enc, dk, err
}

func sealLabel(mode string) string { return "sesame " + mode + " data key" }

// dataKey opens the data key of an encrypted object or upload with the
// request's customer key (headers with prefix) when it is SSE-C. A request
// with customer-key headers for an object that is not SSE-C is refused.
// forUpload picks the error of a mismatched key: an upload's parts must use
// the upload's key (400), a read of an object its key (403).
func (a *API) dataKey(req *request, enc *object.Encryption, prefix string, forUpload bool) (sse.Key, error) {
	var dk sse.Key
	if enc == nil || enc.Mode != object.SSEC {
		if hasSSEC(req.amz, prefix) {
			return dk, errSSECNotApplicable
		}
		if enc == nil {
			return dk, nil
		}
	}
	ck, err := a.parseCustomerKey(req, prefix)
	if err != nil {
		return dk, err
	}
	switch enc.Mode {
	case object.SSEC:
		if ck == nil {
			return dk, errSSECMissing
		}
		wrong := errSSECWrongKey
		if forUpload {
			wrong = errSSECUploadKey
		}
		if subtle.ConstantTimeCompare([]byte(ck.md5), []byte(enc.CustomerKeyMD5)) != 1 {
			return dk, wrong
		}
		if dk, err = sse.OpenKey(sse.CustomerKEK(ck.key), enc.DataKey, sealLabel(enc.Mode)); err != nil {
			return dk, wrong
		}
		return dk, nil
	case object.SSES3, object.SSEKMS:
		if a.sseKeys == nil {
			return dk, errSSENoKeys
		}
		mk, err := a.sseKeys.Get(enc.MasterKeyID)
		if err != nil {
			return dk, err
		}
		if dk, err = sse.OpenKey(mk.Key, enc.DataKey, sealLabel(enc.Mode)); err != nil {
			return dk, fmt.Errorf("s3: open SSE-S3 data key: %w", err)
		}
		return dk, nil
	}
	return dk, fmt.Errorf("s3: unknown encryption mode %q", enc.Mode)
}

// setSSEHeaders reports an object's encryption as S3 does.
func setSSEHeaders(h http.Header, enc *object.Encryption) {
	if enc == nil {
		return
	}
	switch enc.Mode {
	case object.SSES3:
		h.Set(hdrSSE, "AES256")
	case object.SSEKMS:
		h.Set(hdrSSE, "aws:kms")
		h.Set(hdrSSEKMSKeyID, enc.MasterKeyID)
	case object.SSEC:
		h.Set("X-Amz-"+sseCAlgorithm, "AES256")
		h.Set("X-Amz-"+sseCKeyMD5, enc.CustomerKeyMD5)
	}
}

// encryptingBody wraps a plaintext body of size bytes (checked against
// wantMD5 when set) so that the backend receives its segment. The
// returned digest holds the plaintext MD5 once the body is read.
func encryptingBody(dk sse.Key, body io.Reader, size int64, wantMD5 []byte) (io.Reader, hash.Hash, error) {
	h := md5.New()
	e, err := sse.NewEncrypter(dk, body, size, rand.Reader, func(p []byte, final bool) error {
		h.Write(p)
		if final && wantMD5 != nil && subtle.ConstantTimeCompare(h.Sum(nil), wantMD5) != 1 {
			return object.ErrBadDigest
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return sentinelReader{e}, h, nil
}

// sentinelReader turns the encrypter's size errors into the backend's.
type sentinelReader struct{ r io.Reader }

func (s sentinelReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	switch {
	case errors.Is(err, sse.ErrShortBody):
		err = object.ErrIncompleteBody
	case errors.Is(err, sse.ErrLongBody):
		err = object.ErrTooLarge
	}
	return n, err
}

// putEncrypted stores body encrypted per enc; it returns the object info
// as the client sees it (plaintext ETag for SSE-S3).
func (a *API) putEncrypted(ctx context.Context, bucket, key string, enc *object.Encryption, dk sse.Key, body io.Reader, opts object.PutOptions) (object.ObjectInfo, error) {
	size := opts.Size
	r, digest, err := encryptingBody(dk, body, size, opts.MD5)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	enc.Size = size
	opts.Metadata.Encryption = enc
	opts.Size, opts.MD5 = sse.EncryptedSize(size), nil
	info, err := a.backend.PutObject(ctx, bucket, key, r, opts)
	if err != nil {
		return info, err
	}
	if enc.Mode == object.SSES3 {
		// Reported only once recorded, so that later reads agree.
		enc.ETag = hex.EncodeToString(digest.Sum(nil))
		if !a.recordEncryption(ctx, info, enc) {
			enc.ETag = ""
		}
	}
	return plainInfo(info, size), nil
}

// recordEncryption stores what was learned after the write (plaintext
// ETag, sizes) when the backend can update metadata, and reports whether
// it did; best effort, since readers derive sizes again without it.
func (a *API) recordEncryption(ctx context.Context, info object.ObjectInfo, enc *object.Encryption) bool {
	u, ok := a.backend.(object.MetadataUpdater)
	if !ok {
		return false
	}
	meta := info.Metadata
	meta.Encryption = enc
	err := u.UpdateMetadata(ctx, info.Bucket, info.Key, info.ETag, meta)
	if err != nil && !errors.Is(err, object.ErrObjectNotFound) {
		a.log.WarnContext(ctx, "sse: recording encryption metadata failed", "bucket", info.Bucket, "key", info.Key, "err", err)
	}
	return err == nil
}

// plainInfo is info as the client sees an encrypted object of size
// plaintext bytes.
func plainInfo(info object.ObjectInfo, size int64) object.ObjectInfo {
	if enc := info.Encryption; enc != nil {
		info.Size = size
		if enc.ETag != "" {
			info.ETag = enc.ETag
		}
	}
	return info
}

// segment is one segment of an encrypted object.
type segment struct {
	off    int64 // of its header in the stored object
	header sse.Header
}

// segments reads the segment headers of an encrypted object: one for a
// single PUT, one per part after a multipart upload.
func (a *API) segments(ctx context.Context, info object.ObjectInfo) ([]segment, error) {
	var segs []segment
	for off := int64(0); off < info.Size; {
		rd, err := a.readAt(ctx, info, &object.Range{First: off, Last: off + sse.HeaderSize - 1})
		if err != nil {
			return nil, err
		}
		buf := make([]byte, sse.HeaderSize)
		_, err = io.ReadFull(rd, buf)
		etag := rd.Info.ETag
		rd.Close()
		if err != nil {
			return nil, err
		}
		if etag != info.ETag {
			return nil, fmt.Errorf("s3: %s/%s changed while read: %w", info.Bucket, info.Key, object.ErrObjectNotFound)
		}
		h, err := sse.ParseHeader(buf)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errSSEStored, err)
		}
		segs = append(segs, segment{off: off, header: h})
		off += sse.EncryptedSize(h.Size)
		if off > info.Size || len(segs) > object.MaxPartNumber {
			return nil, errSSEStored
		}
	}
	if len(segs) == 0 {
		return nil, errSSEStored
	}
	return segs, nil
}

// plainSize returns the plaintext size of an encrypted object.
func (a *API) plainSize(ctx context.Context, info object.ObjectInfo) (int64, error) {
	enc := info.Encryption
	if enc.Size >= 0 {
		return enc.Size, nil
	}
	if !strings.Contains(info.ETag, "-") {
		if n, ok := sse.PlainSize(info.Size); ok {
			return n, nil
		}
	}
	segs, err := a.segments(ctx, info)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, s := range segs {
		n += s.header.Size
	}
	return n, nil
}

// objectSource opens and describes the object a read is about: the
// request's own (with its versionId) or a copy source.
type objectSource struct {
	open func(rg *object.Range) (*object.Reader, error)
	head func() (object.ObjectInfo, error)
}

// readAt opens a range of exactly the object version info describes, so
// the segments of an encrypted object are read from the version whose
// header was read, even if the key has been overwritten since.
func (a *API) readAt(ctx context.Context, info object.ObjectInfo, rg *object.Range) (*object.Reader, error) {
	if v := a.versionedBackend(); v != nil && info.VersionID != "" {
		return v.GetObjectVersion(ctx, info.Bucket, info.Key, info.VersionID, object.GetOptions{Range: rg})
	}
	return a.backend.GetObject(ctx, info.Bucket, info.Key, object.GetOptions{Range: rg})
}

// headPlain describes an object as the client sees it, checking the
// request's SSE headers against how it is stored.
func (a *API) headPlain(req *request, src objectSource, prefix string) (object.ObjectInfo, error) {
	info, err := src.head()
	if err != nil {
		return info, err
	}
	if err := checkReadSSE(req, prefix); err != nil {
		return info, err
	}
	if _, err := a.dataKey(req, info.Encryption, prefix, false); err != nil {
		return info, err
	}
	if info.Encryption == nil {
		return info, nil
	}
	size, err := a.plainSize(req.Context(), info)
	return plainInfo(info, size), err
}

// checkReadSSE refuses x-amz-server-side-encryption on a read (S3 answers
// 400: SSE-S3 objects are decrypted without asking).
func checkReadSSE(req *request, prefix string) error {
	if prefix == "X-Amz-" && hasAny(req.amz, hdrSSE) {
		return errSSEHeaderOnRead
	}
	return nil
}

// openPlain opens bucket/key for reading as the client sees it: plaintext
// bytes of the range rg (nil: all), decrypted when the object is stored
// encrypted (with the customer key of the headers with prefix for SSE-C).
func (a *API) openPlain(req *request, src objectSource, rg *object.Range, prefix string) (*object.Reader, error) {
	ctx := req.Context()
	if err := checkReadSSE(req, prefix); err != nil {
		return nil, err
	}
	rd, err := src.open(rg)
	var info object.ObjectInfo
	switch {
	case err == nil && rd.Info.Encryption == nil:
		if _, err := a.dataKey(req, nil, prefix, false); err != nil {
			rd.Close()
			return nil, err
		}
		return rd, nil
	case err == nil:
		info = rd.Info
		rd.Close()
	case rg != nil && errors.Is(err, object.ErrInvalidRange):
		// The plaintext range may fit an encrypted object's plaintext.
		if info, err = src.head(); err != nil {
			return nil, err
		}
		if info.Encryption == nil {
			if _, err := a.dataKey(req, nil, prefix, false); err != nil {
				return nil, err
			}
			return nil, rangeError(req, prefix, info.Size)
		}
	default:
		return nil, err
	}
	dk, err := a.dataKey(req, info.Encryption, prefix, false)
	if err != nil {
		return nil, err
	}
	return a.decrypt(ctx, info, dk, rg, req, prefix)
}

// rangeError answers an unsatisfiable range of an object of size bytes.
func rangeError(req *request, prefix string, size int64) error {
	if prefix == "X-Amz-" {
		req.w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
	}
	return object.ErrInvalidRange
}

// decrypt returns a reader of the plaintext range rg of the encrypted
// object info (as stored), opening only the chunks it needs.
func (a *API) decrypt(ctx context.Context, info object.ObjectInfo, dk sse.Key, rg *object.Range, req *request, prefix string) (*object.Reader, error) {
	// The segments' sizes come from the record when it has them (their
	// headers are then read only for the segments the range needs), else
	// from reading every header.
	segs, headersRead := recordedSegments(info), false
	if segs == nil {
		var err error
		if segs, err = a.segments(ctx, info); err != nil {
			return nil, err
		}
		headersRead = true
	}
	size := int64(0)
	for _, s := range segs {
		size += s.header.Size
	}
	first, length := int64(0), size
	if rg != nil {
		var ok bool
		if first, length, ok = resolveRange(*rg, size); !ok {
			return nil, rangeError(req, prefix, size)
		}
	}
	out := &object.Reader{Info: plainInfo(info, size), Offset: first, Length: length}
	var parts []io.Reader
	var closers []io.Closer
	pos := int64(0) // plaintext offset of the segment
	for _, s := range segs {
		segEnd := pos + s.header.Size
		if length > 0 && segEnd > first && pos < first+length {
			lo := max(first, pos) - pos
			n := min(first+length, segEnd) - pos - lo
			parts = append(parts, &lazySegment{a: a, ctx: ctx, info: info, seg: s, needHeader: !headersRead,
				sp: sse.SpanOf(s.header.Size, lo, n), dk: dk, lo: lo, n: n, closers: &closers})
		}
		pos = segEnd
	}
	out.ReadCloser = &multiCloser{Reader: io.MultiReader(parts...), closers: &closers}
	return out, nil
}

// lazySegment opens and decrypts one segment's wanted chunks on first read.
type lazySegment struct {
	a          *API
	ctx        context.Context
	info       object.ObjectInfo
	seg        segment
	needHeader bool // header not read yet
	sp         sse.Span
	dk         sse.Key
	lo, n      int64
	r          io.Reader
	closers    *[]io.Closer
}

func (l *lazySegment) Read(p []byte) (int, error) {
	if l.r == nil {
		if err := l.open(); err != nil {
			return 0, err
		}
	}
	n, err := l.r.Read(p)
	if errors.Is(err, sse.ErrAuth) {
		err = fmt.Errorf("%w: %s/%s", errSSEStored, l.info.Bucket, l.info.Key)
	}
	return n, err
}

func (l *lazySegment) open() error {
	h := l.seg.header
	if l.needHeader {
		// Read with the chunks when they start the segment, else on its own.
		n := int64(sse.HeaderSize)
		if l.sp.Offset == sse.HeaderSize {
			n += l.sp.Length
		}
		rd, err := l.get(l.seg.off, n)
		if err != nil {
			return err
		}
		buf := make([]byte, sse.HeaderSize)
		if _, err := io.ReadFull(rd, buf); err != nil {
			return err
		}
		if h, err = sse.ParseHeader(buf); err != nil || h.Size != l.seg.header.Size {
			return errSSEStored
		}
		if n > sse.HeaderSize {
			l.r = sse.NewDecrypter(l.dk, h, rd, l.lo, l.n)
			return nil
		}
	}
	rd, err := l.get(l.seg.off+l.sp.Offset, l.sp.Length)
	if err != nil {
		return err
	}
	l.r = sse.NewDecrypter(l.dk, h, rd, l.lo, l.n)
	return nil
}

// get opens n stored bytes at off, checking the object is still the one described.
func (l *lazySegment) get(off, n int64) (io.Reader, error) {
	rd, err := l.a.readAt(l.ctx, l.info, &object.Range{First: off, Last: off + n - 1})
	if err != nil {
		return nil, err
	}
	*l.closers = append(*l.closers, rd)
	if rd.Info.ETag != l.info.ETag {
		return nil, fmt.Errorf("s3: %s/%s changed while read: %w", l.info.Bucket, l.info.Key, errSSEStored)
	}
	return rd, nil
}

type multiCloser struct {
	io.Reader
	closers *[]io.Closer
}

func (m *multiCloser) Close() error {
	for _, c := range *m.closers {
		c.Close()
	}
	return nil
}

// uploadEncryption returns the encryption of the request's multipart
// upload and its data key, checking the request's SSE-C headers against it.
// CompleteMultipartUpload needs no key (keyOptional): its customer-key
// headers are checked only when sent.
func (a *API) uploadEncryption(req *request, keyOptional bool) (*object.Encryption, sse.Key, error) {
	ctx, id := req.Context(), req.query.Get("uploadId")
	var up object.Upload
	var err error
	if d, ok := a.backend.(object.UploadDescriber); ok {
		up, err = d.GetUpload(ctx, req.bucket, req.key, id)
	} else {
		var res object.ListPartsResult
		res, err = a.backend.ListParts(ctx, req.bucket, req.key, id, object.ListPartsOptions{MaxParts: 1})
		up = res.Upload
	}
	if keyOptional && errors.Is(err, object.ErrUploadNotFound) {
		// A completion of an upload that is gone: the backend answers a
		// retried completion with the object it made, or NoSuchUpload.
		return nil, sse.Key{}, nil
	}
	if err != nil {
		return nil, sse.Key{}, err
	}
	if keyOptional && !hasSSEC(req.amz, "X-Amz-") {
		return up.Metadata.Encryption, sse.Key{}, nil
	}
	dk, err := a.dataKey(req, up.Metadata.Encryption, "X-Amz-", true)
	return up.Metadata.Encryption, dk, err
}

// uploadPartBody stores one part, encrypted when the upload is.
func (a *API) uploadPartBody(req *request, n int, enc *object.Encryption, dk sse.Key, body io.Reader, opts object.PutOptions) (object.PartInfo, error) {
	id := req.query.Get("uploadId")
	if enc == nil {
		return a.backend.UploadPart(req.Context(), req.bucket, req.key, id, n, body, opts)
	}
	r, _, err := encryptingBody(dk, body, opts.Size, opts.MD5)
	if err != nil {
		return object.PartInfo{}, err
	}
	size := opts.Size
	opts.Size, opts.MD5 = sse.EncryptedSize(size), nil
	part, err := a.backend.UploadPart(req.Context(), req.bucket, req.key, id, n, r, opts)
	part.Size = size
	return part, err
}

// recordPlainSize records the plaintext size of a completed encrypted
// upload (best effort: readers derive it from the data otherwise).
func (a *API) recordPlainSize(ctx context.Context, info object.ObjectInfo) {
	if info.Encryption == nil {
		return
	}
	if _, ok := a.backend.(object.MetadataUpdater); !ok {
		return
	}
	segs, err := a.segments(ctx, info)
	if err != nil {
		a.log.WarnContext(ctx, "sse: reading a completed upload's sizes failed", "bucket", info.Bucket, "key", info.Key, "err", err)
		return
	}
	enc := *info.Encryption
	enc.Size, enc.Parts = 0, nil
	for _, s := range segs {
		enc.Size += s.header.Size
		enc.Parts = append(enc.Parts, s.header.Size)
	}
	a.recordEncryption(ctx, info, &enc)
}

// plainListing turns the stored sizes and ETags of the encrypted objects
// of a listing into what clients see.
func (a *API) plainListing(ctx context.Context, objs []object.ObjectInfo) error {
	for i, o := range objs {
		if o.Encryption == nil {
			continue
		}
		size, err := a.plainSize(ctx, o)
		if err != nil {
			return err
		}
		objs[i] = plainInfo(o, size)
	}
	return nil
}

// plainPartSize is the plaintext size of a part of up stored in size bytes.
func plainPartSize(up object.Upload, size int64) int64 {
	if up.Metadata.Encryption == nil {
		return size
	}
	if n, ok := sse.PlainSize(size); ok {
		return n
	}
	return size
}

// kmsKey returns the master key an SSE-KMS request names: the server's
// keyring is its key management service.
func (a *API) kmsKey(id string) (sse.MasterKey, error) {
	if a.sseKeys == nil {
		return sse.MasterKey{}, errSSENoKeys
	}
	mk, err := a.sseKeys.Get(strings.TrimPrefix(id, "alias/"))
	if err != nil {
		return mk, ErrKMSNotFound.WithMessage("Invalid keyId %s: this server's keyring has no such key.", id)
	}
	return mk, nil
}

// recordedSegments returns the segments of an encrypted object as its
// record describes them (headers not read), or nil when it does not.
func recordedSegments(info object.ObjectInfo) []segment {
	enc := info.Encryption
	sizes := enc.Parts
	if len(sizes) == 0 {
		if enc.Size < 0 || strings.Contains(info.ETag, "-") {
			return nil
		}
		sizes = []int64{enc.Size}
	}
	segs := make([]segment, 0, len(sizes))
	off := int64(0)
	for _, n := range sizes {
		segs = append(segs, segment{off: off, header: sse.Header{Size: n}})
		off += sse.EncryptedSize(n)
	}
	if off != info.Size {
		return nil // not this data's record: read the headers
	}
	return segs
}
