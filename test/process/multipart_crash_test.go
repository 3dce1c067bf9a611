package process

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// s3Call sends a request signed by root, with the body's SHA-256 or, when
// unsigned, UNSIGNED-PAYLOAD, and returns the status, headers and body. It
// reports failures as errors, so it may run outside the test goroutine.
func s3Call(method, url string, body []byte, unsigned bool) (int, http.Header, []byte, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	hash := "UNSIGNED-PAYLOAD"
	if !unsigned {
		sum := sha256.Sum256(body)
		hash = hex.EncodeToString(sum[:])
	}
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "s3", "us-east-1", time.Now()); err != nil {
		return 0, nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data, err
}

// mpuClient drives multipart uploads of one object against a node.
type mpuClient struct {
	t      *testing.T
	n      *node
	bucket string
	key    string
}

func (c *mpuClient) url(query string) string {
	return c.n.endpoint + "/" + c.bucket + "/" + c.key + query
}

func (c *mpuClient) create() string {
	c.t.Helper()
	code, _, body, err := s3Call(http.MethodPost, c.url("?uploads"), nil, false)
	var res struct {
		UploadID string `xml:"UploadId"`
	}
	if err != nil || code != 200 || xml.Unmarshal(body, &res) != nil || res.UploadID == "" {
		c.t.Fatalf("CreateMultipartUpload: %d %v %s", code, err, body)
	}
	return res.UploadID
}

func (c *mpuClient) putPart(id string, n int, data []byte) string {
	c.t.Helper()
	code, h, body, err := s3Call(http.MethodPut, c.url(fmt.Sprintf("?partNumber=%d&uploadId=%s", n, id)), data, true)
	if err != nil || code != 200 {
		c.t.Fatalf("UploadPart(%d): %d %v %s", n, code, err, body)
	}
	return strings.Trim(h.Get("ETag"), `"`)
}

// completeBody is the CompleteMultipartUpload document for the parts.
func completeBody(parts map[int]string, numbers []int) []byte {
	var b strings.Builder
	b.WriteString("<CompleteMultipartUpload>")
	for _, n := range numbers {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>", n, parts[n])
	}
	b.WriteString("</CompleteMultipartUpload>")
	return []byte(b.String())
}

// complete sends CompleteMultipartUpload and returns the status and body.
func (c *mpuClient) complete(id string, parts map[int]string, numbers []int) (int, []byte, error) {
	code, _, body, err := s3Call(http.MethodPost, c.url("?uploadId="+id), completeBody(parts, numbers), false)
	return code, body, err
}

// listParts returns the upload's parts (number to ETag), or nil with the
// status when the upload is not there.
func (c *mpuClient) listParts(id string) (map[int]string, int) {
	c.t.Helper()
	code, _, body, err := s3Call(http.MethodGet, c.url("?uploadId="+id), nil, false)
	if err != nil {
		c.t.Fatalf("ListParts: %v", err)
	}
	if code != 200 {
		return nil, code
	}
	var res struct {
		Parts []struct {
			PartNumber int
			ETag       string
		} `xml:"Part"`
	}
	if err := xml.Unmarshal(body, &res); err != nil {
		c.t.Fatalf("ListParts: %v in %s", err, body)
	}
	parts := map[int]string{}
	for _, p := range res.Parts {
		parts[p.PartNumber] = strings.Trim(p.ETag, `"`)
	}
	return parts, code
}

// object returns the key's body and ETag, or nil with the status.
func (c *mpuClient) object() ([]byte, string, int) {
	c.t.Helper()
	code, h, body, err := s3Call(http.MethodGet, c.url(""), nil, false)
	if err != nil {
		c.t.Fatalf("GetObject: %v", err)
	}
	if code != 200 {
		return nil, "", code
	}
	return body, strings.Trim(h.Get("ETag"), `"`), code
}

// multipartETag is S3's ETag of an object made of parts with these MD5s.
func multipartETag(etags []string) string {
	var sums []byte
	for _, e := range etags {
		b, _ := hex.DecodeString(e)
		sums = append(sums, b...)
	}
	sum := md5.Sum(sums)
	return fmt.Sprintf("%x-%d", sum, len(etags))
}

// mpuParts makes count parts of size bytes, distinct per seed.
func mpuParts(count, size int, seed byte) [][]byte {
	parts := make([][]byte, count)
	for i := range parts {
		parts[i] = bytes.Repeat([]byte{seed, byte(i), 'p', 'a', 'r', 't', ' ', byte('0' + i%10)}, size/8)
	}
	return parts
}

// checkSysFolder fails unless the temp folder is empty and every entry of
// the bucket's uploads folder is an upload the server lists, holding only
// the files of an upload.
func checkSysFolder(t *testing.T, dir string, c *mpuClient) {
	t.Helper()
	if entries, err := os.ReadDir(filepath.Join(dir, ".sesame.sys", "tmp")); err != nil || len(entries) != 0 {
		t.Fatalf("temp folder after restart = %v, %v; want it empty", entries, err)
	}
	code, _, body, err := s3Call(http.MethodGet, c.n.endpoint+"/"+c.bucket+"?uploads", nil, false)
	if err != nil || code != 200 {
		t.Fatalf("ListMultipartUploads: %d %v", code, err)
	}
	uploads, _ := os.ReadDir(filepath.Join(dir, ".sesame.sys", "multipart", c.bucket))
	for _, u := range uploads {
		if !bytes.Contains(body, []byte("<UploadId>"+u.Name()+"</UploadId>")) {
			t.Errorf("uploads folder holds %q, which the server does not list", u.Name())
		}
		files, _ := os.ReadDir(filepath.Join(dir, ".sesame.sys", "multipart", c.bucket, u.Name()))
		for _, f := range files {
			name := strings.TrimSuffix(f.Name(), ".json")
			if !slices.Contains([]string{"upload", "layout", "data"}, name) && strings.Trim(name, "0123456789") != "" {
				t.Errorf("upload %s holds a stray file %q", u.Name(), f.Name())
			}
		}
	}
}

// TestServer_KillDuringUploadPart kills the server while two parts are
// half written: a new part going into its place in the upload's data file
// and a retry of a stored part. After a restart the stored parts are
// intact, the half-written ones absent, nothing is left in the temp
// folder, and the upload completes into the whole object.
func TestServer_KillDuringUploadPart(t *testing.T) {
	dir := t.TempDir()
	n := start(t, dir)
	c := &mpuClient{t: t, n: n, bucket: "mpu", key: "big"}
	if code, body := do(t, http.MethodPut, n.endpoint+"/mpu", nil); code != 200 {
		t.Fatalf("create bucket: %d %s", code, body)
	}
	const size = 8 << 20
	data := mpuParts(3, size, 1)
	id := c.create()
	etags := map[int]string{1: c.putPart(id, 1, data[0]), 2: c.putPart(id, 2, data[1])}

	writers := []*io.PipeWriter{
		startSlowPut(t, c.url(fmt.Sprintf("?partNumber=3&uploadId=%s", id)), size),
		startSlowPut(t, c.url(fmt.Sprintf("?partNumber=1&uploadId=%s", id)), size),
	}
	chunk := bytes.Repeat([]byte("R"), 1<<20)
	for _, w := range writers {
		for range 4 {
			if _, err := w.Write(chunk); err != nil {
				t.Fatalf("feeding part body: %v", err)
			}
		}
	}
	// Part 3 lands in the data file, the retry of part 1 in the temp folder.
	dataFile := filepath.Join(dir, ".sesame.sys", "multipart", "mpu", id, "data")
	deadline := time.Now().Add(20 * time.Second)
	for {
		fi, err := os.Stat(dataFile)
		if err == nil && fi.Size() >= 2*size+2<<20 && tmpBytes(dir) >= 2<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the parts did not reach the disk (data file %v, %v; temp folder %d bytes)", fi, err, tmpBytes(dir))
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.kill()
	for _, w := range writers {
		w.CloseWithError(errors.New("server killed"))
	}

	c.n = start(t, dir)
	checkSysFolder(t, dir, c)
	parts, code := c.listParts(id)
	if code != 200 || len(parts) != 2 || parts[1] != etags[1] || parts[2] != etags[2] {
		t.Fatalf("parts after the crash = %v (%d), want %v", parts, code, etags)
	}
	data[2] = data[2][:1<<20] // a short last part
	etags[3] = c.putPart(id, 3, data[2])
	code, body, err := c.complete(id, etags, []int{1, 2, 3})
	if err != nil || code != 200 {
		t.Fatalf("CompleteMultipartUpload: %d %v %s", code, err, body)
	}
	got, etag, _ := c.object()
	if !bytes.Equal(got, bytes.Join(data, nil)) || etag != multipartETag([]string{etags[1], etags[2], etags[3]}) {
		t.Fatalf("object: %d bytes, ETag %s; want %d bytes", len(got), etag, len(bytes.Join(data, nil)))
	}
	checkSysFolder(t, dir, c)
	if entries, _ := os.ReadDir(filepath.Join(dir, ".sesame.sys", "multipart", "mpu")); len(entries) != 0 {
		t.Errorf("uploads left after completion: %v", entries)
	}
}

// TestServer_KillDuringCompleteMultipartUpload kills the server during
// completions of a 256 MiB upload: one that must copy (a part left out),
// killed once the copy is under way, and then ones that assemble in place,
// killed after increasing delays until one has committed. After every
// restart the key holds the old object or the whole new one, the temp
// folder is empty, an upload that did not commit is intact, and one that
// did is gone or completes again.
func TestServer_KillDuringCompleteMultipartUpload(t *testing.T) {
	dir := t.TempDir()
	n := start(t, dir)
	c := &mpuClient{t: t, n: n, bucket: "mpu", key: "big"}
	if code, body := do(t, http.MethodPut, n.endpoint+"/mpu", nil); code != 200 {
		t.Fatalf("create bucket: %d %s", code, body)
	}
	old := bytes.Repeat([]byte("old version "), 100_000)
	if code, body := do(t, http.MethodPut, c.url(""), old); code != 200 {
		t.Fatalf("put old version: %d %s", code, body)
	}

	const count, size = 32, 8 << 20
	data := mpuParts(count, size, 2)
	id := c.create()
	etags := map[int]string{}
	var all []int
	for i, d := range data {
		etags[i+1] = c.putPart(id, i+1, d)
		all = append(all, i+1)
	}
	whole := bytes.Join(data, nil)
	var list []string
	for _, n := range all {
		list = append(list, etags[n])
	}
	wantETag := multipartETag(list)

	// completeAsync starts a completion whose result does not matter: the
	// server is killed under it.
	completeAsync := func(numbers []int) {
		go func() { _, _, _ = c.complete(id, etags, numbers) }()
	}
	restart := func() {
		c.n.kill()
		c.n = start(t, dir)
		checkSysFolder(t, dir, c)
	}
	wantOld := func(when string) {
		t.Helper()
		got, _, code := c.object()
		if code != 200 || !bytes.Equal(got, old) {
			t.Fatalf("%s: object is %d bytes (status %d), want the old %d bytes", when, len(got), code, len(old))
		}
		if parts, code := c.listParts(id); code != 200 || len(parts) != count {
			t.Fatalf("%s: upload has %d parts (status %d), want %d", when, len(parts), code, count)
		}
	}

	// A gap makes the completion copy; kill it with 32 MiB copied.
	gap := slices.Delete(slices.Clone(all), 15, 16)
	completeAsync(gap)
	deadline := time.Now().Add(30 * time.Second)
	for tmpBytes(dir) < 32<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the copying completion wrote only %d bytes", tmpBytes(dir))
		}
		time.Sleep(5 * time.Millisecond)
	}
	restart()
	wantOld("after a kill during a copying completion")

	// In place: kill after 0, 1, 2, 4, ... ms until a completion commits.
	committed := false
	for delay := time.Duration(0); delay < 2*time.Second && !committed; delay = max(2*delay, time.Millisecond) {
		completeAsync(all)
		time.Sleep(delay)
		restart()
		got, etag, code := c.object()
		switch {
		case code == 200 && bytes.Equal(got, old):
			wantOld(fmt.Sprintf("after a kill %v into a completion", delay))
		case code == 200 && bytes.Equal(got, whole):
			committed = true
			// Committed; its meta file (and so the multipart ETag) may be
			// missing, and the upload may remain: completing it again must
			// work and leave the same object.
			if sum := md5.Sum(whole); etag != wantETag && etag != hex.EncodeToString(sum[:]) {
				t.Fatalf("object committed with ETag %s, want %s (or its MD5 without a meta file)", etag, wantETag)
			}
			_, code := c.listParts(id)
			t.Logf("a kill %v into a completion left the new object (ETag %s) and the upload %s", delay, etag, map[bool]string{true: "still there", false: "gone"}[code == 200])
			if code == 200 {
				if code, body, err := c.complete(id, etags, all); err != nil || code != 200 {
					t.Fatalf("completing again after the crash: %d %v %s", code, err, body)
				}
				if got, _, _ := c.object(); !bytes.Equal(got, whole) {
					t.Fatalf("object after completing again: %d bytes, want %d", len(got), len(whole))
				}
			}
		default:
			t.Fatalf("after a kill %v into a completion: status %d, %d bytes; want the old %d or the new %d bytes", delay, code, len(got), len(old), len(whole))
		}
	}
	if !committed {
		// The window was never hit; the upload is intact: complete it.
		if code, body, err := c.complete(id, etags, all); err != nil || code != 200 {
			t.Fatalf("CompleteMultipartUpload: %d %v %s", code, err, body)
		}
	}
	if got, _, _ := c.object(); !bytes.Equal(got, whole) {
		t.Fatalf("final object: %d bytes, want %d", len(got), len(whole))
	}
	checkSysFolder(t, dir, c)
	if entries, _ := os.ReadDir(filepath.Join(dir, ".sesame.sys", "multipart", "mpu")); len(entries) != 0 {
		t.Errorf("uploads left after completion: %v", entries)
	}
}
