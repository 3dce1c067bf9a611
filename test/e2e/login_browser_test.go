package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sesame-s3/sesame/internal/login"
)

// chromium returns the path of Debian's chromium, skipping the test
// when it is missing (failing it under CI, whose .ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/run installs Debian's chromium")
	}
	t.Skip("chromium is not installed: apt-get install -y chromium to run the browser test")
	return ""
}

// newBrowser starts a headless chromium with a fresh profile, as
// /work/.library/env/machines/go.md says to on this kind of machine, and
// returns a tab's context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(412, 915), // a phone's viewport
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// artifactDir is where screenshots go: $SESAME_TEST_ARTIFACTS, else a
// temporary directory; the path is logged.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("SESAME_TEST_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestLogin_Browser clicks through the login page in a real headless
// chromium against a real OpenID provider with a login form: the sign-in
// (CSP allowing the page's own script file and the redirect to the IdP;
// the credentials, the countdown and the copy buttons working; no code
// left in the address bar), a tampered state and a denied sign-in, each
// refused. It keeps a screenshot of the credentials page.
func TestLogin_Browser(t *testing.T) {
	t.Parallel()
	bctx := newBrowser(t)
	idp := loginIdP(t, false)
	ep := startLoginServer(t, idp, nil)
	bucket := newBucket(t, ep)
	prefix := ep.URL + login.DefaultPrefix

	run := func(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			loc, _ := chromedp.Run(bctx, chromedp.Location())
			body, _ := chromedp.Run(bctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
			t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, body)
		}
	}
	text := func(t *testing.T, sel string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		defer cancel()
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	toIdPForm := func(t *testing.T) {
		run(t, "open the login page and click Sign in with Test IdP",
			chromedp.Navigate(prefix+"/"),
			chromedp.WaitVisible(chromedp.CSS("#signin-openid")),
			chromedp.Click(chromedp.CSS("#signin-openid")),
			chromedp.WaitVisible(chromedp.CSS("#username")))
	}

	t.Run("sign in", func(t *testing.T) {
		toIdPForm(t)
		run(t, "sign in at the IdP",
			chromedp.SendKeys(chromedp.CSS("#username"), "alice"),
			chromedp.SendKeys(chromedp.CSS("#password"), "alice-pw"),
			chromedp.Click(chromedp.CSS("#approve")),
			chromedp.WaitVisible(chromedp.CSS("#access-key")))
		if ak := text(t, "#access-key"); !regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`).MatchString(ak) {
			t.Errorf("access key %q", ak)
		}
		if arn := text(t, "#arn"); !strings.HasSuffix(arn, "/alice") {
			t.Errorf("ARN %q", arn)
		}
		if !strings.Contains(text(t, "#buckets"), bucket) {
			t.Errorf("buckets %q lack %s", text(t, "#buckets"), bucket)
		}
		// login.js ran (the CSP let the page's own script file in): the
		// countdown is its format, and the code left the address bar.
		run(t, "wait for the countdown", chromedp.Poll[chromedp.Void](
			`/^\d+m \d+s$/.test(document.getElementById("countdown").textContent)`, chromedp.WithPollingTimeout(5*time.Second)))
		loc, _ := chromedp.Run(bctx, chromedp.Location())
		if strings.Contains(loc, "code=") || strings.Contains(loc, "state=") {
			t.Errorf("the address bar still holds the code: %s", loc)
		}
		run(t, "click a copy button",
			chromedp.Click(chromedp.CSS(`button[data-copy="export"]`)),
			chromedp.Poll[chromedp.Void](`document.querySelector('button[data-copy="export"]').textContent === "Copied"`, chromedp.WithPollingTimeout(5*time.Second)))
		shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(artifactDir(t), "login-credentials.png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot of the credentials page: %s", path)
	})

	t.Run("tampered state", func(t *testing.T) {
		toIdPForm(t) // the flow cookie is set
		run(t, "come back with another state",
			chromedp.Navigate(prefix+"/callback?code=forged&state=forged"),
			chromedp.WaitVisible(chromedp.CSS("#error")))
		if msg := text(t, "#error"); !strings.Contains(msg, "state mismatch") {
			t.Errorf("error %q", msg)
		}
	})

	t.Run("denied", func(t *testing.T) {
		toIdPForm(t)
		run(t, "deny at the IdP",
			chromedp.Click(chromedp.CSS("#deny")),
			chromedp.WaitVisible(chromedp.CSS("#error")))
		if msg := text(t, "#error"); !strings.Contains(msg, "denied") {
			t.Errorf("error %q", msg)
		}
	})
}
