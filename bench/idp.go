package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/oidc/oidctest"
)

// idp is the built-in OpenID provider for the web-identity and
// client-grants modes: oidctest's real provider (discovery, JWKS, token
// endpoint) on a loopback port of this process. Servers the bench starts
// trust it through MINIO_IDENTITY_OPENID_CONFIG_URL and _CLIENT_ID.
type idp struct {
	p  *oidctest.Provider
	tb *hostTB
}

// tokenClaims are the claims the minted tokens carry: MinIO's default
// claim name, naming a canned policy that allows every S3 action.
var tokenClaims = map[string]any{"policy": "readwrite"}

// openIDP starts the provider. Its tokens last a day, longer than any run.
func openIDP() (ip *idp, err error) {
	tb := &hostTB{}
	defer func() {
		if r := recover(); r != nil {
			tb.close()
			if f, ok := r.(hostFatal); ok {
				err = fmt.Errorf("built-in OpenID provider: %s", string(f))
				return
			}
			panic(r)
		}
	}()
	p := oidctest.NewProvider(tb, oidctest.Options{TokenLifetime: 24 * time.Hour})
	return &idp{p: p, tb: tb}, nil
}

// env is the environment that points a server at the provider.
func (ip *idp) env() map[string]string { return ip.p.Env("") }

// token mints an access token with tokenClaims.
func (ip *idp) token(ctx context.Context) (string, error) {
	return ip.p.RequestToken(ctx, ip.p.ClientID(), ip.p.ClientSecret(), tokenClaims)
}

// Close stops the provider.
func (ip *idp) Close() { ip.tb.close() }

// hostTB is the testing.TB that oidctest asks for, outside a test: it
// keeps cleanups until close and turns Fatal into a hostFatal panic that
// openIDP recovers. The embedded TB is nil, so a method oidctest does not
// use today panics loudly rather than doing something wrong.
type hostTB struct {
	testing.TB
	cleanups []func()
}

type hostFatal string

func (t *hostTB) Helper()                         {}
func (t *hostTB) Cleanup(f func())                { t.cleanups = append(t.cleanups, f) }
func (t *hostTB) Fatal(args ...any)               { panic(hostFatal(fmt.Sprint(args...))) }
func (t *hostTB) Fatalf(format string, a ...any)  { panic(hostFatal(fmt.Sprintf(format, a...))) }
func (t *hostTB) Errorf(format string, a ...any)  { panic(hostFatal(fmt.Sprintf(format, a...))) }
func (t *hostTB) Logf(format string, args ...any) {}

func (t *hostTB) close() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}
