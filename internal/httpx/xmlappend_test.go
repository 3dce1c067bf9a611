package httpx

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
)

// FuzzXMLDoc_Elem checks that an element written by XMLDoc reads back as
// encoding/xml reads what it writes itself: the same text.
func FuzzXMLDoc_Elem(f *testing.F) {
	for _, s := range []string{"", "plain", "<&>\"'", "tab\tnl\nsp cr\r", "\x00\x01bad", "é€😀", "\xff\xfe", "\uFFFE\uD7FF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := NewXMLDoc()
		defer d.Release()
		d.Elem("E", s)
		var got struct {
			V string `xml:",chardata"`
		}
		if err := xml.Unmarshal(d.Bytes(), &got); err != nil {
			t.Fatalf("%q: %v", d.Bytes(), err)
		}
		var ref bytes.Buffer
		if err := xml.EscapeText(&ref, []byte(s)); err != nil {
			t.Fatal(err)
		}
		var want struct {
			V string `xml:",chardata"`
		}
		if err := xml.Unmarshal([]byte("<E>"+ref.String()+"</E>"), &want); err != nil {
			t.Fatal(err)
		}
		if got.V != want.V {
			t.Fatalf("%q reads back as %q, encoding/xml's as %q", s, got.V, want.V)
		}
	})
}

func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100000; i++ {
		id := NewRequestID()
		if len(id) != 16 || strings.Trim(id, "0123456789ABCDEF") != "" {
			t.Fatalf("id %q: want 16 upper-case hex digits", id)
		}
		if seen[id] {
			t.Fatalf("id %q repeated after %d", id, i)
		}
		seen[id] = true
	}
}
