// Package sts serves the AWS Security Token Service query API (version
// 2011-06-15) over an iam.Service: AssumeRole, which mints temporary
// credentials for the caller, AssumeRoleWithClientGrants and
// AssumeRoleWithWebIdentity, which trade an OpenID Connect token for them
// (federated.go), MinIO's AssumeRoleWithLDAPIdentity (an LDAP password,
// ldap.go), AssumeRoleWithCertificate (the TLS client certificate,
// certificate.go) and AssumeRoleWithCustomToken (a token an identity
// plugin vouches for, plugin.go), and GetCallerIdentity. The serve sequence, parameter
// validation and error mapping are awsquery's, shared with the IAM API.
//
// # Flow
//
// The server routes to API every POST (or GET with a query string) to "/"
// whose SigV4 credential scope names the service "sts", and unsigned POSTs
// to "/" whose Action starts with "AssumeRoleWith". ServeHTTP then
//
//  1. refuses methods other than POST and GET, and a Content-Length over
//     MaxBodySize (64 KiB), before any signature work;
//  2. authenticates the request with the auth.Authenticator. A bad
//     signature, an unknown key or a bad session token fails here; an
//     unsigned request passes as anonymous, because the AssumeRoleWith*
//     actions carry their own proof of identity. A signature scoped to a
//     service other than "sts" is refused;
//  3. reads the parameters: the query string's, then the form body's (at
//     most MaxBodySize bytes, read after authentication so that a body
//     that does not match its signed hash fails); a body parameter
//     replaces a query parameter of the same name, other parameters merge.
//     MinIO's documented request puts everything in the query string of a
//     bodiless POST; SDKs put everything in the body;
//  4. checks Action and Version and dispatches to the action's handler,
//     which returns its <ActionResult> or an error. awsquery maps errors to
//     STS wire codes (awsquery.STSCodes), in one place for IAM and STS.
//
// AssumeRole and GetCallerIdentity require a signature (anonymous is
// MissingAuthenticationToken), and ask iam.Service.Authorize for
// sts:AssumeRole (on the RoleArn given, or "*") and sts:GetCallerIdentity:
// an identity policy's explicit Deny stops a user minting credentials;
// temporary credentials may not call AssumeRole; GetCallerIdentity is never
// denied to a signed caller, as in AWS. The caller's principal (its session
// included) goes to iam.Service unchanged; a request that carried a
// session token but came out of auth without a session is refused as an
// InternalFailure rather than taken for its parent. The AssumeRoleWith*
// actions are authenticated by their proof (a token, a password the
// directory accepts, a client certificate the TLS handshake verified, a
// plugin's answer: Request.Authenticated), and iam.Service decides which
// policies the session gets; none of them grants on a failure to verify.
//
// # AssumeRole parameters
//
// Shape violations are collected and reported together, as AWS does, in
// one ValidationError: "2 validation errors detected: Value '100' at
// 'durationSeconds' failed to satisfy constraint: Member must have value
// greater than or equal to 900; ...".
//
//   - DurationSeconds: optional, default one hour (or Options.MaxDuration
//     when that is shorter); a whole number of seconds from 900 to
//     Options.MaxDuration (default iam.MaxSessionDuration, 604800), which
//     the message names. Anything else, empty included, is ValidationError.
//   - Policy: optional inline session policy. Empty is ValidationError
//     (minimum length 1); over iam.MaxSessionPolicySize (2048) characters,
//     counted as Unicode characters not bytes, is PackedPolicyTooLarge
//     ("Packed policy consumes 101% of allotted space ..."); a document
//     that does not parse or breaks the policy grammar is
//     MalformedPolicyDocument with the parser's message. The session may
//     do what both its parent's live policies and this policy allow.
//   - RoleArn: optional; 20 to 2048 characters when given, otherwise
//     ignored.
//   - RoleSessionName: optional; 2 to 64 characters of [\w+=,.@-] when
//     given. It names the session in its ARN
//     (arn:aws:sts::000000000000:assumed-role/<parent>/<name>; the access
//     key id when absent).
//
// # Error codes
//
// All are <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
// with <Error><Type>, <Code>, <Message> and <RequestId>; Type is Sender
// except for 5xx, which are Receiver.
//
// Request shape (400): no Action is MissingAction; no or empty Version is
// MissingParameter; another Version or an unknown Action is InvalidAction
// ("Could not find operation X for version Y", as AWS's query services
// answer; MissingAuthenticationToken when unsigned); AssumeRoleWithSAML
// is InvalidAction ("not implemented yet"); a method other than GET or
// POST is InvalidAction; a body over 64
// KiB is ValidationError; a body that is not form-encoded, or a query
// string with bad escapes, is InvalidParameterValue.
//
// Authentication: unsigned is MissingAuthenticationToken (403); an unknown
// or inactive access key, or a session token that does not unseal, belongs
// to other credentials, or was revoked, is InvalidClientTokenId (403); an
// expired session token is ExpiredToken (400); a wrong signature, a body
// that does not match its signed hash, a request time more than 15 minutes
// off or a credential scoped to another service is SignatureDoesNotMatch
// (403); an expired presigned URL is AccessDenied (403); a malformed
// Authorization header or presigned query is IncompleteSignature (400).
//
// Domain: iam.ErrMalformedPolicy is MalformedPolicyDocument (400),
// ErrPackedPolicyTooLarge PackedPolicyTooLarge (400), ErrAccessDenied
// AccessDenied (403, "User: ARN is not authorized to perform: ACTION on
// resource: ARN"), ErrInvalidInput ValidationError (400); the OpenID
// errors are InvalidIdentityToken, ExpiredTokenException, IDPRejectedClaim
// and IDPCommunicationError (docs/OIDC.md);
// a refused LDAP login (wrong or empty password, unknown or ambiguous
// user, too many groups) is one AccessDenied (403) for all, and a
// directory that cannot answer ServiceUnavailable (503); the identity
// plugin's refusal is AccessDenied with its reason, a malformed answer
// AccessDenied, a plugin down, slow or failing ServiceUnavailable (503);
// store.ErrUnavailable is ServiceUnavailable (503);
// anything else is InternalFailure (500) with a fixed message: the details
// go to the log only, with the action and the caller's ARN. Nothing logs
// parameters, secret keys or session tokens, and no message echoes a token.
//
// # Differences from AWS STS
//
//   - There are no roles. RoleArn and RoleSessionName are optional and
//     RoleArn is checked for shape only, as MinIO documents: the session
//     acts for the caller (root or a user with long-term keys), with the
//     caller's live permissions narrowed by Policy.
//   - No role chaining: temporary credentials calling AssumeRole get
//     AccessDenied.
//   - The root credentials may call AssumeRole.
//   - DurationSeconds may reach 7 days (MinIO's limit), not a role's
//     MaxSessionDuration of at most 12 hours, and a policy over 2048
//     characters is PackedPolicyTooLarge where AWS first answers
//     ValidationError for the parameter's length.
//   - PolicyArns, Tags, TransitiveTagKeys, ExternalId, SerialNumber,
//     TokenCode, SourceIdentity and ProvidedContexts are ignored; the
//     response carries no PackedPolicySize.
package sts
