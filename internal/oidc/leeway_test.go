package oidc_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/oidc"
)

// TestSet_Verify_leeway: the clock skew allowed is configurable, and a
// token from a clock ahead says by how much and what to raise.
func TestSet_Verify_leeway(t *testing.T) {
	idp := newIdP(t, "rsa1")
	clk := newClock()
	open := func(leeway time.Duration) *oidc.Set {
		s, err := oidc.Open(context.Background(), []oidc.ProviderConfig{claimConfig(idp)}, oidc.Options{Now: clk.Now, Leeway: leeway})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	ahead := func(d time.Duration) string {
		now := clk.Now()
		return sign(t, key("rsa1"), idp.claims(now, map[string]any{"nbf": now.Add(d).Unix(), "iat": now.Add(d).Unix()}))
	}
	token := ahead(3*time.Minute + 12*time.Second)
	_, err := open(0).Verify(context.Background(), token, "")
	var te *oidc.TokenError
	if !errors.Is(err, oidc.ErrInvalidToken) || !errors.As(err, &te) || te.Check != oidc.CheckNotBefore {
		t.Fatalf("3m12s ahead with the default 60s: %v", err)
	}
	for _, want := range []string{"3m12s after this server's clock", oidc.EnvClockSkew, "(now 1m0s)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if _, err := open(5*time.Minute).Verify(context.Background(), token, ""); err != nil {
		t.Errorf("3m12s ahead with 5m allowed: %v", err)
	}
	if _, err := open(-1).Verify(context.Background(), ahead(2*time.Second), ""); !errors.Is(err, oidc.ErrInvalidToken) {
		t.Errorf("2s ahead with no leeway: %v", err)
	}
	if _, err := oidc.Open(context.Background(), nil, oidc.Options{Leeway: 2 * time.Hour}); !errors.Is(err, oidc.ErrInvalidConfig) {
		t.Errorf("a 2h leeway: %v", err)
	}
}

func TestConfigFromEnv_maxDurationAndSkew(t *testing.T) {
	env := map[string]string{
		"MINIO_IDENTITY_OPENID_CONFIG_URL":      "https://idp.example/.well-known/openid-configuration",
		"MINIO_IDENTITY_OPENID_CLIENT_ID":       "sesame",
		"MINIO_IDENTITY_OPENID_CONFIG_URL_DEX":  "https://dex.example/.well-known/openid-configuration",
		"MINIO_IDENTITY_OPENID_CLIENT_ID_DEX":   "sesame",
		"MINIO_IDENTITY_OPENID_ROLE_POLICY_DEX": "readonly",
		oidc.EnvMaxDuration:                     "2h",
		oidc.EnvMaxDuration + "_DEX":            "30m",
	}
	load := func(env map[string]string) ([]oidc.ProviderConfig, error) {
		var environ []string
		for k, v := range env {
			environ = append(environ, k+"="+v)
		}
		return oidc.ConfigFromEnv(func(k string) string { return env[k] }, environ)
	}
	cfgs, err := load(env)
	if err != nil || len(cfgs) != 2 || cfgs[0].MaxDuration != 2*time.Hour || cfgs[1].MaxDuration != 30*time.Minute {
		t.Fatalf("%+v, %v", cfgs, err)
	}
	for k, v := range map[string]string{oidc.EnvMaxDuration + "_OTHER": "1h", oidc.EnvMaxDuration: "10m"} {
		bad := map[string]string{}
		for kk, vv := range env {
			bad[kk] = vv
		}
		bad[k] = v
		if _, err := load(bad); !errors.Is(err, oidc.ErrInvalidConfig) || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v", k, v, err)
		}
	}
	for v, want := range map[string]time.Duration{"": 0, "2m": 2 * time.Minute, "0s": -1} {
		if got, err := oidc.ClockSkewFromEnv(func(string) string { return v }); err != nil || got != want {
			t.Errorf("clock skew %q = %v, %v; want %v", v, got, err, want)
		}
	}
	if _, err := oidc.ClockSkewFromEnv(func(string) string { return "2h" }); err == nil {
		t.Error("a 2h clock skew was accepted")
	}
}
