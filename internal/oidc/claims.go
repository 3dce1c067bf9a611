package oidc

import (
	"encoding/json"
	"strconv"
	"strings"
)

// policyClaim returns the policies a claim-based provider's token names in
// the claim ClaimPrefix+ClaimName: a string holding one name or a
// comma-separated list, or an array of such strings. Names are trimmed,
// empty ones dropped, duplicates removed (first one kept).
func policyClaim(claims map[string]any, prefix, name string) ([]string, error) {
	claim := prefix + name
	v, ok := claims[claim]
	if !ok {
		return nil, tokenErr(ErrRejectedClaim, CheckClaim, "the token has no %s claim to name its policies", quote(claim))
	}
	var raw []string
	switch v := v.(type) {
	case string:
		raw = []string{v}
	case []any:
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, tokenErr(ErrRejectedClaim, CheckClaim, "claim %s must be a string or an array of strings", quote(claim))
			}
			raw = append(raw, s)
		}
	default:
		return nil, tokenErr(ErrRejectedClaim, CheckClaim, "claim %s must be a string or an array of strings", quote(claim))
	}
	var policies []string
	seen := map[string]bool{}
	for _, s := range raw {
		for _, p := range splitList(s) {
			if !seen[p] {
				seen[p] = true
				policies = append(policies, p)
			}
		}
	}
	if len(policies) == 0 {
		return nil, tokenErr(ErrRejectedClaim, CheckClaim, "claim %s names no policy", quote(claim))
	}
	return policies, nil
}

// flattenClaims turns claims into the string lists that policy variables
// (${jwt:name}) read: strings as they are, numbers as decimal text, bools
// as "true"/"false", arrays as the list of their scalar elements. Nulls,
// objects, and objects or arrays nested in arrays are left out. Keys keep
// the token's spelling.
func flattenClaims(claims map[string]any) map[string][]string {
	out := make(map[string][]string, len(claims))
	for k, v := range claims {
		if arr, ok := v.([]any); ok {
			var list []string
			for _, e := range arr {
				if s, ok := scalarText(e); ok {
					list = append(list, s)
				}
			}
			if list != nil {
				out[k] = list
			}
			continue
		}
		if s, ok := scalarText(v); ok {
			out[k] = []string{s}
		}
	}
	return out
}

func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case json.Number:
		return numberText(v), true
	}
	return "", false
}

// numberText writes a JSON number as plain decimal text: integers as they
// are, 1.5e9 as "1500000000", fractions without an exponent.
func numberText(n json.Number) string {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// mergeUserinfo adds the userinfo claims that the token lacks; the token's
// signed claims win.
func mergeUserinfo(token, info map[string]any) map[string]any {
	merged := make(map[string]any, len(token)+len(info))
	for k, v := range info {
		merged[k] = v
	}
	for k, v := range token {
		merged[k] = v
	}
	return merged
}

// TagsClaim is the claim in which an identity provider passes session
// tags, as AWS defines it for AssumeRoleWithWebIdentity.
const TagsClaim = "https://aws.amazon.com/tags"

// sessionTags reads the TagsClaim: principal_tags maps each key to a list
// of one value (AWS's shape; a bare string is accepted too);
// transitive_tag_keys lists keys. A claim of another shape refuses the
// token rather than dropping tags a trust policy may test.
func sessionTags(claims map[string]any) (map[string]string, []string, error) {
	raw, ok := claims[TagsClaim]
	if !ok {
		return nil, nil, nil
	}
	bad := func(what string) error {
		return tokenErr(ErrInvalidToken, CheckClaim, "claim %s: %s", quote(TagsClaim), what)
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, nil, bad("not an object")
	}
	tags := map[string]string{}
	if pt, ok := obj["principal_tags"]; ok {
		m, ok := pt.(map[string]any)
		if !ok {
			return nil, nil, bad("principal_tags is not an object")
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				tags[k] = v
			case []any:
				if len(v) != 1 {
					return nil, nil, bad("a principal tag must have exactly one value")
				}
				s, ok := v[0].(string)
				if !ok {
					return nil, nil, bad("a principal tag's value must be a string")
				}
				tags[k] = s
			default:
				return nil, nil, bad("a principal tag's value must be a string or a list of one string")
			}
		}
	}
	var transitive []string
	if tt, ok := obj["transitive_tag_keys"]; ok {
		list, ok := tt.([]any)
		if !ok {
			return nil, nil, bad("transitive_tag_keys is not a list")
		}
		for _, e := range list {
			s, ok := e.(string)
			if !ok {
				return nil, nil, bad("transitive_tag_keys must list strings")
			}
			transitive = append(transitive, s)
		}
	}
	return tags, transitive, nil
}

// subjectOf is the subject of a token without sub, as MinIO's
// AssumeRoleWithClientGrants takes it: the client the token was issued to,
// its azp, else its client_id claim (RFC 9068), with the claim's name; ""
// when it names neither. The audience check has already tied such a token
// to the provider's client id (aud or azp), so it never names a user.
func subjectOf(claims map[string]any) (subject, claim string) {
	for _, name := range []string{"azp", "client_id"} {
		if s, _ := claims[name].(string); s != "" {
			return s, name
		}
	}
	return "", ""
}
