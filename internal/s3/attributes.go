package s3

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sesame-s3/sesame/internal/object"
)

// GetObjectAttributes (GET /bucket/key?attributes) returns what
// x-amz-object-attributes asks for among ETag, Checksum, ObjectParts,
// StorageClass and ObjectSize, without the object's bytes. ObjectParts
// (multipart objects only) pages through the part layout recorded at
// completion with x-amz-max-parts and x-amz-part-number-marker. As S3
// does, it needs both s3:GetObjectAttributes (the routed action) and
// s3:GetObject.

// objectAttributeNames are the attributes a request may ask for.
var objectAttributeNames = []string{"ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"}

type getObjectAttributesResponse struct {
	XMLName      xml.Name               `xml:"GetObjectAttributesResponse"`
	Xmlns        string                 `xml:"xmlns,attr"`
	ETag         string                 `xml:"ETag,omitempty"`
	Checksum     *attributesChecksum    `xml:"Checksum,omitempty"`
	ObjectParts  *attributesObjectParts `xml:"ObjectParts,omitempty"`
	StorageClass string                 `xml:"StorageClass,omitempty"`
	ObjectSize   *int64                 `xml:"ObjectSize,omitempty"`
}

type attributesChecksum struct {
	checksumElems
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type attributesObjectParts struct {
	PartsCount           int              `xml:"PartsCount"`
	PartNumberMarker     int              `xml:"PartNumberMarker"`
	NextPartNumberMarker int              `xml:"NextPartNumberMarker"`
	MaxParts             int              `xml:"MaxParts"`
	IsTruncated          bool             `xml:"IsTruncated"`
	Parts                []attributesPart `xml:"Part"`
}

type attributesPart struct {
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
	checksumElems
}

// attributeHeaderInt parses an optional non-negative integer header.
func attributeHeaderInt(req *request, name string) (int, bool, error) {
	v := req.amz.Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false, ErrInvalidArgument.WithMessage("The %s header must be a non-negative integer.", strings.ToLower(name))
	}
	return n, true, nil
}

func (a *API) getObjectAttributes(req *request) error {
	if err := a.authorize(req, "s3:GetObject", req.bucket, req.key); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, v := range req.amz.Values("X-Amz-Object-Attributes") {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !slices.Contains(objectAttributeNames, name) {
				return ErrInvalidArgument.WithMessage("Invalid attribute name specified.")
			}
			want[name] = true
		}
	}
	if len(want) == 0 {
		return ErrInvalidArgument.WithMessage("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty.")
	}
	maxParts, set, err := attributeHeaderInt(req, "X-Amz-Max-Parts")
	if err != nil {
		return err
	}
	if !set || maxParts > 1000 {
		maxParts = 1000
	}
	marker, _, err := attributeHeaderInt(req, "X-Amz-Part-Number-Marker")
	if err != nil {
		return err
	}
	info, err := a.backend.HeadObject(req.Context(), req.bucket, req.key)
	if err != nil {
		return err
	}
	if err := checkSSECNotApplicable(req.amz, "X-Amz-"); err != nil {
		return err
	}
	out := getObjectAttributesResponse{Xmlns: s3NS}
	if want["ETag"] {
		out.ETag = info.ETag
	}
	if want["Checksum"] && info.Checksum.Value != "" {
		out.Checksum = &attributesChecksum{checksumElems: newChecksumElems(info.Checksum), ChecksumType: info.Checksum.Type}
	}
	if want["StorageClass"] {
		out.StorageClass = "STANDARD"
	}
	if want["ObjectSize"] {
		out.ObjectSize = &info.Size
	}
	if want["ObjectParts"] && len(info.Parts) > 0 {
		out.ObjectParts = objectPartsPage(info, marker, maxParts)
	}
	req.w.Header().Set("Last-Modified", info.ModTime.UTC().Format(http.TimeFormat))
	writeXML(req.w, http.StatusOK, out)
	return nil
}

// objectPartsPage returns the parts of info numbered above marker, at
// most maxParts of them.
func objectPartsPage(info object.ObjectInfo, marker, maxParts int) *attributesObjectParts {
	op := &attributesObjectParts{PartsCount: len(info.Parts), PartNumberMarker: marker, MaxParts: maxParts, Parts: []attributesPart{}}
	for _, p := range info.Parts {
		if p.PartNumber <= marker {
			continue
		}
		if len(op.Parts) == maxParts {
			op.IsTruncated = true
			break
		}
		ap := attributesPart{PartNumber: p.PartNumber, Size: p.Size}
		if p.Checksum != "" {
			ap.checksumElems = newChecksumElems(object.Checksum{Algorithm: info.Checksum.Algorithm, Value: p.Checksum})
		}
		op.Parts = append(op.Parts, ap)
		op.NextPartNumberMarker = p.PartNumber
	}
	return op
}
