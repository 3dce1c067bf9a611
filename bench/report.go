package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// report is the bench's output: the command, the machine, one table.
type report struct {
	command string
	machine string
	mode    string
	targets []*target
	results []result // in the order they ran
	object  bool     // show MiB/s
	memory  []string // each server's memory after the runs
}

// sampleMemory records the resident memory of every target whose process
// is known, after the runs and before the bench stops what it started.
func (rep *report) sampleMemory() {
	for _, tg := range rep.targets {
		if tg.pid <= 0 {
			continue
		}
		rss, peak, err := memory(tg.pid)
		if err != nil {
			rep.memory = append(rep.memory, fmt.Sprintf("%s: %v", tg.label(), err))
			continue
		}
		rep.memory = append(rep.memory, fmt.Sprintf("%s: resident %.1f MB, peak %.1f MB", tg.label(), float64(rss)/1e6, float64(peak)/1e6))
	}
}

// figures are the numbers of one row.
type figures struct {
	n        int64
	rate     float64 // ops/s
	mibps    float64
	p50, p99 time.Duration
	errs     int64
	cpuOp    time.Duration
	cpuOK    bool
}

func (r result) figures() figures {
	c, ok := r.cpuPerOp()
	return figures{n: r.n, rate: r.rate(), mibps: r.mibps(), p50: r.p50, p99: r.p99, errs: r.errs, cpuOp: c, cpuOK: ok}
}

// table returns the header and rows: each run as it ran, then the median
// of each target over its runs (with the errors of all runs added up).
// With two targets, B's rows carry B/A for the rate and CPU per operation,
// against A's row of the same run (or A's median).
func (rep *report) table() (header []string, rows [][]string) {
	two := len(rep.targets) == 2
	header = []string{"target", "run", "ops", "ops/s"}
	if rep.object {
		header = append(header, "MiB/s")
	}
	header = append(header, "p50", "p99", "errors", "server CPU/op")
	if two {
		header = append(header, "B/A ops/s", "B/A CPU/op")
	}
	row := func(label, run string, f, base figures, isB bool) []string {
		cells := []string{label, run, fmt.Sprint(f.n), sig3(f.rate)}
		if rep.object {
			cells = append(cells, sig3(f.mibps))
		}
		cpu := "-"
		if f.cpuOK {
			cpu = formatDuration(f.cpuOp)
		}
		cells = append(cells, formatDuration(f.p50), formatDuration(f.p99), fmt.Sprint(f.errs), cpu)
		if two {
			rate, cpuRatio := "", ""
			if isB {
				rate, cpuRatio = formatRatio(f.rate, base.rate), "-"
				if f.cpuOK && base.cpuOK {
					cpuRatio = formatRatio(float64(f.cpuOp), float64(base.cpuOp))
				}
			}
			cells = append(cells, rate, cpuRatio)
		}
		return cells
	}
	byRun := map[[2]int]result{}
	for _, r := range rep.results {
		byRun[[2]int{r.slot, r.run}] = r
	}
	for _, r := range rep.results {
		base := byRun[[2]int{0, r.run}].figures()
		rows = append(rows, row(rep.target(r.slot).label(), fmt.Sprint(r.run), r.figures(), base, r.slot == 1))
	}
	if runs := len(rep.results) / max(1, len(rep.targets)); runs > 1 {
		medA := rep.median(0)
		for _, tg := range rep.targets {
			rows = append(rows, row(tg.label(), "median", rep.median(tg.slot), medA, tg.slot == 1))
		}
	}
	return header, rows
}

func (rep *report) target(slot int) *target {
	for _, tg := range rep.targets {
		if tg.slot == slot {
			return tg
		}
	}
	return nil
}

// median is the median of each figure over the target's runs, except
// errors: the total, so that no failure hides behind a median.
func (rep *report) median(slot int) figures {
	var ns, rates, mibs, p50s, p99s, cpus []float64
	m := figures{cpuOK: true}
	for _, r := range rep.results {
		if r.slot != slot {
			continue
		}
		f := r.figures()
		ns = append(ns, float64(f.n))
		rates = append(rates, f.rate)
		mibs = append(mibs, f.mibps)
		p50s = append(p50s, float64(f.p50))
		p99s = append(p99s, float64(f.p99))
		cpus = append(cpus, float64(f.cpuOp))
		m.cpuOK = m.cpuOK && f.cpuOK
		m.errs += f.errs
	}
	m.n = int64(medianOf(ns))
	m.rate, m.mibps = medianOf(rates), medianOf(mibs)
	m.p50, m.p99 = time.Duration(medianOf(p50s)), time.Duration(medianOf(p99s))
	m.cpuOp = time.Duration(medianOf(cpus))
	return m
}

// medianOf is the median of xs (the mean of the middle two for an even count).
func medianOf(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// errorCount is the number of failed operations over all runs.
func (rep *report) errorCount() int64 {
	var n int64
	for _, r := range rep.results {
		n += r.errs
	}
	return n
}

// errorLines say which failures each run had.
func (rep *report) errorLines() []string {
	var lines []string
	for _, r := range rep.results {
		kinds := make([]string, 0, len(r.errors))
		for k := range r.errors {
			kinds = append(kinds, k)
		}
		slices.SortFunc(kinds, func(a, b string) int { return int(r.errors[b] - r.errors[a]) })
		for _, k := range kinds {
			lines = append(lines, fmt.Sprintf("%s run %d: %d × %s", rep.target(r.slot).label(), r.run, r.errors[k], k))
		}
		for _, n := range r.notes {
			lines = append(lines, fmt.Sprintf("%s run %d: %s", rep.target(r.slot).label(), r.run, n))
		}
	}
	return lines
}

func (rep *report) targetLines() []string {
	var lines []string
	for _, tg := range rep.targets {
		pid := "PID unknown"
		if tg.pid > 0 {
			pid = fmt.Sprintf("PID %d", tg.pid)
		}
		lines = append(lines, fmt.Sprintf("%s: %s, %s", tg.label(), tg.url, pid))
	}
	return lines
}

// text writes the report as aligned plain text.
func (rep *report) text(w io.Writer) {
	fmt.Fprintln(w, "command:", rep.command)
	fmt.Fprintln(w, "machine:", rep.machine)
	fmt.Fprintln(w, "measure:", rep.mode)
	for _, l := range rep.targetLines() {
		fmt.Fprintln(w, "target: ", l)
	}
	fmt.Fprintln(w)
	header, rows := rep.table()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, l := range rep.memory {
		fmt.Fprintln(w, "memory: ", l)
	}
	rep.writeErrors(w, "")
}

// markdown writes the report as Markdown for docs/PERFORMANCE.md: the
// command as an indented code block, then the table.
func (rep *report) markdown(w io.Writer) {
	fmt.Fprintln(w, "    "+rep.command)
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s; %s.\n\n", rep.mode, rep.machine)
	header, rows := rep.table()
	fmt.Fprintln(w, "| "+strings.Join(header, " | ")+" |")
	fmt.Fprintln(w, "|"+strings.Repeat("---|", len(header)))
	for _, r := range rows {
		fmt.Fprintln(w, "| "+strings.Join(r, " | ")+" |")
	}
	fmt.Fprintln(w)
	for _, l := range rep.memory {
		fmt.Fprintf(w, "Memory after the runs, %s.\n\n", l)
	}
	rep.writeErrors(w, "- ")
}

func (rep *report) writeErrors(w io.Writer, bullet string) {
	lines := rep.errorLines()
	if n := rep.errorCount(); n == 0 {
		fmt.Fprintln(w, "errors: none")
	} else {
		fmt.Fprintf(w, "errors: %d operations failed\n", n)
	}
	if len(lines) == 0 {
		return
	}
	if bullet != "" {
		fmt.Fprintln(w)
	}
	for _, l := range lines {
		fmt.Fprintln(w, bullet+l)
	}
}

// formatDuration writes d with three significant digits.
func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return sig3(float64(d)/1e3) + " µs"
	case d < time.Second:
		return sig3(float64(d)/1e6) + " ms"
	}
	return sig3(d.Seconds()) + " s"
}

func formatRatio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// sig3 writes f with three significant digits, or as an integer from 100.
func sig3(f float64) string {
	switch {
	case f >= 100:
		return fmt.Sprintf("%.0f", f)
	case f >= 10:
		return fmt.Sprintf("%.1f", f)
	}
	return fmt.Sprintf("%.2f", f)
}
