package s3

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/sesame-s3/sesame/internal/object"
)

// GetObject and HeadObject with ?partNumber=N serve one part of an object
// made by CompleteMultipartUpload, as the part layout recorded at
// completion (ObjectInfo.Parts) places it: 206 Partial Content with its
// Content-Range and x-amz-mp-parts-count. Any other object has one part,
// the whole object. A part number past the last part is 400 InvalidPart
// (the answer ceph/s3-tests checks for, taken from S3).

// partSelection is the part a GET or HEAD asked for.
type partSelection struct {
	count         int   // the object's parts; 0 for an object not made of parts
	first, length int64 // the part's bytes
	checksum      object.Checksum
}

// wantsPart reports whether the request names a part, and refuses one
// that also has a Range.
func wantsPart(req *request) (bool, error) {
	if !req.query.Has("partNumber") {
		return false, nil
	}
	if req.Header.Get("Range") != "" {
		return false, ErrInvalidRequest.WithMessage("Cannot specify both Range header and partNumber query parameter.")
	}
	return true, nil
}

// selectPart resolves the request's partNumber against info.
func selectPart(req *request, info object.ObjectInfo) (*partSelection, error) {
	n, err := strconv.Atoi(req.query.Get("partNumber"))
	if err != nil || n < 1 || n > object.MaxPartNumber {
		return nil, ErrInvalidArgument.WithMessage("Part number must be an integer between 1 and 10000, inclusive.")
	}
	if info.Encryption != nil {
		// The part layout records stored (encrypted) sizes; serving a
		// part's plaintext would need its segment offsets.
		return nil, ErrNotImplemented.WithMessage("partNumber is not implemented for encrypted objects: use a Range.")
	}
	if len(info.Parts) == 0 {
		if n != 1 {
			return nil, errPartNotSatisfiable(n, 1)
		}
		return &partSelection{length: info.Size, checksum: info.Checksum}, nil
	}
	if n > len(info.Parts) {
		return nil, errPartNotSatisfiable(n, len(info.Parts))
	}
	sel := &partSelection{count: len(info.Parts)}
	for _, p := range info.Parts[:n-1] {
		sel.first += p.Size
	}
	p := info.Parts[n-1]
	sel.length = p.Size
	if p.Checksum != "" {
		sel.checksum = object.Checksum{Algorithm: info.Checksum.Algorithm, Type: info.Checksum.Type, Value: p.Checksum}
	}
	return sel, nil
}

func errPartNotSatisfiable(n, count int) error {
	return ErrInvalidPart.WithMessage("The requested part number %d is not satisfiable: the object has %d part(s).", n, count)
}

// rangeOf returns the byte range of the part, or nil for the whole of an
// empty object (which has no byte to name).
func (s *partSelection) rangeOf() *object.Range {
	if s.length == 0 {
		return nil
	}
	return &object.Range{First: s.first, Last: s.first + s.length - 1}
}

// setHeaders writes the part's x-amz-mp-parts-count and, when the request
// enables checksum mode, its checksum.
func (s *partSelection) setHeaders(req *request) {
	if s.count > 0 {
		req.w.Header().Set("X-Amz-Mp-Parts-Count", strconv.Itoa(s.count))
	}
	if checksumModeEnabled(req) {
		setChecksumHeaders(req.w, s.checksum)
	}
}

// headPart answers a HeadObject with partNumber.
func headPart(req *request, info object.ObjectInfo) error {
	sel, err := selectPart(req, info)
	if err != nil {
		return err
	}
	setObjectHeaders(req.w, info)
	sel.setHeaders(req)
	h := req.w.Header()
	h.Set("Content-Length", itoa(sel.length))
	status := http.StatusOK
	if rg := sel.rangeOf(); rg != nil {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", rg.First, rg.Last, info.Size))
		status = http.StatusPartialContent
	}
	req.w.WriteHeader(status)
	return nil
}

// getPartRange resolves a GetObject's partNumber into a range of the
// current object. The part is resolved against a HEAD; GetObject checks
// that the object it then opens is the same one (its ETag).
func (a *API) getPartRange(req *request) (*partSelection, object.ObjectInfo, error) {
	info, err := a.headVersion(req)
	if err != nil {
		return nil, info, err
	}
	sel, err := selectPart(req, info)
	return sel, info, err
}
