package oidc

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The fuzz targets of this package check the parsers that read what an
// identity provider or a caller controls: tokens (header, claims, dates,
// the policy claim), JWKS and discovery documents, the Cache-Control
// header of a JWKS response, and the MINIO_IDENTITY_OPENID_* variables.

// maxErrorText bounds the text of an error caused by hostile input: quote
// cuts every echoed value to 80 bytes.
const maxErrorText = 1024

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// FuzzParseToken: parseToken never panics; an error is a *TokenError
// wrapping ErrInvalidToken for one of the structural checks, short, and
// without the token; a token it accepts is a compact JWS of three
// canonical base64url parts with an allowed algorithm and a JSON object
// of claims.
func FuzzParseToken(f *testing.F) {
	header := b64(`{"alg":"RS256","kid":"k1","typ":"JWT"}`)
	claims := b64(`{"iss":"https://idp.example","aud":["sesame"],"sub":"u","exp":1700003600,"iat":1.7e9,"policy":"a, b"}`)
	sig := b64("signature")
	f.Add(header + "." + claims + "." + sig)
	f.Add(b64(`{"alg":"none"}`) + "." + claims + ".")
	f.Add(b64(`{"alg":"NoNe"}`) + "." + claims + "." + sig)
	f.Add(b64(`{"alg":"HS256","crit":["b64"],"b64":false}`) + "." + claims + "." + sig)
	f.Add(b64(`{"alg":"ES256","kid":7}`) + "." + claims + "." + sig)
	f.Add(b64(`{"alg":"EdDSA"}`) + "." + b64(`{"a":1} {"b":2}`) + "." + sig)
	f.Add(b64(`{"alg":"PS512"}`) + "." + b64(`null`) + "." + sig)
	f.Add(header + "=." + claims + "." + sig)
	f.Add(header + "." + claims + "." + sig + ".x.y")
	f.Add("a.b.c")
	f.Add("...")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		tok, err := parseToken(token)
		if err != nil {
			var te *TokenError
			if !errors.As(err, &te) || !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v (%T) is not a *TokenError wrapping ErrInvalidToken", err, err)
			}
			if !slices.Contains([]string{CheckLength, CheckFormat, CheckAlg}, te.Check) {
				t.Fatalf("structural error names the %q check", te.Check)
			}
			if msg := err.Error(); len(msg) > maxErrorText || len(token) > 200 && strings.Contains(msg, token) {
				t.Fatalf("error text of %d bytes echoes the token: %.200q", len(msg), msg)
			}
			return
		}
		parts := strings.Split(token, ".")
		if len(parts) != 3 || tok.raw != token {
			t.Fatalf("accepted %d parts", len(parts))
		}
		if _, ok := allowedAlg(string(tok.alg)); !ok || strings.EqualFold(string(tok.alg), "none") {
			t.Fatalf("accepted alg %q", tok.alg)
		}
		// Strict base64url: each part has exactly one spelling.
		if b64(string(tok.payload)) != parts[1] {
			t.Fatalf("payload %q is not the canonical decoding of %q", tok.payload, parts[1])
		}
		if tok.claims == nil {
			t.Fatal("accepted a token without a claims object")
		}
		if _, err := decodeClaims(tok.payload); err != nil {
			t.Fatalf("accepted claims that do not decode again: %v", err)
		}
	})
}

// FuzzClaims decodes a claims object and runs every claim reader on it.
// Properties: decodeClaims yields a non-nil object or an error; a
// NumericDate it accepts lies between the epoch and 1e11 seconds, in UTC,
// and leaves room for Leeway arithmetic; audience gives only strings; the
// policy claim gives a non-empty list of trimmed, comma-free, distinct
// names that are exactly the comma-separated items of the claim, or an
// ErrRejectedClaim; flattenClaims keeps only keys of the token.
func FuzzClaims(f *testing.F) {
	f.Add([]byte(`{"exp":1700000000,"nbf":1699999999.5,"iat":1.7e9,"aud":"sesame","policy":"readwrite"}`), "", "policy")
	f.Add([]byte(`{"exp":-0,"nbf":1e-400,"iat":99999999999.999999,"aud":["a","b"],"policy":["a,b"," c ","a"]}`), "", "policy")
	f.Add([]byte(`{"exp":1e11,"nbf":100000000000.0000001,"iat":1E+2,"aud":[1],"policy":" , ,"}`), "", "policy")
	f.Add([]byte(`{"exp":"1700000000","nbf":null,"iat":true,"aud":{},"policy":[["a"]]}`), "", "policy")
	f.Add([]byte(`{"exp":123456789012345678901234567890,"nbf":0.0000000001,"iat":-1}`), "", "policy")
	f.Add([]byte(`{"https://min.io/policy":"consoleAdmin,readonly","exp":4e9}`), "https://min.io/", "policy")
	f.Add([]byte(`{"groups":"a,b","policy":7}`), "", "groups")
	f.Add([]byte(`{"policy":""}`), "", "policy")
	f.Add([]byte(`[]`), "", "policy")
	f.Fuzz(func(t *testing.T, data []byte, prefix, name string) {
		claims, err := decodeClaims(data)
		if err != nil {
			return
		}
		if claims == nil {
			t.Fatal("decodeClaims returned a nil object without an error")
		}
		for _, c := range []string{"exp", "nbf", "iat"} {
			checkNumericDate(t, claims, c)
		}
		if aud, ok := audience(claims); ok {
			for _, a := range aud {
				if !slices.Contains(jsonStrings(claims["aud"]), a) {
					t.Fatalf("audience %q is not in the claim %v", a, claims["aud"])
				}
			}
		}
		checkPolicyClaim(t, claims, prefix, name)
		for k, v := range flattenClaims(claims) {
			if _, ok := claims[k]; !ok || len(v) == 0 {
				t.Fatalf("flattenClaims made up claim %q = %q", k, v)
			}
		}
	})
}

func checkNumericDate(t *testing.T, claims map[string]any, name string) {
	t.Helper()
	d, present, ok := numericDate(claims, name)
	_, has := claims[name]
	switch {
	case present != has:
		t.Fatalf("%s: present = %v, but the claim exists: %v", name, present, has)
	case !present && !ok:
		t.Fatalf("%s: an absent claim must be ok", name)
	case !ok:
		return
	case !present:
		if !d.IsZero() {
			t.Fatalf("%s: absent claim gave %v", name, d)
		}
		return
	}
	if d.Location() != time.UTC {
		t.Fatalf("%s: %v is not in UTC", name, d)
	}
	if d.Unix() < 0 || d.Unix() > 1e11 {
		t.Fatalf("%s = %v (claim %v): outside 0..1e11 seconds", name, d, claims[name])
	}
	if _, isNum := claims[name].(json.Number); !isNum {
		t.Fatalf("%s: accepted a %T", name, claims[name])
	}
	// Verify compares with Leeway on both sides; that must not wrap.
	if !d.Add(Leeway).After(d) || !d.Add(-Leeway).Before(d) {
		t.Fatalf("%s = %v: Leeway arithmetic overflows", name, d)
	}
}

func checkPolicyClaim(t *testing.T, claims map[string]any, prefix, name string) {
	t.Helper()
	got, err := policyClaim(claims, prefix, name)
	if err != nil {
		var te *TokenError
		if !errors.As(err, &te) || !errors.Is(err, ErrRejectedClaim) || te.Check != CheckClaim {
			t.Fatalf("policy claim error %v is not an ErrRejectedClaim for the claim check", err)
		}
		if len(err.Error()) > maxErrorText {
			t.Fatalf("policy claim error of %d bytes", len(err.Error()))
		}
		return
	}
	if len(got) == 0 {
		t.Fatal("policyClaim returned no policy and no error")
	}
	// The items of the claim, computed independently of splitList.
	want := map[string]bool{}
	for _, s := range jsonStrings(claims[prefix+name]) {
		for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' }) {
			if item = strings.TrimSpace(item); item != "" {
				want[item] = true
			}
		}
	}
	seen := map[string]bool{}
	for _, p := range got {
		switch {
		case p == "" || p != strings.TrimSpace(p) || strings.Contains(p, ","):
			t.Fatalf("policy name %q is empty, untrimmed or holds a comma", p)
		case seen[p]:
			t.Fatalf("policy %q listed twice in %q", p, got)
		case !want[p]:
			t.Fatalf("policy %q is not an item of the claim %v", p, claims[prefix+name])
		}
		seen[p] = true
	}
	if len(seen) != len(want) {
		t.Fatalf("policies %q, want the items %v", got, want)
	}
}

// jsonStrings returns a string claim, or the strings of an array claim.
func jsonStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// FuzzParseKeys: parseKeys never panics and never returns a private or
// symmetric key: every key it keeps is public, is for signatures, and
// marshals without private members; it keeps at most MaxKeys keys, and
// fits may be asked about any of them.
func FuzzParseKeys(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"e","use":"sig","alg":"ES256",` +
		`"x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"e","use":"sig",` +
		`"x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM",` +
		`"d":"870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow","alg":"HS256"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",` +
		`"d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"},{"kty":"RSA","n":"AQAB","e":"AQAB","use":"enc"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw","e":"AQAB",` +
		`"d":"VFCWOqXr8nvZNyaaJLXdnNPXZKRaWCjkU5Q2egQQpTBMwhprMzWzpR8Sxq1OPThh_J6MUD8Z35wky9b8eEO0pwNS8xlh1lOFRRBoNqDIKVOku0aZb-rynq8cxjDTLZQ6Fz7jSjR1Klop-YKaUHc9GsEofQqYruPhzSA-QgajZGPbE_0ZaVDJHfyd7UUBUKunFMScbflYAAOYJqVIVwaYR5zWEEceUjNnTNo_CVSj-VvXLO5VZfCUAVLgW4dpf1SrtZjSt34YLsRarSb127reG_DUwg9Ch-KyvjT1SkHgUWRVGcyly7uvVGRSDwsXypdrNinPA4jlhoNdizK2zF2CWQ"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-521","x":"AA","y":"AA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"AKP","alg":"ML-DSA-44","pub":"AAAA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB","x5c":["AAAA"]}]}`))
	f.Add([]byte(`{"keys":[1,"x",null,{},[]]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		keys, err := parseKeys(body)
		if err != nil {
			if keys != nil {
				t.Fatal("parseKeys returned keys with an error")
			}
			return
		}
		if len(keys) > MaxKeys {
			t.Fatalf("kept %d keys, more than %d", len(keys), MaxKeys)
		}
		for _, k := range keys {
			checkPublicKey(t, k)
			for _, alg := range append(slices.Clone(asymmetricAlgs), hmacAlgs...) {
				if fits(k, alg) && isHMAC(alg) {
					t.Fatalf("key %q (%T) fits %s", k.KeyID, k.Key, alg)
				}
			}
		}
	})
}

// checkPublicKey fails unless k holds only a public key for signatures.
func checkPublicKey(t *testing.T, k jose.JSONWebKey) {
	t.Helper()
	if k.Key == nil || !k.IsPublic() {
		t.Fatalf("kept a key of type %T that is not public", k.Key)
	}
	if _, private := k.Key.(interface{ Public() crypto.PublicKey }); private {
		t.Fatalf("kept a private key of type %T", k.Key)
	}
	if _, symmetric := k.Key.([]byte); symmetric {
		t.Fatal("kept a symmetric key")
	}
	if k.Use != "" && k.Use != "sig" {
		t.Fatalf("kept a key for use %q", k.Use)
	}
	data, err := k.MarshalJSON()
	if err != nil {
		return // a public key go-jose cannot write back out; still public
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		t.Fatalf("kept key marshals to %q: %v", data, err)
	}
	for _, m := range []string{"d", "p", "q", "dp", "dq", "qi", "k", "priv", "seed"} {
		if _, ok := members[m]; ok {
			t.Fatalf("kept key has the private member %q: %s", m, data)
		}
	}
}

// bodyTransport answers every request with a fixed status and body, so
// discovery runs without a network.
type bodyTransport struct {
	status int
	body   []byte
}

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: b.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(b.body)), Request: r,
	}, nil
}

// FuzzDiscover: discover never panics; a document it accepts has an
// issuer and an absolute http(s) jwks_uri (and userinfo endpoint when
// needed); its errors never repeat the query string of the discovery URL,
// which may hold a secret.
func FuzzDiscover(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://idp.example","jwks_uri":"https://idp.example/keys","userinfo_endpoint":"https://idp.example/userinfo"}`), true)
	f.Add([]byte(`{"issuer":"https://idp.example","jwks_uri":"https://idp.example/keys"}`), true)
	f.Add([]byte(`{"issuer":"","jwks_uri":"https://idp.example/keys"}`), false)
	f.Add([]byte(`{"issuer":"x","jwks_uri":"file:///etc/passwd"}`), false)
	f.Add([]byte(`{"issuer":"x","jwks_uri":"https:///keys"}`), false)
	f.Add([]byte(`{"issuer":"x","jwks_uri":"//idp.example/keys"}`), false)
	f.Add([]byte(`{"issuer":"x","jwks_uri":"http://[::1]:namedport/keys"}`), false)
	f.Add([]byte(`{"issuer":7}`), false)
	f.Add([]byte(`not json`), false)
	// A secret the fuzzer cannot put in the document itself.
	secret := rand.Text()
	configURL := "https://user:" + secret + "@idp.example/.well-known/openid-configuration?token=" + secret
	f.Fuzz(func(t *testing.T, body []byte, needUserinfo bool) {
		client := &http.Client{Transport: bodyTransport{status: http.StatusOK, body: body}}
		m, err := discover(context.Background(), client, configURL, needUserinfo)
		if err != nil {
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error repeats the URL's secret: %v", err)
			}
			return
		}
		if m.Issuer == "" {
			t.Fatal("accepted a document without an issuer")
		}
		if err := absoluteHTTP(m.JWKSURI); err != nil {
			t.Fatalf("accepted jwks_uri %q: %v", m.JWKSURI, err)
		}
		if needUserinfo && absoluteHTTP(m.UserinfoEndpoint) != nil {
			t.Fatalf("accepted userinfo_endpoint %q", m.UserinfoEndpoint)
		}
	})
}

// FuzzKeyLifetime: whatever the Cache-Control header of a JWKS response,
// the keys are kept between MinKeyRefresh and MaxKeyRefresh.
func FuzzKeyLifetime(f *testing.F) {
	for _, s := range []string{"", "max-age=600", "public, MAX-AGE=\"120\"", "max-age=-1", "max-age=99999999999999999999", "max-age", "no-store,max-age=0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cacheControl string) {
		if d := keyLifetime(cacheControl); d < MinKeyRefresh || d > MaxKeyRefresh {
			t.Fatalf("keyLifetime(%q) = %v", cacheControl, d)
		}
	})
}

// FuzzConfigFromEnv feeds ConfigFromEnv an environment of newline-separated
// KEY=VALUE entries. Properties: it never panics; an error wraps
// ErrInvalidConfig; a configuration it returns passes validate, lists the
// un-suffixed provider first and the others sorted by name, names each
// provider once, gives each a URL, and gives a claim name exactly to the
// claim-based provider; and the result does not depend on the order of
// the environment.
func FuzzConfigFromEnv(f *testing.F) {
	f.Add("MINIO_IDENTITY_OPENID_CONFIG_URL=https://idp.example/.well-known/openid-configuration\nMINIO_IDENTITY_OPENID_CLIENT_ID=sesame")
	f.Add("MINIO_IDENTITY_OPENID_CONFIG_URL_DEX=http://dex:5556/dex/.well-known/openid-configuration\n" +
		"MINIO_IDENTITY_OPENID_CLIENT_ID_DEX=minio\nMINIO_IDENTITY_OPENID_ROLE_POLICY_DEX=readonly, ,consoleAdmin\n" +
		"MINIO_IDENTITY_OPENID_CLAIM_USERINFO_DEX=on\nMINIO_IDENTITY_OPENID_SCOPES_DEX=openid,email")
	f.Add("MINIO_IAM_JWKS_URL=https://idp.example/keys\nSESAME_IDENTITY_OPENID_ISSUER=https://idp.example")
	f.Add("MINIO_IAM_JWKS_URL=https://idp.example/keys\nMINIO_IDENTITY_OPENID_CONFIG_URL=https://idp.example/c")
	f.Add("MINIO_IDENTITY_OPENID_ENABLE_X=maybe\nMINIO_IDENTITY_OPENID_CONFIG_URL_X=https://a/")
	f.Add("MINIO_IDENTITY_OPENID_CLIENT_ID_=x\nMINIO_IDENTITY_OPENID_CONFIG_URL__=https://a/")
	f.Add("MINIO_IDENTITY_OPENID_REDIRECT_URI_DYNAMIC=on\nMINIO_IDENTITY_OPENID_CONFIG_URL_é=https://a/\nMINIO_IDENTITY_OPENID_CLIENT_ID_é=c")
	f.Add("MINIO_IDENTITY_OPENID_CONFIG_URL=https://a/\nMINIO_IDENTITY_OPENID_CLIENT_ID=c\nMINIO_IDENTITY_OPENID_CONFIG_URL_B=https://a/\nMINIO_IDENTITY_OPENID_CLIENT_ID_B=c")
	f.Add("MINIO_IDENTITY_OPENID_CONFIG_URL_A=https://a/\nMINIO_IDENTITY_OPENID_CLIENT_ID_A=c\nMINIO_IDENTITY_OPENID_ROLE_POLICY_A=p\n" +
		"MINIO_IDENTITY_OPENID_CONFIG_URL_B=https://a/\nMINIO_IDENTITY_OPENID_CLIENT_ID_B=c\nMINIO_IDENTITY_OPENID_ROLE_POLICY_B=q")
	f.Add("MINIO_IDENTITY_OPENID_CLAIM_NAME=groups")
	f.Add("=\n==\nMINIO_IDENTITY_OPENID_=x")
	f.Fuzz(func(t *testing.T, env string) {
		vars := map[string]string{}
		for _, kv := range strings.Split(env, "\n") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				vars[k] = v
			}
		}
		getenv := func(k string) string { return vars[k] }
		var environ []string
		for k, v := range vars {
			environ = append(environ, k+"="+v)
		}
		slices.Sort(environ)
		cfgs, err := ConfigFromEnv(getenv, environ)
		slices.Reverse(environ)
		again, errAgain := ConfigFromEnv(getenv, environ)
		if (err == nil) != (errAgain == nil) || err != nil && err.Error() != errAgain.Error() {
			t.Fatalf("the order of the environment matters: %v, then %v", err, errAgain)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
			return
		}
		a, _ := json.Marshal(cfgs)
		b, _ := json.Marshal(again)
		if !bytes.Equal(a, b) {
			t.Fatalf("the order of the environment matters:\n%s\n%s", a, b)
		}
		if err := validate(cfgs); err != nil {
			t.Fatalf("ConfigFromEnv returned a configuration that validate refuses: %v", err)
		}
		for i, c := range cfgs {
			if i > 0 && (c.Name == "" || cfgs[i-1].Name >= c.Name) {
				t.Fatalf("providers not in order: %q after %q", c.Name, cfgs[i-1].Name)
			}
			if c.ConfigURL == "" && c.JWKSURL == "" {
				t.Fatalf("provider %q has no URL", c.Name)
			}
			if (c.ClaimName == "") != (len(c.RolePolicy) > 0) {
				t.Fatalf("provider %q: claim name %q with role policies %q", c.Name, c.ClaimName, c.RolePolicy)
			}
			for _, p := range append(slices.Clone(c.RolePolicy), c.Scopes...) {
				if p == "" || p != strings.TrimSpace(p) || strings.Contains(p, ",") {
					t.Fatalf("provider %q: list item %q", c.Name, p)
				}
			}
		}
	})
}
