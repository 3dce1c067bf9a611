package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The provider's pages for people: op redirects an authorization request
// to loginPath (Client.LoginURL); the device authorization response
// points at devicePath.
const (
	loginPath    = "/login"
	devicePath   = "/device"
	callbackPath = "/authorize/callback" // op's, after a login: ?id=
)

// User is a person who can sign in: Name and Password at the login form,
// and the claims of their ID tokens (e.g. "policy": "readwrite"). The
// ID token's sub is Claims["sub"] when it is a string, else Name.
type User struct {
	Name, Password string
	Claims         map[string]any
}

func (u *User) subject() string {
	if s, ok := u.Claims["sub"].(string); ok && s != "" {
		return s
	}
	return u.Name
}

// LoginClient is a client for people's sign-in: a native application
// (RFC 8252) that may use any port of a loopback redirect URI it
// registers (http://127.0.0.1/callback), public when Secret is empty.
type LoginClient struct {
	ID, Secret   string
	RedirectURIs []string
	// IDTokenLifetime is how long its ID tokens last (default one hour).
	IDTokenLifetime time.Duration
}

// AuthRequestInfo is what a client sent to the authorization endpoint.
type AuthRequestInfo struct {
	ClientID, RedirectURI, State, Nonce string
	CodeChallenge, CodeChallengeMethod  string
	Scopes                              []string
}

// AddUser registers a person who can sign in.
func (p *Provider) AddUser(u User) {
	l := &p.store.login
	l.mu.Lock()
	defer l.mu.Unlock()
	u.Claims = maps.Clone(u.Claims)
	l.users[u.Name] = &u
}

// AddLoginClient registers a client for the authorization code flow with
// PKCE, refresh tokens and the device authorization grant.
func (p *Provider) AddLoginClient(c LoginClient) {
	if c.IDTokenLifetime <= 0 {
		c.IDTokenLifetime = time.Hour
	}
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	p.store.clients[c.ID] = &client{id: c.ID, secret: c.Secret, login: true,
		redirects: slices.Clone(c.RedirectURIs), lifetime: c.IDTokenLifetime}
}

// AuthRequests returns what clients sent to the authorization endpoint so
// far, oldest first.
func (p *Provider) AuthRequests() []AuthRequestInfo {
	l := &p.store.login
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.log)
}

// RefreshGrants counts the refresh token grants the provider honoured.
func (p *Provider) RefreshGrants() int {
	l := &p.store.login
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.refreshUses
}

// RevokeRefreshTokens forgets every refresh token issued so far, as an
// IdP does when a session ends.
func (p *Provider) RevokeRefreshTokens() {
	l := &p.store.login
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.refresh)
}

// ApproveDevice signs user in for the device authorization with
// userCode, as the device page does.
func (p *Provider) ApproveDevice(userCode, user string) error {
	return p.store.login.decideDevice(userCode, user, true)
}

// loginStore holds the users and the state of the login flows.
type loginStore struct {
	mu          sync.Mutex
	autoLogin   string
	users       map[string]*User
	requests    map[string]*authRequest // by id
	codes       map[string]string       // authorization code -> request id
	refresh     map[string]*refreshGrant
	devices     map[string]*deviceAuth // by device code
	userCodes   map[string]string      // user code -> device code
	log         []AuthRequestInfo
	refreshUses int
}

func newLoginStore() loginStore {
	return loginStore{
		users: map[string]*User{}, requests: map[string]*authRequest{}, codes: map[string]string{},
		refresh: map[string]*refreshGrant{}, devices: map[string]*deviceAuth{}, userCodes: map[string]string{},
	}
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// authRequest is an authorization request, op.AuthRequest.
type authRequest struct {
	id, clientID, redirectURI, state, nonce string
	scopes                                  []string
	responseType                            oidc.ResponseType
	responseMode                            oidc.ResponseMode
	challenge                               *oidc.CodeChallenge
	subject                                 string
	authTime                                time.Time
	done                                    bool
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

// refreshGrant is what a refresh token stands for, op.RefreshTokenRequest.
type refreshGrant struct {
	subject, clientID string
	scopes, audience  []string
	authTime          time.Time
}

func (g *refreshGrant) GetAMR() []string                 { return []string{"pwd"} }
func (g *refreshGrant) GetAudience() []string            { return g.audience }
func (g *refreshGrant) GetAuthTime() time.Time           { return g.authTime }
func (g *refreshGrant) GetClientID() string              { return g.clientID }
func (g *refreshGrant) GetScopes() []string              { return g.scopes }
func (g *refreshGrant) GetSubject() string               { return g.subject }
func (g *refreshGrant) SetCurrentScopes(scopes []string) { g.scopes = scopes }

// deviceAuth is a device authorization in progress.
type deviceAuth struct {
	state    op.DeviceAuthorizationState
	userCode string
}

var errNotFound = errors.New("oidctest: not found")

var (
	_ op.DeviceAuthorizationStorage = (*storage)(nil)
	_ op.CanSetUserinfoFromRequest  = (*storage)(nil)
)

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	a := &authRequest{
		id: randomID(), clientID: req.ClientID, redirectURI: req.RedirectURI, state: req.State, nonce: req.Nonce,
		scopes: slices.Clone(req.Scopes), responseType: req.ResponseType, responseMode: req.ResponseMode,
	}
	if req.CodeChallenge != "" {
		a.challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests[a.id] = a
	l.log = append(l.log, AuthRequestInfo{ClientID: req.ClientID, RedirectURI: req.RedirectURI, State: req.State, Nonce: req.Nonce,
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod), Scopes: slices.Clone(req.Scopes)})
	return a, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	if a := l.requests[id]; a != nil {
		return a, nil
	}
	return nil, errNotFound
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	if a := l.requests[l.codes[code]]; a != nil {
		return a, nil
	}
	return nil, errNotFound
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	l.codes[code] = id
	return nil
}

// DeleteAuthRequest forgets the request and its code: a code is good for
// one token request.
func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.requests, id)
	for code, rid := range l.codes {
		if rid == id {
			delete(l.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	id, exp, err := s.CreateAccessToken(ctx, req)
	if err != nil {
		return "", "", time.Time{}, err
	}
	g := &refreshGrant{subject: req.GetSubject(), scopes: slices.Clone(req.GetScopes()), audience: slices.Clone(req.GetAudience()), authTime: time.Now()}
	if r, ok := req.(interface{ GetClientID() string }); ok {
		g.clientID = r.GetClientID()
	}
	if r, ok := req.(interface{ GetAuthTime() time.Time }); ok {
		g.authTime = r.GetAuthTime()
	}
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	if current != "" {
		delete(l.refresh, current) // rotation: the old token is spent
	}
	token := "rt-" + randomID()
	l.refresh[token] = g
	return id, token, exp, nil
}

func (s *storage) TokenRequestByRefreshToken(_ context.Context, token string) (op.RefreshTokenRequest, error) {
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.refresh[token]
	if g == nil {
		return nil, op.ErrInvalidRefreshToken
	}
	l.refreshUses++
	c := *g
	return &c, nil
}

func (s *storage) GetRefreshTokenInfo(_ context.Context, _ string, token string) (string, string, error) {
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	if g := l.refresh[token]; g != nil {
		return g.subject, token, nil
	}
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) RevokeToken(_ context.Context, token, _, _ string) *oidc.Error {
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.refresh, token)
	return nil
}

// SetUserinfoFromRequest puts the signed-in user's claims into the ID
// token.
func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, _ []string) error {
	info.Subject = req.GetSubject() // the ID token takes its sub from here
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, u := range l.users {
		if u.subject() == req.GetSubject() {
			info.PreferredUsername = u.Name
			for k, v := range u.Claims {
				if k != "sub" {
					info.AppendClaims(k, v)
				}
			}
		}
	}
	return nil
}

func (s *storage) StoreDeviceAuthorization(_ context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, dup := l.userCodes[userCode]; dup {
		return op.ErrDuplicateUserCode
	}
	l.devices[deviceCode] = &deviceAuth{userCode: userCode, state: op.DeviceAuthorizationState{
		ClientID: clientID, Scopes: slices.Clone(scopes), Expires: expires,
	}}
	l.userCodes[userCode] = deviceCode
	return nil
}

func (s *storage) GetDeviceAuthorizatonState(_ context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	l := &s.login
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.devices[deviceCode]
	if d == nil || d.state.ClientID != clientID {
		return nil, errNotFound
	}
	st := d.state
	if st.Done || st.Denied {
		// A device code is good for one token.
		delete(l.devices, deviceCode)
		delete(l.userCodes, d.userCode)
	}
	return &st, nil
}

// decideDevice approves (as user) or denies the device authorization of
// userCode.
func (l *loginStore) decideDevice(userCode, user string, approve bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	d := l.devices[l.userCodes[strings.ToUpper(strings.TrimSpace(userCode))]]
	if d == nil {
		return errors.New("oidctest: unknown user code")
	}
	if !approve {
		d.state.Denied = true
		return nil
	}
	u := l.users[user]
	if u == nil {
		return errors.New("oidctest: unknown user " + user)
	}
	d.state.Done, d.state.Subject, d.state.AuthTime, d.state.AMR = true, u.subject(), time.Now(), []string{"pwd"}
	return nil
}

// checkUser returns the user whose name and password these are.
func (l *loginStore) checkUser(name, password string) *User {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.users[name]
	if u == nil || subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) != 1 {
		return nil
	}
	return u
}

// completeLogin marks the authorization request id signed in as u.
func (l *loginStore) completeLogin(id string, u *User) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.requests[id]
	if a == nil {
		return false
	}
	a.subject, a.authTime, a.done = u.subject(), time.Now(), true
	return true
}

// loginHandler serves the login and device pages, and op the rest.
func (p *Provider) loginHandler(o *op.Provider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case loginPath:
			p.serveLogin(w, r, o)
		case devicePath:
			p.serveDevice(w, r)
		default:
			o.ServeHTTP(w, r)
		}
	})
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Test IdP: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Test IdP</h1>
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
{{if .Form}}<form method="post" action="{{.Action}}">
<input type="hidden" name="id" value="{{.ID}}">
{{if .Device}}<label>Code <input name="user_code" id="user_code" value="{{.UserCode}}"></label>{{end}}
<label>User name <input name="username" id="username" autocomplete="username"></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
<button type="submit" name="action" value="approve" id="approve">Sign in</button>
<button type="submit" name="action" value="deny" id="deny">Deny</button>
</form>{{end}}
</body></html>`))

type page struct {
	Message, Action, ID, UserCode string
	Form, Device                  bool
}

func renderPage(w http.ResponseWriter, status int, pg page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, pg)
}

// serveLogin is the login page of an authorization request: a form, or
// with AutoLogin an immediate sign-in; Deny answers the client with
// access_denied.
func (p *Provider) serveLogin(w http.ResponseWriter, r *http.Request, o *op.Provider) {
	l := &p.store.login
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := r.Form.Get("id")
	req, err := p.store.AuthRequestByID(r.Context(), id)
	if err != nil {
		http.Error(w, "unknown authorization request", http.StatusBadRequest)
		return
	}
	callback := p.issuer + callbackPath + "?id=" + url.QueryEscape(id)
	var user *User
	switch {
	case r.Method == http.MethodGet && l.autoLogin != "":
		l.mu.Lock()
		user = l.users[l.autoLogin]
		l.mu.Unlock()
		if user == nil {
			http.Error(w, "AutoLogin names no user", http.StatusInternalServerError)
			return
		}
	case r.Method == http.MethodGet:
		renderPage(w, http.StatusOK, page{Form: true, Action: loginPath, ID: id})
		return
	case r.Method == http.MethodPost && r.PostForm.Get("action") == "deny":
		op.AuthRequestError(w, r, req, oidc.ErrAccessDenied().WithDescription("the user denied the sign-in"), o)
		return
	case r.Method == http.MethodPost:
		if user = l.checkUser(r.PostForm.Get("username"), r.PostForm.Get("password")); user == nil {
			renderPage(w, http.StatusUnauthorized, page{Message: "Wrong user name or password.", Form: true, Action: loginPath, ID: id})
			return
		}
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	l.completeLogin(id, user)
	http.Redirect(w, r, callback, http.StatusFound)
}

// serveDevice is the device page: ?user_code= prefills the form, or with
// AutoLogin approves at once.
func (p *Provider) serveDevice(w http.ResponseWriter, r *http.Request) {
	l := &p.store.login
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	code := r.Form.Get("user_code")
	switch {
	case r.Method == http.MethodGet && l.autoLogin != "" && code != "":
		if err := l.decideDevice(code, l.autoLogin, true); err != nil {
			renderPage(w, http.StatusBadRequest, page{Message: err.Error()})
			return
		}
		renderPage(w, http.StatusOK, page{Message: "Device approved."})
	case r.Method == http.MethodGet:
		renderPage(w, http.StatusOK, page{Form: true, Device: true, Action: devicePath, UserCode: code})
	case r.Method == http.MethodPost && r.PostForm.Get("action") == "deny":
		if err := l.decideDevice(code, "", false); err != nil {
			renderPage(w, http.StatusBadRequest, page{Message: err.Error()})
			return
		}
		renderPage(w, http.StatusOK, page{Message: "Device denied."})
	case r.Method == http.MethodPost:
		u := l.checkUser(r.PostForm.Get("username"), r.PostForm.Get("password"))
		if u == nil {
			renderPage(w, http.StatusUnauthorized, page{Message: "Wrong user name or password.", Form: true, Device: true, Action: devicePath, UserCode: code})
			return
		}
		if err := l.decideDevice(code, u.Name, true); err != nil {
			renderPage(w, http.StatusBadRequest, page{Message: err.Error()})
			return
		}
		renderPage(w, http.StatusOK, page{Message: "Device approved."})
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}
