package metrics_test

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/metrics"
)

var errNoKey = errors.New("no such key")

func secrets(accessKey string) (string, error) {
	if accessKey == "admin" {
		return "adminsecret", nil
	}
	return "", errNoKey
}

func TestVerifyToken(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	good := metrics.NewToken("admin", "adminsecret", now.Add(time.Hour))
	enc := base64.RawURLEncoding.EncodeToString
	parts := strings.Split(good, ".")
	tests := []struct {
		name    string
		token   string
		wantErr error
	}{
		{"good", good, nil},
		{"expired", metrics.NewToken("admin", "adminsecret", now.Add(-time.Second)), metrics.ErrInvalidToken},
		{"other secret", metrics.NewToken("admin", "othersecret", now.Add(time.Hour)), metrics.ErrInvalidToken},
		{"unknown key", metrics.NewToken("bob", "adminsecret", now.Add(time.Hour)), errNoKey},
		{"alg none", enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".", metrics.ErrInvalidToken},
		{"HS256", enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2], metrics.ErrInvalidToken},
		{"other issuer", parts[0] + "." + enc([]byte(`{"exp":1900000000,"sub":"admin","iss":"console"}`)) + "." + parts[2], metrics.ErrInvalidToken},
		{"no expiry", parts[0] + "." + enc([]byte(`{"sub":"admin","iss":"prometheus"}`)) + "." + parts[2], metrics.ErrInvalidToken},
		{"claims changed", parts[0] + "." + enc([]byte(`{"exp":1900000000,"sub":"admin","iss":"prometheus"}`)) + "." + parts[2], metrics.ErrInvalidToken},
		{"two parts", parts[0] + "." + parts[1], metrics.ErrInvalidToken},
		{"garbage", "not a token", metrics.ErrInvalidToken},
		{"too long", strings.Repeat("a", 5000), metrics.ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := metrics.VerifyToken(tt.token, now, secrets)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("VerifyToken = %q, %v; want %v", sub, err, tt.wantErr)
			}
			if err == nil && sub != "admin" {
				t.Errorf("subject %q, want admin", sub)
			}
		})
	}
}

// FuzzVerifyToken: whatever the token, VerifyToken does not panic, fails
// with ErrInvalidToken or the lookup's error, and accepts only a token
// whose signature is right, for the subject it names.
func FuzzVerifyToken(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	f.Add(metrics.NewToken("admin", "adminsecret", now.Add(time.Hour)))
	f.Add(metrics.NewToken("admin", "adminsecret", now.Add(-time.Hour)))
	f.Add("eyJhbGciOiJub25lIn0.eyJleHAiOjE5MDAwMDAwMDAsInN1YiI6ImFkbWluIiwiaXNzIjoicHJvbWV0aGV1cyJ9.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		sub, err := metrics.VerifyToken(token, now, secrets)
		if err != nil {
			if !errors.Is(err, metrics.ErrInvalidToken) && !errors.Is(err, errNoKey) {
				t.Fatalf("error %v wraps neither sentinel", err)
			}
			return
		}
		if sub != "admin" {
			t.Fatalf("accepted a token for %q", sub)
		}
	})
}
