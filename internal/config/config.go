// Package config turns command-line flags and environment variables into a
// validated Config. It accepts MinIO's variable names, so a deployment
// written for MinIO starts unchanged:
//
//	MINIO_ROOT_USER / MINIO_ROOT_PASSWORD   root credentials
//	MINIO_ACCESS_KEY / MINIO_SECRET_KEY     the legacy names for the same
//	MINIO_DOMAIN                            virtual-host-style domains (comma list)
//	MINIO_REGION / MINIO_SITE_REGION        the server's region
//	MINIO_IDENTITY_OPENID_* (and _<NAME>)   OpenID Connect providers for STS
//	MINIO_IAM_JWKS_URL                      the legacy bare JWKS URL
//	MINIO_IDENTITY_LDAP_*                   an LDAP directory for STS
//	                                        AssumeRoleWithLDAPIdentity
//	MINIO_IDENTITY_TLS_ENABLE / _SKIP_VERIFY  client certificates for STS
//	                                        AssumeRoleWithCertificate
//	MINIO_IDENTITY_PLUGIN_*                 an identity plugin (webhook) for
//	                                        STS AssumeRoleWithCustomToken
//	MINIO_POLICY_OPA_URL / _AUTH_TOKEN      an OPA server that makes every
//	                                        authorization decision (also
//	                                        MINIO_POLICY_PLUGIN_URL / _AUTH_TOKEN
//	                                        and the legacy MINIO_IAM_OPA_URL /
//	                                        MINIO_IAM_OPA_AUTHTOKEN; one only)
//	MINIO_ETCD_ENDPOINTS (comma list)       keep IAM state in etcd, shared by
//	                                        every node, instead of on this
//	                                        node (also MINIO_ETCD_PATH_PREFIX,
//	                                        _CLIENT_CERT, _CLIENT_CERT_KEY,
//	                                        _USERNAME, _PASSWORD, and Sesame's
//	                                        own MINIO_ETCD_CA: a PEM CA bundle)
//	MINIO_AUDIT_WEBHOOK_ENABLE / _ENDPOINT  the audit webhook (also
//	                                        _AUTH_TOKEN, _QUEUE_SIZE)
//	MINIO_PROMETHEUS_AUTH_TYPE              jwt (default) or public
//
// and Sesame's own SESAME_* variables (Environment lists them all). An
// unknown MINIO_* or SESAME_* variable does not stop the server: Load
// names it in Config.Warnings, with the closest known name when it looks
// like a typo.
//
// Flags win over environment variables, which win over the --config file
// (KEY=VALUE lines with the same names).
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store/etcd"
	"github.com/sesame-s3/sesame/internal/idplugin"
	"github.com/sesame-s3/sesame/internal/ldap"
	"github.com/sesame-s3/sesame/internal/object/s3backend"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/opa"
)

// Limits on the root credentials, as MinIO enforces them.
const (
	MinRootUserLength     = 3
	MinRootPasswordLength = 8
)

// DefaultShutdownTimeout bounds a graceful stop when --shutdown-timeout is
// not given.
const DefaultShutdownTimeout = 30 * time.Second

// Config is everything `sesame server` needs.
type Config struct {
	// Dir is the data directory served as S3.
	Dir string
	// Address is the listen address, default ":9000".
	Address string
	// RootUser and RootPassword are the root access and secret keys.
	RootUser, RootPassword string
	// Domains enable virtual-host-style requests.
	Domains []string
	// Region is reported to clients; default "us-east-1".
	Region string
	// ShutdownTimeout bounds a graceful stop: the time requests in
	// flight get to finish after SIGTERM (0: DefaultShutdownTimeout).
	ShutdownTimeout time.Duration
	// MaxSessionDuration is the longest DurationSeconds STS grants
	// (15 minutes to 7 days; default 7 days).
	MaxSessionDuration time.Duration
	// OpenID lists the OpenID Connect providers (MINIO_IDENTITY_OPENID_*,
	// MINIO_IAM_JWKS_URL).
	OpenID []oidc.ProviderConfig
	// OpenIDClockSkew is the clock skew allowed on OpenID tokens' exp, nbf
	// and iat (SESAME_IDENTITY_OPENID_CLOCK_SKEW; 0: oidc.Leeway, negative:
	// none).
	OpenIDClockSkew time.Duration
	// LDAP, when set, is the LDAP directory of STS
	// AssumeRoleWithLDAPIdentity (MINIO_IDENTITY_LDAP_*); the IAM API then
	// attaches policies to its users' and groups' DNs.
	LDAP *ldap.Config
	// IdentityTLS, when set, enables STS AssumeRoleWithCertificate
	// (MINIO_IDENTITY_TLS_ENABLE=on): the server then asks TLS clients
	// for a certificate, verified against CertsDir's CAs/.
	IdentityTLS *IdentityTLS
	// Plugin, when set, is the identity plugin of STS
	// AssumeRoleWithCustomToken (MINIO_IDENTITY_PLUGIN_*).
	Plugin *idplugin.Config
	// OPA, when set, is the Open Policy Agent endpoint that decides every
	// request instead of the built-in policies, root's included.
	OPA *opa.Config
	// Etcd, when set, is the etcd cluster that holds IAM state for every
	// node (MINIO_ETCD_*); otherwise IAM state is a bbolt file in Dir.
	Etcd *etcd.Config
	// S3Backend, when set, keeps objects in an upstream S3 service
	// instead of Dir (--s3-backend, docs/GATEWAY.md); Dir then keeps
	// Sesame's own state.
	S3Backend *s3backend.Config

	// CertsDir holds the server's certificate (public.crt) and key
	// (private.key), as MinIO lays it out, and CAs/ with further trusted
	// CA certificates. When both files exist the server speaks HTTPS
	// only. "" means no TLS.
	CertsDir string
	// STSRequireTLS refuses STS requests that do not come over TLS
	// (SESAME_STS_REQUIRE_TLS=on).
	STSRequireTLS bool
	// Log is the server's own log: its format and level.
	Log LogConfig
	// AccessLog is where one line per request goes: "" for nowhere (the
	// default), "stderr", or a file path.
	AccessLog string
	// Audit is where audit records go.
	Audit AuditConfig
	// MetricsAuth says who may read the metrics: MetricsAuthJWT (a bearer
	// token, the default) or MetricsAuthPublic (anyone).
	MetricsAuth string
	// Pprof, when set, is the address of a separate listener that serves
	// Go's profiles (/debug/pprof/); never on the S3 port.
	Pprof string
	// LoginPath is where the login page lives (internal/login): "" for
	// its default, /minio/sesame/login; "off" for no page (the providers
	// document of `sesame login` goes with it).
	LoginPath string
	// SSEKeyring is the file of SSE-S3 master keys (docs/ENCRYPTION.md):
	// "" for DIR/.sesame.sys/sse/keyring, created on first start.
	SSEKeyring string
	// SSECAllowInsecure accepts SSE-C customer keys over plain HTTP
	// (SESAME_SSE_C_ALLOW_INSECURE=on; for tests only).
	SSECAllowInsecure bool
	// LifecycleInterval is how often the lifecycle worker runs (0: hourly;
	// negative: never). LifecycleDay is the length of a lifecycle rule's
	// "day" (0: 24h; shorter only for tests).
	LifecycleInterval, LifecycleDay time.Duration

	// Warnings are problems Load found that do not stop the server: an
	// unknown variable, a setting without effect. The server logs them.
	Warnings []string
}

// IdentityTLS configures client certificates as an STS identity
// (MINIO_IDENTITY_TLS_*).
type IdentityTLS struct {
	// SkipVerify accepts any client certificate without verifying it
	// (MINIO_IDENTITY_TLS_SKIP_VERIFY=on): anyone can then name any policy
	// in a self-signed certificate. For labs only.
	SkipVerify bool
}

// The identity TLS variables, MinIO's names.
const (
	identityTLSEnable     = "MINIO_IDENTITY_TLS_ENABLE"
	identityTLSSkipVerify = "MINIO_IDENTITY_TLS_SKIP_VERIFY"
)

// identityTLS reads MINIO_IDENTITY_TLS_ENABLE and _SKIP_VERIFY: off
// unless _ENABLE is on, as in MinIO.
func identityTLS(getenv func(string) string, warnings *[]string) (*IdentityTLS, error) {
	enable, skip := strings.TrimSpace(getenv(identityTLSEnable)), strings.TrimSpace(getenv(identityTLSSkipVerify))
	on, ok := parseBool(enable)
	if enable != "" && !ok {
		return nil, fmt.Errorf("%s=%q: want on or off", identityTLSEnable, enable)
	}
	skipOn, ok := parseBool(skip)
	if skip != "" && !ok {
		return nil, fmt.Errorf("%s=%q: want on or off", identityTLSSkipVerify, skip)
	}
	if !on {
		if skip != "" {
			*warnings = append(*warnings, fmt.Sprintf("%s is set but %s is not on: AssumeRoleWithCertificate is off", identityTLSSkipVerify, identityTLSEnable))
		}
		return nil, nil
	}
	if skipOn {
		*warnings = append(*warnings, identityTLSSkipVerify+" is on: client certificates are NOT verified, so anyone can get credentials for any policy with a self-signed certificate; for labs only")
	}
	return &IdentityTLS{SkipVerify: skipOn}, nil
}

// LogConfig is the format and level of the server's log.
type LogConfig struct {
	// Format is "text" (the default) or "json".
	Format string
	// Level is the least level logged (default Info).
	Level slog.Level
}

// AuditConfig names the audit log's targets; with neither there is none.
type AuditConfig struct {
	// File is the path of the JSON-lines audit file.
	File string
	// Webhook, when set, receives one record per POST.
	Webhook *AuditWebhook
}

// AuditWebhook is MinIO's audit webhook target (MINIO_AUDIT_WEBHOOK_*).
type AuditWebhook struct {
	Endpoint string
	// AuthToken is sent verbatim as the Authorization header.
	AuthToken string
	// QueueSize bounds the records waiting to be sent (0: the default).
	QueueSize int
}

// The values of Config.MetricsAuth (MINIO_PROMETHEUS_AUTH_TYPE).
const (
	MetricsAuthJWT    = "jwt"
	MetricsAuthPublic = "public"
)

// Errors for bad command-line usage; Load wraps them with the reason.
var (
	// ErrUsage is returned (wrapped) for bad command-line usage.
	ErrUsage = errors.New("usage")
	// ErrHelp is returned when the arguments ask for help (-h, --help).
	ErrHelp = errors.New("help requested")
)

// flagValues are the flags whose values are not Config fields as given.
type flagValues struct {
	configFile, domain, certsDir, logFormat, logLevel, accessLog, auditLog, pprof *string
	loginPath, sseKeyring, lifecycleInterval, lifecycleDay                        *string
	s3Backend, s3BackendBucket, s3BackendPrefix, s3BackendRegion                  *string
	stsRequireTLS, sseCInsecure                                                   *bool
}

// newFlagSet returns the server's flags, writing into cfg and v.
func newFlagSet(cfg *Config) (*flag.FlagSet, flagValues) {
	fs := flag.NewFlagSet("sesame server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var v flagValues
	v.configFile = fs.String("config", "", "`file` of KEY=VALUE settings with MinIO's variable names (MINIO_IDENTITY_OPENID_*, ...); the environment wins over it")
	fs.StringVar(&cfg.Address, "address", ":9000", "listen address `host:port`")
	v.domain = fs.String("domain", "", "comma-separated domains for virtual-host-style requests (env MINIO_DOMAIN)")
	fs.StringVar(&cfg.Region, "region", "", "region reported to clients (env MINIO_REGION; default us-east-1)")
	fs.DurationVar(&cfg.MaxSessionDuration, "sts-max-duration", 7*24*time.Hour, "longest temporary credentials STS grants (15m to 168h)")
	v.certsDir = fs.String("certs-dir", defaultCertsDir(), "`dir`ectory of public.crt and private.key (and CAs/); with both, the server speaks HTTPS only (env SESAME_CERTS_DIR)")
	v.stsRequireTLS = fs.Bool("sts-require-tls", false, "refuse STS requests over plain http (env SESAME_STS_REQUIRE_TLS=on)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", DefaultShutdownTimeout, "time requests in flight get to finish after SIGTERM or SIGINT")
	v.logFormat = fs.String("log-format", "", "log format, text or json (env SESAME_LOG_FORMAT; default text)")
	v.logLevel = fs.String("log-level", "", "least level logged: debug, info, warn or error (env SESAME_LOG_LEVEL; default info)")
	v.accessLog = fs.String("access-log", "", "write one line per request to `file`, or to stderr; reopened on SIGHUP (env SESAME_ACCESS_LOG; default off)")
	v.auditLog = fs.String("audit-log", "", "append audit records (STS issuances and refusals, IAM changes) as JSON lines to `file`; reopened on SIGHUP (env SESAME_AUDIT_LOG_FILE)")
	v.loginPath = fs.String("login-path", "", "`path` of the login page, /minio/sesame/login by default; off: no login page (env SESAME_LOGIN_PATH)")
	v.s3Backend = fs.String("s3-backend", "", "keep objects in the S3 service at `URL` (path-style) instead of DIR, which keeps Sesame's own state (env SESAME_S3_BACKEND; credentials from SESAME_S3_BACKEND_ACCESS_KEY and SESAME_S3_BACKEND_SECRET_KEY, else the AWS SDK's default chain)")
	v.s3BackendPrefix = fs.String("s3-backend-bucket-prefix", "", "with --s3-backend: bucket b is the upstream bucket `P`b (env SESAME_S3_BACKEND_BUCKET_PREFIX)")
	v.s3BackendBucket = fs.String("s3-backend-bucket", "", "with --s3-backend: bucket b is the prefix b/ of the one upstream `bucket` (env SESAME_S3_BACKEND_BUCKET)")
	v.s3BackendRegion = fs.String("s3-backend-region", "", "with --s3-backend: the upstream's region, default us-east-1 (env SESAME_S3_BACKEND_REGION)")
	v.sseKeyring = fs.String("sse-keyring", "", "`file` of the SSE-S3 master keys (env SESAME_SSE_KEYRING; default DIR/.sesame.sys/sse/keyring)")
	v.sseCInsecure = fs.Bool("sse-c-insecure", false, "accept SSE-C customer keys over plain http, for tests (env SESAME_SSE_C_ALLOW_INSECURE=on)")
	v.lifecycleInterval = fs.String("lifecycle-interval", "", "how often bucket lifecycle rules are applied (env SESAME_LIFECYCLE_INTERVAL; default 1h; off: never)")
	v.lifecycleDay = fs.String("lifecycle-day", "", "length of a lifecycle rule's day, for tests (env SESAME_LIFECYCLE_DAY; default 24h)")
	v.pprof = fs.String("pprof", "", "serve Go's profiles at http://`addr`/debug/pprof/ on a separate listener; a bare :port binds to localhost (env SESAME_PPROF_ADDR; default off)")
	return fs, v
}

// defaultCertsDir is ~/.sesame/certs, or "" when there is no home.
func defaultCertsDir() string {
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, ".sesame", "certs")
}

// Load parses the arguments of `sesame server` (after the subcommand) and
// the environment (a list of KEY=VALUE as os.Environ returns). It writes
// nothing: usage problems wrap ErrUsage, -h and --help return ErrHelp, and
// the caller prints Usage. stderr is unused and kept for compatibility.
func Load(args []string, environ []string, stderr io.Writer) (Config, error) {
	_ = stderr
	cfg := Config{}
	fs, v := newFlagSet(&cfg)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, ErrHelp
		}
		return cfg, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	switch fs.NArg() {
	case 0:
		return cfg, fmt.Errorf("%w: missing DIR, the data directory to serve", ErrUsage)
	case 1:
	default:
		return cfg, fmt.Errorf("%w: one DIR expected, got %d arguments (%s); flags go before DIR", ErrUsage, fs.NArg(), strings.Join(fs.Args(), " "))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cfg.Dir = fs.Arg(0)
	var fileEnv []string
	if *v.configFile != "" {
		var err error
		if fileEnv, err = readEnvFile(*v.configFile); err != nil {
			return cfg, err
		}
		cfg.Warnings = append(cfg.Warnings, unknownVariables(fileEnv, "in "+*v.configFile)...)
	}
	cfg.Warnings = append(cfg.Warnings, unknownVariables(environ, "in the environment")...)
	environ = append(fileEnv, environ...) // later entries win
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	getenv := func(k string) string { return env[k] }
	// fromEnv sets *flagValue from the environment unless the flag was given.
	fromEnv := func(flagName string, flagValue *string, names ...string) {
		if !set[flagName] {
			if s := firstSet(getenv, names...); s != "" {
				*flagValue = s
			}
		}
	}
	fromEnv("domain", v.domain, "MINIO_DOMAIN")
	fromEnv("region", &cfg.Region, "MINIO_REGION", "MINIO_SITE_REGION")
	fromEnv("certs-dir", v.certsDir, "SESAME_CERTS_DIR")
	fromEnv("log-format", v.logFormat, "SESAME_LOG_FORMAT")
	fromEnv("log-level", v.logLevel, "SESAME_LOG_LEVEL")
	fromEnv("access-log", v.accessLog, "SESAME_ACCESS_LOG")
	fromEnv("audit-log", v.auditLog, "SESAME_AUDIT_LOG_FILE")
	fromEnv("pprof", v.pprof, "SESAME_PPROF_ADDR")
	fromEnv("sse-keyring", v.sseKeyring, "SESAME_SSE_KEYRING")
	fromEnv("lifecycle-interval", v.lifecycleInterval, "SESAME_LIFECYCLE_INTERVAL")
	fromEnv("lifecycle-day", v.lifecycleDay, "SESAME_LIFECYCLE_DAY")
	fromEnv("login-path", v.loginPath, "SESAME_LOGIN_PATH")
	fromEnv("s3-backend", v.s3Backend, envS3Backend)
	fromEnv("s3-backend-bucket-prefix", v.s3BackendPrefix, envS3BackendBucketPrefix)
	fromEnv("s3-backend-bucket", v.s3BackendBucket, envS3BackendBucket)
	fromEnv("s3-backend-region", v.s3BackendRegion, envS3BackendRegion)
	for _, d := range strings.Split(*v.domain, ",") {
		if d = strings.ToLower(strings.TrimSpace(d)); d != "" {
			cfg.Domains = append(cfg.Domains, d)
		}
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	cfg.CertsDir = strings.TrimSpace(*v.certsDir)
	cfg.AccessLog = strings.TrimSpace(*v.accessLog)
	cfg.Pprof = strings.TrimSpace(*v.pprof)
	cfg.LoginPath = strings.TrimRight(strings.TrimSpace(*v.loginPath), "/")
	cfg.Audit.File = strings.TrimSpace(*v.auditLog)
	var err error
	if cfg.S3Backend, err = s3BackendConfig(v, getenv); err != nil {
		return cfg, err
	}
	if cfg.STSRequireTLS, err = boolSetting(*v.stsRequireTLS, set["sts-require-tls"], getenv, "SESAME_STS_REQUIRE_TLS"); err != nil {
		return cfg, err
	}
	if cfg.SSECAllowInsecure, err = boolSetting(*v.sseCInsecure, set["sse-c-insecure"], getenv, "SESAME_SSE_C_ALLOW_INSECURE"); err != nil {
		return cfg, err
	}
	cfg.SSEKeyring = strings.TrimSpace(*v.sseKeyring)
	if cfg.LifecycleInterval, err = durationSetting(*v.lifecycleInterval, "lifecycle-interval", true); err != nil {
		return cfg, err
	}
	if cfg.LifecycleDay, err = durationSetting(*v.lifecycleDay, "lifecycle-day", false); err != nil {
		return cfg, err
	}
	if cfg.Log, err = logConfig(*v.logFormat, *v.logLevel); err != nil {
		return cfg, err
	}
	if cfg.Audit.Webhook, err = auditWebhook(getenv, &cfg.Warnings); err != nil {
		return cfg, err
	}
	switch t := strings.ToLower(strings.TrimSpace(getenv("MINIO_PROMETHEUS_AUTH_TYPE"))); t {
	case "", MetricsAuthJWT:
		cfg.MetricsAuth = MetricsAuthJWT
	case MetricsAuthPublic:
		cfg.MetricsAuth = MetricsAuthPublic
	default:
		return cfg, fmt.Errorf("MINIO_PROMETHEUS_AUTH_TYPE=%q: want jwt or public", t)
	}
	environ = make([]string, 0, len(env))
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	openID, err := oidc.ConfigFromEnv(getenv, environ)
	if err != nil {
		return cfg, err
	}
	cfg.OpenID = openID
	if cfg.OpenIDClockSkew, err = oidc.ClockSkewFromEnv(getenv); err != nil {
		return cfg, err
	}
	if cfg.LDAP, err = ldap.ConfigFromEnv(getenv); err != nil {
		return cfg, err
	}
	if cfg.LDAP != nil {
		for _, w := range cfg.LDAP.Warnings {
			cfg.Warnings = append(cfg.Warnings, "LDAP: "+w)
		}
	}
	if cfg.IdentityTLS, err = identityTLS(getenv, &cfg.Warnings); err != nil {
		return cfg, err
	}
	if cfg.Plugin, err = idplugin.ConfigFromEnv(getenv); err != nil {
		return cfg, err
	}
	if cfg.OPA, err = opa.ConfigFromEnv(getenv); err != nil {
		return cfg, err
	}
	if cfg.Etcd, err = etcd.ConfigFromEnv(getenv); err != nil {
		return cfg, err
	}
	cfg.RootUser = firstSet(getenv, "MINIO_ROOT_USER", "MINIO_ACCESS_KEY")
	cfg.RootPassword = firstSet(getenv, "MINIO_ROOT_PASSWORD", "MINIO_SECRET_KEY")
	return cfg, cfg.Validate()
}

// boolSetting is a flag's value when given, else the variable's (on/off,
// true/false, 1/0, yes/no), else false.
func boolSetting(flagValue, given bool, getenv func(string) string, name string) (bool, error) {
	if given {
		return flagValue, nil
	}
	s := strings.TrimSpace(getenv(name))
	if s == "" {
		return false, nil
	}
	on, ok := parseBool(s)
	if !ok {
		return false, fmt.Errorf("%s=%q: want on or off", name, s)
	}
	return on, nil
}

func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on", "true", "1", "yes", "enable", "enabled":
		return true, true
	case "off", "false", "0", "no", "disable", "disabled":
		return false, true
	}
	return false, false
}

func logConfig(format, level string) (LogConfig, error) {
	lc := LogConfig{Format: strings.ToLower(strings.TrimSpace(format)), Level: slog.LevelInfo}
	switch lc.Format {
	case "":
		lc.Format = "text"
	case "text", "json":
	default:
		return lc, fmt.Errorf("--log-format %q: want text or json", format)
	}
	if level = strings.TrimSpace(level); level != "" {
		if err := lc.Level.UnmarshalText([]byte(level)); err != nil {
			return lc, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
		}
	}
	return lc, nil
}

// The audit webhook's variables, MinIO's names.
const (
	auditWebhookEnable    = "MINIO_AUDIT_WEBHOOK_ENABLE"
	auditWebhookEndpoint  = "MINIO_AUDIT_WEBHOOK_ENDPOINT"
	auditWebhookAuthToken = "MINIO_AUDIT_WEBHOOK_AUTH_TOKEN"
	auditWebhookQueueSize = "MINIO_AUDIT_WEBHOOK_QUEUE_SIZE"
)

// auditWebhook reads MINIO_AUDIT_WEBHOOK_*: the webhook is on only with
// _ENABLE=on, as in MinIO, and then needs an http(s) _ENDPOINT.
func auditWebhook(getenv func(string) string, warnings *[]string) (*AuditWebhook, error) {
	endpoint := strings.TrimSpace(getenv(auditWebhookEndpoint))
	enable := strings.TrimSpace(getenv(auditWebhookEnable))
	on, ok := parseBool(enable)
	switch {
	case enable != "" && !ok:
		return nil, fmt.Errorf("%s=%q: want on or off", auditWebhookEnable, enable)
	case !on:
		if endpoint != "" && enable == "" {
			*warnings = append(*warnings, fmt.Sprintf("%s is set but %s is not on: the audit webhook is off", auditWebhookEndpoint, auditWebhookEnable))
		}
		return nil, nil
	case endpoint == "":
		return nil, fmt.Errorf("%s=on needs %s, the URL that receives the records", auditWebhookEnable, auditWebhookEndpoint)
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s %q is not an http(s) URL", auditWebhookEndpoint, endpoint)
	}
	w := &AuditWebhook{Endpoint: endpoint, AuthToken: getenv(auditWebhookAuthToken)}
	if s := strings.TrimSpace(getenv(auditWebhookQueueSize)); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("%s=%q: want a positive number of records", auditWebhookQueueSize, s)
		}
		w.QueueSize = n
	}
	return w, nil
}

// maxConfigFile bounds the --config file.
const maxConfigFile = 1 << 20

// readEnvFile reads KEY=VALUE lines (blank lines and # comments skipped,
// an optional "export " prefix, values optionally in matching quotes).
func readEnvFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	if len(data) > maxConfigFile {
		return nil, fmt.Errorf("config file %s is larger than %d bytes", path, maxConfigFile)
	}
	var out []string
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("config file %s, line %d: want KEY=VALUE", path, i+1)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out = append(out, k+"="+v)
	}
	return out, nil
}

// Validate reports the first problem with cfg, saying what to set.
func (c Config) Validate() error {
	switch {
	case c.RootUser == "" && c.RootPassword == "":
		return errors.New("root credentials are not set: set MINIO_ROOT_USER (at least 3 characters) and MINIO_ROOT_PASSWORD (at least 8 characters)")
	case c.RootUser == "":
		return errors.New("root credentials are not set: MINIO_ROOT_PASSWORD is set but MINIO_ROOT_USER (the root access key, at least 3 characters) is missing")
	case c.RootPassword == "":
		return errors.New("root credentials are not set: MINIO_ROOT_USER is set but MINIO_ROOT_PASSWORD (the root secret key, at least 8 characters) is missing")
	case len(c.RootUser) < MinRootUserLength:
		return fmt.Errorf("MINIO_ROOT_USER is too short: it needs at least %d characters", MinRootUserLength)
	case len(c.RootPassword) < MinRootPasswordLength:
		return fmt.Errorf("MINIO_ROOT_PASSWORD is too short: it needs at least %d characters", MinRootPasswordLength)
	case strings.ContainsAny(c.RootUser, "=,") || strings.ContainsAny(c.RootUser, " \t\n"):
		return errors.New("MINIO_ROOT_USER must not contain '=', ',' or white space")
	case c.Dir == "":
		return errors.New("no data directory given")
	case c.MaxSessionDuration != 0 && (c.MaxSessionDuration < 15*time.Minute || c.MaxSessionDuration > 7*24*time.Hour):
		return fmt.Errorf("--sts-max-duration %v is out of range: it must be between 15m and 168h", c.MaxSessionDuration)
	case c.ShutdownTimeout < 0:
		return fmt.Errorf("--shutdown-timeout %v: must not be negative", c.ShutdownTimeout)
	case c.LoginPath != "" && c.LoginPath != "off" && (!strings.HasPrefix(c.LoginPath, "/") || strings.ContainsAny(c.LoginPath, "?#% ")):
		return fmt.Errorf("--login-path %q: want an absolute path such as /login, or off", c.LoginPath)
	case c.MetricsAuth != "" && c.MetricsAuth != MetricsAuthJWT && c.MetricsAuth != MetricsAuthPublic:
		return fmt.Errorf("metrics authentication %q: want jwt or public", c.MetricsAuth)
	case c.S3Backend != nil:
		return c.S3Backend.Validate()
	}
	return nil
}

// The settings of the S3 backend (docs/GATEWAY.md).
const (
	envS3Backend             = "SESAME_S3_BACKEND"
	envS3BackendBucketPrefix = "SESAME_S3_BACKEND_BUCKET_PREFIX"
	envS3BackendBucket       = "SESAME_S3_BACKEND_BUCKET"
	envS3BackendRegion       = "SESAME_S3_BACKEND_REGION"
	envS3BackendAccessKey    = "SESAME_S3_BACKEND_ACCESS_KEY"
	envS3BackendSecretKey    = "SESAME_S3_BACKEND_SECRET_KEY"
)

// s3BackendConfig returns the S3 backend's settings, or nil without
// --s3-backend; a mapping flag without it is a mistake.
func s3BackendConfig(v flagValues, getenv func(string) string) (*s3backend.Config, error) {
	url := strings.TrimSpace(*v.s3Backend)
	if url == "" {
		if *v.s3BackendBucket != "" || *v.s3BackendPrefix != "" || *v.s3BackendRegion != "" {
			return nil, fmt.Errorf("%w: --s3-backend-bucket, --s3-backend-bucket-prefix and --s3-backend-region need --s3-backend URL", ErrUsage)
		}
		return nil, nil
	}
	c := &s3backend.Config{
		Endpoint:     url,
		Region:       strings.TrimSpace(*v.s3BackendRegion),
		BucketPrefix: strings.TrimSpace(*v.s3BackendPrefix),
		Bucket:       strings.TrimSpace(*v.s3BackendBucket),
		AccessKey:    getenv(envS3BackendAccessKey),
		SecretKey:    getenv(envS3BackendSecretKey),
	}
	return c, c.Validate()
}

func firstSet(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// durationSetting parses a duration flag: "" is 0, "off" (when allowed) is
// -1, anything else a positive Go duration.
func durationSetting(v, name string, offOK bool) (time.Duration, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return 0, nil
	case offOK && v == "off":
		return -1, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--%s: %q is not a positive duration", name, v)
	}
	return d, nil
}
