package policy

import (
	"unicode/utf8"
)

// MarshalJSON returns the policy in canonical form: compact JSON with the
// elements in the order Version, Id, Statement and, in each statement,
// Sid, Effect, Principal/NotPrincipal, Action/NotAction,
// Resource/NotResource, Condition. Everything else is kept as written:
// which elements were present, the string-or-list shape of each element,
// the order of statements, condition operators, keys and values, and each
// condition value's JSON type. Whitespace, escapes and unknown-but-equal
// spellings are not kept. Parsing the result yields an equivalent Policy
// (the fuzz test checks this).
func (p *Policy) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	w := jsonWriter{b: make([]byte, 0, 256)}
	w.open('{')
	if p.version != "" {
		w.key("Version")
		w.str(p.version)
	}
	if p.hasID {
		w.key("Id")
		w.str(p.id)
	}
	w.key("Statement")
	if p.statementList || len(p.statements) != 1 {
		w.open('[')
		for i := range p.statements {
			w.elem()
			p.statements[i].marshal(&w)
		}
		w.close(']')
	} else {
		p.statements[0].marshal(&w)
	}
	w.close('}')
	return w.b, nil
}

// marshal writes the statement as a JSON object.
func (s *statement) marshal(w *jsonWriter) {
	w.open('{')
	if s.hasSid {
		w.key("Sid")
		w.str(s.sid)
	}
	w.key("Effect")
	if s.deny {
		w.str("Deny")
	} else {
		w.str("Allow")
	}
	if s.principalElem != "" {
		w.key(s.principalElem)
		if s.principal.star {
			w.str("*")
		} else {
			w.open('{')
			for _, m := range s.principal.members {
				w.key(m)
				switch m {
				case "AWS":
					w.strList(s.principal.aws)
				case "Federated":
					w.strList(s.principal.federated)
				case "Service":
					w.strList(s.principal.service)
				}
			}
			w.close('}')
		}
	}
	if s.notAction {
		w.key("NotAction")
	} else {
		w.key("Action")
	}
	w.strList(s.actionSrc)
	if !s.anyResource {
		if s.notResource {
			w.key("NotResource")
		} else {
			w.key("Resource")
		}
		w.strList(s.resourceSrc)
	}
	if s.hasCondition {
		w.key("Condition")
		w.open('{')
		for i := 0; i < len(s.conditions); {
			op := s.conditions[i].op
			w.key(op)
			w.open('{')
			for ; i < len(s.conditions) && s.conditions[i].op == op; i++ {
				c := s.conditions[i]
				w.key(c.key)
				if c.list {
					w.open('[')
				}
				for _, v := range c.values {
					w.elem()
					if v.kind == kindString {
						w.str(v.s)
					} else {
						w.raw(v.s) // a JSON number's text, true or false
					}
				}
				if c.list {
					w.close(']')
				}
			}
			w.close('}')
		}
		w.close('}')
	}
	w.close('}')
}

// jsonWriter appends compact JSON to b, inserting commas between the
// members of objects and the elements of arrays.
type jsonWriter struct {
	b     []byte
	comma bool // the next key or element needs a leading comma
}

func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.comma = false
}

func (w *jsonWriter) close(c byte) {
	w.b = append(w.b, c)
	w.comma = true
}

// key writes an object member's name and colon.
func (w *jsonWriter) key(k string) {
	w.elem()
	w.str(k)
	w.b = append(w.b, ':')
	w.comma = false
}

// elem writes the comma before an array element (or member) when needed.
func (w *jsonWriter) elem() {
	if w.comma {
		w.b = append(w.b, ',')
	}
	w.comma = false
}

func (w *jsonWriter) raw(s string) {
	w.b = append(w.b, s...)
	w.comma = true
}

func (w *jsonWriter) strList(l strList) {
	if !l.list && len(l.vals) == 1 {
		w.str(l.vals[0])
		return
	}
	w.open('[')
	for _, v := range l.vals {
		w.elem()
		w.str(v)
	}
	w.close(']')
}

// str writes s as a JSON string.
func (w *jsonWriter) str(s string) {
	const hex = "0123456789abcdef"
	b := append(w.b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	w.b = append(b, '"')
	w.comma = true
}
