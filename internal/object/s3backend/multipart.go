package s3backend

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sesame-s3/sesame/internal/object"
)

// Multipart uploads are the upstream's own: the upload IDs are the
// upstream's, and every part streams straight through as an upstream part.

// CreateMultipartUpload starts an upstream upload with the metadata.
func (b *Backend) CreateMultipartUpload(ctx context.Context, bucket, key string, opts object.PutOptions) (string, error) {
	if err := check(bucket, key); err != nil {
		return "", err
	}
	if b.singleBucket() {
		if err := b.exists(ctx, bucket); err != nil {
			return "", err
		}
	}
	upBucket, upKey := b.loc(bucket, key)
	put := &s3.PutObjectInput{}
	setPutMetadata(put, opts.Metadata)
	in := &s3.CreateMultipartUploadInput{
		Bucket: aws.String(upBucket), Key: aws.String(upKey),
		ContentType: put.ContentType, ContentEncoding: put.ContentEncoding, ContentDisposition: put.ContentDisposition,
		ContentLanguage: put.ContentLanguage, CacheControl: put.CacheControl, Metadata: put.Metadata,
	}
	out, err := call(ctx, b, "CreateMultipartUpload", func(ctx context.Context) (*s3.CreateMultipartUploadOutput, error) {
		return b.client.CreateMultipartUpload(ctx, in, once, withExpires(opts.Metadata.Expires))
	})
	if err != nil {
		return "", err
	}
	id := aws.ToString(out.UploadId)
	if err := b.local.putUpload(bucket, id, recordOf(key, id, opts.Metadata, b.opts.Now().UTC())); err != nil {
		_ = b.AbortMultipartUpload(context.WithoutCancel(ctx), bucket, key, id)
		return "", err
	}
	return id, nil
}

// UploadPart streams one part upstream (a part of unknown size is
// spooled to the state directory first).
func (b *Backend) UploadPart(ctx context.Context, bucket, key, uploadID string, partNumber int, body io.Reader, opts object.PutOptions) (object.PartInfo, error) {
	if err := check(bucket, key); err != nil {
		return object.PartInfo{}, err
	}
	if partNumber < 1 || partNumber > object.MaxPartNumber {
		return object.PartInfo{}, object.ErrInvalidPartNumber
	}
	if uploadID == "" {
		return object.PartInfo{}, object.ErrUploadNotFound
	}
	if opts.Size > object.MaxPartSize {
		return object.PartInfo{}, object.ErrTooLarge
	}
	if opts.Size < 0 {
		f, n, err := spool(b.spoolDir(), body, object.MaxPartSize)
		if err != nil {
			return object.PartInfo{}, err
		}
		defer dropSpool(f)
		body, opts.Size = f, n
	}
	upBucket, upKey := b.loc(bucket, key)
	g := newGuard(ctx, body, opts.Size, opts.MD5, opts.Checksum)
	in := &s3.UploadPartInput{
		Bucket: aws.String(upBucket), Key: aws.String(upKey), UploadId: aws.String(uploadID),
		PartNumber: aws.Int32(int32(partNumber)), Body: g, ContentLength: aws.Int64(opts.Size),
	}
	if opts.MD5 != nil {
		in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(opts.MD5))
	}
	out, err := call(ctx, b, "UploadPart", func(ctx context.Context) (*s3.UploadPartOutput, error) {
		return b.client.UploadPart(ctx, in, once)
	})
	if err != nil {
		err = b.bodyFailure(g, err)
		if errors.Is(err, object.ErrUnavailable) {
			// An upstream that refuses a part may close the connection
			// before reading the body; whether the upload exists says why.
			if _, lerr := b.ListParts(ctx, bucket, key, uploadID, object.ListPartsOptions{MaxParts: 1}); errors.Is(lerr, object.ErrUploadNotFound) || errors.Is(lerr, object.ErrBucketNotFound) {
				return object.PartInfo{}, lerr
			}
		}
		return object.PartInfo{}, b.uploadNotFound(ctx, bucket, err)
	}
	etag := unquote(aws.ToString(out.ETag))
	// Recorded whether or not the part has a checksum: a part sent again
	// without one replaces one with.
	if err := b.local.putPart(bucket, uploadID, partNumber, partRecord{ETag: etag, Checksum: g.checksum}); err != nil {
		return object.PartInfo{}, fmt.Errorf("s3 backend: the part's record: %w", err)
	}
	return object.PartInfo{PartNumber: partNumber, ETag: etag, Size: opts.Size, ModTime: b.opts.Now().UTC(), Checksum: g.checksum}, nil
}

// ListParts lists the upload's parts.
func (b *Backend) ListParts(ctx context.Context, bucket, key, uploadID string, opts object.ListPartsOptions) (object.ListPartsResult, error) {
	if err := check(bucket, key); err != nil {
		return object.ListPartsResult{}, err
	}
	if uploadID == "" {
		return object.ListPartsResult{}, object.ErrUploadNotFound
	}
	upBucket, upKey := b.loc(bucket, key)
	in := &s3.ListPartsInput{Bucket: aws.String(upBucket), Key: aws.String(upKey), UploadId: aws.String(uploadID)}
	if opts.PartNumberMarker > 0 {
		in.PartNumberMarker = aws.String(strconv.Itoa(opts.PartNumberMarker))
	}
	if opts.MaxParts > 0 {
		in.MaxParts = aws.Int32(int32(opts.MaxParts))
	}
	out, err := call(ctx, b, "ListParts", func(ctx context.Context) (*s3.ListPartsOutput, error) {
		return b.client.ListParts(ctx, in)
	})
	if err != nil {
		return object.ListPartsResult{}, b.uploadNotFound(ctx, bucket, err)
	}
	rec := b.local.getUpload(bucket, uploadID)
	res := object.ListPartsResult{
		Upload:      object.Upload{Bucket: bucket, Key: key, UploadID: uploadID, Initiated: rec.Initiated, Metadata: rec.metadata()},
		IsTruncated: aws.ToBool(out.IsTruncated),
	}
	for _, p := range out.Parts {
		n, etag := int(aws.ToInt32(p.PartNumber)), unquote(aws.ToString(p.ETag))
		res.Parts = append(res.Parts, object.PartInfo{
			PartNumber: n, ETag: etag, Size: aws.ToInt64(p.Size), ModTime: aws.ToTime(p.LastModified).UTC(),
			Checksum: b.local.partChecksum(bucket, uploadID, n, etag),
		})
	}
	if res.IsTruncated && len(res.Parts) > 0 {
		// The last part listed, whatever marker the upstream suggests.
		res.NextPartNumberMarker = res.Parts[len(res.Parts)-1].PartNumber
	}
	return res, nil
}

// CompleteMultipartUpload completes the upstream upload.
func (b *Backend) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []object.CompletePart) (object.ObjectInfo, error) {
	if err := check(bucket, key); err != nil {
		return object.ObjectInfo{}, err
	}
	if uploadID == "" {
		return object.ObjectInfo{}, object.ErrUploadNotFound
	}
	if len(parts) == 0 {
		return object.ObjectInfo{}, object.ErrInvalidPart
	}
	for i := 1; i < len(parts); i++ {
		if parts[i].PartNumber <= parts[i-1].PartNumber {
			// Checked here too: not every upstream does.
			return object.ObjectInfo{}, object.ErrInvalidPartOrder
		}
	}
	rec := b.local.getUpload(bucket, uploadID)
	layout, err := b.layout(ctx, bucket, key, uploadID, rec, parts)
	if errors.Is(err, object.ErrUploadNotFound) {
		// A retry of a completion that succeeded gets the object it made.
		if info, herr := b.HeadObject(ctx, bucket, key); herr == nil {
			if orec, ok := b.local.getObject(bucket, key, info.ETag, info.Size); ok && orec.UploadID == uploadID && sameParts(orec.Parts, parts, info.ETag) {
				return info, nil
			}
		}
	}
	if err != nil {
		return object.ObjectInfo{}, err
	}
	var sum object.Checksum
	if alg := rec.Checksum.Algorithm; alg != "" {
		// Refused before the upstream completes, so nothing is stored.
		if sum, err = object.MultipartChecksum(alg, rec.Checksum.Type, layout); err != nil {
			return object.ObjectInfo{}, fmt.Errorf("s3 backend: %w: %w", err, object.ErrInvalidPart)
		}
	}
	upBucket, upKey := b.loc(bucket, key)
	done := &types.CompletedMultipartUpload{}
	for _, p := range parts {
		done.Parts = append(done.Parts, types.CompletedPart{PartNumber: aws.Int32(int32(p.PartNumber)), ETag: aws.String(`"` + unquote(p.ETag) + `"`)})
	}
	out, err := call(ctx, b, "CompleteMultipartUpload", func(ctx context.Context) (*s3.CompleteMultipartUploadOutput, error) {
		return b.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket: aws.String(upBucket), Key: aws.String(upKey), UploadId: aws.String(uploadID), MultipartUpload: done,
		}, once)
	})
	if err != nil {
		return object.ObjectInfo{}, b.uploadNotFound(ctx, bucket, err)
	}
	etag := unquote(aws.ToString(out.ETag))
	info, err := b.HeadObject(ctx, bucket, key)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	// The record matches what a HEAD reports (an upstream may report
	// another ETag than its completion's, gofakes3 does).
	if err := b.putRecord(bucket, objectRecord{Key: key, ETag: info.ETag, Size: info.Size, Checksum: sum, Parts: layout, Tags: rec.Tags, Encryption: rec.Encryption, UploadID: uploadID}); err != nil {
		return object.ObjectInfo{}, err
	}
	info.ETag = etag
	info.Checksum, info.Parts, info.Tags, info.Encryption = sum, layout, rec.Tags, rec.Encryption
	_ = b.local.dropUpload(bucket, uploadID)
	return info, nil
}

// sameParts reports whether parts are those that made an object of the
// layout and ETag: the same part numbers and, when the ETag is S3's
// multipart ETag, the MD5 of their MD5s.
func sameParts(layout []object.ObjectPart, parts []object.CompletePart, etag string) bool {
	if len(layout) != len(parts) {
		return false
	}
	h := md5.New()
	for i, p := range parts {
		if p.PartNumber != layout[i].PartNumber {
			return false
		}
		sum, err := hex.DecodeString(unquote(p.ETag))
		if err != nil || len(sum) != md5.Size {
			return false
		}
		h.Write(sum)
	}
	if _, n, ok := strings.Cut(etag, "-"); ok && n == strconv.Itoa(len(parts)) {
		return etag == hex.EncodeToString(h.Sum(nil))+"-"+n
	}
	return true
}

// layout returns the part layout of the object parts will make, with each
// part's recorded checksum of the upload's algorithm. The sizes are the
// upstream's (one ListParts a thousand parts); a part the upstream does
// not list, or lists with another ETag, is InvalidPart, as the upstream
// would answer.
func (b *Backend) layout(ctx context.Context, bucket, key, uploadID string, rec uploadRecord, parts []object.CompletePart) ([]object.ObjectPart, error) {
	type listed struct {
		etag string
		size int64
	}
	up := map[int]listed{}
	opts := object.ListPartsOptions{}
	for {
		page, err := b.ListParts(ctx, bucket, key, uploadID, opts)
		if err != nil {
			return nil, err
		}
		for _, p := range page.Parts {
			up[p.PartNumber] = listed{p.ETag, p.Size}
		}
		if !page.IsTruncated || page.NextPartNumberMarker <= opts.PartNumberMarker {
			break
		}
		opts.PartNumberMarker = page.NextPartNumberMarker
	}
	layout := make([]object.ObjectPart, len(parts))
	for i, p := range parts {
		l, ok := up[p.PartNumber]
		if !ok || l.etag != unquote(p.ETag) {
			return nil, fmt.Errorf("s3 backend: part %d: %w", p.PartNumber, object.ErrInvalidPart)
		}
		layout[i] = object.ObjectPart{PartNumber: p.PartNumber, Size: l.size}
		if alg := rec.Checksum.Algorithm; alg != "" {
			if c := b.local.partChecksum(bucket, uploadID, p.PartNumber, l.etag); c.Algorithm == alg {
				layout[i].Checksum = c.Value
			}
		}
	}
	return layout, nil
}

// AbortMultipartUpload aborts the upstream upload.
func (b *Backend) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	if err := check(bucket, key); err != nil {
		return err
	}
	if uploadID == "" {
		return object.ErrUploadNotFound
	}
	// Some upstreams (MinIO) answer 204 for any upload ID; S3 answers
	// NoSuchUpload for one that is not of this key, as the contract does.
	if _, err := b.ListParts(ctx, bucket, key, uploadID, object.ListPartsOptions{MaxParts: 1}); err != nil {
		return err
	}
	upBucket, upKey := b.loc(bucket, key)
	_, err := call(ctx, b, "AbortMultipartUpload", func(ctx context.Context) (*s3.AbortMultipartUploadOutput, error) {
		return b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(upBucket), Key: aws.String(upKey), UploadId: aws.String(uploadID)})
	})
	if err != nil {
		return b.uploadNotFound(ctx, bucket, err)
	}
	return b.local.dropUpload(bucket, uploadID)
}

// ListMultipartUploads lists the bucket's uploads.
func (b *Backend) ListMultipartUploads(ctx context.Context, bucket string, opts object.ListUploadsOptions) (object.ListUploadsResult, error) {
	if err := checkBucket(bucket); err != nil {
		return object.ListUploadsResult{}, err
	}
	if b.singleBucket() {
		if err := b.exists(ctx, bucket); err != nil {
			return object.ListUploadsResult{}, err
		}
	}
	upBucket, _ := b.loc(bucket, "")
	pfx := b.keyPrefix(bucket)
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(upBucket), Prefix: aws.String(pfx + opts.Prefix)}
	if opts.Delimiter != "" {
		in.Delimiter = aws.String(opts.Delimiter)
	}
	if opts.KeyMarker != "" {
		in.KeyMarker = aws.String(pfx + opts.KeyMarker)
		if opts.UploadIDMarker != "" {
			in.UploadIdMarker = aws.String(opts.UploadIDMarker)
		}
	}
	if opts.MaxUploads > 0 {
		in.MaxUploads = aws.Int32(int32(opts.MaxUploads))
	}
	out, err := call(ctx, b, "ListMultipartUploads", func(ctx context.Context) (*s3.ListMultipartUploadsOutput, error) {
		return b.client.ListMultipartUploads(ctx, in)
	})
	if err != nil {
		return object.ListUploadsResult{}, err
	}
	res := object.ListUploadsResult{IsTruncated: aws.ToBool(out.IsTruncated)}
	for _, u := range out.Uploads {
		if opts.KeyMarker != "" && opts.UploadIDMarker == "" && aws.ToString(u.Key) <= pfx+opts.KeyMarker {
			continue // an upstream that did not apply the marker
		}
		id := aws.ToString(u.UploadId)
		res.Uploads = append(res.Uploads, object.Upload{
			Bucket: bucket, Key: b.sesameKey(bucket, aws.ToString(u.Key)), UploadID: id,
			Initiated: aws.ToTime(u.Initiated).UTC(), Metadata: b.local.getUpload(bucket, id).metadata(),
		})
	}
	for _, cp := range out.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, b.sesameKey(bucket, aws.ToString(cp.Prefix)))
	}
	if res.IsTruncated {
		res.NextKeyMarker = b.sesameKey(bucket, aws.ToString(out.NextKeyMarker))
		res.NextUploadIDMarker = aws.ToString(out.NextUploadIdMarker)
	}
	return res, nil
}

// putLarge stores a body of known size past the largest single PUT as an
// upstream multipart upload, each part streamed from the body in turn.
func (b *Backend) putLarge(ctx context.Context, bucket, key string, body io.Reader, opts object.PutOptions) (object.ObjectInfo, error) {
	partSize := max(b.opts.PartSize, (opts.Size+object.MaxPartNumber-1)/object.MaxPartNumber)
	// The object is one PUT's to the client: it gets the whole body's
	// checksum (below), no part layout and no multipart checksum.
	upOpts := opts
	upOpts.Metadata.Checksum, upOpts.Checksum = object.Checksum{}, nil
	id, err := b.CreateMultipartUpload(ctx, bucket, key, upOpts)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	ok := false
	defer func() {
		if !ok {
			// A fresh context: the caller's may be what ended the upload.
			_ = b.AbortMultipartUpload(context.WithoutCancel(ctx), bucket, key, id)
		}
	}()
	// The whole body's size and digest are checked by one guard; each
	// part reads its share of it.
	g := newGuard(ctx, body, opts.Size, opts.MD5, opts.Checksum)
	var parts []object.CompletePart
	for n, left := 1, opts.Size; left > 0; n++ {
		size := min(partSize, left)
		p, err := b.UploadPart(ctx, bucket, key, id, n, io.LimitReader(g, size), object.PutOptions{Size: size})
		if err != nil {
			return object.ObjectInfo{}, b.bodyFailure(g, err)
		}
		parts = append(parts, object.CompletePart{PartNumber: n, ETag: p.ETag})
		left -= size
	}
	if _, err := g.Read(nil); err != io.EOF {
		// The guard's last check (nothing more, the digest) runs here if
		// the last part did not reach it.
		if err == nil {
			err = object.ErrIncompleteBody
		}
		if s := sentinelOf(err); s != nil {
			err = s
		}
		return object.ObjectInfo{}, err
	}
	info, err := b.CompleteMultipartUpload(ctx, bucket, key, id, parts)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	ok = true
	info.Parts = nil
	if opts.Checksum != nil {
		info.Checksum = g.checksum
	} else {
		info.Checksum = opts.Metadata.Checksum
	}
	head := info
	if h, err := b.HeadObject(ctx, bucket, key); err == nil {
		head = h
	}
	if err := b.putRecord(bucket, objectRecord{Key: key, ETag: head.ETag, Size: info.Size, Checksum: info.Checksum, Tags: info.Tags, Encryption: opts.Metadata.Encryption}); err != nil {
		return object.ObjectInfo{}, err
	}
	return info, nil
}

// uploadNotFound tells a missing upload from a missing bucket: in
// single-bucket mode the upstream bucket always exists, and some
// upstreams answer NoSuchUpload either way.
func (b *Backend) uploadNotFound(ctx context.Context, bucket string, err error) error {
	var ue *upstreamError
	if errors.As(err, &ue) && ue.Code == "XMinioInvalidResourceName" {
		// MinIO's answer to an upload ID no upload of its could have.
		err = fmt.Errorf("s3 backend: %w", object.ErrUploadNotFound)
	}
	if errors.Is(err, object.ErrUploadNotFound) {
		if berr := b.exists(ctx, bucket); berr != nil {
			return berr
		}
	}
	return err
}

// spoolDir is where bodies of unknown size wait.
func (b *Backend) spoolDir() string { return filepath.Join(b.opts.StateDir, "spool") }

func sortEntries[E any](s []E, name func(E) string) {
	slices.SortFunc(s, func(x, y E) int { return strings.Compare(name(x), name(y)) })
}
