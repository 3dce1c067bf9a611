package iamapi

import (
	"context"
	"github.com/sesame-s3/sesame/internal/awsquery"

	"github.com/sesame-s3/sesame/internal/iam"
)

// The managed and inline policy actions.

type policyResult struct {
	Policy policyXML `xml:"Policy"`
}

type policyVersionResult struct {
	PolicyVersion policyVersionXML `xml:"PolicyVersion"`
}

type listPoliciesResult struct {
	Policies    members[policyXML] `xml:"Policies"`
	IsTruncated bool               `xml:"IsTruncated"`
	Marker      string             `xml:"Marker,omitempty"`
}

type listAttachedPoliciesResult struct {
	AttachedPolicies members[attachedPolicyXML] `xml:"AttachedPolicies"`
	IsTruncated      bool                       `xml:"IsTruncated"`
	Marker           string                     `xml:"Marker,omitempty"`
}

type userPolicyResult struct {
	UserName       string `xml:"UserName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

type listUserPoliciesResult struct {
	PolicyNames members[string] `xml:"PolicyNames"`
	IsTruncated bool            `xml:"IsTruncated"`
	Marker      string          `xml:"Marker,omitempty"`
}

// policyARN validates the PolicyArn parameter and returns it with the
// policy name it names; a malformed ARN is a validation problem.
func policyARN(v *awsquery.Params) (arn, name string) {
	arn = v.Required("PolicyArn")
	if arn == "" {
		return "", ""
	}
	name, err := iam.PolicyNameFromARN(arn)
	if err != nil {
		v.Problem("policyArn", awsquery.Quote(arn), "Member must be an IAM policy ARN (arn:aws:iam::<account>:policy/<name>)")
		return "", ""
	}
	return arn, name
}

// resolvePolicy returns the managed policy arn names. The ARN must be the
// policy's exactly, as GetPolicy reports it: a canned policy is
// "arn:aws:iam::aws:policy/<name>", a customer policy
// "arn:aws:iam::000000000000:policy<path><name>" with its own path and name
// (case included); any other is NoSuchEntity. So the ARN a request is
// authorized on is the policy's own.
func (a *API) resolvePolicy(ctx context.Context, arn, name string) (iam.ManagedPolicy, error) {
	p, err := a.svc.GetPolicy(ctx, name)
	if err == nil && p.ARN() != arn {
		err = iam.ErrNoSuchEntity
	}
	if err != nil {
		return iam.ManagedPolicy{}, awsquery.ErrNoSuchEntity.WithMessage("Policy %s does not exist or is not attachable.", arn)
	}
	return p, nil
}

func (a *API) createPolicy(req *request) (any, error) {
	v := req.Validate()
	name := v.Required("PolicyName")
	doc := v.Required("PolicyDocument")
	path := pathParam(v, "Path", iam.PolicyPath)
	v.Optional("Description") // not kept
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := req.Authorize(iam.ManagedPolicy{Name: name, Path: path}.ARN(), nil); err != nil {
		return nil, err
	}
	p, err := a.svc.CreatePolicy(req.Context(), name, doc, iam.WithPath(path))
	if err != nil {
		return nil, err
	}
	return policyResult{toPolicyXML(p, 0)}, nil
}

// policyAction validates an action on a managed policy (PolicyArn plus
// whatever more does), authorizes it on the ARN and resolves the policy.
func (a *API) policyAction(req *request, more func(*awsquery.Params)) (iam.ManagedPolicy, error) {
	v := req.Validate()
	arn, name := policyARN(v)
	if more != nil {
		more(v)
	}
	if err := v.Err(); err != nil {
		return iam.ManagedPolicy{}, err
	}
	if err := req.Authorize(arn, nil); err != nil {
		return iam.ManagedPolicy{}, err
	}
	return a.resolvePolicy(req.Context(), arn, name)
}

func (a *API) getPolicy(req *request) (any, error) {
	p, err := a.policyAction(req, nil)
	if err != nil {
		return nil, err
	}
	return policyResult{toPolicyXML(p, a.svc.AttachmentCount(p.Name))}, nil
}

func (a *API) getPolicyVersion(req *request) (any, error) {
	var version string
	p, err := a.policyAction(req, func(v *awsquery.Params) { version = v.Required("VersionId") })
	if err != nil {
		return nil, err
	}
	if version != p.VersionID() {
		return nil, awsquery.ErrNoSuchEntity.WithMessage("Policy %s version %s does not exist or is not attachable.", p.ARN(), version)
	}
	return policyVersionResult{policyVersionXML{
		Document: encodeDocument(p.Document), VersionID: p.VersionID(), IsDefaultVersion: true, CreateDate: isoTime(p.Created),
	}}, nil
}

func (a *API) listPolicies(req *request) (any, error) {
	v := req.Validate()
	scope := v.Enum("Scope", "All", "All", "AWS", "Local")
	onlyAttached := v.Bool("OnlyAttached")
	prefix := pathParam(v, "PathPrefix", iam.PolicyPath)
	v.Optional("PolicyUsageFilter") // there are no permissions boundaries
	p := page(v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := req.Authorize(accountARN("policy"), nil); err != nil {
		return nil, err
	}
	type counted struct {
		iam.ManagedPolicy
		attachments int
	}
	var all []counted
	for _, mp := range a.svc.ListPolicies(req.Context(), prefix) {
		if scope == "AWS" && !mp.Builtin || scope == "Local" && mp.Builtin {
			continue
		}
		n := a.svc.AttachmentCount(mp.Name)
		if onlyAttached && n == 0 {
			continue
		}
		all = append(all, counted{mp, n})
	}
	page, truncated, next := paginate(all, func(c counted) string { return c.Name }, p)
	res := listPoliciesResult{IsTruncated: truncated, Marker: next}
	for _, c := range page {
		res.Policies.Member = append(res.Policies.Member, toPolicyXML(c.ManagedPolicy, c.attachments))
	}
	return res, nil
}

func (a *API) deletePolicy(req *request) (any, error) {
	p, err := a.policyAction(req, nil)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeletePolicy(req.Context(), p.Name)
}

// attachment validates and authorizes {Attach,Detach}{User,Group,Role}Policy:
// the resource is the user, group or role (parameter nameParam), and the
// condition key iam:PolicyARN names the policy. With an LDAP directory
// configured, a UserName or GroupName that is no IAM user's or group's and
// parses as a DN names that LDAP entry (target.ldap).
func (a *API) attachment(req *request, nameParam string) (t target, p iam.ManagedPolicy, err error) {
	v := req.Validate()
	name := v.Required(nameParam)
	arn, policyName := policyARN(v)
	if err := v.Err(); err != nil {
		return t, p, err
	}
	switch nameParam {
	case "UserName":
		t = a.user(req, name)
	case "RoleName":
		t = a.role(req, name)
	default:
		t = a.group(req, name)
	}
	if err := req.Authorize(t.arn, map[string][]string{"iam:policyarn": {arn}}); err != nil {
		return t, p, err
	}
	if t.root {
		return t, p, iam.ErrRootUser
	}
	p, err = a.resolvePolicy(req.Context(), arn, policyName)
	return t, p, err
}

func (a *API) attachUserPolicy(req *request) (any, error) {
	t, p, err := a.attachment(req, "UserName")
	if err != nil {
		return nil, err
	}
	if t.ldap != "" {
		return nil, a.svc.AttachLDAPPolicy(req.Context(), t.ldap, t.given, p.Name)
	}
	return nil, a.svc.AttachUserPolicy(req.Context(), t.name, p.Name)
}

func (a *API) detachUserPolicy(req *request) (any, error) {
	t, p, err := a.attachment(req, "UserName")
	if err != nil {
		return nil, err
	}
	if t.ldap != "" {
		return nil, a.svc.DetachLDAPPolicy(req.Context(), t.ldap, t.given, p.Name)
	}
	return nil, a.svc.DetachUserPolicy(req.Context(), t.name, p.Name)
}

func (a *API) attachGroupPolicy(req *request) (any, error) {
	t, p, err := a.attachment(req, "GroupName")
	if err != nil {
		return nil, err
	}
	if t.ldap != "" {
		return nil, a.svc.AttachLDAPPolicy(req.Context(), t.ldap, t.given, p.Name)
	}
	return nil, a.svc.AttachGroupPolicy(req.Context(), t.name, p.Name)
}

func (a *API) detachGroupPolicy(req *request) (any, error) {
	t, p, err := a.attachment(req, "GroupName")
	if err != nil {
		return nil, err
	}
	if t.ldap != "" {
		return nil, a.svc.DetachLDAPPolicy(req.Context(), t.ldap, t.given, p.Name)
	}
	return nil, a.svc.DetachGroupPolicy(req.Context(), t.name, p.Name)
}

func attachedList(policies []iam.ManagedPolicy, p pageRequest) listAttachedPoliciesResult {
	policies, truncated, next := paginate(policies, func(mp iam.ManagedPolicy) string { return mp.Name }, p)
	res := listAttachedPoliciesResult{IsTruncated: truncated, Marker: next}
	for _, mp := range policies {
		res.AttachedPolicies.Member = append(res.AttachedPolicies.Member, attachedPolicyXML{PolicyName: mp.Name, PolicyArn: mp.ARN()})
	}
	return res
}

func (a *API) listAttachedUserPolicies(req *request) (any, error) {
	return a.listAttached(req, "UserName")
}

func (a *API) listAttachedGroupPolicies(req *request) (any, error) {
	return a.listAttached(req, "GroupName")
}

// listAttached serves ListAttached{User,Group}Policies for the user or
// group, or the LDAP DN, that nameParam names.
func (a *API) listAttached(req *request, nameParam string) (any, error) {
	v := req.Validate()
	name := v.Required(nameParam)
	prefix := pathParam(v, "PathPrefix", iam.PolicyPath)
	p := page(v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var t target
	if nameParam == "UserName" {
		t = a.user(req, name)
	} else {
		t = a.group(req, name)
	}
	if err := req.Authorize(t.arn, nil); err != nil {
		return nil, err
	}
	var policies []iam.ManagedPolicy
	var err error
	switch {
	case t.root:
		return nil, iam.ErrRootUser
	case t.ldap != "":
		policies, err = a.svc.ListLDAPPolicies(req.Context(), t.ldap, t.given, prefix)
	case nameParam == "UserName":
		policies, err = a.svc.ListAttachedUserPolicies(req.Context(), t.name, prefix)
	default:
		policies, err = a.svc.ListAttachedGroupPolicies(req.Context(), t.name, prefix)
	}
	if err != nil {
		return nil, err
	}
	return attachedList(policies, p), nil
}

func (a *API) putUserPolicy(req *request) (any, error) {
	var name, doc string
	user, err := a.userAction(req, false, func(v *awsquery.Params) {
		name = v.Required("PolicyName")
		doc = v.Required("PolicyDocument")
	})
	if err != nil {
		return nil, err
	}
	return nil, a.svc.PutUserPolicy(req.Context(), user, name, doc)
}

func (a *API) getUserPolicy(req *request) (any, error) {
	var name string
	user, err := a.userAction(req, false, func(v *awsquery.Params) { name = v.Required("PolicyName") })
	if err != nil {
		return nil, err
	}
	name, doc, err := a.svc.GetUserPolicy(req.Context(), user, name)
	if err != nil {
		return nil, err
	}
	return userPolicyResult{UserName: user, PolicyName: name, PolicyDocument: encodeDocument(doc)}, nil
}

func (a *API) deleteUserPolicy(req *request) (any, error) {
	var name string
	user, err := a.userAction(req, false, func(v *awsquery.Params) { name = v.Required("PolicyName") })
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteUserPolicy(req.Context(), user, name)
}

func (a *API) listUserPolicies(req *request) (any, error) {
	var p pageRequest
	user, err := a.userAction(req, false, func(v *awsquery.Params) { p = page(v) })
	if err != nil {
		return nil, err
	}
	names, err := a.svc.ListUserPolicies(req.Context(), user)
	if err != nil {
		return nil, err
	}
	names, truncated, next := paginate(names, func(s string) string { return s }, p)
	return listUserPoliciesResult{PolicyNames: members[string]{names}, IsTruncated: truncated, Marker: next}, nil
}
