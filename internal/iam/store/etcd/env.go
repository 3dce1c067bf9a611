package etcd

import (
	"fmt"
	"strings"
)

// Environment variables read by ConfigFromEnv. The first five are MinIO's
// names; MinIO has no CA variable (it trusts the CAs in its certs
// directory), so MINIO_ETCD_CA is Sesame's own, named in the same style.
const (
	EndpointsEnv  = "MINIO_ETCD_ENDPOINTS"
	PathPrefixEnv = "MINIO_ETCD_PATH_PREFIX"
	CertEnv       = "MINIO_ETCD_CLIENT_CERT"
	KeyEnv        = "MINIO_ETCD_CLIENT_CERT_KEY"
	CAEnv         = "MINIO_ETCD_CA"
	UsernameEnv   = "MINIO_ETCD_USERNAME"
	PasswordEnv   = "MINIO_ETCD_PASSWORD"
)

// ConfigFromEnv reads the etcd settings through getenv. It returns nil, nil
// when MINIO_ETCD_ENDPOINTS is unset: IAM state then stays on the node.
func ConfigFromEnv(getenv func(string) string) (*Config, error) {
	var endpoints []string
	for _, e := range strings.Split(getenv(EndpointsEnv), ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if scheme, rest, ok := strings.Cut(e, "://"); ok {
			if s := strings.ToLower(scheme); (s != "http" && s != "https") || rest == "" {
				return nil, fmt.Errorf("%s: %q is not an http(s)://host:port URL", EndpointsEnv, e)
			}
		}
		endpoints = append(endpoints, e)
	}
	cfg := &Config{
		Endpoints:  endpoints,
		PathPrefix: strings.TrimSpace(getenv(PathPrefixEnv)),
		CertFile:   strings.TrimSpace(getenv(CertEnv)),
		KeyFile:    strings.TrimSpace(getenv(KeyEnv)),
		CAFile:     strings.TrimSpace(getenv(CAEnv)),
		Username:   getenv(UsernameEnv),
		Password:   getenv(PasswordEnv),
	}
	if len(endpoints) == 0 {
		for _, n := range []string{PathPrefixEnv, CertEnv, KeyEnv, CAEnv, UsernameEnv, PasswordEnv} {
			if getenv(n) != "" {
				return nil, fmt.Errorf("%s is set but %s is not: set the etcd endpoints too", n, EndpointsEnv)
			}
		}
		return nil, nil
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, fmt.Errorf("set both %s and %s for a client certificate, or neither", CertEnv, KeyEnv)
	}
	if (cfg.Username == "") != (cfg.Password == "") {
		return nil, fmt.Errorf("set both %s and %s for etcd authentication, or neither", UsernameEnv, PasswordEnv)
	}
	return cfg, nil
}
