package oidc_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/oidc"
)

func TestSet_Verify_keyRotation(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s := openSet(t, clk, claimConfig(idp))
	ctx := context.Background()
	if _, err := s.Verify(ctx, sign(t, key("rsa1"), idp.claims(clk.Now(), nil)), ""); err != nil {
		t.Fatal(err)
	}

	idp.publish("rsa2") // the IdP rotates: rsa1 is gone
	clk.Advance(6 * time.Second)
	before := idp.jwksHits.Load()
	if _, err := s.Verify(ctx, sign(t, key("rsa2"), idp.claims(clk.Now(), nil)), ""); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	if got := idp.jwksHits.Load() - before; got != 1 {
		t.Fatalf("JWKS fetched %d times for the new kid, want 1", got)
	}
	// Known now: no further fetch.
	if _, err := s.Verify(ctx, sign(t, key("rsa2"), idp.claims(clk.Now(), nil)), ""); err != nil {
		t.Fatal(err)
	}
	// The retired key is unknown now, and the last fetch is too recent to
	// fetch again.
	_, err := s.Verify(ctx, sign(t, key("rsa1"), idp.claims(clk.Now(), nil)), "")
	wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckKeyID)
	if got := idp.jwksHits.Load() - before; got != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", got)
	}
}

func TestSet_Verify_discoveryDownLater(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s := openSet(t, clk, claimConfig(idp))
	idp.discoveryDown.Store(true)
	idp.publish("rsa2")
	clk.Advance(6 * time.Second)
	before := idp.discoveryHits.Load()
	// The previous document still gives the jwks_uri and the issuer.
	if _, err := s.Verify(context.Background(), sign(t, key("rsa2"), idp.claims(clk.Now(), nil)), ""); err != nil {
		t.Fatal(err)
	}
	if idp.discoveryHits.Load() != before+1 {
		t.Fatal("the refetch did not try discovery again")
	}
}

func TestSet_Verify_refetchRateLimit(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	s := openSet(t, clk, claimConfig(idp))
	ctx := context.Background()
	idp.jwksDelay.Store(int64(100 * time.Millisecond)) // let the misses pile up on one fetch

	verifyMany := func(n int, k string) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			tok := sign(t, key(k), idp.claims(clk.Now(), map[string]any{"jti": i}))
			wg.Go(func() { _, errs[i] = s.Verify(ctx, tok, "") })
		}
		wg.Wait()
		return errs
	}

	clk.Advance(6 * time.Second)
	before := idp.jwksHits.Load()
	for _, err := range verifyMany(20, "other") {
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckKeyID)
	}
	if got := idp.jwksHits.Load() - before; got != 1 {
		t.Fatalf("20 parallel unknown kids fetched the JWKS %d times, want 1", got)
	}
	// Within the window: no fetch at all.
	clk.Advance(4 * time.Second)
	for _, err := range verifyMany(5, "other") {
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckKeyID)
	}
	if got := idp.jwksHits.Load() - before; got != 1 {
		t.Fatalf("unknown kids within the window fetched the JWKS %d times, want 1 in all", got)
	}
	// After the window: one more.
	clk.Advance(2 * time.Second)
	for _, err := range verifyMany(5, "other") {
		wantErr(t, err, oidc.ErrInvalidToken, oidc.CheckKeyID)
	}
	if got := idp.jwksHits.Load() - before; got != 2 {
		t.Fatalf("JWKS fetched %d times after the window, want 2 in all", got)
	}

	// Single flight: after a rotation, parallel tokens of the new key all
	// wait for the one fetch and are accepted.
	idp.publish("rsa1", "rsa2")
	clk.Advance(6 * time.Second)
	for i, err := range verifyMany(20, "rsa2") {
		if err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
	}
	if got := idp.jwksHits.Load() - before; got != 3 {
		t.Fatalf("JWKS fetched %d times in all, want 3", got)
	}
}

func TestOpen_idpDown(t *testing.T) {
	idp := newIdP(t, "rsa1")
	idp.down.Store(true)
	clk := newClock()
	start := time.Now()
	s := openSet(t, clk, claimConfig(idp))
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Open took %v with the IdP down", d)
	}
	tok := sign(t, key("rsa1"), idp.claims(clk.Now(), nil))
	_, err := s.Verify(context.Background(), tok, "")
	wantErr(t, err, oidc.ErrCommunication, oidc.CheckKeys)
	if !strings.Contains(err.Error(), "503") {
		t.Errorf("error %v does not give the IdP's answer", err)
	}

	idp.down.Store(false)
	eventually(t, "the background fetch", func() bool {
		_, err := s.Verify(context.Background(), tok, "")
		return err == nil
	})
}

func TestOpen_idpNotListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	clk := newClock()
	s := openSet(t, clk, oidc.ProviderConfig{ConfigURL: "http://" + addr + "/.well-known/openid-configuration", ClientID: "c"})
	_, err = s.Verify(context.Background(), b64(`{"alg":"RS256"}`)+"."+b64(`{"iss":"x","sub":"s"}`)+".c2ln", "")
	wantErr(t, err, oidc.ErrCommunication, oidc.CheckKeys)
}

func TestOpen_contextEnds(t *testing.T) {
	idp := newIdP(t, "rsa1")
	idp.jwksDelay.Store(int64(3 * time.Second))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := oidc.Open(ctx, []oidc.ProviderConfig{claimConfig(idp)}, oidc.Options{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open: %v, want the context's error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Open took %v after its context ended", d)
	}
}

func TestOpen_responseTooLarge(t *testing.T) {
	idp := newIdP(t, "rsa1")
	body := []byte(`{"keys":[],"pad":"` + strings.Repeat("x", oidc.MaxResponseSize) + `"}`)
	idp.mu.Lock()
	idp.jwksBody = body
	idp.mu.Unlock()
	clk := newClock()
	s := openSet(t, clk, claimConfig(idp))
	_, err := s.Verify(context.Background(), sign(t, key("rsa1"), idp.claims(clk.Now(), nil)), "")
	wantErr(t, err, oidc.ErrCommunication, oidc.CheckKeys)
	if !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("error %v does not name the size limit", err)
	}
}

func TestOpen_badKeysSkipped(t *testing.T) {
	idp := newIdP(t)
	good, err := key("rsa1").public().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	idp.mu.Lock()
	idp.jwksBody = []byte(`{"keys":[{"kty":"XYZ","kid":"weird"},{"kty":"oct","kid":"sym","k":"c2VjcmV0"},` +
		`{"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},` + string(good) + `]}`)
	idp.mu.Unlock()
	clk := newClock()
	s := openSet(t, clk, claimConfig(idp))
	if _, err := s.Verify(context.Background(), sign(t, key("rsa1"), idp.claims(clk.Now(), nil)), ""); err != nil {
		t.Fatal(err)
	}
}

func TestSet_Close(t *testing.T) {
	idp := newIdP(t, "rsa1")
	// The background loop keeps retrying; discoveryDown (unlike down)
	// counts the requests.
	idp.discoveryDown.Store(true)
	clk := newClock()
	s, err := oidc.Open(context.Background(), []oidc.ProviderConfig{claimConfig(idp)}, oidc.Options{Now: clk.Now, RetryMin: time.Millisecond, RetryMax: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "retries", func() bool { return idp.discoveryHits.Load() >= 3 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A request cancelled by Close may still reach the handler: let it.
	time.Sleep(20 * time.Millisecond)
	hits := idp.discoveryHits.Load()
	time.Sleep(50 * time.Millisecond)
	if idp.discoveryHits.Load() != hits {
		t.Fatal("fetches go on after Close")
	}
	// Verify still answers, and starts no fetch.
	clk.Advance(time.Minute)
	_, err = s.Verify(context.Background(), sign(t, key("rsa1"), idp.claims(clk.Now(), nil)), "")
	wantErr(t, err, oidc.ErrCommunication, oidc.CheckKeys)
}
