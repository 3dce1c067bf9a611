package e2e

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/idplugin"
	"github.com/sesame-s3/sesame/internal/ldap/ldaptest"
)

// customTokenResponse is AssumeRoleWithCustomToken's response.
type customTokenResponse struct {
	XMLName xml.Name `xml:"AssumeRoleWithCustomTokenResponse"`
	Result  struct {
		Credentials     stsCredsXML `xml:"Credentials"`
		AssumedUser     string      `xml:"AssumedUser"`
		AssumedRoleUser struct {
			Arn string `xml:"Arn"`
		} `xml:"AssumedRoleUser"`
	} `xml:"AssumeRoleWithCustomTokenResult"`
}

// identityPlugin is the webhook of MinIO's identity management plugin,
// written here: each token maps to the answer it gets.
type identityPlugin struct {
	*httptest.Server
	mu      sync.Mutex
	answers map[string]func(w http.ResponseWriter)
	auth    []string // the Authorization headers received
}

func startIdentityPlugin(t *testing.T) *identityPlugin {
	p := &identityPlugin{answers: map[string]func(http.ResponseWriter){}}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.auth = append(p.auth, r.Header.Get("Authorization"))
		answer := p.answers[r.URL.Query().Get("token")]
		p.mu.Unlock()
		if r.Method != http.MethodPost || answer == nil {
			w.WriteHeader(http.StatusForbidden)
			json.NewEncoder(w).Encode(map[string]string{"reason": "unknown token"})
			return
		}
		answer(w)
	}))
	t.Cleanup(p.Close)
	return p
}

// grant makes token good for user with the claims.
func (p *identityPlugin) grant(token, user string, validity int, claims map[string]any) {
	p.set(token, func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"user": user, "maxValiditySeconds": validity, "claims": claims})
	})
}

func (p *identityPlugin) set(token string, answer func(http.ResponseWriter)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.answers[token] = answer
}

// customTokenLogin posts AssumeRoleWithCustomToken as MinIO documents it.
func customTokenLogin(t *testing.T, ep endpoint, token, roleARN string, extra url.Values) rawResponse {
	t.Helper()
	q := url.Values{"Action": {"AssumeRoleWithCustomToken"}, "Version": {"2011-06-15"}, "Token": {token}, "RoleArn": {roleARN}}
	for k, v := range extra {
		q[k] = v
	}
	req, err := http.NewRequest(http.MethodPost, ep.URL+"/?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ep.do(t, req)
}

// TestPlugin runs AssumeRoleWithCustomToken against an identity plugin
// webhook written here: minio-go's NewCustomTokenCredentials and a raw
// request, the plugin's claims as ${jwt:...}, its refusal with its reason,
// malformed answers, and a plugin that is slow or down (503).
func TestPlugin(t *testing.T) {
	ctx := context.Background()
	plugin := startIdentityPlugin(t)
	const roleARN = idplugin.RoleARNPrefix + "e2e"
	pluginCfg := &idplugin.Config{URL: plugin.URL + "/auth", AuthToken: "Bearer plugin-secret", RolePolicy: []string{"team"}, RoleID: "e2e", Timeout: 300 * time.Millisecond}
	ep := startServer(t, func(c *config.Config) { c.Plugin = pluginCfg })
	bucket := newBucket(t, ep)
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::%s/${jwt:team}/*"}]}`, bucket)
	if _, err := iamClient(ep).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("team"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	plugin.grant("alice-token", "alice", 7200, map[string]any{"team": "blue", "sub": "forged", "groups": []string{"a", "b"}})

	t.Run("MinioGo", func(t *testing.T) {
		creds, err := miniocreds.NewCustomTokenCredentials(ep.URL, "alice-token", roleARN)
		if err != nil {
			t.Fatal(err)
		}
		c := minioSession(t, ep, creds)
		minioRoundTrip(t, c, bucket, "blue/notes", []byte("blue team"))
		v, err := creds.GetWithContext(nil)
		if err != nil || time.Until(v.Expiration) > 2*time.Hour+time.Minute || time.Until(v.Expiration) < 2*time.Hour-time.Minute {
			t.Errorf("expiry %v (%v): want the plugin's 2 hours without DurationSeconds", v.Expiration, err)
		}
		plugin.mu.Lock()
		got := plugin.auth[len(plugin.auth)-1]
		plugin.mu.Unlock()
		if got != "Bearer plugin-secret" {
			t.Errorf("the plugin got Authorization %q", got)
		}
	})

	t.Run("RawRequest", func(t *testing.T) {
		resp := customTokenLogin(t, ep, "alice-token", roleARN, url.Values{"DurationSeconds": {"604800"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
		var out customTokenResponse
		if err := xml.Unmarshal(resp.Body, &out); err != nil {
			t.Fatalf("%v: %s", err, resp.Body)
		}
		if out.Result.AssumedUser != "custom:alice" || out.Result.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/custom/alice" {
			t.Errorf("AssumedUser %q, Arn %q", out.Result.AssumedUser, out.Result.AssumedRoleUser.Arn)
		}
		exp, err := time.Parse(time.RFC3339, out.Result.Credentials.Expiration)
		if err != nil || time.Until(exp) > 2*time.Hour+time.Minute {
			t.Errorf("Expiration %q: the plugin's maxValiditySeconds caps DurationSeconds", out.Result.Credentials.Expiration)
		}
		s := s3WithCreds(ep, staticCreds(out.Result.Credentials))
		sdkRoundTrip(t, s, bucket, "blue/raw", []byte("raw"))
		_, err = s.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String("red/x"), Body: strings.NewReader("x")})
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("Refusals", func(t *testing.T) {
		plugin.set("revoked", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"reason":"the token was revoked"}`))
		})
		msg := expectSTSError(t, customTokenLogin(t, ep, "revoked", roleARN, nil), http.StatusForbidden, "AccessDenied", "")
		if !strings.Contains(msg, "the token was revoked") {
			t.Errorf("message %q does not carry the plugin's reason", msg)
		}
		for token, body := range map[string]string{
			"garbage":    `<html>yes</html>`,
			"no-user":    `{"maxValiditySeconds":3600}`,
			"short-life": `{"user":"x","maxValiditySeconds":60}`,
		} {
			plugin.set(token, func(w http.ResponseWriter) { w.Write([]byte(body)) })
			expectSTSError(t, customTokenLogin(t, ep, token, roleARN, nil), http.StatusForbidden, "AccessDenied", "")
		}
		plugin.set("broken", func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) })
		expectSTSError(t, customTokenLogin(t, ep, "broken", roleARN, nil), http.StatusServiceUnavailable, "ServiceUnavailable", "")
		plugin.set("slow", func(w http.ResponseWriter) {
			time.Sleep(700 * time.Millisecond)
			w.Write([]byte(`{"user":"slow","maxValiditySeconds":3600}`))
		})
		start := time.Now()
		expectSTSError(t, customTokenLogin(t, ep, "slow", roleARN, nil), http.StatusServiceUnavailable, "ServiceUnavailable", "")
		if d := time.Since(start); d > 900*time.Millisecond {
			t.Errorf("a slow plugin held the request %v; the timeout is 300ms", d)
		}
		expectSTSError(t, customTokenLogin(t, ep, "alice-token", idplugin.RoleARNPrefix+"other", nil), http.StatusBadRequest, "InvalidParameterValue", "")
		expectSTSError(t, customTokenLogin(t, ep, "", roleARN, nil), http.StatusBadRequest, "ValidationError", "")
		req, _ := http.NewRequest(http.MethodPost, ep.URL+"/?Action=AssumeRoleWithCustomToken&Version=2011-06-15&Token=x", nil)
		expectSTSError(t, ep.do(t, req), http.StatusBadRequest, "ValidationError", "")
	})

	t.Run("PluginDown", func(t *testing.T) {
		down := *pluginCfg
		down.URL = "http://" + ldaptest.ClosedAddr(t) + "/auth"
		ep := startServer(t, func(c *config.Config) { c.Plugin = &down })
		expectSTSError(t, customTokenLogin(t, ep, "alice-token", roleARN, nil), http.StatusServiceUnavailable, "ServiceUnavailable", "")
	})

	t.Run("NoRolePolicy", func(t *testing.T) {
		none := *pluginCfg
		none.RolePolicy = []string{"nosuch"}
		ep := startServer(t, func(c *config.Config) { c.Plugin = &none })
		expectSTSError(t, customTokenLogin(t, ep, "alice-token", roleARN, nil), http.StatusForbidden, "AccessDenied", "")
	})
}
