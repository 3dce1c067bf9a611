package opa

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// Input is the document sent to OPA as {"input": ...}.
type Input struct {
	// Account is the user name; for temporary credentials, the parent
	// (the user, root, or the OpenID subject).
	Account string `json:"account"`
	// Groups are the user's groups.
	Groups []string `json:"groups"`
	// Action is the action asked for, e.g. "s3:GetObject", "iam:CreateUser".
	Action string `json:"action"`
	// OriginalAction is the action as the request named it (equal to Action).
	OriginalAction string `json:"originalAction"`
	// Bucket and Object name the resource, "" when not applicable.
	Bucket string `json:"bucket"`
	Object string `json:"object"`
	// Conditions are the condition keys the built-in engine evaluates.
	Conditions map[string][]string `json:"conditions"`
	// Owner is true for the root user and its sessions.
	Owner bool `json:"owner"`
	// Claims are, for temporary credentials, the token claims and the
	// session policy (key "policy"); nil otherwise.
	Claims map[string]any `json:"claims"`
	// DenyOnly is always false: every request asks for an allow.
	DenyOnly bool `json:"denyOnly"`
}

// Options are a Client's injected dependencies.
type Options struct {
	// HTTPClient sends the queries; default a plain client (the per-request
	// timeout comes from Config.Timeout).
	HTTPClient *http.Client
	Logger     *slog.Logger
	// OnDecision, when set, is told of every decision: allowed, or denied
	// (err set when OPA gave no usable answer, which denies too). It feeds
	// the metrics; it must not block.
	OnDecision func(allowed bool, err error)
}

// Client queries one OPA decision endpoint.
type Client struct {
	url, token string
	timeout    time.Duration
	hc         *http.Client
	log        *slog.Logger
	onDecision func(allowed bool, err error)
	failures   atomic.Uint64
}

// maxResponse bounds the decision body read.
const maxResponse = 1 << 20

// New returns a Client for cfg.
func New(cfg Config, opts Options) *Client {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if opts.OnDecision == nil {
		opts.OnDecision = func(bool, error) {}
	}
	return &Client{url: cfg.URL, token: cfg.AuthToken, timeout: cfg.Timeout, hc: opts.HTTPClient, log: opts.Logger, onDecision: opts.OnDecision}
}

// URL returns the decision URL (never the token).
func (c *Client) URL() string { return c.url }

// Failures returns how many decisions failed (and were denied) because
// OPA could not be reached or gave no usable answer.
func (c *Client) Failures() uint64 { return c.failures.Load() }

// Allowed asks OPA whether in is allowed. Any failure is a denial: it is
// logged and counted, never returned.
func (c *Client) Allowed(ctx context.Context, in Input) bool {
	ok, err := c.query(ctx, in)
	c.onDecision(ok && err == nil, err)
	if err != nil {
		c.failures.Add(1)
		c.log.Error("OPA decision failed; denying", "url", c.url, "action", in.Action, "account", in.Account, "err", err)
		return false
	}
	return ok
}

func (c *Client) query(ctx context.Context, in Input) (bool, error) {
	body, err := json.Marshal(struct {
		Input Input `json:"input"`
	}{in})
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return false, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return false, fmt.Errorf("status %d", resp.StatusCode)
	}
	return decodeResult(data)
}

// decodeResult accepts {"result": bool} and {"result": {"allow": bool}}.
// A missing result (OPA's answer for an undefined document) is an error.
// Member names must match exactly: encoding/json would also fill a struct
// field from "Result" or "ALLOW", which OPA documents never mean (Rego is
// case-sensitive, so a decision {"allow": false, "Allow": true} denies).
func decodeResult(data []byte) (bool, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return false, fmt.Errorf("decode response: %w", err)
	}
	result := doc["result"]
	if len(result) == 0 || string(result) == "null" {
		return false, fmt.Errorf("response has no result (is the decision path defined?)")
	}
	var b bool
	if err := json.Unmarshal(result, &b); err == nil {
		return b, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(result, &obj); err == nil {
		if allow, ok := obj["allow"]; ok && json.Unmarshal(allow, &b) == nil {
			return b, nil
		}
	}
	return false, fmt.Errorf("result is neither a boolean nor an object with a boolean allow")
}
