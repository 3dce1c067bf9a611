package ldap_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/ldap"
	"github.com/sesame-s3/sesame/internal/ldap/ldaptest"
)

// newClient configures a client for srv from its MinIO variables, with
// changes to them (a "" value unsets a variable).
func newClient(t *testing.T, srv *ldaptest.Server, opts ldap.Options, kv ...string) *ldap.Client {
	t.Helper()
	env := srv.Env()
	for i := 0; i < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	cfg, err := ldap.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg == nil {
		t.Fatal("no configuration")
	}
	c, err := ldap.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func groups(cns ...string) []string {
	var out []string
	for _, cn := range cns {
		out = append(out, ldaptest.GroupDN(cn))
	}
	return out
}

// checkSafe fails when an error's text shows a secret, a username or a DN.
func checkSafe(t *testing.T, err error, secrets ...string) {
	t.Helper()
	msg := err.Error()
	for _, s := range append(secrets, "dc=", "uid=", "cn=") {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error %q shows %q", msg, s)
		}
	}
	var e *ldap.Error
	if !errors.As(err, &e) {
		t.Errorf("%v is not an *ldap.Error", err)
	}
}

func TestClient_Authenticate(t *testing.T) {
	srv := ldaptest.Start(t)
	c := newClient(t, srv, ldap.Options{}, ldap.EnvUserDNAttributes, "mail,cn,description")
	tests := []struct {
		user   string
		groups []string
	}{
		{"alice", groups("interns", "readers", "staff")}, // interns ⊂ readers ⊂ staff
		{"dillon", groups("admins", "readers", "staff")},
		{"bob", groups("cycle-a", "cycle-b")}, // members of each other
		{"carol", nil},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			id, err := c.Authenticate(t.Context(), tt.user, ldaptest.Password(tt.user))
			if err != nil {
				t.Fatal(err)
			}
			want := ldap.Identity{
				Username: tt.user,
				UserDN:   ldaptest.UserDN(tt.user),
				Groups:   tt.groups,
				Attributes: map[string][]string{
					"mail": {tt.user + "@example.org"},
					"cn":   {strings.ToUpper(tt.user[:1]) + tt.user[1:]},
				},
			}
			if !reflect.DeepEqual(id, want) {
				t.Errorf("got  %+v\nwant %+v", id, want)
			}
		})
	}
}

func TestClient_Authenticate_refused(t *testing.T) {
	srv := ldaptest.Start(t)
	c := newClient(t, srv, ldap.Options{})
	tests := []struct {
		name, user, password string
		want                 error
	}{
		{"wrong password", "alice", "not-alices-password", ldap.ErrInvalidCredentials},
		{"another user's password", "alice", ldaptest.Password("bob"), ldap.ErrInvalidCredentials},
		{"unknown user", "nobody", "whatever-secret", ldap.ErrNoSuchUser},
		{"user outside the base", "eve", ldaptest.Password("eve"), ldap.ErrNoSuchUser},
		{"lookup account is not a user", "lookup", ldaptest.LookupPassword, ldap.ErrNoSuchUser},
		// Filter injection: unescaped, "al*" would find alice alone and
		// her password would succeed; "*" would match every user.
		{"wildcard prefix", "al*", ldaptest.Password("alice"), ldap.ErrNoSuchUser},
		{"wildcard", "*", ldaptest.Password("alice"), ldap.ErrNoSuchUser},
		{"filter injection", "*)(uid=*", ldaptest.Password("alice"), ldap.ErrNoSuchUser},
		{"filter injection with or", "alice)(|(uid=*", ldaptest.Password("alice"), ldap.ErrNoSuchUser},
		{"NUL", "alice\x00", ldaptest.Password("alice"), ldap.ErrNoSuchUser},
		{"backslash", `alice\`, ldaptest.Password("alice"), ldap.ErrNoSuchUser},
		{"empty username", "", ldaptest.Password("alice"), ldap.ErrNoSuchUser},
		{"long username", strings.Repeat("a", ldap.MaxUsernameLength+1), "whatever-secret", ldap.ErrNoSuchUser},
		{"long password", "alice", strings.Repeat("p", ldap.MaxPasswordLength+1), ldap.ErrInvalidCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := c.Authenticate(t.Context(), tt.user, tt.password)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %+v, %v; want %v", id, err, tt.want)
			}
			if !reflect.DeepEqual(id, ldap.Identity{}) {
				t.Errorf("an error came with an identity: %+v", id)
			}
			checkSafe(t, err, tt.password, tt.user)
		})
	}
}

// An empty password is refused before any traffic: not one bind (which
// this slapd, like many servers, would accept as unauthenticated) nor any
// search; not even a connection, so a dead server gives the same answer.
func TestClient_Authenticate_emptyPassword(t *testing.T) {
	srv := ldaptest.Start(t)
	c := newClient(t, srv, ldap.Options{})
	before := srv.Ops(t)
	_, err := c.Authenticate(t.Context(), "alice", "")
	if !errors.Is(err, ldap.ErrInvalidCredentials) {
		t.Fatalf("got %v, want ErrInvalidCredentials", err)
	}
	if after := srv.Ops(t); after != before {
		t.Errorf("operations went from %+v to %+v: the empty password reached the server", before, after)
	}

	down := newClient(t, srv, ldap.Options{}, ldap.EnvServerAddr, ldaptest.ClosedAddr(t))
	if _, err := down.Authenticate(t.Context(), "alice", ""); !errors.Is(err, ldap.ErrInvalidCredentials) {
		t.Fatalf("server down: got %v, want ErrInvalidCredentials without a connection", err)
	}
}

func TestClient_Authenticate_ambiguous(t *testing.T) {
	srv := ldaptest.Start(t)
	t.Run("two entries match the filter", func(t *testing.T) {
		c := newClient(t, srv, ldap.Options{}, ldap.EnvUserDNSearchFilter, "(cn=%s)")
		_, err := c.Authenticate(t.Context(), "Sam Smith", ldaptest.Password("sam1"))
		if !errors.Is(err, ldap.ErrAmbiguousUser) {
			t.Fatalf("got %v, want ErrAmbiguousUser", err)
		}
		checkSafe(t, err, ldaptest.Password("sam1"), "Sam")
	})
	t.Run("one entry in each of two bases", func(t *testing.T) {
		c := newClient(t, srv, ldap.Options{}, ldap.EnvUserDNSearchBaseDN, ldaptest.PeopleDN+";"+ldaptest.ContractorsDN)
		if _, err := c.Authenticate(t.Context(), "dup", ldaptest.Password("dup")); !errors.Is(err, ldap.ErrAmbiguousUser) {
			t.Fatalf("got %v, want ErrAmbiguousUser", err)
		}
		id, err := c.Authenticate(t.Context(), "eve", ldaptest.Password("eve"))
		if err != nil || id.UserDN != "uid=eve,"+ldaptest.ContractorsDN {
			t.Fatalf("eve in the second base: %+v, %v", id, err)
		}
	})
	t.Run("overlapping bases find one entry once", func(t *testing.T) {
		c := newClient(t, srv, ldap.Options{}, ldap.EnvUserDNSearchBaseDN, ldaptest.PeopleDN+";"+ldaptest.BaseDN)
		if _, err := c.Authenticate(t.Context(), "alice", ldaptest.Password("alice")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestClient_Authenticate_nesting(t *testing.T) {
	srv := ldaptest.Start(t)
	for depth, want := range [][]string{
		groups("interns"),
		groups("interns", "readers"),
		groups("interns", "readers", "staff"),
		groups("interns", "readers", "staff"),
	} {
		t.Run(fmt.Sprint("depth ", depth), func(t *testing.T) {
			c := newClient(t, srv, ldap.Options{}, ldap.EnvGroupNestingDepth, strconv.Itoa(depth))
			id, err := c.Authenticate(t.Context(), "alice", ldaptest.Password("alice"))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(id.Groups, want) {
				t.Errorf("groups %q, want %q", id.Groups, want)
			}
		})
	}
	t.Run("filter by username cannot nest", func(t *testing.T) {
		srv.AddEntry(t, ldaptest.GroupDN("posix"), map[string][]string{
			"objectClass": {"posixGroup"}, "cn": {"posix"}, "gidNumber": {"1000"}, "memberUid": {"alice"},
		})
		c := newClient(t, srv, ldap.Options{}, ldap.EnvGroupSearchFilter, "(&(objectClass=posixGroup)(memberUid=%s))")
		id, err := c.Authenticate(t.Context(), "alice", ldaptest.Password("alice"))
		if err != nil {
			t.Fatal(err)
		}
		if want := groups("posix"); !reflect.DeepEqual(id.Groups, want) {
			t.Errorf("groups %q, want %q", id.Groups, want)
		}
	})
	t.Run("no group configuration", func(t *testing.T) {
		c := newClient(t, srv, ldap.Options{}, ldap.EnvGroupSearchFilter, "", ldap.EnvGroupSearchBaseDN, "")
		id, err := c.Authenticate(t.Context(), "alice", ldaptest.Password("alice"))
		if err != nil || id.Groups != nil {
			t.Fatalf("got %+v, %v; want no groups", id, err)
		}
	})
}

// DNs with characters that are special in DNs and in filters reach the
// group filter's %d escaped, and come back normalised.
func TestClient_Authenticate_specialDN(t *testing.T) {
	srv := ldaptest.Start(t)
	userDN := `cn=Doe\, Jane (ext)*,` + ldaptest.PeopleDN
	srv.AddEntry(t, userDN, map[string][]string{
		"objectClass": {"inetOrgPerson"}, "cn": {"Doe, Jane (ext)*"}, "sn": {"Doe"}, "uid": {"jdoe"},
	})
	srv.SetPassword(t, userDN, "jane-secret")
	groupDN := `cn=R&D \+ QA,` + ldaptest.GroupsDN
	srv.AddEntry(t, groupDN, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {"R&D + QA"}, "member": {userDN}})
	srv.AddMember(t, ldaptest.GroupDN("staff"), groupDN)

	c := newClient(t, srv, ldap.Options{})
	id, err := c.Authenticate(t.Context(), "jdoe", "jane-secret")
	if err != nil {
		t.Fatal(err)
	}
	want := ldap.Identity{
		Username: "jdoe",
		UserDN:   `cn=doe\, jane (ext)*,` + ldaptest.PeopleDN,
		Groups:   []string{`cn=r&d \+ qa,` + ldaptest.GroupsDN, ldaptest.GroupDN("staff")},
	}
	if !reflect.DeepEqual(id, want) {
		t.Errorf("got  %+v\nwant %+v", id, want)
	}
}

// A login costs one search of the user and, for the groups, one search per
// nesting level reached (not one per group); within the cache's TTL only
// the user search and the binds remain, and the password is checked anew.
func TestClient_Authenticate_cache(t *testing.T) {
	srv := ldaptest.Start(t)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	c := newClient(t, srv, ldap.Options{Now: clock, GroupCacheTTL: 30 * time.Second})

	login := func(user, password string) (ldap.Identity, ldaptest.Ops) {
		t.Helper()
		before := srv.Ops(t)
		id, err := c.Authenticate(t.Context(), user, password)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		after := srv.Ops(t)
		return id, ldaptest.Ops{Binds: after.Binds - before.Binds, Searches: after.Searches - before.Searches}
	}

	// many is in 100 groups: the user, the direct groups, and one batch
	// asking which groups contain any of the 100.
	id, ops := login("many", ldaptest.Password("many"))
	if len(id.Groups) != ldaptest.ManyGroups {
		t.Fatalf("many has %d groups, want %d", len(id.Groups), ldaptest.ManyGroups)
	}
	if want := (ldaptest.Ops{Binds: 3, Searches: 3}); ops != want {
		t.Errorf("first login of many: %+v, want %+v", ops, want)
	}
	// alice: the user, then interns, readers, staff, and a last level
	// that finds nothing.
	id, ops = login("alice", ldaptest.Password("alice"))
	if want := (ldaptest.Ops{Binds: 3, Searches: 5}); ops != want {
		t.Errorf("first login of alice: %+v, want %+v", ops, want)
	}
	first := id.Groups

	// Within the TTL: lookup bind, user search, user bind; no group search.
	srv.AddMember(t, ldaptest.GroupDN("admins"), ldaptest.UserDN("alice"))
	advance(29 * time.Second)
	id, ops = login("alice", ldaptest.Password("alice"))
	if want := (ldaptest.Ops{Binds: 2, Searches: 1}); ops != want {
		t.Errorf("cached login: %+v, want %+v", ops, want)
	}
	if !reflect.DeepEqual(id.Groups, first) {
		t.Errorf("cached groups %q, want %q", id.Groups, first)
	}

	// A password change applies at once: the bind is never cached.
	srv.SetPassword(t, ldaptest.UserDN("alice"), "alice-new-secret")
	if _, err := c.Authenticate(t.Context(), "alice", ldaptest.Password("alice")); !errors.Is(err, ldap.ErrInvalidCredentials) {
		t.Fatalf("old password within the TTL: %v, want ErrInvalidCredentials", err)
	}
	if _, ops = login("alice", "alice-new-secret"); ops != (ldaptest.Ops{Binds: 2, Searches: 1}) {
		t.Errorf("new password within the TTL: %+v", ops)
	}

	// After the TTL the groups are searched again and the change shows.
	advance(2 * time.Second)
	id, ops = login("alice", "alice-new-secret")
	if want := groups("admins", "interns", "readers", "staff"); !reflect.DeepEqual(id.Groups, want) {
		t.Errorf("after the TTL: groups %q, want %q", id.Groups, want)
	}
	if ops.Searches < 2 {
		t.Errorf("after the TTL: %+v, want the groups searched", ops)
	}

	// ForgetGroups empties the cache.
	srv.RemoveMember(t, ldaptest.GroupDN("admins"), ldaptest.UserDN("alice"))
	c.ForgetGroups()
	if id, _ = login("alice", "alice-new-secret"); !reflect.DeepEqual(id.Groups, first) {
		t.Errorf("after ForgetGroups: groups %q, want %q", id.Groups, first)
	}
}

func TestClient_Authenticate_groupLimit(t *testing.T) {
	srv := ldaptest.Start(t)
	c := newClient(t, srv, ldap.Options{MaxGroups: ldaptest.ManyGroups - 1})
	if _, err := c.Authenticate(t.Context(), "many", ldaptest.Password("many")); !errors.Is(err, ldap.ErrGroupLimit) {
		t.Fatalf("got %v, want ErrGroupLimit", err)
	}
	c = newClient(t, srv, ldap.Options{MaxGroups: ldaptest.ManyGroups})
	if _, err := c.Authenticate(t.Context(), "many", ldaptest.Password("many")); err != nil {
		t.Fatalf("exactly MaxGroups groups: %v", err)
	}
}

func TestClient_unavailable(t *testing.T) {
	srv := ldaptest.Start(t)
	fast := ldap.Options{DialTimeout: 300 * time.Millisecond, OperationTimeout: 300 * time.Millisecond}
	tests := []struct {
		name string
		kv   []string
	}{
		{"closed port", []string{ldap.EnvServerAddr, ldaptest.ClosedAddr(t)}},
		{"server never answers an operation", []string{ldap.EnvServerAddr, ldaptest.SilentAddr(t)}},
		{"server never answers the TLS handshake", []string{ldap.EnvServerAddr, ldaptest.SilentAddr(t), ldap.EnvServerInsecure, "off"}},
		{"server never answers StartTLS", []string{ldap.EnvServerAddr, ldaptest.SilentAddr(t), ldap.EnvServerInsecure, "off", ldap.EnvServerStartTLS, "on"}},
		{"wrong lookup password", []string{ldap.EnvLookupBindPassword, "wrong-lookup-secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv, fast, tt.kv...)
			began := time.Now()
			_, err := c.Authenticate(t.Context(), "alice", ldaptest.Password("alice"))
			if !errors.Is(err, ldap.ErrUnavailable) {
				t.Fatalf("got %v, want ErrUnavailable", err)
			}
			if d := time.Since(began); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			checkSafe(t, err, ldaptest.Password("alice"), "wrong-lookup-secret", ldaptest.LookupPassword)
			if err := c.Check(t.Context()); !errors.Is(err, ldap.ErrUnavailable) {
				t.Errorf("Check: %v, want ErrUnavailable", err)
			}
		})
	}

	t.Run("context deadline", func(t *testing.T) {
		c := newClient(t, srv, ldap.Options{}, ldap.EnvServerAddr, ldaptest.SilentAddr(t))
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := c.Authenticate(ctx, "alice", ldaptest.Password("alice"))
		if !errors.Is(err, ldap.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want ErrUnavailable and DeadlineExceeded", err)
		}
		if d := time.Since(began); d > time.Second {
			t.Errorf("took %v, want about 200 ms", d)
		}
	})

	t.Run("server stopped", func(t *testing.T) {
		srv := ldaptest.Start(t)
		c := newClient(t, srv, fast)
		if err := c.Check(t.Context()); err != nil {
			t.Fatal(err)
		}
		srv.Stop()
		if _, err := c.Authenticate(t.Context(), "alice", ldaptest.Password("alice")); !errors.Is(err, ldap.ErrUnavailable) {
			t.Fatalf("got %v, want ErrUnavailable", err)
		}
	})
}

func TestClient_TLS(t *testing.T) {
	srv := ldaptest.Start(t)
	tests := []struct {
		name    string
		opts    ldap.Options
		kv      []string
		wantErr error
	}{
		{"TLS with the CA", ldap.Options{RootCAs: srv.CertPool()},
			[]string{ldap.EnvServerAddr, srv.TLSAddr(), ldap.EnvServerInsecure, ""}, nil},
		{"TLS with the system roots refuses the test CA", ldap.Options{},
			[]string{ldap.EnvServerAddr, srv.TLSAddr(), ldap.EnvServerInsecure, ""}, ldap.ErrUnavailable},
		{"TLS, verification skipped", ldap.Options{},
			[]string{ldap.EnvServerAddr, srv.TLSAddr(), ldap.EnvServerInsecure, "", ldap.EnvTLSSkipVerify, "on"}, nil},
		{"StartTLS with the CA", ldap.Options{RootCAs: srv.CertPool()},
			[]string{ldap.EnvServerInsecure, "", ldap.EnvServerStartTLS, "on"}, nil},
		{"StartTLS with the system roots refuses the test CA", ldap.Options{},
			[]string{ldap.EnvServerInsecure, "", ldap.EnvServerStartTLS, "on"}, ldap.ErrUnavailable},
		{"TLS to the plain port", ldap.Options{RootCAs: srv.CertPool(), DialTimeout: time.Second},
			[]string{ldap.EnvServerInsecure, ""}, ldap.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv, tt.opts, tt.kv...)
			id, err := c.Authenticate(t.Context(), "alice", ldaptest.Password("alice"))
			if !errors.Is(err, tt.wantErr) || (err == nil && id.UserDN != ldaptest.UserDN("alice")) {
				t.Fatalf("got %+v, %v; want %v", id, err, tt.wantErr)
			}
		})
	}
}

// fakeResolver answers SRV lookups from a table.
type fakeResolver struct {
	mu      sync.Mutex
	records map[string][]*net.SRV // by "service/proto/name"
	asked   []string
}

func (r *fakeResolver) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	key := service + "/" + proto + "/" + name
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, key)
	if recs, ok := r.records[key]; ok {
		return name, recs, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func srvRecord(t *testing.T, addr string, priority uint16) *net.SRV {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return &net.SRV{Target: host + ".", Port: uint16(p), Priority: priority, Weight: 1}
}

func TestClient_SRV(t *testing.T) {
	srv := ldaptest.Start(t)
	resolver := &fakeResolver{records: map[string][]*net.SRV{
		// The first target is down: the client moves on to the next.
		"ldap/tcp/example.org":             {srvRecord(t, ldaptest.ClosedAddr(t), 0), srvRecord(t, srv.Addr(), 10)},
		"//_ldap-custom._tcp.example.org":  {srvRecord(t, srv.Addr(), 0)},
		"ldaps/tcp/down.example.org":       {srvRecord(t, ldaptest.ClosedAddr(t), 0)},
		"ldap/tcp/not-offered.example.org": {{Target: ".", Port: 0}},
	}}
	opts := ldap.Options{Resolver: resolver, DialTimeout: time.Second}
	for _, tt := range []struct {
		name, record, addr string
		wantErr            error
	}{
		{"ldap", "ldap", "example.org", nil},
		{"on", "on", "_ldap-custom._tcp.example.org", nil},
		{"all targets down", "ldaps", "down.example.org", ldap.ErrUnavailable},
		{"service not offered", "ldap", "not-offered.example.org", ldap.ErrUnavailable},
		{"no record", "ldap", "nowhere.example.org", ldap.ErrUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv, opts, ldap.EnvSRVRecordName, tt.record, ldap.EnvServerAddr, tt.addr)
			_, err := c.Authenticate(t.Context(), "alice", ldaptest.Password("alice"))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestClient_LookupDN(t *testing.T) {
	srv := ldaptest.Start(t)
	c := newClient(t, srv, ldap.Options{})
	ctx := t.Context()

	got, err := c.LookupUserDN(ctx, "UID=Alice, OU=People, DC=Example, DC=org")
	if err != nil || got != ldaptest.UserDN("alice") {
		t.Errorf("LookupUserDN(alice) = %q, %v", got, err)
	}
	got, err = c.LookupGroupDN(ctx, "CN=Readers,ou=groups,dc=example,dc=org")
	if err != nil || got != ldaptest.GroupDN("readers") {
		t.Errorf("LookupGroupDN(readers) = %q, %v", got, err)
	}
	if _, err := c.LookupUserDN(ctx, ldaptest.UserDN("nobody")); !errors.Is(err, ldap.ErrNoSuchUser) {
		t.Errorf("missing user: %v, want ErrNoSuchUser", err)
	}
	if _, err := c.LookupGroupDN(ctx, ldaptest.GroupDN("nobody")); !errors.Is(err, ldap.ErrNoSuchGroup) {
		t.Errorf("missing group: %v, want ErrNoSuchGroup", err)
	}

	// Outside the bases: refused without traffic.
	before := srv.Ops(t)
	for _, dn := range []string{
		"uid=eve," + ldaptest.ContractorsDN,
		ldaptest.GroupDN("admins"),
		ldaptest.BaseDN,
		`uid=x\,ou=people,dc=example,dc=org`,
		"not a DN",
		"",
	} {
		if _, err := c.LookupUserDN(ctx, dn); !errors.Is(err, ldap.ErrOutsideBase) {
			t.Errorf("LookupUserDN(%q): %v, want ErrOutsideBase", dn, err)
		} else {
			checkSafe(t, err)
		}
	}
	if _, err := c.LookupGroupDN(ctx, ldaptest.UserDN("alice")); !errors.Is(err, ldap.ErrOutsideBase) {
		t.Errorf("LookupGroupDN(a user): %v, want ErrOutsideBase", err)
	}
	if after := srv.Ops(t); after != before {
		t.Errorf("DNs outside the bases reached the server: %+v then %+v", before, after)
	}

	noGroups := newClient(t, srv, ldap.Options{}, ldap.EnvGroupSearchFilter, "", ldap.EnvGroupSearchBaseDN, "")
	if _, err := noGroups.LookupGroupDN(ctx, ldaptest.GroupDN("readers")); !errors.Is(err, ldap.ErrOutsideBase) {
		t.Errorf("groups not configured: %v, want ErrOutsideBase", err)
	}
}

func TestClient_InBase(t *testing.T) {
	srv := ldaptest.Start(t)
	c := newClient(t, srv, ldap.Options{})
	tests := []struct {
		dn          string
		user, group bool
	}{
		{ldaptest.UserDN("alice"), true, false},
		{"UID=alice,OU=PEOPLE,DC=EXAMPLE,DC=ORG", true, false},
		{"uid=eve," + ldaptest.ContractorsDN, false, false},
		{ldaptest.GroupDN("readers"), false, true},
		{"cn=x,ou=sub," + ldaptest.GroupsDN, false, true},
		{ldaptest.BaseDN, false, false},
		{`cn=x\,ou=groups,dc=example,dc=org`, false, false},
		{"garbage", false, false},
	}
	for _, tt := range tests {
		if got := c.InUserBase(tt.dn); got != tt.user {
			t.Errorf("InUserBase(%q) = %v", tt.dn, got)
		}
		if got := c.InGroupBase(tt.dn); got != tt.group {
			t.Errorf("InGroupBase(%q) = %v", tt.dn, got)
		}
	}
}

func TestClient_concurrent(t *testing.T) {
	srv := ldaptest.Start(t)
	c := newClient(t, srv, ldap.Options{MaxConcurrent: 3})
	users := []string{"alice", "bob", "carol", "dillon"}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			user := users[i%len(users)]
			password := ldaptest.Password(user)
			if i%5 == 0 {
				password = "wrong-secret"
			}
			id, err := c.Authenticate(t.Context(), user, password)
			switch {
			case i%5 == 0 && !errors.Is(err, ldap.ErrInvalidCredentials):
				errs <- fmt.Errorf("%s with a wrong password: %v", user, err)
			case i%5 != 0 && (err != nil || id.Username != user):
				errs <- fmt.Errorf("%s: %+v, %v", user, id, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestNew_invalid(t *testing.T) {
	if _, err := ldap.New(&ldap.Config{}, ldap.Options{}); !errors.Is(err, ldap.ErrInvalidConfig) {
		t.Fatalf("got %v, want ErrInvalidConfig", err)
	}
	if _, err := ldap.New(nil, ldap.Options{}); !errors.Is(err, ldap.ErrInvalidConfig) {
		t.Fatalf("nil config: got %v, want ErrInvalidConfig", err)
	}
}
