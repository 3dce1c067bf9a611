// Package ldaptest runs a real OpenLDAP slapd for tests, loaded with a
// small fixture directory (see fixture.go: users under ou=people and
// ou=contractors, groupOfNames groups under ou=groups with nested groups
// and a cycle, a read-only lookup account).
//
// Start writes a slapd.conf and the fixture into a test temp directory,
// loads the fixture offline with slapadd into an mdb database, and starts
// slapd in the foreground as the current user, listening on 127.0.0.1 on
// two random ports: plain LDAP (which also offers StartTLS) and LDAP over
// TLS, with a certificate from a throwaway CA (CertPool). Start-up takes
// about 0.2 s. The server is stopped and its directory removed when the
// test ends. No system service or system configuration is touched.
//
// The server counts the operations it received (cn=Monitor), so tests can
// check that a client did or did not search or bind (Ops). It allows
// unauthenticated binds (a DN with an empty password), which most servers
// also accept, so that a client that sent one would be caught.
//
// When slapd is not installed, Start skips the test with a message naming
// the Debian packages (slapd, ldap-utils); when the CI variable is set it
// fails the test instead, so that CI cannot pass without running them.
package ldaptest

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// Server is a running slapd. Its methods are safe for concurrent use.
type Server struct {
	dir     string
	addr    string // plain LDAP and StartTLS
	tlsAddr string // LDAP over TLS
	pki     *testPKI

	cmd    *exec.Cmd
	exited chan struct{} // closed when slapd has exited
	stderr *lockedBuffer

	mu             sync.Mutex
	monitor        *goldap.Conn // bound as AdminDN, reads cn=Monitor
	helperBinds    int64        // binds done by this package's helpers
	helperSearches int64        // searches done by Ops itself
}

// Start starts slapd with the fixture and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bins, err := findSlapd()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ldaptest: %v (CI is set, so this is a failure: .ci/run installs slapd and ldap-utils)", err)
		}
		t.Skipf("ldaptest: %v; install it with: apt-get install -y slapd ldap-utils", err)
	}
	began := time.Now()
	s := &Server{dir: t.TempDir()}
	if s.pki, err = newTestPKI(); err != nil {
		t.Fatal(err)
	}
	ldif, err := fixtureLDIF()
	if err != nil {
		t.Fatal(err)
	}
	// A port picked free can be taken before slapd binds it: try again.
	for attempt := 1; ; attempt++ {
		err = s.start(bins, ldif)
		if err == nil {
			break
		}
		s.kill()
		if attempt == 3 {
			t.Fatalf("ldaptest: starting slapd: %v\nslapd's output:\n%s", err, s.output())
		}
	}
	t.Cleanup(func() {
		s.Stop()
		select {
		case <-s.exited:
		default:
			t.Errorf("ldaptest: slapd (pid %d) is still running after the test", s.cmd.Process.Pid)
		}
	})
	t.Logf("ldaptest: slapd ready in %v on ldap://%s and ldaps://%s", time.Since(began).Round(time.Millisecond), s.addr, s.tlsAddr)
	return s
}

type slapdBinaries struct{ slapd, slapadd, schemaDir, moduleDir string }

// findSlapd finds slapd, slapadd, the schema files and the module
// directory (Debian's layout first).
func findSlapd() (slapdBinaries, error) {
	var b slapdBinaries
	look := func(name string) (string, error) {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/usr/libexec"} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				return p, nil
			}
		}
		return "", fmt.Errorf("%s is not installed", name)
	}
	var err error
	if b.slapd, err = look("slapd"); err != nil {
		return b, err
	}
	if b.slapadd, err = look("slapadd"); err != nil {
		return b, err
	}
	for _, dir := range []string{"/etc/ldap/schema", "/etc/openldap/schema", "/usr/local/etc/openldap/schema"} {
		if _, err := os.Stat(filepath.Join(dir, "inetorgperson.schema")); err == nil {
			b.schemaDir = dir
			break
		}
	}
	if b.schemaDir == "" {
		return b, errors.New("slapd's schema files (inetorgperson.schema) are not installed")
	}
	for _, dir := range []string{"/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap", "/usr/libexec/openldap", "/usr/local/libexec/openldap"} {
		if _, err := os.Stat(filepath.Join(dir, "back_mdb.so")); err == nil {
			b.moduleDir = dir
			break
		}
	}
	return b, nil // no module directory: back_mdb is built in
}

// start writes the configuration, loads the fixture and runs slapd on
// fresh ports.
func (s *Server) start(b slapdBinaries, ldif string) error {
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	s.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	s.tlsAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))

	db := filepath.Join(s.dir, "db")
	if err := os.RemoveAll(db); err != nil {
		return err
	}
	if err := os.Mkdir(db, 0o700); err != nil {
		return err
	}
	files := map[string][]byte{
		"ca.pem":       s.pki.caPEM,
		"cert.pem":     s.pki.certPEM,
		"key.pem":      s.pki.keyPEM,
		"fixture.ldif": []byte(ldif),
		"slapd.conf":   []byte(s.config(b, db)),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(s.dir, name), data, 0o600); err != nil {
			return err
		}
	}
	conf := filepath.Join(s.dir, "slapd.conf")
	if out, err := exec.Command(b.slapadd, "-q", "-f", conf, "-b", BaseDN, "-l", filepath.Join(s.dir, "fixture.ldif")).CombinedOutput(); err != nil {
		return fmt.Errorf("slapadd: %v: %s", err, out)
	}

	s.stderr = &lockedBuffer{}
	s.cmd = exec.Command(b.slapd, "-f", conf, "-h", "ldap://"+s.addr+"/ ldaps://"+s.tlsAddr+"/", "-d", "0")
	s.cmd.Stdout = s.stderr
	s.cmd.Stderr = s.stderr
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()

	// Ready when the admin can bind; that connection stays open to read
	// cn=Monitor.
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := s.dialAdmin()
		if err == nil {
			s.monitor = conn
			s.helperBinds = 1
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("slapd exited: %v", s.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("slapd did not answer within 10 s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) config(b slapdBinaries, db string) string {
	var c strings.Builder
	for _, schema := range []string{"core", "cosine", "inetorgperson", "nis"} {
		fmt.Fprintf(&c, "include %s\n", filepath.Join(b.schemaDir, schema+".schema"))
	}
	if b.moduleDir != "" {
		fmt.Fprintf(&c, "modulepath %s\nmoduleload back_mdb\n", b.moduleDir)
	}
	fmt.Fprintf(&c, "pidfile %s\n", filepath.Join(s.dir, "slapd.pid"))
	fmt.Fprintf(&c, "TLSCACertificateFile %s\n", filepath.Join(s.dir, "ca.pem"))
	fmt.Fprintf(&c, "TLSCertificateFile %s\n", filepath.Join(s.dir, "cert.pem"))
	fmt.Fprintf(&c, "TLSCertificateKeyFile %s\n", filepath.Join(s.dir, "key.pem"))
	// Accept a DN with an empty password (RFC 4513 §5.1.2), as many
	// servers do, so that a client sending one would be caught.
	c.WriteString("allow bind_anon_dn\n")
	c.WriteString("sizelimit 1000\n")
	c.WriteString("database mdb\nmaxsize 67108864\n")
	fmt.Fprintf(&c, "suffix %q\nrootdn %q\nrootpw %s\ndirectory %s\n", BaseDN, AdminDN, AdminPassword, db)
	c.WriteString("access to attrs=userPassword by self write by anonymous auth by * none\n")
	fmt.Fprintf(&c, "access to * by dn.exact=%q read by self read by * none\n", LookupDN)
	c.WriteString("database monitor\n")
	fmt.Fprintf(&c, "access to * by dn.exact=%q read by * none\n", AdminDN)
	return c.String()
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func (s *Server) dialAdmin() (*goldap.Conn, error) {
	conn, err := goldap.DialURL("ldap://"+s.addr, goldap.DialWithDialer(&net.Dialer{Timeout: time.Second}))
	if err != nil {
		return nil, err
	}
	conn.SetTimeout(5 * time.Second)
	if err := conn.Bind(AdminDN, AdminPassword); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// Addr is the plain LDAP listener (host:port), which also offers StartTLS.
func (s *Server) Addr() string { return s.addr }

// TLSAddr is the LDAP over TLS listener (host:port).
func (s *Server) TLSAddr() string { return s.tlsAddr }

// CertPool holds the CA that signed the server's certificate (valid for
// 127.0.0.1 and localhost), for Options.RootCAs.
func (s *Server) CertPool() *x509.CertPool { return s.pki.pool }

// CACertPEM is that CA's certificate in PEM.
func (s *Server) CACertPEM() []byte { return bytes.Clone(s.pki.caPEM) }

// Env returns the MinIO variables that configure a client for this server
// over plain LDAP (MINIO_IDENTITY_LDAP_SERVER_INSECURE=on), with the lookup
// account, ou=people as user base and ou=groups as group base.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"MINIO_IDENTITY_LDAP_SERVER_ADDR":            s.addr,
		"MINIO_IDENTITY_LDAP_SERVER_INSECURE":        "on",
		"MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN":         LookupDN,
		"MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD":   LookupPassword,
		"MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN": PeopleDN,
		"MINIO_IDENTITY_LDAP_USER_DN_SEARCH_FILTER":  UserFilter,
		"MINIO_IDENTITY_LDAP_GROUP_SEARCH_BASE_DN":   GroupsDN,
		"MINIO_IDENTITY_LDAP_GROUP_SEARCH_FILTER":    GroupFilter,
	}
}

// Stop stops slapd (SIGTERM, then SIGKILL after 5 s) and waits for it to
// exit; later connections are refused. It is safe to call more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	if s.monitor != nil {
		s.monitor.Close()
		s.monitor = nil
	}
	s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// kill ends a slapd that failed to start properly.
func (s *Server) kill() {
	if s.monitor != nil {
		s.monitor.Close()
		s.monitor = nil
	}
	if s.cmd != nil && s.cmd.Process != nil && s.exited != nil {
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd, s.exited = nil, nil
}

func (s *Server) output() string {
	if s.stderr == nil {
		return ""
	}
	return s.stderr.String()
}

// Ops counts the operations that clients started on slapd since Start,
// the helpers' own left out. They are counted when slapd receives them,
// so an operation a client saw answered is always counted.
type Ops struct {
	Binds    int64
	Searches int64
}

// Ops reads the operation counters of cn=Monitor.
func (s *Server) Ops(t testing.TB) Ops {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.monitor == nil {
		t.Fatal("ldaptest: Ops after Stop")
	}
	res, err := s.monitor.Search(&goldap.SearchRequest{
		BaseDN: "cn=Operations,cn=Monitor", Scope: goldap.ScopeSingleLevel,
		Filter: "(|(cn=Bind)(cn=Search))", Attributes: []string{"cn", "monitorOpInitiated"},
	})
	if err != nil {
		t.Fatalf("ldaptest: reading cn=Monitor: %v", err)
	}
	s.helperSearches++ // this search, already counted
	var ops Ops
	for _, e := range res.Entries {
		n, err := strconv.ParseInt(e.GetAttributeValue("monitorOpInitiated"), 10, 64)
		if err != nil {
			t.Fatalf("ldaptest: monitorOpInitiated of %s: %v", e.DN, err)
		}
		switch strings.ToLower(e.GetAttributeValue("cn")) {
		case "bind":
			ops.Binds = n - s.helperBinds
		case "search":
			ops.Searches = n - s.helperSearches
		}
	}
	return ops
}

// modify applies one change as the rootdn.
func (s *Server) modify(t testing.TB, req *goldap.ModifyRequest) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.monitor == nil {
		t.Fatal("ldaptest: change after Stop")
	}
	if err := s.monitor.Modify(req); err != nil {
		t.Fatalf("ldaptest: modifying %s: %v", req.DN, err)
	}
}

// SetPassword replaces the password of the entry dn.
func (s *Server) SetPassword(t testing.TB, dn, password string) {
	t.Helper()
	hashed, err := ssha(password)
	if err != nil {
		t.Fatal(err)
	}
	req := goldap.NewModifyRequest(dn, nil)
	req.Replace("userPassword", []string{hashed})
	s.modify(t, req)
}

// AddMember adds member (a user's or a group's DN) to the group groupDN.
func (s *Server) AddMember(t testing.TB, groupDN, member string) {
	t.Helper()
	req := goldap.NewModifyRequest(groupDN, nil)
	req.Add("member", []string{member})
	s.modify(t, req)
}

// RemoveMember removes member from the group groupDN.
func (s *Server) RemoveMember(t testing.TB, groupDN, member string) {
	t.Helper()
	req := goldap.NewModifyRequest(groupDN, nil)
	req.Delete("member", []string{member})
	s.modify(t, req)
}

// AddEntry adds an entry with the given attributes as the rootdn.
func (s *Server) AddEntry(t testing.TB, dn string, attrs map[string][]string) {
	t.Helper()
	req := goldap.NewAddRequest(dn, nil)
	for name, values := range attrs {
		req.Attribute(name, values)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.monitor == nil {
		t.Fatal("ldaptest: change after Stop")
	}
	if err := s.monitor.Add(req); err != nil {
		t.Fatalf("ldaptest: adding %s: %v", dn, err)
	}
}

// ClosedAddr returns a 127.0.0.1 address on which nothing listens, for
// tests of a server that is down.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// SilentAddr returns a 127.0.0.1 address that accepts connections and
// never answers, for timeout tests; it is closed when the test ends.
func SilentAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read or written
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return l.Addr().String()
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
