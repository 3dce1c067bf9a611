package iam

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/iam/seal"
	"github.com/sesame-s3/sesame/internal/iam/store"
)

func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// Options configure a Service.
type Options struct {
	Store store.Store
	// RootUser and RootSecret are the root credentials (never stored).
	RootUser, RootSecret string
	Logger               *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// External, when set, makes every decision instead of the identity
	// and resource policies (root's included): see Authorize. It is the
	// one place where "OPA is on" is configured.
	External ExternalAuthorizer
	// Providers are the names of the OpenID Connect providers whose
	// sessions this service mints ("openid" for the un-suffixed one), and
	// of the other identity sources configured (LDAPRole, CertificateRole,
	// CustomTokenRole). Their sessions' ARNs name them as a role would, so
	// no user may take one of these names (case-insensitively).
	Providers []string
	// LDAP, when set, is the LDAP directory: the IAM API then attaches
	// policies to its users' and groups' DNs (ldappolicies.go).
	LDAP LDAPDirectory
}

// Service is the IAM domain: identities, policies and decisions.
type Service struct {
	st         store.Store
	rootUser   string
	rootSecret string
	log        *slog.Logger
	now        func() time.Time
	external   ExternalAuthorizer // nil: the built-in policies decide
	providers  []string           // OpenID provider names: reserved user names
	ldap       LDAPDirectory      // nil without an LDAP directory

	writeMu sync.Mutex // serializes this node's writes and reloads
	snap    atomic.Pointer[snapshot]
	// compiled caches compiled documents across snapshots (guarded by writeMu).
	compiled map[string]*policy.Policy

	fetchMu      sync.Mutex // guards lastFetch
	lastFetch    time.Time
	sessionCache sessionPolicies
	opened       openedSessions

	subMu sync.Mutex                 // guards subs
	subs  map[chan struct{}]struct{} // Subscribe's channels

	cancel context.CancelFunc
	done   chan struct{}
}

// snapshot is an immutable view of all IAM state with policies compiled.
type snapshot struct {
	users    map[string]*User
	keys     map[string]*AccessKey // by access key ID
	groups   map[string]*Group
	policies map[string]*ManagedPolicy // managed, canned included
	members  map[string][]string       // group name → sorted user names
	roles    map[string]*Role          // by name
	// oidcProviders holds the OpenID Connect providers by store key (the
	// ARN after "oidc-provider/").
	oidcProviders map[string]*OIDCProvider
	// userNames, groupNames, policyNames and roleNames find entities by
	// name in any case, and know their store keys (see names.go).
	userNames, groupNames, policyNames, roleNames names
	// effective holds each user's compiled policies (attached, inline, groups').
	effective map[string][]*policy.Policy
	// roleEffective holds each role's compiled permissions policies
	// (attached managed, then inline in name order), by folded role name.
	roleEffective map[string][]*policy.Policy
	// managed holds every managed policy compiled, by name.
	managed map[string]*policy.Policy
	// ldapPolicies holds the managed policy names attached to LDAP DNs,
	// by ldapKey; DNs without policies are absent.
	ldapPolicies map[string][]string
	// sealer is the newest sealing key, created at sealerCreated; openers
	// holds every key that may still open tokens.
	sealer        *seal.Key
	sealerCreated time.Time
	openers       map[[seal.IDSize]byte]seal.Key
	// notBefore holds revocations: sessions of that parent issued at or before it are void.
	notBefore map[string]time.Time
}

// Open loads IAM state from opts.Store and starts following its changes.
func Open(ctx context.Context, opts Options) (*Service, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Service{
		st: opts.Store, rootUser: opts.RootUser, rootSecret: opts.RootSecret,
		log: opts.Logger, now: opts.Now, compiled: map[string]*policy.Policy{}, external: opts.External,
		providers: opts.Providers, ldap: opts.LDAP, done: make(chan struct{}), subs: map[chan struct{}]struct{}{},
	}
	wctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	events, err := s.st.Watch(wctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("iam: watch store: %w", err)
	}
	s.writeMu.Lock()
	err = s.reload(ctx)
	s.writeMu.Unlock()
	if err == nil {
		err = s.ensureSealingKey(ctx)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	snap := s.snap.Load()
	for _, u := range snap.users {
		if s.reservedName(u.Name) {
			s.log.Warn("iam: a user has the name of an OpenID Connect provider, so its sessions and the provider's share ARNs; rename the user",
				"user", u.Name)
		}
	}
	for _, r := range snap.roles {
		if s.reservedName(r.Name) {
			s.log.Warn("iam: a role has the name of an OpenID Connect provider, so its sessions and the provider's share ARNs; delete and recreate the role under another name",
				"role", r.Name)
		}
		if u, ok := snap.userNames.resolve(r.Name); ok {
			s.log.Warn("iam: a role and a user have the same name (created at the same moment on two nodes), so their sessions share ARNs; delete one of them",
				"role", r.Name, "user", u)
		} else if s.rootNameTaken(r.Name) {
			s.log.Warn("iam: a role has the root user's name, so its sessions and root's share ARNs; delete and recreate the role under another name",
				"role", r.Name)
		}
	}
	for kind, ix := range map[string]names{"user": snap.userNames, "group": snap.groupNames, "policy": snap.policyNames} {
		for name := range ix.keys {
			if c := ix.folded[fold(name)]; c != name {
				s.log.Warn("iam: two entities' names differ only in case (stored before names were unique regardless of case); "+
					"a name in another case finds the first one only: remove or rename one of them",
					"kind", kind, "name", name, "other", c)
			}
		}
	}
	go s.follow(wctx, events)
	go s.maintain(wctx)
	return s, nil
}

// maintain rotates the sealing key and collects expired store entries
// (retired keys, old revocations) until ctx is done.
func (s *Service) maintain(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.ensureSealingKey(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("iam: sealing key rotation failed", "err", err)
			}
			if _, err := s.st.GarbageCollect(ctx, s.now()); err != nil && ctx.Err() == nil {
				s.log.Warn("iam: garbage collection failed", "err", err)
			}
		}
	}
}

// Close stops following the store; it does not close the store.
func (s *Service) Close() error {
	s.cancel()
	<-s.done
	return nil
}

// follow reloads the snapshot whenever the store reports changes, so writes
// made by other nodes take effect here.
func (s *Service) follow(ctx context.Context, events <-chan store.Event) {
	defer close(s.done)
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-events:
			if !ok {
				if ctx.Err() != nil {
					return
				}
				// The watch ended (backend restart): watch again, then reload.
				time.Sleep(time.Second)
				ch, err := s.st.Watch(ctx)
				if err != nil {
					s.log.Warn("iam: cannot watch store", "err", err)
					continue
				}
				events = ch
			}
			// Coalesce a burst of events into one reload.
			for drained := false; !drained; {
				select {
				case _, ok := <-events:
					if !ok {
						drained = true
					}
				default:
					drained = true
				}
			}
			s.writeMu.Lock()
			if err := s.reload(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("iam: reload after store change failed", "err", err)
			}
			s.writeMu.Unlock()
		}
	}
}

// reload rebuilds the snapshot from the store. Callers hold writeMu.
func (s *Service) reload(ctx context.Context) error {
	next := &snapshot{
		users: map[string]*User{}, keys: map[string]*AccessKey{}, groups: map[string]*Group{},
		policies: map[string]*ManagedPolicy{}, members: map[string][]string{}, effective: map[string][]*policy.Policy{},
		openers: map[[seal.IDSize]byte]seal.Key{}, notBefore: map[string]time.Time{},
		managed: map[string]*policy.Policy{}, ldapPolicies: map[string][]string{},
		roles: map[string]*Role{}, roleEffective: map[string][]*policy.Policy{}, oidcProviders: map[string]*OIDCProvider{},
		userNames: newNames(), groupNames: newNames(), policyNames: newNames(), roleNames: newNames(),
	}
	now := s.now()
	var keyErr error
	if err := loadAll(ctx, s.st, store.KindSealingKey, func(_ string, k *sealingKey) {
		if now.Sub(k.Created) > SealingKeyRotation+MaxSessionDuration {
			return // retired: every token it sealed has expired
		}
		key, err := k.key()
		if err != nil {
			keyErr = err
			return
		}
		next.openers[key.ID] = key
		if next.sealer == nil || k.Created.After(next.sealerCreated) {
			next.sealer, next.sealerCreated = &key, k.Created
		}
	}); err != nil {
		return err
	}
	if keyErr != nil {
		return keyErr
	}
	recs, err := s.st.List(ctx, store.KindRevocation)
	if err != nil {
		return fmt.Errorf("iam: list revocations: %w", err)
	}
	for _, r := range recs {
		var rv revocation
		if err := json.Unmarshal(r.Value, &rv); err == nil {
			next.notBefore[r.Name] = rv.NotBefore
		}
	}
	userKeys, groupKeys, policyKeys := map[string]string{}, map[string]string{}, map[string]string{}
	if err := loadAll(ctx, s.st, store.KindUser, func(key string, u *User) {
		u.Path = pathOr(u.Path)
		next.users[u.Name], userKeys[u.Name] = u, key
	}); err != nil {
		return err
	}
	if err := loadAll(ctx, s.st, store.KindAccessKey, func(_ string, k *AccessKey) { next.keys[k.ID] = k }); err != nil {
		return err
	}
	if err := loadAll(ctx, s.st, store.KindGroup, func(key string, g *Group) {
		g.Path = pathOr(g.Path)
		next.groups[g.Name], groupKeys[g.Name] = g, key
	}); err != nil {
		return err
	}
	if err := loadAll(ctx, s.st, store.KindPolicy, func(key string, p *ManagedPolicy) {
		p.Path = pathOr(p.Path)
		next.policies[p.Name], policyKeys[p.Name] = p, key
	}); err != nil {
		return err
	}
	if err := loadAll(ctx, s.st, store.KindRole, func(key string, r *Role) {
		r.Path = pathOr(r.Path)
		if r.MaxSessionDuration == 0 {
			r.MaxSessionDuration = DefaultRoleSessionDuration
		}
		next.roles[r.Name] = r
		next.roleNames.add(r.Name, key)
	}); err != nil {
		return err
	}
	if err := loadAll(ctx, s.st, store.KindOIDCProvider, func(key string, p *OIDCProvider) {
		next.oidcProviders[key] = p
	}); err != nil {
		return err
	}
	if err := loadAll(ctx, s.st, store.KindLDAPPolicy, func(key string, m *ldapMapping) {
		if len(m.Policies) > 0 {
			next.ldapPolicies[key] = m.Policies
		}
	}); err != nil {
		return err
	}
	for _, name := range policy.CannedNames() {
		p, _ := policy.Canned(name)
		doc, _ := p.MarshalJSON()
		next.policies[name] = &ManagedPolicy{Name: name, Path: RootPath, ID: "ANPA" + cannedID(name), Document: string(doc), Builtin: true}
		s.compiled[string(doc)] = p
		delete(policyKeys, name) // a stored policy cannot shadow a canned one
	}
	// Index the canned policies first and the rest in name order, so that
	// among case variants stored before names were unique regardless of
	// case, the same one wins on every node.
	for _, name := range policy.CannedNames() {
		next.policyNames.add(name, "")
	}
	for _, ix := range []struct {
		names names
		keys  map[string]string
	}{{next.userNames, userKeys}, {next.groupNames, groupKeys}, {next.policyNames, policyKeys}} {
		for _, name := range sortedKeys(ix.keys) {
			ix.names.add(name, ix.keys[name])
		}
	}
	used := map[string]bool{}
	compile := func(doc string) *policy.Policy {
		used[doc] = true
		if p, ok := s.compiled[doc]; ok {
			return p
		}
		p, err := policy.Parse([]byte(doc))
		if err != nil {
			// Documents are validated before they are stored; one that no
			// longer parses grants nothing.
			s.log.Error("iam: stored policy does not parse", "err", err)
			return nil
		}
		s.compiled[doc] = p
		return p
	}
	managed := func(names []string, out []*policy.Policy) []*policy.Policy {
		for _, n := range names {
			if mp, ok := next.policies[n]; ok {
				if p := compile(mp.Document); p != nil {
					out = append(out, p)
				}
			}
		}
		return out
	}
	for name, mp := range next.policies {
		if p := compile(mp.Document); p != nil {
			next.managed[name] = p
		}
	}
	for _, u := range next.users {
		var eff []*policy.Policy
		eff = managed(u.AttachedPolicies, eff)
		for _, name := range sortedKeys(u.InlinePolicies) {
			if p := compile(u.InlinePolicies[name]); p != nil {
				eff = append(eff, p)
			}
		}
		for _, g := range u.Groups {
			if grp, ok := next.groups[g]; ok {
				eff = managed(grp.AttachedPolicies, eff)
				next.members[g] = append(next.members[g], u.Name)
			}
		}
		next.effective[u.Name] = eff
	}
	for g := range next.members {
		sort.Strings(next.members[g])
	}
	for _, r := range next.roles {
		var eff []*policy.Policy
		eff = managed(r.AttachedPolicies, eff)
		for _, name := range sortedKeys(r.InlinePolicies) {
			if p := compile(r.InlinePolicies[name]); p != nil {
				eff = append(eff, p)
			}
		}
		next.roleEffective[fold(r.Name)] = eff
	}
	for doc, p := range s.compiled {
		if !used[doc] && !isCanned(p) {
			delete(s.compiled, doc)
		}
	}
	s.snap.Store(next)
	s.notify()
	return nil
}

// Subscribe returns a channel that receives a signal after every reload of
// the snapshot: after each change made through this Service, and after
// each change another node makes, once the store's watch reports it. A
// consumer that follows some IAM objects (the OpenID Connect providers:
// OIDCProviders) reads them again when signalled, so it never needs a
// restart.
//
// Signals are coalesced and never block the Service: the channel holds at
// most one pending signal, so a consumer that is busy sees one signal for
// several reloads and must read the current state when it wakes rather
// than count signals. cancel stops the signals and closes the channel; it
// may be called more than once. Close does not close the channels.
func (s *Service) Subscribe() (signals <-chan struct{}, cancel func()) {
	ch := make(chan struct{}, 1)
	s.subMu.Lock()
	s.subs[ch] = struct{}{}
	s.subMu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.subMu.Lock()
			delete(s.subs, ch)
			close(ch)
			s.subMu.Unlock()
		})
	}
}

// notify signals every subscriber without blocking.
func (s *Service) notify() {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default: // a signal is pending already
		}
	}
}

func isCanned(p *policy.Policy) bool {
	for _, n := range policy.CannedNames() {
		if c, _ := policy.Canned(n); c == p {
			return true
		}
	}
	return false
}

func cannedID(name string) string {
	id := []byte("CANNED0000000000")
	for i := 0; i < len(name) && i < 10; i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		id[6+i] = c
	}
	return string(id)
}

// loadAll decodes every record of kind and hands it to add with its key.
func loadAll[T any](ctx context.Context, st store.Store, kind store.Kind, add func(key string, v *T)) error {
	recs, err := st.List(ctx, kind)
	if err != nil {
		return fmt.Errorf("iam: list %ss: %w", kind, err)
	}
	for _, r := range recs {
		v := new(T)
		if err := json.Unmarshal(r.Value, v); err != nil {
			return fmt.Errorf("iam: %s %q: corrupt record: %w", kind, r.Name, err)
		}
		add(r.Name, v)
	}
	return nil
}

// NameLess orders IAM names as AWS lists them: regardless of case (names
// are unique regardless of case), then by bytes.
func NameLess(a, b string) bool {
	if la, lb := strings.ToLower(a), strings.ToLower(b); la != lb {
		return la < lb
	}
	return a < b
}

// sortedNames returns m's keys in NameLess order.
func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return NameLess(keys[i], keys[j]) })
	return keys
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// write runs fn under the write lock and reloads the snapshot afterwards,
// so the change takes effect on the next request.
func (s *Service) write(ctx context.Context, fn func(*snapshot) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	err := fn(s.snap.Load())
	if rerr := s.reload(ctx); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// storeErr maps store sentinels to IAM sentinels.
func storeErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return errorf(ErrNoSuchEntity, "%s does not exist", what)
	case errors.Is(err, store.ErrAlreadyExists):
		return errorf(ErrEntityAlreadyExists, "%s already exists", what)
	}
	return err
}

func put[T any](ctx context.Context, st store.Store, kind store.Kind, name string, v *T) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return st.Create(ctx, store.Record{Kind: kind, Name: name, Value: data})
}

// update applies fn to the stored record (compare and swap).
func update[T any](ctx context.Context, st store.Store, kind store.Kind, name string, fn func(*T) error) error {
	return st.Update(ctx, kind, name, func(old []byte) ([]byte, error) {
		v := new(T)
		if err := json.Unmarshal(old, v); err != nil {
			return nil, fmt.Errorf("iam: %s %q: corrupt record: %w", kind, name, err)
		}
		if err := fn(v); err != nil {
			return nil, err
		}
		return json.Marshal(v)
	})
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// randomID returns prefix followed by random upper-case base32 characters up to n characters.
func randomID(prefix string, n int) string {
	b := make([]byte, n-len(prefix))
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + string(b)
}

const secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

func randomSecret() string {
	b := make([]byte, 40)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = secretAlphabet[int(b[i])%len(secretAlphabet)]
	}
	return string(b)
}

// LookupAccessKey finds the principal and secret behind an access key. An
// unknown key, an inactive key or a key of a deleted user is ErrNoSuchEntity.
func (s *Service) LookupAccessKey(_ context.Context, accessKey string) (Principal, string, error) {
	if subtle.ConstantTimeCompare([]byte(accessKey), []byte(s.rootUser)) == 1 {
		return Principal{Root: true, User: s.rootUser, UserID: AccountID, AccessKey: accessKey}, s.rootSecret, nil
	}
	snap := s.snap.Load()
	k, ok := snap.keys[accessKey]
	if !ok || k.Status != StatusActive {
		return Principal{}, "", errorf(ErrNoSuchEntity, "access key does not exist or is inactive")
	}
	u, ok := snap.users[k.User]
	if !ok || u.Status == UserDisabled {
		return Principal{}, "", errorf(ErrNoSuchEntity, "access key does not exist or is inactive")
	}
	return Principal{User: u.Name, UserID: u.ID, Path: u.Path, AccessKey: k.ID}, k.Secret, nil
}

// reservedName reports whether name is an OpenID provider's: the role
// part of its sessions' ARNs, which no user may share.
func (s *Service) reservedName(name string) bool {
	for _, p := range s.providers {
		if strings.EqualFold(p, name) {
			return true
		}
	}
	return false
}

func (s *Service) isRoot(name string) bool {
	return subtle.ConstantTimeCompare([]byte(name), []byte(s.rootUser)) == 1
}

// rootNameTaken reports whether name is the root user's in any case: no
// IAM user may take it (names are not distinguished by case).
func (s *Service) rootNameTaken(name string) bool {
	return subtle.ConstantTimeCompare([]byte(fold(name)), []byte(fold(s.rootUser))) == 1
}

func insertSorted(list []string, v string) []string {
	i, found := slices.BinarySearch(list, v)
	if found {
		return list
	}
	return slices.Insert(list, i, v)
}

func removeSorted(list []string, v string) ([]string, bool) {
	i, found := slices.BinarySearch(list, v)
	if !found {
		return list, false
	}
	return slices.Delete(list, i, i+1), true
}
