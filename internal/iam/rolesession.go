package iam

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/iam/policy"
)

// Role sessions: AWS's model beside MinIO's. A RoleArn naming a real role
// (RoleByARN) takes this path; anything else keeps MinIO's (AssumeRole,
// AssumeRoleWithIdentity). docs/ROLES.md describes both side by side.

// Limits of role, token and federation sessions, as AWS STS sets them.
const (
	// ChainedSessionDuration is the longest session one session may mint
	// from another (role chaining).
	ChainedSessionDuration = time.Hour
	// MaxTokenSessionDuration is the longest GetSessionToken or
	// GetFederationToken session of a user (36 hours); the root user's
	// are capped at one hour.
	MaxTokenSessionDuration = 36 * time.Hour
	// MaxSessionPolicyARNs is the most managed session policies.
	MaxSessionPolicyARNs = 10
	// MaxSessionTags is the most session tags.
	MaxSessionTags = 50
	// PackedPolicyBudget is what the session policies, their ARNs, the
	// session tags and the source identity may take together, in bytes:
	// the sealed token stays well under 16 KiB. PackedPolicySize reports
	// the share used.
	PackedPolicyBudget = 4096
)

var (
	sourceIdentityPattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	federatedNamePattern  = regexp.MustCompile(`^[\w+=,.@-]{2,32}$`)
)

// SessionOptions are the parameters of a role, token or federation
// session that STS checked for shape.
type SessionOptions struct {
	// RoleSessionName names the session in its ARN (required for roles).
	RoleSessionName string
	// Duration is DurationSeconds; zero means one hour.
	Duration time.Duration
	// Policy and PolicyARNs are the session policies.
	Policy     string
	PolicyARNs []string
	// Tags and TransitiveTagKeys are the session tags.
	Tags              []Tag
	TransitiveTagKeys []string
	// SourceIdentity is set once and kept through role chaining.
	SourceIdentity string
	// ExternalID is AssumeRole's sts:ExternalId.
	ExternalID string
	// Conditions are the request's condition keys (aws:SourceIp, ...),
	// which the trust policy sees with the sts: keys added.
	Conditions map[string][]string
}

// IssuedSession is a session minted on the AWS path, with what STS
// reports of it.
type IssuedSession struct {
	Credentials     Credentials
	AssumedRoleUser AssumedRoleUser
	// PackedPolicySize is the share of PackedPolicyBudget the session
	// policies and tags use, in percent; -1 when there are none.
	PackedPolicySize int
	SourceIdentity   string
	// FederatedUser is GetFederationToken's user (Arn and id).
	FederatedUser AssumedRoleUser
}

// WebIdentity is a token an OpenID provider vouched for, on its way to a
// role: who issued it (ProviderARN, the trust policy's Federated
// principal; ConditionPrefix, the issuer without scheme that prefixes the
// :sub, :aud and :amr condition keys) and what it says.
type WebIdentity struct {
	Provider, ProviderARN, ConditionPrefix string
	Subject                                string
	Audience                               []string
	AuthorizedParty                        string
	AMR                                    []string
	Claims                                 map[string][]string
	// Tags, TransitiveTagKeys and SourceIdentity come from the token's
	// https://aws.amazon.com/tags and .../source_identity claims.
	Tags              []Tag
	TransitiveTagKeys []string
	SourceIdentity    string
}

// trustPolicy returns the role's compiled trust policy (cached).
func (s *Service) trustPolicy(doc string) (*policy.Policy, error) {
	return s.cachedPolicy("trust\x00"+doc, func() (*policy.Policy, error) { return policy.ParseTrustPolicy([]byte(doc)) })
}

// AssumeRoleAs mints a session of role for caller (AWS's AssumeRole): the
// role's trust policy must allow the caller sts:AssumeRole (and
// sts:TagSession with tags, sts:SetSourceIdentity with a source identity);
// where it trusts the caller only through the account (its root ARN or
// account id), the caller's identity policies must allow sts:AssumeRole on
// the role too; an explicit Deny of either stops it. The session's
// permissions are the role's live policies ∩ the session policies.
func (s *Service) AssumeRoleAs(ctx context.Context, caller Principal, role Role, opts SessionOptions) (IssuedSession, error) {
	sess := caller.Session
	switch {
	case caller.Anonymous:
		return IssuedSession{}, ErrAccessDenied
	case caller.Root && sess == nil:
		return IssuedSession{}, errorf(ErrAccessDenied, "the root user's credentials cannot assume a role (as in AWS): use an IAM user's")
	case sess != nil && sess.Kind == KindFederationToken:
		return IssuedSession{}, errorf(ErrAccessDenied, "federated users (GetFederationToken) cannot assume roles")
	}
	chained := sess != nil && sess.Kind != KindSessionToken
	if chained && opts.Duration > ChainedSessionDuration {
		return IssuedSession{}, errorf(ErrInvalidInput, "the requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining")
	}
	// Carried over from the calling session: its source identity and its
	// transitive tags, which a chained session may not override.
	if sess != nil && sess.SourceIdentity != "" {
		if opts.SourceIdentity != "" && opts.SourceIdentity != sess.SourceIdentity {
			return IssuedSession{}, errorf(ErrAccessDenied, "the source identity cannot be changed once set (it is %s)", sess.SourceIdentity)
		}
		opts.SourceIdentity = sess.SourceIdentity
	}
	var inherited []Tag
	if sess != nil {
		for _, t := range sess.Tags {
			if !containsFold(sess.TransitiveTags, t.Key) {
				continue
			}
			for _, n := range opts.Tags {
				if strings.EqualFold(n.Key, t.Key) {
					return IssuedSession{}, errorf(ErrInvalidInput, "tag key %s is a transitive tag of the calling session and cannot be set again", t.Key)
				}
			}
			inherited = append(inherited, t)
		}
	}
	if err := s.checkSessionOptions(&opts, true); err != nil {
		return IssuedSession{}, err
	}
	cond := s.trustConditions(&caller, opts)
	if opts.ExternalID != "" {
		cond["sts:externalid"] = []string{opts.ExternalID}
	}
	candidates := []string{caller.ARN()}
	var callerRole string
	if sess != nil && sess.Kind == KindRole {
		if r, ok := s.snap.Load().role(sess.Parent); ok && r.ID == sess.RoleID {
			callerRole = r.ARN()
		}
	}
	direct, viaAccount, err := s.trusts(role, "sts:AssumeRole", candidates, callerRole, "", cond, opts)
	if err != nil {
		return IssuedSession{}, err
	}
	// The caller's own policies: an explicit Deny always stops it, and
	// where the trust policy names only the account they must allow.
	identity := s.identityDecision(&caller, &policy.Args{Action: "sts:AssumeRole", Resource: role.ARN(), Principal: caller.ARN(), Conditions: s.withPrincipalConditions(&caller, opts.Conditions)}, nil)
	if s.external != nil {
		identity = policy.Deny
		args := &policy.Args{Action: "sts:AssumeRole", Resource: role.ARN(), Principal: caller.ARN(), Conditions: s.withPrincipalConditions(&caller, opts.Conditions)}
		if s.external.Allowed(ctx, s.opaInput(&caller, args)) && s.sessionAllows(&caller, args, nil) {
			identity = policy.Allow
		}
	}
	if identity == policy.Deny || !direct && !(viaAccount && identity == policy.Allow) {
		return IssuedSession{}, errorf(ErrAccessDenied, "%s is not authorized to perform sts:AssumeRole on resource %s", caller.ARN(), role.ARN())
	}
	maxDur := time.Duration(role.MaxSessionDuration) * time.Second
	if chained {
		maxDur = ChainedSessionDuration
	}
	if opts.Duration > maxDur {
		return IssuedSession{}, errorf(ErrInvalidInput, "the requested DurationSeconds exceeds the MaxSessionDuration set for this role (%d seconds)", int(maxDur/time.Second))
	}
	transitive := opts.TransitiveTagKeys
	if sess != nil {
		for _, t := range inherited {
			transitive = appendFold(transitive, t.Key)
		}
	}
	newSess := &Session{
		Kind: KindRole, Parent: role.Name, ParentID: role.ID, RoleID: role.ID,
		Name: opts.RoleSessionName, Policy: opts.Policy, PolicyNames: policyNames(opts.PolicyARNs),
		SourceIdentity: opts.SourceIdentity, Tags: append(inherited, opts.Tags...), TransitiveTags: transitive, Chained: chained,
	}
	return s.issue(newSess, opts)
}

// AssumeRoleWithWebIdentityAs mints a session of role for a web identity
// (AWS's AssumeRoleWithWebIdentity naming a real role): the trust policy
// must allow the identity's provider (Federated principal)
// sts:AssumeRoleWithWebIdentity, with its conditions on <issuer>:sub,
// :aud and :amr. Its permissions are the role's ∩ the session policies.
func (s *Service) AssumeRoleWithWebIdentityAs(_ context.Context, id WebIdentity, role Role, opts SessionOptions) (IssuedSession, error) {
	if opts.SourceIdentity == "" {
		opts.SourceIdentity = id.SourceIdentity
	}
	if len(opts.Tags) == 0 {
		opts.Tags, opts.TransitiveTagKeys = id.Tags, id.TransitiveTagKeys
	}
	if err := s.checkSessionOptions(&opts, true); err != nil {
		return IssuedSession{}, err
	}
	if opts.Duration > time.Duration(role.MaxSessionDuration)*time.Second {
		return IssuedSession{}, errorf(ErrInvalidInput, "the requested DurationSeconds exceeds the MaxSessionDuration set for this role (%d seconds)", role.MaxSessionDuration)
	}
	cond := s.trustConditions(nil, opts)
	if p := strings.ToLower(id.ConditionPrefix); p != "" {
		cond[p+":sub"] = []string{id.Subject}
		// AWS: the :aud key is the token's azp when it has one, else aud.
		if id.AuthorizedParty != "" {
			cond[p+":aud"] = []string{id.AuthorizedParty}
		} else if len(id.Audience) > 0 {
			cond[p+":aud"] = id.Audience
		}
		if len(id.AMR) > 0 {
			cond[p+":amr"] = id.AMR
		}
		// Ceph RGW's name for the token's client, which its STS tests use.
		if v := cond[p+":aud"]; len(v) > 0 {
			cond[p+":app_id"] = v
		}
	}
	for k, v := range id.Claims {
		cond["jwt:"+strings.ToLower(k)] = v
	}
	direct, _, err := s.trusts(role, "sts:AssumeRoleWithWebIdentity", nil, "", id.ProviderARN, cond, opts)
	if err != nil {
		return IssuedSession{}, err
	}
	if !direct {
		return IssuedSession{}, errorf(ErrAccessDenied, "not authorized to perform sts:AssumeRoleWithWebIdentity on %s: its trust policy does not allow this identity of %s", role.ARN(), id.ProviderARN)
	}
	claims := map[string][]string{}
	size := 0
	for _, k := range KeptClaims {
		for _, v := range id.Claims[k] {
			if size += len(k) + len(v); size > maxClaimBytes {
				break
			}
			claims[k] = append(claims[k], v)
		}
	}
	sess := &Session{
		Kind: KindRole, Parent: role.Name, ParentID: role.ID, RoleID: role.ID,
		Name: opts.RoleSessionName, Policy: opts.Policy, PolicyNames: policyNames(opts.PolicyARNs),
		Provider: id.Provider, ProviderARN: id.ProviderARN, Claims: claims,
		SourceIdentity: opts.SourceIdentity, Tags: opts.Tags, TransitiveTags: opts.TransitiveTagKeys,
	}
	return s.issue(sess, opts)
}

// trusts evaluates role's trust policy for action: for each of the
// caller's ARNs (or, for a web identity, its provider's ARN), and for the
// account. direct: a statement names the caller; viaAccount: one names
// only its account. An explicit Deny is ErrAccessDenied. With tags the
// trust policy must also allow sts:TagSession, with a source identity
// sts:SetSourceIdentity.
func (s *Service) trusts(role Role, action string, callers []string, callerRole, federated string, cond map[string][]string, opts SessionOptions) (direct, viaAccount bool, err error) {
	tp, err := s.trustPolicy(role.AssumeRolePolicyDocument)
	if err != nil {
		return false, false, errorf(ErrAccessDenied, "the role's trust policy does not parse")
	}
	actions := []string{action}
	if len(opts.Tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if opts.SourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	denied := errorf(ErrAccessDenied, "the trust policy of %s does not allow %s", role.ARN(), strings.Join(actions, " and "))
	direct, viaAccount = true, true
	for _, a := range actions {
		d := policy.NotApplicable
		if federated != "" {
			d = tp.Evaluate(&policy.Args{Action: a, Resource: role.ARN(), Federated: federated, Conditions: cond})
		}
		for _, c := range callers {
			d = max(d, tp.Evaluate(&policy.Args{Action: a, Resource: role.ARN(), Principal: c, RoleARN: callerRole, Conditions: cond}))
		}
		acct := policy.NotApplicable
		if federated == "" {
			acct = tp.Evaluate(&policy.Args{Action: a, Resource: role.ARN(), Principal: RootARN, Conditions: cond})
		}
		if d == policy.Deny || acct == policy.Deny {
			return false, false, denied
		}
		direct = direct && d == policy.Allow
		viaAccount = viaAccount && (d == policy.Allow || acct == policy.Allow)
	}
	return direct, viaAccount, nil
}

// trustConditions are the condition keys a trust policy sees: the
// request's, the caller's (aws:username, aws:PrincipalTag/..., ...), and
// the STS call's own (sts:RoleSessionName, sts:SourceIdentity,
// aws:RequestTag/<key>, aws:TagKeys, sts:TransitiveTagKeys).
func (s *Service) trustConditions(caller *Principal, opts SessionOptions) map[string][]string {
	var cond map[string][]string
	if caller != nil {
		cond = s.withPrincipalConditions(caller, opts.Conditions)
	} else {
		cond = make(map[string][]string, len(opts.Conditions)+4)
		for k, v := range opts.Conditions {
			cond[k] = v
		}
	}
	if opts.RoleSessionName != "" {
		cond["sts:rolesessionname"] = []string{opts.RoleSessionName}
	}
	if opts.SourceIdentity != "" {
		cond["sts:sourceidentity"] = []string{opts.SourceIdentity}
	}
	if len(opts.Tags) > 0 {
		keys := make([]string, 0, len(opts.Tags))
		for _, t := range opts.Tags {
			cond["aws:requesttag/"+strings.ToLower(t.Key)] = []string{t.Value}
			keys = append(keys, t.Key)
		}
		cond["aws:tagkeys"] = keys
	}
	if len(opts.TransitiveTagKeys) > 0 {
		cond["sts:transitivetagkeys"] = opts.TransitiveTagKeys
	}
	return cond
}

// withPrincipalConditions returns a copy of cond with p's keys added.
func (s *Service) withPrincipalConditions(p *Principal, cond map[string][]string) map[string][]string {
	c := make(map[string][]string, len(cond)+8)
	for k, v := range cond {
		c[k] = v
	}
	s.principalConditions(p, c)
	return c
}

// checkSessionOptions validates what the API layer cannot: durations,
// the session policies (they must parse; managed ones must exist), the
// tags and the packed size. It sets a zero Duration to one hour.
func (s *Service) checkSessionOptions(opts *SessionOptions, role bool) error {
	if opts.Duration == 0 {
		opts.Duration = DefaultSessionDuration
	}
	if opts.Duration < MinSessionDuration {
		return errorf(ErrInvalidInput, "DurationSeconds must be at least %d", int(MinSessionDuration/time.Second))
	}
	if role {
		if n := opts.RoleSessionName; len(n) < 2 || len(n) > 64 || !namePattern.MatchString(n) {
			return errorf(ErrInvalidInput, "role session name must be 2 to 64 characters of letters, digits and +=,.@_-")
		}
	}
	if opts.Policy != "" {
		if n := utf8.RuneCountInString(opts.Policy); n > MaxSessionPolicySize {
			return errorf(ErrPackedPolicyTooLarge, "the session policy has %d characters; the limit is %d", n, MaxSessionPolicySize)
		}
		if _, err := s.sessionPolicy(opts.Policy); err != nil {
			return err
		}
	}
	if len(opts.PolicyARNs) > MaxSessionPolicyARNs {
		return errorf(ErrInvalidInput, "at most %d managed session policies (PolicyArns) may be given", MaxSessionPolicyARNs)
	}
	snap := s.snap.Load()
	for _, arn := range opts.PolicyARNs {
		name, err := PolicyNameFromARN(arn)
		if err != nil {
			return err
		}
		if p, ok := snap.policy(name); !ok || p.ARN() != CanonicalARN(arn) {
			return errorf(ErrInvalidInput, "the managed session policy %s does not exist", arn)
		}
	}
	if len(opts.Tags) > MaxSessionTags {
		return errorf(ErrInvalidInput, "at most %d session tags may be given", MaxSessionTags)
	}
	if err := checkTags(opts.Tags, roleTagKeys); err != nil {
		return err
	}
	for _, k := range opts.TransitiveTagKeys {
		found := false
		for _, t := range opts.Tags {
			found = found || strings.EqualFold(t.Key, k)
		}
		if !found {
			return errorf(ErrInvalidInput, "transitive tag key %s is not among the session tags", k)
		}
	}
	if si := opts.SourceIdentity; si != "" && !sourceIdentityPattern.MatchString(si) {
		return errorf(ErrInvalidInput, "source identity must be 2 to 64 characters of letters, digits and +=,.@_-")
	}
	if packedSize(*opts) > PackedPolicyBudget {
		return errorf(ErrPackedPolicyTooLarge, "the session policies, session tags and source identity take %d bytes; the limit is %d",
			packedSize(*opts), PackedPolicyBudget)
	}
	return nil
}

// packedSize is what opts's session policies, tags and source identity
// add to a session token, in bytes.
func packedSize(opts SessionOptions) int {
	n := len(opts.Policy) + len(opts.SourceIdentity)
	for _, a := range opts.PolicyARNs {
		n += len(a)
	}
	for _, t := range opts.Tags {
		n += len(t.Key) + len(t.Value)
	}
	for _, k := range opts.TransitiveTagKeys {
		n += len(k)
	}
	return n
}

// issue seals sess with fresh keys, issue and expiry times.
func (s *Service) issue(sess *Session, opts SessionOptions) (IssuedSession, error) {
	now := s.now()
	sess.AccessKey, sess.SecretKey = randomID("ASIA", 20), randomSecret()
	sess.Issued, sess.Expires = now, now.Add(opts.Duration).Truncate(time.Second)
	token, err := s.sealSession(sess)
	if err != nil {
		return IssuedSession{}, err
	}
	out := IssuedSession{
		Credentials:      Credentials{AccessKeyID: sess.AccessKey, SecretAccessKey: sess.SecretKey, SessionToken: token, Expiration: sess.Expires.UTC()},
		AssumedRoleUser:  sess.AssumedRoleUser(),
		PackedPolicySize: -1,
		SourceIdentity:   sess.SourceIdentity,
	}
	if n := packedSize(opts); n > 0 {
		out.PackedPolicySize = (n*100 + PackedPolicyBudget - 1) / PackedPolicyBudget
	}
	return out, nil
}

// GetSessionToken mints temporary credentials that act as the caller
// itself (a user or the root user) for a while: its own live policies, no
// session policy. Temporary credentials may not call it.
func (s *Service) GetSessionToken(_ context.Context, caller Principal, d time.Duration) (IssuedSession, error) {
	if caller.Anonymous || caller.Session != nil {
		return IssuedSession{}, errorf(ErrAccessDenied, "temporary credentials cannot call GetSessionToken")
	}
	if err := tokenDuration(caller, &d); err != nil {
		return IssuedSession{}, err
	}
	sess := &Session{Kind: KindSessionToken, Parent: caller.User, ParentID: caller.UserID, ParentRoot: caller.Root}
	if caller.Root {
		sess.ParentID = s.rootFingerprint()
	}
	return s.issue(sess, SessionOptions{Duration: d})
}

// GetFederationToken mints the credentials of a federated user called
// name for the caller (a user or the root user): the caller's live
// policies ∩ the session policies; without session policies they allow
// nothing, as in AWS.
func (s *Service) GetFederationToken(_ context.Context, caller Principal, name string, opts SessionOptions) (IssuedSession, error) {
	if caller.Anonymous || caller.Session != nil {
		return IssuedSession{}, errorf(ErrAccessDenied, "temporary credentials cannot call GetFederationToken")
	}
	if !federatedNamePattern.MatchString(name) {
		return IssuedSession{}, errorf(ErrInvalidInput, "the federated user's name must be 2 to 32 characters of letters, digits and +=,.@_-")
	}
	if err := tokenDuration(caller, &opts.Duration); err != nil {
		return IssuedSession{}, err
	}
	if err := s.checkSessionOptions(&opts, false); err != nil {
		return IssuedSession{}, err
	}
	sess := &Session{
		Kind: KindFederationToken, Parent: caller.User, ParentID: caller.UserID, ParentRoot: caller.Root, Name: name,
		Policy: opts.Policy, PolicyNames: policyNames(opts.PolicyARNs), Tags: opts.Tags, TransitiveTags: opts.TransitiveTagKeys,
	}
	if caller.Root {
		sess.ParentID = s.rootFingerprint()
	}
	out, err := s.issue(sess, opts)
	out.FederatedUser = out.AssumedRoleUser
	return out, err
}

// tokenDuration defaults and bounds a GetSessionToken or
// GetFederationToken duration: 12 hours by default, 15 minutes to 36
// hours for a user, at most one hour for the root user.
func tokenDuration(caller Principal, d *time.Duration) error {
	if *d == 0 {
		*d = 12 * time.Hour
		if caller.Root {
			*d = time.Hour
		}
	}
	limit := MaxTokenSessionDuration
	if caller.Root {
		limit = time.Hour
	}
	if *d < MinSessionDuration || *d > limit {
		return errorf(ErrInvalidInput, "DurationSeconds must be between %d and %d", int(MinSessionDuration/time.Second), int(limit/time.Second))
	}
	return nil
}

// policyNames turns managed policy ARNs (validated) into names.
func policyNames(arns []string) []string {
	var out []string
	for _, a := range arns {
		if n, err := PolicyNameFromARN(a); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func appendFold(list []string, s string) []string {
	if containsFold(list, s) {
		return list
	}
	return append(list, s)
}
