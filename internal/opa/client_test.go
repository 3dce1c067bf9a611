package opa

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestClient_Allowed(t *testing.T) {
	in := Input{Account: "alice", Action: "s3:GetObject", OriginalAction: "s3:GetObject", Bucket: "b", Object: "k"}
	tests := []struct {
		name    string
		status  int
		body    string
		delay   time.Duration
		want    bool
		failure bool
	}{
		{name: "bool true", status: 200, body: `{"result": true}`, want: true},
		{name: "bool false", status: 200, body: `{"result": false}`},
		{name: "object allow", status: 200, body: `{"result": {"allow": true}}`, want: true},
		{name: "object deny", status: 200, body: `{"result": {"allow": false, "other": 1}}`},
		{name: "undefined document", status: 200, body: `{}`, failure: true},
		{name: "null result", status: 200, body: `{"result": null}`, failure: true},
		{name: "object without allow", status: 200, body: `{"result": {"x": true}}`, failure: true},
		{name: "string result", status: 200, body: `{"result": "true"}`, failure: true},
		{name: "garbage", status: 200, body: `<html>true</html>`, failure: true},
		{name: "server error", status: 500, body: `{"result": true}`, failure: true},
		{name: "unauthorized", status: 401, body: `{"result": true}`, failure: true},
		{name: "timeout", status: 200, body: `{"result": true}`, delay: 2 * time.Second, failure: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.delay > 0 {
					select {
					case <-time.After(tc.delay):
					case <-r.Context().Done():
						return
					}
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer ts.Close()
			var decisions []bool
			var errs []error
			c := New(Config{URL: ts.URL, Timeout: 200 * time.Millisecond}, Options{OnDecision: func(allowed bool, err error) {
				decisions, errs = append(decisions, allowed), append(errs, err)
			}})
			if got := c.Allowed(context.Background(), in); got != tc.want {
				t.Errorf("Allowed = %v, want %v", got, tc.want)
			}
			if len(decisions) != 1 || decisions[0] != tc.want || (errs[0] != nil) != tc.failure {
				t.Errorf("OnDecision told %v, %v; want one call with %v and an error %v", decisions, errs, tc.want, tc.failure)
			}
			if got, want := c.Failures(), map[bool]uint64{false: 0, true: 1}[tc.failure]; got != want {
				t.Errorf("Failures = %d, want %d", got, want)
			}
		})
	}
}

func TestClient_AllowedRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := New(Config{URL: "http://" + addr + "/v1/data/httpapi/authz"}, Options{})
	if c.Allowed(context.Background(), Input{Action: "s3:ListBucket"}) {
		t.Fatal("Allowed = true with OPA down")
	}
	if c.Failures() != 1 {
		t.Fatalf("Failures = %d, want 1", c.Failures())
	}
}

func TestClient_AllowedRequest(t *testing.T) {
	var gotAuth, gotMethod, gotType string
	var got map[string]map[string]any
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotMethod, gotType = r.Header.Get("Authorization"), r.Method, r.Header.Get("Content-Type")
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decode request: %v", err)
		}
		io.WriteString(w, `{"result": true}`)
	}))
	defer ts.Close()
	in := Input{
		Account: "alice", Groups: []string{"g1"}, Action: "s3:PutObject", OriginalAction: "s3:PutObject",
		Bucket: "b", Object: "a/b.txt", Conditions: map[string][]string{"aws:username": {"alice"}},
		Claims: map[string]any{"sub": []string{"x"}},
	}
	c := New(Config{URL: ts.URL, AuthToken: "Bearer s3cr3t"}, Options{})
	if !c.Allowed(context.Background(), in) {
		t.Fatal("Allowed = false")
	}
	if gotAuth != "Bearer s3cr3t" || gotMethod != http.MethodPost || gotType != "application/json" {
		t.Errorf("Authorization %q, method %q, Content-Type %q", gotAuth, gotMethod, gotType)
	}
	doc := got["input"]
	for _, k := range []string{"account", "groups", "action", "originalAction", "bucket", "object", "conditions", "owner", "claims", "denyOnly"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("input has no %q: %v", k, doc)
		}
	}
	if doc["object"] != "a/b.txt" || doc["owner"] != false {
		t.Errorf("input = %v", doc)
	}
	// Without a token no Authorization header is sent.
	c = New(Config{URL: ts.URL}, Options{})
	c.Allowed(context.Background(), in)
	if gotAuth != "" {
		t.Errorf("Authorization %q sent without a token", gotAuth)
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    *Config
		wantErr bool
	}{
		{name: "unset", env: nil},
		{name: "policy opa", env: map[string]string{"MINIO_POLICY_OPA_URL": "http://o:8181/v1/data/a", "MINIO_POLICY_OPA_AUTH_TOKEN": "t"},
			want: &Config{URL: "http://o:8181/v1/data/a", AuthToken: "t"}},
		{name: "legacy", env: map[string]string{"MINIO_IAM_OPA_URL": "http://localhost:8181/v1/data/httpapi/authz", "MINIO_IAM_OPA_AUTHTOKEN": "tok"},
			want: &Config{URL: "http://localhost:8181/v1/data/httpapi/authz", AuthToken: "tok"}},
		{name: "plugin", env: map[string]string{"MINIO_POLICY_PLUGIN_URL": "https://p/v1/data/x", "MINIO_POLICY_PLUGIN_AUTH_TOKEN": "pt", TimeoutEnv: "2s"},
			want: &Config{URL: "https://p/v1/data/x", AuthToken: "pt", Timeout: 2 * time.Second}},
		{name: "two set", env: map[string]string{"MINIO_IAM_OPA_URL": "http://a/", "MINIO_POLICY_PLUGIN_URL": "http://b/"}, wantErr: true},
		{name: "bad url", env: map[string]string{"MINIO_POLICY_OPA_URL": "localhost:8181"}, wantErr: true},
		{name: "bad timeout", env: map[string]string{"MINIO_POLICY_OPA_URL": "http://a/", TimeoutEnv: "soon"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Fatalf("ConfigFromEnv = %+v, want %+v", got, tc.want)
			}
		})
	}
	_, err := ConfigFromEnv(func(k string) string {
		return map[string]string{"MINIO_IAM_OPA_URL": "http://a/", "MINIO_POLICY_OPA_URL": "http://b/"}[k]
	})
	if err == nil || !contains(err.Error(), "MINIO_IAM_OPA_URL") || !contains(err.Error(), "MINIO_POLICY_OPA_URL") {
		t.Fatalf("two variables: err = %v, want both names", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
