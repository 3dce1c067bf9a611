package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// largeWork is large-put or large-get: one operation transfers the whole
// object through the SDK's transfer manager, -threads parts of -part-size
// at a time.
type largeWork struct {
	put  bool
	key  string
	data []byte
	up   *manager.Uploader
	down *manager.Downloader
	buf  []byte // large-get's destination, reused
}

func newLargeWork(ctx context.Context, o *options, tg *target, creds aws.Credentials, data []byte) (*largeWork, error) {
	c := s3Client(tg, creds, 1)
	w := &largeWork{
		put:  o.mode == modeLargePut,
		data: data,
		up: manager.NewUploader(c, func(u *manager.Uploader) {
			u.PartSize, u.Concurrency = o.partSize, o.threads
		}),
		down: manager.NewDownloader(c, func(d *manager.Downloader) {
			d.PartSize, d.Concurrency = o.partSize, o.threads
		}),
	}
	// large-put overwrites one key, so that runs do not fill the disk.
	w.key = "large-put-" + strconv.FormatInt(o.size, 10)
	if !w.put {
		w.key = "large-get-" + strconv.FormatInt(o.size, 10)
		w.buf = make([]byte, o.size)
		if err := w.upload(ctx); err != nil {
			return nil, fmt.Errorf("%s: uploading the object to get: %w", tg.label(), err)
		}
	}
	return w, nil
}

func (w *largeWork) upload(ctx context.Context) error {
	_, err := w.up.Upload(ctx, &s3.PutObjectInput{
		Bucket: aws.String(benchBucket), Key: aws.String(w.key), Body: bytes.NewReader(w.data),
	})
	return err
}

func (w *largeWork) do(ctx context.Context) (int64, error) {
	if w.put {
		if err := w.upload(ctx); err != nil {
			return 0, err
		}
		return int64(len(w.data)), nil
	}
	n, err := w.down.Download(ctx, manager.NewWriteAtBuffer(w.buf), &s3.GetObjectInput{
		Bucket: aws.String(benchBucket), Key: aws.String(w.key),
	})
	if err == nil && n != int64(len(w.buf)) {
		err = fmt.Errorf("downloaded %d bytes, want %d", n, len(w.buf))
	}
	return n, err
}
