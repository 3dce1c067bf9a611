// Package iamapi serves the AWS IAM query API (version 2010-05-08) over an
// iam.Service: users, access keys, groups, managed and inline policies,
// roles and OpenID Connect providers.
//
// # Flow
//
// The server routes to API every POST to "/" whose SigV4 credential scope
// names the service "iam". ServeHTTP then
//
//  1. rejects a body whose Content-Length exceeds MaxBodySize (64 KiB)
//     before any signature work;
//  2. authenticates the request with the auth.Authenticator (unsigned
//     requests are refused: IAM has no anonymous access), and refuses a
//     credential scoped to another service;
//  3. reads the form body (at most MaxBodySize bytes; the signature covers
//     it) and merges it over the query string's parameters;
//  4. checks Version and Action and dispatches to the action's handler.
//
// Every handler validates its parameters, names the resource it acts on and
// calls Request.Authorize before it touches the Service; the shared serve
// sequence (awsquery) refuses to send a success that was not authorized
// (and the tests call every action as a user without permissions). A
// handler returns its result (a struct written as <ActionResult>) or an
// error; awsquery is the one place where iam, auth and sigv4 errors become
// IAM wire codes (awsquery.IAMCodes).
//
// # Authorization
//
// iam.Service.Authorize decides (docs/IAM.md, "How a request is decided"):
// the root keys may do everything; temporary credentials nothing; with OPA,
// OPA alone answers. Any other caller needs its
// identity policies to allow "iam:<Action>" on the target's ARN (the stored
// user's, group's, role's or policy's, its path included, whatever case the
// request spells the name in; for a new entity the ARN its name and Path
// give; a provider's ARN with the account filled in when the request leaves
// it out; for ListUsers, ListGroups, ListRoles, ListPolicies and
// ListOpenIDConnectProviders the account's prefix
// "arn:aws:iam::000000000000:user/", ".../group/", ".../role/",
// ".../policy/", ".../oidc-provider/", which "arn:aws:iam::*:user/*" and "*"
// both cover), or
// "admin:<Action>" on policy.AnyResource so that MinIO's canned consoleAdmin
// (admin:*) administers IAM as it does in MinIO. The two questions are asked
// together: an explicit Deny of either wins over an Allow of the other.
// Condition keys: aws:username, aws:userid, aws:principalarn,
// aws:principaltype ("User"), aws:sourceip (the TCP peer, never a
// forwarded header), aws:securetransport, aws:currenttime, aws:epochtime,
// and iam:policyarn for Attach/Detach{User,Group,Role}Policy. A denial is
// AccessDenied "User: ARN is not authorized to perform: iam:X on resource:
// ARN".
//
// # Error codes
//
// Request shape (all 400, Type Sender): no Action is MissingAction; no
// Version is MissingParameter; a Version other than 2010-05-08 or an unknown
// Action is InvalidAction ("Could not find operation X for version Y", as
// AWS's query services answer); a missing or empty required parameter, a bad
// enum value or MaxItems is ValidationError ("1 validation error detected:
// Value null at 'userName' failed to satisfy constraint: Member must not be
// null"); a body over 64 KiB or not form-encoded is InvalidInput; a method
// other than POST or a credential scope for another service is
// InvalidAction.
//
// Authentication: unsigned is AccessDenied (403); an unknown or inactive
// access key, or a session token, is InvalidClientTokenId (403); a wrong
// signature or a body that does not match the signed hash is
// SignatureDoesNotMatch (403), as is a request time more than 15 minutes
// off; an expired presigned URL is AccessDenied (403); a malformed
// Authorization header or presigned query, a missing date or another
// algorithm is IncompleteSignature (400).
//
// Domain: iam.ErrNoSuchEntity is NoSuchEntity (404),
// ErrEntityAlreadyExists EntityAlreadyExists (409), ErrDeleteConflict
// DeleteConflict (409), ErrMalformedPolicy MalformedPolicyDocument (400),
// ErrLimitExceeded LimitExceeded (409), ErrInvalidInput and ErrRootUser
// InvalidInput (400), store.ErrConflict ConcurrentModification (409),
// store.ErrUnavailable ServiceUnavailable (503, Type Receiver), anything
// else ServiceFailure (500, Type Receiver; details only in the log).
//
// # Names and paths
//
// Users, groups and managed policies keep the Path they were created with
// ("/" by default), checked against AWS's patterns (iam.EntityPath,
// iam.PolicyPath; a bad one is ValidationError naming the pattern as AWS
// does) and written into their ARNs (arn:aws:iam::000000000000:user/s3-tests/alice).
// PathPrefix (iam.PathPrefix for ListUsers and ListGroups, iam.PolicyPath
// for ListPolicies and ListAttached{User,Group}Policies) filters by string
// prefix. A PolicyArn must be the policy's own, path and case included, or
// the answer is NoSuchEntity.
//
// Names are unique regardless of case and kept as created (AWS: "Names are
// not distinguished by case"): a case variant of a taken name, or of the
// root user's, is EntityAlreadyExists (409). UserName and GroupName find
// the entity in any case, and the handler authorizes on the stored
// entity's ARN before it acts, so spelling a name differently never
// reaches an entity a policy keeps the caller from.
//
// # Roles and OpenID Connect providers
//
// Role names follow the user name rules and are authorized like users (the
// stored role's ARN, arn:aws:iam::000000000000:role<path><name>). A role
// cannot take a user's name nor a user a role's (EntityAlreadyExists), as
// both name sessions (docs/IAM.md). PermissionsBoundary is refused with
// InvalidInput: Sesame does not enforce boundaries and never ignores a
// security setting. List parameters (Tags.member.N.Key, ClientIDList.member.N)
// with a misspelt member name are a ValidationError, not ignored.
//
// # The root user
//
// The root credentials are configuration, not an IAM user. GetUser without
// UserName (or naming the root user) describes them with the ARN
// arn:aws:iam::000000000000:root; CreateUser with the root user's name, in
// any case, is EntityAlreadyExists (409); every other action naming the
// root user (by its exact name, which is its access key),
// explicitly or as the implicit caller of an access key action, is
// InvalidInput (400). These checks run after authorization, so only callers
// allowed the action learn the root user's name.
//
// # Wire details
//
// Responses are <ActionResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
// with an <ActionResult> (absent for actions without output) and
// <ResponseMetadata><RequestId>; lists are <member> elements; dates are
// ISO 8601 UTC. Policy documents in GetPolicyVersion, GetUserPolicy,
// GetRolePolicy and a role's AssumeRolePolicyDocument are URL-encoded
// (RFC 3986) as AWS returns them: the AWS CLI decodes them,
// aws-sdk-go-v2 does not. Markers are the key of the first item of the next
// page. The request id is the X-Amz-Request-Id response header set by the
// httpx middleware (one is made when it is absent).
package iamapi
