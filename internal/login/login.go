package login

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sesame-s3/sesame/internal/oauth"
	"github.com/sesame-s3/sesame/internal/oidc"
)

// DefaultPrefix is where the login page lives unless the operator says
// otherwise (--login-path): under /minio/, which MinIO reserves, so that
// no bucket is shadowed.
const DefaultPrefix = "/minio/sesame/login"

// ProvidersPath is the discovery endpoint of `sesame login`, below the
// prefix: GET it for a ProvidersDoc.
const ProvidersPath = "/providers"

//go:embed static templates
var files embed.FS

var pages = template.Must(template.ParseFS(files, "templates/*.html"))

// Provider is one OpenID provider people can sign in with.
type Provider struct {
	oidc.ProviderConfig
	// RoleARN is the role ARN of a role-policy provider, sent as RoleArn
	// so that STS picks this provider; "" for the claim-based one.
	RoleARN string
}

// name is the provider's name in URLs and for `sesame login --provider`:
// "openid" for the un-suffixed provider, as in its role ARNs.
func (p Provider) name() string {
	if p.Name == "" {
		return "openid"
	}
	return strings.ToLower(p.Name)
}

func (p Provider) displayName() string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.name()
}

// scopes are the configured scopes (MINIO_IDENTITY_OPENID_SCOPES), openid
// always among them.
func (p Provider) scopes() []string {
	s := slices.Clone(p.Scopes)
	if !slices.Contains(s, "openid") {
		s = append([]string{"openid"}, s...)
	}
	return s
}

// Options configure a Handler.
type Options struct {
	// Prefix is the path the page lives under (default DefaultPrefix).
	Prefix string
	// Providers are the OpenID providers offered; those without a
	// discovery URL (a bare MINIO_IAM_JWKS_URL) are left out.
	Providers []Provider
	// Server is the server's own handler: the page trades tokens and keys
	// at its STS API, and lists buckets at its S3 API, in-process.
	Server http.Handler
	// Region is the server's region, for signing.
	Region string
	// Key, at least 32 bytes, seals the flow cookie and keys the CSRF
	// tokens; every node of a site must have the same.
	Key []byte
	// HTTPClient reaches the identity providers.
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
}

// Handler serves the login page, its flows and the providers document.
type Handler struct {
	prefix    string
	providers []Provider
	server    http.Handler
	region    string
	seal      *sealer
	hc        *http.Client
	log       *slog.Logger
	now       func() time.Time

	mu   sync.Mutex
	meta map[string]oauth.Metadata // by provider name, once discovered
}

// New returns the login page's handler.
func New(opts Options) (*Handler, error) {
	s, err := newSealer(opts.Key)
	if err != nil {
		return nil, err
	}
	h := &Handler{prefix: strings.TrimRight(opts.Prefix, "/"), server: opts.Server, region: opts.Region, seal: s,
		hc: opts.HTTPClient, log: opts.Logger, now: opts.Now, meta: map[string]oauth.Metadata{}}
	if h.prefix == "" {
		h.prefix = DefaultPrefix
	}
	if h.hc == nil {
		h.hc = &http.Client{Timeout: 10 * time.Second}
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	for _, p := range opts.Providers {
		if p.ConfigURL != "" {
			h.providers = append(h.providers, p)
		}
	}
	return h, nil
}

// Prefix is the path the page lives under.
func (h *Handler) Prefix() string { return h.prefix }

// Handles reports whether path is the handler's: below its prefix, or the
// providers document at its default place, where `sesame login` looks.
func (h *Handler) Handles(path string) bool {
	return path == h.prefix || strings.HasPrefix(path, h.prefix+"/") || path == DefaultPrefix+ProvidersPath
}

// ServeHTTP routes the page's paths below the prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, h.prefix)
	switch {
	case rest == ProvidersPath, r.URL.Path == DefaultPrefix+ProvidersPath:
		h.serveProviders(w, r)
	case strings.HasPrefix(rest, "/static/"):
		h.serveStatic(w, r, strings.TrimPrefix(rest, "/static/"))
	case rest == "" || rest == "/":
		if !allow(w, r, http.MethodGet, http.MethodHead) {
			return
		}
		h.serveIndex(w, r)
	case rest == "/start":
		if allow(w, r, http.MethodPost) {
			h.serveStart(w, r)
		}
	case rest == "/callback":
		if allow(w, r, http.MethodGet) {
			h.serveCallback(w, r)
		}
	case rest == "/keys":
		if allow(w, r, http.MethodPost) {
			h.serveKeys(w, r)
		}
	default:
		h.securityHeaders(w, nil)
		http.NotFound(w, r)
	}
}

func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	return false
}

// securityHeaders are on every answer of the page: nothing cached, no
// framing, no referrer, no inline script or style, forms posted only to
// the page itself and (for the redirect that follows /start) to the
// identity providers' authorization endpoints.
func (h *Handler) securityHeaders(w http.ResponseWriter, formTargets []string) {
	hd := w.Header()
	formAction := "'self'"
	for _, t := range formTargets {
		formAction += " " + t
	}
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'none'; "+
		"form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
}

func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request, name string) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	h.securityHeaders(w, nil)
	data, err := files.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(data)
}

// ProviderInfo describes a provider for `sesame login`.
type ProviderInfo struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"displayName"`
	ConfigURL   string   `json:"configUrl"`
	ClientID    string   `json:"clientId"`
	Scopes      []string `json:"scopes"`
	// RoleARN is the RoleArn to trade the provider's tokens with ("" for
	// the claim-based provider).
	RoleARN string `json:"roleArn,omitempty"`
}

// ProvidersDoc is the answer of the providers endpoint.
type ProvidersDoc struct {
	Providers []ProviderInfo `json:"providers"`
	// LoginPage is the path of the login page.
	LoginPage string `json:"loginPage"`
}

// serveProviders answers the unauthenticated providers document: what
// `sesame login` needs to sign people in, and nothing secret (no client
// secret).
func (h *Handler) serveProviders(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	doc := ProvidersDoc{Providers: []ProviderInfo{}, LoginPage: h.prefix + "/"}
	for _, p := range h.providers {
		doc.Providers = append(doc.Providers, ProviderInfo{Name: p.name(), DisplayName: p.displayName(), ConfigURL: p.ConfigURL,
			ClientID: p.ClientID, Scopes: p.scopes(), RoleARN: p.RoleARN})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	json.NewEncoder(w).Encode(doc)
}

// metadata returns the provider's discovered metadata, fetching it once.
func (h *Handler) metadata(ctx context.Context, p Provider) (oauth.Metadata, error) {
	h.mu.Lock()
	m, ok := h.meta[p.name()]
	h.mu.Unlock()
	if ok {
		return m, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m, err := oauth.Discover(ctx, h.hc, p.ConfigURL)
	if err != nil {
		return m, err
	}
	if m.AuthorizationEndpoint == "" {
		return m, errors.New("the provider has no authorization endpoint")
	}
	h.mu.Lock()
	h.meta[p.name()] = m
	h.mu.Unlock()
	return m, nil
}

// formTargets are the origins of the providers' authorization endpoints
// known so far, for the CSP's form-action.
func (h *Handler) formTargets(ctx context.Context) []string {
	var out []string
	for _, p := range h.providers {
		m, err := h.metadata(ctx, p)
		if err != nil {
			continue
		}
		if u, err := url.Parse(m.AuthorizationEndpoint); err == nil && u.Host != "" {
			if o := u.Scheme + "://" + u.Host; !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

type pageData struct {
	Title, Prefix, CSRF, Message string
	Providers                    []struct{ Name, DisplayName string }
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	data := pageData{Title: "Sign in", Prefix: h.prefix, CSRF: h.csrfFor(w, r)}
	for _, p := range h.providers {
		data.Providers = append(data.Providers, struct{ Name, DisplayName string }{p.name(), p.displayName()})
	}
	h.securityHeaders(w, h.formTargets(r.Context()))
	h.render(w, http.StatusOK, "index.html", data)
}

func (h *Handler) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
		h.log.Warn("login page: rendering failed", "page", name, "error", err)
	}
}

// fail answers with the error page; msg is shown to the person and must
// hold nothing secret.
func (h *Handler) fail(w http.ResponseWriter, status int, msg string) {
	h.securityHeaders(w, nil)
	h.render(w, status, "error.html", pageData{Title: "Sign-in failed", Prefix: h.prefix, Message: msg})
}

// checkPOST refuses a POST that is not the page's own: a CSRF token that
// does not belong to the browser's CSRF cookie, or a cross-site Origin or
// Sec-Fetch-Site.
func (h *Handler) checkPOST(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.fail(w, http.StatusBadRequest, "The form could not be read.")
		return false
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		h.fail(w, http.StatusForbidden, "Cross-site form posts are refused.")
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			h.fail(w, http.StatusForbidden, "Cross-site form posts are refused.")
			return false
		}
	}
	if !h.seal.checkCSRF(r) {
		h.fail(w, http.StatusForbidden, "The form has expired or was not sent by this page; reload the page and sign in again.")
		return false
	}
	return true
}

func (h *Handler) provider(name string) (Provider, bool) {
	for _, p := range h.providers {
		if p.name() == name {
			return p, true
		}
	}
	return Provider{}, false
}

// redirectURI is the callback URL: the provider's configured REDIRECT_URI,
// else this page's callback at the host the browser asked for.
func (h *Handler) redirectURI(r *http.Request, p Provider) string {
	if p.RedirectURI != "" {
		return p.RedirectURI
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + h.prefix + "/callback"
}

// serveStart begins the authorization code flow: fresh state, nonce and
// PKCE verifier, sealed into the flow cookie, and a redirect to the IdP.
func (h *Handler) serveStart(w http.ResponseWriter, r *http.Request) {
	if !h.checkPOST(w, r) {
		return
	}
	p, ok := h.provider(r.PostForm.Get("provider"))
	if !ok {
		h.fail(w, http.StatusBadRequest, "No such identity provider.")
		return
	}
	meta, err := h.metadata(r.Context(), p)
	if err != nil {
		h.log.Warn("login page: identity provider unreachable", "provider", p.name(), "error", err)
		h.fail(w, http.StatusBadGateway, "The identity provider cannot be reached; try again later.")
		return
	}
	f := flow{Provider: p.name(), State: oauth.RandomString(24), Nonce: oauth.RandomString(24), RedirectURI: h.redirectURI(r, p),
		Expires: h.now().Add(flowMaxAge)}
	pkce := oauth.NewPKCE()
	f.Verifier = pkce.Verifier
	c := oauth.Client{Meta: meta, ClientID: p.ClientID}
	target, err := c.AuthCodeURL(oauth.AuthRequest{RedirectURI: f.RedirectURI, State: f.State, Nonce: f.Nonce, Scopes: p.scopes(), PKCE: pkce})
	if err != nil {
		h.fail(w, http.StatusBadGateway, "The identity provider's authorization endpoint is unusable.")
		return
	}
	sealed, err := h.seal.seal(flowCookie, f)
	if err != nil {
		h.fail(w, http.StatusInternalServerError, "Internal error.")
		return
	}
	// Lax: the cookie must come back on the IdP's top-level redirect to
	// the callback, a cross-site navigation.
	h.setCookie(w, r, flowCookie, sealed, flowMaxAge, http.SameSiteLaxMode)
	h.securityHeaders(w, h.formTargets(r.Context()))
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// serveCallback ends the authorization code flow: the state must be the
// flow cookie's (which is then spent), the code is exchanged with the
// PKCE verifier, the ID token's nonce must be the cookie's, and STS
// trades the token for credentials.
func (h *Handler) serveCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var f flow
	c, err := r.Cookie(flowCookie)
	if err == nil {
		err = h.seal.open(flowCookie, c.Value, &f)
	}
	h.setCookie(w, r, flowCookie, "", -1, http.SameSiteLaxMode) // one use, whatever happens
	if err != nil || h.now().After(f.Expires) {
		h.fail(w, http.StatusBadRequest, "This sign-in was not started here, or took too long: sign in again.")
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		h.log.Warn("login page: callback with a state that is not the browser's; refused", "provider", f.Provider)
		h.fail(w, http.StatusBadRequest, "The sign-in answer does not belong to this browser's sign-in (state mismatch): sign in again.")
		return
	}
	if e := q.Get("error"); e != "" {
		msg := "The identity provider refused the sign-in"
		if e == "access_denied" {
			msg = "The sign-in was denied"
		}
		h.fail(w, http.StatusForbidden, msg+" ("+safeText(e)+").")
		return
	}
	p, ok := h.provider(f.Provider)
	if !ok {
		h.fail(w, http.StatusBadRequest, "No such identity provider.")
		return
	}
	meta, err := h.metadata(r.Context(), p)
	if err != nil {
		h.fail(w, http.StatusBadGateway, "The identity provider cannot be reached; try again later.")
		return
	}
	client := oauth.Client{Meta: meta, ClientID: p.ClientID, ClientSecret: p.ClientSecret, HTTP: h.hc}
	tokens, err := client.Exchange(r.Context(), q.Get("code"), f.RedirectURI, oauth.PKCE{Verifier: f.Verifier})
	if err != nil {
		h.log.Warn("login page: code exchange failed", "provider", p.name(), "error", err)
		h.fail(w, http.StatusBadGateway, "The identity provider did not accept the sign-in: "+safeText(err.Error()))
		return
	}
	claims, err := oauth.Claims(tokens.IDToken)
	nonce, _ := claims["nonce"].(string)
	if err != nil || subtle.ConstantTimeCompare([]byte(nonce), []byte(f.Nonce)) != 1 {
		h.log.Warn("login page: ID token with a nonce that is not the flow's; refused", "provider", p.name())
		h.fail(w, http.StatusBadRequest, "The identity provider's ID token does not belong to this sign-in (nonce mismatch).")
		return
	}
	ctx, cancel := innerContext(r.Context(), 30*time.Second)
	defer cancel()
	sts := h.stsClient(r)
	creds, err := sts.AssumeRoleWithWebIdentity(ctx, tokens.IDToken, p.RoleARN, "", 0)
	if err != nil {
		h.fail(w, http.StatusForbidden, "Sesame refused the identity provider's token: "+safeText(err.Error()))
		return
	}
	h.showCredentials(w, r, creds, p.displayName())
}

// serveKeys trades an IAM user's access keys for temporary credentials.
func (h *Handler) serveKeys(w http.ResponseWriter, r *http.Request) {
	if !h.checkPOST(w, r) {
		return
	}
	ak, sk := strings.TrimSpace(r.PostForm.Get("access_key")), r.PostForm.Get("secret_key")
	if ak == "" || sk == "" {
		h.fail(w, http.StatusBadRequest, "Enter an access key and a secret key.")
		return
	}
	ctx, cancel := innerContext(r.Context(), 30*time.Second)
	defer cancel()
	creds, err := h.stsClient(r).AssumeRole(ctx, aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}, 0)
	if err != nil {
		var se *STSError
		msg := "Sign-in with these keys failed."
		if errors.As(err, &se) && (se.Code == "InvalidClientTokenId" || se.Code == "SignatureDoesNotMatch" || se.Code == "InvalidAccessKeyId") {
			msg = "Wrong access key or secret key."
		} else if errors.As(err, &se) {
			msg = "Sign-in with these keys failed: " + safeText(se.Error())
		}
		h.fail(w, http.StatusForbidden, msg)
		return
	}
	h.showCredentials(w, r, creds, "")
}

func (h *Handler) stsClient(r *http.Request) *STSClient {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return &STSClient{Endpoint: scheme + "://" + r.Host, Region: h.region,
		HTTP: &http.Client{Transport: handlerTransport{h: h.server, outer: r}}}
}

// endpoint is the server's URL as the browser reaches it.
func endpoint(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type credentialsPage struct {
	pageData
	Creds                      Credentials
	Provider                   string
	ExpiresISO, Remaining      string
	Export, AWSCredentials, MC string
	Buckets                    []string
	BucketsErr                 string
}

// showCredentials renders the credentials, ready-made lines, and the
// buckets they can list. Nothing of it is logged.
func (h *Handler) showCredentials(w http.ResponseWriter, r *http.Request, c Credentials, provider string) {
	ep := endpoint(r)
	region := h.region
	if region == "" {
		region = "us-east-1"
	}
	data := credentialsPage{pageData: pageData{Title: "Temporary credentials", Prefix: h.prefix}, Creds: c, Provider: provider,
		ExpiresISO: c.Expiration.UTC().Format(time.RFC3339), Remaining: c.Expiration.Sub(h.now()).Round(time.Second).String()}
	data.Export = fmt.Sprintf("export AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_SESSION_TOKEN=%s\nexport AWS_ENDPOINT_URL=%s\nexport AWS_DEFAULT_REGION=%s",
		c.AccessKeyID, c.SecretAccessKey, c.SessionToken, ep, region)
	data.AWSCredentials = fmt.Sprintf("[sesame]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s",
		c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	if u, err := url.Parse(ep); err == nil {
		// mc takes a session token only from MC_HOST_<alias>.
		data.MC = fmt.Sprintf("export MC_HOST_sesame=%s://%s:%s:%s@%s", u.Scheme, c.AccessKeyID, url.PathEscape(c.SecretAccessKey), c.SessionToken, u.Host)
	}
	ctx, cancel := innerContext(r.Context(), 10*time.Second)
	defer cancel()
	buckets, err := h.stsClient(r).ListBuckets(ctx, c)
	if err != nil {
		var se *STSError
		if errors.As(err, &se) {
			data.BucketsErr = se.Code
		} else {
			data.BucketsErr = "error"
		}
	}
	data.Buckets = buckets
	h.securityHeaders(w, nil)
	h.render(w, http.StatusOK, "credentials.html", data)
}

// safeText keeps a message short and printable; html/template escapes it.
func safeText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
