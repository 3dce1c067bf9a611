// Package opa asks an external Open Policy Agent server for authorization
// decisions.
//
// When one is configured (MINIO_POLICY_OPA_URL, the legacy
// MINIO_IAM_OPA_URL, or MINIO_POLICY_PLUGIN_URL), every decision the server
// makes — S3 requests, IAM API calls, root's included — is a POST of an
// Input document to the configured URL, and only the answer counts. The
// built-in policies, bucket policies included, are not consulted.
//
// The client fails closed: a timeout, a refused connection, a non-2xx
// status or a body that does not decode to a boolean result is a denial,
// logged and counted (Failures). Nothing about the failure reaches the
// caller of the S3 or IAM API beyond AccessDenied.
package opa
