package server

import (
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/oidc"
)

// Effective is the configuration a server runs with, as `sesame admin
// config get` shows it: settings grouped by subsystem, in MinIO's
// subsystem names where MinIO has one. Secrets are never included: a set
// secret reads Redacted, an unset one "".
type Effective struct {
	Subsystems []Subsystem `json:"subsystems"`
}

// Subsystem is one group of settings; Target names one of several (an
// OpenID provider).
type Subsystem struct {
	Name     string    `json:"name"`
	Target   string    `json:"target,omitempty"`
	Settings []Setting `json:"settings"`
}

// Setting is one key and its value as text.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Redacted stands for a secret that is set.
const Redacted = "REDACTED"

func secret(s string) string {
	if s == "" {
		return ""
	}
	return Redacted
}

// safeURL returns u with any password in it redacted.
func safeURL(u string) string {
	if p, err := url.Parse(u); err == nil && p.User != nil {
		return p.Redacted()
	}
	return u
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

type settings []Setting

func (s *settings) add(key, value string) { *s = append(*s, Setting{key, value}) }

// Effective returns the server's configuration, secrets redacted.
func (s *Server) Effective() Effective {
	c := s.cfg
	var e Effective
	sub := func(name, target string, kv settings) {
		e.Subsystems = append(e.Subsystems, Subsystem{Name: name, Target: target, Settings: kv})
	}

	var srv settings
	srv.add("address", c.Address)
	if a := s.listenAddr.Load(); a != nil {
		srv.add("listening", *a)
	}
	srv.add("dir", c.Dir)
	srv.add("region", c.Region)
	srv.add("domains", strings.Join(c.Domains, ","))
	srv.add("root_user", c.RootUser)
	srv.add("root_password", secret(c.RootPassword))
	srv.add("sts_max_duration", c.MaxSessionDuration.String())
	srv.add("shutdown_timeout", s.shutdownTimeout().String())
	sub("server", "", srv)

	var tl settings
	tl.add("certs_dir", c.CertsDir)
	tl.add("enable", onOff(s.certs != nil))
	if s.certs != nil {
		leaf := s.certs.Leaf()
		tl.add("certificate_subject", leaf.Subject.String())
		tl.add("certificate_dns_names", strings.Join(leaf.DNSNames, ","))
		tl.add("certificate_not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
		tl.add("ca_certificates", strconv.Itoa(s.certs.ncas))
	}
	tl.add("sts_require_tls", onOff(c.STSRequireTLS))
	sub("tls", "", tl)

	var ob settings
	if b := c.S3Backend; b != nil {
		ob.add("backend", "s3")
		ob.add("endpoint", safeURL(b.Endpoint))
		ob.add("region", b.Region)
		ob.add("bucket", b.Bucket)
		ob.add("bucket_prefix", b.BucketPrefix)
		ob.add("access_key", b.AccessKey)
		ob.add("secret_key", secret(b.SecretKey))
	} else {
		ob.add("backend", "posix")
		ob.add("path", c.Dir)
	}
	sub("object_backend", "", ob)

	var st settings
	if c.Etcd == nil {
		st.add("backend", "bbolt")
		st.add("path", filepath.Join(c.Dir, ".sesame.sys", "iam.db"))
		sub("iam_store", "", st)
	} else {
		st.add("backend", "etcd")
		sub("iam_store", "", st)
		var et settings
		eps := make([]string, len(c.Etcd.Endpoints))
		for i, ep := range c.Etcd.Endpoints {
			eps[i] = safeURL(ep)
		}
		et.add("endpoints", strings.Join(eps, ","))
		et.add("path_prefix", c.Etcd.PathPrefix)
		et.add("username", c.Etcd.Username)
		et.add("password", secret(c.Etcd.Password))
		et.add("client_cert", c.Etcd.CertFile)
		et.add("client_cert_key", c.Etcd.KeyFile)
		et.add("ca", c.Etcd.CAFile)
		sub("etcd", "", et)
	}

	var arns map[string]string
	if s.oidc != nil {
		arns = s.oidc.RoleARNs()
	}
	for _, p := range c.OpenID {
		var o settings
		o.add("config_url", safeURL(p.ConfigURL))
		if p.JWKSURL != "" {
			o.add("jwks_url", safeURL(p.JWKSURL))
			o.add("issuer", p.Issuer)
		}
		o.add("client_id", p.ClientID)
		o.add("client_secret", secret(p.ClientSecret))
		claim := p.ClaimName
		if claim == "" {
			claim = oidc.DefaultClaimName
		}
		o.add("claim_name", claim)
		o.add("claim_prefix", p.ClaimPrefix)
		o.add("claim_userinfo", onOff(p.ClaimUserinfo))
		o.add("role_policy", strings.Join(p.RolePolicy, ","))
		o.add("role_arn", arns[p.Name])
		o.add("scopes", strings.Join(p.Scopes, ","))
		sub("identity_openid", p.Name, o)
	}
	if ws := oidc.Warnings(c.OpenID); len(ws) > 0 {
		var w settings
		for i, msg := range ws {
			w.add("warning_"+strconv.Itoa(i+1), msg)
		}
		sub("identity_openid_warnings", "", w)
	}

	if l := c.LDAP; l != nil {
		var ld settings
		ld.add("server_addr", l.ServerAddr)
		ld.add("srv_record_name", l.SRVRecordName)
		ld.add("server_insecure", onOff(l.ServerInsecure))
		ld.add("server_starttls", onOff(l.StartTLS))
		ld.add("tls_skip_verify", onOff(l.TLSSkipVerify))
		ld.add("lookup_bind_dn", l.LookupBindDN)
		ld.add("lookup_bind_password", secret(l.LookupBindPassword))
		ld.add("user_dn_search_base_dn", strings.Join(l.UserDNSearchBaseDN, ";"))
		ld.add("user_dn_search_filter", l.UserDNSearchFilter)
		ld.add("group_search_base_dn", strings.Join(l.GroupSearchBaseDN, ";"))
		ld.add("group_search_filter", l.GroupSearchFilter)
		ld.add("group_nesting_depth", strconv.Itoa(l.GroupNestingDepth))
		sub("identity_ldap", "", ld)
	}
	var it settings
	it.add("enable", onOff(c.IdentityTLS != nil))
	if c.IdentityTLS != nil {
		it.add("skip_verify", onOff(c.IdentityTLS.SkipVerify))
	}
	sub("identity_tls", "", it)
	if p := c.Plugin; p != nil {
		var pl settings
		pl.add("url", safeURL(p.URL))
		pl.add("auth_token", secret(p.AuthToken))
		pl.add("role_policy", strings.Join(p.RolePolicy, ","))
		pl.add("role_id", p.RoleID)
		pl.add("role_arn", p.RoleARN())
		sub("identity_plugin", "", pl)
	}

	var op settings
	op.add("enable", onOff(c.OPA != nil))
	if c.OPA != nil {
		op.add("url", safeURL(c.OPA.URL))
		op.add("auth_token", secret(c.OPA.AuthToken))
		op.add("timeout", c.OPA.Timeout.String())
	}
	sub("policy_opa", "", op)

	var lim settings
	if l := s.limits.Load(); l != nil {
		lim.add("max_conns", strconv.Itoa(l.MaxConns))
		lim.add("soft_conns", strconv.Itoa(l.SoftConns))
		lim.add("min_rate", strconv.FormatInt(l.MinRate, 10))
		lim.add("rate_grace", l.RateGrace.String())
		lim.add("rate_window", l.RateWindow.String())
		lim.add("header_timeout", l.HeaderTimeout.String())
		lim.add("busy_header_timeout", l.BusyHeaderTimeout.String())
		lim.add("idle_timeout", l.IdleTimeout.String())
	}
	sub("api", "", lim)

	var lg settings
	lg.add("format", c.Log.Format)
	lg.add("level", c.Log.Level.String())
	lg.add("access_log", c.AccessLog)
	sub("logger", "", lg)

	var af settings
	af.add("file", c.Audit.File)
	sub("audit_file", "", af)
	var aw settings
	aw.add("enable", onOff(c.Audit.Webhook != nil))
	if w := c.Audit.Webhook; w != nil {
		aw.add("endpoint", safeURL(w.Endpoint))
		aw.add("auth_token", secret(w.AuthToken))
		aw.add("queue_size", strconv.Itoa(w.QueueSize))
	}
	sub("audit_webhook", "", aw)

	var pm settings
	pm.add("auth_type", c.MetricsAuth)
	sub("prometheus", "", pm)

	var pp settings
	pp.add("address", c.Pprof)
	sub("pprof", "", pp)
	return e
}
