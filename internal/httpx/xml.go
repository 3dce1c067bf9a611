package httpx

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

// APIError is an AWS-style error as it goes on the wire: a code, a message
// and an HTTP status. Each API (S3, IAM, STS) declares its own values and
// maps domain errors to them in one place.
type APIError struct {
	Code    string
	Message string
	Status  int
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// WithMessage returns a copy of e with a more specific message.
func (e *APIError) WithMessage(format string, args ...any) *APIError {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// WriteXML writes v as an XML document with status and contentType
// ("application/xml" for S3, "text/xml" for the query APIs).
func WriteXML(w http.ResponseWriter, status int, contentType string, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	WriteBody(w, status, contentType, buf.Bytes())
}

// WriteBody writes a complete response body with its length.
func WriteBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
