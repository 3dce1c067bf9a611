// Command s3tests runs ceph's S3 conformance suite (ceph/s3-tests, a
// pytest suite) against a Sesame server of its own:
//
//	go run ./test/s3tests [flags] [-- pytest args]
//
// It builds cmd/sesame (or takes -sesame), starts it on a free loopback
// port over a fresh data directory, creates the suite's users through
// Sesame's IAM API, starts an OpenID provider at
// http://localhost:8080/auth/realms/s3tests for the web identity tests,
// writes s3tests.conf, copies the suite to a temporary folder and runs
// pytest there with Debian's python3 (and a newer boto3 put first on
// PYTHONPATH). It prints "passed N failed M skipped K" and each failure
// with its first error line.
//
// Suites (-suite): sts (default; test_sts.py and the role tests of
// test_iam.py), s3 (the whole test_s3.py) and s3-ci (the tests of
// test_s3.py listed in s3-ci.txt). Pytest arguments after -- replace the
// suite's selection.
//
// The exit status is 0 when the run completed, whatever failed, 1 on a
// harness error, 2 for bad flags, 3 when fewer than -want-pass tests
// passed, and 4 when the Python dependencies are missing. See
// docs/S3-TESTS.md.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// s3CISubset lists the tests of test_s3.py that the s3-ci suite runs.
//
//go:embed s3-ci.txt
var s3CISubset []byte

// options configure a run.
type options struct {
	Suite       string   // sts, s3 or s3-ci
	PytestArgs  []string // replace the suite's selection when not nil
	Sesame      string   // binary; built from the repository when ""
	SuiteDir    string   // ceph/s3-tests; found when ""
	Python      string   // the interpreter with the suite's dependencies
	BotoPython  string   // an interpreter whose boto3 goes first ("" for none)
	IDPAddr     string   // where the OpenID provider listens
	IDPEnv      bool     // also configure Sesame with the provider (MINIO_IDENTITY_OPENID_*)
	RGWCompat   bool     // diagnostic: sesame_compat's --sesame-rgw-compat, IDPEnv, one tag value
	TestTimeout time.Duration
	WorkDir     string // "" for a temporary one, removed unless Keep
	Keep        bool
	Verbose     bool      // copy pytest's output to Out
	Out         io.Writer // progress and pytest output
}

// suiteArgs are the pytest arguments that select each suite's tests.
func suiteArgs(suite, work string) ([]string, error) {
	switch suite {
	case "sts":
		return []string{
			"s3tests/functional/test_sts.py", "s3tests/functional/test_iam.py",
			// test_sts.py whole, and of test_iam.py the role tests
			// (markers iam_role, role_policy; names with "role").
			"-k", "test_sts.py or role",
			// It sleeps 15 minutes for its credentials to expire.
			"--deselect", "s3tests/functional/test_sts.py::test_assume_role_creds_expiry",
		}, nil
	case "s3":
		return []string{"s3tests/functional/test_s3.py"}, nil
	case "s3-ci":
		list := filepath.Join(work, "s3-ci.txt")
		if err := os.WriteFile(list, s3CISubset, 0o644); err != nil {
			return nil, err
		}
		return []string{"s3tests/functional/test_s3.py", "--sesame-only", list}, nil
	}
	return nil, fmt.Errorf("unknown suite %q (want sts, s3 or s3-ci)", suite)
}

// run does one run and returns its report. The error is a harness error:
// test failures are in the report.
func run(ctx context.Context, o options) (rep *report, err error) {
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	logf := func(format string, a ...any) { fmt.Fprintf(out, "s3tests: "+format+"\n", a...) }

	cwd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	repo, err := findRepo(cwd)
	if err != nil {
		return nil, err
	}
	suiteSrc, err := findSuite(o.SuiteDir, repo)
	if err != nil {
		return nil, err
	}
	work := o.WorkDir
	if work == "" {
		if work, err = os.MkdirTemp("", "sesame-s3tests-"); err != nil {
			return nil, err
		}
		if !o.Keep {
			defer func() {
				if err == nil {
					os.RemoveAll(work)
				} else {
					logf("kept %s for inspection", work)
				}
			}()
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	args := o.PytestArgs
	if args == nil {
		if args, err = suiteArgs(o.Suite, work); err != nil {
			return nil, err
		}
	}

	suite := filepath.Join(work, "s3-tests")
	if err := copySuite(suiteSrc, suite); err != nil {
		return nil, err
	}
	py, err := setupPython(ctx, o.Python, o.BotoPython, filepath.Join(work, "pylib"), suite)
	if err != nil {
		return nil, err
	}
	logf("python %s, %s", py.Python, py.Boto)

	bin := o.Sesame
	if bin == "" {
		start := time.Now()
		if bin, err = buildSesame(ctx, repo, work, out); err != nil {
			return nil, err
		}
		logf("built sesame from %s in %s", repo, time.Since(start).Round(time.Millisecond))
	}

	var wi *webIdentity
	var env []string
	if o.Suite == "sts" || o.PytestArgs != nil {
		p, err := startIDP(o.IDPAddr, idpRealm)
		if err != nil {
			return nil, err
		}
		defer p.Close()
		w, err := p.mintWebIdentity(24*time.Hour, o.RGWCompat)
		if err != nil {
			return nil, err
		}
		wi = &w
		logf("OpenID provider %s", p.Issuer())
		if o.IDPEnv || o.RGWCompat {
			env = append(env,
				"MINIO_IDENTITY_OPENID_CONFIG_URL="+p.ConfigURL(),
				"MINIO_IDENTITY_OPENID_CLIENT_ID="+idpClientID)
		}
	}

	srv, err := startSesame(ctx, bin, filepath.Join(work, "data"), filepath.Join(work, "sesame.log"), env)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	logf("sesame %s serving at %s (log: %s)", bin, srv.endpoint, srv.logPath)

	ids, err := provision(ctx, srv.endpoint)
	if err != nil {
		return nil, err
	}
	host, portStr, _ := strings.Cut(strings.TrimPrefix(srv.endpoint, "http://"), ":")
	port, _ := strconv.Atoi(portStr)
	conf := filepath.Join(work, "s3tests.conf")
	if err := writeConf(conf, confData{
		Host: host, Port: port,
		Main: ids.Main, Alt: ids.Alt, Tenant: ids.Tenant, IAM: ids.IAM,
		AccountID: accountID, WebIdentity: wi,
		AltRootKey: "NOSUCHKEYNOSUCHKEY00", AltRootValue: "no-such-secret-no-such-secret-no-such-00",
	}); err != nil {
		return nil, err
	}

	junit := filepath.Join(work, "junit.xml")
	pytestLog := filepath.Join(work, "pytest.log")
	lf, err := os.Create(pytestLog)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	var pout io.Writer = lf
	if o.Verbose {
		pout = io.MultiWriter(lf, out)
	}
	common := []string{"-q", "--tb=short", "-o", "faulthandler_timeout=0"}
	if o.RGWCompat {
		common = append(common, "--sesame-rgw-compat")
	}
	if o.TestTimeout > 0 {
		common = append(common, "--timeout="+strconv.Itoa(int(o.TestTimeout/time.Second)))
	}
	logf("pytest %s (log: %s)", strings.Join(args, " "), pytestLog)
	start := time.Now()
	if err := runPytest(ctx, py, suite, conf, junit, append(common, args...), pout); err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, pytestLog)
	}
	rep, err = parseJUnit(junit)
	if err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, pytestLog)
	}
	logf("pytest took %s", time.Since(start).Round(time.Second))
	if tail := compatSummary(pytestLog); tail != "" {
		logf("%s", tail)
	}
	return rep, nil
}

// compatSummary returns the plugin's summary line from pytest's log.
func compatSummary(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "sesame_compat: ") {
			return l
		}
	}
	return ""
}

func main() {
	os.Exit(mainExit(os.Args[1:], os.Stdout, os.Stderr))
}

func mainExit(argv []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("s3tests", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./test/s3tests [flags] [-- pytest args]")
		fmt.Fprintln(stderr, "Runs ceph/s3-tests against a Sesame server of its own; see docs/S3-TESTS.md.")
		fs.PrintDefaults()
	}
	var o options
	fs.StringVar(&o.Suite, "suite", "sts", "what to run: sts (test_sts.py and test_iam.py's role tests), s3 (test_s3.py) or s3-ci (the s3-ci.txt subset of test_s3.py)")
	fs.StringVar(&o.Sesame, "sesame", "", "sesame binary to run (default: go build ./cmd/sesame)")
	fs.StringVar(&o.SuiteDir, "suite-dir", "", "ceph/s3-tests folder (default: $S3TESTS_DIR, else shared/s3-tests beside the repository)")
	fs.StringVar(&o.Python, "python", "/usr/bin/python3", "Python with the suite's dependencies (Debian's packages)")
	fs.StringVar(&o.BotoPython, "boto-python", "python3", "Python whose boto3, botocore and s3transfer go first on PYTHONPATH (\"\" for none)")
	fs.StringVar(&o.IDPAddr, "idp-addr", "127.0.0.1:8080", "listen address of the OpenID provider (the STS tests name localhost:8080)")
	fs.BoolVar(&o.IDPEnv, "idp-env", false, "also configure Sesame with the OpenID provider (MINIO_IDENTITY_OPENID_CONFIG_URL and _CLIENT_ID), whose client id then admits the tests' tokens")
	fs.BoolVar(&o.RGWCompat, "rgw-compat", false, "diagnostic, not a conformance result: let the tests go past what only Ceph RGW does (role ARNs without the account id, CreateBucket of an owned bucket, tokens of providers without client ids, a session tag of two values; implies -idp-env)")
	fs.DurationVar(&o.TestTimeout, "test-timeout", 5*time.Minute, "longest one test may take (pytest-timeout)")
	timeout := fs.Duration("timeout", 3*time.Hour, "longest the whole run may take")
	wantPass := fs.Int("want-pass", 0, "exit 3 when fewer tests pass")
	fs.StringVar(&o.WorkDir, "work", "", "working folder (default: a temporary one, removed afterwards)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary working folder")
	fs.BoolVar(&o.Verbose, "v", false, "print pytest's output as it runs")
	if err := fs.Parse(argv); err != nil {
		return 2
	}
	if rest := fs.Args(); len(rest) > 0 {
		o.PytestArgs = rest
	}
	o.Out = stdout

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "s3tests:", err)
		if errors.Is(err, errMissingDeps) {
			return 4
		}
		return 1
	}
	printReport(stdout, rep)
	if *wantPass > 0 && rep.Passed() < *wantPass {
		fmt.Fprintf(stderr, "s3tests: %d passed, fewer than -want-pass %d\n", rep.Passed(), *wantPass)
		return 3
	}
	return 0
}
