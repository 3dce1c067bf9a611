package iamapi

import (
	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
)

// The group actions.

type groupResult struct {
	Group groupXML `xml:"Group"`
}

type getGroupResult struct {
	Group       groupXML         `xml:"Group"`
	Users       members[userXML] `xml:"Users"`
	IsTruncated bool             `xml:"IsTruncated"`
	Marker      string           `xml:"Marker,omitempty"`
}

type listGroupsResult struct {
	Groups      members[groupXML] `xml:"Groups"`
	IsTruncated bool              `xml:"IsTruncated"`
	Marker      string            `xml:"Marker,omitempty"`
}

// groupAction validates an action on a group (GroupName plus whatever more
// does), authorizes it on the group's ARN and returns the group's stored
// name.
func (a *API) groupAction(req *request, more func(*awsquery.Params)) (string, error) {
	v := req.Validate()
	name := v.Required("GroupName")
	if more != nil {
		more(v)
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	t := a.group(req, name)
	return t.name, req.Authorize(t.arn, nil)
}

func (a *API) createGroup(req *request) (any, error) {
	v := req.Validate()
	name := v.Required("GroupName")
	path := pathParam(v, "Path", iam.EntityPath)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := req.Authorize(iam.Group{Name: name, Path: path}.ARN(), nil); err != nil {
		return nil, err
	}
	g, err := a.svc.CreateGroup(req.Context(), name, iam.WithPath(path))
	if err != nil {
		return nil, err
	}
	return groupResult{toGroupXML(g)}, nil
}

func (a *API) getGroup(req *request) (any, error) {
	var p pageRequest
	group, err := a.groupAction(req, func(v *awsquery.Params) { p = page(v) })
	if err != nil {
		return nil, err
	}
	g, users, err := a.svc.GetGroup(req.Context(), group)
	if err != nil {
		return nil, err
	}
	users, truncated, next := paginate(users, func(u iam.User) string { return u.Name }, p)
	res := getGroupResult{Group: toGroupXML(g), IsTruncated: truncated, Marker: next}
	for _, u := range users {
		res.Users.Member = append(res.Users.Member, toUserXML(u))
	}
	return res, nil
}

func (a *API) listGroups(req *request) (any, error) {
	v := req.Validate()
	prefix := pathParam(v, "PathPrefix", iam.PathPrefix)
	p := page(v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := req.Authorize(accountARN("group"), nil); err != nil {
		return nil, err
	}
	return groupList(a.svc.ListGroups(req.Context(), prefix), p), nil
}

func groupList(groups []iam.Group, p pageRequest) listGroupsResult {
	groups, truncated, next := paginate(groups, func(g iam.Group) string { return g.Name }, p)
	res := listGroupsResult{IsTruncated: truncated, Marker: next}
	for _, g := range groups {
		res.Groups.Member = append(res.Groups.Member, toGroupXML(g))
	}
	return res
}

func (a *API) deleteGroup(req *request) (any, error) {
	group, err := a.groupAction(req, nil)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteGroup(req.Context(), group)
}

// membership validates and authorizes AddUserToGroup and
// RemoveUserFromGroup, whose resource is the group.
func (a *API) membership(req *request) (group, user string, err error) {
	group, err = a.groupAction(req, func(v *awsquery.Params) { user = v.Required("UserName") })
	if err != nil {
		return "", "", err
	}
	return group, user, a.notRoot(req, user)
}

func (a *API) addUserToGroup(req *request) (any, error) {
	group, user, err := a.membership(req)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.AddUserToGroup(req.Context(), group, user)
}

func (a *API) removeUserFromGroup(req *request) (any, error) {
	group, user, err := a.membership(req)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.RemoveUserFromGroup(req.Context(), group, user)
}

func (a *API) listGroupsForUser(req *request) (any, error) {
	var p pageRequest
	user, err := a.userAction(req, false, func(v *awsquery.Params) { p = page(v) })
	if err != nil {
		return nil, err
	}
	groups, err := a.svc.ListGroupsForUser(req.Context(), user)
	if err != nil {
		return nil, err
	}
	return groupList(groups, p), nil
}
