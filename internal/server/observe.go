package server

import (
	"net"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/audit"
	"github.com/sesame-s3/sesame/internal/awsquery"
)

// stsActions are the STS actions metrics name; any other Action a client
// sends is counted as "other", so that a client cannot grow the metrics
// without bound.
var stsActions = map[string]bool{
	"AssumeRole": true, "AssumeRoleWithWebIdentity": true, "AssumeRoleWithClientGrants": true,
	"AssumeRoleWithSAML": true, "AssumeRoleWithLDAPIdentity": true, "AssumeRoleWithCertificate": true,
	"AssumeRoleWithCustomToken": true, "GetSessionToken": true, "GetFederationToken": true,
	"GetCallerIdentity": true, "DecodeAuthorizationMessage": true, "GetAccessKeyInfo": true,
}

// iamChanges are the prefixes of the IAM actions that change IAM state:
// every one of them is audited, whether it succeeded or not.
var iamChanges = []string{"Create", "Delete", "Attach", "Detach", "Put", "Update", "Add", "Remove", "Tag", "Untag", "Set", "Revoke", "Upload", "Change", "Reset", "Enable", "Deactivate"}

// iamTargets are the parameters that name what an IAM change acts on, in
// the order the audit record lists them. Policy documents are not among
// them (they are long; the change's name and target say enough).
var iamTargets = []string{"UserName", "GroupName", "RoleName", "PolicyName", "PolicyArn", "OpenIDConnectProviderArn", "Url", "AccessKeyId", "ClientID", "Status", "NewUserName", "NewGroupName", "NewPath"}

// Bounds of what a client controls in an audit record.
const (
	maxAuditField  = 256
	maxAuditAction = 64
)

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// defaultProvider names the un-suffixed OpenID provider in metrics and
// audit records (its configuration name is "").
const defaultProvider = "default"

// baseRecord is the part of an audit record every query API request has.
func baseRecord(kind string, req *awsquery.Request, wireErr *awsquery.APIError) audit.Record {
	r := req.Audit
	r.Time = time.Now()
	r.Kind = kind
	r.Action = clip(req.Action, maxAuditAction)
	if !req.Principal.Anonymous {
		r.Caller = req.CallerARN()
	}
	if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
		r.SourceIP = host
	} else {
		r.SourceIP = req.RemoteAddr
	}
	r.UserAgent = clip(req.UserAgent(), maxAuditField)
	r.RequestID = req.RequestID
	if wireErr != nil {
		r.Error, r.Reason = wireErr.Code, clip(wireErr.Message, 4*maxAuditField)
	}
	return r
}

// stsServed counts and audits every STS request but a successful
// GetCallerIdentity (which issues nothing): issuances by action and
// provider, refusals by action and error code.
func (s *Server) stsServed(req *awsquery.Request, _ any, wireErr *awsquery.APIError) {
	action := req.Action
	if !stsActions[action] {
		action = "other"
	}
	federated := strings.HasPrefix(req.Action, "AssumeRoleWith")
	provider := req.Audit.Provider
	if federated && provider == "" && req.Audit.Subject != "" {
		provider = defaultProvider
	}
	if wireErr != nil {
		s.metrics.STSRejected(action, wireErr.Code)
	} else if req.Action != "GetCallerIdentity" {
		s.metrics.STSIssued(action, provider)
	} else {
		return
	}
	if s.audit == nil {
		return // no audit target: no record to build
	}
	rec := baseRecord("sts", req, wireErr)
	rec.Provider = provider
	if wireErr == nil {
		rec.Outcome = "issued"
	} else {
		rec.Outcome = "rejected"
	}
	if rec.DurationSeconds == 0 && !rec.Expiration.IsZero() {
		rec.DurationSeconds = int64(rec.Expiration.Sub(rec.Time).Round(time.Second) / time.Second)
	}
	rec.Subject, rec.ClientID = clip(rec.Subject, maxAuditField), clip(rec.ClientID, maxAuditField)
	rec.Role = clip(rec.Role, 4*maxAuditField)
	s.audit.Log(rec)
}

// iamServed audits every request for an IAM change, with its outcome.
func (s *Server) iamServed(req *awsquery.Request, _ any, wireErr *awsquery.APIError) {
	if s.audit == nil || !isIAMChange(req.Action) || wireErr != nil && (wireErr.Code == "InvalidAction" || wireErr.Code == "MissingAction") {
		return
	}
	rec := baseRecord("iam", req, wireErr)
	if wireErr == nil {
		rec.Outcome = "ok"
	} else {
		rec.Outcome = "failed"
	}
	var targets []string
	for _, name := range iamTargets {
		if v := req.Params.Get(name); v != "" {
			targets = append(targets, name+"="+clip(v, maxAuditField))
		}
	}
	if rec.Target == "" {
		rec.Target = strings.Join(targets, " ")
	}
	s.audit.Log(rec)
}

// isIAMChange reports whether an IAM action changes state.
func isIAMChange(action string) bool {
	for _, p := range iamChanges {
		if rest, ok := strings.CutPrefix(action, p); ok && rest != "" && rest[0] >= 'A' && rest[0] <= 'Z' {
			return true
		}
	}
	return false
}
