// Command sesame is an S3-compatible object server with a Security Token Service.
//
//	sesame server [--address :9000] [--certs-dir DIR] [--max-conns N] ... DIR
//	sesame admin iam export [--out FILE] DIR
//	sesame admin iam import [--replace] [--in FILE] DIR
//	sesame admin config get [--endpoint URL] [--json] [SUBSYSTEM]
//	sesame admin prometheus generate [--endpoint URL] [--expiry D]
//	sesame login --endpoint URL [--profile P] [--provider NAME] [--device]
//	sesame credentials --profile P [--endpoint URL]
//	sesame version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

const usage = `Usage: sesame COMMAND [ARGS]

Commands:
  server    serve a directory as an S3-compatible object store, with IAM and STS
  admin     export or import IAM state, show a running server's configuration,
            make a Prometheus bearer token ('sesame admin --help')
  login     sign in with the server's identity provider and write an aws cli
            profile that gets temporary credentials ('sesame login --help')
  credentials  print a signed-in profile's credentials (credential_process)
  version   print the version, the commit and the Go version
  help      print this help, or a command's ('sesame help server')

Run 'sesame COMMAND --help' for a command's flags.
`

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func run(args []string, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "server":
		return serve(args[1:], environ, stdout, stderr)
	case "admin":
		return admin(args[1:], environ, stdout, stderr)
	case "login": // login.go
		return loginCmd(args[1:], environ, stdout, stderr)
	case "credentials": // login.go: credential_process
		return credentialsCmd(args[1:], environ, stdout, stderr)
	case "version", "--version":
		if len(args) > 1 && isHelp(args[1]) {
			fmt.Fprint(stdout, "Usage: sesame version\n\nPrints the version, the commit and the Go version the binary was built with.\n")
			return 0
		}
		fmt.Fprintln(stdout, versionString())
		return 0
	case "help", "-h", "--help":
		if len(args) > 1 && args[1] != "help" {
			return run([]string{args[1], "--help"}, environ, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "sesame: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// versionString is the module version (or the -ldflags one), the commit
// and the Go version, from the build information.
func versionString() string {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(version, bi)
}

func versionFrom(v string, bi *debug.BuildInfo) string {
	commit, when, modified := "", "", false
	if bi != nil {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	out := "sesame " + v
	if commit != "" {
		out += " commit " + commit
		if modified {
			out += " (modified)"
		}
		if when != "" {
			out += " " + when
		}
	}
	return out + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}

// serverUsage writes the server's complete help.
func serverUsage(w io.Writer, lf *limitFlags) {
	config.Usage(w)
	lf.usage(w)
	fmt.Fprint(w, config.Environment)
}

func serve(args []string, environ []string, stdout, stderr io.Writer) int {
	lf := newLimitFlags(stderr)
	args, err := lf.split(args)
	if err != nil {
		return 2 // the flag package said why
	}
	cfg, err := config.Load(args, environ, stderr)
	switch {
	case errors.Is(err, config.ErrHelp):
		serverUsage(stdout, lf)
		return 0
	case errors.Is(err, config.ErrUsage):
		fmt.Fprintf(stderr, "sesame server: %s\n\n", strings.TrimPrefix(err.Error(), config.ErrUsage.Error()+": "))
		serverUsage(stderr, lf)
		return 2
	case err != nil:
		fmt.Fprintln(stderr, "sesame: cannot start:", err)
		return 1
	}
	limits, err := lf.limits()
	if err != nil {
		fmt.Fprintln(stderr, "sesame: cannot start:", err)
		return 1
	}
	logger := slog.New(server.NewLogHandler(cfg.Log.Format, cfg.Log.Level, stderr))
	// Bind first: a taken port must fail before anything is created in
	// the data directory or the IAM store is opened.
	l, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		fmt.Fprintf(stderr, "sesame: cannot listen on %s: %v\n", cfg.Address, err)
		return 1
	}
	defer l.Close()
	srv, err := server.Open(cfg, server.Options{Logger: logger})
	if err != nil {
		fmt.Fprintln(stderr, "sesame: cannot start:", err)
		return 1
	}
	var stopPprof func()
	if cfg.Pprof != "" {
		if stopPprof, err = startPprof(cfg.Pprof, logger); err != nil {
			srv.Close()
			fmt.Fprintln(stderr, "sesame: cannot start:", err)
			return 1
		}
		defer stopPprof()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal stops the process at once
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := srv.Reopen(); err != nil {
				logger.Error("SIGHUP: reopening the logs or reloading the certificate failed", "err", err)
			} else {
				logger.Info("SIGHUP: logs reopened, certificate checked")
			}
		}
	}()

	b := newBanner(cfg, l.Addr(), srv.TLS())
	logger.Info("sesame is serving", "address", l.Addr().String(), "url", b.urls[0], "tls", srv.TLS(), "dir", cfg.Dir,
		"region", cfg.Region, "root_user", cfg.RootUser)
	if cfg.Log.Format == "text" {
		b.write(stderr)
	}
	for _, w := range b.warnings {
		logger.Warn(w)
	}
	err = srv.ServeWith(ctx, l, limits)
	if cerr := srv.Close(); cerr != nil {
		logger.Error("closing", "err", cerr)
	}
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 1
	}
	logger.Info("sesame stopped")
	return 0
}
