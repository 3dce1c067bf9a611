package sts

import (
	"bytes"
	"encoding/xml"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/httpx"
)

// TestResults_AppendXML holds the hand-written XML of the hot results to
// what encoding/xml writes from their struct tags.
func TestResults_AppendXML(t *testing.T) {
	n := 42
	creds := credentialsXML{AccessKeyID: "ASIA<&>", SecretAccessKey: "s/+=", SessionToken: "tok\"'", Expiration: isoTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	user := assumedRoleUserXML{Arn: "arn:aws:sts::000000000000:assumed-role/r/é", AssumedRoleID: "AROA:é"}
	for name, r := range map[string]httpx.XMLAppender{
		"AssumeRole":                 assumeRoleResult{AssumedRoleUser: user, Credentials: creds},
		"AssumeRole, packed":         assumeRoleResult{AssumedRoleUser: user, Credentials: creds, PackedPolicySize: &n, SourceIdentity: "si"},
		"AssumeRoleWithWebIdentity":  webIdentityResult{Credentials: creds, SubjectFromWebIdentityToken: "sub", Audience: "aud", AssumedRoleUser: user, Provider: "p", PackedPolicySize: &n, SourceIdentity: "si"},
		"WebIdentity, bare":          webIdentityResult{Credentials: creds, AssumedRoleUser: user},
		"AssumeRoleWithClientGrants": clientGrantsResult{Credentials: creds, SubjectFromToken: "s", Audience: "a", AssumedRoleUser: user, Provider: "p"},
		"GetCallerIdentity":          getCallerIdentityResult{Arn: "arn", UserID: "id<", Account: "000000000000"},
	} {
		want, err := xml.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		// encoding/xml names the outer element after the type; compare
		// what is inside it.
		start, end := bytes.IndexByte(want, '>')+1, bytes.LastIndexByte(want, '<')
		d := httpx.NewXMLDoc()
		header := len(d.Bytes())
		r.AppendXML(d)
		if got := d.Bytes()[header:]; !bytes.Equal(got, want[start:end]) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want[start:end])
		}
		d.Release()
	}
}
