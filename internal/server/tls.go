package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// The files of a certs directory, as MinIO lays it out.
const (
	CertFile = "public.crt"
	KeyFile  = "private.key"
	CAsDir   = "CAs"
)

// defaultCertPoll is how often the certificate files are checked for a
// change.
const defaultCertPoll = 5 * time.Second

// certs holds the server's certificate from a certs directory and keeps
// it fresh: Reload (SIGHUP) and a poll of the files' modification times
// load a new pair, and a pair that does not load (half written, key and
// certificate that do not match) is logged and the old one kept.
type certs struct {
	dir string
	log *slog.Logger
	cur atomic.Pointer[tls.Certificate]
	// cas are the certificates of CAs/, trusted for the server's own
	// outgoing connections and kept as the client CAs for mutual TLS.
	cas     *x509.CertPool
	casList []*x509.Certificate
	ncas    int
	// clientAuth is what the handshake asks of clients: nothing, or with
	// identity TLS (AssumeRoleWithCertificate) a certificate verified
	// against cas if given, or, with its skip-verify, any certificate.
	clientAuth tls.ClientAuthType
	mu         sync.Mutex // serializes reloads
	stamp      string     // the files' sizes and times at the last load
	stop       chan struct{}
	done       chan struct{}
}

// openCerts loads dir's certificate and key, and CAs/ if present. It
// returns nil, nil when dir is "" or holds neither file, and an error when
// it holds one of them only or they do not load.
func openCerts(dir string, log *slog.Logger, poll time.Duration) (*certs, error) {
	if dir == "" {
		return nil, nil
	}
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	_, cerr := os.Stat(certPath)
	_, kerr := os.Stat(keyPath)
	switch {
	case errors.Is(cerr, os.ErrNotExist) && errors.Is(kerr, os.ErrNotExist):
		return nil, nil
	case cerr != nil:
		return nil, fmt.Errorf("TLS: %s holds %s but not %s: %w", dir, KeyFile, CertFile, cerr)
	case kerr != nil:
		return nil, fmt.Errorf("TLS: %s holds %s but not %s: %w", dir, CertFile, KeyFile, kerr)
	}
	c := &certs{dir: dir, log: log, stop: make(chan struct{}), done: make(chan struct{})}
	if _, err := c.Reload(); err != nil {
		return nil, err
	}
	if err := c.loadCAs(); err != nil {
		return nil, err
	}
	if poll <= 0 {
		poll = defaultCertPoll
	}
	go c.watch(poll)
	return c, nil
}

// stampOf describes the files' sizes and modification times.
func (c *certs) stampOf() string {
	s := ""
	for _, name := range []string{CertFile, KeyFile} {
		if fi, err := os.Stat(filepath.Join(c.dir, name)); err == nil {
			s += fmt.Sprintf("%d@%d;", fi.Size(), fi.ModTime().UnixNano())
		} else {
			s += "missing;"
		}
	}
	return s
}

// Reload loads the pair if the files changed since the last load; it
// reports whether a new certificate is in use.
func (c *certs) Reload() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	stamp := c.stampOf()
	if stamp == c.stamp && c.cur.Load() != nil {
		return false, nil
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(c.dir, CertFile), filepath.Join(c.dir, KeyFile))
	if err != nil {
		return false, fmt.Errorf("TLS: %s and %s in %s: %w", CertFile, KeyFile, c.dir, err)
	}
	c.stamp = stamp
	c.cur.Store(&pair)
	leaf := pair.Leaf
	c.log.Info("TLS certificate loaded", "dir", c.dir, "subject", leaf.Subject.String(), "dns_names", leaf.DNSNames,
		"not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	if until := time.Until(leaf.NotAfter); until < 0 {
		c.log.Warn("the TLS certificate has expired: clients will refuse it", "not_after", leaf.NotAfter)
	} else if until < 14*24*time.Hour {
		c.log.Warn("the TLS certificate expires within two weeks", "not_after", leaf.NotAfter)
	}
	return true, nil
}

// loadCAs reads every PEM certificate in CAs/.
func (c *certs) loadCAs() error {
	dir := filepath.Join(c.dir, CAsDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("TLS: %w", err)
	}
	pool := x509.NewCertPool()
	for _, e := range entries {
		if !e.Type().IsRegular() && e.Type()&os.ModeSymlink == 0 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		n := 0
		for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
			if block.Type != "CERTIFICATE" {
				continue
			}
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return fmt.Errorf("TLS: %s: %w", filepath.Join(dir, e.Name()), err)
			}
			pool.AddCert(cert)
			c.casList = append(c.casList, cert)
			n++
		}
		if n == 0 {
			c.log.Warn("TLS: no PEM certificate in a file of CAs/; skipped", "file", filepath.Join(dir, e.Name()))
		}
		c.ncas += n
	}
	if c.ncas > 0 {
		c.cas = pool
		c.log.Info("TLS: trusted CA certificates loaded", "dir", dir, "count", c.ncas)
	}
	return nil
}

// watch reloads the pair when its files change, until Close.
func (c *certs) watch(every time.Duration) {
	defer close(c.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			if _, err := c.Reload(); err != nil {
				c.log.Error("TLS certificate changed but does not load; still serving the previous one", "err", err)
			}
		}
	}
}

// Close stops the watcher.
func (c *certs) Close() {
	if c == nil {
		return
	}
	close(c.stop)
	<-c.done
}

// Leaf returns the certificate in use.
func (c *certs) Leaf() *x509.Certificate { return c.cur.Load().Leaf }

// Config returns the server's TLS configuration: TLS 1.2 and later with
// Go's default cipher suites, HTTP/1.1 only (the edge's connection
// deadlines are per connection), the current certificate on every
// handshake, and CAs/ as the client CAs. Client certificates are asked
// for only with identity TLS (clientAuth), and never required: S3 and
// the other STS actions need none.
func (c *certs) Config() *tls.Config {
	cas := c.cas
	if c.clientAuth == tls.RequestClientCert {
		// Skip-verify: name no acceptable CA, so that clients offer any
		// certificate.
		cas = nil
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.cur.Load(), nil
		},
		ClientCAs:  cas,
		ClientAuth: c.clientAuth,
	}
}
