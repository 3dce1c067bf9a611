package s3

import (
	"encoding/xml"
	"net/http"
	"slices"
)

// ACLs are disabled, as in an S3 bucket whose object ownership is
// BucketOwnerEnforced: the bucket owner owns every bucket and object and
// has FULL_CONTROL of it, and nobody else is granted anything by an ACL.
// GetBucketAcl and GetObjectAcl say so; PutBucketAcl and PutObjectAcl
// accept what changes nothing and refuse the rest (see aclAccepted).

// publicCannedACLs are the canned ACLs that grant access to everyone or
// to every authenticated user: a public access block's BlockPublicAcls
// refuses them with AccessDenied, before they are refused for ACLs being
// disabled.
var publicCannedACLs = []string{"public-read", "public-read-write", "authenticated-read"}

// accessControlPolicy is the document of GetBucketAcl, GetObjectAcl and
// the bodies of their Put counterparts.
type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Owner   owner    `xml:"Owner"`
	Grants  []grant  `xml:"AccessControlList>Grant"`
}

type grant struct {
	Grantee    grantee `xml:"Grantee"`
	Permission string  `xml:"Permission"`
}

type grantee struct {
	Type         string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
	ID           string `xml:"ID,omitempty"`
	DisplayName  string `xml:"DisplayName,omitempty"`
	URI          string `xml:"URI,omitempty"`
	EmailAddress string `xml:"EmailAddress,omitempty"`
}

// ownerACL is the only ACL anything here has.
func ownerACL() any {
	type xmlGrantee struct {
		XMLNSXSI    string `xml:"xmlns:xsi,attr"`
		Type        string `xml:"xsi:type,attr"`
		ID          string `xml:"ID"`
		DisplayName string `xml:"DisplayName"`
	}
	type xmlGrant struct {
		Grantee    xmlGrantee `xml:"Grantee"`
		Permission string     `xml:"Permission"`
	}
	type policyDoc struct {
		XMLName xml.Name   `xml:"AccessControlPolicy"`
		Xmlns   string     `xml:"xmlns,attr"`
		Owner   owner      `xml:"Owner"`
		Grants  []xmlGrant `xml:"AccessControlList>Grant"`
	}
	return policyDoc{Xmlns: s3NS, Owner: theOwner, Grants: []xmlGrant{{
		Grantee:    xmlGrantee{XMLNSXSI: "http://www.w3.org/2001/XMLSchema-instance", Type: "CanonicalUser", ID: theOwner.ID, DisplayName: theOwner.DisplayName},
		Permission: "FULL_CONTROL",
	}}}
}

func (a *API) getBucketACL(req *request) error {
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	writeXML(req.w, http.StatusOK, ownerACL())
	return nil
}

func (a *API) getObjectACL(req *request) error {
	if _, err := a.backend.HeadObject(req.Context(), req.bucket, req.key); err != nil {
		return err
	}
	writeXML(req.w, http.StatusOK, ownerACL())
	return nil
}

func (a *API) putBucketACL(req *request) error {
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	if err := a.checkPutACL(req); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) putObjectACL(req *request) error {
	if _, err := a.backend.HeadObject(req.Context(), req.bucket, req.key); err != nil {
		return err
	}
	if err := a.checkPutACL(req); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// checkPutACL accepts a PutBucketAcl or PutObjectAcl that leaves the ACL
// as it is: the canned ACL private (or bucket-owner-full-control) while
// the bucket has no ownership controls, or a body granting the owner alone
// FULL_CONTROL. A public canned ACL under a public access block's
// BlockPublicAcls is AccessDenied; anything else AccessControlListNotSupported.
func (a *API) checkPutACL(req *request) error {
	canned := values(req.amz, "X-Amz-Acl")
	grants := hasPrefix(req.amz, "X-Amz-Grant-")
	if len(canned) > 0 && (grants || req.ContentLength > 0) {
		return ErrInvalidRequest.WithMessage("Specifying both Canned ACLs and Header Grants or an ACL body is not allowed.")
	}
	if len(canned) > 0 {
		return a.checkWriteACL(req, errObjectACL)
	}
	if grants {
		return errObjectACL
	}
	var doc accessControlPolicy
	if err := readXML(req.Body, maxConfigBody, &doc); err != nil {
		return err
	}
	if !ownerOnly(doc) {
		return errObjectACL
	}
	return nil
}

// ownerOnly reports whether an ACL document grants FULL_CONTROL to the
// owner and nothing else.
func ownerOnly(doc accessControlPolicy) bool {
	if doc.Owner.ID != "" && doc.Owner.ID != theOwner.ID {
		return false
	}
	return len(doc.Grants) == 1 && doc.Grants[0].Permission == "FULL_CONTROL" &&
		doc.Grants[0].Grantee.Type == "CanonicalUser" && doc.Grants[0].Grantee.ID == theOwner.ID
}

// checkWriteACL applies the bucket's settings to an x-amz-acl header
// (headers.go has refused unknown and non-private values already for
// object writes): a public canned ACL under BlockPublicAcls is
// AccessDenied, as in S3; with ownership controls BucketOwnerEnforced
// set, only bucket-owner-full-control is accepted; without ownership
// controls, private and bucket-owner-full-control are. The bucket's
// documents are read only when the header is present.
func (a *API) checkWriteACL(req *request, refused *APIError) error {
	canned := values(req.amz, "X-Amz-Acl")
	if len(canned) == 0 {
		return nil
	}
	if slices.ContainsFunc(canned, func(v string) bool { return slices.Contains(publicCannedACLs, v) }) {
		if pab, err := a.publicAccessBlock(req); err == nil && pab.BlockPublicAcls {
			return ErrAccessDenied.WithMessage("Access Denied: the bucket's public access block refuses public ACLs.")
		}
	}
	if err := checkCannedACL(req.amz, refused); err != nil {
		return err
	}
	if !slices.Contains(canned, "private") {
		return nil
	}
	if own, err := a.ownership(req); err != nil {
		return err
	} else if own == ownershipEnforced {
		return refused.WithMessage("The bucket does not allow ACLs: its object ownership is BucketOwnerEnforced, which accepts only the canned ACL bucket-owner-full-control.")
	}
	return nil
}
