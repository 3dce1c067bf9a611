// Command client-grants is the example of MinIO's AssumeRoleWithClientGrants
// documentation, for Sesame: it gets an access token from the identity
// provider with the client credentials grant, trades it for temporary
// credentials with AssumeRoleWithClientGrants, prints them, and lists the
// buckets they can see.
//
//	go run ./examples/client-grants -cid CLIENT_ID -csec CLIENT_SECRET \
//	    [-idp-ep URL] [-sts-ep http://localhost:9000]
//
// -idp-ep is the identity provider's token endpoint or its discovery
// document's URL (default: MINIO_IDENTITY_OPENID_CONFIG_URL).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	cid := flag.String("cid", "", "client id at the identity provider")
	csec := flag.String("csec", "", "client secret")
	idpEP := flag.String("idp-ep", os.Getenv("MINIO_IDENTITY_OPENID_CONFIG_URL"), "identity provider's token endpoint, or its discovery URL (default $MINIO_IDENTITY_OPENID_CONFIG_URL)")
	stsEP := flag.String("sts-ep", "http://localhost:9000", "Sesame's endpoint")
	flag.Parse()
	if *cid == "" || *csec == "" || *idpEP == "" {
		fmt.Fprintln(os.Stderr, "usage: client-grants -cid CLIENT_ID -csec CLIENT_SECRET [-idp-ep URL] [-sts-ep URL]")
		os.Exit(2)
	}
	if err := run(*cid, *csec, *idpEP, *stsEP); err != nil {
		fmt.Fprintln(os.Stderr, "client-grants:", err)
		os.Exit(1)
	}
}

func run(cid, csec, idpEP, stsEP string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tokenURL, err := tokenEndpoint(ctx, idpEP)
	if err != nil {
		return err
	}
	// minio-go calls this whenever it needs (new) credentials.
	creds, err := credentials.NewSTSClientGrants(stsEP, func() (*credentials.ClientGrantsToken, error) {
		return clientCredentials(ctx, tokenURL, cid, csec)
	})
	if err != nil {
		return err
	}
	v, err := creds.GetWithContext(nil)
	if err != nil {
		return fmt.Errorf("AssumeRoleWithClientGrants: %w", err)
	}
	out, _ := json.MarshalIndent(map[string]string{
		"accessKey": v.AccessKeyID, "secretKey": v.SecretAccessKey,
		"expiration": v.Expiration.Format(time.RFC3339), "sessionToken": v.SessionToken,
	}, "", "  ")
	fmt.Printf("##### Credentials\n%s\n", out)
	return listBuckets(ctx, stsEP, creds)
}

// tokenEndpoint is idpEP itself, or the token_endpoint its discovery
// document names.
func tokenEndpoint(ctx context.Context, idpEP string) (string, error) {
	if !strings.HasSuffix(strings.TrimRight(idpEP, "/"), "/.well-known/openid-configuration") {
		return idpEP, nil
	}
	body, err := get(ctx, idpEP)
	if err != nil {
		return "", fmt.Errorf("discovery: %w", err)
	}
	var doc struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || doc.TokenEndpoint == "" {
		return "", errors.New("discovery: the document names no token_endpoint")
	}
	return doc.TokenEndpoint, nil
}

// clientCredentials runs the client credentials grant (RFC 6749 §4.4).
func clientCredentials(ctx context.Context, tokenURL, cid, csec string) (*credentials.ClientGrantsToken, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(cid), url.QueryEscape(csec))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("token endpoint: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return nil, errors.New("token endpoint: no access_token in the answer")
	}
	if tok.ExpiresIn <= 0 {
		tok.ExpiresIn = 3600
	}
	return &credentials.ClientGrantsToken{Token: tok.AccessToken, Expiry: tok.ExpiresIn}, nil
}

func get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %d", u, resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

// listBuckets lists, with the temporary credentials, the buckets they can
// see.
func listBuckets(ctx context.Context, endpoint string, creds *credentials.Credentials) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return err
	}
	c, err := minio.New(u.Host, &minio.Options{Creds: creds, Secure: u.Scheme == "https"})
	if err != nil {
		return err
	}
	buckets, err := c.ListBuckets(ctx)
	if err != nil {
		return fmt.Errorf("ListBuckets: %w", err)
	}
	fmt.Println("##### Buckets")
	for _, b := range buckets {
		fmt.Println(b.Name)
	}
	return nil
}
