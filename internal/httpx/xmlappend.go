package httpx

import (
	"sync"
	"unicode/utf8"
)

// XMLDoc builds a small XML document by appending, without reflection: the
// hot answers (S3's <Error>, STS's credentials) are written this way, where
// encoding/xml would cost more than the rest of the request. Text is
// escaped as encoding/xml escapes it (invalid UTF-8 and characters XML 1.0
// does not allow become U+FFFD).
type XMLDoc struct{ b []byte }

var docPool = sync.Pool{New: func() any { return &XMLDoc{b: make([]byte, 0, 1024)} }}

// NewXMLDoc returns an empty document that starts with the XML header;
// Release gives it back.
func NewXMLDoc() *XMLDoc {
	d := docPool.Get().(*XMLDoc)
	d.b = append(d.b[:0], `<?xml version="1.0" encoding="UTF-8"?>`+"\n"...)
	return d
}

// Release returns d to the pool; d must not be used afterwards.
func (d *XMLDoc) Release() {
	if cap(d.b) <= 64<<10 {
		docPool.Put(d)
	}
}

// Bytes returns the document so far.
func (d *XMLDoc) Bytes() []byte { return d.b }

// Open writes <name> (attrs are written as given: name="value" pairs,
// already escaped).
func (d *XMLDoc) Open(name string, attrs ...string) {
	d.b = append(d.b, '<')
	d.b = append(d.b, name...)
	for i := 0; i+1 < len(attrs); i += 2 {
		d.b = append(d.b, ' ')
		d.b = append(d.b, attrs[i]...)
		d.b = append(d.b, `="`...)
		d.b = appendEscaped(d.b, attrs[i+1])
		d.b = append(d.b, '"')
	}
	d.b = append(d.b, '>')
}

// Close writes </name>.
func (d *XMLDoc) Close(name string) {
	d.b = append(d.b, "</"...)
	d.b = append(d.b, name...)
	d.b = append(d.b, '>')
}

// Elem writes <name>text</name>.
func (d *XMLDoc) Elem(name, text string) {
	d.Open(name)
	d.b = appendEscaped(d.b, text)
	d.Close(name)
}

// ElemIf writes <name>text</name> unless text is empty.
func (d *XMLDoc) ElemIf(name, text string) {
	if text != "" {
		d.Elem(name, text)
	}
}

// plainXML marks the bytes that appendEscaped copies as they are.
var plainXML = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '<' && c != '>' && c != '&' && c != '"' && c != '\''
	}
	return t
}()

// appendEscaped appends s escaped for XML text or an attribute value.
func appendEscaped(b []byte, s string) []byte {
	i := 0
	for i < len(s) && plainXML[s[i]] {
		i++
	}
	if i == len(s) {
		return append(b, s...)
	}
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		var esc string
		width := 1
		switch {
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '&':
			esc = "&amp;"
		case c == '"':
			esc = "&#34;"
		case c == '\'':
			esc = "&#39;"
		case c == '\t':
			esc = "&#x9;"
		case c == '\n':
			esc = "&#xA;"
		case c == '\r':
			esc = "&#xD;"
		case c < 0x20:
			esc = "\uFFFD"
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(s[i:])
			width = n
			if r == utf8.RuneError && n == 1 || !xmlChar(r) {
				esc = "\uFFFD"
			}
		}
		if esc == "" {
			i += width
			continue
		}
		b = append(b, s[last:i]...)
		b = append(b, esc...)
		i += width
		last = i
	}
	return append(b, s[last:]...)
}

// xmlChar reports whether r (at or above U+0080) is a character XML 1.0
// allows.
func xmlChar(r rune) bool {
	return r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
