// Package etcdtest runs a real etcd member inside a test process, for the
// tests of the etcd store and of anything wired to it. It links the etcd
// server (go.etcd.io/etcd/server/v3/embed), so only tests import it.
package etcdtest

import (
	"net"
	"net/url"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// startTimeout bounds the wait for a member to be ready.
const startTimeout = 30 * time.Second

// Member is one single-member etcd cluster listening on loopback ports,
// with its data in a test's temporary directory. Stop and Start restart it
// on the same data and ports.
type Member struct {
	t         testing.TB
	dir       string
	clientURL url.URL
	peerURL   url.URL
	e         *embed.Etcd
}

// Start starts a member that stops when the test ends.
func Start(t testing.TB) *Member {
	t.Helper()
	m := &Member{t: t, dir: t.TempDir(), clientURL: freeURL(t), peerURL: freeURL(t)}
	m.Start()
	t.Cleanup(m.Stop)
	return m
}

// freeURL returns an http URL on a loopback port that was free just now.
func freeURL(t testing.TB) url.URL {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return url.URL{Scheme: "http", Host: l.Addr().String()}
}

// FreeEndpoint returns a client URL on which nothing listens (a port that
// was free just now).
func FreeEndpoint(t testing.TB) string {
	u := freeURL(t)
	return u.String()
}

// Endpoint returns the member's client URL.
func (m *Member) Endpoint() string { return m.clientURL.String() }

// Start starts the member again after Stop, on the same data and ports.
func (m *Member) Start() {
	m.t.Helper()
	if m.e != nil {
		return
	}
	cfg := embed.NewConfig()
	cfg.Name = "sesame-test"
	cfg.Dir = m.dir
	cfg.Logger = "zap"
	cfg.LogLevel = "fatal" // stopping a member logs errors about its closed listeners
	cfg.LogOutputs = []string{"stderr"}
	cfg.ListenClientUrls = []url.URL{m.clientURL}
	cfg.AdvertiseClientUrls = []url.URL{m.clientURL}
	cfg.ListenPeerUrls = []url.URL{m.peerURL}
	cfg.AdvertisePeerUrls = []url.URL{m.peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.UnsafeNoFsync = true // test data: speed over durability
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		m.t.Fatalf("etcdtest: start etcd: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		m.t.Fatalf("etcdtest: etcd failed: %v", err)
	case <-time.After(startTimeout):
		e.Close()
		m.t.Fatalf("etcdtest: etcd not ready within %v", startTimeout)
	}
	m.e = e
}

// Stop stops the member; Start starts it again.
func (m *Member) Stop() {
	if m.e != nil {
		m.e.Close()
		m.e = nil
	}
}
