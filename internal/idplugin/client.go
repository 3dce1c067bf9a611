// Package idplugin calls MinIO's identity management plugin: a webhook
// that vouches for the opaque tokens of STS AssumeRoleWithCustomToken.
//
// # Protocol (MinIO's docs/iam/identity-management-plugin.md)
//
// Sesame POSTs to the plugin's URL with the token as the "token" query
// parameter, no body, and MINIO_IDENTITY_PLUGIN_AUTH_TOKEN verbatim as the
// Authorization header. The plugin answers
//
//   - 200 with a JSON object {"user": "...", "maxValiditySeconds": N,
//     "claims": {...}}: the token is good; user names its owner,
//     maxValiditySeconds (900 to less than 365 days) bounds the
//     credentials' life, claims go with them (exp, parent and sub are
//     reserved and dropped);
//   - 403 with {"reason": "..."}: the token is refused, and the reason is
//     returned to the client.
//
// # Failing closed
//
// Every other outcome refuses the token: a 200 whose body is not such an
// object (ErrInvalidAnswer), any other status, a network error or no answer
// within Config.Timeout (ErrUnavailable, which STS answers with a
// retryable 503). Nothing but a well-formed 200 grants.
package idplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The sentinels Authenticate's errors wrap.
var (
	// ErrDenied is returned when the plugin refused the token (403); the
	// error's text after the sentinel holds its reason, cleaned.
	ErrDenied = errors.New("idplugin: token refused")
	// ErrInvalidAnswer is returned when the plugin answered 200 with a body
	// that is not a valid answer: the token is refused.
	ErrInvalidAnswer = errors.New("idplugin: invalid answer")
	// ErrUnavailable is returned when the plugin could not be asked: a
	// network error, a timeout, or a status other than 200 and 403.
	ErrUnavailable = errors.New("idplugin: plugin unavailable")
)

// Limits of an answer.
const (
	maxAnswer     = 1 << 20
	maxReason     = 256
	MinValidity   = 15 * time.Minute
	MaxValidity   = 365 * 24 * time.Hour
	maxUserLength = 256
)

// reservedClaims are the claim keys MinIO reserves and ignores.
var reservedClaims = map[string]bool{"exp": true, "parent": true, "sub": true}

// Options are a Client's dependencies.
type Options struct {
	// HTTPClient calls the plugin (default a plain client; Config.Timeout
	// bounds each call).
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Client calls one identity plugin. It is safe for concurrent use.
type Client struct {
	cfg  Config
	hc   *http.Client
	log  *slog.Logger
	role string
}

// New returns a Client for cfg, which it validates.
func New(cfg Config, opts Options) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, hc: opts.HTTPClient, log: opts.Logger, role: cfg.RoleARN()}, nil
}

// RoleARN is the plugin's role ARN (Config.RoleARN).
func (c *Client) RoleARN() string { return c.role }

// RolePolicy are the policies of the plugin's users.
func (c *Client) RolePolicy() []string { return append([]string(nil), c.cfg.RolePolicy...) }

// Identity is what the plugin said of a token it accepted.
type Identity struct {
	// User is the token's owner.
	User string
	// MaxValidity bounds the credentials' life.
	MaxValidity time.Duration
	// Claims are the plugin's claims, reserved keys dropped, flattened to
	// strings: a string, number or boolean is one value, an array of
	// them several; objects and nulls are dropped.
	Claims map[string][]string
}

// Authenticate asks the plugin about token. Errors wrap ErrDenied,
// ErrInvalidAnswer or ErrUnavailable; their text never holds the token.
func (c *Client) Authenticate(ctx context.Context, token string) (Identity, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u, err := url.Parse(c.cfg.URL)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	q := u.Query()
	q.Set("token", token)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), nil)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if c.cfg.AuthToken != "" {
		req.Header.Set("Authorization", c.cfg.AuthToken)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// url.Error's text holds the URL, and so the token: leave it out.
		reason := "the request failed"
		if ctx.Err() != nil {
			reason = fmt.Sprintf("no answer within %v", c.cfg.Timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		c.log.WarnContext(ctx, "identity plugin unavailable", "url", c.cfg.URL, "err", err)
		return Identity{}, fmt.Errorf("%w: %s", ErrUnavailable, reason)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		c.log.WarnContext(ctx, "identity plugin unavailable: reading its answer", "url", c.cfg.URL, "err", err)
		return Identity{}, fmt.Errorf("%w: reading the answer failed", ErrUnavailable)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		id, err := parseAnswer(body)
		if err != nil {
			c.log.WarnContext(ctx, "identity plugin: invalid answer; the token is refused", "url", c.cfg.URL, "err", err)
		}
		return id, err
	case http.StatusForbidden:
		var refusal struct {
			Reason string `json:"reason"`
		}
		_ = json.Unmarshal(body, &refusal)
		reason := cleanReason(refusal.Reason)
		if reason == "" {
			reason = "no reason given"
		}
		return Identity{}, fmt.Errorf("%w: the identity plugin refused the token: %s", ErrDenied, reason)
	}
	c.log.WarnContext(ctx, "identity plugin unavailable: unexpected status", "url", c.cfg.URL, "status", resp.StatusCode)
	return Identity{}, fmt.Errorf("%w: the plugin answered HTTP %d", ErrUnavailable, resp.StatusCode)
}

// parseAnswer reads a 200 answer strictly.
func parseAnswer(body []byte) (Identity, error) {
	if len(body) > maxAnswer {
		return Identity{}, fmt.Errorf("%w: the answer exceeds %d bytes", ErrInvalidAnswer, maxAnswer)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return Identity{}, fmt.Errorf("%w: the answer is not a JSON object", ErrInvalidAnswer)
	}
	user, ok := doc["user"].(string)
	if !ok || user == "" || len(user) > maxUserLength || !utf8.ValidString(user) || strings.IndexFunc(user, unicode.IsControl) >= 0 {
		return Identity{}, fmt.Errorf("%w: user must be a non-empty string of at most %d bytes", ErrInvalidAnswer, maxUserLength)
	}
	n, ok := doc["maxValiditySeconds"].(json.Number)
	if !ok {
		return Identity{}, fmt.Errorf("%w: maxValiditySeconds must be a number", ErrInvalidAnswer)
	}
	secs, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(secs) || secs != math.Trunc(secs) || secs < MinValidity.Seconds() || secs >= MaxValidity.Seconds() {
		return Identity{}, fmt.Errorf("%w: maxValiditySeconds must be a whole number from %d to less than %d", ErrInvalidAnswer, int(MinValidity.Seconds()), int(MaxValidity.Seconds()))
	}
	id := Identity{User: user, MaxValidity: time.Duration(secs) * time.Second, Claims: map[string][]string{}}
	switch claims := doc["claims"].(type) {
	case nil:
	case map[string]any:
		for k, v := range claims {
			if reservedClaims[k] {
				continue
			}
			if vals := flatten(v); len(vals) > 0 {
				id.Claims[k] = vals
			}
		}
	default:
		return Identity{}, fmt.Errorf("%w: claims must be an object", ErrInvalidAnswer)
	}
	return id, nil
}

// flatten turns a claim into strings.
func flatten(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case json.Number:
		return []string{v.String()}
	case bool:
		return []string{strconv.FormatBool(v)}
	case []any:
		var out []string
		for _, e := range v {
			if _, nested := e.([]any); !nested {
				out = append(out, flatten(e)...)
			}
		}
		return out
	}
	return nil
}

// cleanReason keeps a refusal's reason printable and short, for the STS
// error message.
func cleanReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxReason {
		s = string([]rune(s)[:maxReason]) + "..."
	}
	return s
}
