package main

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/login"
	"github.com/sesame-s3/sesame/internal/oidc"
)

// banner is what a newcomer reads when the server starts: where to reach
// it, what is configured, a command to try, and what is insecure.
type banner struct {
	cfg      config.Config
	tls      bool
	urls     []string // the first is the one to try
	warnings []string
}

// defaultRoot are MinIO's well-known default credentials.
const defaultRoot = "minioadmin"

func newBanner(cfg config.Config, addr net.Addr, tls bool) *banner {
	b := &banner{cfg: cfg, tls: tls, urls: endpointURLs(addr, tls, net.InterfaceAddrs)}
	if !tls {
		b.warnings = append(b.warnings, fmt.Sprintf("plain HTTP: secret keys, STS credentials and session tokens travel in clear; "+
			"put public.crt and private.key into %s (--certs-dir) to serve HTTPS, or terminate TLS in front of Sesame", certsDirName(cfg.CertsDir)))
	}
	if cfg.RootUser == defaultRoot || cfg.RootPassword == defaultRoot {
		b.warnings = append(b.warnings, "the root credentials are MinIO's well-known defaults (minioadmin): anyone can act as root; set MINIO_ROOT_USER and MINIO_ROOT_PASSWORD to your own")
	}
	for _, w := range oidc.Warnings(cfg.OpenID) {
		b.warnings = append(b.warnings, "OpenID Connect: "+w)
	}
	if cfg.MetricsAuth == config.MetricsAuthPublic {
		b.warnings = append(b.warnings, "MINIO_PROMETHEUS_AUTH_TYPE=public: anyone who can reach the server can read its metrics")
	}
	b.warnings = append(b.warnings, cfg.Warnings...)
	return b
}

func certsDirName(dir string) string {
	if dir == "" {
		return "a certs directory"
	}
	return dir
}

// endpointURLs lists the URLs of addr: for a wildcard address (":9000",
// "0.0.0.0:9000", "[::]:9000"), localhost first and then the host's
// addresses (link-local ones left out).
func endpointURLs(addr net.Addr, tls bool, interfaceAddrs func() ([]net.Addr, error)) []string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return []string{scheme + "://" + addr.String()}
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsUnspecified() {
		return []string{scheme + "://" + net.JoinHostPort(host, port)}
	}
	urls := []string{scheme + "://" + net.JoinHostPort("localhost", port)}
	addrs, _ := interfaceAddrs()
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() || (ip.To4() != nil && n.IP.To4() == nil) {
			continue
		}
		urls = append(urls, scheme+"://"+net.JoinHostPort(n.IP.String(), port))
	}
	return urls
}

// write prints the banner.
func (b *banner) write(w io.Writer) {
	c := b.cfg
	line := func(k, v string) { fmt.Fprintf(w, "  %-15s %s\n", k+":", v) }
	fmt.Fprintf(w, "\n%s\n", versionString())
	line("S3, IAM and STS", strings.Join(b.urls, "  "))
	line("Data", c.Dir)
	line("Region", c.Region)
	line("Root user", c.RootUser+" (secret key: MINIO_ROOT_PASSWORD)")
	if c.Etcd == nil {
		line("IAM store", filepath.Join(c.Dir, ".sesame.sys", "iam.db"))
	} else {
		line("IAM store", "etcd at "+c.Etcd.String())
	}
	if len(c.OpenID) == 0 {
		line("Identity", "access keys and STS AssumeRole; no OpenID Connect provider (MINIO_IDENTITY_OPENID_CONFIG_URL)")
	} else {
		var ps []string
		for _, p := range c.OpenID {
			name, src := p.Name, p.ConfigURL
			if name == "" {
				name = "default"
			}
			if src == "" {
				src = p.JWKSURL
			}
			ps = append(ps, name+" ("+src+")")
		}
		line("Identity", "access keys, STS AssumeRole, OpenID Connect: "+strings.Join(ps, ", "))
	}
	if c.LDAP != nil {
		line("LDAP", c.LDAP.ServerAddr+" (AssumeRoleWithLDAPIdentity; policies attach to DNs)")
	}
	if c.IdentityTLS != nil {
		mode := "verified against --certs-dir/CAs"
		if c.IdentityTLS.SkipVerify {
			mode = "NOT verified (MINIO_IDENTITY_TLS_SKIP_VERIFY)"
		}
		line("Certificates", "AssumeRoleWithCertificate: client certificates "+mode+"; the subject CN names the policy")
	}
	if c.Plugin != nil {
		line("Identity plugin", c.Plugin.URL+" (AssumeRoleWithCustomToken, RoleArn "+c.Plugin.RoleARN()+")")
	}
	if c.OPA != nil {
		line("Authorization", "Open Policy Agent at "+c.OPA.URL+" (decides every request)")
	} else {
		line("Authorization", "IAM and bucket policies")
	}
	// --- login page (docs/LOGIN.md).
	switch c.LoginPath {
	case "off":
		line("Login page", "off (--login-path)")
	case "":
		line("Login page", b.urls[0]+login.DefaultPrefix+"/")
	default:
		line("Login page", b.urls[0]+c.LoginPath+"/")
	}
	// --- end of login page.
	line("Health", b.urls[0]+"/minio/health/ready")
	if c.MetricsAuth == config.MetricsAuthPublic {
		line("Metrics", b.urls[0]+"/minio/v2/metrics/cluster (public)")
	} else {
		line("Metrics", b.urls[0]+"/minio/v2/metrics/cluster (bearer token: sesame admin prometheus generate)")
	}
	var audit []string
	if c.Audit.File != "" {
		audit = append(audit, "file "+c.Audit.File)
	}
	if c.Audit.Webhook != nil {
		audit = append(audit, "webhook "+c.Audit.Webhook.Endpoint)
	}
	if len(audit) == 0 {
		audit = []string{"off (--audit-log FILE, MINIO_AUDIT_WEBHOOK_*)"}
	}
	line("Audit", strings.Join(audit, ", "))
	if c.AccessLog == "" {
		line("Access log", "off (--access-log FILE|stderr)")
	} else {
		line("Access log", c.AccessLog)
	}
	if c.Pprof != "" {
		line("Profiling", "--pprof "+c.Pprof)
	}
	fmt.Fprintf(w, "\n  Try it with the aws cli:\n")
	fmt.Fprintf(w, "    export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=\"$MINIO_ROOT_PASSWORD\" AWS_DEFAULT_REGION=%s\n", shellQuote(c.RootUser), c.Region)
	if b.tls {
		fmt.Fprintf(w, "    export AWS_CA_BUNDLE=/path/to/ca.crt   # if the certificate is not from a public CA\n")
	}
	fmt.Fprintf(w, "    aws --endpoint-url %s s3 ls\n", b.urls[0])
	if len(c.OpenID) > 0 && c.LoginPath != "off" {
		fmt.Fprintf(w, "  or sign in as a person:\n    sesame login --endpoint %s --profile sesame && aws s3 ls --profile sesame\n", b.urls[0])
	}
	if n := len(b.warnings); n > 0 {
		fmt.Fprintf(w, "\n  %d warning(s) follow.\n", n)
	}
	fmt.Fprintln(w)
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
