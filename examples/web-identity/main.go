// Command web-identity is the example of MinIO's STS documentation
// (sts-example.go), for Sesame: it trades an OpenID Connect token for
// temporary credentials with AssumeRoleWithWebIdentity, prints them, and
// lists the buckets they can see.
//
//	go run ./examples/web-identity -ep http://localhost:9000 -t TOKEN
//
// -t - reads the token from standard input; -role-arn names an IAM role
// (AWS's path; by default MinIO's claim-based path).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	ep := flag.String("ep", "http://localhost:9000", "Sesame's endpoint")
	token := flag.String("t", "", "the OpenID Connect token (an ID token or a JWT access token); - reads it from standard input")
	roleARN := flag.String("role-arn", "", "ARN of an IAM role to assume (optional)")
	flag.Parse()
	if *token == "-" {
		line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		*token = strings.TrimSpace(line)
	}
	if *token == "" {
		fmt.Fprintln(os.Stderr, "usage: web-identity -ep URL -t TOKEN [-role-arn ARN]")
		os.Exit(2)
	}
	if err := run(*ep, *token, *roleARN); err != nil {
		fmt.Fprintln(os.Stderr, "web-identity:", err)
		os.Exit(1)
	}
}

func run(ep, token, roleARN string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	creds, err := credentials.NewSTSWebIdentity(ep, func() (*credentials.WebIdentityToken, error) {
		// Expiry 0: the credentials last as long as the token.
		return &credentials.WebIdentityToken{Token: token}, nil
	}, func(i *credentials.STSWebIdentity) {
		if roleARN != "" {
			i.RoleARN = roleARN // minio-go names the session
		}
	})
	if err != nil {
		return err
	}
	v, err := creds.GetWithContext(nil)
	if err != nil {
		return fmt.Errorf("AssumeRoleWithWebIdentity: %w", err)
	}
	out, _ := json.MarshalIndent(map[string]string{
		"accessKey": v.AccessKeyID, "secretKey": v.SecretAccessKey,
		"expiration": v.Expiration.Format(time.RFC3339), "sessionToken": v.SessionToken,
	}, "", "  ")
	fmt.Printf("##### Credentials\n%s\n", out)

	u, err := url.Parse(ep)
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
