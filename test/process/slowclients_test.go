package process

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestServer_SlowClientFlood is the incident scaled down: a server with
// 512 descriptors, capped at 200 connections (shedding above 100), is
// flooded with 300 slow anonymous clients against a bucket anyone may read
// and write: bodies sent a byte at a time, large objects never read,
// request headers never finished. Without the cap, these connections and
// the files they hold would exhaust its descriptors. A first wave of 120
// is served up to the soft limit, until the minimum transfer rate cuts it;
// a second wave of 180 pushes past it. Signed requests keep being served
// promptly throughout, and every slow connection is closed within the
// configured times.
func TestServer_SlowClientFlood(t *testing.T) {
	const (
		firstWave     = 60 // PUTs and GETs each
		secondWave    = 60 // PUTs, GETs and headers each
		grace         = 2 * time.Second
		window        = 2 * time.Second
		headerTimeout = 4 * time.Second
		bigSize       = 8 << 20
	)
	dir := t.TempDir()
	n, log := startLogged(t, dir, 512, "--access-log", "stderr", "--max-conns", "200", "--soft-conns", "100", "--min-rate", "1024",
		"--rate-grace", grace.String(), "--rate-window", window.String(),
		"--header-timeout", headerTimeout.String(), "--busy-header-timeout", "1s")
	host := strings.TrimPrefix(n.endpoint, "http://")
	if runtime.GOOS == "linux" && !log.wait(`msg="connection limits" open_files=512 max_conns=200 soft_conns=100 `, 5*time.Second) {
		t.Fatalf("no start-up line with the limits and 512 open files: %q", log.match(`.*connection limits.*`))
	}

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	mustDo := func(method, path string, body []byte) {
		t.Helper()
		if code, err := signedDo(client, method, n.endpoint+path, body); err != nil || code/100 != 2 {
			t.Fatalf("%s %s: %d %v", method, path, code, err)
		}
	}
	mustDo(http.MethodPut, "/pub", nil)
	mustDo(http.MethodPut, "/pub?policy", []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",`+
		`"Action":["s3:GetObject","s3:PutObject"],"Resource":["arn:aws:s3:::pub/*"]}]}`))
	mustDo(http.MethodPut, "/pub/big", bytes.Repeat([]byte("b"), bigSize))
	mustDo(http.MethodPut, "/private", nil)

	// The flood. The dribbling clients report when the server closed their
	// connection and the status it answered, if any.
	type outcome struct {
		kind   string
		status int
		closed time.Duration // from connecting to the server's close
	}
	const dribblers = firstWave + 2*secondWave
	outcomes := make(chan outcome, dribblers)
	var nonReaders []net.Conn
	var mu sync.Mutex
	watch := func(kind string, c net.Conn, start time.Time) {
		// Reads until the server closes c: its response, if any, then EOF.
		br := bufio.NewReader(c)
		status := 0
		if resp, err := http.ReadResponse(br, nil); err == nil {
			status = resp.StatusCode
		}
		_, _ = io.Copy(io.Discard, br)
		outcomes <- outcome{kind, status, time.Since(start)}
	}
	dribble := func(c net.Conn) {
		for {
			time.Sleep(250 * time.Millisecond)
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}
	slowPut := func(i int) {
		c, start := dialFlood(t, host)
		if c == nil {
			return
		}
		fmt.Fprintf(c, "PUT /pub/slow-%d HTTP/1.1\r\nHost: %s\r\nContent-Length: 1048576\r\n\r\n", i, host)
		go dribble(c) // 4 bytes/s
		go watch("put", c, start)
	}
	unreadGet := func() {
		c, _ := dialFlood(t, host)
		if c == nil {
			return
		}
		c.(*net.TCPConn).SetReadBuffer(4 << 10)
		fmt.Fprintf(c, "GET /pub/big HTTP/1.1\r\nHost: %s\r\n\r\n", host)
		mu.Lock()
		nonReaders = append(nonReaders, c)
		mu.Unlock()
	}
	endlessHeader := func() {
		c, start := dialFlood(t, host)
		if c == nil {
			return
		}
		fmt.Fprintf(c, "GET /pub/big HTTP/1.1\r\nHost: %s\r\n", host)
		go dribble(c)
		go watch("header", c, start)
	}
	fds := watchDescriptors(t, n.cmd.Process.Pid)
	baseline := fds.now()
	floodStart := time.Now()
	var dials sync.WaitGroup
	wave := func(n int, clients ...func(i int)) {
		for i := 0; i < n; i++ {
			for _, client := range clients {
				dials.Add(1)
				go func() { defer dials.Done(); client(i) }()
			}
		}
		dials.Wait()
	}
	wave(firstWave, slowPut, func(int) { unreadGet() })
	time.Sleep(300 * time.Millisecond) // served: the handlers are reading and writing
	wave(secondWave, func(i int) { slowPut(firstWave + i) }, func(int) { unreadGet() }, func(int) { endlessHeader() })
	t.Logf("%d slow connections opened in %v", dribblers+firstWave+secondWave, time.Since(floodStart))

	// Signed requests, each on a new connection, while the flood lasts.
	var latencies []time.Duration
	payload := bytes.Repeat([]byte("s"), 1<<10)
	for i := 0; time.Since(floodStart) < 6*time.Second; i++ {
		for _, method := range []string{http.MethodPut, http.MethodGet} {
			body := payload
			if method == http.MethodGet {
				body = nil
			}
			start := time.Now()
			code, err := signedDo(client, method, fmt.Sprintf("%s/private/obj-%d", n.endpoint, i), body)
			latencies = append(latencies, time.Since(start))
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Logf("slow signed %s at %v: %v (server descriptors %d)", method, start.Sub(floodStart), d, fds.now())
			}
			if err != nil || code != http.StatusOK {
				t.Fatalf("signed %s during the flood, %v in: %d %v", method, time.Since(floodStart), code, err)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	slices.Sort(latencies)
	p50, p99, worst := latencies[len(latencies)/2], latencies[len(latencies)*99/100], latencies[len(latencies)-1]
	t.Logf("%d signed requests during the flood: median %v, p99 %v, slowest %v", len(latencies), p50, p99, worst)
	if worst > 2*time.Second {
		t.Errorf("slowest signed request took %v during the flood, want under 2s", worst)
	}

	// Every dribbling client is closed: the served ones once their grace is
	// spent, the refused ones at once, the headers at the (busy) header
	// timeout; some waited to be accepted first.
	bound := headerTimeout + 3*time.Second
	seen := map[string]map[int]int{"put": {}, "header": {}}
	var slowest time.Duration
	for i := 0; i < dribblers; i++ {
		select {
		case o := <-outcomes:
			seen[o.kind][o.status]++
			slowest = max(slowest, o.closed)
			if o.closed > bound {
				t.Errorf("a slow %s connection was closed after %v, want within %v", o.kind, o.closed, bound)
			}
		case <-time.After(time.Until(floodStart.Add(bound + time.Second))):
			t.Fatalf("%d of %d dribbling connections still open %v after the flood began", dribblers-i, dribblers, bound+time.Second)
		}
	}
	t.Logf("dribbling connections all closed, the last after %v; statuses seen (0: closed without one): PUT %v, header %v",
		slowest, seen["put"], seen["header"])

	// The GETs that were never read: the server stopped writing to each
	// within a Window of its stalling (the kernel may still hold what was
	// written, for a client that reads now) and never sent a whole one.
	var getDurations []time.Duration
	for _, m := range log.match(`msg=request method=GET path=/pub/big status=200 bytes=(\d+) duration=(\S+)`) {
		if b, _ := strconv.Atoi(m[1]); b >= bigSize {
			t.Errorf("a GET never read got the whole object: %s", m[0])
		}
		if d, err := time.ParseDuration(m[2]); err == nil {
			getDurations = append(getDurations, d)
		}
	}
	if len(getDurations) == 0 {
		t.Error("no GET was served and cut: the flood did not test the minimum rate of responses")
	} else {
		slices.Sort(getDurations)
		slowest := getDurations[len(getDurations)-1]
		t.Logf("%d GETs never read were served and cut; the server spent at most %v on one", len(getDurations), slowest)
		// Filling the kernel's buffers first takes a moment of CPU.
		if slowest > grace+window+2*time.Second {
			t.Errorf("a GET never read held its handler for %v, want it cut within the Window (%v) of stalling", slowest, window)
		}
	}

	// Everything the flood opened is closed on the server's side (give or
	// take the signed requests' connections).
	if fds.backTo(baseline+2, floodStart.Add(headerTimeout+grace+window)) {
		if peak, last := fds.above(baseline + 4); peak > 0 {
			t.Logf("server descriptors: %d before the flood, at most %d during it; the flood's were released %v after it began",
				baseline, peak, last.Sub(floodStart))
		}
	} else {
		t.Errorf("server holds %d descriptors %v after the flood began, %d before it", fds.now(), time.Since(floodStart), baseline)
	}
	if seen["put"][http.StatusBadRequest] == 0 {
		t.Error("no slow PUT was served and cut (400 RequestTimeout): the flood did not test the minimum rate of bodies")
	}
	for _, m := range log.match(`msg="(over the soft connection limit|still shedding|stopped shedding).*`) {
		t.Logf("server: %s", m[0])
	}
	// And the server still serves.
	mustDo(http.MethodGet, "/private/obj-0", nil)
}

// dialFlood connects to host for the flood; nil if it cannot, which fails t.
func dialFlood(t *testing.T, host string) (net.Conn, time.Time) {
	start := time.Now()
	c, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Errorf("flood dial: %v", err)
		return nil, start
	}
	t.Cleanup(func() { c.Close() })
	return c, start
}

// signedDo sends a request signed by root, with the payload's SHA-256,
// through client, and reads the whole response.
func signedDo(client *http.Client, method, url string, body []byte) (int, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// serverLog is what a sesame process wrote to stderr.
type serverLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *serverLog) add(line string) {
	l.mu.Lock()
	l.lines = append(l.lines, line)
	l.mu.Unlock()
}

// wait waits up to timeout for a line that matches re.
func (l *serverLog) wait(re string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); len(l.match(re)) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

// match returns the submatches of re in each line that matches.
func (l *serverLog) match(re string) [][]string {
	r := regexp.MustCompile(re)
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [][]string
	for _, line := range l.lines {
		if m := r.FindStringSubmatch(line); m != nil {
			out = append(out, m)
		}
	}
	return out
}

// startLogged is start with extra flags, keeping the server's log. With
// files > 0 the server runs under that hard limit on open files (through
// the shell's ulimit), where there is a shell.
func startLogged(t *testing.T, dir string, files int, flags ...string) (*node, *serverLog) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	args := append(append([]string{"server", "--address", "127.0.0.1:0", "--certs-dir="}, flags...), dir)
	cmd := exec.CommandContext(ctx, binary, args...)
	if _, err := os.Stat("/bin/sh"); err == nil && files > 0 {
		script := fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, files)
		cmd = exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", script, binary}, args...)...)
	}
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+rootUser, "MINIO_ROOT_PASSWORD="+rootPassword)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{cmd: cmd, done: make(chan struct{})}
	log := &serverLog{}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.add(sc.Text())
			if m := addrRE.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "serving") {
				addr <- m[1]
			}
		}
	}()
	go func() { _ = cmd.Wait(); close(n.done) }()
	t.Cleanup(func() { n.kill(); cancel() })
	select {
	case a := <-addr:
		n.endpoint = "http://" + a
	case <-n.done:
		t.Fatalf("sesame exited before serving:\n%s", strings.Join(log.lines, "\n"))
	case <-time.After(30 * time.Second):
		t.Fatal("sesame did not start within 30s")
	}
	return n, log
}

// descriptors samples how many files a process has open, where /proc
// tells (Linux).
type descriptors struct {
	pid     int
	mu      sync.Mutex
	samples []sample
	stop    chan struct{}
}

type sample struct {
	at time.Time
	n  int
}

func watchDescriptors(t *testing.T, pid int) *descriptors {
	d := &descriptors{pid: pid, stop: make(chan struct{})}
	go func() {
		for {
			select {
			case <-d.stop:
				return
			case <-time.After(20 * time.Millisecond):
				if n, ok := d.count(); ok {
					d.mu.Lock()
					d.samples = append(d.samples, sample{time.Now(), n})
					d.mu.Unlock()
				}
			}
		}
	}()
	t.Cleanup(func() { close(d.stop) })
	return d
}

// count returns the number of open descriptors, less the posix backend's
// key-stripe lock files (at most 256, opened on first use and kept open by
// design); ok is false without /proc.
func (d *descriptors) count() (n int, ok bool) {
	dir := fmt.Sprintf("/proc/%d/fd", d.pid)
	fds, err := os.ReadDir(dir)
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && strings.Contains(target, "/.sesame.sys/locks/") {
			continue
		}
		n++
	}
	return n, err == nil
}

func (d *descriptors) now() int { n, _ := d.count(); return n }

// above returns the most descriptors sampled and the last time there were
// more than n.
func (d *descriptors) above(n int) (peak int, last time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.samples {
		peak = max(peak, s.n)
		if s.n > n {
			last = s.at
		}
	}
	return peak, last
}

// backTo waits until the process holds at most n descriptors, or deadline;
// it reports whether it did (true where /proc is missing).
func (d *descriptors) backTo(n int, deadline time.Time) bool {
	for {
		c, ok := d.count()
		switch {
		case !ok || c <= n:
			return true
		case time.Now().After(deadline):
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}
