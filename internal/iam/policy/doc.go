// Package policy implements the AWS IAM policy language: it parses and
// validates policy documents strictly, precompiles them, and evaluates
// them against requests. It imports only the standard library.
//
// # Flow
//
//  1. Parse reads an identity policy (attached to a user, group or role,
//     or an STS session policy); ParseBucketPolicy reads a bucket's
//     resource-based policy. Either returns an immutable *Policy or an
//     error wrapping ErrMalformed whose message names the statement (by
//     index and Sid) and the element at fault. Canned returns the built-in
//     MinIO policies (readonly, readwrite, writeonly, diagnostics,
//     consoleAdmin).
//  2. Parsing compiles everything a request is checked against: action and
//     resource wildcards, condition values (wildcard patterns, numbers,
//     dates, CIDR blocks, base64), policy variable references.
//  3. (*Policy).Evaluate(*Args) returns Deny if a Deny statement applies,
//     else Allow if an Allow statement applies, else NotApplicable (an
//     implicit deny). IsAllowed combines several policies: an explicit
//     Deny anywhere wins, otherwise some policy must Allow.
//  4. (*Policy).MarshalJSON writes the policy back in a canonical compact
//     form (not the original bytes; callers that must return a document
//     byte for byte keep it themselves).
//
// A statement applies when its Action (or NotAction), Principal (or
// NotPrincipal; bucket policies only), Resource (or NotResource) and every
// condition match.
//
// # Grammar
//
// Element names and values such as "Allow" and operator names are
// case-sensitive; unknown elements, duplicate keys, an empty Statement
// list, two statements with the same non-empty Sid (compared
// case-sensitively; as in AWS, Sids must be unique within a policy),
// unknown condition operators and values of the wrong type are errors.
// Version is "2012-10-17" or "2008-10-17"; a document without one has
// 2008-10-17 semantics, as in AWS: "${...}" is literal text and no policy
// variable is substituted. An action is "*" or "service:action"
// (wildcards allowed). A resource is "*" or an ARN
// "arn:partition:service:region:account:resource". A Principal is "*" or
// {"AWS": "*" | ARN | [...]}; wildcards inside a principal ARN are not
// accepted, and principals are compared as exact strings.
//
// Bucket policies additionally require a Principal or NotPrincipal in
// every statement, NotPrincipal only with "Effect": "Deny" (as in AWS:
// with Allow it would grant to everyone but the principals named,
// anonymous callers included), and s3: actions only (a bare "*" action
// means "s3:*"). Each Resource and NotResource entry must be able to
// match the bucket's ARN "arn:aws:s3:::<bucket>" or an object's
// "arn:aws:s3:::<bucket>/<key>", whatever values its policy variables
// take: for bucket photos, "*", "arn:aws:s3:::*", "arn:aws:s3:::photo?/*"
// and "arn:aws:s3:::photos/${aws:username}/*" are accepted;
// "arn:aws:s3:::other/*", "arn:aws:s3:::photos2/*" and
// "arn:aws:s3:::${aws:username}/*" are refused as mistakes. Whatever its
// resources say, a bucket policy applies to its bucket and the objects in
// it only: Evaluate returns NotApplicable for any other resource, so a
// bucket policy can never grant admin or KMS actions nor reach another
// bucket.
//
// # Matching
//
// In Action, Resource, StringLike and Arn* values, '*' matches any run of
// characters (including '/' and the empty run) and '?' exactly one
// character. A character is a valid UTF-8 sequence or a byte that does not
// begin one (as utf8.DecodeRuneInString reads them); such an invalid byte
// equals only the same byte, never U+FFFD, with or without case folding.
// Each run of literal text and each policy variable's value is read into
// characters on its own, so a value ending in an incomplete sequence
// ("\xe2\x82") never matches part of a character of the subject ("€").
// Actions match case-insensitively (Unicode simple folding, as
// strings.EqualFold); resources, principals and Arn* values
// case-sensitively. Resource and Arn* patterns are matched field by field
// (the five first ':' separate the fields), so a wildcard never spans a
// field boundary.
//
// Matching takes time linear in the subject for any pattern. A pattern is
// cut at each '*' into chunks of literal characters and '?', each of
// which consumes a fixed number of characters: the first chunk is
// anchored at the start of the subject, the last at its end, and each
// middle one is placed at its leftmost position after the previous one
// (the classic two-pointer glob algorithm: that placement is never worse
// for the rest of the pattern, so an earlier '*' is never revisited). A
// middle chunk of literal text is found with strings.Index, one of at most
// 16 characters by trying each position, and any other (with a '?', or
// case folding) by a bit-parallel scan (Shift-And) costing ⌈n/64⌉ word
// operations per subject character for a chunk of n characters. A match
// so costs O(len(subject) × ⌈len(pattern)/64⌉) at worst (the pattern's
// length counting the values of its variables),
// about 10 ms for a 2,000-character pattern of '?' against a 60 KB
// User-Agent (BenchmarkPattern_MatchAdversarial). A chunk holding a policy
// variable is searched for by trying each position when that is cheap, and
// otherwise by the same means, prepared for the request.
//
// # Policy variables (Version 2012-10-17)
//
// "${key}" in a Resource or NotResource entry and in the values of String*
// and Arn* conditions is replaced by the single value of the condition key
// in Args.Conditions (looked up lower-cased): ${aws:username},
// ${aws:userid}, ${aws:SourceIp}, ${aws:CurrentTime}, ${aws:EpochTime},
// ${aws:PrincipalType}, ${jwt:sub}, ${s3:prefix}, ... "${key, 'text'}"
// uses text when the key is absent. "${*}", "${?}" and "${$}" are a
// literal '*', '?' and '$'. A substituted value is literal text: a '*' in
// a user name is not a wildcard. A variable whose key is absent (without
// a default) or has several values cannot be resolved; then
//
//   - a Resource entry or a condition value containing it matches nothing
//     (so a negated operator whose values all fail to resolve holds);
//   - a NotResource entry containing it makes an Allow statement not apply
//     (it never widens what an Allow grants) and excludes nothing from a
//     Deny statement (a Deny then covers more, never less).
//
// # Conditions
//
// Operators in a Condition block are ANDed, keys within an operator are
// ANDed, and the values of one key are ORed; for a negated operator
// (StringNotEquals, StringNotEqualsIgnoreCase, StringNotLike,
// NumericNotEquals, DateNotEquals, NotIpAddress, ArnNotEquals, ArnNotLike)
// a request value must match none of them (NOR). Condition key names are
// case-insensitive. A key is absent when Args.Conditions has no value for
// it. The rules, as AWS documents them:
//
//	operator form                 key absent   key present
//	positive (StringEquals, ...)  false        some request value matches some policy value
//	negated (StringNotEquals ...) true         no request value matches any policy value
//	...IfExists                   true         as without IfExists
//	ForAnyValue:op                false        some request value satisfies op
//	ForAllValues:op               true         every request value satisfies op
//	ForAnyValue:/ForAllValues:    true         as without IfExists
//	  with IfExists
//	Null "true"                   true         false
//	Null "false"                  false        true
//
// where a request value satisfies a positive op when it matches some
// policy value and a negated op when it matches none. Null takes neither
// IfExists nor a set prefix. A request value that does not parse as the
// operator's type (a number, a date, an IP address, true/false) matches no
// policy value. Date values are RFC 3339 / ISO 8601 ("2026-01-02T15:04:05Z",
// "20260102T150405Z", "2026-01-02") or epoch seconds; BinaryEquals policy
// values are base64 and are compared with the raw bytes of the request
// value; IpAddress values are IPv4 or IPv6 addresses or CIDR blocks, and
// IPv4-mapped IPv6 addresses compare as IPv4.
//
// # Invariants
//
//   - Every *Policy returned by this package is valid and fully compiled;
//     Evaluate cannot fail and does not allocate (it may for a string with
//     more than four policy variables, for a chunk holding a policy variable
//     searched for in a long value, and for a chunk of more than 2,048
//     characters).
//   - A Policy is immutable and safe for concurrent use; the package holds
//     no mutable state.
//   - Args.Conditions keys must be lower-case; Evaluate never writes to the
//     map.
//   - Security checks fail closed: no applicable statement means no access,
//     and an unresolvable variable never makes an Allow grant more.
package policy
