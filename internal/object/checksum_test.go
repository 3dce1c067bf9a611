package object

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestNewChecksumHash_KnownValues(t *testing.T) {
	check := []byte("123456789")
	for _, tc := range []struct {
		alg  string
		data []byte
		want string // hex
	}{
		{ChecksumCRC32, check, "cbf43926"},
		{ChecksumCRC32C, check, "e3069283"},
		{ChecksumCRC64NVME, check, "ae8b14860a799888"},
		{ChecksumSHA1, check, "f7c3bc1d808e04732adf679965ccc34ca7ae3441"},
		{ChecksumSHA256, check, "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225"},
	} {
		h, ok := NewChecksumHash(tc.alg)
		if !ok {
			t.Fatalf("%s: unknown", tc.alg)
		}
		h.Write(tc.data)
		if got := hex.EncodeToString(h.Sum(nil)); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.alg, got, tc.want)
		}
		if ChecksumSize(tc.alg) != h.Size() {
			t.Errorf("%s: ChecksumSize %d, hash size %d", tc.alg, ChecksumSize(tc.alg), h.Size())
		}
	}
	// The value ceph/s3-tests expects for 1024 bytes of 'A'.
	h, _ := NewChecksumHash(ChecksumCRC64NVME)
	h.Write(bytes.Repeat([]byte("A"), 1024))
	if got := base64.StdEncoding.EncodeToString(h.Sum(nil)); got != "Qeh8oXvGiSo=" {
		t.Errorf("CRC64NVME of 1024 A = %s, want Qeh8oXvGiSo=", got)
	}
}

func sum64(alg string, p []byte) string {
	h, _ := NewChecksumHash(alg)
	h.Write(p)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestMultipartChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 300000)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	cuts := []int{0, 1, 70000, 70001, 250000, len(data)}
	for _, alg := range ChecksumAlgorithms {
		var parts []ObjectPart
		var raw []byte
		for i := 1; i < len(cuts); i++ {
			p := data[cuts[i-1]:cuts[i]]
			parts = append(parts, ObjectPart{PartNumber: i, Size: int64(len(p)), Checksum: sum64(alg, p)})
			v, _ := base64.StdEncoding.DecodeString(parts[len(parts)-1].Checksum)
			raw = append(raw, v...)
		}
		c, err := MultipartChecksum(alg, ChecksumComposite, parts)
		if err != nil {
			t.Fatalf("%s composite: %v", alg, err)
		}
		if want := sum64(alg, raw) + "-" + strconv.Itoa(len(parts)); c.Value != want || c.Type != ChecksumComposite {
			t.Errorf("%s composite = %+v, want %s", alg, c, want)
		}
		c, err = MultipartChecksum(alg, ChecksumFullObject, parts)
		if !IsCRC(alg) {
			if err == nil {
				t.Errorf("%s full object: no error", alg)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s full object: %v", alg, err)
		}
		if want := sum64(alg, data); c.Value != want {
			t.Errorf("%s full object = %s, want %s", alg, c.Value, want)
		}
	}
	if _, err := MultipartChecksum(ChecksumCRC32, ChecksumComposite, []ObjectPart{{PartNumber: 1, Checksum: "bad"}}); err == nil {
		t.Error("a part without a checksum: no error")
	}
}
