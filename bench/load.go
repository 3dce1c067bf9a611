package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// runSpec is how long a run lasts and how many workers it has.
type runSpec struct {
	workers  int
	duration time.Duration // used when count is 0
	count    int64
}

// result is one run against one target.
type result struct {
	slot    int
	run     int
	n       int64 // operations completed, failed ones included
	errs    int64 // operations that failed
	bytes   int64 // object bytes moved by the successful ones
	elapsed time.Duration
	p50     time.Duration
	p99     time.Duration
	cpu     time.Duration // the server's user+sys CPU over the run
	cpuOK   bool
	errors  map[string]int64 // failures by kind
	notes   []string         // what else went wrong, e.g. the CPU figure
}

// rate is successful operations per second: failures, however fast,
// add nothing to a rate.
func (r result) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.n-r.errs) / r.elapsed.Seconds()
}

// mibps is object MiB per second.
func (r result) mibps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.bytes) / (1 << 20) / r.elapsed.Seconds()
}

// cpuPerOp is the server's CPU time per completed operation.
func (r result) cpuPerOp() (time.Duration, bool) {
	if !r.cpuOK || r.n == 0 {
		return 0, false
	}
	return r.cpu / time.Duration(r.n), true
}

// measure runs w against tg: spec.workers goroutines, each doing one
// operation after another until the duration has passed (an operation
// in flight then completes and counts) or count operations have started.
// The server's CPU time is sampled just before and just after.
func measure(ctx context.Context, tg *target, w workload, spec runSpec) (result, error) {
	res := result{slot: tg.slot, errors: map[string]int64{}}
	// A server that cannot be sampled (it exited) costs the CPU figure,
	// not the run: its failed requests are what the table must show.
	cpu0, cpuErr := time.Duration(0), error(nil)
	if tg.pid > 0 {
		cpu0, cpuErr = cpuTime(tg.pid)
	}
	var (
		started atomic.Int64
		mu      sync.Mutex
		lats    []time.Duration
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range spec.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 1024)
			var n, errs, moved int64
			kinds := map[string]int64{}
			for ctx.Err() == nil {
				if spec.count > 0 {
					if started.Add(1) > spec.count {
						break
					}
				} else if time.Since(start) >= spec.duration {
					break
				}
				t0 := time.Now()
				b, err := w.do(ctx)
				mine = append(mine, time.Since(t0))
				n++
				if err != nil {
					errs++
					kinds[errorKind(err)]++
				} else {
					moved += b
				}
			}
			mu.Lock()
			lats = append(lats, mine...)
			res.n += n
			res.errs += errs
			res.bytes += moved
			for k, c := range kinds {
				res.errors[k] += c
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if tg.pid > 0 {
		cpu1, err := cpuTime(tg.pid)
		if cpuErr == nil && err == nil {
			res.cpu, res.cpuOK = cpu1-cpu0, true
		} else {
			res.notes = append(res.notes, fmt.Sprintf("server CPU unknown (did PID %d exit?): %v", tg.pid, errors.Join(cpuErr, err)))
		}
	}
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	slices.Sort(lats)
	res.p50, res.p99 = percentile(lats, 0.50), percentile(lats, 0.99)
	return res, nil
}

// percentile is the nearest-rank percentile p of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// errorKind names a failure without what differs from one request to the
// next, so that failures of one kind are counted together.
func errorKind(err error) string {
	var se *statusError
	if errors.As(err, &se) {
		return se.Error()
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		code := ""
		var ae smithy.APIError
		if errors.As(err, &ae) {
			code = " " + ae.ErrorCode()
		}
		return fmt.Sprintf("HTTP %d%s", re.HTTPStatusCode(), code)
	}
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}
