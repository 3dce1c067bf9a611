package sts

import (
	"strconv"
	"time"

	"github.com/sesame-s3/sesame/internal/httpx"
)

// xmlns is the namespace of every STS response document.
const xmlns = "https://sts.amazonaws.com/doc/2011-06-15/"

// isoTime is written as RFC 3339 UTC with second precision
// (2019-08-08T20:26:12Z), as AWS writes Expiration.
type isoTime time.Time

func (t isoTime) MarshalText() ([]byte, error) {
	return []byte(time.Time(t).UTC().Format(time.RFC3339)), nil
}

// assumeRoleResult is <AssumeRoleResult>.
type assumeRoleResult struct {
	AssumedRoleUser  assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials      credentialsXML     `xml:"Credentials"`
	PackedPolicySize *int               `xml:"PackedPolicySize,omitempty"`
	SourceIdentity   string             `xml:"SourceIdentity,omitempty"`
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

// The hot results write their own XML (httpx.XMLAppender), element for
// element what encoding/xml writes from their tags; TestResults_AppendXML
// holds the two to the same output.

func (c credentialsXML) appendXML(d *httpx.XMLDoc) {
	d.Open("Credentials")
	d.Elem("AccessKeyId", c.AccessKeyID)
	d.Elem("SecretAccessKey", c.SecretAccessKey)
	d.Elem("SessionToken", c.SessionToken)
	d.Elem("Expiration", time.Time(c.Expiration).UTC().Format(time.RFC3339))
	d.Close("Credentials")
}

func (u assumedRoleUserXML) appendXML(d *httpx.XMLDoc) {
	d.Open("AssumedRoleUser")
	d.Elem("Arn", u.Arn)
	d.Elem("AssumedRoleId", u.AssumedRoleID)
	d.Close("AssumedRoleUser")
}

func appendPacked(d *httpx.XMLDoc, n *int) {
	if n != nil {
		d.Elem("PackedPolicySize", strconv.Itoa(*n))
	}
}

// AppendXML implements httpx.XMLAppender.
func (r assumeRoleResult) AppendXML(d *httpx.XMLDoc) {
	r.AssumedRoleUser.appendXML(d)
	r.Credentials.appendXML(d)
	appendPacked(d, r.PackedPolicySize)
	d.ElemIf("SourceIdentity", r.SourceIdentity)
}

// AppendXML implements httpx.XMLAppender.
func (r webIdentityResult) AppendXML(d *httpx.XMLDoc) {
	r.Credentials.appendXML(d)
	d.Elem("SubjectFromWebIdentityToken", r.SubjectFromWebIdentityToken)
	d.Elem("Audience", r.Audience)
	r.AssumedRoleUser.appendXML(d)
	d.Elem("Provider", r.Provider)
	appendPacked(d, r.PackedPolicySize)
	d.ElemIf("SourceIdentity", r.SourceIdentity)
}

// AppendXML implements httpx.XMLAppender.
func (r clientGrantsResult) AppendXML(d *httpx.XMLDoc) {
	r.Credentials.appendXML(d)
	d.Elem("SubjectFromToken", r.SubjectFromToken)
	d.Elem("Audience", r.Audience)
	r.AssumedRoleUser.appendXML(d)
	d.Elem("Provider", r.Provider)
}

// AppendXML implements httpx.XMLAppender.
func (r getCallerIdentityResult) AppendXML(d *httpx.XMLDoc) {
	d.Elem("Arn", r.Arn)
	d.Elem("UserId", r.UserID)
	d.Elem("Account", r.Account)
}
