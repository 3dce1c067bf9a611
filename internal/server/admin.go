package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// ConfigPath is where `sesame admin config get` reads the running
// server's configuration: GET, signed with SigV4 by an identity allowed
// admin:ConfigUpdate (root, or a user with consoleAdmin). MinIO's own
// get-config-kv encrypts its answer for mc alone, so Sesame's is a path of
// its own under the admin prefix.
const ConfigPath = "/minio/admin/v3/sesame/config"

// configAction is what reading the configuration requires, as MinIO's
// `mc admin config get` does.
const configAction = "admin:ConfigUpdate"

// adminError is the JSON error body madmin (mc admin) reads.
type adminError struct {
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Resource  string `json:"Resource"`
	RequestID string `json:"RequestId"`
}

func writeAdminError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	body, _ := json.Marshal(adminError{Code: code, Message: msg, Resource: r.URL.Path, RequestID: w.Header().Get(httpx.RequestIDHeader)})
	httpx.WriteBody(w, status, "application/json", body)
}

// admin serves /minio/admin/: Sesame's configuration endpoint, and for
// every other path of MinIO's admin API one clear 501 naming what to use
// instead, in the JSON error shape mc prints.
func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == ConfigPath {
		s.serveConfig(w, r)
		return
	}
	writeAdminError(w, r, http.StatusNotImplemented, "NotImplemented", adminHint(r.URL.Path))
}

// adminHints say, for MinIO admin API calls, what to do instead. The key
// is the path after /minio/admin/vN/.
var adminHints = map[string]string{
	"add-user":                    "create users with the AWS IAM API: aws iam create-user --user-name NAME, then aws iam create-access-key --user-name NAME",
	"remove-user":                 "use the AWS IAM API: aws iam delete-user --user-name NAME",
	"list-users":                  "use the AWS IAM API: aws iam list-users",
	"user-info":                   "use the AWS IAM API: aws iam get-user --user-name NAME",
	"set-user-status":             "use Sesame's IAM action SetUserStatus (docs/IAM.md) or aws iam update-access-key --status Inactive",
	"add-canned-policy":           "use the AWS IAM API: aws iam create-policy --policy-name NAME --policy-document file://policy.json",
	"remove-canned-policy":        "use the AWS IAM API: aws iam delete-policy --policy-arn ARN",
	"list-canned-policies":        "use the AWS IAM API: aws iam list-policies",
	"info-canned-policy":          "use the AWS IAM API: aws iam get-policy-version --policy-arn ARN --version-id v1",
	"set-user-or-group-policy":    "use the AWS IAM API: aws iam attach-user-policy (or attach-group-policy) --policy-arn ARN",
	"idp/builtin/policy/attach":   "use the AWS IAM API: aws iam attach-user-policy (or attach-group-policy) --policy-arn ARN",
	"idp/builtin/policy/detach":   "use the AWS IAM API: aws iam detach-user-policy (or detach-group-policy) --policy-arn ARN",
	"idp/builtin/policy-entities": "use the AWS IAM API: aws iam list-attached-user-policies, list-attached-group-policies",
	"update-group-members":        "use the AWS IAM API: aws iam add-user-to-group / remove-user-from-group --group-name G --user-name U",
	"groups":                      "use the AWS IAM API: aws iam list-groups",
	"group":                       "use the AWS IAM API: aws iam get-group --group-name G",
	"set-group-status":            "Sesame has no group status; detach the group's policies with aws iam detach-group-policy",
	"add-service-account":         "give the user another key with aws iam create-access-key --user-name NAME, or hand out temporary credentials with aws sts assume-role",
	"update-service-account":      "use the AWS IAM API: aws iam update-access-key",
	"delete-service-account":      "use the AWS IAM API: aws iam delete-access-key",
	"list-service-accounts":       "use the AWS IAM API: aws iam list-access-keys --user-name NAME",
	"info-service-account":        "use the AWS IAM API: aws iam list-access-keys --user-name NAME",
	"get-config-kv":               "read the running server's configuration with 'sesame admin config get'; it is set with MinIO's environment variables (sesame server --help)",
	"set-config-kv":               "Sesame is configured with MinIO's environment variables or --config FILE, then restarted (sesame server --help)",
	"del-config-kv":               "Sesame is configured with MinIO's environment variables or --config FILE, then restarted (sesame server --help)",
	"help-config-kv":              "the settings are listed by 'sesame server --help'",
	"config":                      "read the running server's configuration with 'sesame admin config get'",
	"info":                        "for the server's state use GET /minio/health/ready and the Prometheus metrics at /minio/v2/metrics/cluster (docs/OPERATIONS.md)",
	"storageinfo":                 "the Prometheus metrics are at /minio/v2/metrics/cluster (docs/OPERATIONS.md)",
	"datausageinfo":               "the Prometheus metrics are at /minio/v2/metrics/cluster (docs/OPERATIONS.md)",
	"service":                     "stop the server with SIGTERM (graceful); reload its certificates and logs with SIGHUP",
	"trace":                       "start the server with --access-log stderr to see every request",
	"log":                         "read the server's standard error (--log-format json for machines)",
	"idp-config":                  "identity providers are configured with MINIO_IDENTITY_OPENID_* variables, or with aws iam create-open-id-connect-provider",
}

// adminHint is the message for a MinIO admin API path Sesame lacks.
func adminHint(path string) string {
	op := strings.TrimPrefix(path, "/minio/admin/")
	if v, rest, ok := strings.Cut(op, "/"); ok && len(v) >= 2 && v[0] == 'v' {
		op = rest
	}
	op = strings.TrimSuffix(op, "/")
	msg := "Sesame does not provide MinIO's admin API (mc admin). "
	if hint, ok := adminHints[op]; ok {
		return msg + "Instead, " + hint + "."
	}
	if strings.HasPrefix(op, "idp/") {
		return msg + "Manage users, groups, policies and OpenID Connect providers with the AWS IAM API (aws iam ...); see docs/IAM.md."
	}
	return msg + "Manage users, groups and policies with the AWS IAM API (aws iam ...; docs/IAM.md), watch the server with /minio/health/ready and " +
		"/minio/v2/metrics/cluster, and read its configuration with 'sesame admin config get' (docs/OPERATIONS.md)."
}

// serveConfig answers GET ConfigPath with the effective configuration,
// secrets redacted, to a signed caller allowed configAction.
func (s *Server) serveConfig(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeAdminError(w, r, http.StatusMethodNotAllowed, "MethodNotAllowed", "GET only.")
		return
	}
	res, err := s.authn.Authenticate(r)
	if err != nil {
		code, msg := "AccessDenied", "The request's signature or credentials were not accepted."
		switch {
		case errors.Is(err, auth.ErrInvalidAccessKeyID):
			code, msg = "InvalidAccessKeyId", "The access key does not exist or is inactive."
		case errors.Is(err, sigv4.ErrSignatureMismatch):
			code, msg = "SignatureDoesNotMatch", "The request signature does not match: check the secret key."
		case errors.Is(err, sigv4.ErrTimeSkewed):
			code, msg = "RequestTimeTooSkewed", "The request time is too far from the server's."
		}
		writeAdminError(w, r, http.StatusForbidden, code, msg)
		return
	}
	if res.Identity.Anonymous {
		writeAdminError(w, r, http.StatusForbidden, "AccessDenied", "Sign the request with AWS Signature Version 4 (the root credentials or a user allowed "+configAction+").")
		return
	}
	cond, err := httpx.Conditions(r, time.Now())
	if err != nil {
		writeAdminError(w, r, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	p := res.Identity.Principal
	err = s.iam.Authorize(r.Context(), &iam.Request{Principal: p, Action: configAction, Resource: policy.AnyResource, Conditions: cond})
	if errors.Is(err, iam.ErrAccessDenied) {
		writeAdminError(w, r, http.StatusForbidden, "AccessDenied", p.ARN()+" is not allowed "+configAction+".")
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "admin config: authorization failed", "err", err)
		writeAdminError(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "Authorization failed; try again.")
		return
	}
	body, err := json.MarshalIndent(s.Effective(), "", "  ")
	if err != nil {
		writeAdminError(w, r, http.StatusInternalServerError, "InternalError", "The configuration could not be encoded.")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.WriteBody(w, http.StatusOK, "application/json", append(body, '\n'))
}
