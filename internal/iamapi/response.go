package iamapi

import (
	"net/url"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/iam"
)

// xmlns is the namespace of every IAM response document.
const xmlns = "https://iam.amazonaws.com/doc/2010-05-08/"

// Paging limits of the List actions, as AWS sets them.
const (
	defaultMaxItems = 100
	maxMaxItems     = 1000
)

// isoTime is written as ISO 8601 UTC with second precision; the zero time
// (the root user's and the canned policies' dates) as the Unix epoch.
type isoTime time.Time

func (t isoTime) MarshalText() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		tt = time.Unix(0, 0)
	}
	return []byte(tt.UTC().Format("2006-01-02T15:04:05Z")), nil
}

// members is an IAM list: <Name><member>...</member>...</Name>, written
// even when empty.
type members[T any] struct {
	Member []T `xml:"member"`
}

// page is the paging request of a List action.
type pageRequest struct {
	marker string
	max    int
}

// paginate returns the items of the page p asks for from items, which are
// in iam.NameLess order of key, whether more follow, and the marker of the
// next page (the key of its first item). A marker whose item is gone continues at the
// first item after it.
func paginate[T any](items []T, key func(T) string, p pageRequest) (out []T, truncated bool, next string) {
	start := 0
	if p.marker != "" {
		start = len(items)
		for i, it := range items {
			if key(it) == p.marker {
				start = i
				break
			}
		}
		if start == len(items) {
			for i, it := range items {
				if iam.NameLess(p.marker, key(it)) {
					start = i
					break
				}
			}
		}
	}
	items = items[start:]
	if len(items) > p.max {
		return items[:p.max], true, key(items[p.max])
	}
	return items, false, ""
}

// encodeDocument URL-encodes a policy document as AWS returns it (RFC 3986:
// everything but letters, digits and "-._~" is percent-encoded).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// The entities, as IAM writes them.

type userXML struct {
	Path       string  `xml:"Path"`
	UserName   string  `xml:"UserName"`
	UserID     string  `xml:"UserId"`
	Arn        string  `xml:"Arn"`
	CreateDate isoTime `xml:"CreateDate"`
}

func toUserXML(u iam.User) userXML {
	return userXML{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN(), CreateDate: isoTime(u.Created)}
}

type accessKeyXML struct {
	UserName        string  `xml:"UserName"`
	AccessKeyID     string  `xml:"AccessKeyId"`
	Status          string  `xml:"Status"`
	SecretAccessKey string  `xml:"SecretAccessKey,omitempty"`
	CreateDate      isoTime `xml:"CreateDate"`
}

type groupXML struct {
	Path       string  `xml:"Path"`
	GroupName  string  `xml:"GroupName"`
	GroupID    string  `xml:"GroupId"`
	Arn        string  `xml:"Arn"`
	CreateDate isoTime `xml:"CreateDate"`
}

func toGroupXML(g iam.Group) groupXML {
	return groupXML{Path: g.Path, GroupName: g.Name, GroupID: g.ID, Arn: g.ARN(), CreateDate: isoTime(g.Created)}
}

type policyXML struct {
	PolicyName                    string  `xml:"PolicyName"`
	PolicyID                      string  `xml:"PolicyId"`
	Arn                           string  `xml:"Arn"`
	Path                          string  `xml:"Path"`
	DefaultVersionID              string  `xml:"DefaultVersionId"`
	AttachmentCount               int     `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int     `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool    `xml:"IsAttachable"`
	CreateDate                    isoTime `xml:"CreateDate"`
	UpdateDate                    isoTime `xml:"UpdateDate"`
}

func toPolicyXML(p iam.ManagedPolicy, attachments int) policyXML {
	return policyXML{
		PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN(), Path: p.Path, DefaultVersionID: p.VersionID(),
		AttachmentCount: attachments, IsAttachable: true,
		CreateDate: isoTime(p.Created), UpdateDate: isoTime(p.Updated),
	}
}

type attachedPolicyXML struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

type policyVersionXML struct {
	Document         string  `xml:"Document"`
	VersionID        string  `xml:"VersionId"`
	IsDefaultVersion bool    `xml:"IsDefaultVersion"`
	CreateDate       isoTime `xml:"CreateDate"`
}
