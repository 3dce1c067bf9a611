package s3

import (
	"encoding/xml"
	"net/http"
)

// Server access logging (?logging) is not implemented: GetBucketLogging
// answers that it is off, PutBucketLogging accepts turning it off and
// refuses turning it on with 501 NotImplemented, so that no client
// believes its requests are being logged.

type bucketLoggingStatus struct {
	XMLName        xml.Name  `xml:"BucketLoggingStatus"`
	Xmlns          string    `xml:"xmlns,attr,omitempty"`
	LoggingEnabled *struct{} `xml:"LoggingEnabled"`
}

func (a *API) getBucketLogging(req *request) error {
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	writeXML(req.w, http.StatusOK, bucketLoggingStatus{Xmlns: s3NS})
	return nil
}

func (a *API) putBucketLogging(req *request) error {
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	var st bucketLoggingStatus
	if err := readXML(req.Body, maxConfigBody, &st); err != nil {
		return err
	}
	if st.LoggingEnabled != nil {
		return ErrNotImplemented.WithMessage("Server access logging is not implemented by this server.")
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}
