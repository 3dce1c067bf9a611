package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/server"
)

func TestLimitFlags_Split(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantRest []string
		want     server.Limits
		wantErr  string // "" for success
	}{
		{"none", []string{"--address", ":1", "dir"}, []string{"--address", ":1", "dir"},
			server.Limits{MinRate: 1024, RateGrace: 30 * time.Second, RateWindow: time.Minute, HeaderTimeout: 10 * time.Second,
				BusyHeaderTimeout: 2 * time.Second, IdleTimeout: 2 * time.Minute}, ""},
		{"mixed in", []string{"--max-conns", "100", "--address", ":1", "-soft-conns=50", "dir", "--rate-window", "5s"},
			[]string{"--address", ":1", "dir"},
			server.Limits{MaxConns: 100, SoftConns: 50, MinRate: 1024, RateGrace: 5 * time.Second, RateWindow: 5 * time.Second,
				HeaderTimeout: 10 * time.Second, BusyHeaderTimeout: 2 * time.Second, IdleTimeout: 2 * time.Minute}, ""},
		{"grace over window", []string{"--rate-grace", "10s", "--rate-window", "5s", "dir"}, nil, server.Limits{}, "--rate-grace 10s"},
		{"rate off", []string{"--min-rate=0", "--rate-grace", "1s", "--rate-window=2s", "dir"}, []string{"dir"},
			server.Limits{NoMinRate: true, RateGrace: time.Second, RateWindow: 2 * time.Second, HeaderTimeout: 10 * time.Second,
				BusyHeaderTimeout: 2 * time.Second, IdleTimeout: 2 * time.Minute}, ""},
		{"after --", []string{"dir", "--", "--max-conns", "5"}, []string{"dir", "--", "--max-conns", "5"},
			server.Limits{MinRate: 1024, RateGrace: 30 * time.Second, RateWindow: time.Minute, HeaderTimeout: 10 * time.Second,
				BusyHeaderTimeout: 2 * time.Second, IdleTimeout: 2 * time.Minute}, ""},
		{"soft not below max", []string{"--max-conns", "10", "--soft-conns", "10", "dir"}, nil, server.Limits{}, "--soft-conns 10"},
		{"negative", []string{"--max-conns", "-1", "dir"}, nil, server.Limits{}, "--max-conns -1"},
		{"bad value", []string{"--max-conns", "many", "dir"}, nil, server.Limits{}, "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			f := newLimitFlags(&stderr)
			rest, err := f.split(tt.args)
			var lim server.Limits
			if err == nil {
				lim, err = f.limits()
			}
			if tt.wantErr != "" {
				if msg := stderr.String() + errString(err); err == nil || !strings.Contains(msg, tt.wantErr) {
					t.Fatalf("error %v (stderr %q), want one with %q", err, stderr.String(), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rest, tt.wantRest) {
				t.Errorf("rest = %q, want %q", rest, tt.wantRest)
			}
			if lim != tt.want {
				t.Errorf("limits = %+v\nwant %+v", lim, tt.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestServer_HelpListsLimits(t *testing.T) {
	var stdout, stderr strings.Builder
	if code := run([]string{"server", "--help"}, nil, &stdout, &stderr); code != 0 || stderr.Len() != 0 {
		t.Errorf("sesame server --help: exit %d, stderr %q; want 0 and nothing on stderr", code, stderr.String())
	}
	for _, flag := range []string{"-address", "-max-conns", "-soft-conns", "-min-rate", "-rate-grace", "-rate-window", "-header-timeout", "-busy-header-timeout", "-idle-timeout",
		"MINIO_IDENTITY_OPENID_CONFIG_URL", "MINIO_POLICY_OPA_URL", "MINIO_ETCD_ENDPOINTS", "MINIO_AUDIT_WEBHOOK_ENDPOINT"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("sesame server --help does not list %s:\n%s", flag, stdout.String())
		}
	}
}
