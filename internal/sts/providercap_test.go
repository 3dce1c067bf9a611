package sts_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/oidc"
)

// fixedVerifier vouches for any token with one identity.
type fixedVerifier struct{ id oidc.Identity }

func (f fixedVerifier) Verify(context.Context, string, string) (*oidc.Identity, error) {
	id := f.id
	return &id, nil
}

// TestAPI_ProviderMaxDuration: a provider's administrator cap bounds
// DurationSeconds (a ValidationError naming the cap) and, without it,
// ends the session at the cap when the token lives longer.
func TestAPI_ProviderMaxDuration(t *testing.T) {
	id := oidc.Identity{Provider: "DEX", Subject: "app", Policies: []string{"readonly"}, Expiry: time.Now().Add(3 * time.Hour), MaxDuration: time.Hour}
	e := newEnv(t, envOptions{oidc: fixedVerifier{id}})
	const q = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&WebIdentityToken=opaque-token"
	wantRaw(t, e.raw("POST", q+"&DurationSeconds=7200", "", signed{}), "ValidationError", 400, "3600", oidc.EnvMaxDuration+"_DEX")
	for _, tc := range []struct {
		query string
		want  time.Duration
	}{
		{q, time.Hour}, // the token lives 3 hours: the cap ends it
		{q + "&DurationSeconds=1800", 30 * time.Minute}, // within the cap
	} {
		r := e.raw("POST", tc.query, "", signed{})
		if r.status != 200 {
			t.Fatalf("%s: %d %s", tc.query, r.status, r.body)
		}
		var out struct {
			Expiration string `xml:"AssumeRoleWithWebIdentityResult>Credentials>Expiration"`
		}
		if err := xml.Unmarshal([]byte(r.body), &out); err != nil {
			t.Fatal(err)
		}
		exp, _ := time.Parse(time.RFC3339, out.Expiration)
		if !near(exp, time.Now().Add(tc.want)) {
			t.Errorf("%s: expiry %v, want %v from now", strings.TrimPrefix(tc.query, q), exp, tc.want)
		}
	}
}
