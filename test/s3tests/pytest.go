package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

// compatPlugin is the pytest plugin the runner loads (-p sesame_compat):
// see its docstring.
//
//go:embed sesame_compat.py
var compatPlugin []byte

// modules are the Python modules the suite imports (requirements.txt), and
// pytest-timeout, which the runner uses.
var modules = []string{"pytest", "pytest_timeout", "boto3", "botocore", "s3transfer", "munch", "gevent", "isodate", "requests", "pytz", "httplib2", "lxml", "yaml"}

// debianPackages are the Debian packages that provide modules for
// /usr/bin/python3 (what .ci/run installs).
const debianPackages = "python3-pytest python3-pytest-timeout python3-isodate python3-lxml python3-munch python3-gevent python3-tz python3-requests python3-httplib2 python3-boto3 python3-yaml"

// errMissingDeps is returned when the Python interpreter lacks a module.
var errMissingDeps = errors.New("Python dependencies of s3-tests missing")

// pyEnv is how pytest is run: the interpreter and the environment.
type pyEnv struct {
	Python string
	Env    []string
	// Boto describes where boto3 comes from, for the report.
	Boto string
}

// setupPython prepares the interpreter python (Debian's, with the
// suite's dependencies from Debian packages) for the suite copied to
// suite: when botoPython (another interpreter, such as the pyenv one
// beside the aws cli) has boto3, botocore and s3transfer, they are
// symlinked into linkDir, which goes first on PYTHONPATH, as Debian's
// boto3 is too old for the newer tests. It checks that every module
// imports.
func setupPython(ctx context.Context, python, botoPython, linkDir, suite string) (*pyEnv, error) {
	pyPath, err := exec.LookPath(python)
	if err != nil {
		return nil, fmt.Errorf("%w: no %s (install Debian's python3 and %s)", errMissingDeps, python, debianPackages)
	}
	env := &pyEnv{Python: pyPath, Boto: "the interpreter's own"}
	path := []string{suite}
	if botoPython != "" {
		if bp, err := findBotoPython(botoPython, pyPath); err == nil {
			out, err := exec.CommandContext(ctx, bp, "-c",
				"import os, boto3, botocore, s3transfer\n"+
					"for m in (boto3, botocore, s3transfer): print(os.path.dirname(m.__file__))\n"+
					"print(boto3.__version__, botocore.__version__)").Output()
			if err == nil {
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				if len(lines) == 4 {
					if err := os.MkdirAll(linkDir, 0o755); err != nil {
						return nil, err
					}
					for _, dir := range lines[:3] {
						if err := os.Symlink(dir, filepath.Join(linkDir, filepath.Base(dir))); err != nil {
							return nil, err
						}
					}
					path = append([]string{linkDir}, path...)
					env.Boto = fmt.Sprintf("boto3/botocore %s from %s", lines[3], filepath.Dir(lines[0]))
				}
			}
		}
	}
	env.Env = append(os.Environ(),
		"PYTHONPATH="+strings.Join(path, string(os.PathListSeparator)),
		"BOTO_DISABLE_CRT=true",
		"PYTHONDONTWRITEBYTECODE=1",
		// No stray AWS configuration of the machine may change the clients.
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
	env.Env = dropEnv(env.Env, "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
		"AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "PYTHONHOME")
	check := "import importlib, sys\nmissing = []\nfor m in sys.argv[1:]:\n    try:\n        importlib.import_module(m)\n    except Exception as e:\n        missing.append('%s (%s)' % (m, e))\nprint('; '.join(missing))\n"
	cmd := exec.CommandContext(ctx, pyPath, append([]string{"-c", check}, modules...)...)
	cmd.Env = env.Env
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%w: %s cannot run: %v", errMissingDeps, pyPath, err)
	}
	if m := strings.TrimSpace(string(out)); m != "" {
		return nil, fmt.Errorf("%w: %s cannot import %s; install Debian's %s (bash .ci/run does)", errMissingDeps, pyPath, m, debianPackages)
	}
	return env, nil
}

// findBotoPython looks name up on PATH; when that finds nothing but the
// suite's own interpreter, it tries pyenv's python3 (where the machine's
// aws cli and its newer boto3 live), so that a PATH without pyenv's shims
// still gets the newer boto3.
func findBotoPython(name, suitePython string) (string, error) {
	candidates := []string{name}
	if !strings.ContainsRune(name, '/') {
		root := os.Getenv("PYENV_ROOT")
		if root == "" {
			if home, err := os.UserHomeDir(); err == nil {
				root = filepath.Join(home, ".pyenv")
			}
		}
		if root != "" {
			candidates = append(candidates, filepath.Join(root, "shims", name))
		}
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil && !sameFile(p, suitePython) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no %s other than %s", name, suitePython)
}

func sameFile(a, b string) bool {
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}

func dropEnv(env []string, names ...string) []string {
	out := env[:0:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			if k == n {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// copySuite copies the suite's folder (read-only in CI) to dst, where
// pytest may write, and adds the runner's plugin beside it.
func copySuite(src, dst string) error {
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "__pycache__" || d.Name() == ".git" || d.Name() == ".pytest_cache") {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return os.WriteFile(filepath.Join(dst, "sesame_compat.py"), compatPlugin, 0o644)
}

// confData fills the s3tests.conf template.
type confData struct {
	Host                     string
	Port                     int
	Main, Alt, Tenant, IAM   account
	AccountID                string
	WebIdentity              *webIdentity
	AltRootKey, AltRootValue string
}

var confTemplate = template.Must(template.New("conf").Parse(`# Written by Sesame's runner of ceph/s3-tests (test/s3tests).
[DEFAULT]
host = {{.Host}}
port = {{.Port}}
is_secure = False
ssl_verify = False

[fixtures]
bucket prefix = s3tests-{random}-
iam name prefix = s3-tests-
iam path prefix = /s3-tests/

# Sesame's root user: creates buckets and administers IAM.
[s3 main]
display_name = {{.Main.DisplayName}}
user_id = {{.Main.CanonicalID}}
email = main@example.com
api_name = default
access_key = {{.Main.AccessKey}}
secret_key = {{.Main.SecretKey}}

# An IAM user with the canned readwrite policy. The STS tests use user_id as
# its user name (arn:aws:iam:::user/<user_id>, PutUserPolicy UserName).
[s3 alt]
display_name = {{.Alt.DisplayName}}
user_id = {{.Alt.UserName}}
email = alt@example.com
access_key = {{.Alt.AccessKey}}
secret_key = {{.Alt.SecretKey}}

# An IAM user with the canned readwrite policy (Sesame has no tenants).
[s3 tenant]
display_name = {{.Tenant.DisplayName}}
user_id = {{.Tenant.UserName}}
email = tenant@example.com
tenant = testx
access_key = {{.Tenant.AccessKey}}
secret_key = {{.Tenant.SecretKey}}

# An IAM user with the canned consoleAdmin policy (every S3 and IAM action).
[iam]
email = iam@example.com
user_id = {{.IAM.UserName}}
display_name = {{.IAM.DisplayName}}
access_key = {{.IAM.AccessKey}}
secret_key = {{.IAM.SecretKey}}

# The account's root user: Sesame's root keys (GetUser answers
# arn:aws:iam::{{.AccountID}}:root). Its fixture deletes what is under the
# path prefix /s3-tests/ only.
[iam root]
access_key = {{.Main.AccessKey}}
secret_key = {{.Main.SecretKey}}
user_id = {{.AccountID}}
email = root@example.com

# A root user of a second account: Sesame has one account, so these keys
# exist nowhere and the cross-account tests skip ("[iam alt root] user does
# not belong to an account").
[iam alt root]
access_key = {{.AltRootKey}}
secret_key = {{.AltRootValue}}
user_id = 111111111111
email = altroot@example.com
{{with .WebIdentity}}
# The runner's OpenID provider at http://localhost:8080/auth/realms/{{.Realm}}.
[webidentity]
token = {{.Token}}
aud = {{.Aud}}
sub = {{.Sub}}
azp = {{.Azp}}
user_token = {{.UserToken}}
thumbprint = {{.Thumbprint}}
KC_REALM = {{.Realm}}
{{end}}`))

func writeConf(path string, d confData) error {
	var b bytes.Buffer
	if err := confTemplate.Execute(&b, d); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}

// runPytest runs pytest in suite with args, writing its output to out,
// and its JUnit XML report to junit. A non-zero exit with a report is
// not an error: failures are in the report.
func runPytest(ctx context.Context, py *pyEnv, suite, conf, junit string, args []string, out io.Writer) error {
	argv := append([]string{"-m", "pytest",
		"-p", "sesame_compat", "-p", "no:cacheprovider",
		"--junitxml=" + junit, "-o", "junit_family=xunit1",
	}, args...)
	cmd := exec.CommandContext(ctx, py.Python, argv...)
	cmd.Dir = suite
	cmd.Env = append(py.Env, "S3TEST_CONF="+conf)
	cmd.Stdout, cmd.Stderr = out, out
	err := cmd.Run()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		switch ee.ExitCode() {
		case 1: // tests failed
			return nil
		case 5:
			return errors.New("pytest collected no test (check the pytest arguments)")
		default:
			return fmt.Errorf("pytest exited with status %d (interrupted, internal or usage error)", ee.ExitCode())
		}
	}
	return err
}

// outcome is one test's result.
type outcome struct {
	Name   string // file.py::test
	Status string // passed, failed, error, skipped
	// Message is the first line of the failure, error or skip message.
	Message string
	Seconds float64
}

// report is the parsed outcome of a run.
type report struct {
	Tests   []outcome
	Seconds float64
}

func (r *report) count(status string) int {
	n := 0
	for _, t := range r.Tests {
		if t.Status == status {
			n++
		}
	}
	return n
}

// Passed, Failed (failures and errors) and Skipped count the tests.
func (r *report) Passed() int  { return r.count("passed") }
func (r *report) Failed() int  { return r.count("failed") + r.count("error") }
func (r *report) Skipped() int { return r.count("skipped") }

// junitSuites is the part of pytest's JUnit XML that the runner reads.
type junitSuites struct {
	Suites []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Time  string      `xml:"time,attr"`
	Cases []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure"`
	Error     *junitMessage `xml:"error"`
	Skipped   *junitMessage `xml:"skipped"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// parseJUnit reads pytest's JUnit XML report. A test whose setup or
// teardown errored after it ran appears twice; its worst outcome counts.
func parseJUnit(path string) (*report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		// pytest writes <testsuites>; older versions a bare <testsuite>.
		var one junitSuite
		if err2 := xml.Unmarshal(b, &one); err2 != nil {
			return nil, fmt.Errorf("parsing %s: %w", path, err)
		}
		doc.Suites = []junitSuite{one}
	}
	rank := map[string]int{"passed": 0, "skipped": 1, "failed": 2, "error": 3}
	idx := map[string]int{}
	r := &report{}
	for _, s := range doc.Suites {
		secs, _ := strconv.ParseFloat(s.Time, 64)
		r.Seconds += secs
		for _, c := range s.Cases {
			o := outcome{Name: caseName(c), Status: "passed"}
			o.Seconds, _ = strconv.ParseFloat(c.Time, 64)
			switch {
			case c.Error != nil:
				o.Status, o.Message = "error", firstLine(c.Error)
			case c.Failure != nil:
				o.Status, o.Message = "failed", firstLine(c.Failure)
			case c.Skipped != nil:
				o.Status, o.Message = "skipped", firstLine(c.Skipped)
			}
			if i, ok := idx[o.Name]; ok {
				if rank[o.Status] > rank[r.Tests[i].Status] {
					r.Tests[i].Status, r.Tests[i].Message = o.Status, o.Message
				}
				continue
			}
			idx[o.Name] = len(r.Tests)
			r.Tests = append(r.Tests, o)
		}
	}
	return r, nil
}

// caseName turns classname s3tests.functional.test_sts and name
// test_x into test_sts.py::test_x.
func caseName(c junitCase) string {
	mod := c.ClassName
	if i := strings.LastIndex(mod, "."); i >= 0 {
		mod = mod[i+1:]
	}
	if mod == "" {
		return c.Name
	}
	return mod + ".py::" + c.Name
}

// firstLine is the first meaningful line of a failure: the message, or
// the text's last "E   " line (the exception) when the message is empty.
// When the exception was raised while handling another (a test's helper
// that fails reading the error it caught), the first one is added.
func firstLine(m *junitMessage) string {
	var eLines []string
	for _, l := range strings.Split(m.Text, "\n") {
		if strings.HasPrefix(l, "E   ") && !strings.HasPrefix(l, "E    ") {
			eLines = append(eLines, strings.TrimSpace(l[1:]))
		}
	}
	msg := strings.TrimSpace(m.Message)
	if msg == "" && len(eLines) > 0 {
		msg = eLines[len(eLines)-1]
	}
	if msg == "" {
		msg = strings.TrimSpace(m.Text)
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if strings.Contains(m.Text, "During handling of the above exception") && len(eLines) > 1 && eLines[0] != msg {
		msg += " (while handling " + eLines[0] + ")"
	}
	const max = 400
	if len(msg) > max {
		msg = msg[:max] + "…"
	}
	return msg
}

// printReport writes the summary line and the failures.
func printReport(w io.Writer, r *report) {
	fmt.Fprintf(w, "passed %d failed %d skipped %d\n", r.Passed(), r.Failed(), r.Skipped())
	var fails []outcome
	for _, t := range r.Tests {
		if t.Status == "failed" || t.Status == "error" {
			fails = append(fails, t)
		}
	}
	sort.SliceStable(fails, func(i, j int) bool { return fails[i].Name < fails[j].Name })
	for _, t := range fails {
		tag := ""
		if t.Status == "error" {
			tag = " [error]"
		}
		fmt.Fprintf(w, "FAIL %s%s: %s\n", t.Name, tag, t.Message)
	}
}
