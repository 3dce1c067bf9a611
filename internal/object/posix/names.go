package posix

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"github.com/sesame-s3/sesame/internal/object"
)

// maxSegment is the longest file name most file systems accept (NAME_MAX).
const maxSegment = 255

// validBucketName reports whether name is a bucket name this backend stores
// and lists: 3 to 63 bytes of lower-case letters, digits, '.' and '-',
// starting and ending with a letter or digit, without "..". Such a name can
// never be the system folder (it starts with a dot) nor escape the root.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 || strings.Contains(name, "..") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || i == len(name)-1 || c != '.' && c != '-') {
			return false
		}
	}
	return true
}

func checkBucketName(name string) error {
	if !validBucketName(name) {
		return fmt.Errorf("posix: bucket %q: %w", name, object.ErrInvalidBucketName)
	}
	return nil
}

// checkKey rejects keys that cannot map safely to a path: see doc.go.
func checkKey(key string) error {
	if len(key) > object.MaxKeyLength {
		return fmt.Errorf("posix: key of %d bytes: %w", len(key), object.ErrKeyTooLong)
	}
	body := strings.TrimSuffix(key, "/")
	if body == "" || body[0] == '/' || strings.IndexByte(key, 0) >= 0 {
		return fmt.Errorf("posix: key %q: %w", key, object.ErrInvalidKey)
	}
	for seg := range strings.SplitSeq(body, "/") {
		if seg == "" || seg == "." || seg == ".." || len(seg) > maxSegment {
			return fmt.Errorf("posix: key %q: %w", key, object.ErrInvalidKey)
		}
	}
	return nil
}

// isMarkerKey reports whether key names a folder marker (ends in "/").
func isMarkerKey(key string) bool { return strings.HasSuffix(key, "/") }

// dataRel is the path of key's file (or, for a folder marker, directory)
// relative to the bucket directory.
func dataRel(key string) string {
	return filepath.FromSlash(strings.TrimSuffix(key, "/"))
}

// Meta tree names. A data directory "d" maps to the meta directory "d.d", a
// data file "f" to the meta file "f.json", and a folder marker to the file
// ".json" inside its meta directory. Names that would exceed maxSegment are
// replaced by the hex SHA-256 of the segment with the suffix ".hd"
// (directory) or ".hj" (file). No two of the five forms can be equal: file
// names end in ".json" or ".hj", directory names in ".d" or ".hd", and
// ".json" alone needs an empty segment, which keys cannot have.
const (
	metaDirSuffix      = ".d"
	metaFileSuffix     = ".json"
	metaHashDirSuffix  = ".hd"
	metaHashFileSuffix = ".hj"
	markerMetaName     = ".json"
)

func metaSegment(seg string, dir bool) string {
	suffix, hashSuffix := metaFileSuffix, metaHashFileSuffix
	if dir {
		suffix, hashSuffix = metaDirSuffix, metaHashDirSuffix
	}
	if len(seg)+len(suffix) <= maxSegment {
		return seg + suffix
	}
	sum := sha256.Sum256([]byte(seg))
	return hex.EncodeToString(sum[:]) + hashSuffix
}

// metaRel is the path of key's meta file relative to the bucket's meta
// directory.
func metaRel(key string) string {
	segs := strings.Split(strings.TrimSuffix(key, "/"), "/")
	out := make([]string, 0, len(segs)+1)
	for i, s := range segs {
		last := i == len(segs)-1
		out = append(out, metaSegment(s, !last || isMarkerKey(key)))
	}
	if isMarkerKey(key) {
		out = append(out, markerMetaName)
	}
	return filepath.Join(out...)
}

// metaDirRel is the meta directory of the data directory dir (a slash path
// relative to the bucket, without trailing slash).
func metaDirRel(dir string) string {
	segs := strings.Split(dir, "/")
	for i, s := range segs {
		segs[i] = metaSegment(s, true)
	}
	return filepath.Join(segs...)
}

// parentDir returns the slash-separated parent of key's path, "" at the top.
func parentDir(key string) string {
	d := path.Dir(strings.TrimSuffix(key, "/"))
	if d == "." {
		return ""
	}
	return d
}

// validUploadID reports whether id has the shape of an ID from newUploadID,
// so it is safe as a path segment.
func validUploadID(id string) bool {
	if len(id) != uploadIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
