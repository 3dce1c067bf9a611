package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// idp is the OpenID provider of the [webidentity] section: a small but
// real signing provider, laid out as Keycloak lays out a realm, because
// ceph's STS tests hard-code the issuer http://localhost:8080/auth/realms/<realm>
// (an IAM OpenID Connect provider with that URL, and condition keys
// prefixed localhost:8080/auth/realms/<realm>). It serves the discovery
// document and the key set (JWKS) that Sesame fetches to verify tokens, and
// mints RS256 tokens of any shape, as Keycloak's token endpoint would for
// the realm's client and user. oidctest cannot be used here: it listens
// on a random port and its issuer is the server's bare URL.
type idp struct {
	issuer string
	key    *rsa.PrivateKey
	kid    string
	srv    *http.Server
	ln     net.Listener

	discoveryFetches, jwksFetches atomic.Int64
}

// startIDP listens on addr (host:port) and serves the realm's endpoints
// under /auth/realms/<realm>. The issuer names the host as "localhost",
// as the tests do, whatever addr's host is.
func startIDP(addr, realm string) (*idp, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	kid := make([]byte, 8)
	if _, err := rand.Read(kid); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("the OpenID provider must listen on %s, as ceph's STS tests name it: %w", addr, err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p := &idp{
		issuer: "http://localhost:" + port + "/auth/realms/" + realm,
		key:    key,
		kid:    hex.EncodeToString(kid),
		ln:     ln,
	}
	base := "/auth/realms/" + realm
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+base+"/.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET "+base+"/protocol/openid-connect/certs", p.jwks)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Issuer is the realm's issuer URL.
func (p *idp) Issuer() string { return p.issuer }

// ConfigURL is the discovery document's URL.
func (p *idp) ConfigURL() string { return p.issuer + "/.well-known/openid-configuration" }

// Close stops the provider.
func (p *idp) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
}

func (p *idp) discovery(w http.ResponseWriter, _ *http.Request) {
	p.discoveryFetches.Add(1)
	oidcBase := p.issuer + "/protocol/openid-connect"
	writeJSON(w, map[string]any{
		"issuer":                                p.issuer,
		"authorization_endpoint":                oidcBase + "/auth",
		"token_endpoint":                        oidcBase + "/token",
		"userinfo_endpoint":                     oidcBase + "/userinfo",
		"jwks_uri":                              oidcBase + "/certs",
		"response_types_supported":              []string{"code", "id_token", "code id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"grant_types_supported":                 []string{"client_credentials", "password"},
	})
}

func (p *idp) jwks(w http.ResponseWriter, _ *http.Request) {
	p.jwksFetches.Add(1)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: string(jose.RS256), Use: "sig",
	}}}
	writeJSON(w, set)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// Mint signs a JWT carrying claims with the realm's key (RS256, its kid
// in the header). iss, iat, nbf, exp (lifetime from now) and jti are
// added unless claims has them.
func (p *idp) Mint(claims map[string]any, lifetime time.Duration) (string, error) {
	now := time.Now()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	all := map[string]any{
		"iss": p.issuer,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(lifetime).Unix(),
		"jti": hex.EncodeToString(jti),
	}
	for k, v := range claims {
		all[k] = v
	}
	payload, err := json.Marshal(all)
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.kid))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// webIdentity is what the [webidentity] section of s3tests.conf holds.
type webIdentity struct {
	Token, UserToken     string
	Aud, Sub, Azp, Realm string
	Thumbprint           string
}

// Values of the realm: its client (the application the tokens are issued
// to) and the identities of the two tokens.
const (
	idpRealm    = "s3tests"
	idpClientID = "sesame-s3tests"
)

// mintWebIdentity mints the two tokens the STS tests use, shaped as
// Keycloak issues them to a client whose audience mapper adds the client
// itself to aud:
//
//   - token, the client's service account (client_credentials grant): sub
//     the service account's id, aud and azp the client id. The tests match
//     <issuer>:app_id against [webidentity] aud, :sub against sub and
//     :azp against azp.
//   - user_token, a user with the attribute Department = [Engineering,
//     Marketing] mapped, as AWS reads session tags from a web identity,
//     into the https://aws.amazon.com/tags claim (principal_tags); the
//     ABAC tests (aws:RequestTag/Department, aws:PrincipalTag/Department,
//     aws:TagKeys) rely on it. With oneTagValue the attribute is
//     [Engineering] only: AWS's session tags hold one value each, and a
//     tag of two values is something only Ceph RGW takes.
//
// Both last lifetime.
func (p *idp) mintWebIdentity(lifetime time.Duration, oneTagValue bool) (webIdentity, error) {
	department := []string{"Engineering", "Marketing"}
	if oneTagValue {
		department = department[:1]
	}
	serviceSub, err := uuid()
	if err != nil {
		return webIdentity{}, err
	}
	userSub, err := uuid()
	if err != nil {
		return webIdentity{}, err
	}
	token, err := p.Mint(map[string]any{
		"sub":                serviceSub,
		"aud":                idpClientID,
		"azp":                idpClientID,
		"typ":                "Bearer",
		"scope":              "openid profile email",
		"client_id":          idpClientID,
		"preferred_username": "service-account-" + idpClientID,
	}, lifetime)
	if err != nil {
		return webIdentity{}, err
	}
	userToken, err := p.Mint(map[string]any{
		"sub":                userSub,
		"aud":                idpClientID,
		"azp":                idpClientID,
		"typ":                "Bearer",
		"scope":              "openid profile email",
		"preferred_username": "testuser",
		"email":              "testuser@example.com",
		"https://aws.amazon.com/tags": map[string]any{
			"principal_tags": map[string]any{"Department": department},
		},
	}, lifetime)
	if err != nil {
		return webIdentity{}, err
	}
	thumb := make([]byte, 20)
	if _, err := rand.Read(thumb); err != nil {
		return webIdentity{}, err
	}
	realm := p.issuer[strings.LastIndex(p.issuer, "/")+1:]
	if realm == "" {
		return webIdentity{}, errors.New("the issuer names no realm")
	}
	return webIdentity{
		Token: token, UserToken: userToken,
		Aud: idpClientID, Sub: serviceSub, Azp: idpClientID, Realm: realm,
		// Keycloak's would be the SHA-1 of its TLS certificate; over
		// http nothing checks it, and Sesame only checks its form.
		Thumbprint: hex.EncodeToString(thumb),
	}, nil
}

// uuid returns a random (version 4) UUID, the form of Keycloak's subjects.
func uuid() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
