package sts

import (
	"encoding/xml"
	"net/http"
	"time"

	"github.com/sesame-s3/sesame/internal/httpx"
)

// xmlns is the namespace of every STS response document.
const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// contentType is what AWS STS answers with.
const contentType = "text/xml"

// envelope is <ActionResponse>: the action's result and the request id.
type envelope struct {
	XMLName  xml.Name
	Xmlns    string `xml:"xmlns,attr"`
	Result   any
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// writeResult writes <ActionResponse> with result as <ActionResult>.
func writeResult(w http.ResponseWriter, action string, result any) {
	writeXML(w, http.StatusOK, envelope{
		XMLName:  xml.Name{Local: action + "Response"},
		Xmlns:    xmlns,
		Result:   resultElement{name: action + "Result", v: result},
		Metadata: responseMetadata{RequestID: w.Header().Get(httpx.RequestIDHeader)},
	})
}

// resultElement encodes v under a name chosen at run time.
type resultElement struct {
	name string
	v    any
}

func (r resultElement) MarshalXML(e *xml.Encoder, _ xml.StartElement) error {
	return e.EncodeElement(r.v, xml.StartElement{Name: xml.Name{Local: r.name}})
}

// writeXML writes v as an STS XML document with status.
func writeXML(w http.ResponseWriter, status int, v any) {
	httpx.WriteXML(w, status, contentType, v)
}

// errorResponse is STS's <ErrorResponse> document.
type errorResponse struct {
	XMLName   xml.Name  `xml:"ErrorResponse"`
	Xmlns     string    `xml:"xmlns,attr"`
	Error     errorBody `xml:"Error"`
	RequestID string    `xml:"RequestId"`
}

type errorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// isoTime is written as RFC 3339 UTC with second precision
// (2019-08-08T20:26:12Z), as AWS writes Expiration.
type isoTime time.Time

func (t isoTime) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format(time.RFC3339)), nil
}

// assumeRoleResult is <AssumeRoleResult>.
type assumeRoleResult struct {
	AssumedRoleUser assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials     credentialsXML     `xml:"Credentials"`
}

type assumedRoleUserXML struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type credentialsXML struct {
	AccessKeyID     string  `xml:"AccessKeyId"`
	SecretAccessKey string  `xml:"SecretAccessKey"`
	SessionToken    string  `xml:"SessionToken"`
	Expiration      isoTime `xml:"Expiration"`
}

// getCallerIdentityResult is <GetCallerIdentityResult>.
type getCallerIdentityResult struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}
