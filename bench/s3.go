package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// s3Client is an aws-sdk-go-v2 client for tg with path-style addressing
// and the SDK's default checksums; attempts is its retry budget (1: no
// retries, so that every failure is counted).
func s3Client(tg *target, creds aws.Credentials, attempts int) *s3.Client {
	cfg := aws.Config{
		Region:      tg.region,
		Credentials: credentials.StaticCredentialsProvider{Value: creds},
		HTTPClient:  tg.client,
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(tg.url)
		o.UsePathStyle = true
		o.RetryMaxAttempts = attempts
	})
}

// createBucket creates the bench bucket unless it exists already.
func createBucket(ctx context.Context, tg *target, creds aws.Credentials) error {
	_, err := s3Client(tg, creds, 3).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(benchBucket)})
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "BucketAlreadyOwnedByYou" || ae.ErrorCode() == "BucketAlreadyExists") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("creating bucket %s: %w", benchBucket, err)
	}
	return nil
}

// putObject stores data in the bench bucket.
func putObject(ctx context.Context, tg *target, creds aws.Credentials, key string, data []byte) error {
	_, err := s3Client(tg, creds, 3).PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(benchBucket), Key: aws.String(key), Body: bytes.NewReader(data),
	})
	return err
}
