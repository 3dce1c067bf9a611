package e2e

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/login"
	"github.com/sesame-s3/sesame/internal/oidc"
	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
)

// loginClientID is the login client of the test IdP, and the server's
// MINIO_IDENTITY_OPENID_CLIENT_ID in the login tests.
const loginClientID = "sesame-login"

// loginIdP starts an OpenID provider with user alice (password
// "alice-pw", policy readwrite) and a public login client whose redirect
// URIs are the login page's callback and `sesame login`'s loopback one,
// on any port. autoLogin signs alice in with no form.
func loginIdP(t testing.TB, autoLogin bool) *oidctest.Provider {
	t.Helper()
	opts := oidctest.Options{}
	if autoLogin {
		opts.AutoLogin = "alice"
	}
	idp := oidctest.NewProvider(t, opts)
	idp.AddUser(oidctest.User{Name: "alice", Password: "alice-pw", Claims: map[string]any{"policy": "readwrite", "email": "alice@example.com"}})
	idp.AddLoginClient(oidctest.LoginClient{ID: loginClientID, RedirectURIs: []string{
		"http://127.0.0.1" + login.DefaultPrefix + "/callback", "http://127.0.0.1/callback"}})
	return idp
}

// startLoginServer starts a server whose claim-based OpenID provider is
// idp's login client, displayed as "Test IdP".
func startLoginServer(t testing.TB, idp *oidctest.Provider, edit func(*config.Config)) endpoint {
	t.Helper()
	env := map[string]string{
		"MINIO_IDENTITY_OPENID_CONFIG_URL":   idp.ConfigURL(),
		"MINIO_IDENTITY_OPENID_CLIENT_ID":    loginClientID,
		"MINIO_IDENTITY_OPENID_DISPLAY_NAME": "Test IdP",
	}
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cfgs, err := oidc.ConfigFromEnv(func(k string) string { return env[k] }, environ)
	if err != nil {
		t.Fatal(err)
	}
	return startServer(t, func(c *config.Config) {
		c.OpenID = cfgs
		if edit != nil {
			edit(c)
		}
	})
}

// browser is an HTTP client with a cookie jar that stops at redirects to
// stopHost (none: follow all).
func browser(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

type page struct {
	status int
	header http.Header
	body   string
	url    *url.URL
}

func get(t testing.TB, c *http.Client, u string) page {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

func postForm(t testing.TB, c *http.Client, u string, form url.Values, header http.Header) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return readPage(t, resp)
}

func readPage(t testing.TB, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(b), url: resp.Request.URL}
}

var (
	csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	codeRe = func(id string) *regexp.Regexp { return regexp.MustCompile(`id="` + id + `"[^>]*>([^<]+)<`) }
)

func pageValue(t testing.TB, p page, id string) string {
	t.Helper()
	m := codeRe(id).FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no #%s in page (%d):\n%s", id, p.status, p.body)
	}
	return html.UnescapeString(m[1])
}

// checkPageHeaders fails unless p carries the page's security headers.
func checkPageHeaders(t testing.TB, p page) {
	t.Helper()
	csp := p.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", p.url.Path, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: CSP %q allows inline code", p.url.Path, csp)
	}
	for k, v := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := p.header.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", p.url.Path, k, got, v)
		}
	}
	if strings.Contains(p.body, "<script>") || regexp.MustCompile(`\son[a-z]+=`).MatchString(p.body) || strings.Contains(p.body, "style=") {
		t.Errorf("%s: inline script, handler or style in the page", p.url.Path)
	}
}

// TestLogin_Page drives the login page with an HTTP client holding
// cookies, as a browser would: the sign-in with the IdP, the sign-in with
// access keys, and the refusals (tampered state, no CSRF token, a
// cross-site post, a spent flow).
func TestLogin_Page(t *testing.T) {
	t.Parallel()
	idp := loginIdP(t, true)
	ep := startLoginServer(t, idp, nil)
	prefix := ep.URL + login.DefaultPrefix
	ctx := context.Background()
	bucket := newBucket(t, ep)

	signIn := func(t *testing.T, c *http.Client) page {
		index := get(t, c, prefix+"/")
		if index.status != http.StatusOK || !strings.Contains(index.body, "Sign in with Test IdP") {
			t.Fatalf("index: %d\n%s", index.status, index.body)
		}
		checkPageHeaders(t, index)
		if !strings.Contains(index.header.Get("Content-Security-Policy"), idp.Issuer()) {
			t.Errorf("CSP form-action does not name the IdP %s: %s", idp.Issuer(), index.header.Get("Content-Security-Policy"))
		}
		csrf := csrfRe.FindStringSubmatch(index.body)[1]
		return postForm(t, c, prefix+"/start", url.Values{"csrf": {csrf}, "provider": {"openid"}}, nil)
	}

	t.Run("sign in with the IdP", func(t *testing.T) {
		c := browser(t)
		res := signIn(t, c)
		if res.status != http.StatusOK || res.url.Path != login.DefaultPrefix+"/callback" {
			t.Fatalf("after sign-in: %d at %s\n%s", res.status, res.url, res.body)
		}
		checkPageHeaders(t, res)
		ak, sk, tok := pageValue(t, res, "access-key"), pageValue(t, res, "secret-key"), pageValue(t, res, "session-token")
		if arn := pageValue(t, res, "arn"); arn != "arn:aws:sts::000000000000:assumed-role/openid/alice" {
			t.Errorf("ARN %q", arn)
		}
		if !strings.Contains(res.body, "<li>"+bucket+"</li>") {
			t.Errorf("the page does not list bucket %s:\n%s", bucket, res.body)
		}
		for _, id := range []string{"export", "aws-credentials", "mc", "countdown"} {
			pageValue(t, res, id)
		}
		if !strings.Contains(pageValue(t, res, "export"), "export AWS_SESSION_TOKEN="+tok) {
			t.Error("the export lines lack the session token")
		}
		// The credentials work.
		sdk := s3WithCreds(ep, credentials.NewStaticCredentialsProvider(ak, sk, tok))
		sdkRoundTrip(t, sdk, bucket, "from-login-page.txt", []byte("hello"))
		// PKCE S256, state and nonce went to the IdP.
		reqs := idp.AuthRequests()
		last := reqs[len(reqs)-1]
		if last.CodeChallengeMethod != "S256" || len(last.CodeChallenge) != 43 || len(last.State) < 32 || len(last.Nonce) < 32 {
			t.Errorf("authorization request %+v: want PKCE S256, state and nonce", last)
		}
		// The flow cookie is spent: replaying the callback fails.
		replay := get(t, c, ep.URL+login.DefaultPrefix+"/callback?code=x&state="+url.QueryEscape(last.State))
		if replay.status != http.StatusBadRequest || strings.Contains(replay.body, "access-key") {
			t.Errorf("replayed callback: %d", replay.status)
		}
	})

	t.Run("tampered state", func(t *testing.T) {
		c := browser(t)
		// Stop at the redirect to the callback and change its state.
		c.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
			if r.URL.Path == login.DefaultPrefix+"/callback" {
				return http.ErrUseLastResponse
			}
			return nil
		}
		res := signIn(t, c)
		loc, err := url.Parse(res.header.Get("Location"))
		if res.status != http.StatusFound || err != nil {
			t.Fatalf("IdP answer: %d %v", res.status, loc)
		}
		q := loc.Query()
		q.Set("state", q.Get("state")+"x")
		loc.RawQuery = q.Encode()
		bad := get(t, c, loc.String())
		if bad.status != http.StatusBadRequest || !strings.Contains(bad.body, "state mismatch") || strings.Contains(bad.body, "access-key") {
			t.Errorf("tampered state: %d\n%s", bad.status, bad.body)
		}
		checkPageHeaders(t, bad)
	})

	t.Run("no CSRF token", func(t *testing.T) {
		c := browser(t)
		get(t, c, prefix+"/")
		res := postForm(t, c, prefix+"/start", url.Values{"provider": {"openid"}}, nil)
		if res.status != http.StatusForbidden || len(idp.AuthRequests()) > 0 && res.url.Host != strings.TrimPrefix(ep.URL, "http://") {
			t.Errorf("start without CSRF token: %d at %s", res.status, res.url)
		}
		// Another browser's token.
		other := browser(t)
		csrf := csrfRe.FindStringSubmatch(get(t, other, prefix+"/").body)[1]
		if res := postForm(t, c, prefix+"/keys", url.Values{"csrf": {csrf}, "access_key": {rootUser}, "secret_key": {rootPassword}}, nil); res.status != http.StatusForbidden {
			t.Errorf("keys with another browser's CSRF token: %d", res.status)
		}
	})

	t.Run("cross-site post", func(t *testing.T) {
		c := browser(t)
		csrf := csrfRe.FindStringSubmatch(get(t, c, prefix+"/").body)[1]
		form := url.Values{"csrf": {csrf}, "access_key": {rootUser}, "secret_key": {rootPassword}}
		for _, h := range []http.Header{{"Origin": {"https://evil.example"}}, {"Sec-Fetch-Site": {"cross-site"}}} {
			if res := postForm(t, c, prefix+"/keys", form, h); res.status != http.StatusForbidden {
				t.Errorf("post with %v: %d", h, res.status)
			}
		}
	})

	t.Run("sign in with access keys", func(t *testing.T) {
		admin := iamClient(ep)
		if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
			t.Fatal(err)
		}
		key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("bob"), PolicyArn: aws.String("arn:aws:iam::aws:policy/readonly")}); err != nil {
			t.Fatal(err)
		}
		c := browser(t)
		csrf := csrfRe.FindStringSubmatch(get(t, c, prefix+"/").body)[1]
		wrong := postForm(t, c, prefix+"/keys", url.Values{"csrf": {csrf}, "access_key": {aws.ToString(key.AccessKey.AccessKeyId)}, "secret_key": {"wrong-secret-key"}}, nil)
		if wrong.status != http.StatusForbidden || !strings.Contains(wrong.body, "Wrong access key or secret key") {
			t.Errorf("wrong secret: %d\n%s", wrong.status, wrong.body)
		}
		res := postForm(t, c, prefix+"/keys", url.Values{"csrf": {csrf}, "access_key": {aws.ToString(key.AccessKey.AccessKeyId)},
			"secret_key": {aws.ToString(key.AccessKey.SecretAccessKey)}}, nil)
		if res.status != http.StatusOK {
			t.Fatalf("keys: %d\n%s", res.status, res.body)
		}
		checkPageHeaders(t, res)
		if strings.Contains(res.body, aws.ToString(key.AccessKey.SecretAccessKey)) {
			t.Error("the page shows the long-term secret key")
		}
		sdk := s3WithCreds(ep, credentials.NewStaticCredentialsProvider(pageValue(t, res, "access-key"), pageValue(t, res, "secret-key"), pageValue(t, res, "session-token")))
		putObject(t, sdkClient(ep), bucket, "for-bob.txt", []byte("hi bob"))
		if got := getObject(t, sdk, bucket, "for-bob.txt"); string(got) != "hi bob" {
			t.Errorf("bob reads %q", got)
		}
		_, err = sdk.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("x"), Body: strings.NewReader("x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("providers document", func(t *testing.T) {
		res := get(t, http.DefaultClient, prefix+login.ProvidersPath)
		if res.status != http.StatusOK || !strings.Contains(res.body, `"clientId":"`+loginClientID+`"`) || !strings.Contains(res.body, idp.ConfigURL()) {
			t.Errorf("providers: %d %s", res.status, res.body)
		}
		if strings.Contains(strings.ToLower(res.body), "secret") {
			t.Errorf("providers document names a secret: %s", res.body)
		}
	})

	t.Run("static files", func(t *testing.T) {
		js := get(t, http.DefaultClient, prefix+"/static/login.js")
		if js.status != http.StatusOK || !strings.HasPrefix(js.header.Get("Content-Type"), "text/javascript") {
			t.Errorf("login.js: %d %s", js.status, js.header.Get("Content-Type"))
		}
		if res := get(t, http.DefaultClient, prefix+"/static/../login.go"); res.status != http.StatusNotFound {
			t.Errorf("path traversal: %d", res.status)
		}
	})
}
