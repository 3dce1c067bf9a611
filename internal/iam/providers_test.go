package iam_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
)

const thumb = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

func TestService_OIDCProviderLifecycle(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	p, err := svc.CreateOpenIDConnectProvider(ctx, iam.OIDCProvider{
		URL: "https://idp.example.com/realms/lab/", ClientIDs: []string{"app", "cli", "app"}, Thumbprints: []string{thumb},
		Tags: []iam.Tag{{Key: "env", Value: "lab"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:iam::000000000000:oidc-provider/idp.example.com/realms/lab"
	if p.ARN() != arn || p.URL != "https://idp.example.com/realms/lab/" || !slices.Equal(p.ClientIDs, []string{"app", "cli"}) ||
		!slices.Equal(p.Thumbprints, []string{thumb}) || p.Created.IsZero() || len(p.Tags) != 1 {
		t.Errorf("CreateOpenIDConnectProvider = %+v (ARN %s)", p, p.ARN())
	}
	if a, err := iam.OIDCProviderARN("https://idp.example.com/realms/lab"); err != nil || a != arn {
		t.Errorf("OIDCProviderARN = %q, %v", a, err)
	}
	// One URL, one provider: the trailing slash does not make another.
	for _, u := range []string{"https://idp.example.com/realms/lab", "https://idp.example.com/realms/lab/"} {
		if _, err := svc.CreateOpenIDConnectProvider(ctx, iam.OIDCProvider{URL: u}); !errors.Is(err, iam.ErrEntityAlreadyExists) {
			t.Errorf("CreateOpenIDConnectProvider(%s) again: %v, want ErrEntityAlreadyExists", u, err)
		}
	}
	for _, a := range []string{arn, "arn:aws:iam:::oidc-provider/idp.example.com/realms/lab"} {
		got, err := svc.GetOpenIDConnectProvider(ctx, a)
		if err != nil || got.URL != p.URL || !got.Created.Equal(p.Created) {
			t.Errorf("GetOpenIDConnectProvider(%s) = %+v, %v", a, got, err)
		}
	}
	if _, err := svc.CreateOpenIDConnectProvider(ctx, iam.OIDCProvider{URL: "https://accounts.example.org"}); err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, p := range svc.ListOpenIDConnectProviders(ctx) {
		arns = append(arns, p.ARN())
	}
	if want := []string{"arn:aws:iam::000000000000:oidc-provider/accounts.example.org", arn}; !slices.Equal(arns, want) {
		t.Errorf("ListOpenIDConnectProviders = %v, want %v", arns, want)
	}

	// Client IDs: adding one twice and removing a missing one are no-ops.
	for _, id := range []string{"web", "app"} {
		if err := svc.AddClientIDToOpenIDConnectProvider(ctx, arn, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.RemoveClientIDFromOpenIDConnectProvider(ctx, arn, "cli"); err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveClientIDFromOpenIDConnectProvider(ctx, arn, "never"); err != nil {
		t.Errorf("removing a missing client ID: %v", err)
	}
	other := strings.ToUpper(thumb)
	if err := svc.UpdateOpenIDConnectProviderThumbprint(ctx, arn, []string{other}); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.GetOpenIDConnectProvider(ctx, arn)
	if !slices.Equal(got.ClientIDs, []string{"app", "web"}) || !slices.Equal(got.Thumbprints, []string{other}) {
		t.Errorf("after updates: %+v", got)
	}

	// A provider's tag keys are case sensitive (AWS).
	if err := svc.TagOpenIDConnectProvider(ctx, arn, []iam.Tag{{Key: "Env", Value: "prod"}, {Key: "env", Value: "test"}}); err != nil {
		t.Fatal(err)
	}
	tags, _ := svc.ListOpenIDConnectProviderTags(ctx, arn)
	if want := []iam.Tag{{Key: "env", Value: "test"}, {Key: "Env", Value: "prod"}}; !slices.Equal(tags, want) {
		t.Errorf("tags = %v, want %v", tags, want)
	}
	if err := svc.UntagOpenIDConnectProvider(ctx, arn, []string{"ENV", "env"}); err != nil {
		t.Fatal(err)
	}
	tags, _ = svc.ListOpenIDConnectProviderTags(ctx, arn)
	if want := []iam.Tag{{Key: "Env", Value: "prod"}}; !slices.Equal(tags, want) {
		t.Errorf("after untag: %v, want %v", tags, want)
	}

	if err := svc.DeleteOpenIDConnectProvider(ctx, "arn:aws:iam:::oidc-provider/idp.example.com/realms/lab"); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Get":    func() error { _, err := svc.GetOpenIDConnectProvider(ctx, arn); return err }(),
		"Delete": svc.DeleteOpenIDConnectProvider(ctx, arn),
		"Add":    svc.AddClientIDToOpenIDConnectProvider(ctx, arn, "x"),
		"Tags":   func() error { _, err := svc.ListOpenIDConnectProviderTags(ctx, arn); return err }(),
	} {
		if !errors.Is(err, iam.ErrNoSuchEntity) {
			t.Errorf("%s after delete: %v, want ErrNoSuchEntity", name, err)
		}
	}
	if n := len(svc.OIDCProviders()); n != 1 {
		t.Errorf("OIDCProviders() has %d, want 1", n)
	}
}

func TestService_OIDCProviderValidation(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	ids := make([]string, iam.MaxClientIDs+1)
	for i := range ids {
		ids[i] = fmt.Sprint("client", i)
	}
	tests := []struct {
		name string
		p    iam.OIDCProvider
		want error
	}{
		{"empty URL", iam.OIDCProvider{}, iam.ErrInvalidInput},
		{"no scheme", iam.OIDCProvider{URL: "idp.example.com"}, iam.ErrInvalidInput},
		{"ftp", iam.OIDCProvider{URL: "ftp://idp.example.com"}, iam.ErrInvalidInput},
		{"upper-case scheme", iam.OIDCProvider{URL: "HTTPS://idp.example.com"}, iam.ErrInvalidInput},
		{"no host", iam.OIDCProvider{URL: "https:///path"}, iam.ErrInvalidInput},
		{"query", iam.OIDCProvider{URL: "https://idp.example.com/?a=b"}, iam.ErrInvalidInput},
		{"fragment", iam.OIDCProvider{URL: "https://idp.example.com/#x"}, iam.ErrInvalidInput},
		{"user", iam.OIDCProvider{URL: "https://u:p@idp.example.com"}, iam.ErrInvalidInput},
		{"too long", iam.OIDCProvider{URL: "https://idp.example.com/" + strings.Repeat("p", 232)}, iam.ErrInvalidInput},
		{"short thumbprint", iam.OIDCProvider{URL: "https://a.example", Thumbprints: []string{thumb[:39]}}, iam.ErrInvalidInput},
		{"thumbprint not hex", iam.OIDCProvider{URL: "https://a.example", Thumbprints: []string{strings.Repeat("g", 40)}}, iam.ErrInvalidInput},
		{"6 thumbprints", iam.OIDCProvider{URL: "https://a.example", Thumbprints: []string{
			strings.Repeat("1", 40), strings.Repeat("2", 40), strings.Repeat("3", 40), strings.Repeat("4", 40), strings.Repeat("5", 40), strings.Repeat("6", 40),
		}}, iam.ErrLimitExceeded},
		{"101 client IDs", iam.OIDCProvider{URL: "https://a.example", ClientIDs: ids}, iam.ErrLimitExceeded},
		{"empty client ID", iam.OIDCProvider{URL: "https://a.example", ClientIDs: []string{""}}, iam.ErrInvalidInput},
		{"long client ID", iam.OIDCProvider{URL: "https://a.example", ClientIDs: []string{strings.Repeat("c", 256)}}, iam.ErrInvalidInput},
		{"tag aws:", iam.OIDCProvider{URL: "https://a.example", Tags: []iam.Tag{{Key: "aws:x"}}}, iam.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := svc.CreateOpenIDConnectProvider(ctx, tt.p); !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
	if n := len(svc.OIDCProviders()); n != 0 {
		t.Fatalf("%d providers created by invalid requests", n)
	}
	// At the limits; a port and a path are allowed.
	ok := iam.OIDCProvider{URL: "https://idp.example.com:8443/" + strings.Repeat("p", 226), ClientIDs: ids[:iam.MaxClientIDs],
		Thumbprints: []string{strings.Repeat("1", 40), strings.Repeat("2", 40), strings.Repeat("3", 40), strings.Repeat("4", 40), strings.Repeat("5", 40)}}
	p, err := svc.CreateOpenIDConnectProvider(ctx, ok)
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider at the limits: %v", err)
	}
	if err := svc.AddClientIDToOpenIDConnectProvider(ctx, p.ARN(), "one-more"); !errors.Is(err, iam.ErrLimitExceeded) {
		t.Errorf("101st client ID: %v", err)
	}
	if err := svc.UpdateOpenIDConnectProviderThumbprint(ctx, p.ARN(), []string{"x"}); !errors.Is(err, iam.ErrInvalidInput) {
		t.Errorf("bad thumbprint update: %v", err)
	}
	for arn, want := range map[string]error{
		"arn:aws:iam::123456789012:oidc-provider/idp.example.com": iam.ErrNoSuchEntity, // another account
		"arn:aws:iam::000000000000:oidc-provider/missing.example": iam.ErrNoSuchEntity,
		"arn:aws:iam::000000000000:oidc-provider/":                iam.ErrInvalidInput,
		"arn:aws:iam::000000000000:role/r":                        iam.ErrInvalidInput,
		"idp.example.com":                                         iam.ErrInvalidInput,
	} {
		if _, err := svc.GetOpenIDConnectProvider(ctx, arn); !errors.Is(err, want) {
			t.Errorf("GetOpenIDConnectProvider(%q): %v, want %v", arn, err, want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestService_OIDCProviderPlainHTTP checks that an http:// provider is
// accepted (labs and tests) with a warning in the log.
func TestService_OIDCProviderPlainHTTP(t *testing.T) {
	ctx := context.Background()
	var logs syncBuffer
	st := memory.New(memory.Options{})
	svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	if _, err := svc.CreateOpenIDConnectProvider(ctx, iam.OIDCProvider{URL: "https://tls.example"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("https provider logged a warning:\n%s", logs.String())
	}
	p, err := svc.CreateOpenIDConnectProvider(ctx, iam.OIDCProvider{URL: "http://localhost:8080/realms/lab"})
	if err != nil {
		t.Fatal(err)
	}
	if p.ARN() != "arn:aws:iam::000000000000:oidc-provider/localhost:8080/realms/lab" {
		t.Errorf("ARN = %s", p.ARN())
	}
	if l := logs.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "http://localhost:8080/realms/lab") {
		t.Errorf("no warning naming the http:// provider:\n%s", l)
	}
}

// TestService_SubscribeFollowsOtherNode checks that a subscriber of one
// node is signalled when another node, sharing the store, creates or
// deletes a provider, and then reads the new set.
func TestService_SubscribeFollowsOtherNode(t *testing.T) {
	ctx := context.Background()
	a, st := newService(t)
	b, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	signals, cancel := b.Subscribe()
	defer cancel()

	// waitFor waits for signals until b's providers satisfy ok.
	waitFor := func(what string, ok func([]iam.OIDCProvider) bool) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for {
			select {
			case <-signals:
				if ok(b.OIDCProviders()) {
					return
				}
			case <-deadline:
				t.Fatalf("node B was never signalled with %s; it has %+v", what, b.OIDCProviders())
			}
		}
	}
	p, err := a.CreateOpenIDConnectProvider(ctx, iam.OIDCProvider{URL: "https://idp.example.com", ClientIDs: []string{"app"}})
	if err != nil {
		t.Fatal(err)
	}
	waitFor("the new provider", func(ps []iam.OIDCProvider) bool {
		return len(ps) == 1 && ps[0].URL == p.URL && slices.Equal(ps[0].ClientIDs, []string{"app"})
	})
	if err := a.DeleteOpenIDConnectProvider(ctx, p.ARN()); err != nil {
		t.Fatal(err)
	}
	waitFor("the deletion", func(ps []iam.OIDCProvider) bool { return len(ps) == 0 })
}

// TestService_SubscribeCoalesces checks that signals never block writes,
// that unread signals coalesce into one, and that cancel closes the
// channel.
func TestService_SubscribeCoalesces(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	signals, cancel := svc.Subscribe()
	other, cancelOther := svc.Subscribe()
	cancelOther()
	cancelOther() // twice is fine
	if _, ok := <-other; ok {
		t.Error("a cancelled subscription's channel is open")
	}
	for i := 0; i < 5; i++ { // five reloads, nobody reading
		if _, err := svc.CreateRole(ctx, fmt.Sprint("r", i), trustEveryone); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(signals); n != 1 {
		t.Fatalf("%d pending signals, want 1", n)
	}
	<-signals
	select {
	case <-signals:
		t.Error("a second signal for coalesced reloads")
	default:
	}
	cancel()
	if _, err := svc.CreateRole(ctx, "after", trustEveryone); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-signals; ok {
		t.Error("a signal after cancel")
	}
}
