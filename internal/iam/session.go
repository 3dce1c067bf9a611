package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/seal"
	"github.com/sesame-s3/sesame/internal/iam/store"
)

// Session limits, as AWS STS and MinIO document them.
const (
	MinSessionDuration     = 15 * time.Minute
	DefaultSessionDuration = time.Hour
	MaxSessionDuration     = 7 * 24 * time.Hour
	// MaxSessionPolicySize is the longest inline session policy, in characters.
	MaxSessionPolicySize = 2048
	// SealingKeyRotation is how long a sealing key seals new tokens; it keeps
	// opening them for MaxSessionDuration more (the overlap window).
	SealingKeyRotation = 24 * time.Hour
)

// Session errors.
var (
	// ErrPackedPolicyTooLarge is returned for a session policy over MaxSessionPolicySize.
	ErrPackedPolicyTooLarge = errors.New("iam: session policy too large")
	// ErrAccessDenied is returned when a principal may not perform an IAM or STS action.
	ErrAccessDenied = errors.New("iam: access denied")
	// ErrInvalidToken is returned for a session token that does not unseal,
	// does not belong to the access key that signed, or was revoked.
	ErrInvalidToken = errors.New("iam: invalid session token")
	// ErrExpiredToken is returned for a session token past its expiry.
	ErrExpiredToken = errors.New("iam: session token expired")
)

// sealingKey is the stored form of a seal.Key.
type sealingKey struct {
	ID      string    `json:"id"`     // hex
	Secret  string    `json:"secret"` // base64
	Created time.Time `json:"created"`
}

func (k sealingKey) key() (seal.Key, error) {
	var out seal.Key
	id, err := hex.DecodeString(k.ID)
	if err != nil || len(id) != seal.IDSize {
		return out, fmt.Errorf("iam: sealing key %q: bad id", k.ID)
	}
	secret, err := base64.StdEncoding.DecodeString(k.Secret)
	if err != nil || len(secret) != seal.KeySize {
		return out, fmt.Errorf("iam: sealing key %q: bad secret", k.ID)
	}
	copy(out.ID[:], id)
	copy(out.Secret[:], secret)
	return out, nil
}

// ensureSealingKey creates a new sealing key when none was created within
// SealingKeyRotation. Old keys stay in the store (and keep opening tokens)
// until every token they sealed has expired; the store then collects them.
func (s *Service) ensureSealingKey(ctx context.Context) error {
	return s.write(ctx, func(snap *snapshot) error {
		if snap.sealer != nil && s.now().Sub(snap.sealerCreated) < SealingKeyRotation {
			return nil
		}
		var raw [seal.IDSize + seal.KeySize]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return err
		}
		now := s.now().UTC()
		rec := sealingKey{ID: hex.EncodeToString(raw[:seal.IDSize]), Secret: base64.StdEncoding.EncodeToString(raw[seal.IDSize:]), Created: now}
		data, _ := json.Marshal(rec)
		err := s.st.Create(ctx, store.Record{
			Kind: store.KindSealingKey, Name: rec.ID, Value: data,
			Expires: now.Add(SealingKeyRotation + MaxSessionDuration + time.Hour),
		})
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil
		}
		return err
	})
}

// AssumeRoleOptions are the parameters of AssumeRole, already validated for shape.
type AssumeRoleOptions struct {
	Duration        time.Duration
	Policy          string
	RoleSessionName string
}

// Credentials are temporary credentials.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	Expiration                                 time.Time
}

// AssumedRoleUser names a session.
type AssumedRoleUser struct {
	Arn, AssumedRoleID string
}

// AssumeRole mints temporary credentials for p, bounded by p's live
// policies and narrowed by opts.Policy. Temporary credentials may not mint
// more (no role chaining): ErrAccessDenied.
func (s *Service) AssumeRole(_ context.Context, p Principal, opts AssumeRoleOptions) (Credentials, AssumedRoleUser, error) {
	if p.Session != nil {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrAccessDenied, "temporary credentials cannot be used to call AssumeRole")
	}
	if opts.Duration < MinSessionDuration || opts.Duration > MaxSessionDuration {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrInvalidInput, "duration must be between %v and %v", MinSessionDuration, MaxSessionDuration)
	}
	if opts.Policy != "" {
		if n := utf8.RuneCountInString(opts.Policy); n > MaxSessionPolicySize {
			return Credentials{}, AssumedRoleUser{}, errorf(ErrPackedPolicyTooLarge, "the session policy has %d characters; the limit is %d", n, MaxSessionPolicySize)
		}
		if _, err := s.sessionPolicy(opts.Policy); err != nil {
			return Credentials{}, AssumedRoleUser{}, err
		}
	}
	if n := opts.RoleSessionName; n != "" && (len(n) < 2 || len(n) > 64 || !namePattern.MatchString(n)) {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrInvalidInput, "role session name must be 2 to 64 characters of letters, digits and +=,.@_-")
	}
	now := s.now()
	parentID := p.UserID
	if p.Root {
		// Root sessions end when the root credentials change.
		parentID = s.rootFingerprint()
	}
	sess := &Session{
		AccessKey: randomID("ASIA", 20), SecretKey: randomSecret(),
		Issued: now, Expires: now.Add(opts.Duration).Truncate(time.Second),
		Parent: p.User, ParentID: parentID, ParentRoot: p.Root,
		Name: opts.RoleSessionName, Policy: opts.Policy,
	}
	token, err := s.sealSession(sess)
	if err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	creds := Credentials{AccessKeyID: sess.AccessKey, SecretAccessKey: sess.SecretKey, SessionToken: token, Expiration: sess.Expires.UTC()}
	return creds, sess.AssumedRoleUser(), nil
}

// AssumedRoleUser names the session as STS reports it, and as policies
// and Authorize see it:
//
//   - a session of a user or of root: arn:aws:sts::ACCOUNT:assumed-role/
//     <parent>/<session name>, id <parent's id>:<session name>;
//   - a federated session: arn:aws:sts::ACCOUNT:assumed-role/<provider>/
//     <session name>, id <provider's role id>:<session name>, where the
//     provider is "openid" for the un-suffixed provider and the role id is
//     derived from the provider's name alone, never from a token claim;
//   - an LDAP, certificate or custom-token session: arn:aws:sts::ACCOUNT:
//     assumed-role/<ldap|certificate|custom>/<parent>, where the parent is
//     the user's DN, the certificate's common name or the plugin's user,
//     id <that role's id>:<parent>.
//
// The session name is the RoleSessionName given, else the subject for a
// federated session and the access key for the others.
func (sess *Session) AssumedRoleUser() AssumedRoleUser {
	name := sess.Name
	if name == "" {
		name = sess.AccessKey
	}
	id, role := sess.ParentID, sess.Parent
	switch {
	case sess.Kind == KindFederationToken:
		return AssumedRoleUser{
			Arn:           "arn:aws:sts::" + AccountID + ":federated-user/" + sess.Name,
			AssumedRoleID: AccountID + ":" + sess.Name,
		}
	case sess.Kind == KindRole:
		id = sess.RoleID
	case sess.ParentRoot:
		id = AccountID
	case sess.Kind == KindFederated:
		id, role = FederatedRoleID(sess.Provider), sess.Provider
		if sess.Name == "" {
			name = sess.Parent
		}
	case sess.Kind.identitySource():
		role = sess.Kind.role()
		id = FederatedRoleID(role)
		if sess.Name == "" {
			name = sess.Parent
		}
	}
	return AssumedRoleUser{
		Arn:           "arn:aws:sts::" + AccountID + ":assumed-role/" + role + "/" + name,
		AssumedRoleID: id + ":" + name,
	}
}

// FederatedRole is the role part of the ARNs of the sessions of the
// OpenID provider called provider: "openid" for the un-suffixed provider
// (""), else the provider's name.
func FederatedRole(provider string) string {
	if provider == "" {
		return "openid"
	}
	return provider
}

// FederatedRoleID is the role id of the sessions of the OpenID provider
// called provider: "AROA" and 17 characters derived from its name, shaped
// like an AWS role id.
func FederatedRoleID(provider string) string {
	sum := sha256.Sum256([]byte("sesame federated role\x00" + provider))
	b := make([]byte, 17)
	for i := range b {
		b[i] = idAlphabet[int(sum[i])%len(idAlphabet)]
	}
	return "AROA" + string(b)
}

// CallerIdentity describes p as GetCallerIdentity reports it.
func (s *Service) CallerIdentity(p Principal) (arn, userID, account string) {
	switch {
	case p.Session != nil && p.Session.Kind == KindSessionToken && p.Root:
		return RootARN, AccountID, AccountID
	case p.Session != nil && p.Session.Kind == KindSessionToken:
		return p.ARN(), p.UserID, AccountID
	case p.Session != nil:
		u := p.Session.AssumedRoleUser()
		return u.Arn, u.AssumedRoleID, AccountID
	case p.Root:
		return RootARN, AccountID, AccountID
	}
	return p.ARN(), p.UserID, AccountID
}

func (s *Service) sealSession(sess *Session) (string, error) {
	snap := s.snap.Load()
	if snap.sealer == nil {
		return "", errors.New("iam: no sealing key")
	}
	return seal.Seal(*snap.sealer, sess.encode(), rand.Reader)
}

// LookupSession verifies a session token presented with accessKey and
// returns the session's principal and secret. The token must unseal under a
// known key, name accessKey, be unexpired, and its parent must still exist
// (and be enabled) with no revocation after the token was issued.
func (s *Service) LookupSession(ctx context.Context, accessKey, token string) (Principal, string, error) {
	if len(token) > maxTokenLength {
		return Principal{}, "", errorf(ErrInvalidToken, "session token too long")
	}
	id, err := seal.KeyID(token)
	if err != nil {
		return Principal{}, "", errorf(ErrInvalidToken, "malformed session token")
	}
	snap := s.snap.Load()
	key, known := snap.openers[id]
	// A token opened before, whose key is still known, needs no second
	// unsealing: the checks below (expiry, revocation, parent) still run.
	sess := s.opened.get(token)
	if sess == nil || !known {
		if !known {
			// A key another node created a moment ago may not have reached
			// this node's snapshot yet: read it once from the store.
			k, err := s.fetchSealingKey(ctx, id)
			if err != nil {
				return Principal{}, "", errorf(ErrInvalidToken, "session token sealed by an unknown key")
			}
			key = k
		}
		plain, err := seal.Open(key, token)
		if err != nil {
			return Principal{}, "", errorf(ErrInvalidToken, "session token does not authenticate")
		}
		if sess, err = decodeSession(plain); err != nil {
			return Principal{}, "", errorf(ErrInvalidToken, "malformed session")
		}
		if known {
			s.opened.put(token, sess)
		}
	}
	if sess.AccessKey != accessKey {
		return Principal{}, "", errorf(ErrInvalidToken, "session token belongs to another access key")
	}
	if !s.now().Before(sess.Expires) {
		return Principal{}, "", errorf(ErrExpiredToken, "session expired at %s", sess.Expires.UTC().Format(time.RFC3339))
	}
	p := Principal{Root: sess.ParentRoot, User: sess.Parent, UserID: sess.ParentID, AccessKey: accessKey, Session: sess}
	switch {
	case sess.Kind == KindRole:
		// A role deleted (even if created again under its name) ends its
		// sessions; its policies are read live on every request.
		r, ok := snap.role(sess.Parent)
		if !ok || r.ID != sess.RoleID {
			return Principal{}, "", errorf(ErrInvalidToken, "the session's role no longer exists")
		}
	case sess.Kind == KindFederated, sess.Kind.identitySource():
		// A federated, LDAP, certificate or custom-token session has no
		// stored parent; its policies are checked live on every request.
	case sess.ParentRoot:
		if subtle.ConstantTimeCompare([]byte(sess.ParentID), []byte(s.rootFingerprint())) != 1 || !s.isRoot(sess.Parent) {
			return Principal{}, "", errorf(ErrInvalidToken, "the root credentials changed since the session was issued")
		}
		p.UserID = AccountID
	default:
		u, ok := snap.users[sess.Parent]
		if !ok || u.ID != sess.ParentID || u.Status == UserDisabled {
			return Principal{}, "", errorf(ErrInvalidToken, "the session's user no longer exists or is disabled")
		}
		p.Path = u.Path
	}
	if nb, ok := snap.notBefore[sess.revocationName()]; ok && !sess.Issued.After(nb) {
		// Issued at the revocation's instant counts as before it: a coarse
		// clock must not let a session minted in the same tick survive.
		return Principal{}, "", errorf(ErrInvalidToken, "the session was revoked")
	}
	return p, sess.SecretKey, nil
}

// maxTokenLength bounds a session token: the longest one Sesame mints
// (2,048 characters of session policy, tags, claims) is well under it.
const maxTokenLength = 16 << 10

// fetchSealingKey reads one sealing key from the store, rate-limited so a
// flood of forged key ids cannot turn into a flood of store reads.
func (s *Service) fetchSealingKey(ctx context.Context, id [seal.IDSize]byte) (seal.Key, error) {
	s.fetchMu.Lock()
	if time.Since(s.lastFetch) < time.Second {
		s.fetchMu.Unlock()
		return seal.Key{}, ErrInvalidToken
	}
	s.lastFetch = time.Now()
	s.fetchMu.Unlock()
	rec, err := s.st.Get(ctx, store.KindSealingKey, hex.EncodeToString(id[:]))
	if err != nil {
		return seal.Key{}, err
	}
	var sk sealingKey
	if err := json.Unmarshal(rec.Value, &sk); err != nil {
		return seal.Key{}, err
	}
	return sk.key()
}

// rootRevocation names the revocation entry of the root user's sessions.
const rootRevocation = "root"

// userRevocation names the revocation entry of a user's sessions.
func userRevocation(user string) string { return "user:" + user }

// revocationName names the revocation entry that covers the session.
func (s *Session) revocationName() string {
	if s.Kind == KindRole {
		return "role:" + s.RoleID
	}
	if s.Kind == KindFederated {
		return "oidc:" + s.Provider + ":" + s.Parent
	}
	if s.Kind.identitySource() {
		return s.Kind.role() + ":" + s.Parent
	}
	if s.ParentRoot {
		return rootRevocation
	}
	return userRevocation(s.Parent)
}

type revocation struct {
	NotBefore time.Time `json:"notBefore"`
}

// RevokeUserSessions ends every session of user issued before now. The
// entry is kept only as long as such a session could live.
func (s *Service) RevokeUserSessions(ctx context.Context, user string) error {
	u, err := s.GetUser(ctx, user)
	if err != nil {
		return err
	}
	return s.revoke(ctx, userRevocation(u.Name))
}

// RevokeRootSessions ends every session of the root user issued before now.
func (s *Service) RevokeRootSessions(ctx context.Context) error {
	return s.revoke(ctx, rootRevocation)
}

// RevokeFederatedSessions ends every session of an OpenID Connect subject
// of provider ("openid" for the default provider) issued before now.
func (s *Service) RevokeFederatedSessions(ctx context.Context, provider, subject string) error {
	return s.revoke(ctx, "oidc:"+provider+":"+subject)
}

func (s *Service) revoke(ctx context.Context, name string) error {
	return s.write(ctx, func(*snapshot) error { return s.putRevocation(ctx, name) })
}

// putRevocation voids every session the entry name covers that was issued
// before now. Callers hold writeMu (inside write).
func (s *Service) putRevocation(ctx context.Context, name string) error {
	now := s.now()
	data, _ := json.Marshal(revocation{NotBefore: now})
	rec := store.Record{Kind: store.KindRevocation, Name: name, Value: data, Expires: now.Add(MaxSessionDuration)}
	err := s.st.Create(ctx, rec)
	if errors.Is(err, store.ErrAlreadyExists) {
		// Replace the older entry; its expiry moves with it.
		if err = s.st.Delete(ctx, store.KindRevocation, name); err == nil || errors.Is(err, store.ErrNotFound) {
			err = s.st.Create(ctx, rec)
		}
	}
	return err
}

// openedSessions caches the sessions of recently seen tokens, by token:
// unsealing and decoding a token costs more than the rest of its checks.
// Sessions are never modified once decoded.
type openedSessions struct {
	mu sync.RWMutex
	m  map[string]*Session
}

// maxOpenedSessions bounds the cache; when full it starts over.
const maxOpenedSessions = 8192

func (c *openedSessions) get(token string) *Session {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[token]
}

func (c *openedSessions) put(token string, sess *Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxOpenedSessions {
		c.m = make(map[string]*Session, 256)
	}
	c.m[token] = sess
}

// sessionPolicies caches compiled session policies by document, so a
// request with temporary credentials does not parse its policy again.
type sessionPolicies struct {
	mu sync.Mutex
	m  map[string]*policy.Policy
}

const maxCachedSessionPolicies = 10000

func (s *Service) sessionPolicy(doc string) (*policy.Policy, error) {
	return s.cachedPolicy(doc, func() (*policy.Policy, error) { return policy.Parse([]byte(doc)) })
}

// cachedPolicy returns the policy compiled from key's document by parse,
// from a bounded cache. Parse errors become ErrMalformedPolicy.
func (s *Service) cachedPolicy(key string, parse func() (*policy.Policy, error)) (*policy.Policy, error) {
	c := &s.sessionCache
	c.mu.Lock()
	p, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := parse()
	if err != nil {
		return nil, errorf(ErrMalformedPolicy, "%s", strings.TrimPrefix(err.Error(), "policy: "))
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCachedSessionPolicies {
		c.m = map[string]*policy.Policy{}
	}
	c.m[key] = p
	c.mu.Unlock()
	return p, nil
}

// rootFingerprint identifies the current root credentials without
// revealing them: root sessions carry it and die when it changes.
func (s *Service) rootFingerprint() string {
	sum := sha256.Sum256([]byte("sesame root session\x00" + s.rootUser + "\x00" + s.rootSecret))
	return hex.EncodeToString(sum[:8])
}

// FederatedIdentity is an identity an OpenID Connect provider vouched for.
type FederatedIdentity struct {
	Provider string // provider name ("" is the default provider: "openid")
	Subject  string
	// Policies are the managed policies the token grants (claim or role).
	Policies []string
	// PolicyErr, when set, says why the token names no policies (no policy
	// claim, an empty one). Without an external authorizer that is the
	// answer; with one (OPA), which decides from the claims, it is not.
	PolicyErr error
	// Claims feed ${jwt:...} policy variables; only KeptClaims are kept.
	Claims map[string][]string
	// Expiry is when the identity token expires.
	Expiry time.Time
}

// KeptClaims are the claims a federated session keeps for policy
// variables; others are dropped so the token stays small.
var KeptClaims = []string{"sub", "iss", "aud", "azp", "client_id", "preferred_username", "email", "name", "groups", "roles", "scope"}

// maxClaimBytes bounds the claims a session carries.
const maxClaimBytes = 1024

// AssumeRoleWithIdentity mints temporary credentials for an OpenID Connect
// identity. Its named policies that exist grant the session's rights (live,
// like a user's); none existing is ErrAccessDenied. With an external
// authorizer the names are kept as given, existing or not, and it decides. A zero opts.Duration
// means until the identity token expires (at most MaxSessionDuration).
func (s *Service) AssumeRoleWithIdentity(_ context.Context, id FederatedIdentity, opts AssumeRoleOptions) (Credentials, AssumedRoleUser, error) {
	if id.Subject == "" {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrInvalidInput, "the identity has no subject")
	}
	if n := opts.RoleSessionName; n != "" && (len(n) < 2 || len(n) > 64 || !namePattern.MatchString(n)) {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrInvalidInput, "role session name must be 2 to 64 characters of letters, digits and +=,.@_-")
	}
	if opts.Policy != "" {
		if n := utf8.RuneCountInString(opts.Policy); n > MaxSessionPolicySize {
			return Credentials{}, AssumedRoleUser{}, errorf(ErrPackedPolicyTooLarge, "the session policy has %d characters; the limit is %d", n, MaxSessionPolicySize)
		}
		if _, err := s.sessionPolicy(opts.Policy); err != nil {
			return Credentials{}, AssumedRoleUser{}, err
		}
	}
	if id.PolicyErr != nil && s.external == nil {
		return Credentials{}, AssumedRoleUser{}, id.PolicyErr
	}
	var policies []string
	snap := s.snap.Load()
	for _, p := range id.Policies {
		if _, ok := snap.policies[p]; ok {
			policies = append(policies, p)
		}
	}
	if s.external != nil {
		// The external authorizer decides from the names and claims;
		// whether such policies exist here does not matter.
		policies = slices.Clone(id.Policies)
	} else if len(policies) == 0 {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrAccessDenied, "none of the policies the identity names (%s) exists", strings.Join(id.Policies, ", "))
	}
	now := s.now()
	expires := now.Add(opts.Duration)
	if opts.Duration == 0 {
		expires = id.Expiry
		if expires.After(now.Add(MaxSessionDuration)) {
			expires = now.Add(MaxSessionDuration)
		}
	}
	if !expires.After(now) {
		return Credentials{}, AssumedRoleUser{}, errorf(ErrExpiredToken, "the identity token has expired")
	}
	provider := FederatedRole(id.Provider)
	claims := map[string][]string{}
	size := 0
	keep := KeptClaims
	if s.external != nil {
		// The external authorizer may read any claim: keep them all
		// (KeptClaims first), within the same size bound.
		keep = slices.Clone(KeptClaims)
		for _, k := range sortedKeys(id.Claims) {
			if !slices.Contains(KeptClaims, k) {
				keep = append(keep, k)
			}
		}
	}
	for _, k := range keep {
		for _, v := range id.Claims[k] {
			if size += len(k) + len(v); size > maxClaimBytes {
				break
			}
			claims[k] = append(claims[k], v)
		}
	}
	sess := &Session{
		AccessKey: randomID("ASIA", 20), SecretKey: randomSecret(),
		Issued: now, Expires: expires.Truncate(time.Second),
		Kind: KindFederated, Parent: id.Subject, ParentID: provider, Name: opts.RoleSessionName,
		Policy: opts.Policy, Claims: claims, Provider: provider, Policies: policies,
	}
	token, err := s.sealSession(sess)
	if err != nil {
		return Credentials{}, AssumedRoleUser{}, err
	}
	return Credentials{AccessKeyID: sess.AccessKey, SecretAccessKey: sess.SecretKey, SessionToken: token, Expiration: sess.Expires.UTC()},
		sess.AssumedRoleUser(), nil
}
