package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/sesame-s3/sesame/internal/config"
	"github.com/sesame-s3/sesame/internal/server"
	"github.com/sesame-s3/sesame/internal/server/certstest"
)

// certificateResponse is AssumeRoleWithCertificate's response.
type certificateResponse struct {
	XMLName xml.Name `xml:"AssumeRoleWithCertificateResponse"`
	Result  struct {
		Credentials     stsCredsXML `xml:"Credentials"`
		AssumedRoleUser struct {
			Arn string `xml:"Arn"`
		} `xml:"AssumedRoleUser"`
	} `xml:"AssumeRoleWithCertificateResult"`
}

// startTLSIdentityServer serves HTTPS from a certs directory whose
// certificate and CAs/ come from ca, with identity TLS as given, through
// the server's own listener (its TLS configuration asks for client
// certificates); it returns the endpoint, trusting ca.
func startTLSIdentityServer(t *testing.T, ca *certstest.CA, id *config.IdentityTLS) endpoint {
	t.Helper()
	certs := t.TempDir()
	ca.WriteServerCert(t, certs, 2, "127.0.0.1")
	if err := os.MkdirAll(filepath.Join(certs, server.CAsDir), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certs, server.CAsDir, "clients.crt"), ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := server.Open(config.Config{Dir: t.TempDir(), RootUser: rootUser, RootPassword: rootPassword, Region: testRegion,
		CertsDir: certs, IdentityTLS: id}, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.ServeWith(ctx, l, server.Limits{}) }()
	t.Cleanup(func() {
		cancel()
		<-served
		srv.Close()
	})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	return endpoint{URL: "https://" + l.Addr().String(), AccessKey: rootUser, SecretKey: rootPassword, Region: testRegion, Client: client}
}

// certLogin posts AssumeRoleWithCertificate as MinIO documents it, over
// TLS with cert as the client certificate (none when nil).
func certLogin(ep endpoint, ca *certstest.CA, cert *tls.Certificate, extra url.Values) (rawResponse, error) {
	q := url.Values{"Action": {"AssumeRoleWithCertificate"}, "Version": {"2011-06-15"}}
	for k, v := range extra {
		q[k] = v
	}
	cfg := &tls.Config{RootCAs: ca.Pool()}
	if cert != nil {
		// Send it whatever CAs the server names, as curl --cert does
		// (Go's client would otherwise hold back a certificate of a CA
		// the server did not name).
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	resp, err := c.Post(ep.URL+"/?"+q.Encode(), "", nil)
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return rawResponse{Response: resp, Body: body}, err
}

// TestCertificate runs AssumeRoleWithCertificate over real mutual TLS
// with certificates made here: a root CA in CAs/, an intermediate the
// client sends, and client leaves; minio-go's NewSTSCertificateIdentity
// and raw requests; expired, unknown-CA and server-auth-only certificates
// refused by the handshake; a CN that names no policy, and none at all,
// refused by STS.
func TestCertificate(t *testing.T) {
	ctx := context.Background()
	root := certstest.NewCA(t, "Sesame e2e client root")
	inter := root.Intermediate(t, "Sesame e2e client intermediate")
	ep := startTLSIdentityServer(t, root, &config.IdentityTLS{})
	bucket := newBucket(t, ep)
	doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::%s/*"}]}`, bucket)
	if _, err := iamClient(ep).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("app-writer"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	writer := inter.Client(t, certstest.ClientCert{CommonName: "app-writer", Chain: []*certstest.CA{inter}})

	t.Run("MinioGo", func(t *testing.T) {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: root.Pool()}}
		creds, err := miniocreds.NewSTSCertificateIdentity(ep.URL, writer, miniocreds.CertificateIdentityWithTransport(tr))
		if err != nil {
			t.Fatal(err)
		}
		c, err := minio.New(ep.Host(), &minio.Options{Creds: creds, Secure: true, Region: ep.Region, MaxRetries: 1,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: root.Pool()}}})
		if err != nil {
			t.Fatal(err)
		}
		minioRoundTrip(t, c, bucket, "from-cert", []byte("mTLS"))
		v, err := creds.GetWithContext(nil)
		if err != nil || time.Until(v.Expiration) > time.Hour+time.Minute {
			t.Errorf("credentials %v, expiry %v (minio-go asks for an hour)", err, v.Expiration)
		}
	})

	t.Run("RawRequest", func(t *testing.T) {
		// The certificate ends in two hours: a week's DurationSeconds is
		// cut to it.
		short := inter.Client(t, certstest.ClientCert{CommonName: "app-writer", NotAfter: time.Now().Add(2 * time.Hour).Truncate(time.Second), Chain: []*certstest.CA{inter}})
		resp, err := certLogin(ep, root, &short, url.Values{"DurationSeconds": {"604800"}})
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
		}
		var out certificateResponse
		if err := xml.Unmarshal(resp.Body, &out); err != nil {
			t.Fatalf("%v: %s", err, resp.Body)
		}
		if out.Result.AssumedRoleUser.Arn != "arn:aws:sts::000000000000:assumed-role/certificate/app-writer" {
			t.Errorf("Arn %q", out.Result.AssumedRoleUser.Arn)
		}
		if exp, err := time.Parse(time.RFC3339, out.Result.Credentials.Expiration); err != nil || !exp.Equal(short.Leaf.NotAfter.UTC()) {
			t.Errorf("Expiration %q, want the certificate's NotAfter %v", out.Result.Credentials.Expiration, short.Leaf.NotAfter.UTC())
		}
		sess := ep
		sess.AccessKey, sess.SecretKey = "", ""
		s := s3WithCreds(sess, staticCreds(out.Result.Credentials))
		sdkRoundTrip(t, s, bucket, "raw", []byte("raw"))
		_, err = s.ListBuckets(ctx, nil)
		expectError(t, err, "AccessDenied", http.StatusForbidden)
	})

	t.Run("HandshakeRefusals", func(t *testing.T) {
		other := certstest.NewCA(t, "Someone else's CA")
		for name, cert := range map[string]tls.Certificate{
			"expired":     inter.Client(t, certstest.ClientCert{CommonName: "app-writer", NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour), Chain: []*certstest.CA{inter}}),
			"unknown CA":  other.Client(t, certstest.ClientCert{CommonName: "app-writer"}),
			"server-auth": root.Client(t, certstest.ClientCert{CommonName: "app-writer", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}),
		} {
			resp, err := certLogin(ep, root, &cert, nil)
			if err == nil {
				t.Errorf("%s: the handshake succeeded: %d %s", name, resp.StatusCode, resp.Body)
				continue
			}
			if !strings.Contains(err.Error(), "certificate") {
				t.Errorf("%s: %v, want a TLS alert about the certificate", name, err)
			}
			t.Logf("%s: %v", name, err)
		}
	})

	t.Run("STSRefusals", func(t *testing.T) {
		resp, err := certLogin(ep, root, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectSTSError(t, resp, http.StatusForbidden, "AccessDenied", "")
		nameless := root.Client(t, certstest.ClientCert{CommonName: "no-such-policy"})
		resp, err = certLogin(ep, root, &nameless, nil)
		if err != nil {
			t.Fatal(err)
		}
		if msg := expectSTSError(t, resp, http.StatusForbidden, "AccessDenied", ""); !strings.Contains(msg, "no-such-policy") {
			t.Errorf("message %q does not name the CN", msg)
		}
		resp, err = certLogin(ep, root, &writer, url.Values{"DurationSeconds": {"60"}})
		if err != nil {
			t.Fatal(err)
		}
		expectSTSError(t, resp, http.StatusBadRequest, "ValidationError", "")
		// S3 needs no client certificate.
		if _, err := sdkClient(ep).ListBuckets(ctx, nil); err != nil {
			t.Errorf("S3 without a client certificate: %v", err)
		}
		// Off by default.
		plain := startServer(t, nil)
		req, _ := http.NewRequest(http.MethodPost, plain.URL+"/?Action=AssumeRoleWithCertificate&Version=2011-06-15", nil)
		expectSTSError(t, plain.do(t, req), http.StatusForbidden, "AccessDenied", "")
	})

	t.Run("SkipVerify", func(t *testing.T) {
		// For labs: a self-signed certificate of anyone names any policy.
		labCA := certstest.NewCA(t, "lab")
		lab := startTLSIdentityServer(t, labCA, &config.IdentityTLS{SkipVerify: true})
		self := certstest.NewCA(t, "anyone").Client(t, certstest.ClientCert{CommonName: "readonly"})
		resp, err := certLogin(lab, labCA, &self, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("an unverified certificate in skip-verify mode: %d %s, want 200", resp.StatusCode, resp.Body)
		}
	})
}
