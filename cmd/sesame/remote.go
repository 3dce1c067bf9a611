package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sesame-s3/sesame/internal/metrics"
	"github.com/sesame-s3/sesame/internal/server"
)

// defaultEndpoint is where the admin commands find the server.
const defaultEndpoint = "http://localhost:9000"

// envMap turns KEY=VALUE pairs into a lookup.
func envMap(environ []string) func(string) string {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return func(k string) string { return env[k] }
}

// adminCredentials are the root credentials of the environment, or else
// the AWS ones.
func adminCredentials(getenv func(string) string) (aws.Credentials, error) {
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	if user := first("MINIO_ROOT_USER", "MINIO_ACCESS_KEY"); user != "" {
		pass := first("MINIO_ROOT_PASSWORD", "MINIO_SECRET_KEY")
		if pass == "" {
			return aws.Credentials{}, errors.New("MINIO_ROOT_USER is set but MINIO_ROOT_PASSWORD is not")
		}
		return aws.Credentials{AccessKeyID: user, SecretAccessKey: pass}, nil
	}
	if ak := getenv("AWS_ACCESS_KEY_ID"); ak != "" {
		return aws.Credentials{AccessKeyID: ak, SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: getenv("AWS_SESSION_TOKEN")}, nil
	}
	return aws.Credentials{}, errors.New("no credentials: set MINIO_ROOT_USER and MINIO_ROOT_PASSWORD (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
}

// checkEndpoint returns the endpoint's URL without a trailing slash.
func checkEndpoint(endpoint string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("--endpoint %q: want http(s)://host:port", endpoint)
	}
	return u, nil
}

func adminConfigGet(args []string, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sesame admin config get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", defaultEndpoint, "`URL` of the running server")
	asJSON := fs.Bool("json", false, "print the server's JSON document")
	caFile := fs.String("ca", "", "PEM `file` of the CA that signed the server's certificate (default: the system's CAs)")
	insecure := fs.Bool("insecure", false, "do not verify the server's certificate")
	region := fs.String("region", "us-east-1", "region to sign for")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "%s: at most one SUBSYSTEM\n\n%s", fs.Name(), adminUsage)
		return 2
	}
	u, err := checkEndpoint(*endpoint)
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 2
	}
	creds, err := adminCredentials(envMap(environ))
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 1
	}
	client, err := adminClient(*caFile, *insecure)
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body, err := signedGet(ctx, client, creds, *region, u.String()+server.ConfigPath)
	if err != nil {
		fmt.Fprintf(stderr, "sesame: %s: %v\n", u, err)
		return 1
	}
	var eff server.Effective
	if err := json.Unmarshal(body, &eff); err != nil {
		fmt.Fprintf(stderr, "sesame: %s answered something else than a configuration: %v\n", u, err)
		return 1
	}
	if fs.NArg() == 1 {
		var subs []server.Subsystem
		for _, s := range eff.Subsystems {
			if s.Name == fs.Arg(0) {
				subs = append(subs, s)
			}
		}
		if len(subs) == 0 {
			fmt.Fprintf(stderr, "sesame: no subsystem %q (the server has: %s)\n", fs.Arg(0), subsystemNames(eff))
			return 1
		}
		eff.Subsystems = subs
	}
	if *asJSON {
		out, _ := json.MarshalIndent(eff, "", "  ")
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	fmt.Fprintf(stdout, "# the configuration of the server at %s, secrets %s\n", u, server.Redacted)
	for _, s := range eff.Subsystems {
		name := s.Name
		if s.Target != "" {
			name += ":" + s.Target
		}
		var kv []string
		for _, set := range s.Settings {
			kv = append(kv, set.Key+"="+quoteValue(set.Value))
		}
		fmt.Fprintf(stdout, "%s %s\n", name, strings.Join(kv, " "))
	}
	return 0
}

func subsystemNames(e server.Effective) string {
	var names []string
	seen := map[string]bool{}
	for _, s := range e.Subsystems {
		if !seen[s.Name] {
			seen[s.Name] = true
			names = append(names, s.Name)
		}
	}
	return strings.Join(names, ", ")
}

// quoteValue quotes a value that holds spaces, quotes or '=', as mc does.
func quoteValue(v string) string {
	if strings.ContainsAny(v, " \t\"'=") {
		return strconv.Quote(v)
	}
	return v
}

// adminClient trusts caFile (or the system's CAs), or nothing at all with
// insecure.
func adminClient(caFile string, insecure bool) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s: no PEM certificate", caFile)
		}
		tc.RootCAs = pool
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = tc
	return &http.Client{Transport: t}, nil
}

// signedGet sends a GET signed with SigV4 for service s3 and returns the
// body of a 200, else an error with the server's JSON error message.
func signedGet(ctx context.Context, c *http.Client, creds aws.Credentials, region, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(nil)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, "s3", region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		if json.Unmarshal(body, &e) == nil && e.Code != "" {
			return nil, fmt.Errorf("%s %s: %s", resp.Status, e.Code, e.Message)
		}
		return nil, fmt.Errorf("%s (is it a Sesame server?)", resp.Status)
	}
	return body, nil
}

// defaultTokenExpiry is how long a generated metrics token is valid.
const defaultTokenExpiry = 365 * 24 * time.Hour

func adminPrometheusGenerate(args []string, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sesame admin prometheus generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", defaultEndpoint, "`URL` of the server Prometheus scrapes, for the scrape configuration")
	expiry := fs.Duration("expiry", defaultTokenExpiry, "how long the token is valid")
	job := fs.String("job", "sesame", "the scrape configuration's job_name")
	if code := parseFlags(fs, args, stdout); code >= 0 {
		return code
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "%s: no arguments expected\n\n%s", fs.Name(), adminUsage)
		return 2
	}
	u, err := checkEndpoint(*endpoint)
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 2
	}
	if *expiry <= 0 {
		fmt.Fprintln(stderr, "sesame: --expiry must be positive")
		return 2
	}
	creds, err := adminCredentials(envMap(environ))
	if err != nil {
		fmt.Fprintln(stderr, "sesame:", err)
		return 1
	}
	exp := time.Now().Add(*expiry)
	token := metrics.NewToken(creds.AccessKeyID, creds.SecretAccessKey, exp)
	fmt.Fprintf(stdout, `# Prometheus scrape configuration for Sesame; the bearer token is valid
# until %s and reads the metrics as %s.
scrape_configs:
- job_name: %s
  bearer_token: %s
  metrics_path: /minio/v2/metrics/cluster
  scheme: %s
  static_configs:
  - targets: ['%s']
`, exp.UTC().Format(time.RFC3339), creds.AccessKeyID, *job, token, u.Scheme, u.Host)
	return 0
}
