package sigv4

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"slices"
	"strings"
)

const (
	// chunkBufferSize is the read buffer of the aws-chunked decoder; it
	// also bounds the length of one chunk header line.
	chunkBufferSize = 16 << 10
	// maxTrailerSection bounds the bytes after the final chunk header
	// (trailing headers and their signature).
	maxTrailerSection = 16 << 10
	// chunkSignaturePrefix starts the extension of a signed chunk header.
	chunkSignaturePrefix = "chunk-signature="
	// trailerSignatureName is the trailing header that signs the others.
	trailerSignatureName = "x-amz-trailer-signature"
)

// Body returns a reader over the request's payload that enforces a's
// payload hash, and the payload's decoded size:
//
//   - a hex SHA-256 PayloadHash: the body, whose Read returns
//     ErrContentSHA256Mismatch instead of io.EOF if the hash differs;
//   - UnsignedPayload: the body as is;
//   - StreamingPayload: the decoded aws-chunked body; every chunk signature
//     is checked, chained from a.Signature (ErrChunkSignatureMismatch);
//   - StreamingPayloadTrailer and StreamingUnsignedPayloadTrailer: the
//     decoded aws-chunked body (chunk signatures checked for the first), and
//     at its end the trailing headers listed in X-Amz-Trailer, with the
//     trailer signature checked for the signed variant and every
//     x-amz-checksum-{crc32,crc32c,sha1,sha256,crc64nvme} compared with the
//     decoded bytes (ErrChecksumMismatch);
//   - anything else: ErrInvalidPayloadHash.
//
// size is X-Amz-Decoded-Content-Length for aws-chunked bodies (which must be
// present and numeric, else ErrMalformedChunk), else r.ContentLength (which
// may be -1). A decoder returns ErrMalformedChunk for bad framing, a
// truncated body, or a decoded length other than the declared one.
//
// Bytes are handed out before the chunk (or whole body) they belong to is
// verified: io.EOF is returned only once everything checked out, so a
// consumer must discard what it read whenever Read fails with anything else.
// The aws-chunked reader also has a method Trailer() http.Header that returns
// the trailing headers once Read has returned io.EOF.
func (v *Verifier) Body(r *http.Request, a *Request, secretKey string) (body io.Reader, size int64, err error) {
	if a == nil {
		return nil, 0, ErrNoAuth
	}
	var in io.Reader = http.NoBody
	if r.Body != nil {
		in = r.Body
	}
	switch a.PayloadHash {
	case UnsignedPayload:
		return in, r.ContentLength, nil
	case StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer:
		decoded := firstHeader(r.Header, "X-Amz-Decoded-Content-Length")
		size, ok := parseDigits(decoded)
		if !ok {
			return nil, 0, fmt.Errorf("%w: X-Amz-Decoded-Content-Length %.40q is missing or not a number", ErrMalformedChunk, decoded)
		}
		cr, err := v.newChunkedReader(in, size, r, a, secretKey)
		if err != nil {
			return nil, 0, err
		}
		return cr, size, nil
	}
	hr := &hashReader{r: in, h: sha256.New()}
	if !decodeHex(hr.want[:], a.PayloadHash) {
		return nil, 0, fmt.Errorf("%w: %.80q", ErrInvalidPayloadHash, a.PayloadHash)
	}
	return hr, r.ContentLength, nil
}

// hashReader passes a body through and checks its SHA-256 at EOF.
type hashReader struct {
	r    io.Reader
	h    hash.Hash
	want [sha256.Size]byte
	err  error
}

// Read reads from the body; at its end it returns io.EOF only if the body's
// SHA-256 is the expected one, and ErrContentSHA256Mismatch otherwise.
func (h *hashReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	if err == io.EOF {
		var sum [sha256.Size]byte
		if !bytes.Equal(h.h.Sum(sum[:0]), h.want[:]) {
			err = ErrContentSHA256Mismatch
		}
	}
	if err != nil {
		h.err = err
	}
	return n, err
}

// Decoder states.
const (
	stateHeader  = iota // next: a chunk header line
	stateData           // inside a chunk's data
	stateDataEnd        // after a chunk's data: CRLF, then the chunk signature check
	stateDone           // everything verified: io.EOF
)

// namedChecksum is a trailing checksum header and the hash computing it.
type namedChecksum struct {
	name string
	h    hash.Hash
}

// chunkedReader decodes an aws-chunked body:
//
//	<hex size>[;chunk-signature=<64 hex>]\r\n<size bytes>\r\n ... 0[;chunk-signature=...]\r\n
//
// followed by "\r\n" or by trailing "name:value" lines, an optional
// x-amz-trailer-signature line, and an empty line.
type chunkedReader struct {
	br        *bufio.Reader
	signed    bool     // every chunk carries a chunk signature
	trailers  bool     // trailing headers may follow the final chunk
	declared  int64    // X-Amz-Decoded-Content-Length
	announced int64    // sum of the chunk sizes read so far
	chunkLeft int64    // data bytes of the current chunk not yet read
	chunks    int      // chunks completed, for error messages
	state     int      // one of the state constants
	err       error    // sticky error
	expected  []string // trailing header names declared in X-Amz-Trailer
	sums      []namedChecksum
	trailer   http.Header

	// Signature chain (signed variants only).
	key       [sha256.Size]byte
	dateScope []byte                // "<amz date>\n<scope>\n"
	prevSig   [2 * sha256.Size]byte // hex signature of the previous chunk
	chunkSig  [sha256.Size]byte     // signature claimed by the current chunk
	sha       hash.Hash             // SHA-256 of the current chunk's data
	scratch   []byte                // string-to-sign buffer with HMAC prefix
}

// newChunkedReader returns a decoder of the aws-chunked body in.
func (v *Verifier) newChunkedReader(in io.Reader, declared int64, r *http.Request, a *Request, secretKey string) (*chunkedReader, error) {
	c := &chunkedReader{
		br:       bufio.NewReaderSize(in, chunkBufferSize),
		signed:   a.PayloadHash != StreamingUnsignedPayloadTrailer,
		trailers: a.PayloadHash != StreamingPayload,
		declared: declared,
	}
	if c.trailers {
		for _, hv := range r.Header["X-Amz-Trailer"] {
			for name := range strings.SplitSeq(hv, ",") {
				name = strings.ToLower(strings.TrimSpace(name))
				if name == "" {
					continue
				}
				c.expected = append(c.expected, name)
				if !strings.HasPrefix(name, "x-amz-checksum-") {
					continue
				}
				h, ok := v.newChecksum(name)
				if !ok {
					return nil, fmt.Errorf("%w: unsupported trailing checksum %.40q", ErrMalformedChunk, name)
				}
				c.sums = append(c.sums, namedChecksum{name: name, h: h})
			}
		}
	}
	if c.signed {
		if len(a.Signature) != len(c.prevSig) || !decodeHex(c.chunkSig[:], a.Signature) {
			return nil, fmt.Errorf("%w: seed signature is not 64 hex digits", ErrChunkSignatureMismatch)
		}
		copy(c.prevSig[:], strings.ToLower(a.Signature))
		c.key = v.keys.signingKey(secretKey, a.AccessKey, a.Date, a.Region, a.Service)
		c.dateScope = a.Time.UTC().AppendFormat(nil, amzDateLayout)
		c.dateScope = append(c.dateScope, '\n')
		c.dateScope = appendScope(c.dateScope, a)
		c.dateScope = append(c.dateScope, '\n')
		c.sha = sha256.New()
		c.scratch = make([]byte, hmacBlock, hmacBlock+256+len(c.dateScope))
	}
	return c, nil
}

// Trailer returns the trailing headers of the body once Read has returned
// io.EOF, and nil before.
func (c *chunkedReader) Trailer() http.Header {
	if c.state != stateDone {
		return nil
	}
	return c.trailer
}

// Read returns decoded payload bytes. It returns io.EOF only after the
// final chunk, every chunk signature, the decoded length and the trailing
// headers have been verified.
func (c *chunkedReader) Read(p []byte) (int, error) {
	for {
		if c.err != nil {
			return 0, c.err
		}
		switch c.state {
		case stateDone:
			return 0, io.EOF
		case stateHeader:
			c.err = c.readHeader()
		case stateDataEnd:
			c.err = c.endChunk()
		case stateData:
			if len(p) == 0 {
				return 0, nil
			}
			if int64(len(p)) > c.chunkLeft {
				p = p[:c.chunkLeft]
			}
			n, err := c.br.Read(p)
			if n > 0 {
				if c.signed {
					c.sha.Write(p[:n])
				}
				for _, s := range c.sums {
					s.h.Write(p[:n])
				}
				c.chunkLeft -= int64(n)
				if c.chunkLeft == 0 {
					c.state = stateDataEnd
				}
			}
			if err != nil && c.chunkLeft > 0 {
				c.err = c.readError(err, "chunk data")
			}
			if n > 0 {
				return n, nil
			}
		}
	}
}

// readError turns an error of the underlying body into the decoder's error:
// an early end is ErrMalformedChunk, anything else is passed on.
func (c *chunkedReader) readError(err error, where string) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: body truncated in %s after %d chunks", ErrMalformedChunk, where, c.chunks)
	}
	return fmt.Errorf("sigv4: reading aws-chunked body: %w", err)
}

// readLine returns the next CRLF-terminated line without its CRLF.
func (c *chunkedReader) readLine(where string) ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, fmt.Errorf("%w: %s longer than %d bytes", ErrMalformedChunk, where, chunkBufferSize)
	case err != nil:
		return nil, c.readError(err, where)
	case len(line) < 2 || line[len(line)-2] != '\r':
		return nil, fmt.Errorf("%w: %s not terminated by CRLF", ErrMalformedChunk, where)
	}
	return line[:len(line)-2], nil
}

// readHeader reads a chunk header and moves to its data, or, for the final
// zero-size chunk, verifies the end of the body.
func (c *chunkedReader) readHeader() error {
	line, err := c.readLine("chunk header")
	if err != nil {
		return err
	}
	sizeHex, ext, hasExt := bytes.Cut(line, []byte{';'})
	if len(sizeHex) == 0 || len(sizeHex) > 16 {
		return fmt.Errorf("%w: chunk %d: bad chunk size", ErrMalformedChunk, c.chunks+1)
	}
	var size uint64
	for _, d := range sizeHex {
		if !isHex(d) {
			return fmt.Errorf("%w: chunk %d: bad chunk size", ErrMalformedChunk, c.chunks+1)
		}
		size = size<<4 | uint64(unhex(d))
	}
	if c.signed {
		if !hasExt || !bytes.HasPrefix(ext, []byte(chunkSignaturePrefix)) ||
			!decodeHex(c.chunkSig[:], ext[len(chunkSignaturePrefix):]) {
			return fmt.Errorf("%w: chunk %d: missing or malformed chunk-signature", ErrMalformedChunk, c.chunks+1)
		}
	}
	if size > uint64(c.declared-c.announced) {
		return fmt.Errorf("%w: chunk %d: chunks exceed X-Amz-Decoded-Content-Length %d", ErrMalformedChunk, c.chunks+1, c.declared)
	}
	c.announced += int64(size)
	if size == 0 {
		return c.finish()
	}
	c.chunkLeft = int64(size)
	c.state = stateData
	return nil
}

// endChunk consumes the CRLF after a chunk's data and checks its signature.
func (c *chunkedReader) endChunk() error {
	line, err := c.readLine("chunk data")
	if err != nil {
		return err
	}
	if len(line) != 0 {
		return fmt.Errorf("%w: chunk %d: data longer than its declared size", ErrMalformedChunk, c.chunks+1)
	}
	if err := c.verifyChunk(); err != nil {
		return err
	}
	c.chunks++
	c.state = stateHeader
	return nil
}

// verifyChunk checks the current chunk's signature (signed variants) and
// makes it the previous signature of the chain.
func (c *chunkedReader) verifyChunk() error {
	if !c.signed {
		return nil
	}
	var sum [sha256.Size]byte
	c.sha.Sum(sum[:0])
	c.sha.Reset()
	buf := append(c.scratch[:hmacBlock], "AWS4-HMAC-SHA256-PAYLOAD\n"...)
	buf = append(buf, c.dateScope...)
	buf = append(buf, c.prevSig[:]...)
	buf = append(buf, '\n')
	buf = append(buf, emptySHA256...)
	buf = append(buf, '\n')
	buf = hex.AppendEncode(buf, sum[:])
	c.scratch = buf
	got := hmacSHA256(c.key[:], buf)
	if subtle.ConstantTimeCompare(got[:], c.chunkSig[:]) != 1 {
		return fmt.Errorf("%w: chunk %d", ErrChunkSignatureMismatch, c.chunks+1)
	}
	hex.Encode(c.prevSig[:], got[:])
	return nil
}

// finish handles the final chunk: its signature, the decoded length, and
// the trailing section up to the end of the body.
func (c *chunkedReader) finish() error {
	if err := c.verifyChunk(); err != nil {
		return err
	}
	rest, err := io.ReadAll(io.LimitReader(c.br, maxTrailerSection+1))
	if err != nil {
		return c.readError(err, "trailer")
	}
	if len(rest) > maxTrailerSection {
		return fmt.Errorf("%w: more than %d bytes after the final chunk", ErrMalformedChunk, maxTrailerSection)
	}
	if c.announced != c.declared {
		return fmt.Errorf("%w: decoded %d bytes, X-Amz-Decoded-Content-Length is %d", ErrMalformedChunk, c.announced, c.declared)
	}
	if err := c.parseTrailers(rest); err != nil {
		return err
	}
	c.state = stateDone
	return nil
}

// parseTrailers checks the bytes after the final chunk header: lines ending
// in "\n" or "\r\n", the last one empty. Empty lines in between are
// tolerated (minio-go writes one before x-amz-trailer-signature); every
// other line is a "name:value" trailing header.
func (c *chunkedReader) parseTrailers(rest []byte) error {
	if !bytes.HasSuffix(rest, []byte("\n")) {
		return fmt.Errorf("%w: body does not end with an empty line after the final chunk", ErrMalformedChunk)
	}
	lines := bytes.Split(rest[:len(rest)-1], []byte("\n"))
	if len(bytes.TrimSuffix(lines[len(lines)-1], []byte("\r"))) != 0 {
		return fmt.Errorf("%w: body does not end with an empty line after the final chunk", ErrMalformedChunk)
	}
	var canonical []byte
	var sigHex []byte
	for _, line := range lines {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			continue
		}
		if !c.trailers {
			return fmt.Errorf("%w: data after the final chunk", ErrMalformedChunk)
		}
		rawName, rawValue, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			return fmt.Errorf("%w: trailing header line is not name:value", ErrMalformedChunk)
		}
		name := strings.ToLower(string(bytes.TrimSpace(rawName)))
		value := string(bytes.TrimSpace(rawValue))
		if name == trailerSignatureName && c.signed {
			if sigHex != nil {
				return fmt.Errorf("%w: duplicate %s", ErrMalformedChunk, trailerSignatureName)
			}
			sigHex = []byte(value)
			continue
		}
		if sigHex != nil {
			return fmt.Errorf("%w: trailing header after %s", ErrMalformedChunk, trailerSignatureName)
		}
		if !slices.Contains(c.expected, name) {
			return fmt.Errorf("%w: trailing header %.40q not declared in X-Amz-Trailer", ErrMalformedChunk, name)
		}
		if c.trailer == nil {
			c.trailer = make(http.Header, len(c.expected))
		}
		key := http.CanonicalHeaderKey(name)
		if _, dup := c.trailer[key]; dup {
			return fmt.Errorf("%w: duplicate trailing header %.40q", ErrMalformedChunk, name)
		}
		c.trailer[key] = []string{value}
		canonical = append(canonical, name...)
		canonical = append(canonical, ':')
		canonical = append(canonical, value...)
		canonical = append(canonical, '\n')
	}
	for _, name := range c.expected {
		if _, ok := c.trailer[http.CanonicalHeaderKey(name)]; !ok {
			return fmt.Errorf("%w: trailing header %.40q declared in X-Amz-Trailer is missing", ErrMalformedChunk, name)
		}
	}
	if c.signed && c.trailers {
		if err := c.verifyTrailer(canonical, sigHex); err != nil {
			return err
		}
	}
	for _, s := range c.sums {
		want, err := base64.StdEncoding.DecodeString(c.trailer.Get(s.name))
		if err != nil || !bytes.Equal(want, s.h.Sum(nil)) {
			return fmt.Errorf("%w: %s", ErrChecksumMismatch, s.name)
		}
	}
	return nil
}

// verifyTrailer checks x-amz-trailer-signature over the canonical trailing
// headers ("name:value\n" each, in the order sent).
func (c *chunkedReader) verifyTrailer(canonical, sigHex []byte) error {
	if sigHex == nil {
		return fmt.Errorf("%w: missing %s", ErrMalformedChunk, trailerSignatureName)
	}
	var want [sha256.Size]byte
	if !decodeHex(want[:], sigHex) {
		return fmt.Errorf("%w: %s is not 64 hex digits", ErrMalformedChunk, trailerSignatureName)
	}
	sum := sha256.Sum256(canonical)
	buf := append(c.scratch[:hmacBlock], "AWS4-HMAC-SHA256-TRAILER\n"...)
	buf = append(buf, c.dateScope...)
	buf = append(buf, c.prevSig[:]...)
	buf = append(buf, '\n')
	buf = hex.AppendEncode(buf, sum[:])
	c.scratch = buf
	got := hmacSHA256(c.key[:], buf)
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return fmt.Errorf("%w: trailer signature", ErrChunkSignatureMismatch)
	}
	return nil
}
