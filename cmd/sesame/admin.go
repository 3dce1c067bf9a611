package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/bolt"
	"github.com/sesame-s3/sesame/internal/iam/store/etcd"
	"github.com/sesame-s3/sesame/internal/iam/store/transfer"
)

const adminUsage = `Usage:
  sesame admin iam export [--out FILE] DIR
  sesame admin iam import [--replace] [--in FILE] DIR
  sesame admin config get [--endpoint URL] [--json] [--ca FILE] [--insecure] [SUBSYSTEM]
  sesame admin prometheus generate [--endpoint URL] [--expiry DURATION] [--job NAME]

iam export writes every IAM record (users, access keys, groups, policies,
sealing keys, revocations) of the store the server for DIR uses to FILE
(default: standard output) as JSON; iam import reads such a document back.

The export holds every secret key and the sealing keys that protect session
tokens: whoever reads it can act as any user. FILE is written with mode 0600;
keep it private and delete it once imported.

Both open the IAM store a server with the same environment would use: the
etcd cluster when MINIO_ETCD_ENDPOINTS is set (with MINIO_ETCD_PATH_PREFIX,
_USERNAME, _PASSWORD, _CLIENT_CERT, _CLIENT_CERT_KEY, _CA), else the embedded
DIR/.sesame.sys/iam.db, which they refuse to open while a server holds it:
stop the server first. Import into etcd works while the nodes run; they see
the records through their watch.

config get asks a running server for the configuration it uses (identity
providers, OPA, etcd, TLS, limits, logs, audit, metrics), secrets redacted,
with a request signed by the root credentials (MINIO_ROOT_USER and
MINIO_ROOT_PASSWORD) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of a
user allowed admin:ConfigUpdate. SUBSYSTEM shows one group (server, tls,
identity_openid, policy_opa, etcd, api, logger, audit_webhook, ...).

prometheus generate prints a bearer token for the metrics endpoint and a
Prometheus scrape configuration, as 'mc admin prometheus generate' does:
a JWT signed with the secret key of the same credentials. Anyone holding
the token can read the metrics until it expires; rotating the secret key
revokes it.

Run 'sesame admin COMMAND SUBCOMMAND --help' for a command's flags.
`

func admin(args []string, environ []string, stdout, stderr io.Writer) int {
	if len(args) >= 1 && isHelp(args[0]) {
		fmt.Fprint(stdout, adminUsage)
		return 0
	}
	if len(args) == 2 && isHelp(args[1]) {
		fmt.Fprint(stdout, adminUsage)
		return 0
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, adminUsage)
		return 2
	}
	switch args[0] + " " + args[1] {
	case "config get":
		return adminConfigGet(args[2:], environ, stdout, stderr)
	case "prometheus generate":
		return adminPrometheusGenerate(args[2:], environ, stdout, stderr)
	}
	if args[0] != "iam" {
		fmt.Fprintf(stderr, "sesame admin: unknown command %q\n\n%s", strings.Join(args[:2], " "), adminUsage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[1] {
	case "export":
		return adminExport(ctx, args[2:], environ, stdout, stderr)
	case "import":
		return adminImport(ctx, args[2:], environ, stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "sesame admin iam: unknown command %q\n\n%s", args[1], adminUsage)
	return 2
}

// stdin is where import reads without --in; a variable for tests.
var stdin io.Reader = os.Stdin

func adminExport(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sesame admin iam export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "`file` to write (mode 0600, replaced atomically); default standard output")
	dir, code, ok := parseAdmin(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	st, code := openStore(ctx, dir, environ, false, stderr)
	if st == nil {
		return code
	}
	defer st.Close()

	if *out == "" {
		if err := transfer.Export(ctx, st, stdout); err != nil {
			fmt.Fprintln(stderr, "sesame:", err)
			return 1
		}
		fmt.Fprintln(stderr, "sesame: WARNING: the export contains secret keys; keep it private")
		return 0
	}
	if err := writePrivate(*out, func(w io.Writer) error { return transfer.Export(ctx, st, w) }); err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 1
	}
	fmt.Fprintf(stderr, "sesame: exported the IAM store of %s to %s\nsesame: WARNING: %s contains secret keys; keep it private and delete it once imported\n", dir, *out, *out)
	return 0
}

func adminImport(ctx context.Context, args []string, environ []string, in io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sesame admin iam import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("in", "", "`file` to read; default standard input")
	replace := fs.Bool("replace", false, "overwrite records that already exist (default: fail before writing anything)")
	dir, code, ok := parseAdmin(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if *from != "" {
		f, err := os.Open(*from)
		if err != nil {
			fmt.Fprintln(stderr, "sesame:", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	st, code := openStore(ctx, dir, environ, true, stderr)
	if st == nil {
		return code
	}
	defer st.Close()
	sum, err := transfer.Import(ctx, st, in, transfer.ImportOptions{Replace: *replace})
	if err != nil {
		if errors.Is(err, transfer.ErrExists) {
			fmt.Fprintf(stderr, "sesame: %v\nsesame: nothing was imported; run again with --replace to overwrite\n", err)
		} else {
			fmt.Fprintln(stderr, "sesame:", err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "imported into %s: %d created, %d replaced, %d expired records skipped\n", dir, sum.Created, sum.Replaced, sum.Expired)
	return 0
}

// parseAdmin parses flags followed by exactly one DIR. When it reports
// false, the command ends with the exit code it returns: 0 after --help
// (the flags on stdout), 2 after a usage error.
func parseAdmin(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (string, int, bool) {
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return "", code, false
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "%s: want exactly one DIR after the flags\n\n%s", fs.Name(), adminUsage)
		return "", 2, false
	}
	return fs.Arg(0), 0, true
}

// parseFlags parses args. It returns -1 when the command goes on, else its
// exit code: 0 after --help (the flags printed on stdout), 2 after an
// error (said on fs's output).
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) int {
	fs.Usage = func() {} // printed below, on stdout for --help
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stdout, "Usage of %s:\n", fs.Name())
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fmt.Fprintf(stdout, "\n%s", adminUsage)
		return 0
	case err != nil:
		fmt.Fprintf(fs.Output(), "Run '%s --help' for its flags.\n", fs.Name())
		return 2
	}
	return -1
}

// openStore opens the IAM store a server for the same environment would
// use: etcd when MINIO_ETCD_ENDPOINTS is set, else the embedded file of dir
// (created only when create is set, so a mistyped DIR is an error). It
// returns nil and an exit code when it cannot.
func openStore(ctx context.Context, dir string, environ []string, create bool, stderr io.Writer) (store.Store, int) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, found := strings.Cut(kv, "="); found {
			env[k] = v
		}
	}
	cfg, err := etcd.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return nil, 1
	}
	if cfg != nil {
		ctx, cancel := context.WithTimeout(ctx, etcdWait)
		defer cancel()
		st, err := etcd.Open(ctx, *cfg, etcd.Options{})
		if err != nil {
			fmt.Fprintf(stderr, "sesame: IAM store in etcd at %s: %v\n", cfg, err)
			return nil, 1
		}
		return st, 0
	}
	sys := filepath.Join(dir, ".sesame.sys")
	path := filepath.Join(sys, "iam.db")
	if create {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintln(stderr, "sesame: data directory:", err)
			return nil, 1
		}
		if err := os.MkdirAll(sys, 0o700); err != nil {
			fmt.Fprintln(stderr, "sesame: data directory:", err)
			return nil, 1
		}
	} else if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "sesame: no IAM store for %s: %v\n", dir, err)
		return nil, 1
	}
	st, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			fmt.Fprintf(stderr, "sesame: %v\nsesame: a server is using this directory: stop the server first\n", err)
		} else {
			fmt.Fprintln(stderr, "sesame: IAM store:", err)
		}
		return nil, 1
	}
	return st, 0
}

// etcdWait bounds how long the admin commands wait for etcd to answer.
const etcdWait = 30 * time.Second

// writePrivate writes a file readable by its owner only: into a new
// temporary file (mode 0600) beside path, synced, then renamed over path,
// so a failure never leaves a partial export and an existing file's wider
// mode is never inherited.
func writePrivate(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
