package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sesame-s3/sesame/internal/idplugin"
	"github.com/sesame-s3/sesame/internal/ldap"
	"github.com/sesame-s3/sesame/internal/oidc"
)

// knownVariables are the variables Sesame reads (besides the OpenID ones,
// which openIDKeys describe).
var knownVariables = []string{
	"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY",
	"MINIO_DOMAIN", "MINIO_REGION", "MINIO_SITE_REGION",
	"MINIO_IAM_JWKS_URL", "SESAME_IDENTITY_OPENID_ISSUER", oidc.EnvClockSkew,
	"MINIO_POLICY_OPA_URL", "MINIO_POLICY_OPA_AUTH_TOKEN", "MINIO_POLICY_PLUGIN_URL", "MINIO_POLICY_PLUGIN_AUTH_TOKEN",
	"MINIO_IAM_OPA_URL", "MINIO_IAM_OPA_AUTHTOKEN", "MINIO_POLICY_OPA_TIMEOUT",
	"MINIO_ETCD_ENDPOINTS", "MINIO_ETCD_PATH_PREFIX", "MINIO_ETCD_CLIENT_CERT", "MINIO_ETCD_CLIENT_CERT_KEY",
	"MINIO_ETCD_CA", "MINIO_ETCD_USERNAME", "MINIO_ETCD_PASSWORD",
	auditWebhookEnable, auditWebhookEndpoint, auditWebhookAuthToken, auditWebhookQueueSize,
	"MINIO_PROMETHEUS_AUTH_TYPE",
	"SESAME_CERTS_DIR", "SESAME_STS_REQUIRE_TLS", "SESAME_LOG_FORMAT", "SESAME_LOG_LEVEL",
	"SESAME_ACCESS_LOG", "SESAME_AUDIT_LOG_FILE", "SESAME_PPROF_ADDR",
	ldap.EnvServerAddr, ldap.EnvSRVRecordName, ldap.EnvServerInsecure, ldap.EnvServerStartTLS, ldap.EnvTLSSkipVerify,
	ldap.EnvLookupBindDN, ldap.EnvLookupBindPassword, ldap.EnvUserDNSearchBaseDN, ldap.EnvUserDNSearchFilter,
	ldap.EnvUserDNAttributes, ldap.EnvGroupSearchBaseDN, ldap.EnvGroupSearchFilter, ldap.EnvComment, ldap.EnvEnable,
	ldap.EnvEnabled, ldap.EnvUsernameFormat, ldap.EnvSTSExpiry, ldap.EnvGroupNameAttribute,
	ldap.EnvLookupBindUnauthenticated, ldap.EnvGroupNestingDepth,
	identityTLSEnable, identityTLSSkipVerify,
	idplugin.EnvURL, idplugin.EnvAuthToken, idplugin.EnvToken, idplugin.EnvRolePolicy, idplugin.EnvRoleID,
	idplugin.EnvComment, idplugin.EnvEnable, idplugin.EnvTimeout,
	"SESAME_LOGIN_PATH",                                                            // login page (docs/LOGIN.md)
	envS3Backend, envS3BackendBucketPrefix, envS3BackendBucket, envS3BackendRegion, // docs/GATEWAY.md
	envS3BackendAccessKey, envS3BackendSecretKey,
	"SESAME_SSE_KEYRING", "SESAME_SSE_C_ALLOW_INSECURE", "SESAME_LIFECYCLE_INTERVAL", "SESAME_LIFECYCLE_DAY", // docs/ENCRYPTION.md, docs/S3.md
}

// toolVariables are SESAME_* variables of Sesame's tests and tools, which
// the server does not read but which are no mistake in its environment.
var toolVariables = []string{
	"SESAME_E2E_ENDPOINT", "SESAME_E2E_ACCESS_KEY", "SESAME_E2E_SECRET_KEY", "SESAME_E2E_REGION",
	"SESAME_BIN", "SESAME_ENDPOINT", "SESAME_ACCESS_KEY", "SESAME_SECRET_KEY", "SESAME_REGION",
}

// openIDPrefix starts the OpenID provider variables: the prefix, a key of
// openIDKeys and optionally "_" and a provider name.
const openIDPrefix = "MINIO_IDENTITY_OPENID_"

// openIDKeys are the keys MinIO documents for an OpenID provider (the
// console's included, which Sesame accepts and ignores).
var openIDKeys = []string{
	"CONFIG_URL", "CLIENT_ID", "CLIENT_SECRET", "CLAIM_NAME", "CLAIM_PREFIX", "ROLE_POLICY", "SCOPES",
	"DISPLAY_NAME", "CLAIM_USERINFO", "ENABLE", "REDIRECT_URI_DYNAMIC", "REDIRECT_URI", "VENDOR",
	"KEYCLOAK_REALM", "KEYCLOAK_ADMIN_URL", "COMMENT",
}

// minioUnused are MinIO settings Sesame does not implement: exact names,
// and families by prefix (ending in "_"). They are ignored with a warning
// that says so, not taken for typos.
var minioUnused = []string{
	"MINIO_VOLUMES", "MINIO_OPTS", "MINIO_CONFIG_ENV_FILE", "MINIO_SERVER_URL", "MINIO_SITE_NAME", "MINIO_SITE_COMMENT",
	"MINIO_ROOT_USER_FILE", "MINIO_ROOT_PASSWORD_FILE", "MINIO_ACCESS_KEY_FILE", "MINIO_SECRET_KEY_FILE",
	"MINIO_KMS_SECRET_KEY", "MINIO_KMS_SECRET_KEY_FILE", "MINIO_UPDATE", "MINIO_UPDATE_MINISIGN_PUBKEY",
	"MINIO_CERT_PASSWD", "MINIO_CI_CD", "MINIO_PROMETHEUS_URL", "MINIO_PROMETHEUS_JOB_ID",
	"MINIO_PROMETHEUS_AUTH_TOKEN", "MINIO_PROMETHEUS_EXTRA_LABELS", "MINIO_ETCD_COMMENT",
	"MINIO_AUDIT_WEBHOOK_CLIENT_CERT", "MINIO_AUDIT_WEBHOOK_CLIENT_KEY", "MINIO_AUDIT_WEBHOOK_QUEUE_DIR",
	"MINIO_AUDIT_WEBHOOK_BATCH_SIZE", "MINIO_AUDIT_WEBHOOK_HTTP_TIMEOUT", "MINIO_AUDIT_WEBHOOK_COMMENT",
	"MINIO_POLICY_PLUGIN_ENABLE_HTTP2", "MINIO_POLICY_PLUGIN_COMMENT",
	"MINIO_BROWSER", "MINIO_BROWSER_",
	"MINIO_STORAGE_CLASS_", "MINIO_COMPRESSION_", "MINIO_COMPRESS_", "MINIO_KMS_", "MINIO_KES_", "MINIO_SSE_",
	"MINIO_SCANNER_", "MINIO_HEAL_", "MINIO_API_", "MINIO_IDENTITY_TLS_",
	"MINIO_NOTIFY_", "MINIO_LOGGER_", "MINIO_AUDIT_KAFKA_", "MINIO_CACHE_",
	"MINIO_BATCH_", "MINIO_ILM_", "MINIO_SUBNET_", "MINIO_CALLHOME_", "MINIO_DRIVE_", "MINIO_SFTP_",
	"MINIO_FTP_", "MINIO_SITE_", "MINIO_REPLICATION_", "MINIO_BUCKET_", "MINIO_DOMAIN_", "MINIO_PUBLIC_IPS",
	"MINIO_SHUTDOWN_", "MINIO_CONSOLE_", "MINIO_STS_", "MINIO_IAM_", "MINIO_LAMBDA_", "MINIO_MEMLIMIT",
}

// unknownVariables returns a warning for each MINIO_* or SESAME_* name in
// environ that Sesame does not read, saying where it was found and, for
// a likely typo, the name meant.
func unknownVariables(environ []string, where string) []string {
	var known []string // every name Sesame reads, OpenID keys for the providers named in environ included
	providers := map[string]bool{"": true}
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if name, ok := openIDProvider(k); ok {
			providers[name] = true
		}
	}
	known = append(known, knownVariables...)
	for name := range providers {
		for _, key := range openIDKeys {
			n := openIDPrefix + key
			if name != "" {
				n += "_" + name
			}
			known = append(known, n)
		}
		if name != "" {
			known = append(known, oidc.EnvMaxDuration+"_"+name)
		} else {
			known = append(known, oidc.EnvMaxDuration)
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if seen[k] || !strings.HasPrefix(k, "MINIO_") && !strings.HasPrefix(k, "SESAME_") {
			continue
		}
		seen[k] = true
		if msg := unknownVariable(k, known); msg != "" {
			out = append(out, msg+" ("+where+")")
		}
	}
	slices.Sort(out)
	return out
}

// unknownVariable returns "" when Sesame reads k, else why it is ignored.
func unknownVariable(k string, known []string) string {
	if slices.Contains(known, k) || slices.Contains(toolVariables, k) {
		return ""
	}
	if _, ok := openIDProvider(k); ok {
		return ""
	}
	if slices.Contains(minioUnused, k) {
		return fmt.Sprintf("%s is a MinIO setting that Sesame does not use; it is ignored", k)
	}
	if best, d := closest(k, known); best != "" && d <= typoDistance(k) {
		return fmt.Sprintf("%s is not a setting Sesame knows; it is ignored. Did you mean %s?", k, best)
	}
	if strings.HasPrefix(k, "MINIO_AUDIT_WEBHOOK_") {
		return fmt.Sprintf("%s is ignored: Sesame has one audit webhook, set by the MINIO_AUDIT_WEBHOOK_* variables without a target suffix", k)
	}
	for _, p := range minioUnused {
		if strings.HasSuffix(p, "_") && strings.HasPrefix(k, p) {
			return fmt.Sprintf("%s is a MinIO setting that Sesame does not use; it is ignored", k)
		}
	}
	return fmt.Sprintf("%s is not a setting Sesame knows; it is ignored (sesame server --help lists them)", k)
}

// openIDProvider reports whether k is an OpenID provider variable Sesame
// reads, and the provider it names ("" for the un-suffixed one).
func openIDProvider(k string) (string, bool) {
	rest, ok := strings.CutPrefix(k, openIDPrefix)
	if !ok {
		return "", false
	}
	best := ""
	for _, key := range openIDKeys {
		if (rest == key || strings.HasPrefix(rest, key+"_")) && len(key) > len(best) {
			best = key
		}
	}
	if best == "" {
		return "", false
	}
	return strings.TrimPrefix(strings.TrimPrefix(rest, best), "_"), true
}

// typoDistance is the largest edit distance at which a name is taken for
// a misspelling of a known one.
func typoDistance(name string) int {
	if len(name) >= 20 {
		return 3
	}
	return 2
}

// closest returns the name of known nearest to k and its distance.
func closest(k string, known []string) (string, int) {
	best, bestD := "", -1
	for _, n := range known {
		if d := levenshtein(k, n); bestD < 0 || d < bestD {
			best, bestD = n, d
		}
	}
	return best, bestD
}

// levenshtein is the edit distance between a and b (insertions, deletions
// and substitutions of bytes).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
