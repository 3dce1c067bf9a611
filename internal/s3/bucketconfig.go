package s3

import (
	"encoding/xml"
	"errors"
	"net/http"

	"github.com/sesame-s3/sesame/internal/object"
)

// maxConfigBody bounds the XML body of a bucket or object sub-resource
// (tagging, ownership controls, public access block, ACL, logging).
const maxConfigBody = 64 << 10

// bucketConfigs returns the backend's optional store of bucket
// configuration documents, or 501 NotImplemented naming what needs it.
func (a *API) bucketConfigs(what string) (object.BucketConfigs, error) {
	cb, ok := a.backend.(object.BucketConfigs)
	if !ok {
		return nil, ErrNotImplemented.WithMessage("%s is not implemented by this server's storage backend.", what)
	}
	return cb, nil
}

// serveConfig answers a bucket's configuration document as stored, or
// absent when it has none. A missing bucket is NoSuchBucket.
func (a *API) serveConfig(req *request, name, what string, absent *APIError) error {
	cb, err := a.bucketConfigs(what)
	if err != nil {
		return err
	}
	doc, err := cb.GetBucketConfig(req.Context(), req.bucket, name)
	switch {
	case errors.Is(err, object.ErrNoSuchBucketConfig):
		return absent
	case err != nil:
		return err
	}
	body := append([]byte(xml.Header), doc...)
	req.w.Header().Set("Content-Type", "application/xml")
	req.w.Header().Set("Content-Length", itoa(int64(len(body))))
	req.w.WriteHeader(http.StatusOK)
	_, _ = req.w.Write(body)
	return nil
}

// putConfig marshals v as the bucket's named configuration document and
// answers status.
func (a *API) putConfig(req *request, name, what string, v any, status int) error {
	cb, err := a.bucketConfigs(what)
	if err != nil {
		return err
	}
	doc, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	if err := cb.PutBucketConfig(req.Context(), req.bucket, name, doc); err != nil {
		return err
	}
	req.w.WriteHeader(status)
	return nil
}

// deleteConfig removes the bucket's named configuration document and
// answers 204 No Content.
func (a *API) deleteConfig(req *request, name, what string) error {
	cb, err := a.bucketConfigs(what)
	if err != nil {
		return err
	}
	if err := cb.DeleteBucketConfig(req.Context(), req.bucket, name); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}
