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

// getConfig reads a bucket's configuration document: absent is nil, nil.
// A missing bucket is NoSuchBucket.
func (a *API) getConfig(req *request, name, what string) ([]byte, error) {
	cb, err := a.bucketConfigs(what)
	if err != nil {
		return nil, err
	}
	doc, err := cb.GetBucketConfig(req.Context(), req.bucket, name)
	if errors.Is(err, object.ErrNoSuchBucketConfig) {
		return nil, nil
	}
	return doc, err
}

// putConfig marshals v as the bucket's named configuration document.
func (a *API) putConfig(req *request, name, what string, v any) error {
	cb, err := a.bucketConfigs(what)
	if err != nil {
		return err
	}
	doc, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	return cb.PutBucketConfig(req.Context(), req.bucket, name, doc)
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

// writeConfig answers a stored configuration document as it is.
func writeConfig(w http.ResponseWriter, doc []byte) {
	body := append([]byte(xml.Header), doc...)
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", itoa(int64(len(body))))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}
