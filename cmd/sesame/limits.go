package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/server"
)

// limitFlags are the flags of `sesame server` that bound the HTTP edge
// (server.Limits). config.Load owns the server's other flags and refuses
// flags it does not know, so these are taken out of the arguments before
// it sees them, wherever they stand, and listed after its help.
type limitFlags struct {
	fs      *flag.FlagSet
	lim     server.Limits
	minRate int64
}

func newLimitFlags(stderr io.Writer) *limitFlags {
	f := &limitFlags{fs: flag.NewFlagSet("sesame server", flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(stderr)
	fs.Usage = func() { f.usage(stderr) }
	fs.IntVar(&f.lim.MaxConns, "max-conns", 0, "most connections open at once; more wait to be accepted (0: half of the open file limit less 64)")
	fs.IntVar(&f.lim.SoftConns, "soft-conns", 0, "above this many open connections, requests without credentials get 503 SlowDown and idle connections are closed (0: 3/4 of --max-conns)")
	fs.Int64Var(&f.minRate, "min-rate", 1024, "slowest average `bytes/s` at which a request body may arrive or a response be read; 0 switches it off")
	fs.DurationVar(&f.lim.RateGrace, "rate-grace", 30*time.Second, "time a request body or response may take to start moving (at most --rate-window)")
	fs.DurationVar(&f.lim.RateWindow, "rate-window", 60*time.Second, "longest a request body or response may stall")
	fs.DurationVar(&f.lim.HeaderTimeout, "header-timeout", 10*time.Second, "time a client has to send a request's header")
	fs.DurationVar(&f.lim.BusyHeaderTimeout, "busy-header-timeout", 2*time.Second, "time a new connection has to send its first request header above --soft-conns")
	fs.DurationVar(&f.lim.IdleTimeout, "idle-timeout", 120*time.Second, "time an idle keep-alive connection is kept")
	return f
}

// split takes the limit flags (-name value, -name=value, one or two
// dashes) out of args, up to a "--", and returns the rest for config.Load.
func (f *limitFlags) split(args []string) (rest []string, err error) {
	var own []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || f.fs.Lookup(name) == nil {
			rest = append(rest, a)
			continue
		}
		own = append(own, a)
		if !hasValue && i+1 < len(args) {
			i++
			own = append(own, args[i])
		}
	}
	if err := f.fs.Parse(own); err != nil {
		return nil, err
	}
	return rest, nil
}

// limits returns the parsed limits, checked. A grace not given follows a
// shorter window.
func (f *limitFlags) limits() (server.Limits, error) {
	lim := f.lim
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !set["rate-grace"] {
		lim.RateGrace = min(lim.RateGrace, lim.RateWindow)
	}
	if !set["busy-header-timeout"] {
		lim.BusyHeaderTimeout = min(lim.BusyHeaderTimeout, lim.HeaderTimeout)
	}
	if f.minRate == 0 {
		lim.NoMinRate = true
	} else {
		lim.MinRate = f.minRate
	}
	return lim, lim.Validate()
}

// usage lists the limit flags, after config.Load's help.
func (f *limitFlags) usage(w io.Writer) {
	fmt.Fprint(w, "\nConnection limits and timeouts (see docs/SECURITY.md):\n")
	f.fs.SetOutput(w)
	f.fs.PrintDefaults()
}
