package sigv4

import (
	"bytes"
	"encoding/hex"
	"hash/crc64"
	"strings"
	"sync"
	"testing"
)

func TestHMACSHA256(t *testing.T) {
	for _, keyLen := range []int{0, 1, 32, 63, 64, 65, 200} {
		for _, msgLen := range []int{0, 1, 55, 56, 64, 119, 120, 1000} {
			key := payload(keyLen)
			msg := string(payload(msgLen + 1)[1:])
			got := hmacString(key, msg)
			if want := refHMAC(key, msg); !bytes.Equal(got[:], want) {
				t.Fatalf("key %d bytes, message %d bytes: %x, want %x", keyLen, msgLen, got, want)
			}
		}
	}
}

func TestDeriveSigningKey(t *testing.T) {
	// The example of the AWS General Reference ("derive a signing key").
	got := deriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
	if want := "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"; hex.EncodeToString(got[:]) != want {
		t.Fatalf("signing key %x, want %s", got, want)
	}
	long := strings.Repeat("s", 100) // "AWS4"+secret longer than a block
	got = deriveSigningKey(long, "20240501", "eu-west-1", "s3")
	if want := refSigningKey(long, "20240501", "eu-west-1", "s3"); !bytes.Equal(got[:], want) {
		t.Fatalf("long secret: %x, want %x", got, want)
	}
}

func TestKeyCache_SigningKey(t *testing.T) {
	c := newKeyCache(4)
	k1 := c.signingKey("secret1", "AK", "20240501", "us-east-1", "s3")
	if want := refSigningKey("secret1", "20240501", "us-east-1", "s3"); !bytes.Equal(k1[:], want) {
		t.Fatalf("cached key %x, want %x", k1, want)
	}
	if again := c.signingKey("secret1", "AK", "20240501", "us-east-1", "s3"); again != k1 || c.len() != 1 {
		t.Fatalf("second lookup: %x (cache size %d)", again, c.len())
	}
	// A rotated secret must not reuse the old key.
	k2 := c.signingKey("secret2", "AK", "20240501", "us-east-1", "s3")
	if want := refSigningKey("secret2", "20240501", "us-east-1", "s3"); !bytes.Equal(k2[:], want) {
		t.Fatalf("rotated secret: %x, want %x", k2, want)
	}
	for _, scope := range [][3]string{{"20240502", "us-east-1", "s3"}, {"20240501", "eu-west-1", "s3"}, {"20240501", "us-east-1", "sts"}} {
		k := c.signingKey("secret1", "AK", scope[0], scope[1], scope[2])
		if want := refSigningKey("secret1", scope[0], scope[1], scope[2]); !bytes.Equal(k[:], want) {
			t.Fatalf("scope %v: %x, want %x", scope, k, want)
		}
	}
	for i := range 20 {
		c.signingKey("secret1", "AK"+strings.Repeat("x", i), "20240501", "us-east-1", "s3")
		if c.len() > 4 {
			t.Fatalf("cache holds %d keys, limit 4", c.len())
		}
	}
	var nilCache *keyCache
	if k := nilCache.signingKey("secret1", "AK", "20240501", "us-east-1", "s3"); k != k1 {
		t.Fatalf("uncached key %x, want %x", k, k1)
	}
}

func TestKeyCache_Concurrent(t *testing.T) {
	c := newKeyCache(8)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				secret := "s" + strings.Repeat("x", (g+i)%5)
				k := c.signingKey(secret, "AK", "20240501", "us-east-1", "s3")
				if want := refSigningKey(secret, "20240501", "us-east-1", "s3"); !bytes.Equal(k[:], want) {
					t.Errorf("goroutine %d: wrong key", g)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCRC64NVME_Write(t *testing.T) {
	tab := newCRC64NVMETable()
	h := &crc64NVME{t: tab}
	h.Write([]byte("123456789"))
	if got := h.crc; got != 0xae8b14860a799888 { // CRC-64/NVME check value
		t.Fatalf("check value %#x, want 0xae8b14860a799888", got)
	}
	ref := crc64.MakeTable(crc64NVMEPoly)
	data := payload(10_000)
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 100, 2047, 2048, 10_000} {
		h.Reset()
		h.Write(data[:n/2])
		h.Write(data[n/2 : n])
		if want := crc64.Checksum(data[:n], ref); h.crc != want {
			t.Fatalf("%d bytes: %#x, want %#x", n, h.crc, want)
		}
	}
	if got := h.Sum([]byte{0xff}); len(got) != 9 || got[0] != 0xff {
		t.Fatalf("Sum appended %x", got)
	}
}
