package iamapi

import (
	"regexp"

	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
)

// The role actions.

type roleXML struct {
	Path                     string           `xml:"Path"`
	RoleName                 string           `xml:"RoleName"`
	RoleID                   string           `xml:"RoleId"`
	Arn                      string           `xml:"Arn"`
	CreateDate               isoTime          `xml:"CreateDate"`
	AssumeRolePolicyDocument string           `xml:"AssumeRolePolicyDocument"`
	Description              string           `xml:"Description,omitempty"`
	MaxSessionDuration       int              `xml:"MaxSessionDuration"`
	Tags                     *members[tagXML] `xml:"Tags,omitempty"`
}

// toRoleXML describes a role as IAM does, its trust policy URL-encoded.
// The List actions leave the tags out (AWS: "This operation does not
// return ... Tags").
func toRoleXML(r iam.Role, withTags bool) roleXML {
	x := roleXML{
		Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN(), CreateDate: isoTime(r.Created),
		AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration,
	}
	if withTags {
		x.Tags = toTagsXML(r.Tags)
	}
	return x
}

type roleResult struct {
	Role roleXML `xml:"Role"`
}

type listRolesResult struct {
	Roles       members[roleXML] `xml:"Roles"`
	IsTruncated bool             `xml:"IsTruncated"`
	Marker      string           `xml:"Marker,omitempty"`
}

type rolePolicyResult struct {
	RoleName       string `xml:"RoleName"`
	PolicyName     string `xml:"PolicyName"`
	PolicyDocument string `xml:"PolicyDocument"`
}

// emptyResult is the empty <ActionResult/> some actions answer with.
type emptyResult struct{}

// AWS's patterns of policy documents and role descriptions, which Go's
// regexp syntax cannot spell as AWS does in its messages.
var (
	documentPattern    = regexp.MustCompile(`^[\t\n\r\x{20}-\x{FF}]+$`)
	descriptionPattern = regexp.MustCompile(`^[\t\n\r\x{20}-\x{7E}\x{A1}-\x{FF}]*$`)
)

// documentParam returns a required policy document parameter, checked
// against AWS's constraints (1 to 131,072 characters of tab, line breaks
// and U+0020 to U+00FF).
func documentParam(v *awsquery.Params, name string) string {
	doc := v.Required(name)
	member := awsquery.MemberName(name)
	if doc != "" && v.Length(member, doc, 1, 131072) && !documentPattern.MatchString(doc) {
		v.Problem(member, awsquery.Quote(doc), `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
	}
	return doc
}

// descriptionParam returns the Description parameter (which may be
// empty) and whether it was given; required says whether it must be.
func descriptionParam(v *awsquery.Params, required bool) (*string, bool) {
	d, ok := v.Get("Description")
	switch {
	case !ok && required:
		v.Problem("description", "null", "Member must not be null")
		return nil, false
	case !ok:
		return nil, false
	}
	if v.Length("description", d, 0, iam.MaxRoleDescriptionLength) && !descriptionPattern.MatchString(d) {
		v.Problem("description", awsquery.Quote(d), `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	}
	return &d, true
}

// maxSessionParam returns the MaxSessionDuration parameter, if given.
func maxSessionParam(v *awsquery.Params) *int {
	n, ok := v.Int("MaxSessionDuration", iam.MinRoleSessionDuration, iam.MaxRoleSessionDuration)
	if !ok {
		return nil
	}
	d := int(n)
	return &d
}

// errPermissionsBoundary refuses a permissions boundary: Sesame does not
// enforce them, and a security setting is never silently ignored.
var errPermissionsBoundary = awsquery.ErrInvalidInput.WithMessage(
	"Permissions boundaries are not supported by Sesame: the request is refused rather than the boundary ignored. Leave out PermissionsBoundary.")

// role resolves the role a request names, in any case, as user does: the
// request is authorized on the stored role's ARN, its path included; a
// role that does not exist on the ARN its name would have at "/".
func (a *API) role(req *request, name string) target {
	if r, err := a.svc.GetRole(req.Context(), name); err == nil {
		return target{name: r.Name, arn: r.ARN()}
	}
	return target{name: name, arn: iam.Role{Name: name}.ARN()}
}

// roleAction validates an action on a role (RoleName plus whatever more
// does), authorizes it on the role's ARN and returns the role's stored
// name.
func (a *API) roleAction(req *request, more func(*awsquery.Params)) (string, error) {
	v := req.Validate()
	name := v.Required("RoleName")
	if more != nil {
		more(v)
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	t := a.role(req, name)
	return t.name, req.Authorize(t.arn, nil)
}

func (a *API) createRole(req *request) (any, error) {
	v := req.Validate()
	name := v.Required("RoleName")
	path := pathParam(v, "Path", iam.EntityPath)
	doc := documentParam(v, "AssumeRolePolicyDocument")
	desc, _ := descriptionParam(v, false)
	maxSession := maxSessionParam(v)
	tags := tagsParam(req, v)
	_, boundary := v.Get("PermissionsBoundary")
	if err := v.Err(); err != nil {
		return nil, err
	}
	if boundary {
		return nil, errPermissionsBoundary
	}
	if err := req.Authorize(iam.Role{Name: name, Path: path}.ARN(), nil); err != nil {
		return nil, err
	}
	opts := []iam.RoleOption{iam.WithRolePath(path), iam.WithTags(tags...)}
	if desc != nil {
		opts = append(opts, iam.WithDescription(*desc))
	}
	if maxSession != nil {
		opts = append(opts, iam.WithMaxSessionDuration(*maxSession))
	}
	r, err := a.svc.CreateRole(req.Context(), name, doc, opts...)
	if err != nil {
		return nil, err
	}
	return roleResult{toRoleXML(r, true)}, nil
}

func (a *API) getRole(req *request) (any, error) {
	name, err := a.roleAction(req, nil)
	if err != nil {
		return nil, err
	}
	r, err := a.svc.GetRole(req.Context(), name)
	if err != nil {
		return nil, err
	}
	return roleResult{toRoleXML(r, true)}, nil
}

func (a *API) listRoles(req *request) (any, error) {
	v := req.Validate()
	prefix := pathParam(v, "PathPrefix", iam.PathPrefix)
	p := page(v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := req.Authorize(accountARN("role"), nil); err != nil {
		return nil, err
	}
	roles, truncated, next := paginate(a.svc.ListRoles(req.Context(), prefix), func(r iam.Role) string { return r.Name }, p)
	res := listRolesResult{IsTruncated: truncated, Marker: next}
	for _, r := range roles {
		res.Roles.Member = append(res.Roles.Member, toRoleXML(r, false))
	}
	return res, nil
}

func (a *API) deleteRole(req *request) (any, error) {
	name, err := a.roleAction(req, nil)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteRole(req.Context(), name)
}

func (a *API) updateRole(req *request) (any, error) {
	var u iam.RoleUpdate
	name, err := a.roleAction(req, func(v *awsquery.Params) {
		u.Description, _ = descriptionParam(v, false)
		u.MaxSessionDuration = maxSessionParam(v)
	})
	if err != nil {
		return nil, err
	}
	if err := a.svc.UpdateRole(req.Context(), name, u); err != nil {
		return nil, err
	}
	return emptyResult{}, nil
}

func (a *API) updateRoleDescription(req *request) (any, error) {
	var desc *string
	name, err := a.roleAction(req, func(v *awsquery.Params) { desc, _ = descriptionParam(v, true) })
	if err != nil {
		return nil, err
	}
	if err := a.svc.UpdateRole(req.Context(), name, iam.RoleUpdate{Description: desc}); err != nil {
		return nil, err
	}
	r, err := a.svc.GetRole(req.Context(), name)
	if err != nil {
		return nil, err
	}
	return roleResult{toRoleXML(r, true)}, nil
}

func (a *API) updateAssumeRolePolicy(req *request) (any, error) {
	var doc string
	name, err := a.roleAction(req, func(v *awsquery.Params) { doc = documentParam(v, "PolicyDocument") })
	if err != nil {
		return nil, err
	}
	return nil, a.svc.UpdateAssumeRolePolicy(req.Context(), name, doc)
}

func (a *API) attachRolePolicy(req *request) (any, error) {
	role, p, err := a.attachment(req, "RoleName")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.AttachRolePolicy(req.Context(), role.name, p.Name)
}

func (a *API) detachRolePolicy(req *request) (any, error) {
	role, p, err := a.attachment(req, "RoleName")
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DetachRolePolicy(req.Context(), role.name, p.Name)
}

func (a *API) listAttachedRolePolicies(req *request) (any, error) {
	var p pageRequest
	var prefix string
	role, err := a.roleAction(req, func(v *awsquery.Params) {
		prefix = pathParam(v, "PathPrefix", iam.PolicyPath)
		p = page(v)
	})
	if err != nil {
		return nil, err
	}
	policies, err := a.svc.ListAttachedRolePolicies(req.Context(), role, prefix)
	if err != nil {
		return nil, err
	}
	return attachedList(policies, p), nil
}

func (a *API) putRolePolicy(req *request) (any, error) {
	var name, doc string
	role, err := a.roleAction(req, func(v *awsquery.Params) {
		name = v.Required("PolicyName")
		doc = documentParam(v, "PolicyDocument")
	})
	if err != nil {
		return nil, err
	}
	return nil, a.svc.PutRolePolicy(req.Context(), role, name, doc)
}

func (a *API) getRolePolicy(req *request) (any, error) {
	var name string
	role, err := a.roleAction(req, func(v *awsquery.Params) { name = v.Required("PolicyName") })
	if err != nil {
		return nil, err
	}
	name, doc, err := a.svc.GetRolePolicy(req.Context(), role, name)
	if err != nil {
		return nil, err
	}
	return rolePolicyResult{RoleName: role, PolicyName: name, PolicyDocument: encodeDocument(doc)}, nil
}

func (a *API) deleteRolePolicy(req *request) (any, error) {
	var name string
	role, err := a.roleAction(req, func(v *awsquery.Params) { name = v.Required("PolicyName") })
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteRolePolicy(req.Context(), role, name)
}

func (a *API) listRolePolicies(req *request) (any, error) {
	var p pageRequest
	role, err := a.roleAction(req, func(v *awsquery.Params) { p = page(v) })
	if err != nil {
		return nil, err
	}
	names, err := a.svc.ListRolePolicies(req.Context(), role)
	if err != nil {
		return nil, err
	}
	names, truncated, next := paginate(names, func(s string) string { return s }, p)
	return listUserPoliciesResult{PolicyNames: members[string]{names}, IsTruncated: truncated, Marker: next}, nil
}

func (a *API) tagRole(req *request) (any, error) {
	var tags []iam.Tag
	role, err := a.roleAction(req, func(v *awsquery.Params) {
		tags = tagsParam(req, v)
		if len(tags) == 0 {
			v.Problem("tags", "null", "Member must not be null")
		}
	})
	if err != nil {
		return nil, err
	}
	return nil, a.svc.TagRole(req.Context(), role, tags)
}

func (a *API) untagRole(req *request) (any, error) {
	var keys []string
	role, err := a.roleAction(req, func(v *awsquery.Params) { keys = tagKeysParam(req, v) })
	if err != nil {
		return nil, err
	}
	return nil, a.svc.UntagRole(req.Context(), role, keys)
}

func (a *API) listRoleTags(req *request) (any, error) {
	var p pageRequest
	role, err := a.roleAction(req, func(v *awsquery.Params) { p = page(v) })
	if err != nil {
		return nil, err
	}
	tags, err := a.svc.ListRoleTags(req.Context(), role)
	if err != nil {
		return nil, err
	}
	return tagList(tags, p), nil
}
