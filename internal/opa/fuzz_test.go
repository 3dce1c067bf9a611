package opa

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzDecodeResult: decoding OPA's answer fails closed. decodeResult
// allows only when the document's "result" member (spelt exactly so) is
// true, or is an object whose "allow" member is true; every other shape
// is false or an error, and an error is never an allow.
func FuzzDecodeResult(f *testing.F) {
	for _, s := range []string{
		`{"result": true}`,
		`{"result": false}`,
		`{"result": {"allow": true}}`,
		`{"result": {"allow": false, "other": 1}}`,
		`{"decision_id": "4ca4b2b6", "result": true}`,
		`{}`,
		`{"result": null}`,
		`{"result": "true"}`,
		`{"result": 1}`,
		`{"result": [true]}`,
		`{"result": {"allow": "true"}}`,
		`{"result": {"allow": null}}`,
		`{"result": {"x": true}}`,
		`{"result": {"result": true}}`,
		`{"result": true, "result": false}`,
		`{"result": true} {"result": true}`,
		`[{"result": true}]`,
		`true`,
		`null`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		allowed, err := decodeResult(data)
		if err != nil && allowed {
			t.Fatalf("decodeResult(%q) allowed with an error: %v", data, err)
		}
		if allowed && !exactAllow(data) {
			t.Fatalf("decodeResult(%q) allowed a document that is neither {\"result\": true} nor {\"result\": {\"allow\": true}}", data)
		}
	})
}

// exactAllow is the reference: data is one JSON object whose member named
// exactly "result" (the last one, when repeated) is true, or is an object
// whose member named exactly "allow" is true.
func exactAllow(data []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	var doc any
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return false
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return false
	}
	switch r := top["result"].(type) {
	case bool:
		return r
	case map[string]any:
		allow, _ := r["allow"].(bool)
		return allow
	}
	return false
}
