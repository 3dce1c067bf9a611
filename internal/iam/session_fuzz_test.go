package iam

import (
	"bytes"
	"testing"
	"time"
)

// FuzzDecodeSession: decoding never panics, and what decodes re-encodes to
// the same bytes (the encoding is canonical).
func FuzzDecodeSession(f *testing.F) {
	s := &Session{AccessKey: "ASIAEXAMPLE", SecretKey: "secret", Issued: time.Unix(1, 2), Expires: time.Unix(3, 4),
		Parent: "alice", ParentID: "AIDA", Name: "n", Policy: `{"Version":"2012-10-17"}`, Claims: map[string][]string{"sub": {"x"}}}
	f.Add(s.encode())
	f.Add([]byte{sessionFormat})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeSession(b)
		if err != nil {
			return
		}
		if again := got.encode(); !bytes.Equal(again, b) {
			// Claims with duplicate keys or empty value lists are the only
			// non-canonical inputs; they must still decode to something that
			// re-encodes stably.
			if third, err := decodeSession(again); err != nil || !bytes.Equal(third.encode(), again) {
				t.Fatalf("unstable re-encoding")
			}
		}
	})
}
