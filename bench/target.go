package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// target is one endpoint under load.
type target struct {
	slot   int    // 0 for A, 1 for B
	name   string // sesame, minio, floor, or the URL's host
	url    string // "http://host:port"
	region string
	creds  aws.Credentials // the long-term keys (root for started servers)
	pid    int             // server process, 0 when unknown
	floor  bool            // the floor server: every request is answered 403
	client *http.Client
	note   string // how it was started, for the log
}

// label is "A sesame", "B floor", ...
func (tg *target) label() string { return slotName(tg.slot) + " " + tg.name }

// newHTTPClient is a keep-alive client with an idle connection for every
// request that can be in flight, so runs measure requests, not dials.
func newHTTPClient(conns int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * conns,
		MaxIdleConnsPerHost: 2 * conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		// Large transfers stream; the timeouts that matter are the
		// response header's and the overall deadline of the run.
		ResponseHeaderTimeout: 60 * time.Second,
	}
	return &http.Client{Transport: tr}
}

// process is a server the bench started. Its output goes to a log file.
type process struct {
	cmd   *exec.Cmd
	log   string
	stdin io.Closer // closed to stop the floor server
	done  chan struct{}
	err   error // Wait's result, once done is closed
}

// startProcess starts cmd with its stderr, and its stdout unless already
// set, appended to logPath. The child gets SIGTERM if the bench dies.
func startProcess(cmd *exec.Cmd, logPath string) (*process, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if cmd.Stdout == nil { // the floor's is a pipe already
		cmd.Stdout = f
	}
	cmd.Stderr = f
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &process{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// pid is the process id.
func (p *process) pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process: stdin closed and SIGTERM, SIGKILL after 10 s.
func (p *process) stop() error {
	if p.stdin != nil {
		_ = p.stdin.Close()
	}
	if p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return nil
}

// logTail returns the last lines of the process's log.
func (p *process) logTail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls base until it answers HTTP with anything but 503 (a
// MinIO still initializing), the process ends, or the timeout passes.
func waitReady(ctx context.Context, base string, p *process, timeout time.Duration) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
		resp, err := c.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				return nil
			}
		}
		if p.exited() {
			return fmt.Errorf("the server exited (%v); log %s:\n%s", p.err, p.log, p.logTail())
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the server did not answer within %s; log %s:\n%s", timeout, p.log, p.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// serverEnv is the bench's environment with env's variables set over it.
// The caller's own MINIO_* settings pass through, so that a started
// server can be configured beyond what the bench sets (e.g. an identity
// provider for -token).
func serverEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); env[k] == "" {
			out = append(out, kv)
		}
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

// buildSesame builds ./cmd/sesame into dir. The bench runs the built
// binary rather than `go run`, whose process would be the go command's
// and not the server's.
func buildSesame(ctx context.Context, dir string, log io.Writer) (string, error) {
	bin := filepath.Join(dir, "sesame")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/sesame-s3/sesame/cmd/sesame")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	fmt.Fprintln(log, "bench: building ./cmd/sesame")
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sesame: %v\n%s", err, out.Bytes())
	}
	return bin, nil
}

// startServer starts a Sesame or MinIO binary (`server --address
// 127.0.0.1:PORT DIR`, which both accept) with root keys and env, and
// waits until it serves.
func startServer(ctx context.Context, name, bin, dir string, root aws.Credentials, env map[string]string, logPath string) (*process, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	all := map[string]string{
		"MINIO_ROOT_USER":     root.AccessKeyID,
		"MINIO_ROOT_PASSWORD": root.SecretAccessKey,
	}
	for k, v := range env {
		all[k] = v
	}
	cmd := exec.Command(bin, "server", "--address", addr, dir)
	cmd.Env = serverEnv(all)
	p, err := startProcess(cmd, logPath)
	if err != nil {
		return nil, "", err
	}
	base := "http://" + addr
	if err := waitReady(ctx, base, p, 60*time.Second); err != nil {
		_ = p.stop()
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	return p, base, nil
}

// minioEnv is what a MinIO started by the bench gets besides root keys:
// no console (which would listen on another port), no update checks, and
// CI mode, which lets a single drive sit on the root file system.
var minioEnv = map[string]string{
	"MINIO_BROWSER": "off",
	"MINIO_UPDATE":  "off",
	"MINIO_CI_CD":   "1",
}

// hostOf is the host:port of a URL, or the URL.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}
