// Command bench is Sesame's load generator. It drives one or two S3
// endpoints (A and B) with one kind of request at a time, interleaving
// their runs so that both see the same machine, and prints one table of
// request rate, latency, errors and the server's CPU time per operation.
//
//	go run ./bench -start-sesame /tmp/x -mode get -size 4KiB -d 3s -runs 1
//	go run ./bench -a floor -start-sesame /tmp/x -mode anon
//	go run ./bench -start-sesame /tmp/s -start-minio ~/go/bin/minio /tmp/m -mode assume-role
//
// Flow: parse flags → start what the bench runs itself (the built-in
// OpenID provider, a Sesame or MinIO server, the floor server) → set up
// each target for the mode (bucket, object, temporary keys, token) and
// send one probe request outside the measured window → for each run, for
// each target: sample the server's CPU, run the workers for -d or -n,
// sample again → print the table → stop what it started.
//
// Invariants: every request is signed when it is sent, with
// aws-sdk-go-v2's SigV4 signer, as a real client would; a response with
// another status than the mode expects is an error, counted and shown,
// never a success; the exit status is 1 when any request failed.
//
// See docs/BENCH.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == floorCommand {
		os.Exit(serveFloor(os.Stdin, os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole bench; it returns the exit status: 0 when every
// request succeeded, 1 when any failed or the bench could not run, 2 for
// bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		if errors.Is(err, errUsage) {
			return 2
		}
		fmt.Fprintln(stderr, "bench:", err)
		return 2
	}
	b := &bench{opts: opts, log: stderr}
	defer b.close()
	results, err := b.run(ctx)
	if err != nil {
		b.dumpLogs(stderr)
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	rep := report{
		command: commandLine(append([]string{os.Args[0]}, args...)),
		machine: machineLine(),
		mode:    opts.describe(),
		targets: b.targets,
		results: results,
		object:  modes[opts.mode].object,
	}
	rep.sampleMemory()
	if opts.markdown {
		rep.markdown(stdout)
	} else {
		rep.text(stdout)
	}
	if rep.errorCount() > 0 {
		return 1
	}
	return 0
}
