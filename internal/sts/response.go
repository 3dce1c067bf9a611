package sts

import (
	"time"
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
