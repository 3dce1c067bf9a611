package login

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/oidc"
)

// fakeIdP serves a discovery document and a token endpoint whose ID
// token names nonce.
func fakeIdP(t *testing.T, nonce string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": srv.URL, "authorization_endpoint": srv.URL + "/auth", "token_endpoint": srv.URL + "/token"})
		case "/token":
			claims, _ := json.Marshal(map[string]any{"iss": srv.URL, "sub": "x", "nonce": nonce})
			b64 := base64.RawURLEncoding.EncodeToString
			json.NewEncoder(w).Encode(map[string]string{"id_token": b64([]byte(`{"alg":"RS256"}`)) + "." + b64(claims) + ".c2ln"})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newTestHandler(t *testing.T, idp *httptest.Server, server http.Handler) *Handler {
	t.Helper()
	h, err := New(Options{Key: []byte(strings.Repeat("k", 32)), Server: server,
		Providers: []Provider{{ProviderConfig: oidc.ProviderConfig{ConfigURL: idp.URL + "/.well-known/openid-configuration", ClientID: "c"}}}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// serve runs one request, over TLS when tlsOn, with cookies.
func serve(h http.Handler, method, target string, form url.Values, cookies []*http.Cookie, tlsOn bool) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	if tlsOn {
		req.TLS = &tls.ConnectionState{}
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func cookieNamed(t *testing.T, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cookie %s in %v", name, rec.Header()["Set-Cookie"])
	return nil
}

// TestHandler_cookiesAndNonce: over TLS the cookies are Secure, HttpOnly,
// path-scoped, Strict (CSRF) and Lax (flow); an ID token whose nonce is
// not the flow's is refused before anything is traded.
func TestHandler_cookiesAndNonce(t *testing.T) {
	idp := fakeIdP(t, "not-the-flows-nonce")
	server := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the server's STS was called with %s", r.URL)
	})
	h := newTestHandler(t, idp, server)
	index := serve(h, http.MethodGet, DefaultPrefix+"/", nil, nil, true)
	csrf := cookieNamed(t, index, csrfCookie)
	if !csrf.HttpOnly || !csrf.Secure || csrf.SameSite != http.SameSiteStrictMode || csrf.Path != DefaultPrefix+"/" {
		t.Errorf("CSRF cookie %+v", csrf)
	}
	token := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(index.Body.String())[1]
	start := serve(h, http.MethodPost, DefaultPrefix+"/start", url.Values{"csrf": {token}, "provider": {"openid"}}, []*http.Cookie{csrf}, true)
	if start.Code != http.StatusSeeOther {
		t.Fatalf("start: %d %s", start.Code, start.Body)
	}
	flowC := cookieNamed(t, start, flowCookie)
	if !flowC.HttpOnly || !flowC.Secure || flowC.SameSite != http.SameSiteLaxMode || flowC.MaxAge != 600 {
		t.Errorf("flow cookie %+v", flowC)
	}
	loc, _ := url.Parse(start.Header().Get("Location"))
	q := loc.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("redirect_uri") != "https://example.com"+DefaultPrefix+"/callback" {
		t.Errorf("authorization request %s", loc)
	}
	cb := serve(h, http.MethodGet, DefaultPrefix+"/callback?code=c&state="+url.QueryEscape(q.Get("state")), nil, []*http.Cookie{flowC}, true)
	if cb.Code != http.StatusBadRequest || !strings.Contains(cb.Body.String(), "nonce mismatch") {
		t.Errorf("callback with a foreign nonce: %d %s", cb.Code, cb.Body)
	}
	if c := cookieNamed(t, cb, flowCookie); c.MaxAge >= 0 {
		t.Errorf("the flow cookie is not deleted: %+v", c)
	}
	// Over plain HTTP the cookies are not Secure.
	if c := cookieNamed(t, serve(h, http.MethodGet, DefaultPrefix+"/", nil, nil, false), csrfCookie); c.Secure {
		t.Error("Secure cookie over plain HTTP")
	}
}

func TestSealer(t *testing.T) {
	s, err := newSealer([]byte(strings.Repeat("a", 32)))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newSealer([]byte(strings.Repeat("b", 32)))
	v, err := s.seal(flowCookie, flow{State: "st"})
	if err != nil {
		t.Fatal(err)
	}
	var f flow
	if err := s.open(flowCookie, v, &f); err != nil || f.State != "st" {
		t.Fatalf("open: %v %+v", err, f)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(v)
	raw[len(raw)-1] ^= 1
	for name, c := range map[string]struct {
		s          *sealer
		name, text string
	}{
		"tampered":     {s, flowCookie, base64.RawURLEncoding.EncodeToString(raw)},
		"other key":    {other, flowCookie, v},
		"other cookie": {s, csrfCookie, v},
		"garbage":      {s, flowCookie, "!!"},
	} {
		if err := c.s.open(c.name, c.text, &f); err != errBadCookie {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := newSealer([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
}
