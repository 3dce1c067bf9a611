package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// bench is one invocation: its targets, what it started, and its runs.
type bench struct {
	opts    options
	log     io.Writer // progress; the table goes elsewhere
	targets []*target
	work    []workload // by target
	procs   []*process
	idp     *idp
	tmp     string // binaries and server logs, removed at close
	data    []byte // the object payload, see payload
}

// run starts the targets, sets them up and runs the measured runs,
// interleaving the targets: A, B, A, B, ...
func (b *bench) run(ctx context.Context) ([]result, error) {
	var err error
	if b.tmp, err = os.MkdirTemp("", "sesame-bench-"); err != nil {
		return nil, err
	}
	if err := b.startTargets(ctx); err != nil {
		return nil, err
	}
	for _, tg := range b.targets {
		token := b.opts.token
		if token == "" && b.idp != nil && !tg.floor {
			if token, err = b.idp.token(ctx); err != nil {
				return nil, fmt.Errorf("minting a token: %w", err)
			}
		}
		w, err := b.setup(ctx, tg, token)
		if err != nil {
			return nil, err
		}
		// One request outside the measured window: it warms the
		// connection and keys, and stops the bench early when the mode
		// does not work against this target at all.
		if !modes[b.opts.mode].large {
			if _, err := w.do(ctx); err != nil {
				return nil, fmt.Errorf("%s: the first %s request failed: %w", tg.label(), b.opts.mode, withBody(err))
			}
		}
		b.work = append(b.work, w)
	}
	spec := runSpec{workers: b.opts.workers, duration: b.opts.duration, count: b.opts.count}
	var results []result
	for r := 1; r <= b.opts.runs; r++ {
		for i, tg := range b.targets {
			fmt.Fprintf(b.log, "bench: run %d/%d %s ... ", r, b.opts.runs, tg.label())
			res, err := measure(ctx, tg, b.work[i], spec)
			if err != nil {
				fmt.Fprintln(b.log)
				return nil, err
			}
			res.run = r
			fmt.Fprintf(b.log, "%d ops, %s/s, %d errors\n", res.n, sig3(res.rate()), res.errs)
			results = append(results, res)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return results, nil
}

// startTargets starts what the slots ask for and makes a target of each.
func (b *bench) startTargets(ctx context.Context) error {
	o := &b.opts
	needIDP := modes[o.mode].federated && o.token == ""
	for i, s := range o.slots {
		if s.spec == "" {
			continue
		}
		conns := max(o.workers, o.threads)
		tg := &target{
			slot: i, name: s.spec, url: s.spec, region: o.region, pid: s.pid,
			creds:  aws.Credentials{AccessKeyID: s.key, SecretAccessKey: s.secret},
			client: newHTTPClient(conns),
		}
		var p *process
		var err error
		switch s.spec {
		case specFloor:
			tg.floor = true
			p, tg.url, err = startFloor(filepath.Join(b.tmp, "floor.log"))
		case specSesame, specMinio:
			var env map[string]string
			if needIDP {
				if env, err = b.idpEnv(); err != nil {
					return err
				}
			}
			bin, dir := o.sesameBin, o.sesameDir
			if s.spec == specMinio {
				bin, dir = o.minioBin, o.minioDir
				if dir == "" {
					dir = filepath.Join(b.tmp, "minio-data")
				}
				for k, v := range minioEnv {
					env = withKey(env, k, v)
				}
			} else if bin == "" {
				if bin, err = buildSesame(ctx, b.tmp, b.log); err != nil {
					return err
				}
			}
			p, tg.url, err = startServer(ctx, s.spec, bin, dir, tg.creds, env, filepath.Join(b.tmp, s.spec+".log"))
		default:
			tg.name = hostOf(s.spec)
		}
		if err != nil {
			return err
		}
		if p != nil {
			b.procs = append(b.procs, p)
			tg.pid = p.pid()
		}
		pid := "unknown (no -" + string(rune('a'+i)) + "-pid): no server CPU"
		if tg.pid > 0 {
			pid = fmt.Sprint(tg.pid)
			if _, err := cpuTime(tg.pid); err != nil {
				return fmt.Errorf("%s: reading the CPU time of PID %d: %w", tg.label(), tg.pid, err)
			}
		}
		fmt.Fprintf(b.log, "bench: %s at %s, PID %s\n", tg.label(), tg.url, pid)
		b.targets = append(b.targets, tg)
	}
	if len(b.targets) == 0 {
		return errors.New("no target")
	}
	return nil
}

// idpEnv starts the built-in OpenID provider once and returns the
// environment that points a server at it.
func (b *bench) idpEnv() (map[string]string, error) {
	if b.idp == nil {
		ip, err := openIDP()
		if err != nil {
			return nil, err
		}
		b.idp = ip
		fmt.Fprintf(b.log, "bench: built-in OpenID provider at %s\n", ip.p.Issuer())
	}
	env := map[string]string{}
	for k, v := range b.idp.env() {
		env[k] = v
	}
	return env, nil
}

func withKey(m map[string]string, k, v string) map[string]string {
	if m == nil {
		m = map[string]string{}
	}
	m[k] = v
	return m
}

// dumpLogs writes the end of each started server's log, before close
// removes them, so that a failed bench says what the servers said.
func (b *bench) dumpLogs(w io.Writer) {
	for _, p := range b.procs {
		if tail := p.logTail(); tail != "" {
			fmt.Fprintf(w, "bench: end of %s:\n%s\n", filepath.Base(p.log), tail)
		}
	}
}

// close stops what the bench started and removes its temporary files.
func (b *bench) close() {
	for i := len(b.procs) - 1; i >= 0; i-- {
		_ = b.procs[i].stop()
	}
	if b.idp != nil {
		b.idp.Close()
	}
	if b.tmp != "" {
		_ = os.RemoveAll(b.tmp)
	}
}
