package s3backend

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// localStore keeps the documents Sesame enforces itself — bucket policies
// and bucket configuration documents — in the state directory, so that
// every upstream works, whatever it supports:
//
//	<dir>/buckets/<bucket>/policy.json
//	<dir>/buckets/<bucket>/config/<name>
//	<dir>/buckets/<bucket>/uploads/<sha256 of the upload ID>.json
//	<dir>/buckets/<bucket>/uploads/<sha256 of the upload ID>.parts/<n>.json
//	<dir>/buckets/<bucket>/objects/<sha256 of the key>.json
//
// Each file is written to a temporary name and renamed, so a reader sees
// the old document or the new one. Bucket names are S3's (no "/", no
// ".."), checked by the caller before any path is built.
type localStore struct {
	dir string
}

func openLocalStore(dir string) (*localStore, error) {
	dir = filepath.Join(dir, "buckets")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("s3 backend: state directory: %w", err)
	}
	return &localStore{dir: dir}, nil
}

func (s *localStore) path(bucket string, elem ...string) string {
	return filepath.Join(append([]string{s.dir, bucket}, elem...)...)
}

// put writes one document atomically.
func (s *localStore) put(bucket string, doc []byte, elem ...string) error {
	p := s.path(bucket, elem...)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(doc); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

// get reads one document; a missing one is fs.ErrNotExist.
func (s *localStore) get(bucket string, elem ...string) ([]byte, error) {
	return os.ReadFile(s.path(bucket, elem...))
}

// remove deletes one document; a missing one is no error.
func (s *localStore) remove(bucket string, elem ...string) error {
	err := os.Remove(s.path(bucket, elem...))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// drop removes every document of bucket.
func (s *localStore) drop(bucket string) error {
	return os.RemoveAll(s.path(bucket))
}

// uploadRecord is what the state directory keeps of an upstream multipart
// upload, which S3's ListParts does not report: its metadata and start.
// It is the file's own format, not object.Metadata's JSON.
type uploadRecord struct {
	ContentType        string            `json:"ct,omitempty"`
	ContentEncoding    string            `json:"ce,omitempty"`
	ContentDisposition string            `json:"cd,omitempty"`
	ContentLanguage    string            `json:"cl,omitempty"`
	CacheControl       string            `json:"cc,omitempty"`
	Expires            string            `json:"ex,omitempty"`
	User               map[string]string `json:"user,omitempty"`
	Initiated          time.Time         `json:"initiated"`
	Key                string            `json:"key"`
	UploadID           string            `json:"uploadId"`
	// Checksum is the algorithm and type asked for, Tags the tags the
	// object will have.
	Checksum object.Checksum `json:"checksum,omitzero"`
	Tags     []object.Tag    `json:"tags,omitempty"`
	// Encryption is how the S3 layer encrypts the object's parts (SSE).
	Encryption *object.Encryption `json:"encryption,omitempty"`
}

func recordOf(key, uploadID string, md object.Metadata, initiated time.Time) uploadRecord {
	return uploadRecord{md.ContentType, md.ContentEncoding, md.ContentDisposition, md.ContentLanguage, md.CacheControl, md.Expires, md.User,
		initiated, key, uploadID, md.Checksum, md.Tags, md.Encryption}
}

func (r uploadRecord) metadata() object.Metadata {
	return object.Metadata{ContentType: r.ContentType, ContentEncoding: r.ContentEncoding, ContentDisposition: r.ContentDisposition,
		ContentLanguage: r.ContentLanguage, CacheControl: r.CacheControl, Expires: r.Expires, User: r.User,
		Checksum: r.Checksum, Tags: r.Tags, Encryption: r.Encryption}
}

// uploadFile names an upload's record by a digest: upload IDs are the
// upstream's and may hold any character.
func (s *localStore) uploadFile(bucket, uploadID string) (string, string) {
	sum := sha256.Sum256([]byte(uploadID))
	return bucket, filepath.Join("uploads", hex.EncodeToString(sum[:])+".json")
}

func (s *localStore) putUpload(bucket, uploadID string, rec uploadRecord) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	bk, name := s.uploadFile(bucket, uploadID)
	return s.put(bk, data, name)
}

// getUpload returns the record, or a zero one when there is none (an
// upload started behind Sesame's back).
func (s *localStore) getUpload(bucket, uploadID string) uploadRecord {
	var rec uploadRecord
	bk, name := s.uploadFile(bucket, uploadID)
	if data, err := s.get(bk, name); err == nil {
		_ = json.Unmarshal(data, &rec)
	}
	return rec
}

func (s *localStore) dropUpload(bucket, uploadID string) error {
	bk, name := s.uploadFile(bucket, uploadID)
	if err := os.RemoveAll(s.path(bk, strings.TrimSuffix(name, ".json")+".parts")); err != nil {
		return err
	}
	return s.remove(bk, name)
}

// partRecord is what the state directory keeps of an uploaded part that
// the upstream cannot report: its checksum. ETag is the upstream part's,
// so a part uploaded again behind Sesame's back is not given the old
// part's checksum.
type partRecord struct {
	ETag     string          `json:"etag"`
	Checksum object.Checksum `json:"checksum"`
}

func (s *localStore) partFile(bucket, uploadID string, n int) (string, string) {
	bk, name := s.uploadFile(bucket, uploadID)
	return bk, filepath.Join(strings.TrimSuffix(name, ".json")+".parts", strconv.Itoa(n)+".json")
}

// putPart records a part's checksum, or removes the record of an earlier
// upload of the part when it has none. Parts of one upload are written
// concurrently, so each has a file of its own.
func (s *localStore) putPart(bucket, uploadID string, n int, rec partRecord) error {
	bk, name := s.partFile(bucket, uploadID, n)
	if rec.Checksum.IsZero() {
		return s.remove(bk, name)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.put(bk, data, name)
}

// partChecksum returns the checksum recorded for part n if its ETag is
// etag, else the zero Checksum.
func (s *localStore) partChecksum(bucket, uploadID string, n int, etag string) object.Checksum {
	var rec partRecord
	bk, name := s.partFile(bucket, uploadID, n)
	if data, err := s.get(bk, name); err == nil && json.Unmarshal(data, &rec) == nil && rec.ETag == etag {
		return rec.Checksum
	}
	return object.Checksum{}
}

// objectRecord is what the state directory keeps of an object that the
// upstream cannot store or report: its additional checksum, its part
// layout and its tags. ETag and Size are the upstream object's when the
// record was written: a record that no longer matches the upstream
// object (overwritten or deleted behind Sesame's back) is ignored.
type objectRecord struct {
	Key      string              `json:"key"`
	ETag     string              `json:"etag"`
	Size     int64               `json:"size"`
	Checksum object.Checksum     `json:"checksum,omitzero"`
	Parts    []object.ObjectPart `json:"parts,omitempty"`
	Tags     []object.Tag        `json:"tags,omitempty"`
	// Encryption is the S3 layer's record of an encrypted object (SSE):
	// without it the stored bytes cannot be decrypted, so DIR must be
	// backed up with the upstream's data.
	Encryption *object.Encryption `json:"encryption,omitempty"`
	// UploadID names the multipart upload that made the object, so that
	// a retried completion can be answered with it.
	UploadID string `json:"uploadId,omitempty"`
}

func (r objectRecord) empty() bool {
	return r.Checksum.IsZero() && len(r.Parts) == 0 && len(r.Tags) == 0 && r.Encryption == nil
}

func (s *localStore) objectFile(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join("objects", hex.EncodeToString(sum[:])+".json")
}

// putObject writes key's record, or removes it when there is nothing to
// keep (an object written without checksum or tags replaces one with).
func (s *localStore) putObject(bucket string, rec objectRecord) error {
	if rec.empty() {
		return s.removeObject(bucket, rec.Key)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.put(bucket, data, s.objectFile(rec.Key))
}

// getObject returns key's record if it describes the upstream object of
// that ETag and size.
func (s *localStore) getObject(bucket, key, etag string, size int64) (objectRecord, bool) {
	var rec objectRecord
	data, err := s.get(bucket, s.objectFile(key))
	if err != nil || json.Unmarshal(data, &rec) != nil || rec.Key != key || rec.ETag != etag || rec.Size != size {
		return objectRecord{}, false
	}
	return rec, true
}

func (s *localStore) removeObject(bucket, key string) error {
	return s.remove(bucket, s.objectFile(key))
}

// uploads returns the records of bucket's uploads.
func (s *localStore) uploads(bucket string) []uploadRecord {
	entries, _ := os.ReadDir(s.path(bucket, "uploads"))
	var out []uploadRecord
	for _, e := range entries {
		data, err := os.ReadFile(s.path(bucket, "uploads", e.Name()))
		var rec uploadRecord
		if err == nil && json.Unmarshal(data, &rec) == nil && rec.UploadID != "" {
			out = append(out, rec)
		}
	}
	return out
}
