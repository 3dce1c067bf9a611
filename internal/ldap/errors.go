package ldap

import (
	"errors"
	"fmt"
	"log/slog"
)

// The sentinels that the errors of this package wrap. Every error that
// Authenticate, LookupUserDN, LookupGroupDN and Check return is an *Error
// wrapping exactly one of them, so errors.Is selects the STS or IAM answer.
var (
	// ErrInvalidConfig is returned by ConfigFromEnv, Config.Validate and New
	// for a configuration that cannot work; the message names the variable.
	ErrInvalidConfig = errors.New("ldap: invalid configuration")
	// ErrInvalidCredentials is returned when the directory refuses the
	// user's password, and without any network traffic when the password
	// is empty (an empty password would be an unauthenticated bind, which
	// many servers accept) or longer than MaxPasswordLength. STS denies.
	ErrInvalidCredentials = errors.New("ldap: invalid credentials")
	// ErrNoSuchUser is returned when the user search finds no entry under
	// any user base DN, and when LookupUserDN's entry does not exist. STS
	// should answer it exactly as ErrInvalidCredentials, so that callers
	// cannot tell which usernames exist.
	ErrNoSuchUser = errors.New("ldap: no such user")
	// ErrAmbiguousUser is returned when the user search finds more than one
	// entry: the filter does not identify users uniquely. STS denies.
	ErrAmbiguousUser = errors.New("ldap: username matches several entries")
	// ErrNoSuchGroup is returned when LookupGroupDN's entry does not exist.
	ErrNoSuchGroup = errors.New("ldap: no such group")
	// ErrOutsideBase is returned by LookupUserDN and LookupGroupDN, without
	// network traffic, for a DN that is not at or below a configured base
	// DN, or that is not a valid DN. The IAM API refuses the attachment.
	ErrOutsideBase = errors.New("ldap: DN outside the configured base DNs")
	// ErrGroupLimit is returned when a user's groups (nested ones
	// included) exceed Options.MaxGroups, or the server cut the group search
	// short (its size limit). Groups are never silently truncated: a
	// dropped group could carry a Deny. STS denies.
	ErrGroupLimit = errors.New("ldap: too many groups")
	// ErrUnavailable is returned when the directory cannot be used: DNS,
	// connection, TLS or timeout failures, a server that is busy or
	// unavailable, a rejected lookup bind, or a cancelled context. STS maps
	// it to a retryable error and never grants on it.
	ErrUnavailable = errors.New("ldap: directory unavailable")
)

// The operations an Error names.
const (
	OpConfig      = "config"       // the password or username was refused before any traffic
	OpDial        = "dial"         // DNS SRV lookup, TCP connect, TLS or StartTLS
	OpLookupBind  = "lookup-bind"  // the bind as MINIO_IDENTITY_LDAP_LOOKUP_BIND_DN
	OpUserSearch  = "user-search"  // the search of the user's DN
	OpUserBind    = "user-bind"    // the bind as the user: the password check
	OpGroupSearch = "group-search" // the searches of the user's groups
	OpLookupDN    = "lookup-dn"    // LookupUserDN or LookupGroupDN's base search
)

// An Error reports which operation failed. It wraps one sentinel (Err)
// and, for network or server failures, the underlying error (Cause).
//
// Error() is safe to show to the caller of STS or IAM: it never contains
// the password, the username or a DN. Detail and Cause may name DNs and
// carry the server's diagnostic message: they are for logs only (LogValue
// includes them), and never contain a password.
type Error struct {
	// Err is one of the package's sentinels.
	Err error
	// Op is one of the Op* names.
	Op string
	// Detail explains the failure for logs; it may name DNs.
	Detail string
	// Cause is the underlying error, if any (network, TLS or LDAP result).
	Cause error
}

// Error returns "<sentinel> (<op>)".
func (e *Error) Error() string { return e.Err.Error() + " (" + e.Op + ")" }

// Unwrap returns the sentinel and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

// LogValue gives logs the details that Error leaves out.
func (e *Error) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("error", e.Error())}
	if e.Detail != "" {
		attrs = append(attrs, slog.String("detail", e.Detail))
	}
	if e.Cause != nil {
		attrs = append(attrs, slog.String("cause", e.Cause.Error()))
	}
	return slog.GroupValue(attrs...)
}

func opErr(sentinel error, op string, cause error, format string, args ...any) *Error {
	return &Error{Err: sentinel, Op: op, Cause: cause, Detail: fmt.Sprintf(format, args...)}
}

// configErr builds an ErrInvalidConfig error.
func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
}
