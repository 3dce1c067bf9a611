package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"

	"github.com/sesame-s3/sesame/internal/object"
)

// Bucket default encryption (PutBucketEncryption, ...): a document kept
// with object.BucketConfigs under object.ConfigEncryption, applied by
// writeEncryption to writes that ask for no encryption.

// ErrNoSuchEncryptionConfig answers GetBucketEncryption of a bucket without one.
var ErrNoSuchEncryptionConfig = &APIError{Code: "ServerSideEncryptionConfigurationNotFoundError", Message: "The server side encryption configuration was not found.", Status: http.StatusNotFound}

type sseConfiguration struct {
	XMLName xml.Name  `xml:"ServerSideEncryptionConfiguration"`
	Xmlns   string    `xml:"xmlns,attr,omitempty"`
	Rules   []sseRule `xml:"Rule"`
}

type sseRule struct {
	Default *struct {
		SSEAlgorithm   string `xml:"SSEAlgorithm"`
		KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
	} `xml:"ApplyServerSideEncryptionByDefault"`
	BucketKeyEnabled *bool `xml:"BucketKeyEnabled"`
}

func (a *API) putBucketEncryption(req *request) error {
	bc, err := a.bucketConfigs("Bucket encryption")
	if err != nil {
		return err
	}
	var cfg sseConfiguration
	if err := readXML(req.Body, maxConfigBody, &cfg); err != nil {
		return err
	}
	if len(cfg.Rules) != 1 || cfg.Rules[0].Default == nil {
		return ErrMalformedXML.WithMessage("The configuration must hold exactly one Rule with ApplyServerSideEncryptionByDefault.")
	}
	d := cfg.Rules[0].Default
	switch d.SSEAlgorithm {
	case "AES256":
		if d.KMSMasterKeyID != "" {
			return ErrInvalidArgument.WithMessage("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse")
		}
	case "aws:kms":
		if d.KMSMasterKeyID == "" {
			return errKMSNoKeyID
		}
		if _, err := a.kmsKey(d.KMSMasterKeyID); err != nil {
			return err
		}
	case "aws:kms:dsse":
		return errDSSEKMS
	default:
		return ErrMalformedXML
	}
	if a.sseKeys == nil {
		return errSSENoKeys
	}
	out := sseConfiguration{Xmlns: s3NS, Rules: cfg.Rules}
	doc, err := xml.Marshal(out)
	if err != nil {
		return err
	}
	if err := bc.PutBucketConfig(req.Context(), req.bucket, object.ConfigEncryption, doc); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) getBucketEncryption(req *request) error {
	doc, err := a.bucketConfigDoc(req, "Bucket encryption", object.ConfigEncryption, ErrNoSuchEncryptionConfig)
	if err != nil {
		return err
	}
	var cfg sseConfiguration
	if err := xml.Unmarshal(doc, &cfg); err != nil {
		return err
	}
	cfg.Xmlns = s3NS
	writeXML(req.w, http.StatusOK, cfg)
	return nil
}

func (a *API) deleteBucketEncryption(req *request) error {
	return a.deleteBucketConfigDoc(req, "Bucket encryption", object.ConfigEncryption)
}

// bucketConfigDoc returns the request bucket's configuration document
// name, or notFound.
func (a *API) bucketConfigDoc(req *request, what, name string, notFound *APIError) ([]byte, error) {
	bc, err := a.bucketConfigs(what)
	if err != nil {
		return nil, err
	}
	doc, err := bc.GetBucketConfig(req.Context(), req.bucket, name)
	if errors.Is(err, object.ErrNoSuchBucketConfig) {
		return nil, notFound
	}
	return doc, err
}

// deleteBucketConfigDoc removes the request bucket's configuration
// document name and answers 204 (also when there was none).
func (a *API) deleteBucketConfigDoc(req *request, what, name string) error {
	bc, err := a.bucketConfigs(what)
	if err != nil {
		return err
	}
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	if err := bc.DeleteBucketConfig(req.Context(), req.bucket, name); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// defaultEncryption returns the mode (and SSE-KMS key id) the bucket's
// default encryption applies to a write without SSE headers ("" for none).
func (a *API) defaultEncryption(ctx context.Context, bucket string) (mode, keyID string, err error) {
	bc, ok := a.backend.(object.BucketConfigs)
	if !ok {
		return "", "", nil
	}
	doc, err := bc.GetBucketConfig(ctx, bucket, object.ConfigEncryption)
	switch {
	case errors.Is(err, object.ErrNoSuchBucketConfig), errors.Is(err, object.ErrBucketNotFound):
		return "", "", nil
	case err != nil:
		return "", "", err
	}
	var cfg sseConfiguration
	if err := xml.Unmarshal(doc, &cfg); err != nil {
		return "", "", err
	}
	if len(cfg.Rules) == 0 || cfg.Rules[0].Default == nil {
		return "", "", nil
	}
	switch d := cfg.Rules[0].Default; d.SSEAlgorithm {
	case "AES256":
		return object.SSES3, "", nil
	case "aws:kms":
		return object.SSEKMS, d.KMSMasterKeyID, nil
	}
	return "", "", nil
}
