package sts

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/iam"
)

// Parameter limits of AssumeRole, as AWS sets them (lengths in characters).
const (
	minRoleARNLength     = 20
	maxRoleARNLength     = 2048
	minSessionNameLength = 2
	maxSessionNameLength = 64
)

var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)

// assumeRole mints temporary credentials for the caller. RoleArn is
// checked for shape only and otherwise ignored: the credentials carry the
// caller's own permissions, narrowed by Policy when it is given.
func (a *API) assumeRole(req *request) (any, error) {
	if err := req.signed(); err != nil {
		return nil, err
	}
	v := &validator{params: req.params}
	opts := iam.AssumeRoleOptions{Duration: a.defaultDuration}
	a.sessionParams(v, &opts)
	if err := v.check(opts); err != nil {
		return nil, err
	}
	creds, user, err := a.svc.AssumeRole(req.Context(), req.principal, opts)
	if err != nil {
		return nil, err
	}
	return assumeRoleResult{
		AssumedRoleUser: assumedRoleUserXML{Arn: user.Arn, AssumedRoleID: user.AssumedRoleID},
		Credentials: credentialsXML{
			AccessKeyID:     creds.AccessKeyID,
			SecretAccessKey: creds.SecretAccessKey,
			SessionToken:    creds.SessionToken,
			Expiration:      isoTime(creds.Expiration),
		},
	}, nil
}

// sessionParams reads the parameters every AssumeRole* action shares into
// opts (DurationSeconds, RoleSessionName, Policy) and returns RoleArn.
// Problems are collected in v; v.check reports them.
func (a *API) sessionParams(v *validator, opts *iam.AssumeRoleOptions) (roleARN string) {
	if s, ok := v.get("DurationSeconds"); ok {
		opts.Duration = v.duration("durationSeconds", s, iam.MinSessionDuration, a.maxDuration)
	}
	roleARN, ok := v.get("RoleArn")
	if ok {
		v.length("roleArn", roleARN, minRoleARNLength, maxRoleARNLength)
	}
	if s, ok := v.get("RoleSessionName"); ok {
		if v.length("roleSessionName", s, minSessionNameLength, maxSessionNameLength) {
			v.pattern("roleSessionName", s, sessionNamePattern)
		}
		opts.RoleSessionName = s
	}
	policy, hasPolicy := v.get("Policy")
	if hasPolicy && policy == "" {
		v.problem("policy", "''", "Member must have length greater than or equal to 1")
	}
	opts.Policy = policy
	return roleARN
}

// check returns the ValidationError of the problems found, then
// PackedPolicyTooLarge for an oversized session policy, or nil.
func (v *validator) check(opts iam.AssumeRoleOptions) error {
	if err := v.err(); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(opts.Policy); n > iam.MaxSessionPolicySize {
		return packedPolicyTooLarge(n)
	}
	return nil
}

// packedPolicyTooLarge is the PackedPolicyTooLarge error for a session
// policy of n characters, in AWS's words: the share of the allotted space
// it takes, rounded up, so that one character too many reads 101%.
func packedPolicyTooLarge(n int) *APIError {
	pct := (n*100 + iam.MaxSessionPolicySize - 1) / iam.MaxSessionPolicySize
	return ErrPackedPolicyTooLarge.WithMessage(
		"Packed policy consumes %d%% of allotted space, please use smaller policy. The Policy parameter may hold at most %d characters; it has %d.",
		pct, iam.MaxSessionPolicySize, n)
}

// getCallerIdentity describes the caller: root, a user, or temporary
// credentials.
func (a *API) getCallerIdentity(req *request) (any, error) {
	if err := req.signed(); err != nil {
		return nil, err
	}
	arn, userID, account := a.svc.CallerIdentity(req.principal)
	return getCallerIdentityResult{Arn: arn, UserID: userID, Account: account}, nil
}

// validator reads parameters and collects the constraint violations found
// on the way, so that one ValidationError lists them all as AWS does.
type validator struct {
	params   map[string][]string
	problems []string
}

// get returns a parameter and whether it was given (perhaps empty).
func (v *validator) get(name string) (string, bool) {
	vals, ok := v.params[name]
	if !ok || len(vals) == 0 {
		return "", false
	}
	return vals[0], true
}

// problem records a violation in AWS's words: "Value '100' at
// 'durationSeconds' failed to satisfy constraint: Member must ...". value
// is written as given (quoted, or null).
func (v *validator) problem(member, value, constraint string) {
	v.problems = append(v.problems, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

// length checks that s has between lo and hi characters.
func (v *validator) length(member, s string, lo, hi int) bool {
	switch n := utf8.RuneCountInString(s); {
	case n < lo:
		v.problem(member, quote(s), fmt.Sprintf("Member must have length greater than or equal to %d", lo))
	case n > hi:
		v.problem(member, quote(s), fmt.Sprintf("Member must have length less than or equal to %d", hi))
	default:
		return true
	}
	return false
}

// pattern checks s against re.
func (v *validator) pattern(member, s string, re *regexp.Regexp) {
	if !re.MatchString(s) {
		// AWS names the pattern without the anchors.
		expr := re.String()
		v.problem(member, quote(s), "Member must satisfy regular expression pattern: "+expr[1:len(expr)-1])
	}
}

// duration reads a whole number of seconds between lo and hi.
func (v *validator) duration(member, s string, lo, hi time.Duration) time.Duration {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		v.problem(member, quote(s), "Member must be an integer")
	case n < int64(lo/time.Second):
		v.problem(member, quote(s), fmt.Sprintf("Member must have value greater than or equal to %d", int64(lo/time.Second)))
	case n > int64(hi/time.Second):
		v.problem(member, quote(s), fmt.Sprintf("Member must have value less than or equal to %d", int64(hi/time.Second)))
	default:
		return time.Duration(n) * time.Second
	}
	return 0
}

// err returns the ValidationError for the problems found, or nil.
func (v *validator) err() error {
	if len(v.problems) == 0 {
		return nil
	}
	return validationError(v.problems)
}

// quote writes a value as AWS's validation messages do: in single quotes,
// cut short when long so that a message stays readable.
func quote(s string) string {
	const maxShown = 128
	if utf8.RuneCountInString(s) > maxShown {
		r := []rune(s)
		s = string(r[:maxShown]) + "..."
	}
	return "'" + s + "'"
}
