package sigv4

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"hash/crc32"
)

// crc64NVMEPoly is the CRC-64/NVME polynomial 0xAD93D23594C93659 in the
// bit-reversed form used by LSB-first table implementations.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// crc64Table holds the slicing-by-8 tables of CRC-64/NVME (reflected input
// and output, initial value and final XOR all ones). hash/crc64 would build
// such tables again on every large Write for a polynomial other than ISO and
// ECMA, so the Verifier builds them once.
type crc64Table [8][256]uint64

// newCRC64NVMETable computes the CRC-64/NVME tables.
func newCRC64NVMETable() *crc64Table {
	t := new(crc64Table)
	for i := range 256 {
		c := uint64(i)
		for range 8 {
			if c&1 == 1 {
				c = c>>1 ^ crc64NVMEPoly
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for i := range 256 {
		c := t[0][i]
		for j := 1; j < 8; j++ {
			c = t[0][byte(c)] ^ c>>8
			t[j][i] = c
		}
	}
	return t
}

// update returns the CRC of the data checksummed by crc followed by p.
func (t *crc64Table) update(crc uint64, p []byte) uint64 {
	crc = ^crc
	for len(p) >= 8 {
		crc ^= binary.LittleEndian.Uint64(p)
		crc = t[7][byte(crc)] ^ t[6][byte(crc>>8)] ^ t[5][byte(crc>>16)] ^ t[4][byte(crc>>24)] ^
			t[3][byte(crc>>32)] ^ t[2][byte(crc>>40)] ^ t[1][byte(crc>>48)] ^ t[0][byte(crc>>56)]
		p = p[8:]
	}
	for _, b := range p {
		crc = t[0][byte(crc)^b] ^ crc>>8
	}
	return ^crc
}

// crc64NVME is a hash.Hash computing CRC-64/NVME; Sum appends it big-endian,
// the byte order of x-amz-checksum-crc64nvme.
type crc64NVME struct {
	t   *crc64Table
	crc uint64
}

// Write adds p to the checksum; it never fails.
func (h *crc64NVME) Write(p []byte) (int, error) {
	h.crc = h.t.update(h.crc, p)
	return len(p), nil
}

// Sum appends the big-endian checksum to b.
func (h *crc64NVME) Sum(b []byte) []byte { return binary.BigEndian.AppendUint64(b, h.crc) }

// Reset restarts the checksum.
func (h *crc64NVME) Reset() { h.crc = 0 }

// Size returns 8, the checksum's length in bytes.
func (h *crc64NVME) Size() int { return 8 }

// BlockSize returns 1: the checksum takes input of any length.
func (h *crc64NVME) BlockSize() int { return 1 }

// newChecksum returns a hash computing the value of the trailing header
// name (x-amz-checksum-<algorithm>), or false for an unsupported algorithm.
func (v *Verifier) newChecksum(name string) (hash.Hash, bool) {
	switch name {
	case "x-amz-checksum-crc32":
		return crc32.NewIEEE(), true
	case "x-amz-checksum-crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli)), true
	case "x-amz-checksum-sha1":
		return sha1.New(), true
	case "x-amz-checksum-sha256":
		return sha256.New(), true
	case "x-amz-checksum-crc64nvme":
		return &crc64NVME{t: v.crc64()}, true
	}
	return nil, false
}
