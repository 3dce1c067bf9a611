package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// awsConfigPath is the aws cli's config file: AWS_CONFIG_FILE, else
// ~/.aws/config.
func awsConfigPath(getenv func(string) string) (string, error) {
	if p := getenv("AWS_CONFIG_FILE"); p != "" {
		return p, nil
	}
	home := getenv("HOME")
	if home == "" {
		var err error
		if home, err = os.UserHomeDir(); err != nil {
			return "", err
		}
	}
	return filepath.Join(home, ".aws", "config"), nil
}

// credentialProcess is the command the profile runs for credentials: this
// binary, by absolute path.
func credentialProcess(st *loginState, profile string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return "", err
	}
	if strings.ContainsAny(exe, " \t\"") {
		exe = `"` + exe + `"`
	}
	return fmt.Sprintf("%s credentials --endpoint %s --profile %s", exe, st.Endpoint, profile), nil
}

// writeAWSProfile writes profile into the aws cli's config file: its
// section ([profile P], or [default]) gets credential_process,
// endpoint_url and region; other keys of the section (s3 settings, ...)
// and every other section stay as they were. It returns the file's path.
func writeAWSProfile(getenv func(string) string, profile string, st *loginState) (string, error) {
	path, err := awsConfigPath(getenv)
	if err != nil {
		return "", err
	}
	cmd, err := credentialProcess(st, profile)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return "", err
	}
	out := setINISection(string(data), sectionName(profile), [][2]string{
		{"credential_process", cmd}, {"endpoint_url", st.Endpoint}, {"region", st.Region},
	})
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, []byte(out), 0o600)
}

func sectionName(profile string) string {
	if profile == "default" {
		return "default"
	}
	return "profile " + profile
}

// setINISection sets keys in section of an INI text (adding the section
// at the end when it is absent), replacing their old values; indented
// lines under a replaced key (a nested block) go with it.
func setINISection(text, section string, keys [][2]string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if text == "" {
		lines = nil
	}
	isHeader := func(l string) (string, bool) {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			return strings.TrimSpace(t[1 : len(t)-1]), true
		}
		return "", false
	}
	var out []string
	in, found, skipping := false, false, false
	flush := func() {
		for _, kv := range keys {
			out = append(out, kv[0]+" = "+kv[1])
		}
	}
	for _, l := range lines {
		if name, ok := isHeader(l); ok {
			if in {
				flush()
			}
			in = name == section
			found = found || in
			skipping = false
			out = append(out, l)
			continue
		}
		if in {
			if skipping && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) {
				continue
			}
			skipping = false
			k, _, _ := strings.Cut(l, "=")
			k = strings.TrimSpace(k)
			replaced := false
			for _, kv := range keys {
				if k == kv[0] {
					replaced = true
				}
			}
			if replaced {
				skipping = true
				continue
			}
			if strings.TrimSpace(l) == "" {
				continue
			}
		}
		out = append(out, l)
	}
	if in {
		flush()
	}
	if !found {
		if len(out) > 0 {
			out = append(out, "")
		}
		out = append(out, "["+section+"]")
		flush()
	}
	return strings.Join(out, "\n") + "\n"
}
