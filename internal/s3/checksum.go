package s3

import (
	"encoding/base64"
	"errors"
	"hash"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/sesame-s3/sesame/internal/object"
)

// Additional checksums (x-amz-checksum-*). A write may name one algorithm
// with its value in a header (x-amz-checksum-sha256: <base64>), in a
// trailing header of an aws-chunked body (X-Amz-Trailer names it; the
// value comes after the data), or, for CopyObject and
// CreateMultipartUpload, with x-amz-checksum-algorithm alone. The body is
// checksummed as it streams to the backend; a value that differs from the
// one computed fails the read at its end, so the backend stores nothing
// (BadDigest). The checksum is then stored with the object or part and
// returned by GetObject and HeadObject with x-amz-checksum-mode: ENABLED.

const (
	hdrChecksumPrefix    = "X-Amz-Checksum-"
	hdrChecksumAlgorithm = "X-Amz-Checksum-Algorithm"
	hdrChecksumType      = "X-Amz-Checksum-Type"
	hdrChecksumMode      = "X-Amz-Checksum-Mode"
	hdrSDKChecksum       = "X-Amz-Sdk-Checksum-Algorithm"
)

// checksumHeader returns the header that carries algorithm's value.
func checksumHeader(algorithm string) string {
	return hdrChecksumPrefix + strings.ToLower(algorithm)
}

// errChecksumMismatch is S3's answer to a body whose checksum differs
// from the one given for it.
func errChecksumMismatch(algorithm string) *APIError {
	return ErrBadDigest.WithMessage("The %s you specified did not match the calculated checksum.", algorithm)
}

// errChecksumAlgorithm answers an unknown algorithm name.
var errChecksumAlgorithm = ErrInvalidRequest.WithMessage("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")

// parseAlgorithm returns the canonical name of a checksum algorithm as a
// request names it (S3 accepts any case), or false.
func parseAlgorithm(v string) (string, bool) {
	v = strings.ToUpper(strings.TrimSpace(v))
	return v, slices.Contains(object.ChecksumAlgorithms, v)
}

// checksumReader computes a checksum of the body it passes on and checks
// it, at the end of the body, against the value the request gave (in a
// header, or as a trailing header of an aws-chunked body).
type checksumReader struct {
	r         io.Reader
	algorithm string
	h         hash.Hash
	want      string // base64 from a header; "" when it trails the body or is not given
	trailer   bool   // the value trails the body
	done      bool
	value     string // base64 of the checksum computed, once done
}

// Read passes the body on; at its end it fails with BadDigest when the
// checksum differs from the one given.
func (c *checksumReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && !c.done {
		c.done = true
		c.value = base64.StdEncoding.EncodeToString(c.h.Sum(nil))
		want := c.want
		if c.trailer {
			if t, ok := c.r.(interface{ Trailer() http.Header }); ok {
				want = t.Trailer().Get(checksumHeader(c.algorithm))
			}
		}
		if (c.want != "" || c.trailer) && want != c.value {
			return n, errChecksumMismatch(c.algorithm)
		}
	}
	return n, err
}

// result is the PutOptions.Checksum hook: the checksum computed, once the
// body has been read to its end.
func (c *checksumReader) result() (object.Checksum, error) {
	if !c.done {
		return object.Checksum{}, ErrIncompleteBody
	}
	return object.Checksum{Algorithm: c.algorithm, Type: object.ChecksumFullObject, Value: c.value}, nil
}

// newChecksumReader returns a reader computing algorithm over body.
func newChecksumReader(body io.Reader, algorithm string) *checksumReader {
	if body == nil {
		body = http.NoBody
	}
	h, _ := object.NewChecksumHash(algorithm)
	return &checksumReader{r: body, algorithm: algorithm, h: h}
}

// requestChecksum reads the checksum headers of a PutObject or UploadPart
// and returns a reader over the body that checks the checksum they name,
// or nil when they name none.
func requestChecksum(req *request, body io.Reader) (*checksumReader, error) {
	algorithm, value := "", ""
	for _, alg := range object.ChecksumAlgorithms {
		if v := values(req.amz, checksumHeader(alg)); len(v) > 0 {
			if algorithm != "" || len(v) > 1 {
				return nil, ErrInvalidRequest.WithMessage("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
			}
			algorithm, value = alg, v[0]
		}
	}
	trailer := ""
	for _, hv := range req.Header.Values("X-Amz-Trailer") {
		for _, name := range strings.Split(hv, ",") {
			name = strings.ToLower(strings.TrimSpace(name))
			if alg, ok := strings.CutPrefix(name, "x-amz-checksum-"); ok {
				a, known := parseAlgorithm(alg)
				if !known || trailer != "" || algorithm != "" {
					return nil, ErrInvalidRequest.WithMessage("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
				}
				trailer = a
			}
		}
	}
	for _, v := range values(req.amz, hdrSDKChecksum) {
		sdk, ok := parseAlgorithm(v)
		if !ok || (algorithm != "" && sdk != algorithm) || (trailer != "" && sdk != trailer) {
			return nil, ErrInvalidRequest.WithMessage("Value for x-amz-sdk-checksum-algorithm header is invalid.")
		}
		if algorithm == "" && trailer == "" {
			return nil, ErrInvalidRequest.WithMessage("x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found.")
		}
	}
	for _, v := range values(req.amz, hdrChecksumType) {
		if v != object.ChecksumFullObject {
			return nil, ErrInvalidRequest.WithMessage("The x-amz-checksum-type header of a single object or part must be FULL_OBJECT.")
		}
	}
	switch {
	case algorithm != "":
		c := newChecksumReader(body, algorithm)
		c.want = value
		if c.want == "" {
			c.want = "-" // never matches: an empty value counts as a wrong one
		}
		return c, nil
	case trailer != "":
		c := newChecksumReader(body, trailer)
		c.trailer = true
		return c, nil
	}
	return nil, nil
}

// setChecksumHeaders writes the x-amz-checksum-<algorithm> and
// x-amz-checksum-type headers of c, if any.
func setChecksumHeaders(w http.ResponseWriter, c object.Checksum) {
	if c.Algorithm == "" || c.Value == "" {
		return
	}
	w.Header().Set(checksumHeader(c.Algorithm), c.Value)
	if c.Type != "" {
		w.Header().Set(hdrChecksumType, c.Type)
	}
}

// checksumModeEnabled reports whether a GET or HEAD asks for the stored
// checksum (x-amz-checksum-mode: ENABLED).
func checksumModeEnabled(req *request) bool {
	return strings.EqualFold(req.amz.Get(hdrChecksumMode), "ENABLED")
}

// checksumElems are the Checksum<Algorithm> elements of S3's XML
// documents; at most one is set.
type checksumElems struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

// field returns the element of algorithm, or nil.
func (e *checksumElems) field(algorithm string) *string {
	switch algorithm {
	case object.ChecksumCRC32:
		return &e.ChecksumCRC32
	case object.ChecksumCRC32C:
		return &e.ChecksumCRC32C
	case object.ChecksumCRC64NVME:
		return &e.ChecksumCRC64NVME
	case object.ChecksumSHA1:
		return &e.ChecksumSHA1
	case object.ChecksumSHA256:
		return &e.ChecksumSHA256
	}
	return nil
}

// newChecksumElems returns the elements holding c's value.
func newChecksumElems(c object.Checksum) checksumElems {
	var e checksumElems
	if f := e.field(c.Algorithm); f != nil {
		*f = c.Value
	}
	return e
}

// given returns the algorithms and values of the elements that are set.
func (e *checksumElems) given() map[string]string {
	var out map[string]string
	for _, alg := range object.ChecksumAlgorithms {
		if v := *e.field(alg); v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[alg] = v
		}
	}
	return out
}

// checksumTypeOf returns c's type for an XML ChecksumType element, or "".
func checksumTypeOf(c object.Checksum) string {
	if c.Value == "" {
		return ""
	}
	return c.Type
}

// copyChecksum returns the body of a CopyObject or UploadPartCopy and the
// hook that stores its checksum: of the algorithm x-amz-checksum-algorithm
// names, else of the source's algorithm, computed again over the bytes
// copied (a composite checksum of the source does not describe the copy).
// With neither, the body is src and the hook nil.
func copyChecksum(req *request, src *object.Reader, fallback string) (io.Reader, func() (object.Checksum, error), error) {
	alg := fallback
	for _, v := range values(req.amz, hdrChecksumAlgorithm) {
		a, ok := parseAlgorithm(v)
		if !ok {
			return nil, nil, errChecksumAlgorithm
		}
		alg = a
	}
	if alg == "" {
		return src, nil, nil
	}
	cr := newChecksumReader(src, alg)
	return cr, cr.result, nil
}

// uploadChecksum reads the x-amz-checksum-algorithm and
// x-amz-checksum-type of a CreateMultipartUpload: the algorithm every part
// is checksummed with and how the object's checksum is made of theirs
// (FULL_OBJECT by default for CRC64NVME, COMPOSITE for the others).
func uploadChecksum(req *request) (object.Checksum, error) {
	var c object.Checksum
	for _, v := range values(req.amz, hdrChecksumAlgorithm) {
		a, ok := parseAlgorithm(v)
		if !ok {
			return c, errChecksumAlgorithm
		}
		c.Algorithm = a
	}
	for _, v := range values(req.amz, hdrChecksumType) {
		if v != object.ChecksumFullObject && v != object.ChecksumComposite {
			return c, ErrInvalidRequest.WithMessage("Value for x-amz-checksum-type header is invalid.")
		}
		c.Type = v
	}
	switch {
	case c.Algorithm == "" && c.Type != "":
		return c, ErrInvalidRequest.WithMessage("The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
	case c.Algorithm == "":
	case c.Type == "" && c.Algorithm == object.ChecksumCRC64NVME:
		c.Type = object.ChecksumFullObject
	case c.Type == "":
		c.Type = object.ChecksumComposite
	case c.Type == object.ChecksumFullObject && !object.IsCRC(c.Algorithm),
		c.Type == object.ChecksumComposite && c.Algorithm == object.ChecksumCRC64NVME:
		return c, ErrInvalidRequest.WithMessage("The %s checksum type cannot be used with the %s checksum algorithm.", c.Type, strings.ToLower(c.Algorithm))
	}
	return c, nil
}

// checkCompleteChecksums checks the checksums a CompleteMultipartUpload
// gives, before anything is committed: each part's Checksum<Algorithm>
// must be the one stored with that part (else InvalidPart), and an
// x-amz-checksum-<algorithm> header the multipart checksum the parts make
// (else BadDigest). The backend computes the object's checksum itself.
func (a *API) checkCompleteChecksums(req *request, body *completeMultipartUpload) error {
	headers := map[string]string{}
	for _, alg := range object.ChecksumAlgorithms {
		if v := req.amz.Get(checksumHeader(alg)); v != "" {
			headers[alg] = v
		}
	}
	givenParts := slices.ContainsFunc(body.Parts, func(p completePart) bool { return len(p.given()) > 0 })
	wantType := req.amz.Get(hdrChecksumType)
	if len(headers) == 0 && !givenParts && wantType == "" {
		return nil
	}
	upload, stored, err := a.allParts(req)
	if errors.Is(err, object.ErrUploadNotFound) {
		return nil // the backend answers a retried completion, or NoSuchUpload
	}
	if err != nil {
		return err
	}
	want := upload.Metadata.Checksum
	if wantType != "" && wantType != want.Type {
		return ErrInvalidRequest.WithMessage("The upload was created using the %s checksum mode. The complete request must use the same checksum mode.", orNone(want.Type))
	}
	layout := make([]object.ObjectPart, 0, len(body.Parts))
	for _, p := range body.Parts {
		info, ok := stored[p.PartNumber]
		if !ok {
			continue // the completion itself fails with InvalidPart
		}
		for alg, v := range p.given() {
			if info.Checksum.Algorithm != alg || info.Checksum.Value != v {
				return ErrInvalidPart.WithMessage("The %s checksum given for part %d does not match the part's.", alg, p.PartNumber)
			}
		}
		op := object.ObjectPart{PartNumber: p.PartNumber, Size: info.Size}
		if info.Checksum.Algorithm == want.Algorithm {
			op.Checksum = info.Checksum.Value
		}
		layout = append(layout, op)
	}
	for alg, v := range headers {
		if alg != want.Algorithm {
			return ErrInvalidRequest.WithMessage("The upload was created using the %s checksum algorithm. The complete request must use the same algorithm.", orNone(want.Algorithm))
		}
		c, err := object.MultipartChecksum(want.Algorithm, want.Type, layout)
		if err != nil {
			return ErrInvalidPart.WithMessage("A part of the upload has no %s checksum.", want.Algorithm)
		}
		composite, _, _ := strings.Cut(c.Value, "-")
		if v != c.Value && v != composite {
			return errChecksumMismatch(alg)
		}
	}
	return nil
}

// orNone names an empty setting.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// uploadAlgorithm returns the checksum algorithm of the upload an
// UploadPartCopy adds to, so that the part copied gets a checksum the
// completion can use.
func (a *API) uploadAlgorithm(req *request) (string, error) {
	res, err := a.backend.ListParts(req.Context(), req.bucket, req.key, req.query.Get("uploadId"), object.ListPartsOptions{MaxParts: 1})
	if err != nil {
		return "", err
	}
	return res.Upload.Metadata.Checksum.Algorithm, nil
}
