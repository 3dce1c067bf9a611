package sigv4

import (
	"crypto/sha256"
	"strings"
	"sync"
)

// hmacBlock is the block size of SHA-256 and therefore of HMAC-SHA256.
const hmacBlock = 64

// hmacSHA256 returns HMAC-SHA256(key, buf[hmacBlock:]).
//
// The first hmacBlock bytes of buf are scratch space that hmacSHA256
// overwrites with the inner padded key, so callers build the message right
// after a reserved prefix and no copy or allocation is needed. len(buf) must
// be at least hmacBlock. The construction is RFC 2104 (the one crypto/hmac
// implements); it is written out only to avoid crypto/hmac's per-call
// allocations on the hot path, and a test compares it with crypto/hmac.
func hmacSHA256(key []byte, buf []byte) [sha256.Size]byte {
	var k [hmacBlock]byte
	if len(key) > hmacBlock {
		s := sha256.Sum256(key)
		copy(k[:], s[:])
	} else {
		copy(k[:], key)
	}
	for i := range hmacBlock {
		buf[i] = k[i] ^ 0x36
	}
	inner := sha256.Sum256(buf)
	var outer [hmacBlock + sha256.Size]byte
	for i := range hmacBlock {
		outer[i] = k[i] ^ 0x5c
	}
	copy(outer[hmacBlock:], inner[:])
	clear(k[:])
	clear(buf[:hmacBlock])
	return sha256.Sum256(outer[:])
}

// hmacString returns HMAC-SHA256(key, msg).
func hmacString(key []byte, msg string) [sha256.Size]byte {
	var stack [hmacBlock + 64]byte
	buf := append(stack[:hmacBlock], msg...)
	return hmacSHA256(key, buf)
}

// deriveSigningKey returns the SigV4 signing key
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveSigningKey(secret, date, region, service string) [sha256.Size]byte {
	var stack [hmacBlock]byte
	k0 := append(append(stack[:0], "AWS4"...), secret...)
	k := hmacString(k0, date)
	clear(k0)
	k = hmacString(k[:], region)
	k = hmacString(k[:], service)
	return hmacString(k[:], scopeTerminator)
}

// keyCacheKey identifies one signing key. The secret is represented by its
// SHA-256 so a rotated secret never hits an entry derived from the old one,
// while the cache never holds the secret itself.
type keyCacheKey struct {
	accessKey, date, region, service string
	secret                           [sha256.Size]byte
}

// keyCache is a bounded, concurrency-safe map from keyCacheKey to signing
// key. When full it evicts one arbitrary entry (Go's randomised map
// iteration makes that a random eviction), which is enough for a working set
// of a few keys per day.
type keyCache struct {
	mu      sync.Mutex
	max     int
	entries map[keyCacheKey][sha256.Size]byte
}

// newKeyCache returns a cache holding at most max entries.
func newKeyCache(max int) *keyCache {
	return &keyCache{max: max, entries: make(map[keyCacheKey][sha256.Size]byte, min(max, 64))}
}

// signingKey returns the signing key for the scope, from the cache when
// possible. A nil cache derives the key every time.
func (c *keyCache) signingKey(secret, accessKey, date, region, service string) [sha256.Size]byte {
	if c == nil {
		return deriveSigningKey(secret, date, region, service)
	}
	var stack [128]byte
	sb := append(stack[:0], secret...)
	k := keyCacheKey{accessKey: accessKey, date: date, region: region, service: service, secret: sha256.Sum256(sb)}
	clear(sb)

	c.mu.Lock()
	key, ok := c.entries[k]
	c.mu.Unlock()
	if ok {
		return key
	}

	key = deriveSigningKey(secret, date, region, service)
	// The strings usually point into a request header; clone them so the
	// cache does not keep whole requests alive.
	k.accessKey = strings.Clone(k.accessKey)
	k.date = strings.Clone(k.date)
	k.region = strings.Clone(k.region)
	k.service = strings.Clone(k.service)

	c.mu.Lock()
	if len(c.entries) >= c.max {
		for old := range c.entries {
			delete(c.entries, old)
			break
		}
	}
	c.entries[k] = key
	c.mu.Unlock()
	return key
}

// len returns the number of cached keys.
func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
