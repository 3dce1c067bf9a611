package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad_ConfigFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sesame.env")
	os.WriteFile(file, []byte(`# OpenID provider
export MINIO_ROOT_USER=fromfile
MINIO_ROOT_PASSWORD="filesecret"
MINIO_IDENTITY_OPENID_CONFIG_URL=https://idp.example.com/.well-known/openid-configuration
MINIO_IDENTITY_OPENID_CLIENT_ID='sesame'
MINIO_REGION=eu-west-1
`), 0o600)
	cfg, err := Load([]string{"--config", file, dir}, []string{"MINIO_ROOT_USER=fromenv"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RootUser != "fromenv" || cfg.RootPassword != "filesecret" || cfg.Region != "eu-west-1" {
		t.Errorf("root %q/%q region %q: want the environment to win over the file", cfg.RootUser, cfg.RootPassword, cfg.Region)
	}
	if len(cfg.OpenID) != 1 || cfg.OpenID[0].ClientID != "sesame" {
		t.Errorf("OpenID from the file: %+v", cfg.OpenID)
	}
	// Flags win over both.
	cfg, err = Load([]string{"--config", file, "--region", "ap-south-1", dir}, nil, io.Discard)
	if err != nil || cfg.Region != "ap-south-1" {
		t.Errorf("flag region: %q %v", cfg.Region, err)
	}
}

func TestLoad_ConfigFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.env")
	os.WriteFile(bad, []byte("MINIO_ROOT_USER=admin\nnot a setting\n"), 0o600)
	for name, args := range map[string][]string{
		"missing file": {"--config", filepath.Join(dir, "nope"), dir},
		"bad line":     {"--config", bad, dir},
	} {
		if _, err := Load(args, nil, io.Discard); err == nil || !strings.Contains(err.Error(), "config file") {
			t.Errorf("%s: %v, want a config file error", name, err)
		}
	}
	if _, err := Load([]string{"--config", bad, dir}, nil, io.Discard); !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v, want the line number", err)
	}
}
