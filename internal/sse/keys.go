package sse

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// NewDataKey returns a random data key read from random.
func NewDataKey(random io.Reader) (Key, error) {
	var k Key
	_, err := io.ReadFull(random, k[:])
	return k, err
}

// CustomerKEK derives the key that seals an SSE-C object's data key from
// the customer's 256-bit key. The customer's key itself is never stored.
func CustomerKEK(customerKey []byte) Key {
	mac := hmac.New(sha256.New, customerKey)
	mac.Write([]byte("sesame-sse-c key-encryption key"))
	var k Key
	copy(k[:], mac.Sum(nil))
	return k
}

// SealKey encrypts dataKey under kek with a fresh nonce from random; label
// is authenticated with it, so a key sealed for one purpose cannot be
// opened for another. The result is base64 (standard, padded).
func SealKey(kek, dataKey Key, label string, random io.Reader) (string, error) {
	g := gcm(kek)
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+KeySize+g.Overhead())
	if _, err := io.ReadFull(random, nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(g.Seal(nonce, nonce, dataKey[:], []byte(label))), nil
}

// OpenKey reverses SealKey: ErrAuth when kek or label is not the sealer's.
func OpenKey(kek Key, sealed, label string) (Key, error) {
	var k Key
	b, err := base64.StdEncoding.DecodeString(sealed)
	g := gcm(kek)
	if err != nil || len(b) != g.NonceSize()+KeySize+g.Overhead() {
		return k, ErrMalformed
	}
	out, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], []byte(label))
	if err != nil {
		return k, ErrAuth
	}
	copy(k[:], out)
	return k, nil
}

func gcm(k Key) cipher.AEAD {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return g
}

// MasterKey is one SSE-S3 master key and its id, recorded with each object
// it seals.
type MasterKey struct {
	ID  string // see ValidKeyID
	Key Key
}

// Keyring holds the SSE-S3 master keys: the first seals new objects, every
// one opens the objects it sealed.
type Keyring struct {
	keys []MasterKey
}

// ErrUnknownKey is returned by Keyring.Get for a key id it does not hold.
var ErrUnknownKey = errors.New("sse: unknown master key id")

// Active returns the key that seals new objects.
func (r *Keyring) Active() MasterKey { return r.keys[0] }

// Get returns the key with the given id.
func (r *Keyring) Get(id string) (MasterKey, error) {
	for _, k := range r.keys {
		if k.ID == id {
			return k, nil
		}
	}
	return MasterKey{}, fmt.Errorf("%w %q", ErrUnknownKey, id)
}

// NewKeyring returns a keyring of keys, the first active. It is meant for
// tests and for keys from the environment.
func NewKeyring(keys ...MasterKey) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("sse: empty keyring")
	}
	return &Keyring{keys: keys}, nil
}

// ValidKeyID reports whether id may name a master key: 1 to 128 bytes of
// letters, digits and "._:/-" (random keys get 16 hex digits; a named key,
// such as "backups", is what SSE-KMS requests name).
func ValidKeyID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._:/-", c) >= 0) {
			return false
		}
	}
	return true
}

// ParseKeyring reads a keyring file: one key a line, "<id> <base64 key>",
// the first line the active key; empty lines and lines starting with "#"
// are skipped.
func ParseKeyring(data []byte) (*Keyring, error) {
	var keys []MasterKey
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		id, b64, ok := strings.Cut(s, " ")
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if !ok || err != nil || !ValidKeyID(id) || len(raw) != KeySize {
			return nil, fmt.Errorf("sse: keyring line %d: want \"<key id> <base64 of 32 bytes>\"", line)
		}
		for _, o := range keys {
			if o.ID == id {
				return nil, fmt.Errorf("sse: keyring line %d: key id %q given twice", line, id)
			}
		}
		var k MasterKey
		k.ID = id
		copy(k.Key[:], raw)
		keys = append(keys, k)
	}
	return NewKeyring(keys...)
}

// NewMasterKey returns a random master key.
func NewMasterKey(random io.Reader) (MasterKey, error) {
	var id [8]byte
	if _, err := io.ReadFull(random, id[:]); err != nil {
		return MasterKey{}, err
	}
	k, err := NewDataKey(random)
	return MasterKey{ID: hex.EncodeToString(id[:]), Key: k}, err
}

// FormatKeyring returns the keyring file holding keys.
func FormatKeyring(keys ...MasterKey) []byte {
	var b bytes.Buffer
	b.WriteString("# Sesame SSE-S3 master keys: the first seals new objects; keep every line.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s\n", k.ID, base64.StdEncoding.EncodeToString(k.Key[:]))
	}
	return b.Bytes()
}

// OpenKeyringFile reads the keyring file at path, creating it (mode 0600,
// with one random key) when it does not exist.
func OpenKeyringFile(path string) (*Keyring, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, kerr := NewMasterKey(rand.Reader)
		if kerr != nil {
			return nil, kerr
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		// Written aside and linked into place, so a server starting at the
		// same time reads either no file or the whole one.
		f, err := os.CreateTemp(filepath.Dir(path), ".keyring-*")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		data = FormatKeyring(k)
		_, err = f.Write(data)
		if serr := f.Sync(); err == nil {
			err = serr
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Link(f.Name(), path)
		}
		if errors.Is(err, os.ErrExist) {
			return OpenKeyringFile(path) // another server made it first
		}
		if err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return ParseKeyring(data)
}
