package httpx

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIsFormType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/x-www-form-urlencoded":                 true,
		"application/x-www-form-urlencoded; charset=utf-8":  true,
		"Application/X-WWW-Form-Urlencoded;charset=UTF-8":   true,
		"application/x-www-form-urlencoded; charset=latin1": false, // the slow path decides
		"application/x-www-form-urlencodedx":                false,
		"application/json":                                  false,
		"application/x-www-form":                            false,
		"":                                                  false,
	} {
		if got := isFormType(ct); got != want {
			t.Errorf("isFormType(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestReadBody(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		declare int64 // Content-Length; -1 unknown
		limit   int64
		want    string
		wantErr error
	}{
		{"declared", "a=1&b=2", 7, 100, "a=1&b=2", nil},
		{"unknown length", "a=1&b=2", -1, 100, "a=1&b=2", nil},
		{"declared at the limit", "abcd", 4, 4, "abcd", nil},
		{"declared above the limit", "abcde", 5, 4, "abcde", nil}, // limit+1 bytes: the caller refuses
		{"longer than declared", "abcdef", 3, 4, "abcde", nil},
		{"shorter than declared", "ab", 5, 100, "", io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", io.NopCloser(strings.NewReader(tc.body)))
			r.ContentLength = tc.declare
			got, err := readBody(r, tc.limit)
			if !errors.Is(err, tc.wantErr) || (err == nil && string(got) != tc.want) {
				t.Fatalf("readBody = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
