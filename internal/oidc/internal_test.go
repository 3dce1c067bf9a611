package oidc

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestKeyLifetime(t *testing.T) {
	cases := []struct {
		header string
		want   time.Duration
	}{
		{"", DefaultKeyRefresh},
		{"no-cache", DefaultKeyRefresh},
		{"max-age=600", 10 * time.Minute},
		{"public, max-age=7200, must-revalidate", 2 * time.Hour},
		{"Max-Age=\"120\"", 2 * time.Minute},
		{"max-age=30", MinKeyRefresh},
		{"max-age=0", MinKeyRefresh},
		{"max-age=999999999999999999", MaxKeyRefresh},
		{"max-age=172800", MaxKeyRefresh},
		{"max-age=-5", DefaultKeyRefresh},
		{"max-age=soon", DefaultKeyRefresh},
	}
	for _, tc := range cases {
		if got := keyLifetime(tc.header); got != tc.want {
			t.Errorf("keyLifetime(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}

func TestSplitEnvKey(t *testing.T) {
	cases := []struct {
		rest, name string
		ok         bool
	}{
		{"CONFIG_URL", "", true},
		{"CONFIG_URL_DEX", "DEX", true},
		{"CLIENT_ID_KEY_CLOAK", "KEY_CLOAK", true},
		{"CLAIM_NAME_X", "X", true},
		{"CLAIM_PREFIX_X", "X", true},
		{"CLAIM_USERINFO_X", "X", true},
		{"REDIRECT_URI_DYNAMIC", "", true},
		{"REDIRECT_URI_DYNAMIC_X", "X", true},
		{"REDIRECT_URI_X", "X", true},
		{"CLIENTID", "", false},
		{"UNKNOWN_X", "", false},
	}
	for _, tc := range cases {
		name, ok := splitEnvKey(tc.rest)
		if name != tc.name || ok != tc.ok {
			t.Errorf("splitEnvKey(%q) = %q, %v; want %q, %v", tc.rest, name, ok, tc.name, tc.ok)
		}
	}
}

func TestRoleARN(t *testing.T) {
	a := ProviderConfig{ConfigURL: "https://idp.example/.well-known/openid-configuration", ClientID: "minio"}
	arn := roleARN(a)
	if !regexp.MustCompile(`^arn:minio:iam:::role/[A-Z2-7]{16}$`).MatchString(arn) {
		t.Fatalf("role ARN %q", arn)
	}
	b := a
	b.ClientID = "other"
	c := a
	c.ConfigURL = "https://other.example/.well-known/openid-configuration"
	d := a
	d.Name, d.RolePolicy = "X", []string{"p"}
	if roleARN(b) == arn || roleARN(c) == arn {
		t.Fatal("role ARN ignores the client id or the URL")
	}
	if roleARN(d) != arn {
		t.Fatal("role ARN depends on the name or the policies")
	}
}

func TestFlattenClaims(t *testing.T) {
	claims, err := decodeClaims([]byte(`{"s":"x","n":1700000000,"f":1.25,"e":1.5e9,"b":false,"z":null,
		"a":["x",2,true,null,{"o":1},["n"]],"empty":[],"o":{"k":"v"}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := flattenClaims(claims)
	want := map[string][]string{
		"s": {"x"}, "n": {"1700000000"}, "f": {"1.25"}, "e": {"1500000000"}, "b": {"false"},
		"a": {"x", "2", "true"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for k, v := range want {
		if strings.Join(got[k], "|") != strings.Join(v, "|") {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestNumericDate(t *testing.T) {
	cases := []struct {
		raw     any
		want    time.Time
		present bool
		ok      bool
	}{
		{json.Number("1700000000"), time.Unix(1700000000, 0), true, true},
		{json.Number("1700000000.5"), time.Unix(1700000000, 5e8), true, true},
		{json.Number("-1"), time.Time{}, true, false},
		{json.Number("1e300"), time.Time{}, true, false},
		{"1700000000", time.Time{}, true, false},
	}
	for _, tc := range cases {
		got, present, ok := numericDate(map[string]any{"exp": tc.raw}, "exp")
		if present != tc.present || ok != tc.ok || (ok && !got.Equal(tc.want)) {
			t.Errorf("numericDate(%v) = %v, %v, %v", tc.raw, got, present, ok)
		}
	}
	if _, present, ok := numericDate(map[string]any{}, "exp"); present || !ok {
		t.Error("absent claim")
	}
}

func TestDecodeClaims(t *testing.T) {
	for _, bad := range []string{``, `null`, `[]`, `"x"`, `{"a":1} {"b":2}`, `{"a":1}x`, `{`} {
		if _, err := decodeClaims([]byte(bad)); err == nil {
			t.Errorf("decodeClaims(%q) accepted", bad)
		}
	}
}

func TestTokenError(t *testing.T) {
	e := &TokenError{Err: ErrInvalidToken, Check: CheckAudience, Provider: "DEX", Reason: "nope", Cause: errors.New("root")}
	if got := e.Error(); got != `invalid identity token: token failed the aud check (provider "DEX"): nope` {
		t.Fatalf("Error() = %q", got)
	}
	if !errors.Is(e, ErrInvalidToken) || errors.Is(e, ErrExpiredToken) || !errors.Is(e, e.Cause) {
		t.Fatal("Unwrap")
	}
	long := quote(strings.Repeat("é", 100))
	if len(long) > 90 || !strings.HasSuffix(long, `"...`) {
		t.Fatalf("quote did not cut: %s", long)
	}
}
