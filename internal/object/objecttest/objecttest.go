package objecttest

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

// Run runs the conformance suite. Every subtest calls newBackend for a fresh,
// empty backend, which newBackend cleans up with t.Cleanup. Subtests run in
// parallel (t.Parallel), so backends made by newBackend must not share state.
func Run(t *testing.T, newBackend func(t *testing.T) object.Backend) {
	t.Helper()
	RunWith(t, newBackend, Options{})
}

// Options tune RunWith.
type Options struct {
	// Skip names subtests (as "Key/Conflicts") the backend cannot pass,
	// each with the reason, which the skip reports. Keep it for what is
	// truly out of a backend's reach, such as a rule its storage does
	// not enforce.
	Skip map[string]string
}

// RunWith is Run with options.
func RunWith(t *testing.T, newBackend func(t *testing.T) object.Backend, opts Options) {
	t.Helper()
	groups := [][]subtest{
		bucketTests(),
		objectTests(),
		keyTests(),
		listTests(),
		multipartTests(),
		multipartEdgeTests(),
		policyTests(),
		configTests(),
		checksumTests(),
		taggingTests(),
		encryptionTests(),
		concurrencyTests(),
		versioningTests(),
	}
	for _, group := range groups {
		for _, st := range group {
			t.Run(st.name, func(t *testing.T) {
				if why, ok := opts.Skip[st.name]; ok {
					t.Skip(why)
				}
				t.Parallel()
				st.run(t, newBackend(t))
			})
		}
	}
}

// subtest is one named conformance check.
type subtest struct {
	name string
	run  func(t *testing.T, b object.Backend)
}

// testBucket is the bucket most subtests work in.
const testBucket = "test-bucket"

// emptyETag is the hex MD5 of no bytes.
const emptyETag = "d41d8cd98f00b204e9800998ecf8427e"

func md5hex(data []byte) string {
	sum := md5.Sum(data)
	return hex.EncodeToString(sum[:])
}

func md5bin(data []byte) []byte {
	sum := md5.Sum(data)
	return sum[:]
}

// newBucket creates testBucket (or the named bucket) and fails on error.
func newBucket(t *testing.T, b object.Backend, names ...string) {
	t.Helper()
	if len(names) == 0 {
		names = []string{testBucket}
	}
	for _, name := range names {
		if err := b.CreateBucket(t.Context(), name); err != nil {
			t.Fatalf("CreateBucket(%q): %v", name, err)
		}
	}
}

// put stores data under key in testBucket with a known size.
func put(t *testing.T, b object.Backend, key, data string) object.ObjectInfo {
	t.Helper()
	return putOpts(t, b, key, data, object.PutOptions{Size: int64(len(data))})
}

func putOpts(t *testing.T, b object.Backend, key, data string, opts object.PutOptions) object.ObjectInfo {
	t.Helper()
	info, err := b.PutObject(t.Context(), testBucket, key, strings.NewReader(data), opts)
	if err != nil {
		t.Fatalf("PutObject(%q): %v", key, err)
	}
	return info
}

// get reads key from testBucket and fails on error.
func get(t *testing.T, b object.Backend, key string, rng *object.Range) (string, *object.Reader) {
	t.Helper()
	r, err := b.GetObject(t.Context(), testBucket, key, object.GetOptions{Range: rng})
	if err != nil {
		t.Fatalf("GetObject(%q, %+v): %v", key, rng, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("GetObject(%q): read: %v", key, err)
	}
	return string(data), r
}

// wantContent checks that key holds exactly data.
func wantContent(t *testing.T, b object.Backend, key, data string) {
	t.Helper()
	got, r := get(t, b, key, nil)
	if got != data {
		t.Fatalf("GetObject(%q) = %q, want %q", key, abbrev(got), abbrev(data))
	}
	if r.Info.Size != int64(len(data)) || r.Info.ETag != md5hex([]byte(data)) && !strings.Contains(r.Info.ETag, "-") {
		t.Fatalf("GetObject(%q) info = size %d etag %s, want size %d etag %s", key, r.Info.Size, r.Info.ETag, len(data), md5hex([]byte(data)))
	}
}

// wantMissing checks that key is not an object.
func wantMissing(t *testing.T, b object.Backend, key string) {
	t.Helper()
	_, err := b.HeadObject(t.Context(), testBucket, key)
	wantErr(t, err, object.ErrObjectNotFound, "HeadObject(%q)", key)
	r, err := b.GetObject(t.Context(), testBucket, key, object.GetOptions{})
	if err == nil {
		r.Close()
	}
	wantErr(t, err, object.ErrObjectNotFound, "GetObject(%q)", key)
}

// wantErr checks that err matches the sentinel.
func wantErr(t *testing.T, err, sentinel error, format string, args ...any) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf(format+": error = %v, want %v", append(args, err, sentinel)...)
	}
}

func abbrev(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// listAll pages through ListObjects with the given page size and returns
// the object keys and common prefixes in order, checking the paging fields.
func listAll(t *testing.T, b object.Backend, bucket string, opts object.ListOptions) (keys, prefixes []string) {
	t.Helper()
	for page := 0; ; page++ {
		if page > 10000 {
			t.Fatalf("ListObjects(%+v): paging does not end", opts)
		}
		res, err := b.ListObjects(t.Context(), bucket, opts)
		if err != nil {
			t.Fatalf("ListObjects(%+v): %v", opts, err)
		}
		n := len(res.Objects) + len(res.CommonPrefixes)
		if opts.MaxKeys > 0 && n > opts.MaxKeys {
			t.Fatalf("ListObjects(%+v) returned %d entries", opts, n)
		}
		last := ""
		for _, o := range res.Objects {
			if o.Bucket != bucket {
				t.Errorf("ListObjects: object %q has bucket %q", o.Key, o.Bucket)
			}
			keys = append(keys, o.Key)
			last = max(last, o.Key)
		}
		prefixes = append(prefixes, res.CommonPrefixes...)
		for _, p := range res.CommonPrefixes {
			last = max(last, p)
		}
		if !res.IsTruncated {
			return keys, prefixes
		}
		if n == 0 || res.NextAfter != last {
			t.Fatalf("ListObjects(%+v): truncated page of %d entries, NextAfter %q, last entry %q", opts, n, res.NextAfter, last)
		}
		opts.After = res.NextAfter
	}
}

// modelList is what ListObjects must return for keys (all pages together).
func modelList(keys []string, opts object.ListOptions) (objs, prefixes []string) {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	lastCP := ""
	for _, k := range keys {
		if !strings.HasPrefix(k, opts.Prefix) {
			continue
		}
		if opts.Delimiter != "" {
			rest := k[len(opts.Prefix):]
			if i := strings.Index(rest, opts.Delimiter); i >= 0 {
				cp := opts.Prefix + rest[:i+len(opts.Delimiter)]
				if cp > opts.After && cp != lastCP {
					prefixes = append(prefixes, cp)
					lastCP = cp
				}
				continue
			}
		}
		if k > opts.After {
			objs = append(objs, k)
		}
	}
	return objs, prefixes
}

// chunkReader yields data in small reads, calling hook before each read
// after the first and failing with err once data is exhausted (io.EOF if nil).
type chunkReader struct {
	data  []byte
	chunk int
	reads int
	hook  func()
	err   error
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.reads > 0 && r.hook != nil {
		r.hook()
	}
	r.reads++
	if len(r.data) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.chunk)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// pattern returns n deterministic bytes derived from seed.
func pattern(n int, seed byte) []byte {
	out := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range out {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		out[i] = byte(x)
	}
	return out
}

func equalStrings(a, b []string) bool {
	return slices.Equal(a, b) || len(a) == 0 && len(b) == 0
}
