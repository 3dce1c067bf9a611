package idplugin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestClient_Authenticate(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		delay   time.Duration
		want    *Identity
		wantErr error
		msg     string
	}{
		{name: "accepted", status: 200, body: `{"user":"alice","maxValiditySeconds":3600,"claims":{"groups":["a","b"],"n":3,"ok":true,"sub":"x","exp":1,"parent":"p","obj":{"x":1},"nil":null}}`,
			want: &Identity{User: "alice", MaxValidity: time.Hour, Claims: map[string][]string{"groups": {"a", "b"}, "n": {"3"}, "ok": {"true"}}}},
		{name: "no claims", status: 200, body: `{"user":"bob","maxValiditySeconds":900}`, want: &Identity{User: "bob", MaxValidity: 15 * time.Minute, Claims: map[string][]string{}}},
		{name: "refused", status: 403, body: `{"reason":"token revoked\nat noon"}`, wantErr: ErrDenied, msg: "token revoked at noon"},
		{name: "refused without reason", status: 403, body: `nope`, wantErr: ErrDenied, msg: "no reason given"},
		{name: "not JSON", status: 200, body: `<html>ok</html>`, wantErr: ErrInvalidAnswer},
		{name: "two documents", status: 200, body: `{"user":"a","maxValiditySeconds":3600}{}`, wantErr: ErrInvalidAnswer},
		{name: "no user", status: 200, body: `{"maxValiditySeconds":3600}`, wantErr: ErrInvalidAnswer},
		{name: "user not a string", status: 200, body: `{"user":7,"maxValiditySeconds":3600}`, wantErr: ErrInvalidAnswer},
		{name: "no validity", status: 200, body: `{"user":"a"}`, wantErr: ErrInvalidAnswer},
		{name: "validity too short", status: 200, body: `{"user":"a","maxValiditySeconds":899}`, wantErr: ErrInvalidAnswer},
		{name: "validity a year", status: 200, body: `{"user":"a","maxValiditySeconds":31536000}`, wantErr: ErrInvalidAnswer},
		{name: "validity fractional", status: 200, body: `{"user":"a","maxValiditySeconds":1000.5}`, wantErr: ErrInvalidAnswer},
		{name: "claims not an object", status: 200, body: `{"user":"a","maxValiditySeconds":1000,"claims":[1]}`, wantErr: ErrInvalidAnswer},
		{name: "server error", status: 500, body: `{"user":"a","maxValiditySeconds":1000}`, wantErr: ErrUnavailable},
		{name: "unauthorized", status: 401, body: ``, wantErr: ErrUnavailable},
		{name: "slow", status: 200, body: `{"user":"a","maxValiditySeconds":1000}`, delay: time.Second, wantErr: ErrUnavailable, msg: "no answer within"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Query().Get("token") != "the-token" || r.URL.Query().Get("keep") != "1" || r.Header.Get("Authorization") != "Bearer plugin-secret" {
					t.Errorf("request %s %s, Authorization %q", r.Method, r.URL, r.Header.Get("Authorization"))
				}
				if tc.delay > 0 {
					select {
					case <-time.After(tc.delay):
					case <-r.Context().Done():
						return
					}
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				w.Write([]byte(tc.body))
			}))
			defer ts.Close()
			c, err := New(Config{URL: ts.URL + "/auth?keep=1", AuthToken: "Bearer plugin-secret", RolePolicy: []string{"readonly"}, Timeout: 200 * time.Millisecond}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			id, err := c.Authenticate(context.Background(), "the-token")
			if tc.want != nil {
				if err != nil || !reflect.DeepEqual(id, *tc.want) {
					t.Fatalf("got %+v, %v; want %+v", id, err, *tc.want)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.msg) || strings.Contains(err.Error(), "the-token") {
				t.Errorf("err %q: want %q in it and never the token", err, tc.msg)
			}
		})
	}
	c, _ := New(Config{URL: "http://127.0.0.1:1/", RolePolicy: []string{"readonly"}}, Options{})
	if _, err := c.Authenticate(context.Background(), "the-token"); !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "the-token") {
		t.Errorf("plugin down: %v", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := ConfigFromEnv(env(map[string]string{EnvURL: "https://auth.example/check", EnvRolePolicy: "readonly, rw", EnvRoleID: "ext", EnvToken: "Bearer x"}))
	if err != nil || cfg.RoleARN() != "arn:minio:iam:::role/idmp-ext" || !reflect.DeepEqual(cfg.RolePolicy, []string{"readonly", "rw"}) || cfg.AuthToken != "Bearer x" {
		t.Fatalf("%+v, %v", cfg, err)
	}
	derived, _ := ConfigFromEnv(env(map[string]string{EnvURL: "https://auth.example/check", EnvRolePolicy: "readonly"}))
	if a := derived.RoleARN(); !strings.HasPrefix(a, RoleARNPrefix) || len(a) != len(RoleARNPrefix)+16 {
		t.Errorf("derived role ARN %q", a)
	}
	for _, bad := range []map[string]string{
		{EnvURL: "https://a", EnvRolePolicy: ""},
		{EnvURL: "ftp://a", EnvRolePolicy: "x"},
		{EnvRolePolicy: "x"},
		{EnvURL: "https://a", EnvRolePolicy: "x", EnvRoleID: "a b"},
		{EnvURL: "https://a", EnvRolePolicy: "x", EnvTimeout: "soon"},
		{EnvURL: "https://a", EnvRolePolicy: "x", EnvAuthToken: "a", EnvToken: "b"},
	} {
		if _, err := ConfigFromEnv(env(bad)); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
	if cfg, err := ConfigFromEnv(env(map[string]string{EnvURL: "https://a", EnvRolePolicy: "x", EnvEnable: "off"})); cfg != nil || err != nil {
		t.Errorf("disabled: %v, %v", cfg, err)
	}
}
