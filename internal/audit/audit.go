// Package audit records who was given credentials and who changed IAM: one
// JSON record for every STS issuance and rejection and for every IAM
// change, written to a file (JSON lines, reopened on SIGHUP so that
// logrotate can move it) and/or POSTed to a webhook (MinIO's
// MINIO_AUDIT_WEBHOOK_* settings), one record per POST.
//
// A record never holds a token, a secret key or a session token; the
// fields say who, what, when and from where. Delivery is never dropped
// silently: the file is written synchronously (a failure is logged and
// counted), the webhook through a bounded queue whose overflow and failed
// deliveries are logged and counted (Options.OnDropped feeds a metric).
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Record is one audited event.
type Record struct {
	Time time.Time `json:"time"`
	// Kind is "sts" or "iam".
	Kind string `json:"kind"`
	// Action is the API action, e.g. AssumeRoleWithWebIdentity, CreateUser.
	Action string `json:"action"`
	// Outcome is "issued" or "rejected" for STS, "ok" or "failed" for IAM.
	Outcome string `json:"outcome"`
	// Error is the wire error code of a rejection or failure.
	Error string `json:"error,omitempty"`
	// Reason is the error's message (messages never echo tokens or secrets).
	Reason string `json:"reason,omitempty"`
	// Caller is the ARN of the signer of a signed request.
	Caller string `json:"caller,omitempty"`
	// Provider, Subject and ClientID describe a federated identity: the
	// provider's name, the token's sub and its client (azp or aud).
	Provider string `json:"provider,omitempty"`
	Subject  string `json:"subject,omitempty"`
	ClientID string `json:"clientId,omitempty"`
	// Parent is the user (or root) a session acts for.
	Parent string `json:"parent,omitempty"`
	// Role is the RoleArn asked for; AssumedRole the session's ARN.
	Role        string `json:"role,omitempty"`
	AssumedRole string `json:"assumedRole,omitempty"`
	// AccessKey is the issued temporary access key id (not a secret: it
	// names the credentials in later requests and logs).
	AccessKey       string    `json:"accessKey,omitempty"`
	DurationSeconds int64     `json:"durationSeconds,omitempty"`
	Expiration      time.Time `json:"expiration,omitzero"`
	// Target names what an IAM change acted on (a user, group or policy).
	Target    string `json:"target,omitempty"`
	SourceIP  string `json:"sourceIp,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// Options configure a Logger.
type Options struct {
	// File is the path of the JSON-lines file; "" for none.
	File string
	// WebhookURL receives one record per POST; "" for none. WebhookToken,
	// when set, is sent as the Authorization header, verbatim.
	WebhookURL, WebhookToken string
	// QueueSize bounds the records waiting for the webhook (default 10000).
	QueueSize int
	// WebhookTimeout bounds one POST (default 5 s).
	WebhookTimeout time.Duration
	HTTPClient     *http.Client
	Logger         *slog.Logger
	// OnWritten and OnDropped are told of each record delivered to, or
	// lost by, a target ("file", "webhook").
	OnWritten, OnDropped func(target string)
}

// Logger writes audit records. A nil *Logger discards them.
type Logger struct {
	opts Options
	log  *slog.Logger

	mu   sync.Mutex // guards file
	file *os.File

	qmu     sync.RWMutex // guards closing against sends on the closed queue
	queue   chan []byte
	done    chan struct{}
	closing bool
	dropped atomic.Uint64
}

// Open opens the file (appending, created 0600) and starts the webhook
// sender. With neither a file nor a webhook it returns nil, a Logger that
// discards.
func Open(opts Options) (*Logger, error) {
	if opts.File == "" && opts.WebhookURL == "" {
		return nil, nil
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 10000
	}
	if opts.WebhookTimeout <= 0 {
		opts.WebhookTimeout = 5 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	for _, f := range []*func(string){&opts.OnWritten, &opts.OnDropped} {
		if *f == nil {
			*f = func(string) {}
		}
	}
	l := &Logger{opts: opts, log: opts.Logger}
	if opts.File != "" {
		f, err := openFile(opts.File)
		if err != nil {
			return nil, err
		}
		l.file = f
	}
	if opts.WebhookURL != "" {
		l.queue = make(chan []byte, opts.QueueSize)
		l.done = make(chan struct{})
		go l.send()
	}
	return l, nil
}

func openFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return f, nil
}

// Log writes r (its Time set when zero) to the file and queues it for the
// webhook.
func (l *Logger) Log(r Record) {
	if l == nil {
		return
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r.Time = r.Time.UTC()
	line, err := json.Marshal(r)
	if err != nil {
		l.drop("file", "encode", err)
		return
	}
	line = append(line, '\n')
	if l.file != nil {
		l.mu.Lock()
		_, err := l.file.Write(line)
		l.mu.Unlock()
		if err != nil {
			l.drop("file", "write", err)
		} else {
			l.opts.OnWritten("file")
		}
	}
	if l.queue != nil {
		l.qmu.RLock()
		switch {
		case l.closing:
			l.drop("webhook", "closed", nil)
		default:
			select {
			case l.queue <- line:
			default:
				l.drop("webhook", "queue full", nil)
			}
		}
		l.qmu.RUnlock()
	}
}

// drop counts and logs a record target could not deliver. Log lines carry
// no record content.
func (l *Logger) drop(target, why string, err error) {
	l.opts.OnDropped(target)
	n := l.dropped.Add(1)
	// Log the first drops and then every 1000th, so a dead webhook cannot
	// flood the log.
	if n <= 10 || n%1000 == 0 {
		l.log.Error("audit record dropped", "target", target, "why", why, "err", err, "dropped_total", n)
	}
}

// Dropped returns how many records were not delivered to some target.
func (l *Logger) Dropped() uint64 {
	if l == nil {
		return 0
	}
	return l.dropped.Load()
}

// send POSTs queued records to the webhook, one per request, retrying a
// failed one once.
func (l *Logger) send() {
	defer close(l.done)
	for line := range l.queue {
		err := l.post(line)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			err = l.post(line)
		}
		if err != nil {
			l.drop("webhook", "post", err)
			continue
		}
		l.opts.OnWritten("webhook")
	}
}

func (l *Logger) post(body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.opts.WebhookURL, bytes.NewReader(bytes.TrimSuffix(body, []byte("\n"))))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if l.opts.WebhookToken != "" {
		req.Header.Set("Authorization", l.opts.WebhookToken)
	}
	resp, err := l.opts.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// Reopen closes and reopens the file at its path, so that a rotated file
// is let go of (SIGHUP).
func (l *Logger) Reopen() error {
	if l == nil || l.file == nil {
		return nil
	}
	f, err := openFile(l.opts.File)
	if err != nil {
		return err
	}
	l.mu.Lock()
	old := l.file
	l.file = f
	l.mu.Unlock()
	return old.Close()
}

// Close stops taking records, waits up to ctx for the webhook queue to
// drain (what remains is counted as dropped) and closes the file.
func (l *Logger) Close(ctx context.Context) error {
	if l == nil {
		return nil
	}
	var err error
	l.qmu.Lock()
	first := l.queue != nil && !l.closing
	l.closing = true
	if first {
		close(l.queue)
	}
	l.qmu.Unlock()
	if first {
		select {
		case <-l.done:
		case <-ctx.Done():
			for range len(l.queue) {
				l.drop("webhook", "shutdown", nil)
			}
			err = errors.New("audit: webhook queue not drained before shutdown")
		}
	}
	if l.file != nil {
		l.mu.Lock()
		err = errors.Join(err, l.file.Close())
		l.mu.Unlock()
	}
	return err
}
