package s3backend

import (
	"context"
	"crypto/md5"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/object"
)

// TestGuard_HoldsBackWrongBodies checks that a wrong body never reaches
// the upstream whole: the reader fails before it yields the last bytes.
func TestGuard_HoldsBackWrongBodies(t *testing.T) {
	sum := md5.Sum([]byte("hello"))
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name    string
		body    string
		size    int64
		md5     []byte
		ctx     context.Context
		wantErr error // nil: the whole body passes
	}{
		{"exact", "hello", 5, nil, context.Background(), nil},
		{"exact with digest", "hello", 5, sum[:], context.Background(), nil},
		{"longer", "hello!", 5, nil, context.Background(), object.ErrTooLarge},
		{"shorter", "hell", 5, nil, context.Background(), object.ErrIncompleteBody},
		{"bad digest", "hellO", 5, sum[:], context.Background(), object.ErrBadDigest},
		{"caller gone", "hello", 5, nil, canceled, context.Canceled},
		{"empty but data", "x", 0, nil, context.Background(), object.ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := newGuard(c.ctx, &oneByteReader{strings.NewReader(c.body)}, c.size, c.md5, nil)
			got, err := io.ReadAll(g)
			if c.wantErr == nil {
				if err != nil || string(got) != c.body {
					t.Fatalf("read %q, %v; want %q", got, err, c.body)
				}
				return
			}
			if !errors.Is(bodySentinel(err), c.wantErr) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			if int64(len(got)) >= c.size && c.size > 0 {
				t.Fatalf("the upstream would have got %d bytes of a wrong %d-byte body", len(got), c.size)
			}
		})
	}
}

// oneByteReader yields one byte a read, the worst case for the guard.
type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) { return o.r.Read(p[:min(len(p), 1)]) }

func TestParseContentRange(t *testing.T) {
	for _, c := range []struct {
		in           string
		first, total int64
		ok           bool
	}{
		{"bytes 0-9/100", 0, 100, true},
		{"bytes 90-99/100", 90, 100, true},
		{"bytes */100", 0, 0, false},
		{"items 0-9/100", 0, 0, false},
		{"bytes 0-9", 0, 0, false},
	} {
		first, total, ok := parseContentRange(c.in)
		if ok != c.ok || ok && (first != c.first || total != c.total) {
			t.Errorf("parseContentRange(%q) = %d, %d, %v", c.in, first, total, ok)
		}
	}
}

func TestRolledUp(t *testing.T) {
	for _, c := range []struct {
		key, prefix, delim, want string
	}{
		{"a/b/c", "", "/", "a/"},
		{"a/b/c", "a/", "/", "a/b/"},
		{"z/", "z", "/", "z/"},
		{"abc", "", "/", ""},
		{"a-b", "", "", ""},
		{"photos/2024/x", "photos", "/2", "photos/2"},
		{"photos/2024/x", "photos/", "/2", ""},
	} {
		got, ok := rolledUp(c.key, c.prefix, c.delim)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("rolledUp(%q, %q, %q) = %q, %v; want %q", c.key, c.prefix, c.delim, got, ok, c.want)
		}
	}
}

func TestCheckBucket(t *testing.T) {
	for name, ok := range map[string]bool{
		"abc": true, "a.b-c": true, "ab": false, "Abc": false, "-ab": false, "ab-": false,
		"a..b": false, "../x": false, strings.Repeat("a", 64): false, "a/b": false,
	} {
		if got := checkBucket(name) == nil; got != ok {
			t.Errorf("checkBucket(%q) ok = %v, want %v", name, got, ok)
		}
	}
}

func TestMetadataEncoding(t *testing.T) {
	for _, v := range []string{"plain", "Zoë", "日本語", "=?not encoded", ""} {
		if got := decodeMeta(encodeMeta(v)); got != v {
			t.Errorf("decodeMeta(encodeMeta(%q)) = %q", v, got)
		}
	}
	if enc := encodeMeta("Zoë"); strings.ContainsFunc(enc, func(r rune) bool { return r > 0x7e }) {
		t.Errorf("encodeMeta(Zoë) = %q, not ASCII", enc)
	}
}

// lastReadFails yields its data and, with the last of it, err, as a
// reader that checks the body as it ends does.
type lastReadFails struct {
	data []byte
	err  error
}

func (l *lastReadFails) Read(p []byte) (int, error) {
	n := copy(p, l.data)
	l.data = l.data[n:]
	if len(l.data) == 0 {
		return n, l.err
	}
	return n, nil
}

// TestGuard_ChecksumHook checks that the checksum hook runs once the body
// is read, that its error holds the last bytes back and stays
// recognizable, and that a source's error coming with the last bytes does
// too.
func TestGuard_ChecksumHook(t *testing.T) {
	boom := errors.New("boom")
	want := object.Checksum{Algorithm: object.ChecksumCRC32, Type: object.ChecksumFullObject, Value: "AAAAAA=="}
	g := newGuard(context.Background(), strings.NewReader("hello"), 5, nil, func() (object.Checksum, error) { return want, nil })
	if got, err := io.ReadAll(g); err != nil || string(got) != "hello" || g.checksum != want {
		t.Fatalf("read %q, %v, checksum %+v; want the body and %+v", got, err, g.checksum, want)
	}
	g = newGuard(context.Background(), &oneByteReader{strings.NewReader("hello")}, 5, nil, func() (object.Checksum, error) { return object.Checksum{}, boom })
	got, err := io.ReadAll(g)
	if !errors.Is(bodySentinel(err), boom) || len(got) >= 5 {
		t.Fatalf("failing hook: read %d bytes, %v; want fewer than 5 and the hook's error", len(got), err)
	}
	g = newGuard(context.Background(), &lastReadFails{[]byte("hello"), boom}, 5, nil, nil)
	got, err = io.ReadAll(g)
	if !errors.Is(err, boom) || len(got) >= 5 || !errors.Is(g.srcErr, boom) {
		t.Fatalf("source failing with its last bytes: read %d bytes, %v; want fewer than 5 and its error", len(got), err)
	}
}
