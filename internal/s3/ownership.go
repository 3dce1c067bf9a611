package s3

import (
	"encoding/xml"
	"errors"
	"net/http"

	"github.com/sesame-s3/sesame/internal/object"
)

// Object ownership settings.
const (
	ownershipNone     = "" // no ownership controls set
	ownershipEnforced = "BucketOwnerEnforced"
)

// ErrOwnershipControlsNotFound answers GetBucketOwnershipControls of a
// bucket without them.
var ErrOwnershipControlsNotFound = &APIError{Code: "OwnershipControlsNotFoundError", Message: "The bucket ownership controls were not found.", Status: http.StatusNotFound}

const ownershipWhat = "Bucket ownership controls"

// ownershipControls is the document of the ?ownershipControls sub-resource.
type ownershipControls struct {
	XMLName xml.Name        `xml:"OwnershipControls"`
	Xmlns   string          `xml:"xmlns,attr,omitempty"`
	Rules   []ownershipRule `xml:"Rule"`
}

type ownershipRule struct {
	ObjectOwnership string `xml:"ObjectOwnership"`
}

// ownership returns the bucket's object ownership setting, ownershipNone
// when it has none or the backend keeps no bucket configurations.
func (a *API) ownership(req *request) (string, error) {
	cb, ok := a.backend.(object.BucketConfigs)
	if !ok {
		return ownershipNone, nil
	}
	doc, err := cb.GetBucketConfig(req.Context(), req.bucket, object.ConfigOwnership)
	switch {
	case errors.Is(err, object.ErrNoSuchBucketConfig), errors.Is(err, object.ErrBucketNotFound):
		return ownershipNone, nil
	case err != nil:
		return "", err
	}
	var oc ownershipControls
	if xml.Unmarshal(doc, &oc) != nil || len(oc.Rules) != 1 {
		return ownershipNone, nil
	}
	return oc.Rules[0].ObjectOwnership, nil
}

// checkOwnership validates an ObjectOwnership value: BucketOwnerEnforced
// is what every bucket does; BucketOwnerPreferred and ObjectWriter need
// ACLs and per-object owners, which this server does not keep.
func checkOwnership(v string) error {
	switch v {
	case ownershipEnforced:
		return nil
	case "BucketOwnerPreferred", "ObjectWriter":
		return ErrNotImplemented.WithMessage("Object ownership %s is not implemented by this server: ACLs are disabled and the bucket owner owns every object (BucketOwnerEnforced).", v)
	}
	return ErrMalformedXML.WithMessage("ObjectOwnership must be BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter.")
}

func (a *API) getOwnershipControls(req *request) error {
	return a.serveConfig(req, object.ConfigOwnership, ownershipWhat, ErrOwnershipControlsNotFound)
}

func (a *API) putOwnershipControls(req *request) error {
	if _, err := a.bucketConfigs(ownershipWhat); err != nil {
		return err
	}
	var oc ownershipControls
	if err := readXML(req.Body, maxConfigBody, &oc); err != nil {
		return err
	}
	if len(oc.Rules) != 1 {
		return ErrMalformedXML.WithMessage("OwnershipControls must have exactly one Rule.")
	}
	if err := checkOwnership(oc.Rules[0].ObjectOwnership); err != nil {
		return err
	}
	return a.putConfig(req, object.ConfigOwnership, ownershipWhat, ownershipControls{Xmlns: s3NS, Rules: oc.Rules}, http.StatusOK)
}

func (a *API) deleteOwnershipControls(req *request) error {
	return a.deleteConfig(req, object.ConfigOwnership, ownershipWhat)
}

// storeCreateOwnership records CreateBucket's x-amz-object-ownership
// (checkBucketCreateHeaders accepted it) as the new bucket's ownership
// controls, when the backend keeps bucket configurations.
func (a *API) storeCreateOwnership(req *request) error {
	v := req.amz.Get("X-Amz-Object-Ownership")
	cb, ok := a.backend.(object.BucketConfigs)
	if v == "" || !ok {
		return nil
	}
	doc, err := xml.Marshal(ownershipControls{Xmlns: s3NS, Rules: []ownershipRule{{ObjectOwnership: v}}})
	if err != nil {
		return err
	}
	return cb.PutBucketConfig(req.Context(), req.bucket, object.ConfigOwnership, doc)
}
