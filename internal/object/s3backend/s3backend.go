package s3backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sesame-s3/sesame/internal/object"
)

// Defaults of Options.
const (
	DefaultRegion         = "us-east-1"
	DefaultPartSize       = 16 << 20
	DefaultDialTimeout    = 3 * time.Second
	DefaultHeaderTimeout  = 60 * time.Second
	DefaultMaxConns       = 256
	DefaultRetryAttempts  = 3
	DefaultUnavailableFor = time.Second
	// markerPrefix holds the bucket markers in single-bucket mode: S3
	// bucket names start with a letter or digit, so no bucket's prefix
	// ("name/") can start with it.
	markerPrefix = ".sesame-buckets/"
)

// Config names the upstream and how Sesame's buckets map onto it. It is
// what `sesame server --s3-backend URL ...` sets.
type Config struct {
	// Endpoint is the upstream's URL, "http(s)://host[:port]"; requests
	// are path-style.
	Endpoint string
	// Region signs the upstream requests; default us-east-1.
	Region string
	// AccessKey and SecretKey are Sesame's own credentials at the
	// upstream; both empty means the AWS SDK's default chain.
	AccessKey, SecretKey string
	// BucketPrefix, in bucket-per-bucket mode, prefixes every upstream
	// bucket name: Sesame bucket b is upstream bucket BucketPrefix+b.
	BucketPrefix string
	// Bucket, when set, selects single-bucket mode: Sesame bucket b is
	// the prefix "b/" of this one upstream bucket.
	Bucket string
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	u, err := url.Parse(c.Endpoint)
	switch {
	case c.Endpoint == "":
		return errors.New("s3 backend: no endpoint URL")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("s3 backend: endpoint %q: want http(s)://host[:port]", c.Endpoint)
	case u.Path != "" && u.Path != "/":
		return fmt.Errorf("s3 backend: endpoint %q: no path allowed (requests are path-style)", c.Endpoint)
	case c.Bucket != "" && c.BucketPrefix != "":
		return errors.New("s3 backend: --s3-backend-bucket and --s3-backend-bucket-prefix exclude each other")
	case (c.AccessKey == "") != (c.SecretKey == ""):
		return errors.New("s3 backend: set both the access key and the secret key, or neither")
	case c.Bucket != "" && strings.ContainsAny(c.Bucket, "/ "):
		return fmt.Errorf("s3 backend: bucket %q is not a bucket name", c.Bucket)
	case strings.ContainsAny(c.BucketPrefix, "/ "):
		return fmt.Errorf("s3 backend: bucket prefix %q cannot start bucket names", c.BucketPrefix)
	}
	return nil
}

// Options are the parts of a Backend that tests and embedders tune. A zero
// field means its default.
type Options struct {
	// StateDir keeps what Sesame stores itself: bucket policies and
	// configuration documents. Required.
	StateDir string
	// HTTPClient carries upstream requests; default a pooled client with
	// DialTimeout and HeaderTimeout.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// PartSize is the part size of bodies of unknown length, which go
	// upstream as multipart uploads when longer than one part; default
	// DefaultPartSize. It bounds the memory one such PUT holds.
	PartSize int64
	// DialTimeout bounds connecting to the upstream.
	DialTimeout time.Duration
	// HeaderTimeout bounds the wait for a response's header.
	HeaderTimeout time.Duration
	// MaxConns caps the connections to the upstream.
	MaxConns int
	// RetryAttempts bounds the attempts of idempotent requests (GET,
	// HEAD, LIST, DELETE); writes with a body are sent once.
	RetryAttempts int
	// UnavailableFor is how long requests fail at once with
	// object.ErrUnavailable after the upstream could not be reached.
	UnavailableFor time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Backend is an object.Backend over an upstream S3 service.
type Backend struct {
	cfg    Config
	opts   Options
	client *s3.Client
	local  *localStore
	log    *slog.Logger
	// downUntil is the Unix nanosecond time before which the upstream
	// counts as unreachable.
	downUntil atomic.Int64
	transport *http.Transport // nil when the client was injected
}

var (
	_ object.Backend       = (*Backend)(nil)
	_ object.BucketConfigs = (*Backend)(nil)
)

// Open returns a Backend for cfg. It does not contact the upstream: a
// server starts while its upstream is down, and answers 503 until it is up.
func Open(cfg Config, opts Options) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.StateDir == "" {
		return nil, errors.New("s3 backend: no state directory")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.DialTimeout, DefaultDialTimeout)
	def(&opts.HeaderTimeout, DefaultHeaderTimeout)
	def(&opts.UnavailableFor, DefaultUnavailableFor)
	if opts.PartSize <= 0 {
		opts.PartSize = DefaultPartSize
	}
	opts.PartSize = min(max(opts.PartSize, object.MinPartSize), object.MaxPartSize)
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.RetryAttempts <= 0 {
		opts.RetryAttempts = DefaultRetryAttempts
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Join(opts.StateDir, "spool"), 0o700); err != nil {
		return nil, fmt.Errorf("s3 backend: state directory: %w", err)
	}
	local, err := openLocalStore(opts.StateDir)
	if err != nil {
		return nil, err
	}
	b := &Backend{cfg: cfg, opts: opts, local: local, log: opts.Logger}
	if opts.HTTPClient == nil {
		b.transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          opts.MaxConns,
			MaxIdleConnsPerHost:   opts.MaxConns,
			MaxConnsPerHost:       opts.MaxConns,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   opts.DialTimeout + 5*time.Second,
			ResponseHeaderTimeout: opts.HeaderTimeout,
			ExpectContinueTimeout: time.Second,
			// Bodies are passed through as they are: no transparent
			// gzip, so ranges and lengths stay the upstream's.
			DisableCompression: true,
		}
		opts.HTTPClient = &http.Client{Transport: b.transport}
	}
	var creds aws.CredentialsProvider
	if cfg.AccessKey != "" {
		creds = credentials.NewStaticCredentialsProvider(cfg.AccessKey, cfg.SecretKey, "")
	} else {
		// The SDK's default chain: AWS_* variables, shared files, the
		// instance or task role.
		def, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(cfg.Region))
		if err != nil {
			return nil, fmt.Errorf("s3 backend: credentials: %w", err)
		}
		creds = def.Credentials
	}
	awsCfg := aws.Config{
		Region:      cfg.Region,
		Credentials: aws.NewCredentialsCache(creds),
		HTTPClient:  opts.HTTPClient,
		// Checksums only where an operation requires them: bodies stream
		// through unsigned, once, and many upstreams lack the newer
		// checksum headers.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	}
	endpoint := strings.TrimSuffix(cfg.Endpoint, "/")
	b.client = s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = opts.RetryAttempts
			so.MaxBackoff = 2 * time.Second
		})
		o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	})
	return b, nil
}

// Close releases the idle upstream connections.
func (b *Backend) Close() error {
	if b.transport != nil {
		b.transport.CloseIdleConnections()
	}
	return nil
}

// once makes a write with a body go out exactly once: a consumed body
// cannot be sent again.
func once(o *s3.Options) { o.RetryMaxAttempts = 1 }

// singleBucket reports whether Sesame's buckets are prefixes of one
// upstream bucket.
func (b *Backend) singleBucket() bool { return b.cfg.Bucket != "" }

// loc is where one Sesame bucket and key live upstream.
func (b *Backend) loc(bucket, key string) (upBucket, upKey string) {
	if b.singleBucket() {
		return b.cfg.Bucket, bucket + "/" + key
	}
	return b.cfg.BucketPrefix + bucket, key
}

// keyPrefix is what upstream keys of bucket start with.
func (b *Backend) keyPrefix(bucket string) string {
	if b.singleBucket() {
		return bucket + "/"
	}
	return ""
}

// sesameKey turns an upstream key of bucket back into Sesame's.
func (b *Backend) sesameKey(bucket, upKey string) string {
	return strings.TrimPrefix(upKey, b.keyPrefix(bucket))
}
