package config

import (
	"fmt"
	"io"
)

// Usage writes the server's usage line, what it does and its flags.
func Usage(w io.Writer) {
	fmt.Fprint(w, `Usage: sesame server [flags] DIR

Serves the files in DIR as an S3-compatible object store, with the AWS IAM
and STS query APIs on the same port. Root credentials come from
MINIO_ROOT_USER and MINIO_ROOT_PASSWORD (or the legacy MINIO_ACCESS_KEY and
MINIO_SECRET_KEY). Flags win over the environment, which wins over --config.

Flags:
`)
	fs, _ := newFlagSet(&Config{})
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// Environment lists the variables the server reads, for its help.
const Environment = `
Environment (MinIO's names where MinIO has the setting; see README.md and docs/):
  MINIO_ROOT_USER, MINIO_ROOT_PASSWORD   root access key (>= 3 characters) and secret key (>= 8)
  MINIO_ACCESS_KEY, MINIO_SECRET_KEY     legacy names of the same
  MINIO_DOMAIN                           comma-separated domains for virtual-host-style requests
  MINIO_REGION, MINIO_SITE_REGION        region reported to clients (default us-east-1)

  OpenID Connect providers for STS (docs/OIDC.md); each may end in _NAME for more providers:
  MINIO_IDENTITY_OPENID_CONFIG_URL       the provider's discovery document (.well-known/openid-configuration)
  MINIO_IDENTITY_OPENID_CLIENT_ID        the audience (aud or azp) tokens must name
  MINIO_IDENTITY_OPENID_CLIENT_SECRET    also admits HS256/384/512 tokens keyed by it
  MINIO_IDENTITY_OPENID_CLAIM_NAME       claim listing a token's policies (default policy)
  MINIO_IDENTITY_OPENID_CLAIM_PREFIX     namespace prefix of that claim
  MINIO_IDENTITY_OPENID_ROLE_POLICY      policies for every token (role-policy mode)
  MINIO_IDENTITY_OPENID_CLAIM_USERINFO   on: add the userinfo endpoint's claims
  MINIO_IDENTITY_OPENID_SCOPES, _DISPLAY_NAME, _ENABLE (off skips the provider)
  MINIO_IAM_JWKS_URL                     legacy: a bare JWKS URL, without discovery
  SESAME_IDENTITY_OPENID_ISSUER          the iss of MINIO_IAM_JWKS_URL's tokens
  SESAME_IDENTITY_OPENID_CLOCK_SKEW      clock skew allowed on tokens' exp, nbf and iat (default 60s, at most 1h)
  SESAME_IDENTITY_OPENID_MAX_DURATION    longest session of a provider's tokens (15m to 168h; _NAME suffix as above)

  LDAP / Active Directory for STS AssumeRoleWithLDAPIdentity (docs/LDAP.md):
  MINIO_IDENTITY_LDAP_SERVER_ADDR        host[:port] (636 for TLS, 389 plain or StartTLS)
  MINIO_IDENTITY_LDAP_SRV_RECORD_NAME    ldap, ldaps or on: find the servers by DNS SRV
  MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN, MINIO_IDENTITY_LDAP_LOOKUP_BIND_PASSWORD  the read-only lookup account
  MINIO_IDENTITY_LDAP_USER_DN_SEARCH_BASE_DN, MINIO_IDENTITY_LDAP_USER_DN_SEARCH_FILTER  where and how users are found
  MINIO_IDENTITY_LDAP_USER_DN_ATTRIBUTES attributes of the user's entry to read
  MINIO_IDENTITY_LDAP_GROUP_SEARCH_BASE_DN, MINIO_IDENTITY_LDAP_GROUP_SEARCH_FILTER  where and how groups are found
  MINIO_IDENTITY_LDAP_SERVER_INSECURE, MINIO_IDENTITY_LDAP_SERVER_STARTTLS, MINIO_IDENTITY_LDAP_TLS_SKIP_VERIFY  on/off
  MINIO_IDENTITY_LDAP_ENABLE (or MINIO_IDENTITY_LDAP_ENABLED), MINIO_IDENTITY_LDAP_COMMENT
  MINIO_IDENTITY_LDAP_USERNAME_FORMAT    refused (username-format mode); MINIO_IDENTITY_LDAP_STS_EXPIRY and
                                         MINIO_IDENTITY_LDAP_GROUP_NAME_ATTRIBUTE are ignored with a warning
  SESAME_IDENTITY_LDAP_GROUP_NESTING_DEPTH        levels of nested groups followed (default 8; 0: off)
  SESAME_IDENTITY_LDAP_LOOKUP_BIND_UNAUTHENTICATED on: an empty lookup password binds unauthenticated

  Client certificates for STS AssumeRoleWithCertificate (docs/CERTIFICATES.md):
  MINIO_IDENTITY_TLS_ENABLE              on: ask TLS clients for a certificate, verified against --certs-dir/CAs
  MINIO_IDENTITY_TLS_SKIP_VERIFY         on: accept any client certificate unverified (labs only)

  An identity plugin for STS AssumeRoleWithCustomToken (docs/PLUGIN.md):
  MINIO_IDENTITY_PLUGIN_URL              the webhook that vouches for tokens
  MINIO_IDENTITY_PLUGIN_AUTH_TOKEN       sent as its Authorization header (MINIO_IDENTITY_PLUGIN_TOKEN: the same)
  MINIO_IDENTITY_PLUGIN_ROLE_POLICY      required: the policies of the plugin's users (comma-separated)
  MINIO_IDENTITY_PLUGIN_ROLE_ID          names the role ARN arn:minio:iam:::role/idmp-<ID> (default: from the URL)
  MINIO_IDENTITY_PLUGIN_ENABLE, MINIO_IDENTITY_PLUGIN_COMMENT
  SESAME_IDENTITY_PLUGIN_TIMEOUT         one call's time limit (default 5s); no answer in time refuses

  Open Policy Agent, deciding every request (docs/OPA.md):
  MINIO_POLICY_OPA_URL, MINIO_POLICY_OPA_AUTH_TOKEN  the decision URL and its Authorization header
  MINIO_POLICY_PLUGIN_URL, MINIO_POLICY_PLUGIN_AUTH_TOKEN  the same, MinIO's newer names
  MINIO_IAM_OPA_URL, MINIO_IAM_OPA_AUTHTOKEN  the same, legacy names (set one of the three)
  MINIO_POLICY_OPA_TIMEOUT               one decision's time limit (default 5s)

  IAM state in etcd, shared by several nodes (docs/DEPLOY.md):
  MINIO_ETCD_ENDPOINTS                   comma-separated client URLs
  MINIO_ETCD_PATH_PREFIX, MINIO_ETCD_USERNAME, MINIO_ETCD_PASSWORD,
  MINIO_ETCD_CLIENT_CERT, MINIO_ETCD_CLIENT_CERT_KEY, MINIO_ETCD_CA

  Objects in an upstream S3 service (docs/GATEWAY.md):
  SESAME_S3_BACKEND                      --s3-backend URL
  SESAME_S3_BACKEND_BUCKET_PREFIX        --s3-backend-bucket-prefix
  SESAME_S3_BACKEND_BUCKET               --s3-backend-bucket
  SESAME_S3_BACKEND_REGION               --s3-backend-region
  SESAME_S3_BACKEND_ACCESS_KEY, SESAME_S3_BACKEND_SECRET_KEY
                                         Sesame's keys at the upstream (else the AWS SDK's default chain)

  Operations (docs/OPERATIONS.md):
  SESAME_CERTS_DIR                       --certs-dir
  SESAME_STS_REQUIRE_TLS                 on: --sts-require-tls
  SESAME_LOG_FORMAT, SESAME_LOG_LEVEL    --log-format, --log-level
  SESAME_ACCESS_LOG                      --access-log
  SESAME_AUDIT_LOG_FILE                  --audit-log
  SESAME_PPROF_ADDR                      --pprof
  SESAME_LOGIN_PATH                      --login-path (docs/LOGIN.md; off: no login page)
  SESAME_SSE_KEYRING                     --sse-keyring (docs/ENCRYPTION.md)
  SESAME_SSE_C_ALLOW_INSECURE            on: --sse-c-insecure (tests only)
  SESAME_LIFECYCLE_INTERVAL              --lifecycle-interval (default 1h; off: never)
  SESAME_LIFECYCLE_DAY                   --lifecycle-day (tests only; default 24h)
  MINIO_AUDIT_WEBHOOK_ENABLE             on: POST every audit record to the webhook
  MINIO_AUDIT_WEBHOOK_ENDPOINT           its URL
  MINIO_AUDIT_WEBHOOK_AUTH_TOKEN         sent as its Authorization header
  MINIO_AUDIT_WEBHOOK_QUEUE_SIZE         records waiting at most (default 10000; more are dropped and counted)
  MINIO_PROMETHEUS_AUTH_TYPE             jwt (default: a bearer token from 'sesame admin prometheus generate')
                                         or public (no authentication)

Signals: SIGTERM or SIGINT stops gracefully (--shutdown-timeout); SIGHUP reopens
the access and audit logs and reloads the certificates.
`
