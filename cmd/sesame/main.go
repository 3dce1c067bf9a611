// Command sesame is an S3-compatible object server with a Security Token Service.
//
//	sesame server [--address :9000] [--domain example.com] [--max-conns N] ... DIR
//	sesame admin iam export [--out FILE] DIR
//	sesame admin iam import [--replace] [--in FILE] DIR
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
	"syscall"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

const usage = `Usage: sesame COMMAND [ARGS]

Commands:
  server   serve a directory as an S3-compatible object store
  admin    export or import IAM state ('sesame admin --help')
  version  print the version

Run 'sesame server --help' for the server's flags.
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
		return serve(args[1:], environ, stderr)
	case "admin":
		return admin(args[1:], environ, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "sesame", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "sesame: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func serve(args []string, environ []string, stderr io.Writer) int {
	lf := newLimitFlags(stderr)
	args, err := lf.split(args)
	if err != nil {
		return 2 // the flag package said why
	}
	cfg, err := config.Load(args, environ, stderr)
	if err != nil {
		if errors.Is(err, config.ErrUsage) {
			lf.usage(stderr)
			return 2
		}
		fmt.Fprintln(stderr, "sesame: cannot start:", err)
		return 1
	}
	limits, err := lf.limits()
	if err != nil {
		fmt.Fprintln(stderr, "sesame: cannot start:", err)
		return 1
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	srv, err := server.Open(cfg, server.Options{Logger: logger})
	if err != nil {
		fmt.Fprintln(stderr, "sesame: cannot start:", err)
		return 1
	}
	defer srv.Close()
	l, err := net.Listen("tcp", cfg.Address)
	if err != nil {
		fmt.Fprintln(stderr, "sesame: cannot listen:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("sesame is serving", "address", l.Addr().String(), "dir", cfg.Dir, "region", cfg.Region, "root_user", cfg.RootUser)
	if err := srv.ServeWith(ctx, l, limits); err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 1
	}
	return 0
}
