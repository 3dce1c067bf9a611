// Package oidc verifies the JWTs that AssumeRoleWithClientGrants and
// AssumeRoleWithWebIdentity trade for temporary credentials. Verify checks
// them against the OpenID providers configured with MinIO's variables and
// says which policies the bearer gets; VerifyForRole checks them against
// those providers and the ones created through the IAM API, for an IAM
// role whose trust policy decides.
//
// # Configuration
//
// ConfigFromEnv reads MINIO_IDENTITY_OPENID_CONFIG_URL (the discovery
// document), _CLIENT_ID (required with it), _CLIENT_SECRET, _CLAIM_NAME
// (default "policy"), _CLAIM_PREFIX, _ROLE_POLICY, _SCOPES, _DISPLAY_NAME,
// _CLAIM_USERINFO and _ENABLE, each also with a _NAME suffix for further
// providers (MINIO_IDENTITY_OPENID_CONFIG_URL_DEX, …). At most one provider
// is claim-based; the others must set ROLE_POLICY. The legacy
// MINIO_IAM_JWKS_URL configures the un-suffixed provider from a bare JWKS
// URL: with no discovery there is no issuer, so iss is not checked (nor
// aud, unless a client id is set) and userinfo is unavailable. Scopes and
// DisplayName are carried for a console login flow and not used here.
//
// CLAIM_PREFIX is read as MinIO documents it: a namespace prefix of the
// claim's name, prepended to CLAIM_NAME. Prefix "https://min.io/" and name
// "policy" read the claim "https://min.io/policy"; the policy names in it
// are used unchanged.
//
// A role-policy provider's ARN is "arn:minio:iam:::role/" followed by 16
// base32 characters of SHA-256 over its discovery (or JWKS) URL and client
// id: stable across restarts and nodes, independent of the provider's
// name, different for another IdP or client. RoleARNs lists them for the
// caller to print at start-up.
//
// # Flow of Verify
//
// Checks run cheapest first, and none that can cause network traffic runs
// before every claim check passed, so a forged or stale token costs no
// fetch:
//
//  1. length 4..20000 bytes (AWS's limit; MinIO's documented 2048 is too
//     short for tokens with group claims);
//  2. compact JWS: three base64url parts, a JSON header and JSON claims;
//  3. alg in the allow-list: RS256/384/512, PS256/384/512, ES256/384/512,
//     EdDSA; HS256/384/512 only for a provider with a client secret, keyed
//     by it; never none;
//  4. provider selection (Set.selectProvider): RoleArn of a role-policy
//     provider; an unknown RoleArn is ignored when a claim-based provider
//     exists (AWS SDKs always send one) and is ErrNoProvider otherwise; else
//     the provider whose issuer is the token's iss, else the claim-based
//     provider. Before a provider's discovery succeeded, its issuer is taken
//     from its discovery URL for this routing only;
//  5. the provider's keys have been fetched (else ErrCommunication);
//  6. iss equals the discovered issuer (for a bare MINIO_IAM_JWKS_URL,
//     SESAME_IDENTITY_OPENID_ISSUER; without it the check is off and Open
//     warns, see Warnings); aud contains the client id or azp equals it
//     (off, with a warning, only for a bare JWKS URL without a client id); exp present and not past, nbf and iat not in the future,
//     each with 60 s of leeway (an expired token is ErrExpiredToken); sub
//     present, or else azp or client_id (MinIO's client-credentials
//     tokens, e.g. WSO2's, carry no sub: the client the token was issued
//     to is then the subject, Identity.SubjectClaim says which claim; a
//     user's token always has sub, and VerifyForRole requires it);
//  7. kid among the provider's keys, and a key of the right type for alg
//     (a token without kid is tried with every fitting key); the signature,
//     verified by go-jose with the one alg the header names;
//  8. with CLAIM_USERINFO, the userinfo endpoint called with the token
//     (its sub must match; its claims fill those the token lacks);
//  9. policies: the role policies, or the claim CLAIM_PREFIX+CLAIM_NAME (a
//     string, a comma-separated string, or an array of strings); a missing
//     or empty claim does not fail Verify but sets Identity.PolicyErr (an
//     ErrRejectedClaim): the IAM service refuses such a token unless OPA
//     decides, the one place that knows whether OPA is on.
//
// Because the claims are checked before the signature, a failure of steps
// 1 to 6 says nothing about whether the token is genuine. Before the
// signature verified, the claims only route the token (iss, aud) to the
// provider whose keys must then verify it and decide whether it is worth
// a key lookup; nothing of them reaches the Identity. Every failure is a
// *TokenError naming the check (Check* constants) and wrapping one
// sentinel; no message or log line contains the token.
//
// # Providers of the IAM API and VerifyForRole
//
// SetIAMProviders replaces the providers created through the IAM API
// (CreateOpenIDConnectProvider: a URL, which is the issuer, and client
// ids); the server calls it at start and after every reload of the IAM
// state, so every node follows the IAM store without a restart. A
// provider is known by its URL, a trailing slash aside: one that stays
// keeps its keys and background refresh (its client ids are replaced),
// one that goes stops its refresh, one that comes runs discovery at
// URL/.well-known/openid-configuration in the background. Its document
// must name the URL as issuer (a trailing slash aside); while it names
// another, the fetch fails, is logged and retried, and the provider
// answers ErrCommunication. An http:// URL works, with one warning. These
// providers never serve Verify.
//
// VerifyForRole runs Verify's steps 1 to 3 and 5 to 8 with these
// differences:
//
//   - selection: the provider whose issuer is the token's iss (a trailing
//     slash aside), among the IAM API's and the configured ones, the IAM
//     API's first; among several, the first whose client ids the token
//     names. A configured provider's issuer is its discovered one (or
//     SESAME_IDENTITY_OPENID_ISSUER), so a bare MINIO_IAM_JWKS_URL without
//     it is never selected. No provider is ErrNoProvider. An IAM API
//     provider's first fetch, if under way, is waited for (FetchTimeout);
//   - audience: aud contains one of the provider's client ids, or azp
//     equals one; a provider without client ids (an IAM API provider with
//     an empty ClientIDList, a JWKS provider without CLIENT_ID) accepts
//     no token: this check is never off on this path;
//   - amr, if present, must be a string or an array of strings;
//   - no policy is read: Policies, PolicyErr and RoleARN stay empty; the
//     role's trust policy decides, from Identity.ProviderARN
//     (arn:aws:iam::<account>:oidc-provider/<host/path>, its "Federated"
//     principal) and ConditionKeys (<host/path>:sub, :aud, which is azp
//     when the token has one as in AWS, :oaud, :amr).
//
// # Keys
//
// Each provider keeps its own keys, so one provider's keys never verify
// another's tokens, and has its own context, which Close (and, for an IAM
// API provider, its removal) cancels to stop its goroutines. Every fetch reads the discovery document, then the
// keys at its jwks_uri; both are replaced together on success, and a
// failed fetch keeps the previous ones. Open fetches every provider
// once; a provider whose IdP does not answer is retried in the background
// with exponential backoff (Options.RetryMin..RetryMax) while Verify
// answers ErrCommunication for it. Keys are refreshed when the JWKS
// response's Cache-Control max-age ends (clamped to 1 min..24 h, default
// 1 h), and when a token names an unknown kid: then one fetch runs
// (single-flight: concurrent misses wait for it) and at most one per
// Options.RefreshMin (5 s) per provider, counted from the start of the last
// fetch of any kind. Discovery, JWKS and userinfo responses are limited to
// 1 MiB and 10 s each; a failed refresh keeps the previous keys.
//
// This cache is the package's own rather than go-oidc's RemoteKeySet,
// which refetches whenever a kid is unknown with no rate limit, has no
// periodic refresh and no background retry while the IdP is down, and
// does not know HS* keyed by a client secret. go-jose (ParseSignedCompact
// with the allow-listed alg, then Verify) does the JWS work.
package oidc
