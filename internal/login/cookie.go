package login

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// The login page's cookies, both scoped to its path and HttpOnly, Secure
// over TLS.
const (
	// flowCookie holds one sign-in in progress, sealed (AES-GCM): the
	// provider, state, nonce and PKCE verifier, for ten minutes.
	flowCookie = "sesame_login_flow"
	// csrfCookie is a random value the forms' CSRF token is bound to.
	csrfCookie = "sesame_login_csrf"
	flowMaxAge = 10 * time.Minute
)

// flow is a sign-in in progress, as the flow cookie holds it.
type flow struct {
	Provider    string    `json:"p"`
	State       string    `json:"s"`
	Nonce       string    `json:"n"`
	Verifier    string    `json:"v"`
	RedirectURI string    `json:"r"`
	Expires     time.Time `json:"e"`
}

// errBadCookie is returned for a cookie that is absent, tampered with,
// sealed by another key or expired.
var errBadCookie = errors.New("the sign-in cookie is missing, expired or not this server's")

// sealer seals and opens cookie values and makes CSRF tokens; its key is
// derived from the server's secret, so every node of a site agrees.
type sealer struct {
	aead cipher.AEAD
	mac  []byte
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) < 32 {
		return nil, errors.New("login: the cookie key must be at least 32 bytes")
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("sesame login " + label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("seal"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead, mac: derive("csrf")}, nil
}

func (s *sealer) seal(name string, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(name))), nil
}

func (s *sealer) open(name, value string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return errBadCookie
	}
	plain, err := s.aead.Open(nil, raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():], []byte(name))
	if err != nil {
		return errBadCookie
	}
	if json.Unmarshal(plain, v) != nil {
		return errBadCookie
	}
	return nil
}

// csrfToken is the forms' token for the browser's CSRF cookie value.
func (s *sealer) csrfToken(cookie string) string {
	m := hmac.New(sha256.New, s.mac)
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF reports whether the POSTed token belongs to the browser's
// CSRF cookie.
func (s *sealer) checkCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 20 {
		return false
	}
	want := s.csrfToken(c.Value)
	return subtle.ConstantTimeCompare([]byte(want), []byte(r.PostFormValue("csrf"))) == 1
}

// setCookie sets a cookie of the login page: path-scoped, HttpOnly,
// Secure over TLS.
func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration, sameSite http.SameSite) {
	c := &http.Cookie{Name: name, Value: value, Path: h.prefix + "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: sameSite}
	if maxAge < 0 {
		c.MaxAge, c.Value = -1, ""
	} else if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	}
	http.SetCookie(w, c)
}

// csrfFor returns the CSRF token for r's browser, giving it a CSRF
// cookie first when it has none.
func (h *Handler) csrfFor(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 20 {
		return h.seal.csrfToken(c.Value)
	}
	v := randomString(32)
	h.setCookie(w, r, csrfCookie, v, 0, http.SameSiteStrictMode)
	return h.seal.csrfToken(v)
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
