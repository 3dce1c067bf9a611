package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"net/http"

	"github.com/sesame-s3/sesame/internal/login"
)

// openLogin makes the login page's handler (nil with --login-path off):
// a "Sign in with" button for each configured OpenID provider, sign-in
// with access keys for IAM users, and the providers document of `sesame
// login`. Its cookie key is derived from the root credentials, which
// every node of a site shares, so a sign-in started on one node ends on
// any. It trades tokens and keys at this server's own handler.
func (s *Server) openLogin(client *http.Client) (*login.Handler, error) {
	if s.cfg.LoginPath == "off" {
		return nil, nil
	}
	mac := hmac.New(sha256.New, []byte(s.cfg.RootPassword))
	mac.Write([]byte("sesame login cookie key\x00" + s.cfg.RootUser))
	arns := s.oidc.RoleARNs()
	var providers []login.Provider
	for _, p := range s.cfg.OpenID {
		providers = append(providers, login.Provider{ProviderConfig: p, RoleARN: arns[p.Name]})
	}
	return login.New(login.Options{
		Prefix: s.cfg.LoginPath, Providers: providers, Region: s.cfg.Region, Key: mac.Sum(nil),
		HTTPClient: client, Logger: s.log,
		Server: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }),
	})
}

// LoginPath is the login page's path ("" with --login-path off), for the
// banner.
func (s *Server) LoginPath() string {
	if s.cfg.LoginPath == "off" {
		return ""
	}
	if s.cfg.LoginPath == "" {
		return login.DefaultPrefix + "/"
	}
	return s.cfg.LoginPath + "/"
}
