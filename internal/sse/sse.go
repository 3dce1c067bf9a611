// Package sse encrypts object data at rest for Sesame's server-side
// encryption (SSE-S3 and SSE-C). It is pure: no I/O beyond the readers it
// is given, no global state.
//
// # Format
//
// An encrypted object is one or more segments (one per PutObject, one per
// part of a multipart upload), each
//
//	header:  version(1) | salt(16) | plaintext length(8, big endian)
//	chunks:  AES-256-GCM(chunk i) for i = 0 .. n-1, each ChunkSize bytes of
//	         plaintext (the last may be shorter, or empty for an empty
//	         segment) followed by its 16-byte tag
//
// All segments of an object share one random 256-bit data key. Each
// segment derives its own key, HMAC-SHA256(data key, "sesame-sse segment"
// | salt), from a fresh random salt, so two segments (a part uploaded
// twice) never share a key and nonce. The nonce of chunk i is the 12-byte
// big-endian i. The additional data of every chunk is the header followed
// by i and a final-chunk flag: a chunk cannot be reordered, dropped, moved
// to another segment or object, and a segment cannot be truncated or have
// its length changed, without failing authentication.
//
// The data key itself is stored sealed (AES-256-GCM) under a key-encryption
// key: the server's master key for SSE-S3 (Keyring), or a key derived from
// the customer's key for SSE-C (CustomerKEK).
package sse

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
)

// Sizes of the format.
const (
	// ChunkSize is the plaintext size of every chunk but a segment's last.
	ChunkSize = 64 << 10
	// TagSize is GCM's tag, added to every chunk.
	TagSize = 16
	// HeaderSize is a segment header's size.
	HeaderSize = 1 + saltSize + 8
	// KeySize is the size of data keys and key-encryption keys.
	KeySize = 32

	version  = 1
	saltSize = 16
)

var (
	// ErrMalformed is returned when a segment header or sealed key is not of
	// this package's form.
	ErrMalformed = errors.New("sse: malformed encrypted data")
	// ErrAuth is returned when data does not authenticate: tampered,
	// truncated, or opened with the wrong key.
	ErrAuth = errors.New("sse: data does not authenticate")
	// ErrShortBody is returned by an Encrypter whose plaintext ends before
	// its declared size.
	ErrShortBody = errors.New("sse: body shorter than declared size")
	// ErrLongBody is returned by an Encrypter whose plaintext goes on past
	// its declared size.
	ErrLongBody = errors.New("sse: body longer than declared size")
)

// Key is a 256-bit key.
type Key [KeySize]byte

// chunks returns how many chunks a segment of n plaintext bytes has.
func chunks(n int64) int64 {
	if n <= 0 {
		return 1
	}
	return (n + ChunkSize - 1) / ChunkSize
}

// EncryptedSize returns the size of a segment holding n plaintext bytes.
func EncryptedSize(n int64) int64 {
	return HeaderSize + n + chunks(n)*TagSize
}

// PlainSize inverts EncryptedSize; ok is false when no plaintext size gives e.
func PlainSize(e int64) (n int64, ok bool) {
	m := e - HeaderSize
	if m < TagSize {
		return 0, false
	}
	full := int64(ChunkSize + TagSize)
	k, r := m/full, m%full
	switch {
	case r == 0:
		n = k * ChunkSize
	case r >= TagSize:
		n = k*ChunkSize + r - TagSize
	default:
		return 0, false
	}
	return n, EncryptedSize(n) == e
}

// Header is a segment's header.
type Header struct {
	Salt [saltSize]byte
	Size int64 // plaintext bytes
}

func (h Header) bytes() []byte {
	b := make([]byte, HeaderSize)
	b[0] = version
	copy(b[1:], h.Salt[:])
	binary.BigEndian.PutUint64(b[1+saltSize:], uint64(h.Size))
	return b
}

// ParseHeader decodes a segment header.
func ParseHeader(b []byte) (Header, error) {
	var h Header
	if len(b) < HeaderSize || b[0] != version {
		return h, ErrMalformed
	}
	copy(h.Salt[:], b[1:])
	size := binary.BigEndian.Uint64(b[1+saltSize:])
	if size > 1<<50 {
		return h, ErrMalformed
	}
	h.Size = int64(size)
	return h, nil
}

// segmentAEAD returns the AEAD of the segment with header h.
func segmentAEAD(dataKey Key, h Header) cipher.AEAD {
	mac := hmac.New(sha256.New, dataKey[:])
	mac.Write([]byte("sesame-sse segment"))
	mac.Write(h.Salt[:])
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key cannot fail
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return g
}

// chunkParams fills nonce and ad for chunk i of the segment with header hb.
func chunkParams(nonce, ad, hb []byte, i int64, final bool) {
	clear(nonce)
	binary.BigEndian.PutUint64(nonce[4:], uint64(i))
	copy(ad, hb)
	binary.BigEndian.PutUint64(ad[HeaderSize:], uint64(i))
	ad[HeaderSize+8] = 0
	if final {
		ad[HeaderSize+8] = 1
	}
}

// Encrypter reads a plaintext of a declared size and yields its segment.
type Encrypter struct {
	src      io.Reader
	aead     cipher.AEAD
	hb       []byte
	size     int64
	n        int64 // chunks
	i        int64 // next chunk
	read     int64
	out      []byte // pending output
	buf      []byte
	nonce    []byte
	ad       []byte
	err      error
	observer func(p []byte, final bool) error // sees the plaintext
}

// NewEncrypter returns a reader of the segment encrypting the size bytes of
// src under dataKey, with a salt read from random. Reading fails with
// ErrShortBody or ErrLongBody when src does not hold exactly size bytes
// (after the last chunk is withheld, so a wrong body never yields a valid
// segment). observe, when not nil, sees every plaintext byte in order, so a
// caller can digest the plaintext as it goes; final is set on its last call,
// made before the last chunk is released, and an error it returns then
// fails the read (a digest mismatch).
func NewEncrypter(dataKey Key, src io.Reader, size int64, random io.Reader, observe func(p []byte, final bool) error) (*Encrypter, error) {
	var h Header
	if _, err := io.ReadFull(random, h.Salt[:]); err != nil {
		return nil, err
	}
	h.Size = size
	e := &Encrypter{src: src, aead: segmentAEAD(dataKey, h), hb: h.bytes(), size: size, n: chunks(size),
		nonce: make([]byte, 12), ad: make([]byte, HeaderSize+9), observer: observe}
	e.out = e.hb
	e.buf = make([]byte, 0, ChunkSize+TagSize)
	return e, nil
}

// Read implements io.Reader.
func (e *Encrypter) Read(p []byte) (int, error) {
	for len(e.out) == 0 {
		if e.err != nil {
			return 0, e.err
		}
		if e.i == e.n {
			e.err = io.EOF
			continue
		}
		e.err = e.next()
	}
	n := copy(p, e.out)
	e.out = e.out[n:]
	return n, nil
}

// next encrypts the next chunk into e.out.
func (e *Encrypter) next() error {
	want := min(ChunkSize, e.size-e.read)
	plain := e.buf[:want]
	if _, err := io.ReadFull(e.src, plain); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return ErrShortBody
		}
		return err
	}
	e.read += want
	final := e.i == e.n-1
	if final {
		var one [1]byte
		n, err := io.ReadFull(e.src, one[:])
		if n > 0 {
			return ErrLongBody
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	if e.observer != nil {
		if err := e.observer(plain, final); err != nil {
			return err
		}
	}
	chunkParams(e.nonce, e.ad, e.hb, e.i, final)
	e.out = e.aead.Seal(plain[:0], e.nonce, plain, e.ad)
	e.i++
	return nil
}

// Span locates plaintext bytes [first, first+length) of a segment of size
// plaintext bytes: the chunks to read, at ciphertext offset Offset
// (from the segment's start) for Length bytes, and how many decrypted
// bytes to skip before the wanted ones.
type Span struct {
	FirstChunk     int64
	Offset, Length int64
	Skip           int64
}

// SpanOf returns the Span of plaintext [first, first+length) in a segment
// of size bytes; the range must lie within the segment.
func SpanOf(size, first, length int64) Span {
	c0 := first / ChunkSize
	c1 := c0
	if length > 0 {
		c1 = (first + length - 1) / ChunkSize
	}
	full := int64(ChunkSize + TagSize)
	end := HeaderSize + (c1+1)*full
	if seg := EncryptedSize(size); end > seg {
		end = seg
	}
	off := HeaderSize + c0*full
	return Span{FirstChunk: c0, Offset: off, Length: end - off, Skip: first - c0*ChunkSize}
}

// Decrypter decrypts consecutive chunks of one segment.
type Decrypter struct {
	src   io.Reader
	aead  cipher.AEAD
	hb    []byte
	n, i  int64
	size  int64
	buf   []byte
	out   []byte
	nonce []byte
	ad    []byte
	skip  int64
	left  int64 // plaintext bytes still to yield
	err   error
}

// NewDecrypter returns a reader of the plaintext [first, first+length) of
// the segment with header h, reading its chunks from src, which starts at
// SpanOf(h.Size, first, length).Offset. Reading fails with ErrAuth when a
// chunk does not authenticate.
func NewDecrypter(dataKey Key, h Header, src io.Reader, first, length int64) *Decrypter {
	sp := SpanOf(h.Size, first, length)
	return &Decrypter{src: src, aead: segmentAEAD(dataKey, h), hb: h.bytes(), n: chunks(h.Size), i: sp.FirstChunk,
		size: h.Size, buf: make([]byte, ChunkSize+TagSize), nonce: make([]byte, 12), ad: make([]byte, HeaderSize+9),
		skip: sp.Skip, left: length}
}

// Read implements io.Reader.
func (d *Decrypter) Read(p []byte) (int, error) {
	for len(d.out) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		if d.left == 0 {
			d.err = io.EOF
			continue
		}
		d.err = d.next()
	}
	n := copy(p, d.out)
	d.out = d.out[n:]
	return n, nil
}

func (d *Decrypter) next() error {
	if d.i >= d.n {
		return ErrAuth
	}
	plain := min(ChunkSize, d.size-d.i*ChunkSize)
	ct := d.buf[:plain+TagSize]
	if _, err := io.ReadFull(d.src, ct); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return ErrAuth // truncated
		}
		return err
	}
	chunkParams(d.nonce, d.ad, d.hb, d.i, d.i == d.n-1)
	out, err := d.aead.Open(ct[:0], d.nonce, ct, d.ad)
	if err != nil {
		return ErrAuth
	}
	d.i++
	out = out[min(d.skip, int64(len(out))):]
	d.skip = 0
	if int64(len(out)) > d.left {
		out = out[:d.left]
	}
	d.left -= int64(len(out))
	d.out = out
	return nil
}
