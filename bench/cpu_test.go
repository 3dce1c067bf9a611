package main

import (
	"os"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name with a space and a parenthesis; utime 250, stime 50.
	line := "1234 (my) prog) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 100 1000 10 18446744073709551615"
	got, err := parseStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if want := 3 * time.Second; got != want {
		t.Errorf("parseStat = %v, want %v", got, want)
	}
	if _, err := parseStat("1234 (x) S 1 2"); err == nil {
		t.Error("parseStat of a short line: no error")
	}
}

// TestCPUTime_Self spins until /proc shows this process's CPU time grow;
// on a loaded machine that takes longer than the CPU it counts.
func TestCPUTime_Self(t *testing.T) {
	before, err := cpuTime(os.Getpid())
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	x := 0
	for start := time.Now(); time.Since(start) < 20*time.Second; {
		for range 1_000_000 {
			x++
		}
		now, err := cpuTime(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if now-before >= 50*time.Millisecond {
			return
		}
	}
	t.Errorf("CPU time did not grow by 50 ms over 20 s of spinning (%d)", x)
}

func TestParseStatus(t *testing.T) {
	s := "Name:\tsesame\nVmPeak:\t 1000 kB\nVmHWM:\t   30000 kB\nVmRSS:\t   27384 kB\nThreads:\t8\n"
	rss, peak, err := parseStatus(s)
	if err != nil || rss != 27384<<10 || peak != 30000<<10 {
		t.Fatalf("parseStatus = %d, %d, %v", rss, peak, err)
	}
	if _, _, err := parseStatus("Name:\tx\nVmRSS:\t12 MB\nVmHWM:\t1 kB\n"); err == nil {
		t.Fatal("parseStatus accepted a unit other than kB")
	}
	if _, _, err := parseStatus("Name:\tx\n"); err == nil {
		t.Fatal("parseStatus accepted a status without VmRSS")
	}
	rss, _, err = memory(os.Getpid())
	if err != nil || rss <= 0 {
		t.Fatalf("memory(self) = %d, %v", rss, err)
	}
}
