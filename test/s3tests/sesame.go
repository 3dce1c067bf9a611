package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesame-s3/sesame/internal/sse"
)

// Root credentials of the server the runner starts ([s3 main]), and its
// region.
const (
	rootUser     = "s3tests-root"
	rootPassword = "s3tests-root-secret"
	region       = "us-east-1"
	// accountID is Sesame's one account, as GetUser and GetCallerIdentity
	// report it for the root user.
	accountID = "000000000000"
)

// findRepo returns the directory of the module github.com/sesame-s3/sesame
// that holds dir (the go.mod above it).
func findRepo(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && regexp.MustCompile(`(?m)^module github\.com/sesame-s3/sesame\s*$`).Match(b) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod of github.com/sesame-s3/sesame above %s", dir)
		}
	}
}

// buildSesame builds cmd/sesame of the repository at repo into dir.
func buildSesame(ctx context.Context, repo, dir string, log io.Writer) (string, error) {
	bin := filepath.Join(dir, "sesame")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/sesame")
	cmd.Dir = repo
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/sesame: %w", err)
	}
	return bin, nil
}

// server is a running sesame process that this program started.
type server struct {
	cmd      *exec.Cmd
	endpoint string // http://127.0.0.1:PORT
	done     chan struct{}
	logPath  string
}

var servingRE = regexp.MustCompile(`msg="sesame is serving" address=(\S+)`)

// startSesame runs `sesame server` on a free loopback port over a fresh
// data directory, with the root credentials and the extra environment
// env, logging to logPath, and waits until it serves.
func startSesame(ctx context.Context, bin, dataDir, logPath string, env []string) (*server, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	keyring, err := writeKeyring(filepath.Dir(logPath))
	if err != nil {
		logFile.Close()
		return nil, err
	}
	cmd := exec.Command(bin, "server", "--address", "127.0.0.1:0", dataDir)
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+rootUser, "MINIO_ROOT_PASSWORD="+rootPassword,
		// The suite speaks plain http, sends SSE-C keys, names the SSE-KMS
		// keys testkey-1 and testkey-2, and counts a lifecycle "day" as its
		// lc_debug_interval (10 s), as RGW's test setup does
		// (rgw_crypt_require_ssl=false, rgw_crypt_s3_kms_encryption_keys,
		// rgw_lc_debug_interval).
		"SESAME_SSE_C_ALLOW_INSECURE=on", "SESAME_SSE_KEYRING="+keyring,
		"SESAME_LIFECYCLE_DAY=10s", "SESAME_LIFECYCLE_INTERVAL=2s")
	cmd.Env = append(cmd.Env, env...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = logFile, pw
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	s := &server{cmd: cmd, done: make(chan struct{}), logPath: logPath}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			if m := servingRE.FindStringSubmatch(line); m != nil && !found {
				found = true
				addr <- m[1]
			}
		}
		_, _ = io.Copy(logFile, pr)
	}()
	go func() {
		_ = cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	select {
	case a := <-addr:
		s.endpoint = "http://" + a
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("sesame exited before serving (log: %s)", logPath)
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, fmt.Errorf("sesame did not serve within 60s (log: %s)", logPath)
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
}

// stop ends the server process (by its pid) and waits for it.
func (s *server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
			return
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
	<-s.done
}

// account is an identity of the configuration: its keys and the names
// the suite's config file needs.
type account struct {
	UserName, AccessKey, SecretKey string
	// CanonicalID and DisplayName are what Sesame reports as the owner
	// of this identity's buckets (ListBuckets' Owner).
	CanonicalID, DisplayName string
}

// identities are the [s3 main], [s3 alt], [s3 tenant] and [iam] users.
type identities struct {
	Main, Alt, Tenant, IAM account
}

// The IAM users the runner creates, and the policies attached to them.
// They are at path /, outside the suite's path prefix (/s3-tests/), whose
// users its iam_root fixture deletes.
var provisioned = []struct {
	name, policy string
}{
	{"s3tests-alt", "arn:aws:iam::aws:policy/readwrite"},
	{"s3tests-tenant", "arn:aws:iam::aws:policy/readwrite"},
	// consoleAdmin: every S3 action and every IAM action (admin:*), as the
	// suite's [iam] user needs (it creates roles and providers, and
	// buckets with its own keys).
	{"s3tests-iam", "arn:aws:iam::aws:policy/consoleAdmin"},
}

// provision creates the suite's users through Sesame's IAM API with the
// root keys, and reads back the owner each one is reported as.
func provision(ctx context.Context, endpoint string) (identities, error) {
	rootCfg := awsConfig(rootUser, rootPassword)
	iamc := iam.NewFromConfig(rootCfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(endpoint) })
	var ids identities
	ids.Main = account{UserName: rootUser, AccessKey: rootUser, SecretKey: rootPassword}
	for i, p := range provisioned {
		if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(p.name)}); err != nil {
			return ids, fmt.Errorf("IAM CreateUser %s: %w", p.name, err)
		}
		key, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(p.name)})
		if err != nil {
			return ids, fmt.Errorf("IAM CreateAccessKey %s: %w", p.name, err)
		}
		if _, err := iamc.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(p.name), PolicyArn: aws.String(p.policy)}); err != nil {
			return ids, fmt.Errorf("IAM AttachUserPolicy %s %s: %w", p.name, p.policy, err)
		}
		a := account{UserName: p.name, AccessKey: *key.AccessKey.AccessKeyId, SecretKey: *key.AccessKey.SecretAccessKey}
		switch i {
		case 0:
			ids.Alt = a
		case 1:
			ids.Tenant = a
		case 2:
			ids.IAM = a
		}
	}
	for _, a := range []*account{&ids.Main, &ids.Alt, &ids.Tenant, &ids.IAM} {
		if err := readOwner(ctx, endpoint, a); err != nil {
			return ids, err
		}
	}
	// A check that the root keys are what the suite's iam_root fixture
	// wants: GetUser without a name answers an ARN ending in :root.
	self, err := iamc.GetUser(ctx, &iam.GetUserInput{})
	if err != nil {
		return ids, fmt.Errorf("IAM GetUser (root): %w", err)
	}
	if arn := aws.ToString(self.User.Arn); !strings.HasSuffix(arn, ":root") {
		return ids, fmt.Errorf("IAM GetUser (root) answers %s, not a :root ARN", arn)
	}
	return ids, nil
}

// readOwner fills a's CanonicalID and DisplayName from ListBuckets, whose
// Owner Sesame reports whether or not there are buckets. A key may take a
// moment to be honoured after CreateAccessKey, so it retries briefly.
func readOwner(ctx context.Context, endpoint string, a *account) error {
	c := s3.NewFromConfig(awsConfig(a.AccessKey, a.SecretKey), func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	var err error
	for try := 0; try < 20; try++ {
		var out *s3.ListBucketsOutput
		out, err = c.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err == nil {
			if out.Owner == nil {
				return fmt.Errorf("ListBuckets as %s: no Owner", a.UserName)
			}
			a.CanonicalID, a.DisplayName = aws.ToString(out.Owner.ID), aws.ToString(out.Owner.DisplayName)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("ListBuckets as %s: %w", a.UserName, err)
}

func awsConfig(key, secret string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
	}
}

// errNoSuite is returned when the suite's folder is missing.
var errNoSuite = errors.New("ceph's s3-tests not found")

// findSuite returns the folder of ceph's s3-tests: dir when set, else
// $S3TESTS_DIR, else shared/s3-tests beside the repository or one of its
// ancestors (where the workspace and CI keep it).
func findSuite(dir, repo string) (string, error) {
	var candidates []string
	switch {
	case dir != "":
		candidates = []string{dir}
	case os.Getenv("S3TESTS_DIR") != "":
		candidates = []string{os.Getenv("S3TESTS_DIR")}
	default:
		// shared/s3-tests beside the repository or beside one of its
		// ancestors (a clone in a folder of the workspace), else the
		// workspace's own.
		for d := filepath.Dir(repo); ; d = filepath.Dir(d) {
			candidates = append(candidates, filepath.Join(d, "shared", "s3-tests"))
			if d == filepath.Dir(d) {
				break
			}
		}
		candidates = append(candidates, "/work/shared/s3-tests")
	}
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(c, "s3tests", "functional", "__init__.py")); err == nil {
			return filepath.Abs(c)
		}
	}
	return "", fmt.Errorf("%w in %s (set -suite-dir or S3TESTS_DIR)", errNoSuite, strings.Join(candidates, ", "))
}

// writeKeyring writes an SSE keyring into dir with a random default key
// and the SSE-KMS keys the suite names, and returns its path.
func writeKeyring(dir string) (string, error) {
	var keys []sse.MasterKey
	for _, id := range []string{"", "testkey-1", "testkey-2"} {
		k, err := sse.NewMasterKey(rand.Reader)
		if err != nil {
			return "", err
		}
		if id != "" {
			k.ID = id
		}
		keys = append(keys, k)
	}
	path := filepath.Join(dir, "sse-keyring")
	return path, os.WriteFile(path, sse.FormatKeyring(keys...), 0o600)
}
