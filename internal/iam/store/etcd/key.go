package etcd

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// keyOf returns the etcd key of (kind, name) under root ("<prefix>iam/").
func keyOf(root string, kind store.Kind, name string) string {
	return kindPrefix(root, kind) + hex.EncodeToString([]byte(name))
}

// kindPrefix returns the common prefix of every key of kind.
func kindPrefix(root string, kind store.Kind) string {
	return root + string(kind) + "/"
}

// parseKey splits a key under root into its kind and name; ok is false for
// keys that this package did not write.
func parseKey(root string, key []byte) (kind store.Kind, name string, ok bool) {
	rest, found := strings.CutPrefix(string(key), root)
	if !found {
		return "", "", false
	}
	k, h, found := strings.Cut(rest, "/")
	if !found || k == "" || h == "" {
		return "", "", false
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return "", "", false
	}
	return store.Kind(k), string(b), true
}

// envelope is the stored form of a record's value and expiry.
type envelope struct {
	Value []byte `json:"v"`
	// Expires is [Unix seconds, nanoseconds]; absent for no expiry. Kept
	// as two integers so that every time.Time survives.
	Expires *[2]int64 `json:"exp,omitempty"`
}

func encode(value []byte, expires time.Time) ([]byte, error) {
	env := envelope{Value: value}
	if value == nil {
		env.Value = []byte{}
	}
	if !expires.IsZero() {
		env.Expires = &[2]int64{expires.Unix(), int64(expires.Nanosecond())}
	}
	return json.Marshal(env)
}

// decode returns the value and expiry of an envelope. The value is a fresh
// slice, the caller's to keep.
func decode(data []byte) (value []byte, expires time.Time, err error) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, time.Time{}, err
	}
	if env.Value == nil {
		return nil, time.Time{}, fmt.Errorf("envelope without a value")
	}
	if e := env.Expires; e != nil {
		if e[1] < 0 || e[1] > 999_999_999 {
			return nil, time.Time{}, fmt.Errorf("expiry nanoseconds %d out of range", e[1])
		}
		expires = time.Unix(e[0], e[1])
	}
	return env.Value, expires, nil
}
