package sigv4

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Defaults for the zero Options fields.
const (
	// DefaultMaxSkew is the default Options.MaxSkew.
	DefaultMaxSkew = 15 * time.Minute
	// DefaultMaxPresignExpiry is the default Options.MaxPresignExpiry (and
	// the largest allowed).
	DefaultMaxPresignExpiry = maxPresignExpires
	// DefaultKeyCacheSize is the default Options.KeyCacheSize.
	DefaultKeyCacheSize = 1024
	// DefaultMaxBufferedPayload is the default Options.MaxBufferedPayload.
	DefaultMaxBufferedPayload = 1 << 20
)

// Options configures a Verifier. The zero value of every field selects its
// default.
type Options struct {
	// Now returns the current time; default time.Now.
	Now func() time.Time
	// MaxSkew bounds |now - Time| for header-signed requests, and how far in
	// the future a presigned X-Amz-Date may be; default 15 minutes.
	MaxSkew time.Duration
	// MaxPresignExpiry is the largest X-Amz-Expires accepted; default and
	// upper limit 7 days (AWS's own limit).
	MaxPresignExpiry time.Duration
	// KeyCacheSize is the number of signing keys cached; default 1024. A
	// negative value disables the cache.
	KeyCacheSize int
	// MaxBufferedPayload bounds the body Verify reads to hash a
	// header-signed request that has no X-Amz-Content-Sha256 (other AWS
	// services, such as STS and IAM, sign the body's hash without sending
	// it); default 1 MiB.
	MaxBufferedPayload int64
}

// Verifier checks Signature Version 4 signatures and payloads. It is safe
// for concurrent use; its only state is the signing-key cache. Create one
// with NewVerifier: the zero value is not usable.
type Verifier struct {
	now         func() time.Time
	maxSkew     time.Duration
	maxExpiry   time.Duration
	maxBuffered int64
	keys        *keyCache
	crc64       func() *crc64Table
}

// NewVerifier returns a Verifier configured by opts.
func NewVerifier(opts Options) *Verifier {
	v := &Verifier{
		now:         opts.Now,
		maxSkew:     opts.MaxSkew,
		maxExpiry:   opts.MaxPresignExpiry,
		maxBuffered: opts.MaxBufferedPayload,
		crc64:       sync.OnceValue(newCRC64NVMETable),
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.maxSkew <= 0 {
		v.maxSkew = DefaultMaxSkew
	}
	if v.maxExpiry <= 0 || v.maxExpiry > maxPresignExpires {
		v.maxExpiry = DefaultMaxPresignExpiry
	}
	if v.maxBuffered <= 0 {
		v.maxBuffered = DefaultMaxBufferedPayload
	}
	switch {
	case opts.KeyCacheSize == 0:
		v.keys = newKeyCache(DefaultKeyCacheSize)
	case opts.KeyCacheSize > 0:
		v.keys = newKeyCache(opts.KeyCacheSize)
	}
	return v
}

// Verify checks the time window (or, for a presigned URL, the expiry) and
// the signature of r, whose authentication Parse returned as a, against
// secretKey. The signature is compared in constant time.
//
// Verify does not check a.AccessKey, a.Region, a.Service or
// a.SecurityToken: the caller looked the secret up by them and decides
// which regions and services it serves.
//
// A header-signed request without X-Amz-Content-Sha256 signs the hash of its
// body (STS and IAM clients do this). Verify then reads the body, at most
// Options.MaxBufferedPayload bytes (else ErrPayloadTooLarge), sets
// a.PayloadHash to its hex SHA-256 and replaces r.Body with the buffered
// bytes, so Body and later readers see the same payload.
//
// Every x-amz-* header of r must be among a.SignedHeaders, but for an
// X-Amz-Content-Sha256 of a presigned URL that repeats a.PayloadHash;
// otherwise Verify returns an *UnsignedHeadersError, before any signature
// work. Other headers may be unsigned, as S3 allows (see "Unsigned headers"
// in the package documentation).
//
// Verify returns nil or an error wrapping ErrTimeSkewed, ErrExpired,
// ErrInvalidExpires, ErrUnsignedHeaders, ErrPayloadTooLarge or
// ErrSignatureMismatch (and ErrNoAuth for a nil a).
func (v *Verifier) Verify(r *http.Request, a *Request, secretKey string) error {
	if a == nil {
		return ErrNoAuth
	}
	now := v.now()
	if a.Presigned {
		if a.Expires < time.Second || a.Expires > v.maxExpiry {
			return fmt.Errorf("%w: %s is outside 1s..%s", ErrInvalidExpires, a.Expires, v.maxExpiry)
		}
		if now.After(a.Time.Add(a.Expires)) {
			return fmt.Errorf("%w: expired at %s", ErrExpired, a.Time.Add(a.Expires).UTC().Format(time.RFC3339))
		}
		if a.Time.Sub(now) > v.maxSkew {
			return fmt.Errorf("%w: X-Amz-Date %s is in the future", ErrExpired, a.Time.UTC().Format(time.RFC3339))
		}
	} else if d := now.Sub(a.Time); d > v.maxSkew || d < -v.maxSkew {
		return fmt.Errorf("%w: request time %s differs from server time by %s (limit %s)",
			ErrTimeSkewed, a.Time.UTC().Format(time.RFC3339), d.Round(time.Second), v.maxSkew)
	}
	if err := checkSignedHeaders(r.Header, a); err != nil {
		return err
	}
	if a.PayloadHash == "" && !a.Presigned {
		if err := v.hashBody(r, a); err != nil {
			return err
		}
	}

	key := v.keys.signingKey(secretKey, a.AccessKey, a.Date, a.Region, a.Service)
	var want [sha256.Size]byte
	if !decodeHex(want[:], a.Signature) {
		return fmt.Errorf("%w: signature is not 64 hex digits", ErrSignatureMismatch)
	}

	var stack [1024]byte
	buf := appendCanonicalRequest(stack[:0], r, a)
	sum := sha256.Sum256(buf)
	buf = buf[:hmacBlock]
	buf = append(buf, Algorithm...)
	buf = append(buf, '\n')
	buf = a.Time.UTC().AppendFormat(buf, amzDateLayout)
	buf = append(buf, '\n')
	buf = appendScope(buf, a)
	buf = append(buf, '\n')
	buf = hex.AppendEncode(buf, sum[:])
	got := hmacSHA256(key[:], buf)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return ErrSignatureMismatch
	}
	return nil
}

// hashBody buffers a bounded body, sets a.PayloadHash to its hex SHA-256 and
// gives r a fresh reader over the same bytes.
func (v *Verifier) hashBody(r *http.Request, a *Request) error {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		a.PayloadHash = emptySHA256
		return nil
	}
	if r.ContentLength > v.maxBuffered {
		return fmt.Errorf("%w: %d-byte body without X-Amz-Content-Sha256 (limit %d)", ErrPayloadTooLarge, r.ContentLength, v.maxBuffered)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, v.maxBuffered+1))
	if err != nil {
		return fmt.Errorf("sigv4: reading body to hash it: %w", err)
	}
	if int64(len(data)) > v.maxBuffered {
		return fmt.Errorf("%w: body without X-Amz-Content-Sha256 exceeds %d bytes", ErrPayloadTooLarge, v.maxBuffered)
	}
	sum := sha256.Sum256(data)
	a.PayloadHash = hex.EncodeToString(sum[:])
	r.Body = io.NopCloser(bytes.NewReader(data))
	return nil
}

// appendScope appends the credential scope "date/region/service/aws4_request".
func appendScope(buf []byte, a *Request) []byte {
	buf = append(buf, a.Date...)
	buf = append(buf, '/')
	buf = append(buf, a.Region...)
	buf = append(buf, '/')
	buf = append(buf, a.Service...)
	buf = append(buf, '/')
	return append(buf, scopeTerminator...)
}

// decodeHex decodes the hex string s into dst, which must be exactly
// len(s)/2 bytes long; it reports false for any other length or a non-hex
// digit.
func decodeHex[T string | []byte](dst []byte, s T) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, lo := s[2*i], s[2*i+1]
		if !isHex(hi) || !isHex(lo) {
			return false
		}
		dst[i] = unhex(hi)<<4 | unhex(lo)
	}
	return true
}
