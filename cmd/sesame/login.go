package main

// sesame login and sesame credentials: people at a terminal sign in with
// their identity provider (authorization code with PKCE through the
// system browser and a loopback redirect, RFC 8252; or the device
// authorization grant, RFC 8628), and the aws cli and SDKs get temporary
// credentials through credential_process. docs/LOGIN.md describes both.

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/login"
	"github.com/sesame-s3/sesame/internal/oauth"
)

const loginUsage = `Usage:
  sesame login --endpoint URL [--profile P] [--provider NAME] [--device] [--role-arn ARN]
               [--issuer URL --client-id ID] [--region R] [--duration D]
  sesame credentials --profile P [--endpoint URL]

'sesame login' signs you in with the server's identity provider (your
browser opens; with --device, or where no browser can open, you approve on
another device with a code), trades the ID token for temporary credentials
(STS AssumeRoleWithWebIdentity), and writes profile P into the aws cli's
config (AWS_CONFIG_FILE, default ~/.aws/config) with
  credential_process = sesame credentials --endpoint URL --profile P
so that 'aws s3 ls --profile P', boto3 and the AWS SDKs work with no keys
on disk. The providers come from the server (GET /minio/sesame/login/providers),
or from --issuer and --client-id.

'sesame credentials' prints the profile's credentials as credential_process
wants them, from its cache (~/.sesame/cache/P.json, 0600) until 5 minutes
before they expire, then refreshed with the identity provider's refresh
token; without one it fails and says to run 'sesame login' again.
`

// refreshBefore is how long before expiry cached credentials are renewed.
const refreshBefore = 5 * time.Minute

// loginTimeout bounds the wait for the person to sign in.
const loginTimeout = 10 * time.Minute

var profileName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// loginState is what `sesame login` keeps of a profile, and `sesame
// credentials` uses: ~/.sesame/cache/<profile>.json, mode 0600.
type loginState struct {
	Endpoint     string             `json:"endpoint"`
	Region       string             `json:"region"`
	Provider     login.ProviderInfo `json:"provider"`
	RoleARN      string             `json:"roleArn,omitempty"`
	SessionName  string             `json:"sessionName,omitempty"`
	Duration     time.Duration      `json:"duration,omitempty"`
	RefreshToken string             `json:"refreshToken,omitempty"`
	Credentials  *cachedCredentials `json:"credentials,omitempty"`
}

type cachedCredentials struct {
	AccessKeyID     string    `json:"accessKeyId"`
	SecretAccessKey string    `json:"secretAccessKey"`
	SessionToken    string    `json:"sessionToken"`
	Expiration      time.Time `json:"expiration"`
}

// sesameHome is ~/.sesame (SESAME_HOME overrides it).
func sesameHome(getenv func(string) string) (string, error) {
	if h := getenv("SESAME_HOME"); h != "" {
		return h, nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", errors.New("no home directory: set HOME or SESAME_HOME")
		}
	}
	return filepath.Join(home, ".sesame"), nil
}

func statePath(getenv func(string) string, profile string) (string, error) {
	home, err := sesameHome(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(home, "cache", profile+".json"), nil
}

func readState(path string) (*loginState, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st loginState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &st, nil
}

// writeState writes st to path, 0600 in a 0700 directory, atomically.
func writeState(path string, st *loginState) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func loginCmd(args []string, environ []string, stdout, stderr io.Writer) int {
	getenv := envMap(environ)
	fs := flag.NewFlagSet("sesame login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", defaultEndpoint, "`URL` of the Sesame server")
	profile := fs.String("profile", "sesame", "aws cli `profile` to write")
	providerName := fs.String("provider", "", "the server's identity provider to sign in with (default: its only one)")
	issuer := fs.String("issuer", "", "identity provider's issuer or discovery `URL`, instead of asking the server")
	clientID := fs.String("client-id", "", "public client `id` at the identity provider (with --issuer)")
	device := fs.Bool("device", false, "sign in on another device with a code (device authorization grant)")
	roleARN := fs.String("role-arn", "", "IAM role `ARN` to assume (AWS's path; default: the provider's claim-based path)")
	sessionName := fs.String("role-session-name", "", "session `name` with --role-arn (default: your user name)")
	region := fs.String("region", "us-east-1", "region of the profile")
	duration := fs.Duration("duration", 0, "lifetime of each set of credentials (default: until the ID token expires)")
	if code := parseLoginFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if !profileName.MatchString(*profile) {
		fmt.Fprintf(stderr, "sesame login: --profile %q: letters, digits, '.', '_' and '-' only\n", *profile)
		return 2
	}
	u, err := checkEndpoint(*endpoint)
	if err != nil {
		fmt.Fprintln(stderr, "sesame login:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
	defer cancel()
	hc := &http.Client{Timeout: 30 * time.Second}

	var p login.ProviderInfo
	if *issuer != "" {
		if *clientID == "" {
			fmt.Fprintln(stderr, "sesame login: --issuer needs --client-id")
			return 2
		}
		p = login.ProviderInfo{Name: "openid", ConfigURL: oauth.ConfigURL(*issuer), ClientID: *clientID, Scopes: []string{"openid"}}
	} else if p, err = serverProvider(ctx, hc, u.String(), *providerName); err != nil {
		fmt.Fprintln(stderr, "sesame login:", err)
		return 1
	}
	st := &loginState{Endpoint: u.String(), Region: *region, Provider: p, RoleARN: *roleARN, SessionName: *sessionName, Duration: *duration}
	if st.RoleARN == "" {
		st.RoleARN = p.RoleARN
	}
	meta, err := oauth.Discover(ctx, hc, p.ConfigURL)
	if err != nil {
		fmt.Fprintln(stderr, "sesame login:", err)
		return 1
	}
	scopes := slices.Clone(p.Scopes)
	if len(meta.ScopesSupported) == 0 || slices.Contains(meta.ScopesSupported, "offline_access") {
		scopes = append(scopes, "offline_access") // a refresh token for sesame credentials
	}
	client := &oauth.Client{Meta: meta, ClientID: p.ClientID, HTTP: hc}
	useDevice := *device || (!canOpenBrowser(getenv) && meta.DeviceAuthorizationEndpoint != "")
	var tokens oauth.Tokens
	var nonce string
	if useDevice {
		tokens, err = deviceLogin(ctx, client, scopes, stderr)
	} else {
		tokens, nonce, err = browserLogin(ctx, client, scopes, getenv, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sesame login:", err)
		return 1
	}
	if nonce != "" {
		claims, err := oauth.Claims(tokens.IDToken)
		got, _ := claims["nonce"].(string)
		if err != nil || subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
			fmt.Fprintln(stderr, "sesame login: the ID token does not belong to this sign-in (nonce mismatch)")
			return 1
		}
	}
	st.RefreshToken = tokens.RefreshToken
	if err := st.assume(ctx, hc, tokens.IDToken); err != nil {
		fmt.Fprintln(stderr, "sesame login:", err)
		return 1
	}
	path, err := statePath(getenv, *profile)
	if err == nil {
		err = writeState(path, st)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sesame login: saving the credentials:", err)
		return 1
	}
	cfgFile, err := writeAWSProfile(getenv, *profile, st)
	if err != nil {
		fmt.Fprintln(stderr, "sesame login: writing the aws cli profile:", err)
		return 1
	}
	fmt.Fprintf(stdout, "Signed in; credentials valid until %s%s.\nProfile %q written to %s; try:\n  aws s3 ls --profile %s\n",
		st.Credentials.Expiration.Local().Format(time.RFC1123), refreshNote(st), *profile, cfgFile, *profile)
	return 0
}

func refreshNote(st *loginState) string {
	if st.RefreshToken != "" {
		return ", then renewed while the identity provider allows"
	}
	return " (the identity provider gave no refresh token: sign in again then)"
}

func parseLoginFlags(fs *flag.FlagSet, args []string, stdout io.Writer) int {
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, loginUsage+"\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	case err != nil:
		fmt.Fprintf(fs.Output(), "Run '%s --help' for its flags.\n", fs.Name())
		return 2
	case fs.NArg() > 0:
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2
	}
	return -1
}

// serverProvider asks the server which providers people sign in with,
// and picks name (or the only one).
func serverProvider(ctx context.Context, hc *http.Client, endpoint, name string) (login.ProviderInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+login.DefaultPrefix+login.ProvidersPath, nil)
	if err != nil {
		return login.ProviderInfo{}, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return login.ProviderInfo{}, err
	}
	defer resp.Body.Close()
	var doc login.ProvidersDoc
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc) != nil {
		return login.ProviderInfo{}, fmt.Errorf("%s does not list login providers (HTTP %d); is it a Sesame server with its login page on? Use --issuer and --client-id", endpoint, resp.StatusCode)
	}
	var names []string
	for _, p := range doc.Providers {
		names = append(names, p.Name)
		if name != "" && strings.EqualFold(p.Name, name) {
			return p, nil
		}
	}
	switch {
	case len(doc.Providers) == 0:
		return login.ProviderInfo{}, fmt.Errorf("%s has no OpenID provider configured (MINIO_IDENTITY_OPENID_CONFIG_URL)", endpoint)
	case name != "":
		return login.ProviderInfo{}, fmt.Errorf("%s has no provider %q; it has %s", endpoint, name, strings.Join(names, ", "))
	case len(doc.Providers) > 1:
		return login.ProviderInfo{}, fmt.Errorf("%s has several providers (%s): choose one with --provider", endpoint, strings.Join(names, ", "))
	}
	return doc.Providers[0], nil
}

// assume trades idToken for credentials at the server and keeps them.
func (st *loginState) assume(ctx context.Context, hc *http.Client, idToken string) error {
	sts := &login.STSClient{Endpoint: st.Endpoint, Region: st.Region, HTTP: hc}
	session := st.SessionName
	if st.RoleARN != "" && strings.HasPrefix(st.RoleARN, "arn:aws:iam::") && session == "" {
		session = "sesame-login"
		if claims, err := oauth.Claims(idToken); err == nil {
			if u, _ := claims["preferred_username"].(string); regexp.MustCompile(`^[\w+=,.@-]{2,64}$`).MatchString(u) {
				session = u
			}
		}
	}
	c, err := sts.AssumeRoleWithWebIdentity(ctx, idToken, st.RoleARN, session, st.Duration)
	if err != nil {
		return fmt.Errorf("%s refused the ID token: %w", st.Endpoint, err)
	}
	st.Credentials = &cachedCredentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration}
	return nil
}

// canOpenBrowser reports whether a browser can be opened here: BROWSER
// is set, or a desktop (macOS, Windows, or a Linux session with a display).
func canOpenBrowser(getenv func(string) string) bool {
	if getenv("BROWSER") != "" {
		return true
	}
	switch runtime.GOOS {
	case "darwin", "windows":
		return true
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}

// openBrowser opens u with $BROWSER (the URL replaces %s, or is appended),
// else the system's opener.
func openBrowser(u string, getenv func(string) string) error {
	var cmd *exec.Cmd
	if b := getenv("BROWSER"); b != "" {
		b, _, _ = strings.Cut(b, ":")
		fields := strings.Fields(b)
		if strings.Contains(b, "%s") {
			for i := range fields {
				fields[i] = strings.ReplaceAll(fields[i], "%s", u)
			}
		} else {
			fields = append(fields, u)
		}
		cmd = exec.Command(fields[0], fields[1:]...)
	} else {
		switch runtime.GOOS {
		case "darwin":
			cmd = exec.Command("open", u)
		case "windows":
			cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
		default:
			cmd = exec.Command("xdg-open", u)
		}
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	go cmd.Wait()
	return nil
}

// browserLogin runs the authorization code flow with PKCE through the
// system browser and a loopback redirect (RFC 8252 §7.3): it listens on
// 127.0.0.1 at a random port for the one callback whose state is its own.
func browserLogin(ctx context.Context, c *oauth.Client, scopes []string, getenv func(string) string, stderr io.Writer) (oauth.Tokens, string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return oauth.Tokens{}, "", err
	}
	defer l.Close()
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", l.Addr().(*net.TCPAddr).Port)
	state, nonce, pkce := oauth.RandomString(24), oauth.RandomString(24), oauth.NewPKCE()
	target, err := c.AuthCodeURL(oauth.AuthRequest{RedirectURI: redirect, State: state, Nonce: nonce, Scopes: scopes, PKCE: pkce})
	if err != nil {
		return oauth.Tokens{}, "", err
	}
	type result struct {
		code string
		err  error
	}
	done := make(chan result, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			// Not our sign-in's answer: ignore it and keep waiting.
			callbackPage(w, http.StatusBadRequest, "This answer does not belong to the sign-in under way (state mismatch).")
			return
		}
		var res result
		if e := q.Get("error"); e != "" {
			res.err = &oauth.Error{Code: e, Description: q.Get("error_description")}
			callbackPage(w, http.StatusForbidden, "The sign-in failed: "+e+". You can close this window.")
		} else {
			res.code = q.Get("code")
			callbackPage(w, http.StatusOK, "Signed in. You can close this window and go back to the terminal.")
		}
		select {
		case done <- res:
		default:
		}
	})}
	go srv.Serve(l)
	defer srv.Close()
	fmt.Fprintf(stderr, "Opening your browser to sign in. If it does not open, visit:\n\n  %s\n\n", target)
	if err := openBrowser(target, getenv); err != nil {
		fmt.Fprintf(stderr, "(could not open a browser: %v)\n", err)
	}
	select {
	case <-ctx.Done():
		return oauth.Tokens{}, "", errors.New("timed out waiting for the sign-in in the browser; try --device")
	case res := <-done:
		if res.err != nil {
			return oauth.Tokens{}, "", fmt.Errorf("sign-in refused: %w", res.err)
		}
		t, err := c.Exchange(ctx, res.code, redirect, pkce)
		return t, nonce, err
	}
}

func callbackPage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>Sesame</title><p>%s</p>\n", html.EscapeString(msg))
}

// deviceLogin runs the device authorization grant: it prints where to go
// and the code, and polls until the person approved or denied.
func deviceLogin(ctx context.Context, c *oauth.Client, scopes []string, stderr io.Writer) (oauth.Tokens, error) {
	d, err := c.StartDevice(ctx, scopes)
	if err != nil {
		return oauth.Tokens{}, err
	}
	fmt.Fprintf(stderr, "To sign in, visit\n\n  %s\n\nand enter the code\n\n  %s\n\n", d.VerificationURI, d.UserCode)
	if d.VerificationURIComplete != "" {
		fmt.Fprintf(stderr, "(or open %s)\n", d.VerificationURIComplete)
	}
	fmt.Fprintln(stderr, "Waiting for the sign-in...")
	return c.PollDevice(ctx, d)
}

// credentialsCmd speaks the credential_process protocol.
func credentialsCmd(args []string, environ []string, stdout, stderr io.Writer) int {
	getenv := envMap(environ)
	fs := flag.NewFlagSet("sesame credentials", flag.ContinueOnError)
	fs.SetOutput(stderr)
	profile := fs.String("profile", "sesame", "the `profile` 'sesame login' wrote")
	endpoint := fs.String("endpoint", "", "`URL` of the Sesame server (checked against the profile's)")
	if code := parseLoginFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if !profileName.MatchString(*profile) {
		fmt.Fprintf(stderr, "sesame credentials: --profile %q: letters, digits, '.', '_' and '-' only\n", *profile)
		return 2
	}
	relogin := func() string {
		ep := *endpoint
		if ep == "" {
			ep = defaultEndpoint
		}
		return fmt.Sprintf("run: sesame login --endpoint %s --profile %s", ep, *profile)
	}
	path, err := statePath(getenv, *profile)
	if err != nil {
		fmt.Fprintln(stderr, "sesame credentials:", err)
		return 1
	}
	st, err := readState(path)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stderr, "sesame credentials: profile %s is not signed in; %s\n", *profile, relogin())
		return 1
	} else if err != nil {
		fmt.Fprintln(stderr, "sesame credentials:", err)
		return 1
	}
	if *endpoint != "" && strings.TrimRight(*endpoint, "/") != st.Endpoint {
		fmt.Fprintf(stderr, "sesame credentials: profile %s was signed in at %s, not %s; %s\n", *profile, st.Endpoint, *endpoint, relogin())
		return 1
	}
	if st.Credentials == nil || time.Until(st.Credentials.Expiration) < refreshBefore {
		if err := st.refresh(getenv); err != nil {
			fmt.Fprintf(stderr, "sesame credentials: the sign-in of profile %s has expired (%v); %s\n", *profile, err, relogin())
			return 1
		}
		if err := writeState(path, st); err != nil {
			fmt.Fprintln(stderr, "sesame credentials: saving the credentials:", err)
			return 1
		}
	}
	c := st.Credentials
	out, _ := json.Marshal(struct {
		Version         int
		AccessKeyID     string `json:"AccessKeyId"`
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}{1, c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expiration.UTC().Format(time.RFC3339)})
	fmt.Fprintf(stdout, "%s\n", out)
	return 0
}

// refresh renews the credentials with the refresh token: fresh tokens
// from the identity provider, traded again at the server.
func (st *loginState) refresh(getenv func(string) string) error {
	if st.RefreshToken == "" {
		return errors.New("no refresh token")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: 30 * time.Second}
	meta, err := oauth.Discover(ctx, hc, st.Provider.ConfigURL)
	if err != nil {
		return err
	}
	c := &oauth.Client{Meta: meta, ClientID: st.Provider.ClientID, HTTP: hc}
	t, err := c.Refresh(ctx, st.RefreshToken)
	if err != nil {
		return err
	}
	if t.RefreshToken != "" {
		st.RefreshToken = t.RefreshToken // rotation
	}
	return st.assume(ctx, hc, t.IDToken)
}
