package object

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"strconv"
)

// S3's additional checksum algorithms, as named in x-amz-sdk-checksum-algorithm
// and x-amz-checksum-algorithm.
const (
	ChecksumCRC32     = "CRC32"
	ChecksumCRC32C    = "CRC32C"
	ChecksumCRC64NVME = "CRC64NVME"
	ChecksumSHA1      = "SHA1"
	ChecksumSHA256    = "SHA256"
)

// Checksum types: a checksum of the whole object's bytes, or (multipart
// objects only) the checksum of the parts' concatenated checksums.
const (
	ChecksumFullObject = "FULL_OBJECT"
	ChecksumComposite  = "COMPOSITE"
)

// ChecksumAlgorithms lists the algorithms in the order S3 documents them.
var ChecksumAlgorithms = []string{ChecksumCRC32, ChecksumCRC32C, ChecksumCRC64NVME, ChecksumSHA1, ChecksumSHA256}

// ErrChecksumMismatch is returned when a body, or a multipart object, does
// not match the checksum the client gave for it.
var ErrChecksumMismatch = errors.New("object: checksum mismatch")

// Checksum is an additional checksum stored with an object or a part. The
// zero value means none. Value is base64 of the big-endian digest; a
// composite checksum of a multipart object ends in "-<number of parts>".
// A multipart upload's record holds only Algorithm and Type, the ones
// asked for at CreateMultipartUpload.
type Checksum struct {
	Algorithm string `json:"algorithm,omitempty"`
	Type      string `json:"type,omitempty"`
	Value     string `json:"value,omitempty"`
}

// IsZero reports whether c names no checksum.
func (c Checksum) IsZero() bool { return c == Checksum{} }

// crc64NVME is the CRC-64/NVME table: reflected polynomial
// 0x9a6c9329ac4bc9b5; hash/crc64 applies the initial value and final XOR of
// all ones that CRC-64/NVME specifies.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

var crc32C = crc32.MakeTable(crc32.Castagnoli)

// NewChecksumHash returns a hash computing algorithm, or false for an
// unknown one. Sum appends the digest big-endian, as S3 encodes it.
func NewChecksumHash(algorithm string) (hash.Hash, bool) {
	switch algorithm {
	case ChecksumCRC32:
		return crc32.NewIEEE(), true
	case ChecksumCRC32C:
		return crc32.New(crc32C), true
	case ChecksumCRC64NVME:
		return crc64.New(crc64NVME), true
	case ChecksumSHA1:
		return sha1.New(), true
	case ChecksumSHA256:
		return sha256.New(), true
	}
	return nil, false
}

// ChecksumSize returns the digest length of algorithm in bytes, or 0 for
// an unknown one.
func ChecksumSize(algorithm string) int {
	switch algorithm {
	case ChecksumCRC32, ChecksumCRC32C:
		return 4
	case ChecksumCRC64NVME:
		return 8
	case ChecksumSHA1:
		return sha1.Size
	case ChecksumSHA256:
		return sha256.Size
	}
	return 0
}

// IsCRC reports whether algorithm is one of the CRCs, the only
// algorithms a multipart object can have a FULL_OBJECT checksum with.
func IsCRC(algorithm string) bool {
	return algorithm == ChecksumCRC32 || algorithm == ChecksumCRC32C || algorithm == ChecksumCRC64NVME
}

// ObjectPart describes one part of a completed multipart object.
type ObjectPart struct {
	PartNumber int    `json:"n"`
	Size       int64  `json:"size"`
	Checksum   string `json:"checksum,omitempty"` // base64, the part's checksum of the object's algorithm
}

// MultipartChecksum returns the checksum of a multipart object of the
// given algorithm and type whose parts are parts (in order, each with its
// own checksum of that algorithm). A COMPOSITE checksum is the checksum of
// the concatenated binary part checksums, "-", the number of parts; a
// FULL_OBJECT one (CRCs only) is the CRC of the whole object, combined from
// the parts' CRCs and sizes without reading the data again.
func MultipartChecksum(algorithm, typ string, parts []ObjectPart) (Checksum, error) {
	size := ChecksumSize(algorithm)
	if size == 0 {
		return Checksum{}, fmt.Errorf("object: unknown checksum algorithm %q", algorithm)
	}
	sums := make([][]byte, len(parts))
	for i, p := range parts {
		sum, err := base64.StdEncoding.DecodeString(p.Checksum)
		if err != nil || len(sum) != size {
			return Checksum{}, fmt.Errorf("object: part %d has no %s checksum: %w", p.PartNumber, algorithm, ErrChecksumMismatch)
		}
		sums[i] = sum
	}
	out := Checksum{Algorithm: algorithm, Type: typ}
	switch {
	case typ == ChecksumComposite:
		h, _ := NewChecksumHash(algorithm)
		for _, s := range sums {
			h.Write(s)
		}
		out.Value = base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(parts))
	case typ == ChecksumFullObject && IsCRC(algorithm):
		poly, width := crcPoly(algorithm)
		var crc uint64
		for i, s := range sums {
			part := beUint(s)
			if i == 0 {
				crc = part
				continue
			}
			crc = crcCombine(poly, width, crc, part, parts[i].Size)
		}
		out.Value = base64.StdEncoding.EncodeToString(bePut(crc, size))
	default:
		return Checksum{}, fmt.Errorf("object: no %s checksum of type %q", algorithm, typ)
	}
	return out, nil
}

// crcPoly returns the reflected polynomial and width in bits of a CRC.
func crcPoly(algorithm string) (uint64, int) {
	switch algorithm {
	case ChecksumCRC32:
		return crc32.IEEE, 32
	case ChecksumCRC32C:
		return crc32.Castagnoli, 32
	}
	return 0x9a6c9329ac4bc9b5, 64
}

func beUint(b []byte) uint64 {
	if len(b) == 4 {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

func bePut(v uint64, size int) []byte {
	if size == 4 {
		return binary.BigEndian.AppendUint32(nil, uint32(v))
	}
	return binary.BigEndian.AppendUint64(nil, v)
}

// gf2Times multiplies the width-bit vector vec by the matrix mat over GF(2).
func gf2Times(mat []uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

// gf2Square sets square to mat × mat.
func gf2Square(square, mat []uint64) {
	for n := range mat {
		square[n] = gf2Times(mat, mat[n])
	}
}

// crcCombine returns the CRC of A followed by B from crcA, crcB and the
// length of B, for a reflected CRC whose initial value and final XOR are
// equal (all ones for the CRCs S3 uses), by applying to crcA the operator
// that appends lenB zero bytes (the method of zlib's crc32_combine).
func crcCombine(poly uint64, width int, crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 {
		return crcA
	}
	even := make([]uint64, width) // operator for 2^k zero bits, k even
	odd := make([]uint64, width)  // and odd
	odd[0] = poly                 // one zero bit
	row := uint64(1)
	for n := 1; n < width; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(even, odd) // two zero bits
	gf2Square(odd, even) // four zero bits
	for {
		gf2Square(even, odd) // the first pass: one zero byte
		if lenB&1 != 0 {
			crcA = gf2Times(even, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
		gf2Square(odd, even)
		if lenB&1 != 0 {
			crcA = gf2Times(odd, crcA)
		}
		lenB >>= 1
		if lenB == 0 {
			break
		}
	}
	return crcA ^ crcB
}
