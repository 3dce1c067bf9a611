package ldap

import (
	"context"
	"crypto/x509"
	"log/slog"
	"net"
	"slices"
	"time"
	"unicode/utf8"

	goldap "github.com/go-ldap/ldap/v3"
)

// The lengths AssumeRoleWithLDAPIdentity accepts at most (MinIO's limits
// on LDAPUsername and LDAPPassword). Longer ones are refused without
// contacting the server.
const (
	MaxUsernameLength = 2048
	MaxPasswordLength = 2048
)

// Options tune a Client. The zero value gives the defaults.
type Options struct {
	// DialTimeout bounds connecting to one server: the DNS SRV lookup, TCP
	// connection and TLS or StartTLS handshake (default 5 s).
	DialTimeout time.Duration
	// OperationTimeout bounds each bind and search (default 10 s); it is
	// also sent to the server as the searches' time limit.
	OperationTimeout time.Duration
	// RootCAs verifies the server's certificate; nil uses the system's
	// roots.
	RootCAs *x509.CertPool
	// GroupCacheTTL is how long a user's groups are remembered (default
	// 30 s; negative: not at all). The password is checked by a bind at
	// every login regardless.
	GroupCacheTTL time.Duration
	// GroupCacheSize bounds the cached users (default 10000).
	GroupCacheSize int
	// MaxGroups bounds a user's groups, nested ones included (default
	// 1000); beyond it the login fails with ErrGroupLimit.
	MaxGroups int
	// MaxConcurrent bounds the connections open at once to the directory
	// (default 16); further requests wait for a slot, within their context.
	MaxConcurrent int
	// Resolver looks up SRV records (default net.DefaultResolver).
	Resolver Resolver
	// Now is the clock of the group cache (default time.Now).
	Now func() time.Time
	// Logger receives warnings about the directory, e.g. a base DN that
	// does not exist (default: discarded).
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.OperationTimeout <= 0 {
		o.OperationTimeout = 10 * time.Second
	}
	if o.GroupCacheTTL == 0 {
		o.GroupCacheTTL = 30 * time.Second
	}
	if o.GroupCacheSize <= 0 {
		o.GroupCacheSize = 10000
	}
	if o.MaxGroups <= 0 {
		o.MaxGroups = 1000
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 16
	}
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Identity is a user whose password the directory accepted.
type Identity struct {
	// Username is the name the user logged in with, as given.
	Username string
	// UserDN is the DN of the user's entry, normalised (NormalizeDN).
	UserDN string
	// Groups are the DNs of the user's groups, nested ones included,
	// normalised and sorted.
	Groups []string
	// Attributes holds the values of MINIO_IDENTITY_LDAP_USER_DN_ATTRIBUTES
	// found on the user's entry, keyed as configured.
	Attributes map[string][]string
}

// Client authenticates users against the LDAP directory and looks up DNs.
// It is safe for concurrent use. It opens one connection per request and
// closes it at the request's end (see the package documentation), so it
// holds no resources and needs no Close.
type Client struct {
	cfg        Config
	opts       Options
	userBases  baseSet
	groupBases baseSet
	cache      *groupCache
	slots      chan struct{}
	dialer     net.Dialer
}

// New returns a Client for cfg, which it validates. It does not contact
// the server: Check does.
func New(cfg *Config, opts Options) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts.setDefaults()
	c := &Client{cfg: *cfg, opts: opts, slots: make(chan struct{}, opts.MaxConcurrent)}
	c.cfg.UserDNSearchBaseDN = slices.Clone(cfg.UserDNSearchBaseDN)
	c.cfg.GroupSearchBaseDN = slices.Clone(cfg.GroupSearchBaseDN)
	c.cfg.UserDNAttributes = slices.Clone(cfg.UserDNAttributes)
	var err error
	if c.userBases, err = newBaseSet(cfg.UserDNSearchBaseDN); err != nil {
		return nil, configErr("%s: %v", EnvUserDNSearchBaseDN, err)
	}
	if c.groupBases, err = newBaseSet(cfg.GroupSearchBaseDN); err != nil {
		return nil, configErr("%s: %v", EnvGroupSearchBaseDN, err)
	}
	c.cache = newGroupCache(opts.GroupCacheTTL, opts.GroupCacheSize, opts.Now)
	return c, nil
}

// Authenticate checks username and password against the directory and
// returns the user's identity:
//
//  1. an empty password, or a username or password that is too long, is
//     refused before any traffic;
//  2. a connection is opened and bound as the lookup account;
//  3. the user is searched under each user base DN with
//     USER_DN_SEARCH_FILTER: exactly one entry must match (ErrNoSuchUser,
//     ErrAmbiguousUser);
//  4. the connection binds as that entry with password: the password check,
//     never cached (ErrInvalidCredentials);
//  5. the user's groups come from the cache, or the connection binds as the
//     lookup account again and searches them, nested ones included.
//
// Every error is an *Error; ErrUnavailable means the directory could not
// answer, and must never be taken for a success.
func (c *Client) Authenticate(ctx context.Context, username, password string) (Identity, error) {
	if password == "" {
		return Identity{}, opErr(ErrInvalidCredentials, OpConfig, nil, "empty password refused without contacting the server")
	}
	if len(password) > MaxPasswordLength {
		return Identity{}, opErr(ErrInvalidCredentials, OpConfig, nil, "password longer than %d bytes", MaxPasswordLength)
	}
	if username == "" || len(username) > MaxUsernameLength || !utf8.ValidString(username) {
		return Identity{}, opErr(ErrNoSuchUser, OpConfig, nil, "username empty, longer than %d bytes or not UTF-8", MaxUsernameLength)
	}

	s, err := c.open(ctx)
	if err != nil {
		return Identity{}, err
	}
	defer s.close()

	entry, err := s.findUser(username)
	if err != nil {
		return Identity{}, err
	}
	userDN, err := NormalizeDN(entry.DN)
	if err != nil || !c.userBases.containsDN(entry.DN) {
		return Identity{}, opErr(ErrUnavailable, OpUserSearch, err, "the server returned the user entry %q, not a DN under %s", entry.DN, EnvUserDNSearchBaseDN)
	}
	if err := s.userBind(entry.DN, password); err != nil {
		return Identity{}, err
	}

	id := Identity{Username: username, UserDN: userDN}
	if len(c.cfg.UserDNAttributes) > 0 {
		id.Attributes = map[string][]string{}
		for _, a := range c.cfg.UserDNAttributes {
			if v := entry.GetEqualFoldAttributeValues(a); len(v) > 0 {
				id.Attributes[a] = v
			}
		}
	}
	if c.cfg.GroupSearchFilter == "" {
		return id, nil
	}
	key := userDN + "\x00" + username
	if groups, ok := c.cache.get(key); ok {
		id.Groups = groups
		return id, nil
	}
	// The connection is bound as the user now: searching groups with the
	// user's rights could miss some, so bind as the lookup account again.
	if err := s.lookupBind(); err != nil {
		return Identity{}, err
	}
	groups, err := s.groups(username, entry.DN)
	if err != nil {
		return Identity{}, err
	}
	c.cache.put(key, groups)
	id.Groups = groups
	return id, nil
}

// findUser searches the user's entry under every user base DN.
func (s *session) findUser(username string) (*goldap.Entry, error) {
	cfg := &s.c.cfg
	filter := substitute(cfg.UserDNSearchFilter, username, "")
	attrs := []string{"1.1"} // no attributes, only the DN
	if len(cfg.UserDNAttributes) > 0 {
		attrs = cfg.UserDNAttributes
	}
	var found []*goldap.Entry
	seen := map[string]bool{}
	for _, base := range cfg.UserDNSearchBaseDN {
		res, err := s.search(OpUserSearch, &goldap.SearchRequest{
			BaseDN: base, Scope: goldap.ScopeWholeSubtree, SizeLimit: 2, Filter: filter, Attributes: attrs,
		})
		switch {
		case err == nil:
		case goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) && s.ctx.Err() == nil:
			s.c.opts.Logger.Warn("ldap: a user search base DN does not exist", "variable", EnvUserDNSearchBaseDN, "base_dn", base)
			continue
		case goldap.IsErrorWithCode(err, goldap.LDAPResultSizeLimitExceeded) && s.ctx.Err() == nil:
			return nil, opErr(ErrAmbiguousUser, OpUserSearch, err, "the user filter matches more than one entry under %s", base)
		default:
			return nil, s.fail(ErrUnavailable, OpUserSearch, err, "user search under %s", base)
		}
		for _, e := range res.Entries {
			norm, err := NormalizeDN(e.DN)
			if err != nil {
				return nil, opErr(ErrUnavailable, OpUserSearch, err, "the server returned an invalid DN %q", e.DN)
			}
			if !seen[norm] { // overlapping base DNs find an entry twice
				seen[norm] = true
				found = append(found, e)
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, opErr(ErrNoSuchUser, OpUserSearch, nil, "no entry matches the user filter")
	case 1:
		return found[0], nil
	}
	dns := make([]string, len(found))
	for i, e := range found {
		dns[i] = e.DN
	}
	return nil, opErr(ErrAmbiguousUser, OpUserSearch, nil, "the user filter matches %q", dns)
}

// InUserBase reports whether dn is a valid DN at or below one of the user
// search base DNs (MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN), comparing
// normalised DNs RDN by RDN. It does not contact the server.
func (c *Client) InUserBase(dn string) bool { return c.userBases.containsDN(dn) }

// InGroupBase reports whether dn is a valid DN at or below one of the
// group search base DNs (MINIO_IDENTITY_LDAP_GROUP_SEARCH_BASE_DN); it is
// false when groups are not configured. It does not contact the server.
func (c *Client) InGroupBase(dn string) bool { return c.groupBases.containsDN(dn) }

// LookupUserDN checks that dn names an existing entry under the user base
// DNs, as the IAM API does before attaching a policy to a user, and returns
// it normalised. A DN outside the bases is ErrOutsideBase (without
// traffic); a missing entry is ErrNoSuchUser.
func (c *Client) LookupUserDN(ctx context.Context, dn string) (string, error) {
	return c.lookupDN(ctx, dn, c.userBases, EnvUserDNSearchBaseDN, ErrNoSuchUser)
}

// LookupGroupDN checks that dn names an existing entry under the group
// base DNs, as the IAM API does before attaching a policy to a group, and
// returns it normalised. A DN outside the bases (or any DN when groups are
// not configured) is ErrOutsideBase; a missing entry is ErrNoSuchGroup.
func (c *Client) LookupGroupDN(ctx context.Context, dn string) (string, error) {
	return c.lookupDN(ctx, dn, c.groupBases, EnvGroupSearchBaseDN, ErrNoSuchGroup)
}

func (c *Client) lookupDN(ctx context.Context, dn string, bases baseSet, variable string, missing error) (string, error) {
	rdns, err := parseDN(dn)
	if err != nil {
		return "", opErr(ErrOutsideBase, OpLookupDN, err, "%q is not a DN", dn)
	}
	if !bases.contains(rdns) {
		return "", opErr(ErrOutsideBase, OpLookupDN, nil, "%q is not under %s", dn, variable)
	}
	s, err := c.open(ctx)
	if err != nil {
		return "", err
	}
	defer s.close()
	res, err := s.search(OpLookupDN, &goldap.SearchRequest{
		BaseDN: dn, Scope: goldap.ScopeBaseObject, SizeLimit: 1, Filter: "(objectClass=*)", Attributes: []string{"1.1"},
	})
	switch {
	case err == nil && len(res.Entries) == 1:
		norm, err := NormalizeDN(res.Entries[0].DN)
		if err != nil {
			return "", opErr(ErrUnavailable, OpLookupDN, err, "the server returned an invalid DN %q", res.Entries[0].DN)
		}
		return norm, nil
	case err == nil, goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) && ctx.Err() == nil:
		return "", opErr(missing, OpLookupDN, err, "no entry %q", dn)
	default:
		return "", s.fail(ErrUnavailable, OpLookupDN, err, "search of %q", dn)
	}
}

// Check connects to the directory and binds as the lookup account, for a
// readiness check at start-up. It returns nil or an ErrUnavailable *Error.
func (c *Client) Check(ctx context.Context) error {
	s, err := c.open(ctx)
	if err != nil {
		return err
	}
	s.close()
	return nil
}

// ForgetGroups empties the group cache, e.g. after an administrator
// changed group memberships and wants them to apply at the next login.
func (c *Client) ForgetGroups() { c.cache.clear() }
