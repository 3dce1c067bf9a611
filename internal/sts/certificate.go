package sts

import (
	"crypto/x509"
	"slices"
	"time"

	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
)

// CertificateOptions enable AssumeRoleWithCertificate
// (MINIO_IDENTITY_TLS_ENABLE=on). The server's TLS handshake asks clients
// for a certificate and, unless SkipVerify, verifies it against the client
// CAs (the certs directory's CAs/), chains through intermediates included,
// with client authentication as its extended key usage; a certificate
// that fails is refused by the handshake itself.
type CertificateOptions struct {
	// SkipVerify accepts any certificate the client presents
	// (MINIO_IDENTITY_TLS_SKIP_VERIFY=on): for labs only.
	SkipVerify bool
}

// certificateResult is <AssumeRoleWithCertificateResult>: MinIO answers
// Credentials, which minio-go reads; AssumedRoleUser names the session.
type certificateResult struct {
	Credentials     credentialsXML     `xml:"Credentials"`
	AssumedRoleUser assumedRoleUserXML `xml:"AssumedRoleUser"`
}

// assumeRoleWithCertificate trades the client certificate of the TLS
// connection for temporary credentials, as MinIO does: the policy named
// like the certificate's subject common name, looked up live, ∩ Policy.
// The credentials never outlive the certificate. The request is unsigned:
// the certificate's key, proven in the handshake, authenticates it.
func (a *API) assumeRoleWithCertificate(req *request) (any, error) {
	v := req.Validate()
	opts := iam.AssumeRoleOptions{Duration: a.defaultDuration}
	a.sessionParams(v, &opts)
	// The session is named by the certificate, never by the caller.
	opts.RoleSessionName = ""
	if err := check(v, opts); err != nil {
		return nil, err
	}
	leaf, err := a.clientCertificate(req)
	if err != nil {
		return nil, err
	}
	req.Audit.Provider, req.Audit.Subject = iam.CertificateRole, leaf.Subject.String()
	// The handshake proved the caller holds the certificate's key.
	req.Authenticated()
	creds, user, err := a.svc.AssumeRoleWithCertificate(req.Context(), iam.CertificateIdentity{CommonName: leaf.Subject.CommonName, NotAfter: leaf.NotAfter}, opts)
	if err != nil {
		return nil, err
	}
	req.Audit.AssumedRole, req.Audit.AccessKey, req.Audit.Expiration = user.Arn, creds.AccessKeyID, creds.Expiration
	return certificateResult{
		Credentials: credentialsXML{
			AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
			SessionToken: creds.SessionToken, Expiration: isoTime(creds.Expiration),
		},
		AssumedRoleUser: assumedRoleUserXML{Arn: user.Arn, AssumedRoleID: user.AssumedRoleID},
	}, nil
}

// clientCertificate returns the leaf certificate the client presented on
// this TLS connection, after the checks the handshake made (or, with
// SkipVerify, none), and checks again that it is valid now: a keep-alive
// connection may outlive its certificate.
func (a *API) clientCertificate(req *request) (*x509.Certificate, error) {
	if a.certs == nil {
		return nil, awsquery.ErrAccessDenied.WithMessage("AssumeRoleWithCertificate is not enabled on this server (MINIO_IDENTITY_TLS_ENABLE=on).")
	}
	state := req.TLS
	if state == nil {
		return nil, awsquery.ErrAccessDenied.WithMessage("AssumeRoleWithCertificate needs HTTPS with a client certificate; this request came over plain HTTP.")
	}
	if len(state.PeerCertificates) == 0 {
		return nil, awsquery.ErrAccessDenied.WithMessage("No client certificate was presented: AssumeRoleWithCertificate needs one whose subject common name (CN) names a policy.")
	}
	leaf := state.PeerCertificates[0]
	if a.certs.SkipVerify {
		return leaf, nil
	}
	// The handshake verified the chain (tls.VerifyClientCertIfGiven with
	// the client CAs); a connection without verified chains was not
	// verified, whatever the reason: refuse.
	if len(state.VerifiedChains) == 0 {
		return nil, awsquery.ErrAccessDenied.WithMessage("The client certificate was not verified against this server's client CAs.")
	}
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageAny) {
		return nil, awsquery.ErrAccessDenied.WithMessage("The client certificate does not allow client authentication (its extended key usage).")
	}
	now := a.now()
	if now.After(leaf.NotAfter) {
		return nil, awsquery.ErrAccessDenied.WithMessage("The client certificate expired at %s.", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return nil, awsquery.ErrAccessDenied.WithMessage("The client certificate is not valid before %s.", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return leaf, nil
}
