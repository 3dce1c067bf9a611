package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if got := percentile(d, 0.50); got != 50*time.Millisecond {
		t.Errorf("p50 = %v", got)
	}
	if got := percentile(d, 0.99); got != 99*time.Millisecond {
		t.Errorf("p99 = %v", got)
	}
	if got := percentile(d[:1], 0.99); got != time.Millisecond {
		t.Errorf("p99 of one = %v", got)
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("p50 of none = %v", got)
	}
}

func TestMedianOf(t *testing.T) {
	if got := medianOf([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median = %v", got)
	}
	if got := medianOf([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("median = %v", got)
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		425 * time.Microsecond:  "425 µs",
		47900 * time.Nanosecond: "47.9 µs",
		9430 * time.Microsecond: "9.43 ms",
		1450 * time.Millisecond: "1.45 s",
		500 * time.Nanosecond:   "500 ns",
		0:                       "0",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestReport_Table checks the ratios, the medians and that errors add up
// rather than take a median.
func TestReport_Table(t *testing.T) {
	a := &target{slot: 0, name: "floor"}
	b := &target{slot: 1, name: "sesame"}
	res := func(slot, run int, n, errs int64, cpu time.Duration) result {
		return result{slot: slot, run: run, n: n, errs: errs, elapsed: time.Second, cpu: cpu, cpuOK: true,
			p50: time.Millisecond, p99: 10 * time.Millisecond, errors: map[string]int64{"HTTP 500 InternalError": errs}}
	}
	rep := report{
		targets: []*target{a, b},
		results: []result{
			res(0, 1, 1000, 0, 100*time.Millisecond), res(1, 1, 250, 0, 100*time.Millisecond),
			res(0, 2, 1000, 0, 100*time.Millisecond), res(1, 2, 500, 4, 100*time.Millisecond),
		},
	}
	header, rows := rep.table()
	if want := "target run ops ops/s p50 p99 errors server CPU/op B/A ops/s B/A CPU/op"; strings.Join(header, " ") != want {
		t.Errorf("header = %q", strings.Join(header, " "))
	}
	want := [][]string{
		{"A floor", "1", "1000", "1000", "1.00 ms", "10.0 ms", "0", "100 µs", "", ""},
		{"B sesame", "1", "250", "250", "1.00 ms", "10.0 ms", "0", "400 µs", "0.25", "4.00"},
		{"A floor", "2", "1000", "1000", "1.00 ms", "10.0 ms", "0", "100 µs", "", ""},
		{"B sesame", "2", "500", "496", "1.00 ms", "10.0 ms", "4", "200 µs", "0.50", "2.00"},
		{"A floor", "median", "1000", "1000", "1.00 ms", "10.0 ms", "0", "100 µs", "", ""},
		{"B sesame", "median", "375", "373", "1.00 ms", "10.0 ms", "4", "300 µs", "0.37", "3.00"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q\n          want %q", i, rows[i], want[i])
		}
	}
	var out bytes.Buffer
	rep.text(&out)
	if !strings.Contains(out.String(), "errors: 4 operations failed") || !strings.Contains(out.String(), "B sesame run 2: 4 × HTTP 500 InternalError") {
		t.Errorf("text report does not show the errors:\n%s", out.String())
	}
}
