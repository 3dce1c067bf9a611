package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestMembers(t *testing.T) {
	many := func(n int, dupAt string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, `"k%d":[1,{"x":"}"}],`, i)
		}
		b.WriteString(`"` + dupAt + `":"\"\\"}`)
		return b.String()
	}
	tests := []struct {
		name  string
		raw   string
		names []string
		dup   string
		err   bool
	}{
		{"empty", ` { } `, nil, "", false},
		{"order kept", `{"b":1,"a":{"c":[2,"]"]},"c":"x\"y"}`, []string{"b", "a", "c"}, "", false},
		{"escaped name", `{"\u0041b":true}`, []string{"Ab"}, "", false},
		{"duplicate", `{"a":1,"b":2,"a":3}`, []string{"a", "b", "a"}, "a", false},
		{"duplicate after many", many(20, "k3"), nil, "k3", false},
		{"no duplicate after many", many(20, "z"), nil, "", false},
		{"not an object", `[1]`, nil, "", true},
		{"string", `"{}"`, nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !json.Valid([]byte(tt.raw)) {
				t.Fatalf("test input is not valid JSON: %s", tt.raw)
			}
			ms, dup, err := members(json.RawMessage(tt.raw))
			if (err != nil) != tt.err {
				t.Fatalf("members err = %v, want error %v", err, tt.err)
			}
			if dup != tt.dup {
				t.Errorf("dup = %q, want %q", dup, tt.dup)
			}
			if tt.names != nil {
				var names []string
				for _, m := range ms {
					names = append(names, m.name)
					if !json.Valid(m.value) {
						t.Errorf("member %q value %s is not valid JSON", m.name, m.value)
					}
				}
				if !reflect.DeepEqual(names, tt.names) {
					t.Errorf("names = %q, want %q", names, tt.names)
				}
			}
		})
	}
}

func TestJSONString(t *testing.T) {
	tests := []struct {
		raw  string
		want string
		ok   bool
	}{
		{`"plain"`, "plain", true},
		{` "spaced" `, "spaced", true},
		{`"esc\"aped\n\u00e9"`, "esc\"aped\né", true},
		{"\"bad\xffutf8\"", "bad\uFFFDutf8", true},
		{`1`, "", false},
		{`null`, "", false},
	}
	for _, tt := range tests {
		got, ok := jsonString(json.RawMessage(tt.raw))
		if got != tt.want || ok != tt.ok {
			t.Errorf("jsonString(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}
