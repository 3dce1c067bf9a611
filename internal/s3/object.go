package s3

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// maxUserMetadata is S3's limit on the x-amz-meta-* headers of one object.
const maxUserMetadata = 2 << 10

// metadataFromHeaders collects the stored headers and x-amz-meta-* values.
func metadataFromHeaders(h http.Header) (object.Metadata, error) {
	m := object.Metadata{
		ContentType:        h.Get("Content-Type"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
	}
	// aws-chunked is a transfer detail of the request, not part of the object.
	var encodings []string
	for _, e := range strings.Split(h.Get("Content-Encoding"), ",") {
		if e = strings.TrimSpace(e); e != "" && !strings.EqualFold(e, "aws-chunked") {
			encodings = append(encodings, e)
		}
	}
	m.ContentEncoding = strings.Join(encodings, ",")
	size := 0
	for name, values := range h {
		lower := strings.ToLower(name)
		k, ok := strings.CutPrefix(lower, "x-amz-meta-")
		if !ok || k == "" {
			continue
		}
		v := strings.Join(values, ",")
		size += len(k) + len(v)
		if m.User == nil {
			m.User = make(map[string]string)
		}
		m.User[k] = v
	}
	if size > maxUserMetadata {
		return m, ErrMetadataTooLarge.WithMessage("Your metadata headers exceed the maximum allowed metadata size of %d bytes.", maxUserMetadata)
	}
	return m, nil
}

// putOptions reads Content-MD5 and the body length of a PUT.
func putOptions(req *request, limit int64, tooLarge *APIError) (object.PutOptions, error) {
	var opts object.PutOptions
	if v := req.Header.Get("Content-MD5"); v != "" {
		sum, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(sum) != md5.Size {
			return opts, ErrInvalidDigest
		}
		opts.MD5 = sum
	}
	opts.Size = req.ContentLength
	if opts.Size < 0 {
		return opts, ErrMissingContentLength
	}
	if opts.Size > limit {
		return opts, tooLarge
	}
	return opts, nil
}

func (a *API) putObject(req *request) error {
	tags, _, err := a.checkObjectWrite(req)
	if err != nil {
		return err
	}
	opts, err := putOptions(req, object.MaxObjectSize, ErrEntityTooLarge)
	if err != nil {
		return err
	}
	if opts.Metadata, err = metadataFromHeaders(req.Header); err != nil {
		return err
	}
	opts.Metadata.Tags = tags
	if err := a.writeOptions(req, &opts); err != nil {
		return err
	}
	enc, dk, err := a.writeEncryption(req)
	if err != nil {
		return err
	}
	var body io.Reader = req.Body
	cr, err := requestChecksum(req, req.Body)
	if err != nil {
		return err
	}
	if cr != nil {
		body, opts.Checksum = cr, cr.result
	}
	var info object.ObjectInfo
	if enc != nil {
		info, err = a.putEncrypted(req.Context(), req.bucket, req.key, enc, dk, body, opts)
	} else {
		info, err = a.backend.PutObject(req.Context(), req.bucket, req.key, body, opts)
	}
	if err != nil {
		return err
	}
	setVersionHeader(req.w, writtenVersion(info.VersionID))
	req.w.Header().Set("ETag", quote(info.ETag))
	setChecksumHeaders(req.w, info.Checksum)
	setSSEHeaders(req.w.Header(), enc)
	a.setExpirationHeader(req, info)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// requestSource is the object of a GET or HEAD: the request's key, at its
// versionId when it names one.
func (a *API) requestSource(req *request) objectSource {
	return objectSource{
		open: func(rg *object.Range) (*object.Reader, error) {
			return a.openVersion(req, object.GetOptions{Range: rg})
		},
		head: func() (object.ObjectInfo, error) { return a.headVersion(req) },
	}
}

// parseRange parses a single-range "bytes=" header. Syntax S3 ignores
// (multiple ranges, other units, garbage) yields nil, so the whole object is sent.
func parseRange(h string) *object.Range {
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return nil
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return nil
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return nil
		}
		if n == 0 {
			// "bytes=-0" can never be satisfied.
			return &object.Range{First: 1, Last: 0, Suffix: 0}
		}
		return &object.Range{Suffix: n}
	}
	f, err := strconv.ParseInt(first, 10, 64)
	if err != nil || f < 0 {
		return nil
	}
	l := int64(-1)
	if last != "" {
		if l, err = strconv.ParseInt(last, 10, 64); err != nil || l < f {
			return nil
		}
	}
	return &object.Range{First: f, Last: l}
}

// checkPreconditions applies If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since as S3 does. It returns a status to answer with instead
// of the object (304 or 412), or 0.
func checkPreconditions(h http.Header, info object.ObjectInfo, prefix string) int {
	modified := info.ModTime.Truncate(time.Second)
	matchETag := func(list string) bool { return etagMatches(list, info.ETag) }
	ifMatch := h.Get(prefix + "If-Match")
	ifNoneMatch := h.Get(prefix + "If-None-Match")
	if ifMatch != "" {
		if !matchETag(ifMatch) {
			return http.StatusPreconditionFailed
		}
	} else if v := h.Get(prefix + "If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && modified.After(t) {
			return http.StatusPreconditionFailed
		}
	}
	notModified := http.StatusNotModified
	if prefix != "" {
		notModified = http.StatusPreconditionFailed // copy sources fail instead
	}
	if ifNoneMatch != "" {
		if matchETag(ifNoneMatch) {
			return notModified
		}
	} else if v := h.Get(prefix + "If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !modified.After(t) {
			return notModified
		}
	}
	return 0
}

// etagMatches reports whether the comma-separated ETag list of an
// If-Match or If-None-Match header names etag (hex, no quotes) or is "*".
func etagMatches(list, etag string) bool {
	quoted := quote(etag)
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "*" || e == quoted || e == etag || strings.TrimPrefix(e, "W/") == quoted {
			return true
		}
	}
	return false
}

// setObjectHeaders writes the headers that describe an object.
func setObjectHeaders(w http.ResponseWriter, info object.ObjectInfo) {
	h := w.Header()
	h.Set("ETag", quote(info.ETag))
	h.Set("Last-Modified", info.ModTime.UTC().Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	setVersionHeader(w, info.VersionID)
	setLockHeaders(w, info.Lock)
	ct := info.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	for name, v := range map[string]string{
		"Content-Encoding":    info.ContentEncoding,
		"Content-Disposition": info.ContentDisposition,
		"Content-Language":    info.ContentLanguage,
		"Cache-Control":       info.CacheControl,
		"Expires":             info.Expires,
	} {
		if v != "" {
			h.Set(name, v)
		}
	}
	for k, v := range info.User {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	if len(info.Tags) > 0 {
		h.Set("X-Amz-Tagging-Count", strconv.Itoa(len(info.Tags)))
	}
}

// responseOverrides are the response-* query parameters of GetObject.
var responseOverrides = map[string]string{
	"response-content-type":        "Content-Type",
	"response-content-language":    "Content-Language",
	"response-expires":             "Expires",
	"response-cache-control":       "Cache-Control",
	"response-content-disposition": "Content-Disposition",
	"response-content-encoding":    "Content-Encoding",
}

func (a *API) getObject(req *request) error {
	var opts object.GetOptions
	if v := req.Header.Get("Range"); v != "" {
		opts.Range = parseRange(v)
	}
	part, err := wantsPart(req)
	if err != nil {
		return err
	}
	var sel *partSelection
	var want object.ObjectInfo
	if part {
		if sel, want, err = a.getPartRange(req); err != nil {
			return err
		}
		opts.Range = sel.rangeOf()
	}
	if req.id.Anonymous {
		for k := range responseOverrides {
			if req.query.Has(k) {
				return ErrInvalidRequest.WithMessage("Request specific response headers cannot be used for anonymous GET requests.")
			}
		}
	}
	rd, err := a.openPlain(req, a.requestSource(req), opts.Range, "X-Amz-")
	if err != nil {
		return err
	}
	defer rd.Close()
	if sel != nil && (rd.Info.ETag != want.ETag || rd.Info.Size != want.Size) {
		return ErrServiceUnavailable.WithMessage("The object changed while its part was being read: please retry.")
	}
	if status := checkPreconditions(req.Header, rd.Info, ""); status != 0 {
		return preconditionResult(req, rd.Info, status)
	}
	setObjectHeaders(req.w, rd.Info)
	switch {
	case sel != nil:
		sel.setHeaders(req)
	case opts.Range == nil && checksumModeEnabled(req):
		setChecksumHeaders(req.w, rd.Info.Checksum)
	}
	setSSEHeaders(req.w.Header(), rd.Info.Encryption)
	a.setExpirationHeader(req, rd.Info)
	for k, header := range responseOverrides {
		if v := req.query.Get(k); v != "" {
			req.w.Header().Set(header, v)
		}
	}
	h := req.w.Header()
	h.Set("Content-Length", itoa(rd.Length))
	status := http.StatusOK
	if opts.Range != nil {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rd.Offset, rd.Offset+rd.Length-1, rd.Info.Size))
	}
	req.w.WriteHeader(status)
	if _, err := io.Copy(req.w, rd); err != nil {
		// The status line is gone; all we can do is cut the connection short.
		a.log.WarnContext(req.Context(), "get object: body copy failed", "bucket", req.bucket, "key", req.key, "err", err)
	}
	return nil
}

// preconditionResult answers a failed conditional GET or HEAD.
func preconditionResult(req *request, info object.ObjectInfo, status int) error {
	if status == http.StatusNotModified {
		h := req.w.Header()
		h.Set("ETag", quote(info.ETag))
		h.Set("Last-Modified", info.ModTime.UTC().Format(http.TimeFormat))
		req.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	return ErrPreconditionFailed
}

func (a *API) headObject(req *request) error {
	part, err := wantsPart(req)
	if err != nil {
		return err
	}
	info, err := a.headPlain(req, a.requestSource(req), "X-Amz-")
	if err != nil {
		return err
	}
	if status := checkPreconditions(req.Header, info, ""); status != 0 {
		return preconditionResult(req, info, status)
	}
	if part {
		return headPart(req, info)
	}
	setObjectHeaders(req.w, info)
	if req.Header.Get("Range") == "" && checksumModeEnabled(req) {
		setChecksumHeaders(req.w, info.Checksum)
	}
	setSSEHeaders(req.w.Header(), info.Encryption)
	a.setExpirationHeader(req, info)
	size := info.Size
	status := http.StatusOK
	if v := req.Header.Get("Range"); v != "" {
		if rg := parseRange(v); rg != nil {
			first, length, ok := resolveRange(*rg, size)
			if !ok {
				req.w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
				return ErrInvalidRange
			}
			req.w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", first, first+length-1, size))
			size, status = length, http.StatusPartialContent
		}
	}
	req.w.Header().Set("Content-Length", itoa(size))
	req.w.WriteHeader(status)
	return nil
}

// resolveRange turns rg into an offset and length within an object of size bytes.
func resolveRange(rg object.Range, size int64) (first, length int64, ok bool) {
	if rg.Suffix > 0 {
		if size == 0 {
			return 0, 0, false
		}
		n := min(rg.Suffix, size)
		return size - n, n, true
	}
	if rg.First >= size || (rg.Last >= 0 && rg.Last < rg.First) {
		return 0, 0, false
	}
	last := rg.Last
	if last < 0 || last >= size {
		last = size - 1
	}
	return rg.First, last - rg.First + 1, true
}

func (a *API) deleteObject(req *request) error {
	id, err := a.versionID(req)
	if err != nil {
		return err
	}
	cond, err := parseDeleteConditions(req.Header.Get("If-Match"), req.amz.Get("X-Amz-If-Match-Size"), req.amz.Get("X-Amz-If-Match-Last-Modified-Time"))
	if err != nil {
		return err
	}
	res, err := a.deleteKey(req, req.key, id, cond)
	if err != nil {
		return err
	}
	setVersionHeader(req.w, res.VersionID)
	if res.DeleteMarker {
		req.w.Header().Set("X-Amz-Delete-Marker", "true")
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// copySource parses X-Amz-Copy-Source: "[/]bucket/key[?versionId=null]", URL-encoded.
func copySource(req *request, versioned bool) (bucket, key string, err error) {
	raw := req.Header.Get("X-Amz-Copy-Source")
	src, query, _ := strings.Cut(raw, "?")
	if query != "" {
		q, perr := url.ParseQuery(query)
		// Every versionId counts: a second one must not slip past behind "null".
		specific := slices.ContainsFunc(q["versionId"], func(v string) bool { return v != "" && v != "null" })
		if perr != nil || len(q["versionId"]) > 1 || specific && !versioned {
			return "", "", ErrNotImplemented.WithMessage("Copying a specific object version is not implemented by this server.")
		}
	}
	src, uerr := url.PathUnescape(src)
	if uerr != nil {
		return "", "", ErrInvalidArgument.WithMessage("Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	}
	bucket, key, _ = strings.Cut(strings.TrimPrefix(src, "/"), "/")
	if bucket == "" || key == "" {
		return "", "", ErrInvalidArgument.WithMessage("Copy Source must mention the source bucket and key: sourcebucket/sourcekey.")
	}
	return bucket, key, nil
}

// openCopySource opens the source of a copy after checking the
// x-amz-copy-source-if-* preconditions.
func (a *API) openCopySource(req *request, rg *object.Range) (*object.Reader, error) {
	v := a.versionedBackend()
	bucket, key, err := copySource(req, v != nil)
	if err != nil {
		return nil, err
	}
	id := copySourceVersion(req)
	action := "s3:GetObject"
	if id != "" {
		action = "s3:GetObjectVersion"
	}
	if err := a.authorize(req, action, bucket, key); err != nil {
		return nil, err
	}
	rd, err := a.openPlain(req, objectSource{
		open: func(rg *object.Range) (*object.Reader, error) {
			if v == nil {
				return a.backend.GetObject(req.Context(), bucket, key, object.GetOptions{Range: rg})
			}
			rd, err := v.GetObjectVersion(req.Context(), bucket, key, id, object.GetOptions{Range: rg})
			if errors.Is(err, object.ErrDeleteMarker) {
				err = deleteMarkerCopyError(id)
			}
			return rd, err
		},
		head: func() (object.ObjectInfo, error) {
			if v == nil {
				return a.backend.HeadObject(req.Context(), bucket, key)
			}
			info, err := v.HeadObjectVersion(req.Context(), bucket, key, id)
			if errors.Is(err, object.ErrDeleteMarker) {
				err = deleteMarkerCopyError(id)
			}
			return info, err
		},
	}, rg, "X-Amz-Copy-Source-")
	if err != nil {
		return nil, err
	}
	if status := checkPreconditions(req.Header, rd.Info, "X-Amz-Copy-Source-"); status != 0 {
		rd.Close()
		return nil, ErrPreconditionFailed
	}
	return rd, nil
}

func (a *API) copyObject(req *request) error {
	srcBucket, srcKey, err := copySource(req, a.versionedBackend() != nil)
	if err != nil {
		return err
	}
	tags, _, err := a.checkObjectWrite(req)
	if err != nil {
		return err
	}
	// CopyObject copies whole objects; a range would be silently ignored.
	if hasAny(req.amz, "X-Amz-Copy-Source-Range", "Range") {
		return ErrInvalidArgument.WithMessage("CopyObject copies whole objects: use UploadPartCopy with x-amz-copy-source-range to copy part of one.")
	}
	directive := strings.ToUpper(req.Header.Get("X-Amz-Metadata-Directive"))
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		return ErrInvalidArgument.WithMessage("Unknown metadata directive.")
	}
	tagDirective := strings.ToUpper(req.amz.Get("X-Amz-Tagging-Directive"))
	if tagDirective != "" && tagDirective != "COPY" && tagDirective != "REPLACE" {
		return ErrInvalidArgument.WithMessage("Unknown tagging directive.")
	}
	changesEncryption := hasAny(req.amz, hdrSSE) || hasSSEC(req.amz, "X-Amz-")
	if directive != "REPLACE" && srcBucket == req.bucket && srcKey == req.key && copySourceVersion(req) == "" && !changesEncryption {
		return ErrInvalidRequest.WithMessage("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	enc, dk, err := a.writeEncryption(req)
	if err != nil {
		return err
	}
	var opts object.PutOptions
	if err := a.writeOptions(req, &opts); err != nil {
		return err
	}
	rd, err := a.openCopySource(req, nil)
	if err != nil {
		return err
	}
	defer rd.Close()
	meta := rd.Info.Metadata
	meta.Encryption = nil // the destination's own, below
	if directive == "REPLACE" {
		if meta, err = metadataFromHeaders(req.Header); err != nil {
			return err
		}
	}
	// The source's tags go with the copy unless REPLACE names new ones
	// (x-amz-tagging, or none).
	meta.Tags = rd.Info.Tags
	if tagDirective == "REPLACE" {
		meta.Tags = tags
	}
	body, sum, err := copyChecksum(req, rd, rd.Info.Checksum.Algorithm)
	if err != nil {
		return err
	}
	meta.Checksum = object.Checksum{}
	meta.Lock = opts.Metadata.Lock // never the source's
	opts.Metadata, opts.Size, opts.Checksum = meta, rd.Length, sum
	var info object.ObjectInfo
	if enc != nil {
		info, err = a.putEncrypted(req.Context(), req.bucket, req.key, enc, dk, body, opts)
	} else {
		info, err = a.backend.PutObject(req.Context(), req.bucket, req.key, body, opts)
	}
	if err != nil {
		return err
	}
	if rd.Info.VersionID != "" {
		req.w.Header().Set("X-Amz-Copy-Source-Version-Id", rd.Info.VersionID)
	}
	setVersionHeader(req.w, writtenVersion(info.VersionID))
	setSSEHeaders(req.w.Header(), enc)
	a.setExpirationHeader(req, info)
	writeXML(req.w, http.StatusOK, copyObjectResult{Xmlns: s3NS, LastModified: isoTime(info.ModTime), ETag: quote(info.ETag),
		checksumElems: newChecksumElems(info.Checksum), ChecksumType: checksumTypeOf(info.Checksum)})
	return nil
}
