// Package seal encrypts and authenticates session tokens: a token is
//
//	base64url( version(1) | key id(8) | nonce(12) | AES-256-GCM ciphertext+tag )
//
// with the version and key id as additional authenticated data, so a token
// cannot be re-labelled to another key or format. Keys are random 32-byte
// secrets chosen by the caller (never derived from a password); the key id
// lets any node holding the key ring find the right key without trying them
// all. The package is pure: no I/O, no global state.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Sizes of a token's parts.
const (
	version   = 1
	IDSize    = 8
	KeySize   = 32
	nonceSize = 12
	header    = 1 + IDSize
	// Overhead is how many bytes a token adds to its plaintext before base64.
	Overhead = header + nonceSize + 16
)

var (
	// ErrMalformed is returned when a token is not of this package's form.
	ErrMalformed = errors.New("seal: malformed token")
	// ErrInvalid is returned when a token does not authenticate under its key
	// (tampered, truncated or sealed by another key).
	ErrInvalid = errors.New("seal: token does not authenticate")
)

// Key is a sealing key.
type Key struct {
	ID     [IDSize]byte
	Secret [KeySize]byte
}

var enc = base64.RawURLEncoding

// aeads caches each key's AES-GCM instance (building one expands the AES
// key schedule on every token otherwise); the standard library's GCM is
// read-only once built, so one instance serves every goroutine. Keys are
// few (one a day, kept a week), so the cache is not bounded.
var aeads sync.Map // Key → cipher.AEAD

func aead(k Key) (cipher.AEAD, error) {
	if g, ok := aeads.Load(k); ok {
		return g.(cipher.AEAD), nil
	}
	block, err := aes.NewCipher(k.Secret[:])
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	aeads.Store(k, g)
	return g, nil
}

// Seal encrypts plaintext under k with a fresh nonce read from random.
func Seal(k Key, plaintext []byte, random io.Reader) (string, error) {
	g, err := aead(k)
	if err != nil {
		return "", err
	}
	buf := make([]byte, header+nonceSize, header+nonceSize+len(plaintext)+g.Overhead())
	buf[0] = version
	copy(buf[1:header], k.ID[:])
	if _, err := io.ReadFull(random, buf[header:]); err != nil {
		return "", fmt.Errorf("seal: nonce: %w", err)
	}
	out := g.Seal(buf, buf[header:], plaintext, buf[:header])
	return enc.EncodeToString(out), nil
}

// KeyID returns the id of the key a token claims to be sealed with.
func KeyID(token string) ([IDSize]byte, error) {
	var id [IDSize]byte
	if len(token) < enc.EncodedLen(Overhead) {
		return id, ErrMalformed
	}
	// A 9-byte header is exactly the first 12 base64 characters.
	head, err := enc.DecodeString(token[:enc.EncodedLen(header)])
	if err != nil || len(head) < header || head[0] != version {
		return id, ErrMalformed
	}
	copy(id[:], head[1:header])
	return id, nil
}

// Open authenticates and decrypts a token sealed under k.
func Open(k Key, token string) ([]byte, error) {
	raw, err := enc.DecodeString(token)
	if err != nil || len(raw) < Overhead || raw[0] != version {
		return nil, ErrMalformed
	}
	if [IDSize]byte(raw[1:header]) != k.ID {
		return nil, ErrInvalid
	}
	g, err := aead(k)
	if err != nil {
		return nil, err
	}
	nonce := raw[header : header+nonceSize]
	plain, err := g.Open(nil, nonce, raw[header+nonceSize:], raw[:header])
	if err != nil {
		return nil, ErrInvalid
	}
	return plain, nil
}
