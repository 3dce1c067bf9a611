package oidc_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/oidc"
)

func TestConfigFromEnv(t *testing.T) {
	const (
		urlA = "https://a.example/.well-known/openid-configuration"
		urlB = "https://b.example/realms/x/.well-known/openid-configuration"
	)
	cases := []struct {
		name string
		env  map[string]string
		want []oidc.ProviderConfig
		err  string // part of the error; "" for success
	}{
		{"nothing", map[string]string{"MINIO_ROOT_USER": "x"}, nil, ""},
		{"un-suffixed, every variable", map[string]string{
			"MINIO_IDENTITY_OPENID_CONFIG_URL":     urlA,
			"MINIO_IDENTITY_OPENID_CLIENT_ID":      "cid",
			"MINIO_IDENTITY_OPENID_CLIENT_SECRET":  "sec ret",
			"MINIO_IDENTITY_OPENID_CLAIM_NAME":     "groups",
			"MINIO_IDENTITY_OPENID_CLAIM_PREFIX":   "https://min.io/",
			"MINIO_IDENTITY_OPENID_SCOPES":         "openid, profile ,email",
			"MINIO_IDENTITY_OPENID_DISPLAY_NAME":   "Corporate SSO",
			"MINIO_IDENTITY_OPENID_CLAIM_USERINFO": "on",
			"MINIO_IDENTITY_OPENID_REDIRECT_URI":   "http://console/oauth_callback",
		}, []oidc.ProviderConfig{{
			ConfigURL: urlA, ClientID: "cid", ClientSecret: "sec ret", ClaimName: "groups",
			ClaimPrefix: "https://min.io/", Scopes: []string{"openid", "profile", "email"},
			DisplayName: "Corporate SSO", ClaimUserinfo: true, RedirectURI: "http://console/oauth_callback",
		}}, ""},
		{"suffixes", map[string]string{
			"MINIO_IDENTITY_OPENID_CONFIG_URL":           urlA,
			"MINIO_IDENTITY_OPENID_CLIENT_ID":            "a",
			"MINIO_IDENTITY_OPENID_CONFIG_URL_DEX":       urlB,
			"MINIO_IDENTITY_OPENID_CLIENT_ID_DEX":        "b",
			"MINIO_IDENTITY_OPENID_ROLE_POLICY_DEX":      "readonly, diagnostics",
			"MINIO_IDENTITY_OPENID_CLAIM_USERINFO_KC":    "off",
			"MINIO_IDENTITY_OPENID_CONFIG_URL_KC":        urlB,
			"MINIO_IDENTITY_OPENID_CLIENT_ID_KC":         "kc",
			"MINIO_IDENTITY_OPENID_ROLE_POLICY_KC":       "consoleAdmin",
			"MINIO_IDENTITY_OPENID_REDIRECT_URI_DYNAMIC": "on",
		}, []oidc.ProviderConfig{
			{ConfigURL: urlA, ClientID: "a", ClaimName: "policy"},
			{Name: "DEX", ConfigURL: urlB, ClientID: "b", RolePolicy: []string{"readonly", "diagnostics"}},
			{Name: "KC", ConfigURL: urlB, ClientID: "kc", RolePolicy: []string{"consoleAdmin"}},
		}, ""},
		{"suffixed claim provider only", map[string]string{
			"MINIO_IDENTITY_OPENID_CONFIG_URL_dex": urlA,
			"MINIO_IDENTITY_OPENID_CLIENT_ID_dex":  "a",
		}, []oidc.ProviderConfig{{Name: "dex", ConfigURL: urlA, ClientID: "a", ClaimName: "policy"}}, ""},
		{"legacy JWKS URL", map[string]string{
			"MINIO_IAM_JWKS_URL": "https://localhost:9443/oauth2/jwks",
		}, []oidc.ProviderConfig{{JWKSURL: "https://localhost:9443/oauth2/jwks", ClaimName: "policy"}}, ""},
		{"legacy JWKS URL with a client id", map[string]string{
			"MINIO_IAM_JWKS_URL":              "https://localhost:9443/oauth2/jwks",
			"MINIO_IDENTITY_OPENID_CLIENT_ID": "PoEgXP6uVO45IsENRngDXj5Au5Ya",
		}, []oidc.ProviderConfig{{JWKSURL: "https://localhost:9443/oauth2/jwks", ClientID: "PoEgXP6uVO45IsENRngDXj5Au5Ya", ClaimName: "policy"}}, ""},
		{"disabled provider", map[string]string{
			"MINIO_IDENTITY_OPENID_CONFIG_URL_DEX": urlA,
			"MINIO_IDENTITY_OPENID_CLIENT_ID_DEX":  "a",
			"MINIO_IDENTITY_OPENID_ENABLE_DEX":     "off",
		}, nil, ""},
		{"only console variables", map[string]string{"MINIO_IDENTITY_OPENID_REDIRECT_URI_DYNAMIC": "on"}, nil, ""},

		{"two claim-based", map[string]string{
			"MINIO_IDENTITY_OPENID_CONFIG_URL":     urlA,
			"MINIO_IDENTITY_OPENID_CLIENT_ID":      "a",
			"MINIO_IDENTITY_OPENID_CONFIG_URL_DEX": urlB,
			"MINIO_IDENTITY_OPENID_CLIENT_ID_DEX":  "b",
		}, nil, "MINIO_IDENTITY_OPENID_CONFIG_URL and MINIO_IDENTITY_OPENID_CONFIG_URL_DEX both configure claim-based providers"},
		{"legacy and a suffixed claim provider", map[string]string{
			"MINIO_IAM_JWKS_URL":                   "https://localhost:9443/oauth2/jwks",
			"MINIO_IDENTITY_OPENID_CONFIG_URL_DEX": urlB,
			"MINIO_IDENTITY_OPENID_CLIENT_ID_DEX":  "b",
		}, nil, "MINIO_IAM_JWKS_URL and MINIO_IDENTITY_OPENID_CONFIG_URL_DEX both configure claim-based providers"},
		{"missing client id", map[string]string{
			"MINIO_IDENTITY_OPENID_CONFIG_URL_DEX":  urlA,
			"MINIO_IDENTITY_OPENID_ROLE_POLICY_DEX": "readonly",
		}, nil, "MINIO_IDENTITY_OPENID_CLIENT_ID_DEX is required when MINIO_IDENTITY_OPENID_CONFIG_URL_DEX is set"},
		{"client id without config URL", map[string]string{
			"MINIO_IDENTITY_OPENID_CLIENT_ID_DEX": "a",
		}, nil, "MINIO_IDENTITY_OPENID_CLIENT_ID_DEX is set but MINIO_IDENTITY_OPENID_CONFIG_URL_DEX is not"},
		{"role policy and claim name", map[string]string{
			"MINIO_IDENTITY_OPENID_CONFIG_URL":  urlA,
			"MINIO_IDENTITY_OPENID_CLIENT_ID":   "a",
			"MINIO_IDENTITY_OPENID_ROLE_POLICY": "readonly",
			"MINIO_IDENTITY_OPENID_CLAIM_NAME":  "groups",
		}, nil, "MINIO_IDENTITY_OPENID_ROLE_POLICY and MINIO_IDENTITY_OPENID_CLAIM_NAME are mutually exclusive"},
		{"bad boolean", map[string]string{
			"MINIO_IDENTITY_OPENID_CONFIG_URL":     urlA,
			"MINIO_IDENTITY_OPENID_CLIENT_ID":      "a",
			"MINIO_IDENTITY_OPENID_CLAIM_USERINFO": "maybe",
		}, nil, "MINIO_IDENTITY_OPENID_CLAIM_USERINFO=\"maybe\""},
		{"legacy and config URL", map[string]string{
			"MINIO_IAM_JWKS_URL":               "https://localhost:9443/oauth2/jwks",
			"MINIO_IDENTITY_OPENID_CONFIG_URL": urlA,
			"MINIO_IDENTITY_OPENID_CLIENT_ID":  "a",
		}, nil, "MINIO_IDENTITY_OPENID_CONFIG_URL and MINIO_IAM_JWKS_URL are both set"},
		{"legacy with userinfo", map[string]string{
			"MINIO_IAM_JWKS_URL":                   "https://localhost:9443/oauth2/jwks",
			"MINIO_IDENTITY_OPENID_CLAIM_USERINFO": "on",
		}, nil, "MINIO_IDENTITY_OPENID_CLAIM_USERINFO needs the userinfo endpoint"},
		{"not an http URL", map[string]string{
			"MINIO_IDENTITY_OPENID_CONFIG_URL_X": "ftp://a.example/",
			"MINIO_IDENTITY_OPENID_CLIENT_ID_X":  "a",
		}, nil, "MINIO_IDENTITY_OPENID_CONFIG_URL_X=\"ftp://a.example/\""},
		{"relative URL", map[string]string{
			"MINIO_IAM_JWKS_URL": "/jwks",
		}, nil, "MINIO_IAM_JWKS_URL=\"/jwks\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var environ []string
			for k, v := range tc.env {
				environ = append(environ, k+"="+v)
			}
			got, err := oidc.ConfigFromEnv(func(k string) string { return tc.env[k] }, environ)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, oidc.ErrInvalidConfig) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
