package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

func newKey(t testing.TB, id byte) Key {
	var k Key
	k.ID[0] = id
	if _, err := rand.Read(k.Secret[:]); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSeal_RoundTrip(t *testing.T) {
	k := newKey(t, 1)
	for _, n := range []int{0, 1, 100, 4000} {
		plain := bytes.Repeat([]byte{'p'}, n)
		tok, err := Seal(k, plain, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		id, err := KeyID(tok)
		if err != nil || id != k.ID {
			t.Fatalf("KeyID = %x, %v; want %x", id, err, k.ID)
		}
		got, err := Open(k, tok)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("Open(%d bytes) = %d bytes, %v", n, len(got), err)
		}
		if strings.ContainsAny(tok, "+/=") {
			t.Fatalf("token is not base64url without padding: %q", tok)
		}
	}
}

func TestOpen_Rejects(t *testing.T) {
	k := newKey(t, 1)
	other := newKey(t, 2)
	sameID := newKey(t, 1)
	tok, _ := Seal(k, []byte("the session"), rand.Reader)
	flip := func(i int) string {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct {
		name  string
		key   Key
		token string
		want  error
	}{
		{"other key", other, tok, ErrInvalid},
		{"same id, other secret", sameID, tok, ErrInvalid},
		{"flipped key id", k, flip(3), ErrInvalid},
		{"flipped nonce", k, flip(15), ErrInvalid},
		{"flipped ciphertext", k, flip(len(tok) - 20), ErrInvalid},
		{"flipped tag", k, flip(len(tok) - 2), ErrInvalid},
		{"truncated", k, tok[:len(tok)-4], ErrInvalid},
		{"too short", k, tok[:20], ErrMalformed},
		{"empty", k, "", ErrMalformed},
		{"not base64", k, strings.Repeat("!", 80), ErrMalformed},
		{"version 2", k, "Ag" + tok[2:], ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Open(tt.key, tt.token); !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzOpen(f *testing.F) {
	var k Key
	k.ID[0] = 7
	good, _ := Seal(k, []byte("seed session"), rand.Reader)
	f.Add(good)
	f.Add(good[:30])
	f.Add("")
	f.Add("AQAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		_, _ = KeyID(tok)
		plain, err := Open(k, tok)
		if err == nil && tok != good && !bytes.Equal(plain, []byte("seed session")) {
			t.Fatalf("forged token opened: %q", tok)
		}
	})
}
