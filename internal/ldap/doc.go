// Package ldap authenticates AssumeRoleWithLDAPIdentity's LDAPUsername and
// LDAPPassword against an LDAP directory (OpenLDAP, Active Directory, …)
// configured with MinIO's MINIO_IDENTITY_LDAP_* variables, and tells which
// user DN and group DNs the caller is, for the IAM service to look up the
// policies attached to them. It also checks DNs for the IAM API, which
// attaches policies to user and group DNs.
//
// # Configuration
//
// ConfigFromEnv reads MinIO's lookup-bind mode: SERVER_ADDR (host:port;
// default port 636, or 389 with SERVER_INSECURE or SERVER_STARTTLS),
// SRV_RECORD_NAME, LOOKUP_BIND_DN and _PASSWORD, USER_DN_SEARCH_BASE_DN
// (';'-separated), USER_DN_SEARCH_FILTER ("%s": the username),
// USER_DN_ATTRIBUTES (','-separated), GROUP_SEARCH_BASE_DN
// (';'-separated), GROUP_SEARCH_FILTER ("%d": the user's DN, "%s": the
// username), TLS_SKIP_VERIFY, SERVER_INSECURE, SERVER_STARTTLS, ENABLE and
// COMMENT. MinIO's older username-format mode (USERNAME_FORMAT) is refused.
// Sesame adds SESAME_IDENTITY_LDAP_GROUP_NESTING_DEPTH and
// SESAME_IDENTITY_LDAP_LOOKUP_BIND_UNAUTHENTICATED. TLS is the default;
// plain LDAP and skipping certificate checks are explicit and listed in
// Config.Warnings. docs/LDAP.md has the table.
//
// # Flow of Authenticate
//
//  1. An empty password is refused before any traffic: a bind with a DN
//     and no password is an unauthenticated bind (RFC 4513 §5.1.2), which
//     many servers accept. The bind code refuses it again on its own.
//  2. One connection is opened (DialTimeout) and bound as the lookup
//     account.
//  3. The user is searched under each user base DN with the user filter,
//     the username escaped per RFC 4515 so that "*)(uid=*" matches nothing.
//     Exactly one entry must match across all bases.
//  4. The connection binds as that entry's DN with the password: the
//     password check, done at every login and never cached.
//  5. Groups: from the cache (keyed by user DN and username, 30 s, LRU of
//     10000), or the connection binds as the lookup account again and
//     searches them (groups.go). Nested groups are followed up to
//     GroupNestingDepth levels, one search per level and per base DN (per
//     100 groups of the level before), each group visited once so cycles
//     end, at most Options.MaxGroups groups in all.
//
// Every bind and search is bounded by OperationTimeout and the context;
// cancelling the context closes the connection.
//
// # One connection per request
//
// The Client opens a connection for each Authenticate, LookupUserDN,
// LookupGroupDN or Check and closes it at the end, rather than pooling
// connections: a login binds the connection as the user, so a pooled
// connection would have to be re-bound as the lookup account before reuse,
// and a failed or forgotten re-bind would run the next request's searches
// with a user's rights; a fresh connection also follows a server restart,
// a failover or new SRV records without health checks. The cost is one
// TCP and TLS handshake per login, which is small next to the bind and
// searches and rare next to S3 traffic (credentials last from 15 minutes
// to hours), and the group cache saves the group searches of repeated
// logins. Options.MaxConcurrent (16) bounds the connections open at once.
//
// # Errors
//
// Every error is an *Error naming the operation and wrapping one sentinel:
// ErrInvalidCredentials, ErrNoSuchUser, ErrAmbiguousUser, ErrGroupLimit
// (deny), ErrUnavailable (retryable; never a grant), ErrNoSuchGroup and
// ErrOutsideBase (for the IAM API). Error() never contains the password,
// the username or a DN; Detail and Cause, for logs (LogValue), may contain
// DNs and the server's diagnostics but never a password.
//
// # DNs
//
// DNs are parsed with go-ldap's RFC 4514 parser and normalised
// (NormalizeDN): attribute types lowercased, values case-folded, the pairs
// of multi-valued RDNs sorted, re-escaped. Identity carries normalised
// DNs, and the IAM store should key attachments by NormalizeDN of the DN an
// administrator gives, so that spellings of one DN meet. InUserBase and
// InGroupBase compare normalised DNs RDN by RDN, so an escaped comma
// cannot pass for a separator.
package ldap
