// Package e2e holds Sesame's end-to-end tests: real S3 clients
// (aws-sdk-go-v2, whose signer is the oracle for SigV4, and minio-go) and
// raw HTTP requests against a server started in-process on a random port.
//
// Each area has its own file (buckets, objects, list, multipart, auth,
// errors, vhost). A top-level test starts one server and runs case
// functions as subtests; a case function takes only an endpoint, so the same
// cases can run against another S3 service:
//
//	SESAME_E2E_ENDPOINT=http://127.0.0.1:9000 \
//	SESAME_E2E_ACCESS_KEY=... SESAME_E2E_SECRET_KEY=... \
//	go test ./test/e2e/
//
// Tests that need a particular server configuration (virtual-host domains,
// another region, TLS, the production http.Server limits) always start
// their own in-process server.
package e2e
