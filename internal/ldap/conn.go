package ldap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// Resolver looks up DNS SRV records; *net.Resolver implements it.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (cname string, addrs []*net.SRV, err error)
}

// session is one connection, used by one request and closed at its end.
type session struct {
	c      *Client
	ctx    context.Context
	conn   *goldap.Conn
	stop   func() bool // unregisters the close-on-cancel hook
	server string      // host:port, for log details
}

// open takes a connection slot, connects to a server and binds as the
// lookup account. The caller must close the session.
func (c *Client) open(ctx context.Context) (*session, error) {
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, opErr(ErrUnavailable, OpDial, ctx.Err(), "waiting for a free connection slot (Options.MaxConcurrent=%d)", c.opts.MaxConcurrent)
	}
	s, err := c.connect(ctx)
	if err != nil {
		<-c.slots
		return nil, err
	}
	if err := s.lookupBind(); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *session) close() {
	s.stop()
	s.conn.Close()
	<-s.c.slots
}

// target is one server to try.
type target struct{ host, port string }

// targets lists the servers to try, in order: the configured address, or
// the SRV records' targets by priority and weight.
func (c *Client) targets(ctx context.Context) ([]target, error) {
	if c.cfg.SRVRecordName == "" {
		host, port, err := net.SplitHostPort(c.cfg.ServerAddr)
		if err != nil { // Validate has checked it
			return nil, opErr(ErrUnavailable, OpDial, err, "server address %q", c.cfg.ServerAddr)
		}
		return []target{{host, port}}, nil
	}
	service, proto := c.cfg.SRVRecordName, "tcp"
	if service == SRVOn {
		service, proto = "", ""
	}
	lookupCtx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	_, srvs, err := c.opts.Resolver.LookupSRV(lookupCtx, service, proto, c.cfg.ServerAddr)
	if err != nil {
		return nil, opErr(ErrUnavailable, OpDial, err, "DNS SRV lookup (%s=%s) of %q", EnvSRVRecordName, c.cfg.SRVRecordName, c.cfg.ServerAddr)
	}
	var out []target
	for _, srv := range srvs {
		host := strings.TrimSuffix(srv.Target, ".")
		if host == "" { // "." means the service is not offered
			continue
		}
		out = append(out, target{host, strconv.Itoa(int(srv.Port))})
	}
	if len(out) == 0 {
		return nil, opErr(ErrUnavailable, OpDial, nil, "DNS SRV lookup of %q found no server", c.cfg.ServerAddr)
	}
	return out, nil
}

// connect dials the targets in turn until one answers, with TLS, StartTLS
// or plain LDAP as configured.
func (c *Client) connect(ctx context.Context) (*session, error) {
	targets, err := c.targets(ctx)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, t := range targets {
		conn, err := c.dial(ctx, t)
		if err == nil {
			s := &session{c: c, ctx: ctx, conn: conn, server: net.JoinHostPort(t.host, t.port)}
			// Cancelling ctx closes the connection, which ends any
			// operation in flight with a network error.
			s.stop = context.AfterFunc(ctx, func() { conn.Close() })
			return s, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = net.JoinHostPort(t.host, t.port)
	}
	cause := errors.Join(errs...)
	if ctx.Err() != nil {
		cause = errors.Join(ctx.Err(), cause)
	}
	return nil, opErr(ErrUnavailable, OpDial, cause, "could not connect to %s", strings.Join(names, ", "))
}

// dial connects to one server. DialTimeout bounds the TCP connection and
// the TLS or StartTLS handshake together.
func (c *Client) dial(ctx context.Context, t target) (*goldap.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.DialTimeout)
	defer cancel()
	addr := net.JoinHostPort(t.host, t.port)
	raw, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	if err := raw.SetDeadline(deadline); err != nil {
		raw.Close()
		return nil, err
	}
	tlsConfig := &tls.Config{
		ServerName:         t.host,
		RootCAs:            c.opts.RootCAs,
		InsecureSkipVerify: c.cfg.TLSSkipVerify, //nolint:gosec // MINIO_IDENTITY_LDAP_TLS_SKIP_VERIFY, off by default, warned about
		MinVersion:         tls.VersionTLS12,
	}
	var conn *goldap.Conn
	switch {
	case c.cfg.ServerInsecure:
		conn = goldap.NewConn(raw, false)
		conn.Start()
	case c.cfg.StartTLS:
		conn = goldap.NewConn(raw, false)
		conn.Start()
		if err := conn.StartTLS(tlsConfig); err != nil {
			conn.Close()
			return nil, fmt.Errorf("StartTLS with %s: %w", addr, err)
		}
	default:
		tc := tls.Client(raw, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
		}
		conn = goldap.NewConn(tc, true)
		conn.Start()
	}
	// From here on OperationTimeout bounds each operation.
	if err := raw.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// begin prepares one operation: it fails if the context is done, and
// bounds the operation by OperationTimeout and the context's deadline.
func (s *session) begin(op string) error {
	if err := s.ctx.Err(); err != nil {
		return opErr(ErrUnavailable, op, err, "request cancelled")
	}
	timeout := s.c.opts.OperationTimeout
	if deadline, ok := s.ctx.Deadline(); ok {
		left := time.Until(deadline)
		if left <= 0 {
			return opErr(ErrUnavailable, op, context.DeadlineExceeded, "request deadline reached")
		}
		if left < timeout {
			// The context's end closes the connection; the grace lets
			// that happen first, so the error says the deadline passed.
			timeout = left + 100*time.Millisecond
		}
	}
	s.conn.SetTimeout(timeout)
	return nil
}

// lookupBind binds as the lookup account; any failure makes the directory
// unusable, so it is ErrUnavailable.
func (s *session) lookupBind() error {
	if err := s.begin(OpLookupBind); err != nil {
		return err
	}
	cfg := &s.c.cfg
	var err error
	if cfg.LookupBindPassword == "" {
		// Only with LookupBindUnauthenticated: Validate refuses it otherwise.
		err = s.conn.UnauthenticatedBind(cfg.LookupBindDN)
	} else {
		err = s.conn.Bind(cfg.LookupBindDN, cfg.LookupBindPassword)
	}
	if err != nil {
		detail := "lookup bind as " + cfg.LookupBindDN + " on " + s.server
		if goldap.IsErrorAnyOf(err, goldap.LDAPResultInvalidCredentials, goldap.LDAPResultInappropriateAuthentication, goldap.LDAPResultUnwillingToPerform) {
			detail += " refused: check " + EnvLookupBindDN + " and " + EnvLookupBindPassword
		}
		return s.fail(ErrUnavailable, OpLookupBind, err, "%s", detail)
	}
	return nil
}

// userBind checks the user's password by binding as dn. It refuses an
// empty DN or password itself, whatever its caller checked: such a bind is
// anonymous or unauthenticated, and many servers accept it.
func (s *session) userBind(dn, password string) error {
	if dn == "" || password == "" {
		return opErr(ErrInvalidCredentials, OpUserBind, nil, "empty DN or password: no bind sent")
	}
	if err := s.begin(OpUserBind); err != nil {
		return err
	}
	_, err := s.conn.SimpleBind(&goldap.SimpleBindRequest{Username: dn, Password: password, AllowEmptyPassword: false})
	if err == nil {
		return nil
	}
	if s.ctx.Err() == nil && goldap.IsErrorAnyOf(err,
		goldap.LDAPResultInvalidCredentials,          // wrong password
		goldap.LDAPResultInappropriateAuthentication, // e.g. an entry without a password
		goldap.LDAPResultUnwillingToPerform,          // e.g. a locked or disabled account
		goldap.LDAPResultInsufficientAccessRights,
		goldap.LDAPResultConstraintViolation, // password policy
		goldap.LDAPResultNoSuchObject,        // deleted since the search
		goldap.LDAPResultInvalidDNSyntax,
	) {
		return opErr(ErrInvalidCredentials, OpUserBind, err, "bind as %s on %s refused", dn, s.server)
	}
	return s.fail(ErrUnavailable, OpUserBind, err, "bind as %s on %s", dn, s.server)
}

// search runs one search request.
func (s *session) search(op string, req *goldap.SearchRequest) (*goldap.SearchResult, error) {
	if err := s.begin(op); err != nil {
		return nil, err
	}
	req.DerefAliases = goldap.NeverDerefAliases
	req.TimeLimit = int((s.c.opts.OperationTimeout + time.Second - 1) / time.Second)
	return s.conn.Search(req)
}

// fail wraps a failed operation's error in sentinel, or in ErrUnavailable
// when the context ended (the operation failed because of it).
func (s *session) fail(sentinel error, op string, err error, format string, args ...any) *Error {
	if ctxErr := s.ctx.Err(); ctxErr != nil {
		return opErr(ErrUnavailable, op, errors.Join(ctxErr, err), format, args...)
	}
	return opErr(sentinel, op, err, format, args...)
}
