package httpx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// The AWS query protocol (IAM, STS): parameters in the query string and a
// form body, <ActionResponse> documents and <ErrorResponse> errors.

// Errors of ReadQueryParams, which each API maps to its own codes.
var (
	// ErrBodyTooLarge is returned for a body over the limit.
	ErrBodyTooLarge = errors.New("httpx: request body too large")
	// ErrNotForm is returned for a body that is not application/x-www-form-urlencoded.
	ErrNotForm = errors.New("httpx: request body is not a form")
	// ErrBadQuery is returned for a malformed query string.
	ErrBadQuery = errors.New("httpx: malformed query string")
)

// MaxQueryParams is the most parameters a query string (or a form body)
// may hold. Beyond it the request is refused with ErrBadQuery rather than
// read in part: the signature covers every parameter, so a handler must
// see them all or none. Go's net/url has the same default limit, which the
// GODEBUG setting urlmaxqueryparams can change; this one does not move.
const MaxQueryParams = 10000

// ParseQuery parses a query string (or a form body) strictly: more than
// MaxQueryParams '&'-separated fields or a bad %-escape make it fail with
// ErrBadQuery, where url.ParseQuery would drop the offending fields (or,
// past its own limit, all of them) and url.URL.Query would drop them
// silently. A ';' is an ordinary character, as it is to AWS and to SigV4's
// canonical query (url.ParseQuery drops such fields).
func ParseQuery(raw string) (url.Values, error) {
	if raw == "" {
		return url.Values{}, nil
	}
	if n := strings.Count(raw, "&") + 1; n > MaxQueryParams {
		return nil, fmt.Errorf("%w: %d parameters, more than the limit of %d", ErrBadQuery, n, MaxQueryParams)
	}
	params := url.Values{}
	for field := range strings.SplitSeq(raw, "&") {
		if field == "" {
			continue
		}
		k, v, _ := strings.Cut(field, "=")
		k, err := url.QueryUnescape(k)
		if err == nil {
			v, err = url.QueryUnescape(v)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadQuery, err)
		}
		params[k] = append(params[k], v)
	}
	return params, nil
}

// ReadQueryParams returns a query-protocol request's parameters: the query
// string's, with those of a form body (at most limit bytes) replacing any
// of the same name. A query string that ParseQuery refuses fails with
// ErrBadQuery, a body with ErrNotForm.
func ReadQueryParams(r *http.Request, limit int64) (url.Values, error) {
	params, err := ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	if r.Body == nil {
		return params, nil
	}
	body, err := readBody(r, limit)
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: the limit is %d bytes", ErrBodyTooLarge, limit)
	}
	if len(body) == 0 {
		return params, nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !isFormType(ct) {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != formType {
			return nil, fmt.Errorf("%w: the body must be application/x-www-form-urlencoded", ErrNotForm)
		}
	}
	form, err := ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotForm, strings.TrimPrefix(err.Error(), "httpx: "))
	}
	for k, v := range form {
		params[k] = v
	}
	return params, nil
}

const formType = "application/x-www-form-urlencoded"

// isFormType reports whether ct is the form media type as clients send it
// ("application/x-www-form-urlencoded", optionally "; charset=utf-8"),
// without mime.ParseMediaType's maps; other spellings take the slow path.
func isFormType(ct string) bool {
	if len(ct) < len(formType) || !strings.EqualFold(ct[:len(formType)], formType) {
		return false
	}
	rest := ct[len(formType):]
	if rest == "" {
		return true
	}
	if rest[0] != ';' {
		return false
	}
	rest = strings.TrimSpace(rest[1:])
	return rest == "" || strings.EqualFold(rest, "charset=utf-8")
}

// readBody reads at most limit bytes of r's body, and one more to tell
// that it is longer. A declared Content-Length within limit sizes the
// buffer at once.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if n := r.ContentLength; n >= 0 && n <= limit {
		body := make([]byte, n, n+1)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		// Anything past the declared length is net/http's to refuse;
		// a body reader that yields more is read like an unsized one.
		var one [1]byte
		if m, _ := r.Body.Read(one[:]); m == 0 {
			return body, nil
		}
		rest, err := io.ReadAll(io.LimitReader(r.Body, limit-n))
		if err != nil {
			return nil, err
		}
		return append(append(body, one[0]), rest...), nil
	}
	return io.ReadAll(io.LimitReader(r.Body, limit+1))
}

// WriteQueryResult writes <ActionResponse xmlns=...> with result as
// <ActionResult> (none when result is nil) and the request id.
func WriteQueryResult(w http.ResponseWriter, xmlns, action string, result any) {
	if r, ok := result.(XMLAppender); ok {
		d := NewXMLDoc()
		d.Open(action+"Response", "xmlns", xmlns)
		d.Open(action + "Result")
		r.AppendXML(d)
		d.Close(action + "Result")
		d.Open("ResponseMetadata")
		d.Elem("RequestId", w.Header().Get(RequestIDHeader))
		d.Close("ResponseMetadata")
		d.Close(action + "Response")
		WriteBody(w, http.StatusOK, "text/xml", d.Bytes())
		d.Release()
		return
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: xmlns}}}
	err := enc.EncodeToken(root)
	if err == nil && result != nil {
		err = enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}})
	}
	if err == nil {
		err = enc.EncodeElement(struct {
			RequestID string `xml:"RequestId"`
		}{w.Header().Get(RequestIDHeader)}, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}})
	}
	if err == nil {
		err = enc.EncodeToken(root.End())
	}
	if err == nil {
		err = enc.Flush()
	}
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	WriteBody(w, http.StatusOK, "text/xml", buf.Bytes())
}

// FaultType is an error's <Type>: Receiver for server faults, Sender for
// everything the caller can fix.
func FaultType(e *APIError) string {
	if e.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// XMLAppender is a query result that writes its own elements (the hot
// ones, STS's credentials), instead of encoding/xml's reflection.
type XMLAppender interface {
	AppendXML(d *XMLDoc)
}

// WriteQueryError writes e as an <ErrorResponse xmlns=...>.
func WriteQueryError(w http.ResponseWriter, xmlns string, e *APIError) {
	d := NewXMLDoc()
	d.Open("ErrorResponse", "xmlns", xmlns)
	d.Open("Error")
	d.Elem("Type", FaultType(e))
	d.Elem("Code", e.Code)
	d.Elem("Message", e.Message)
	d.Close("Error")
	d.Elem("RequestId", w.Header().Get(RequestIDHeader))
	d.Close("ErrorResponse")
	WriteBody(w, e.Status, "text/xml", d.Bytes())
	d.Release()
}
