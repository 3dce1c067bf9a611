package awsquery

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// problemShape is one violation as AWS words it.
var problemShape = regexp.MustCompile(`^Value (null|'(?s:.*)') at '[^']*' failed to satisfy constraint: Member must .+$`)

// checkValidation fails unless p holds want problems, and its error, on
// the wire, is a ValidationError whose message counts them in AWS's words.
func checkValidation(t *testing.T, p *Params, want int) {
	t.Helper()
	if len(p.problems) != want {
		t.Fatalf("%d problems, want %d: %q", len(p.problems), want, p.problems)
	}
	err := p.Err()
	if want == 0 {
		if err != nil {
			t.Fatalf("no problem, but error %v", err)
		}
		return
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "ValidationError" || apiErr.Status != http.StatusBadRequest {
		t.Fatalf("error %v is not a 400 ValidationError", err)
	}
	noun := "errors"
	if want == 1 {
		noun = "error"
	}
	head := fmt.Sprintf("%d validation %s detected: ", want, noun)
	if !strings.HasPrefix(apiErr.Message, head) {
		t.Fatalf("message %q does not start with %q", apiErr.Message, head)
	}
	for _, problem := range p.problems {
		if !problemShape.MatchString(problem) {
			t.Fatalf("problem %q is not in AWS's words", problem)
		}
	}
	// The message survives the trip through an <ErrorResponse>.
	rec := httptest.NewRecorder()
	httpx.WriteQueryError(rec, "https://iam.amazonaws.com/doc/2010-05-08/", apiErr)
	var doc struct {
		Error struct{ Type, Code, Message string }
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("the error does not write as XML: %v\n%s", err, rec.Body.Bytes())
	}
	if doc.Error.Code != "ValidationError" || doc.Error.Type != "Sender" || !strings.HasPrefix(doc.Error.Message, head) {
		t.Fatalf("wire error %+v", doc.Error)
	}
}

// patterns are anchored expressions of the kind the IAM and STS handlers
// check names and ARNs with.
var patterns = []*regexp.Regexp{
	regexp.MustCompile(`^[\w+=,.@-]+$`),
	regexp.MustCompile(`^[\w+=,.@-]*$`),
	regexp.MustCompile(`^arn:aws:iam::(aws|\d{12}):policy/(?:[\w+=,.@/-]*/)?([\w+=,.@-]+)$`),
	regexp.MustCompile(`^(/|/[!-~]+/)$`), // an IAM path
}

// FuzzParams runs every validator of Params on a fuzzed value. Properties:
// none panics; Int and Duration accept exactly the integers within their
// bounds; Length counts characters (runes) and accepts exactly the values
// within its bounds; Pattern accepts exactly the matches; each refusal
// adds one problem, an accepted or absent value none; and Err is a
// ValidationError in AWS's words that survives the wire.
func FuzzParams(f *testing.F) {
	f.Add("DurationSeconds", "900", int64(900), int64(43200), 1, 64)
	f.Add("DurationSeconds", "899", int64(900), int64(43200), 1, 64)
	f.Add("MaxItems", "-0", int64(1), int64(1000), 1, 128)
	f.Add("MaxItems", "+5", int64(1), int64(1000), 0, 0)
	f.Add("MaxItems", "9223372036854775808", int64(-9223372036854775808), int64(9223372036854775807), 1, 1)
	f.Add("UserName", "alice@example.com", int64(0), int64(0), 1, 64)
	f.Add("UserName", "", int64(0), int64(0), 1, 64)
	f.Add("UserName", strings.Repeat("é", 200), int64(0), int64(0), 1, 128)
	f.Add("UserName", "\xff\xfe'\x00<&>", int64(0), int64(0), 2, 3)
	f.Add("PolicyArn", "arn:aws:iam::aws:policy/path/ReadOnly", int64(0), int64(0), 20, 2048)
	f.Add("", "x", int64(5), int64(1), -1, -2)
	f.Fuzz(func(t *testing.T, name, value string, lo, hi int64, minLen, maxLen int) {
		given := url.Values{name: {value}}

		// Int.
		p := &Params{values: given}
		n, ok := p.Int(name, lo, hi)
		parsed, perr := strconv.ParseInt(value, 10, 64)
		wantOK := value != "" && perr == nil && parsed >= lo && parsed <= hi
		if ok != wantOK || ok && n != parsed || !ok && n != 0 {
			t.Fatalf("Int(%q, %d, %d) = %d, %v", value, lo, hi, n, ok)
		}
		checkValidation(t, p, map[bool]int{true: 0, false: 1}[ok])

		// Absent parameters are no problem; Required ones are.
		p = &Params{values: url.Values{}}
		if _, ok := p.Int(name, lo, hi); ok {
			t.Fatal("Int of an absent parameter")
		}
		checkValidation(t, p, 0)
		if s := p.Required(name); s != "" {
			t.Fatalf("Required of an absent parameter = %q", s)
		}
		checkValidation(t, p, 1)

		// Length, in characters.
		p = &Params{values: given}
		runes := utf8.RuneCountInString(value)
		if ok := p.Length(MemberName(name), value, minLen, maxLen); ok != (runes >= minLen && runes <= maxLen) {
			t.Fatalf("Length(%q: %d runes, %d, %d) = %v", value, runes, minLen, maxLen, ok)
		}
		checkValidation(t, p, map[bool]int{true: 0, false: 1}[runes >= minLen && runes <= maxLen])

		// Pattern.
		for _, re := range patterns {
			p = &Params{values: given}
			if ok := p.Pattern(MemberName(name), value, re); ok != re.MatchString(value) {
				t.Fatalf("Pattern(%q, %s) = %v", value, re, ok)
			}
			checkValidation(t, p, map[bool]int{true: 0, false: 1}[re.MatchString(value)])
		}

		// Duration: whole seconds between the bounds, for the bounds the
		// STS actions use.
		for _, b := range [][2]time.Duration{{15 * time.Minute, 12 * time.Hour}, {15 * time.Minute, 7 * 24 * time.Hour}} {
			p = &Params{values: given}
			d := p.Duration(MemberName(name), value, b[0], b[1])
			if inRange := perr == nil && parsed >= int64(b[0]/time.Second) && parsed <= int64(b[1]/time.Second); inRange {
				if d != time.Duration(parsed)*time.Second {
					t.Fatalf("Duration(%q) = %v", value, d)
				}
				checkValidation(t, p, 0)
			} else {
				if d != 0 {
					t.Fatalf("Duration(%q) out of range = %v", value, d)
				}
				checkValidation(t, p, 1)
			}
		}

		// Every validator together: one ValidationError listing them all.
		p = &Params{values: given}
		p.Int(name, lo, hi)
		p.Length(MemberName(name), value, minLen, maxLen)
		p.Bool(name)
		p.Enum(name, "", "a", "b")
		p.Duration(MemberName(name), value, time.Second, time.Hour)
		checkValidation(t, p, len(p.problems))
		if got := Quote(value); utf8.RuneCountInString(got) > 128+5 {
			t.Fatalf("Quote kept %d characters", utf8.RuneCountInString(got))
		}
	})
}

// FuzzServe sends fuzzed unsigned (or badly signed) requests through the
// query-protocol serve sequence, to an action that reads and validates its
// parameters. Properties: the answer is a 200 <EchoResponse> or a 4xx
// <ErrorResponse> of Type Sender, never a server fault; and what the action
// echoes passed validation.
func FuzzServe(f *testing.F) {
	f.Add("POST", "", []byte("Action=Echo&Version=2011-06-15&UserName=alice&DurationSeconds=3600"), "application/x-www-form-urlencoded", "")
	f.Add("GET", "Action=Echo&Version=2011-06-15&UserName=bob&MaxItems=10&Flag=true", []byte(nil), "", "")
	f.Add("POST", "Action=Echo", []byte("Version=2011-06-15&UserName="), "", "")
	f.Add("POST", "Action=Echo&Version=2010-05-08", []byte(""), "", "")
	f.Add("POST", "Version=2011-06-15", []byte("Action=Other"), "", "")
	f.Add("PUT", "", []byte("Action=Echo&Version=2011-06-15"), "", "")
	f.Add("POST", "%", []byte("Action=Echo&Version=2011-06-15"), "", "")
	f.Add("POST", "", []byte("Action=Echo&Version=2011-06-15&UserName=a&DurationSeconds=1e3&MaxItems=99999"), "text/plain", "")
	f.Add("POST", "", bytes.Repeat([]byte("x"), 5000), "", "")
	f.Add("POST", "", []byte("Action=Echo&Version=2011-06-15&UserName=a"), "",
		"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
	f.Add("POST", "", []byte("Action=Echo&Version=2011-06-15"), "", "AWS AKIA:sig")

	st := memory.New(memory.Options{})
	svc, err := iam.Open(context.Background(), iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { svc.Close(); st.Close() })
	type echoResult struct {
		UserName        string
		DurationSeconds int64
		MaxItems        int64
		Flag            bool
	}
	namePattern := patterns[0]
	api := New(Spec{
		Name: "STS", Service: "sts", Version: "2011-06-15", XMLNS: "https://sts.amazonaws.com/doc/2011-06-15/",
		Methods: []string{http.MethodGet, http.MethodPost}, MaxBody: 4096,
		Actions: map[string]Handler{"Echo": func(req *Request) (any, error) {
			req.Authenticated()
			v := req.Validate()
			var out echoResult
			if out.UserName = v.Required("UserName"); out.UserName != "" {
				v.Length("userName", out.UserName, 1, 64)
				v.Pattern("userName", out.UserName, namePattern)
			}
			if s, ok := v.Optional("DurationSeconds"); ok {
				out.DurationSeconds = int64(v.Duration("durationSeconds", s, 15*time.Minute, 12*time.Hour) / time.Second)
			}
			out.MaxItems, _ = v.Int("MaxItems", 1, 1000)
			out.Flag = v.Bool("Flag")
			if err := v.Err(); err != nil {
				return nil, err
			}
			return out, nil
		}},
		Codes: Codes{Internal: ErrInternalFailure, BodyTooLarge: ErrValidation, BadInput: ErrInvalidParameterValue,
			ExpiredToken: ErrSTSExpiredToken, WrongScope: ErrInvalidAction},
		IAM:  svc,
		Auth: auth.New(sigv4.NewVerifier(sigv4.Options{}), auth.IAM(svc)),
	})
	f.Fuzz(func(t *testing.T, method, rawQuery string, body []byte, contentType, authorization string) {
		if !validMethod(method) {
			return
		}
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Method = method
		r.URL.RawQuery = rawQuery
		r.Header.Set("X-Amz-Date", "20260101T000000Z")
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		switch {
		case rec.Code == http.StatusOK:
			var doc struct {
				XMLName xml.Name
				Result  echoResult `xml:"EchoResult"`
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.XMLName.Local != "EchoResponse" {
				t.Fatalf("200 with body %s (%v)", rec.Body.Bytes(), err)
			}
			res := doc.Result
			if res.UserName == "" || !namePattern.MatchString(res.UserName) || utf8.RuneCountInString(res.UserName) > 64 {
				t.Fatalf("echoed an invalid user name %q", res.UserName)
			}
			if d := res.DurationSeconds; d != 0 && (d < 900 || d > 43200) {
				t.Fatalf("echoed an invalid duration %d", d)
			}
			if m := res.MaxItems; m != 0 && (m < 1 || m > 1000) {
				t.Fatalf("echoed an invalid MaxItems %d", m)
			}
		case rec.Code >= 400 && rec.Code < 500:
			var doc struct {
				XMLName xml.Name
				Error   struct{ Type, Code, Message string }
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.XMLName.Local != "ErrorResponse" {
				t.Fatalf("%d with body %s (%v)", rec.Code, rec.Body.Bytes(), err)
			}
			if doc.Error.Type != "Sender" || doc.Error.Code == "" || doc.Error.Message == "" {
				t.Fatalf("%d with error %+v", rec.Code, doc.Error)
			}
		default:
			t.Fatalf("status %d for a client's mistake: %s", rec.Code, rec.Body.Bytes())
		}
	})
}

// validMethod reports whether net/http would deliver a request with this
// method (a token of RFC 9110).
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
