package iamapi

import (
	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
)

// The user and access key actions.

type userResult struct {
	User userXML `xml:"User"`
}

type listUsersResult struct {
	Users       members[userXML] `xml:"Users"`
	IsTruncated bool             `xml:"IsTruncated"`
	Marker      string           `xml:"Marker,omitempty"`
}

type accessKeyResult struct {
	AccessKey accessKeyXML `xml:"AccessKey"`
}

type listAccessKeysResult struct {
	AccessKeyMetadata members[accessKeyXML] `xml:"AccessKeyMetadata"`
	IsTruncated       bool                  `xml:"IsTruncated"`
	Marker            string                `xml:"Marker,omitempty"`
}

// accountARN is the resource of the List actions that name no entity:
// the account's path prefix for kind ("user", "group", "policy").
func accountARN(kind string) string {
	return "arn:aws:iam::" + iam.AccountID + ":" + kind + "/"
}

func (a *API) createUser(req *request) (any, error) {
	v := req.Validate()
	name := v.Required("UserName")
	path := pathParam(v, "Path", iam.EntityPath)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := req.Authorize(iam.UserARN(path, name), nil); err != nil {
		return nil, err
	}
	u, err := a.svc.CreateUser(req.Context(), name, iam.WithPath(path))
	if err != nil {
		return nil, err
	}
	return userResult{toUserXML(u)}, nil
}

func (a *API) getUser(req *request) (any, error) {
	v := req.Validate()
	name := userParam(req, v, true)
	if err := v.Err(); err != nil {
		return nil, err
	}
	t := a.user(req, name)
	if err := req.Authorize(t.arn, nil); err != nil {
		return nil, err
	}
	if t.root {
		// AWS describes the account's root user with its account id.
		return userResult{userXML{Path: "/", UserName: t.name, UserID: iam.AccountID, Arn: iam.RootARN}}, nil
	}
	u, err := a.svc.GetUser(req.Context(), t.name)
	if err != nil {
		return nil, err
	}
	return userResult{toUserXML(u)}, nil
}

func (a *API) listUsers(req *request) (any, error) {
	v := req.Validate()
	prefix := pathParam(v, "PathPrefix", iam.PathPrefix)
	p := page(v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := req.Authorize(accountARN("user"), nil); err != nil {
		return nil, err
	}
	users, truncated, next := paginate(a.svc.ListUsers(req.Context(), prefix), func(u iam.User) string { return u.Name }, p)
	res := listUsersResult{IsTruncated: truncated, Marker: next}
	for _, u := range users {
		res.Users.Member = append(res.Users.Member, toUserXML(u))
	}
	return res, nil
}

func (a *API) deleteUser(req *request) (any, error) {
	name, err := a.userAction(req, false, nil)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteUser(req.Context(), name)
}

// userAction validates an action on a user (UserName, or the caller when
// callerDefault and it is absent) plus whatever more does, authorizes it on
// the user's ARN, refuses the root user and returns the user's stored name.
func (a *API) userAction(req *request, callerDefault bool, more func(*awsquery.Params)) (string, error) {
	v := req.Validate()
	name := userParam(req, v, callerDefault)
	if more != nil {
		more(v)
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	t := a.user(req, name)
	if err := req.Authorize(t.arn, nil); err != nil {
		return "", err
	}
	if t.root {
		return "", iam.ErrRootUser
	}
	return t.name, nil
}

func (a *API) createAccessKey(req *request) (any, error) {
	user, err := a.userAction(req, true, nil)
	if err != nil {
		return nil, err
	}
	k, err := a.svc.CreateAccessKey(req.Context(), user)
	if err != nil {
		return nil, err
	}
	return accessKeyResult{accessKeyXML{
		UserName: k.User, AccessKeyID: k.ID, Status: k.Status, SecretAccessKey: k.Secret, CreateDate: isoTime(k.Created),
	}}, nil
}

func (a *API) listAccessKeys(req *request) (any, error) {
	var p pageRequest
	user, err := a.userAction(req, true, func(v *awsquery.Params) { p = page(v) })
	if err != nil {
		return nil, err
	}
	keys, err := a.svc.ListAccessKeys(req.Context(), user)
	if err != nil {
		return nil, err
	}
	keys, truncated, next := paginate(keys, func(k iam.AccessKey) string { return k.ID }, p)
	res := listAccessKeysResult{IsTruncated: truncated, Marker: next}
	for _, k := range keys {
		// Never the secret: ListAccessKeys returns metadata only.
		res.AccessKeyMetadata.Member = append(res.AccessKeyMetadata.Member, accessKeyXML{
			UserName: k.User, AccessKeyID: k.ID, Status: k.Status, CreateDate: isoTime(k.Created),
		})
	}
	return res, nil
}

func (a *API) updateAccessKey(req *request) (any, error) {
	var id, status string
	user, err := a.userAction(req, true, func(v *awsquery.Params) {
		id = v.Required("AccessKeyId")
		status = v.RequiredEnum("Status", iam.StatusActive, iam.StatusInactive)
	})
	if err != nil {
		return nil, err
	}
	return nil, a.svc.UpdateAccessKey(req.Context(), user, id, status)
}

func (a *API) deleteAccessKey(req *request) (any, error) {
	var id string
	user, err := a.userAction(req, true, func(v *awsquery.Params) { id = v.Required("AccessKeyId") })
	if err != nil {
		return nil, err
	}
	return nil, a.svc.DeleteAccessKey(req.Context(), user, id)
}

// setUserStatus enables or disables a user (Sesame extension): parameters
// UserName and Status ("enabled" or "disabled"). A disabled user's keys
// and sessions are refused from the next request on; re-enabling it
// restores its keys but not the sessions issued before (iam.Service.SetUserStatus).
func (a *API) setUserStatus(req *request) (any, error) {
	var status string
	name, err := a.userAction(req, false, func(v *awsquery.Params) {
		status = v.RequiredEnum("Status", iam.UserEnabled, iam.UserDisabled)
	})
	if err != nil {
		return nil, err
	}
	return nil, a.svc.SetUserStatus(req.Context(), name, status)
}

// revokeUserSessions ends every session of a user issued before now
// (Sesame extension): parameter UserName.
func (a *API) revokeUserSessions(req *request) (any, error) {
	name, err := a.userAction(req, false, nil)
	if err != nil {
		return nil, err
	}
	return nil, a.svc.RevokeUserSessions(req.Context(), name)
}
