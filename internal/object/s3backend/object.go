package s3backend

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sesame-s3/sesame/internal/object"
)

// PutObject streams body upstream: a declared size goes as one PUT (as a
// multipart upload past object.MaxPartSize, the largest single PUT), an
// unknown one is spooled to the state directory first.
func (b *Backend) PutObject(ctx context.Context, bucket, key string, body io.Reader, opts object.PutOptions) (object.ObjectInfo, error) {
	if err := check(bucket, key); err != nil {
		return object.ObjectInfo{}, err
	}
	if opts.Size > object.MaxObjectSize {
		return object.ObjectInfo{}, object.ErrTooLarge
	}
	if opts.Size < 0 {
		f, n, err := spool(b.spoolDir(), body, object.MaxObjectSize)
		if err != nil {
			return object.ObjectInfo{}, err
		}
		defer dropSpool(f)
		body, opts.Size = f, n
	}
	if strings.HasSuffix(key, "/") && opts.Size > 0 {
		return object.ObjectInfo{}, fmt.Errorf("s3 backend: key %q: data under a folder marker: %w", abbrev(key), object.ErrInvalidKey)
	}
	if b.singleBucket() {
		if err := b.exists(ctx, bucket); err != nil {
			return object.ObjectInfo{}, err
		}
	}
	if opts.Size > object.MaxPartSize {
		return b.putLarge(ctx, bucket, key, body, opts)
	}
	upBucket, upKey := b.loc(bucket, key)
	g := newGuard(ctx, body, opts.Size, opts.MD5, opts.Checksum)
	if opts.Size == 0 {
		// The client sends no body for a zero length: check it here.
		if err := g.finish(); err != nil {
			return object.ObjectInfo{}, b.bodyFailure(g, bodySentinel(err))
		}
	}
	in := &s3.PutObjectInput{Bucket: aws.String(upBucket), Key: aws.String(upKey), Body: g, ContentLength: aws.Int64(opts.Size)}
	setPutMetadata(in, opts.Metadata)
	if opts.MD5 != nil {
		in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(opts.MD5))
	}
	out, err := call(ctx, b, "PutObject", func(ctx context.Context) (*s3.PutObjectOutput, error) {
		return b.client.PutObject(ctx, in, once, withExpires(opts.Metadata.Expires))
	})
	if err != nil {
		return object.ObjectInfo{}, b.bodyFailure(g, err)
	}
	md := opts.Metadata
	if opts.Checksum != nil {
		md.Checksum = g.checksum
	}
	etag := unquote(aws.ToString(out.ETag))
	if err := b.putRecord(bucket, objectRecord{Key: key, ETag: etag, Size: opts.Size, Checksum: md.Checksum, Tags: md.Tags, Encryption: md.Encryption}); err != nil {
		return object.ObjectInfo{}, err
	}
	return b.written(ctx, bucket, key, etag, opts.Size, md), nil
}

// putRecord writes the local record of an object just written upstream.
// A record that cannot be written must not leave an earlier one that the
// new object, if it has the same ETag and size, would be taken to match.
func (b *Backend) putRecord(bucket string, rec objectRecord) error {
	if err := b.local.putObject(bucket, rec); err != nil {
		_ = b.local.removeObject(bucket, rec.Key)
		return fmt.Errorf("s3 backend: the object's record: %w", err)
	}
	return nil
}

// withRecord adds to info what the local record of the object keeps:
// its checksum, part layout, tags and encryption.
func (b *Backend) withRecord(info *object.ObjectInfo) {
	if rec, ok := b.local.getObject(info.Bucket, info.Key, info.ETag, info.Size); ok {
		info.Checksum, info.Parts, info.Tags, info.Encryption = rec.Checksum, rec.Parts, rec.Tags, rec.Encryption
	}
}

// bodyFailure prefers the source's own error to what the client made of it.
func (b *Backend) bodyFailure(g *guard, err error) error {
	if g.srcErr != nil {
		return fmt.Errorf("s3 backend: reading the body: %w", g.srcErr)
	}
	return err
}

// written returns the info of an object just written, its time as the
// upstream reports it.
func (b *Backend) written(ctx context.Context, bucket, key, etag string, size int64, md object.Metadata) object.ObjectInfo {
	info := object.ObjectInfo{Bucket: bucket, Key: key, Size: size, ETag: etag, ModTime: b.opts.Now().UTC().Truncate(time.Second), Metadata: md}
	if head, err := b.HeadObject(ctx, bucket, key); err == nil && head.ETag == etag {
		info.ModTime = head.ModTime
	}
	return info
}

// GetObject opens the object, or the range, streaming from the upstream.
func (b *Backend) GetObject(ctx context.Context, bucket, key string, opts object.GetOptions) (*object.Reader, error) {
	if err := check(bucket, key); err != nil {
		return nil, err
	}
	upBucket, upKey := b.loc(bucket, key)
	in := &s3.GetObjectInput{Bucket: aws.String(upBucket), Key: aws.String(upKey)}
	if r := opts.Range; r != nil {
		switch {
		case r.Suffix > 0:
			in.Range = aws.String(fmt.Sprintf("bytes=-%d", r.Suffix))
		case r.Last < 0:
			in.Range = aws.String(fmt.Sprintf("bytes=%d-", r.First))
		default:
			in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", r.First, r.Last))
		}
	}
	out, err := call(ctx, b, "GetObject", func(ctx context.Context) (*s3.GetObjectOutput, error) {
		return b.client.GetObject(ctx, in)
	})
	if err != nil {
		return nil, b.notFound(ctx, bucket, err)
	}
	length := aws.ToInt64(out.ContentLength)
	info := object.ObjectInfo{
		Bucket: bucket, Key: key, Size: length, ETag: unquote(aws.ToString(out.ETag)),
		ModTime: aws.ToTime(out.LastModified).UTC(),
		Metadata: metadataOf(out.ContentType, out.ContentEncoding, out.ContentDisposition, out.ContentLanguage,
			out.CacheControl, out.ExpiresString, out.Metadata),
	}
	var offset int64
	if cr := aws.ToString(out.ContentRange); cr != "" {
		first, total, ok := parseContentRange(cr)
		if !ok {
			out.Body.Close()
			return nil, fmt.Errorf("s3 backend: GetObject: upstream Content-Range %q", cr)
		}
		if total == 0 {
			// An upstream that answers a range of an empty object.
			out.Body.Close()
			return nil, fmt.Errorf("s3 backend: range of an empty object: %w", object.ErrInvalidRange)
		}
		offset, info.Size = first, total
	} else if r := opts.Range; r != nil {
		// The upstream sent the whole object: right when the range
		// covers it, but no range is satisfiable in an empty object.
		whole := r.Suffix >= length || r.Suffix == 0 && r.First == 0 && (r.Last < 0 || r.Last >= length-1)
		if length == 0 || !whole {
			out.Body.Close()
			if length == 0 {
				return nil, fmt.Errorf("s3 backend: range of an empty object: %w", object.ErrInvalidRange)
			}
			return nil, fmt.Errorf("s3 backend: GetObject: the upstream ignored the range")
		}
	}
	b.withRecord(&info)
	return &object.Reader{ReadCloser: out.Body, Info: info, Offset: offset, Length: length}, nil
}

// parseContentRange reads "bytes first-last/total".
func parseContentRange(s string) (first, total int64, ok bool) {
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, false
	}
	span, size, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, false
	}
	f, _, ok := strings.Cut(span, "-")
	if !ok {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(f, 10, 64)
	total, err2 := strconv.ParseInt(size, 10, 64)
	return first, total, err1 == nil && err2 == nil
}

// HeadObject reports the object.
func (b *Backend) HeadObject(ctx context.Context, bucket, key string) (object.ObjectInfo, error) {
	if err := check(bucket, key); err != nil {
		return object.ObjectInfo{}, err
	}
	upBucket, upKey := b.loc(bucket, key)
	out, err := call(ctx, b, "HeadObject", func(ctx context.Context) (*s3.HeadObjectOutput, error) {
		return b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(upBucket), Key: aws.String(upKey)})
	})
	if err != nil {
		return object.ObjectInfo{}, b.notFound(ctx, bucket, err)
	}
	info := object.ObjectInfo{
		Bucket: bucket, Key: key, Size: aws.ToInt64(out.ContentLength), ETag: unquote(aws.ToString(out.ETag)),
		ModTime: aws.ToTime(out.LastModified).UTC(),
		Metadata: metadataOf(out.ContentType, out.ContentEncoding, out.ContentDisposition, out.ContentLanguage,
			out.CacheControl, out.ExpiresString, out.Metadata),
	}
	b.withRecord(&info)
	return info, nil
}

// PutObjectTags replaces the tags of an existing object in its local
// record (object.ObjectTagger): the upstream object is not touched.
func (b *Backend) PutObjectTags(ctx context.Context, bucket, key string, tags []object.Tag) error {
	info, err := b.HeadObject(ctx, bucket, key)
	if err != nil {
		return err
	}
	return b.putRecord(bucket, objectRecord{Key: key, ETag: info.ETag, Size: info.Size, Checksum: info.Checksum, Parts: info.Parts, Tags: tags, Encryption: info.Encryption})
}

// notFound tells a missing object from a missing bucket where the
// upstream could not (a HEAD's 404 has no code; in single-bucket mode the
// upstream bucket always exists).
func (b *Backend) notFound(ctx context.Context, bucket string, err error) error {
	if !errors.Is(err, object.ErrObjectNotFound) && !isNotFound(err) {
		return err
	}
	if berr := b.exists(ctx, bucket); berr != nil {
		return berr
	}
	return fmt.Errorf("s3 backend: %w", object.ErrObjectNotFound)
}

// DeleteObject removes the object; a missing key is no error.
func (b *Backend) DeleteObject(ctx context.Context, bucket, key string) error {
	if err := check(bucket, key); err != nil {
		if errors.Is(err, object.ErrInvalidKey) || errors.Is(err, object.ErrKeyTooLong) {
			// No such key can exist.
			return b.exists(ctx, bucket)
		}
		return err
	}
	if b.singleBucket() {
		if err := b.exists(ctx, bucket); err != nil {
			return err
		}
	}
	upBucket, upKey := b.loc(bucket, key)
	_, err := call(ctx, b, "DeleteObject", func(ctx context.Context) (*s3.DeleteObjectOutput, error) {
		return b.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(upBucket), Key: aws.String(upKey)})
	})
	if err != nil {
		return err
	}
	return b.local.removeObject(bucket, key)
}

// ListObjects lists one page. The upstream's StartAfter does not skip the
// keys below a common prefix already returned, so entries not after
// opts.After are dropped here and pages continue with the upstream's
// continuation token until this one is full.
func (b *Backend) ListObjects(ctx context.Context, bucket string, opts object.ListOptions) (object.ListResult, error) {
	if err := checkBucket(bucket); err != nil {
		return object.ListResult{}, err
	}
	if b.singleBucket() {
		if err := b.exists(ctx, bucket); err != nil {
			return object.ListResult{}, err
		}
	}
	maxKeys := opts.MaxKeys
	if maxKeys <= 0 || maxKeys > 1000 {
		maxKeys = 1000
	}
	upBucket, _ := b.loc(bucket, "")
	pfx := b.keyPrefix(bucket)
	// One more than asked for tells a full last page from a truncated one.
	in := &s3.ListObjectsV2Input{Bucket: aws.String(upBucket), Prefix: aws.String(pfx + opts.Prefix), MaxKeys: aws.Int32(int32(min(maxKeys+1, 1000)))}
	if opts.Delimiter != "" {
		in.Delimiter = aws.String(opts.Delimiter)
	}
	if opts.After != "" {
		in.StartAfter = aws.String(pfx + opts.After)
	}
	var res object.ListResult
	for {
		page, err := call(ctx, b, "ListObjects", func(ctx context.Context) (*s3.ListObjectsV2Output, error) {
			return b.client.ListObjectsV2(ctx, in)
		})
		if err != nil {
			return object.ListResult{}, err
		}
		// Merge the page's objects and prefixes in key order.
		type entry struct {
			name string
			obj  *object.ObjectInfo
		}
		var entries []entry
		seen := map[string]bool{}
		for _, cp := range page.CommonPrefixes {
			seen[b.sesameKey(bucket, aws.ToString(cp.Prefix))] = true
		}
		for _, o := range page.Contents {
			k := b.sesameKey(bucket, aws.ToString(o.Key))
			if cp, ok := rolledUp(k, opts.Prefix, opts.Delimiter); ok {
				// An upstream that did not roll this key into its
				// common prefix.
				if !seen[cp] && cp > opts.After {
					seen[cp] = true
					entries = append(entries, entry{name: cp})
				}
				continue
			}
			if k <= opts.After {
				continue
			}
			info := &object.ObjectInfo{
				Bucket: bucket, Key: k, Size: aws.ToInt64(o.Size), ETag: unquote(aws.ToString(o.ETag)),
				ModTime: aws.ToTime(o.LastModified).UTC().Truncate(time.Second),
			}
			// An encrypted object's record says so: the S3 layer lists
			// its plaintext size from it.
			if rec, ok := b.local.getObject(bucket, k, info.ETag, info.Size); ok {
				info.Encryption = rec.Encryption
			}
			entries = append(entries, entry{k, info})
		}
		for _, cp := range page.CommonPrefixes {
			p := b.sesameKey(bucket, aws.ToString(cp.Prefix))
			if p <= opts.After {
				continue
			}
			entries = append(entries, entry{name: p})
		}
		sortEntries(entries, func(e entry) string { return e.name })
		upstreamMore := aws.ToBool(page.IsTruncated) && page.NextContinuationToken != nil
		for _, e := range entries {
			if len(res.Objects)+len(res.CommonPrefixes) == maxKeys {
				res.IsTruncated = true
				return res, nil
			}
			if e.obj != nil {
				res.Objects = append(res.Objects, *e.obj)
			} else {
				res.CommonPrefixes = append(res.CommonPrefixes, e.name)
			}
			res.NextAfter = e.name
		}
		if !upstreamMore {
			res.NextAfter = ""
			return res, nil
		}
		if len(res.Objects)+len(res.CommonPrefixes) == maxKeys {
			res.IsTruncated = true
			return res, nil
		}
		in.StartAfter = nil
		in.ContinuationToken = page.NextContinuationToken
		in.MaxKeys = aws.Int32(int32(min(maxKeys-len(res.Objects)-len(res.CommonPrefixes)+1, 1000)))
	}
}

// rolledUp returns the common prefix key falls under, if any.
func rolledUp(key, prefix, delim string) (string, bool) {
	if delim == "" || !strings.HasPrefix(key, prefix) {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delim)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delim)], true
}

// setPutMetadata copies the metadata into a PutObject request.
func setPutMetadata(in *s3.PutObjectInput, md object.Metadata) {
	in.ContentType = optional(md.ContentType)
	in.ContentEncoding = optional(md.ContentEncoding)
	in.ContentDisposition = optional(md.ContentDisposition)
	in.ContentLanguage = optional(md.ContentLanguage)
	in.CacheControl = optional(md.CacheControl)
	if len(md.User) > 0 {
		in.Metadata = make(map[string]string, len(md.User))
		for k, v := range md.User {
			in.Metadata[k] = encodeMeta(v)
		}
	}
}

// encodeMeta makes a metadata value header-safe as S3 does on the way
// out: RFC 2047 for values that are not printable ASCII.
func encodeMeta(v string) string {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return mime.QEncoding.Encode("UTF-8", v)
		}
	}
	return v
}

// decodeMeta undoes encodeMeta, and the same encoding by an upstream.
func decodeMeta(v string) string {
	if !strings.HasPrefix(v, "=?") {
		return v
	}
	d, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		return v
	}
	return d
}

// metadataOf builds Metadata from a response's headers.
func metadataOf(ctype, cenc, cdisp, clang, cache, expires *string, user map[string]string) object.Metadata {
	md := object.Metadata{
		ContentType: aws.ToString(ctype), ContentEncoding: aws.ToString(cenc), ContentDisposition: aws.ToString(cdisp),
		ContentLanguage: aws.ToString(clang), CacheControl: aws.ToString(cache), Expires: aws.ToString(expires),
	}
	if len(user) > 0 {
		md.User = make(map[string]string, len(user))
		for k, v := range user {
			md.User[strings.ToLower(k)] = decodeMeta(v)
		}
	}
	return md
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func unquote(etag string) string { return strings.Trim(etag, `"`) }

// withExpires sends the Expires header as stored, byte for byte (the
// client's typed field would reformat or drop a value that is no HTTP
// date).
func withExpires(expires string) func(*s3.Options) {
	return func(o *s3.Options) {
		if expires == "" {
			return
		}
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Build.Add(middleware.BuildMiddlewareFunc("SesameExpires", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					req.Header.Set("Expires", expires)
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	}
}
