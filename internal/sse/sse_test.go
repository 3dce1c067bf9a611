package sse

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
)

func encrypt(t *testing.T, k Key, plain []byte) []byte {
	t.Helper()
	e, err := NewEncrypter(k, bytes.NewReader(plain), int64(len(plain)), rand.Reader, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(e)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(out)) != EncryptedSize(int64(len(plain))) {
		t.Fatalf("segment of %d bytes, EncryptedSize says %d", len(out), EncryptedSize(int64(len(plain))))
	}
	return out
}

func decrypt(k Key, seg []byte, first, length int64) ([]byte, error) {
	h, err := ParseHeader(seg)
	if err != nil {
		return nil, err
	}
	sp := SpanOf(h.Size, first, length)
	return io.ReadAll(NewDecrypter(k, h, bytes.NewReader(seg[sp.Offset:sp.Offset+sp.Length]), first, length))
}

func TestEncrypter_RoundTripAndRanges(t *testing.T) {
	k, _ := NewDataKey(rand.Reader)
	for _, n := range []int{0, 1, 13, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3*ChunkSize + 7} {
		plain := make([]byte, n)
		rand.Read(plain)
		seg := encrypt(t, k, plain)
		if got, ok := PlainSize(int64(len(seg))); !ok || got != int64(n) {
			t.Errorf("PlainSize(%d) = %d, %v; want %d", len(seg), got, ok, n)
		}
		if n > 0 && bytes.Contains(seg, plain[:min(n, 16)]) && n >= 16 {
			t.Errorf("n=%d: plaintext visible in the segment", n)
		}
		for _, r := range [][2]int{{0, n}, {0, min(n, 1)}, {n / 2, n - n/2}, {n / 3, n / 3}, {max(n-1, 0), min(n, 1)}} {
			got, err := decrypt(k, seg, int64(r[0]), int64(r[1]))
			if err != nil || !bytes.Equal(got, plain[r[0]:r[0]+r[1]]) {
				t.Errorf("n=%d range %v: err %v, equal %v", n, r, err, bytes.Equal(got, plain[r[0]:r[0]+r[1]]))
			}
		}
	}
}

func TestDecrypter_Tampering(t *testing.T) {
	k, _ := NewDataKey(rand.Reader)
	plain := bytes.Repeat([]byte("a"), 2*ChunkSize+5)
	seg := encrypt(t, k, plain)
	other, _ := NewDataKey(rand.Reader)
	if _, err := decrypt(other, seg, 0, int64(len(plain))); !errors.Is(err, ErrAuth) {
		t.Errorf("wrong key: %v, want ErrAuth", err)
	}
	flipped := bytes.Clone(seg)
	flipped[HeaderSize+10] ^= 1
	if _, err := decrypt(k, flipped, 0, int64(len(plain))); !errors.Is(err, ErrAuth) {
		t.Errorf("flipped bit: %v, want ErrAuth", err)
	}
	// Claiming a shorter length (truncation) must fail: the length is bound.
	short := bytes.Clone(seg[:HeaderSize+ChunkSize+TagSize])
	h, _ := ParseHeader(short)
	h.Size = ChunkSize
	copy(short, h.bytes())
	if _, err := decrypt(k, short, 0, ChunkSize); !errors.Is(err, ErrAuth) {
		t.Errorf("truncated: %v, want ErrAuth", err)
	}
	// Swapping two chunks must fail.
	sw := bytes.Clone(seg)
	c := ChunkSize + TagSize
	copy(sw[HeaderSize:], seg[HeaderSize+c:HeaderSize+2*c])
	copy(sw[HeaderSize+c:], seg[HeaderSize:HeaderSize+c])
	if _, err := decrypt(k, sw, 0, int64(len(plain))); !errors.Is(err, ErrAuth) {
		t.Errorf("swapped chunks: %v, want ErrAuth", err)
	}
}

func TestEncrypter_WrongSize(t *testing.T) {
	k, _ := NewDataKey(rand.Reader)
	for _, tc := range []struct {
		body, declared int
		want           error
	}{{5, 6, ErrShortBody}, {7, 6, ErrLongBody}, {ChunkSize + 1, ChunkSize, ErrLongBody}, {0, 1, ErrShortBody}} {
		e, _ := NewEncrypter(k, bytes.NewReader(make([]byte, tc.body)), int64(tc.declared), rand.Reader, nil)
		if _, err := io.ReadAll(e); !errors.Is(err, tc.want) {
			t.Errorf("body %d declared %d: %v, want %v", tc.body, tc.declared, err, tc.want)
		}
	}
}

func TestSealKey(t *testing.T) {
	kek, _ := NewDataKey(rand.Reader)
	dk, _ := NewDataKey(rand.Reader)
	s, err := SealKey(kek, dk, "a", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := OpenKey(kek, s, "a"); err != nil || got != dk {
		t.Fatalf("OpenKey: %v", err)
	}
	if _, err := OpenKey(kek, s, "b"); !errors.Is(err, ErrAuth) {
		t.Errorf("other label: %v", err)
	}
	if _, err := OpenKey(CustomerKEK([]byte("x")), s, "a"); !errors.Is(err, ErrAuth) {
		t.Errorf("other kek: %v", err)
	}
}

func TestOpenKeyringFile(t *testing.T) {
	p := t.TempDir() + "/k/sse.keys"
	r1, err := OpenKeyringFile(p)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := OpenKeyringFile(p)
	if err != nil || r2.Active() != r1.Active() {
		t.Fatalf("reopened keyring differs: %v", err)
	}
	k2, _ := NewMasterKey(rand.Reader)
	r3, err := ParseKeyring(FormatKeyring(k2, r1.Active()))
	if err != nil || r3.Active() != k2 {
		t.Fatal("rotated keyring")
	}
	if _, err := r3.Get(r1.Active().ID); err != nil {
		t.Error("old key lost after rotation")
	}
	if _, err := ParseKeyring([]byte("zz abc\n")); err == nil {
		t.Error("bad line accepted")
	}
}

// TestDecrypter_RandomRanges checks random ranges of random segment sizes
// against the plaintext.
func TestDecrypter_RandomRanges(t *testing.T) {
	k, _ := NewDataKey(rand.Reader)
	var seed [2]byte
	for range 40 {
		rand.Read(seed[:])
		n := int(seed[0])<<10 + int(seed[1]) // up to ~256 KiB, any alignment
		plain := make([]byte, n)
		rand.Read(plain)
		seg := encrypt(t, k, plain)
		for range 10 {
			rand.Read(seed[:])
			first := (int(seed[0])<<8 | int(seed[1])) % max(n, 1)
			rand.Read(seed[:])
			length := min((int(seed[0])<<8|int(seed[1]))*4, n-first)
			got, err := decrypt(k, seg, int64(first), int64(length))
			if err != nil || !bytes.Equal(got, plain[first:first+length]) {
				t.Fatalf("n=%d range %d+%d: err %v", n, first, length, err)
			}
		}
	}
}

func BenchmarkEncrypter(b *testing.B) {
	k, _ := NewDataKey(rand.Reader)
	plain := make([]byte, 8<<20)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		e, _ := NewEncrypter(k, bytes.NewReader(plain), int64(len(plain)), rand.Reader, nil)
		io.Copy(io.Discard, e)
	}
}

func BenchmarkDecrypter(b *testing.B) {
	k, _ := NewDataKey(rand.Reader)
	plain := make([]byte, 8<<20)
	e, _ := NewEncrypter(k, bytes.NewReader(plain), int64(len(plain)), rand.Reader, nil)
	seg, _ := io.ReadAll(e)
	h, _ := ParseHeader(seg)
	b.SetBytes(int64(len(plain)))
	for b.Loop() {
		io.Copy(io.Discard, NewDecrypter(k, h, bytes.NewReader(seg[HeaderSize:]), 0, int64(len(plain))))
	}
}
