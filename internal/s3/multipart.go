package s3

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sesame-s3/sesame/internal/object"
)

// maxCompleteBody bounds a CompleteMultipartUpload document: 10,000 parts
// of about 100 bytes of markup each, with room to spare.
const maxCompleteBody = 4 << 20

func (a *API) createMultipartUpload(req *request) error {
	tags, _, err := a.checkObjectWrite(req)
	if err != nil {
		return err
	}
	meta, err := metadataFromHeaders(req.Header)
	if err != nil {
		return err
	}
	if meta.Checksum, err = uploadChecksum(req); err != nil {
		return err
	}
	meta.Tags = tags
	state, err := a.bucketVersioning(req, req.bucket)
	if err != nil {
		return err
	}
	if meta.Lock, err = a.objectLockFor(req, state); err != nil {
		return err
	}
	if meta.Encryption, _, err = a.writeEncryption(req); err != nil {
		return err
	}
	id, err := a.backend.CreateMultipartUpload(req.Context(), req.bucket, req.key, object.PutOptions{Metadata: meta, Size: -1})
	if err != nil {
		return err
	}
	if c := meta.Checksum; c.Algorithm != "" {
		req.w.Header().Set(hdrChecksumAlgorithm, c.Algorithm)
		req.w.Header().Set(hdrChecksumType, c.Type)
	}
	setSSEHeaders(req.w.Header(), meta.Encryption)
	writeXML(req.w, http.StatusOK, initiateMultipartUploadResult{Xmlns: s3NS, Bucket: req.bucket, Key: req.key, UploadID: id})
	return nil
}

// partNumber parses the partNumber query parameter.
func partNumber(q url.Values) (int, error) {
	n, err := strconv.Atoi(q.Get("partNumber"))
	if err != nil || n < 1 || n > object.MaxPartNumber {
		return 0, ErrInvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive.")
	}
	return n, nil
}

func (a *API) uploadPart(req *request) error {
	n, err := partNumber(req.query)
	if err != nil {
		return err
	}
	opts, err := putOptions(req, object.MaxPartSize, ErrEntityTooLarge.WithMessage("Your proposed upload exceeds the maximum allowed part size of 5 GiB."))
	if err != nil {
		return err
	}
	enc, dk, err := a.uploadEncryption(req, false)
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
	part, err := a.uploadPartBody(req, n, enc, dk, body, opts)
	if err != nil {
		return err
	}
	req.w.Header().Set("ETag", quote(part.ETag))
	setChecksumHeaders(req.w, object.Checksum{Algorithm: part.Checksum.Algorithm, Value: part.Checksum.Value})
	setSSEHeaders(req.w.Header(), enc)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) uploadPartCopy(req *request) error {
	n, err := partNumber(req.query)
	if err != nil {
		return err
	}
	enc, dk, err := a.uploadEncryption(req, false)
	if err != nil {
		return err
	}
	var rg *object.Range
	if v := req.amz.Get("X-Amz-Copy-Source-Range"); v != "" {
		if rg = parseRange(v); rg == nil || rg.Suffix > 0 || rg.Last < 0 {
			return ErrInvalidArgument.WithMessage("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy.")
		}
	}
	rd, err := a.openCopySource(req, rg)
	if err != nil {
		return err
	}
	defer rd.Close()
	// The backend clamps a range that ends past the object, as GetObject
	// must; a part copy must not silently come out shorter than asked.
	if rg != nil && rg.Last >= rd.Info.Size {
		return errCopyRange(rd.Info.Size)
	}
	if rd.Length > object.MaxPartSize {
		return ErrEntityTooLarge.WithMessage("Your proposed upload exceeds the maximum allowed part size of 5 GiB.")
	}
	alg, err := a.uploadAlgorithm(req)
	if err != nil {
		return err
	}
	body, sum, err := copyChecksum(req, rd, alg)
	if err != nil {
		return err
	}
	part, err := a.uploadPartBody(req, n, enc, dk, body, object.PutOptions{Size: rd.Length, Checksum: sum})
	if err != nil {
		return err
	}
	setSSEHeaders(req.w.Header(), enc)
	writeXML(req.w, http.StatusOK, copyPartResult{Xmlns: s3NS, LastModified: isoTime(part.ModTime), ETag: quote(part.ETag), checksumElems: newChecksumElems(part.Checksum)})
	return nil
}

// errCopyRange answers an x-amz-copy-source-range that ends past the
// source object: InvalidRange, as for one that starts past it (the code
// the Ceph s3-tests conformance suite expects; AWS has also been seen to
// answer InvalidArgument).
func errCopyRange(size int64) error {
	return ErrInvalidRange.WithMessage("The requested range is not satisfiable: the source object has %d bytes.", size)
}

func (a *API) completeMultipartUpload(req *request) error {
	enc, _, err := a.uploadEncryption(req, true)
	if err != nil {
		return err
	}
	var body completeMultipartUpload
	if err := readXML(req.Body, maxCompleteBody, &body); err != nil {
		return err
	}
	if len(body.Parts) == 0 {
		return ErrMalformedXML.WithMessage("You must specify at least one part.")
	}
	if len(body.Parts) > object.MaxPartNumber {
		return ErrMalformedXML.WithMessage("A multipart upload has at most %d parts.", object.MaxPartNumber)
	}
	parts := make([]object.CompletePart, len(body.Parts))
	for i, p := range body.Parts {
		parts[i] = object.CompletePart{PartNumber: p.PartNumber, ETag: strings.Trim(p.ETag, `"`)}
	}
	var opts object.PutOptions
	if err := a.writeOptions(req, &opts); err != nil {
		return err
	}
	if err := a.checkObjectSize(req, parts); err != nil {
		return err
	}
	if err := a.checkCompleteChecksums(req, &body); err != nil {
		return err
	}
	var info object.ObjectInfo
	if cw, ok := a.backend.(object.ConditionalWriter); ok {
		info, err = cw.CompleteMultipartUploadWith(req.Context(), req.bucket, req.key, req.query.Get("uploadId"), parts, opts)
	} else {
		info, err = a.backend.CompleteMultipartUpload(req.Context(), req.bucket, req.key, req.query.Get("uploadId"), parts)
	}
	if err != nil {
		return err
	}
	setVersionHeader(req.w, writtenVersion(info.VersionID))
	if enc != nil {
		a.recordPlainSize(req.Context(), info)
	}
	setSSEHeaders(req.w.Header(), enc)
	a.setExpirationHeader(req, info)
	loc := (&url.URL{Scheme: "http", Host: req.Host, Path: "/" + req.bucket + "/" + req.key}).String()
	if req.TLS != nil {
		loc = "https" + strings.TrimPrefix(loc, "http")
	}
	writeXML(req.w, http.StatusOK, completeMultipartUploadResult{Xmlns: s3NS, Location: loc, Bucket: req.bucket, Key: req.key, ETag: quote(info.ETag),
		checksumElems: newChecksumElems(info.Checksum), ChecksumType: checksumTypeOf(info.Checksum)})
	return nil
}

// checkObjectSize compares x-amz-mp-object-size, the size the client
// expects the completed object to have, with the sizes of the parts it
// names, and refuses the completion when they differ, as S3 does.
func (a *API) checkObjectSize(req *request, parts []object.CompletePart) error {
	v := req.amz.Get("X-Amz-Mp-Object-Size")
	if v == "" {
		return nil
	}
	want, err := strconv.ParseInt(v, 10, 64)
	if err != nil || want < 0 {
		return ErrInvalidArgument.WithMessage("The x-amz-mp-object-size header must be a non-negative integer.")
	}
	upload, stored, err := a.allParts(req)
	if err != nil {
		return err
	}
	var got int64
	for _, p := range parts {
		got += plainPartSize(upload, stored[p.PartNumber].Size) // a missing part fails the completion itself
	}
	if got != want {
		return ErrInvalidRequest.WithMessage("The x-amz-mp-object-size header (%d) does not match the size of the parts (%d).", want, got)
	}
	return nil
}

// allParts lists every part of the request's upload, by part number.
func (a *API) allParts(req *request) (object.Upload, map[int]object.PartInfo, error) {
	parts := make(map[int]object.PartInfo)
	opts := object.ListPartsOptions{MaxParts: 1000}
	for {
		res, err := a.backend.ListParts(req.Context(), req.bucket, req.key, req.query.Get("uploadId"), opts)
		if err != nil {
			return object.Upload{}, nil, err
		}
		for _, p := range res.Parts {
			parts[p.PartNumber] = p
		}
		if !res.IsTruncated || res.NextPartNumberMarker <= opts.PartNumberMarker {
			return res.Upload, parts, nil
		}
		opts.PartNumberMarker = res.NextPartNumberMarker
	}
}

func (a *API) abortMultipartUpload(req *request) error {
	if err := a.backend.AbortMultipartUpload(req.Context(), req.bucket, req.key, req.query.Get("uploadId")); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// intParam parses an optional non-negative integer parameter capped at 1000.
func intParam(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, ErrInvalidArgument.WithMessage("Argument %s must be a non-negative integer.", name)
	}
	return min(n, 1000), nil
}

func (a *API) listParts(req *request) error {
	maxParts, err := intParam(req.query, "max-parts")
	if err != nil {
		return err
	}
	marker := 0
	if v := req.query.Get("part-number-marker"); v != "" {
		if marker, err = strconv.Atoi(v); err != nil || marker < 0 {
			return ErrInvalidArgument.WithMessage("Argument part-number-marker must be a non-negative integer.")
		}
	}
	if maxParts == 0 {
		maxParts = 1000
	}
	res, err := a.backend.ListParts(req.Context(), req.bucket, req.key, req.query.Get("uploadId"), object.ListPartsOptions{PartNumberMarker: marker, MaxParts: maxParts})
	if err != nil {
		return err
	}
	out := listPartsResult{
		Xmlns: s3NS, Bucket: req.bucket, Key: req.key, UploadID: res.UploadID,
		Initiator: theOwner, Owner: theOwner, StorageClass: "STANDARD",
		PartNumberMarker: marker, NextPartNumberMarker: res.NextPartNumberMarker,
		MaxParts: maxParts, IsTruncated: res.IsTruncated, Parts: []partEntry{},
	}
	for _, p := range res.Parts {
		out.Parts = append(out.Parts, partEntry{PartNumber: p.PartNumber, LastModified: isoTime(p.ModTime), ETag: quote(p.ETag), Size: plainPartSize(res.Upload, p.Size),
			checksumElems: newChecksumElems(p.Checksum)})
	}
	out.ChecksumAlgorithm, out.ChecksumType = res.Upload.Metadata.Checksum.Algorithm, res.Upload.Metadata.Checksum.Type
	writeXML(req.w, http.StatusOK, out)
	return nil
}

func (a *API) listMultipartUploads(req *request) error {
	maxUploads, err := intParam(req.query, "max-uploads")
	if err != nil {
		return err
	}
	if req.query.Get("max-uploads") == "" {
		maxUploads = 1000
	}
	encType := req.query.Get("encoding-type")
	if encType != "" && encType != "url" {
		return ErrInvalidArgument.WithMessage("Invalid Encoding Method specified in Request.")
	}
	q := req.query
	opts := object.ListUploadsOptions{
		Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), KeyMarker: q.Get("key-marker"),
		UploadIDMarker: q.Get("upload-id-marker"), MaxUploads: maxUploads,
	}
	enc := encoder(encType)
	out := listMultipartUploadsResult{
		Xmlns: s3NS, Bucket: req.bucket, KeyMarker: enc(opts.KeyMarker), UploadIDMarker: opts.UploadIDMarker,
		Delimiter: enc(opts.Delimiter), Prefix: enc(opts.Prefix), EncodingType: encType, MaxUploads: maxUploads,
	}
	if maxUploads == 0 {
		if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
			return err
		}
		writeXML(req.w, http.StatusOK, out)
		return nil
	}
	res, err := a.backend.ListMultipartUploads(req.Context(), req.bucket, opts)
	if err != nil {
		return err
	}
	out.IsTruncated = res.IsTruncated
	out.NextKeyMarker, out.NextUploadIDMarker = enc(res.NextKeyMarker), res.NextUploadIDMarker
	for _, u := range res.Uploads {
		out.Uploads = append(out.Uploads, uploadEntry{
			Key: enc(u.Key), UploadID: u.UploadID, Initiator: theOwner, Owner: theOwner,
			StorageClass: "STANDARD", Initiated: isoTime(u.Initiated),
			ChecksumAlgorithm: u.Metadata.Checksum.Algorithm, ChecksumType: u.Metadata.Checksum.Type,
		})
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc(p)})
	}
	writeXML(req.w, http.StatusOK, out)
	return nil
}
