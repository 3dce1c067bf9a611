package server

import (
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/iam/store/etcd"
	"github.com/sesame-s3/sesame/internal/iam/store/etcd/etcdtest"
)

// TestOpen_Etcd checks that two servers configured with the same etcd
// cluster share IAM state: a user created through one appears on the other.
func TestOpen_Etcd(t *testing.T) {
	m := etcdtest.Start(t)
	open := func() *Server {
		cfg := config.Config{
			Dir: t.TempDir(), RootUser: "admin", RootPassword: "adminsecret", Region: "us-east-1",
			Etcd: &etcd.Config{Endpoints: []string{m.Endpoint()}, PathPrefix: "sesame-test/"},
		}
		s, err := Open(cfg, Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if _, ok := s.store.(*etcd.Store); !ok {
			t.Fatalf("IAM store is %T, want *etcd.Store", s.store)
		}
		return s
	}
	a, b := open(), open()
	if _, err := a.iam.CreateUser(t.Context(), "alice"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := b.iam.GetUser(t.Context(), "alice"); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("user created on one server not seen by the other: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
