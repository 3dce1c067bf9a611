package oidctest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
)

// tokenPOST posts form to the token endpoint and decodes the answer.
func tokenPOST(t *testing.T, p *oidctest.Provider, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(p.Issuer()+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

func TestProvider_authorizationCode(t *testing.T) {
	p := oidctest.NewProvider(t, oidctest.Options{AutoLogin: "alice"})
	p.AddUser(oidctest.User{Name: "alice", Password: "pw", Claims: map[string]any{"policy": "readwrite"}})
	p.AddLoginClient(oidctest.LoginClient{ID: "cli", RedirectURIs: []string{"http://127.0.0.1/callback"}})

	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	redirect := "http://127.0.0.1:5555/callback"
	q := url.Values{"response_type": {"code"}, "client_id": {"cli"}, "redirect_uri": {redirect},
		"scope": {"openid offline_access"}, "state": {"st"}, "nonce": {"no"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	c := &http.Client{CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if r.URL.Host == "127.0.0.1:5555" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp, err := c.Get(p.Issuer() + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("state") != "st" || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d, Location %s", resp.StatusCode, loc)
	}
	code := loc.Query().Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "client_id": {"cli"}}
	if status, _ := tokenPOST(t, p, form); status != http.StatusBadRequest {
		t.Errorf("code without verifier: %d, want 400", status)
	}
	form.Set("code_verifier", verifier)
	status, out := tokenPOST(t, p, form)
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, out)
	}
	claims := claimsOf(t, out["id_token"].(string))
	if claims["sub"] != "alice" || claims["nonce"] != "no" || claims["policy"] != "readwrite" || claims["aud"] == nil {
		t.Errorf("ID token claims %v", claims)
	}
	if got := p.AuthRequests(); len(got) != 1 || got[0].CodeChallengeMethod != "S256" {
		t.Errorf("AuthRequests = %+v", got)
	}
	if status, _ := tokenPOST(t, p, form); status == http.StatusOK {
		t.Error("the code was accepted twice")
	}
	rt, _ := out["refresh_token"].(string)
	status, out = tokenPOST(t, p, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"cli"}})
	if status != http.StatusOK || out["id_token"] == nil || p.RefreshGrants() != 1 {
		t.Fatalf("refresh: %d %v", status, out)
	}
	p.RevokeRefreshTokens()
	if status, _ := tokenPOST(t, p, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {out["refresh_token"].(string)}, "client_id": {"cli"}}); status == http.StatusOK {
		t.Error("a revoked refresh token was honoured")
	}
}

func TestProvider_deviceCode(t *testing.T) {
	p := oidctest.NewProvider(t, oidctest.Options{})
	p.AddUser(oidctest.User{Name: "bob", Password: "pw"})
	p.AddLoginClient(oidctest.LoginClient{ID: "cli"})
	resp, err := http.PostForm(p.Issuer()+"/device_authorization", url.Values{"client_id": {"cli"}, "scope": {"openid"}})
	if err != nil {
		t.Fatal(err)
	}
	var da struct {
		DeviceCode      string `json:"device_code"`
		UserCode        string `json:"user_code"`
		VerificationURI string `json:"verification_uri"`
	}
	json.NewDecoder(resp.Body).Decode(&da)
	resp.Body.Close()
	if da.DeviceCode == "" || !strings.HasSuffix(da.VerificationURI, "/device") {
		t.Fatalf("device authorization: %d %+v", resp.StatusCode, da)
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}, "device_code": {da.DeviceCode}, "client_id": {"cli"}}
	if status, out := tokenPOST(t, p, form); status != http.StatusBadRequest || out["error"] != "authorization_pending" {
		t.Fatalf("before approval: %d %v", status, out)
	}
	// The device page's form, as a person fills it in.
	resp, err = http.PostForm(p.Issuer()+"/device", url.Values{"user_code": {da.UserCode}, "username": {"bob"}, "password": {"pw"}, "action": {"approve"}})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("device page: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	status, out := tokenPOST(t, p, form)
	if status != http.StatusOK || claimsOf(t, out["id_token"].(string))["sub"] != "bob" {
		t.Fatalf("after approval: %d %v", status, out)
	}
}
