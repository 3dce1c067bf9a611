package s3

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// Browser-based POST uploads (PostObject): an HTML form posted to the
// bucket as multipart/form-data. The fields before the one named "file"
// are read into memory (at most maxPostFields bytes in all); the file is
// streamed to the backend, never buffered whole, and whatever follows it
// is ignored, as S3 does.
//
// A form signed with SigV4 (x-amz-algorithm, x-amz-credential,
// x-amz-date, x-amz-signature, x-amz-security-token) is authenticated by
// the same credential lookup as every other request, over its base64
// policy document; its policy must not have expired and its conditions
// must hold for every field. A form without a signature is anonymous.
// Either way s3:PutObject on the key is authorized through the one
// decision point, as for PutObject. A form signed with Signature Version
// 2 (AWSAccessKeyId, signature: the base64 HMAC-SHA1 of the policy, and
// x-amz-security-token) goes through the same lookup, policy checks and
// authorization; SigV2 is accepted here only, never in headers or query
// strings.

// Limits of a POST form.
const (
	// maxPostFields bounds the fields before the file, names and values.
	maxPostFields = 1 << 20
	// maxPostFieldCount bounds their number.
	maxPostFieldCount = 1000
)

// POST errors.
var (
	ErrMalformedPOSTRequest  = &APIError{Code: "MalformedPOSTRequest", Message: "The body of your POST request is not well-formed multipart/form-data.", Status: http.StatusBadRequest}
	ErrInvalidPolicyDocument = &APIError{Code: "InvalidPolicyDocument", Message: "The content of the form does not meet the conditions specified in the policy document.", Status: http.StatusBadRequest}
	errPostTwoSignatures     = ErrInvalidArgument.WithMessage("Only one auth mechanism allowed: a POST form is signed either with AWSAccessKeyId and signature or with x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-signature.")
)

// policyDenied is S3's answer to a form its policy does not allow.
func policyDenied(format string, args ...any) error {
	return ErrAccessDenied.WithMessage("Invalid according to Policy: %s", fmt.Sprintf(format, args...))
}

// isPostObject reports whether a POST to a bucket is a form upload.
func isPostObject(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// postForm is the fields of a form before its file, by lower-case name.
type postForm struct {
	fields   map[string]string
	names    []string // as sent, in order
	file     *multipart.Part
	filename string
}

func (f *postForm) get(name string) string { return f.fields[name] }

func (f *postForm) has(name string) bool { _, ok := f.fields[name]; return ok }

// readPostForm reads the fields up to the file part.
func readPostForm(r *http.Request) (*postForm, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, ErrMalformedPOSTRequest
	}
	f := &postForm{fields: map[string]string{}}
	total := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, ErrInvalidArgument.WithMessage("POST requires exactly one file upload per request.")
		}
		if err != nil {
			return nil, ErrMalformedPOSTRequest
		}
		name := part.FormName()
		if name == "" {
			continue
		}
		lower := strings.ToLower(name)
		if lower == "file" {
			f.file, f.filename = part, part.FileName()
			return f, nil
		}
		if len(f.names) >= maxPostFieldCount {
			return nil, ErrMalformedPOSTRequest.WithMessage("The POST form has more than %d fields.", maxPostFieldCount)
		}
		v, err := io.ReadAll(io.LimitReader(part, int64(maxPostFields-total+1)))
		if err != nil {
			return nil, ErrMalformedPOSTRequest
		}
		total += len(name) + len(v)
		if total > maxPostFields {
			return nil, ErrMaxMessageLength.WithMessage("The fields of the POST form exceed %d bytes.", maxPostFields)
		}
		if f.has(lower) {
			return nil, ErrInvalidArgument.WithMessage("The POST form has the field %q more than once.", name)
		}
		f.fields[lower] = string(v)
		f.names = append(f.names, lower)
	}
}

// postPolicy is a decoded POST policy document.
type postPolicy struct {
	conditions []postCondition
	// minSize and maxSize come from content-length-range (maxSize -1: none).
	minSize, maxSize int64
}

// postCondition is one condition on a form field: eq or starts-with.
type postCondition struct {
	op, field, value string // field lower-case, without "$"
	text             string // as written, for messages
}

// parsePostPolicy decodes the base64 policy document and checks its
// expiration against now.
func parsePostPolicy(b64 string, now time.Time) (*postPolicy, error) {
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, ErrInvalidPolicyDocument.WithMessage("Invalid Policy: Invalid Base64 encoding.")
	}
	var doc struct {
		Expiration *string           `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	// Keys are case-sensitive, unlike encoding/json's matching.
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, ErrInvalidPolicyDocument.WithMessage("Invalid Policy: Invalid JSON.")
	}
	if _, ok := keys["expiration"]; !ok {
		return nil, ErrInvalidPolicyDocument.WithMessage("Invalid Policy: Policy missing expiration.")
	}
	if _, ok := keys["conditions"]; !ok {
		return nil, ErrInvalidPolicyDocument.WithMessage("Invalid Policy: Policy missing conditions.")
	}
	if json.Unmarshal(keys["expiration"], &doc.Expiration) != nil || doc.Expiration == nil {
		return nil, ErrInvalidPolicyDocument.WithMessage("Invalid Policy: Invalid 'expiration' value.")
	}
	exp, err := time.Parse(time.RFC3339, *doc.Expiration)
	if err != nil {
		return nil, ErrInvalidPolicyDocument.WithMessage("Invalid Policy: Invalid 'expiration' value: %q.", *doc.Expiration)
	}
	if json.Unmarshal(keys["conditions"], &doc.Conditions) != nil || doc.Conditions == nil {
		return nil, ErrInvalidPolicyDocument.WithMessage("Invalid Policy: Invalid 'conditions' value.")
	}
	if !now.Before(exp) {
		return nil, policyDenied("Policy expired.")
	}
	p := &postPolicy{maxSize: -1}
	for _, raw := range doc.Conditions {
		if err := p.addCondition(raw); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *postPolicy) addCondition(raw json.RawMessage) error {
	text := string(raw)
	bad := func() error {
		return ErrInvalidPolicyDocument.WithMessage("Invalid Policy: Invalid Simple-Condition: %s", text)
	}
	switch bytes.TrimSpace(raw)[0] {
	case '{':
		var m map[string]string
		if json.Unmarshal(raw, &m) != nil || len(m) != 1 {
			return bad()
		}
		for k, v := range m {
			p.conditions = append(p.conditions, postCondition{op: "eq", field: strings.ToLower(strings.TrimPrefix(k, "$")), value: v, text: text})
		}
		return nil
	case '[':
	default:
		return bad()
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return bad()
	}
	var op string
	if json.Unmarshal(list[0], &op) != nil {
		return bad()
	}
	switch op = strings.ToLower(op); op {
	case "content-length-range":
		if len(list) != 3 {
			return bad()
		}
		lo, err1 := policyInt(list[1])
		hi, err2 := policyInt(list[2])
		if err1 != nil || err2 != nil || lo < 0 || hi < lo {
			return bad()
		}
		p.minSize, p.maxSize = lo, hi
		return nil
	case "eq", "starts-with":
		var field, value string
		if len(list) != 3 || json.Unmarshal(list[1], &field) != nil || json.Unmarshal(list[2], &value) != nil ||
			!strings.HasPrefix(field, "$") {
			return bad()
		}
		p.conditions = append(p.conditions, postCondition{op: op, field: strings.ToLower(field[1:]), value: value, text: text})
		return nil
	}
	return bad()
}

// policyInt reads a number or a string of digits.
func policyInt(raw json.RawMessage) (int64, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strconv.ParseInt(s, 10, 64)
	}
	var n int64
	err := json.Unmarshal(raw, &n)
	return n, err
}

// postFieldsExempt are the fields a policy need not name.
var postFieldsExempt = map[string]bool{
	"policy": true, "x-amz-signature": true, "file": true, "awsaccesskeyid": true, "signature": true,
}

// check verifies that every condition holds for the form (with the bucket
// and the key after ${filename} substitution) and that every field is
// named by a condition.
func (p *postPolicy) check(f *postForm, bucket, key string) error {
	value := func(field string) string {
		switch field {
		case "bucket":
			return bucket
		case "key":
			return key
		}
		return f.get(field)
	}
	named := map[string]bool{"bucket": true}
	for _, c := range p.conditions {
		named[c.field] = true
		v := value(c.field)
		switch {
		case c.op == "eq" && v == c.value:
		case c.op == "starts-with" && strings.HasPrefix(v, c.value):
		case c.op == "starts-with" && c.field == "content-type" && startsWithEach(v, c.value):
		default:
			return policyDenied("Policy Condition failed: %s", c.text)
		}
	}
	for _, name := range f.names {
		// A checksum can only make the upload fail, so no condition
		// need name it.
		if !named[name] && !postFieldsExempt[name] && !strings.HasPrefix(name, "x-ignore-") && !isPostChecksumField(name) {
			return policyDenied("Extra input fields: %s", name)
		}
	}
	return nil
}

// startsWithEach: a Content-Type field may list several types, each of
// which must start with the prefix.
func startsWithEach(list, prefix string) bool {
	for _, t := range strings.Split(list, ",") {
		if !strings.HasPrefix(strings.TrimSpace(t), prefix) {
			return false
		}
	}
	return true
}

// checkPostOnlyFields refuses the fields whose header form PutObject
// reads differently, or not at all, so that none is silently dropped:
// tagging (an XML <Tagging> document in a form, a query string in the
// x-amz-tagging header) and the x-amz-checksum-* fields other than a
// checksum value (postChecksum verifies those).
func checkPostOnlyFields(f *postForm) error {
	for _, name := range f.names {
		switch {
		case name == "tagging":
			return ErrNotImplemented.WithMessage("The tagging field of POST uploads is not implemented by this server.")
		case strings.HasPrefix(name, "x-amz-checksum-") && !isPostChecksumField(name):
			return ErrNotImplemented.WithMessage("The %s field of POST uploads is not implemented by this server.", name)
		}
	}
	return nil
}

// isPostChecksumField reports whether a field is a checksum value,
// x-amz-checksum-<algorithm>.
func isPostChecksumField(name string) bool {
	alg, ok := strings.CutPrefix(name, "x-amz-checksum-")
	_, known := parseAlgorithm(alg)
	return ok && known
}

// postChecksum returns a reader over the file that checks the form's
// x-amz-checksum-<algorithm> value at its end (400 BadDigest, nothing
// stored), or nil when the form gives none.
func postChecksum(f *postForm, file io.Reader) (*checksumReader, error) {
	var c *checksumReader
	for _, name := range f.names {
		if !isPostChecksumField(name) {
			continue
		}
		if c != nil {
			return nil, ErrInvalidRequest.WithMessage("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		alg, _ := parseAlgorithm(strings.TrimPrefix(name, "x-amz-checksum-"))
		c = newChecksumReader(file, alg)
		if c.want = f.get(name); c.want == "" {
			c.want = "-" // never matches: an empty value counts as a wrong one
		}
	}
	return c, nil
}

// postHeaders turns the fields that describe the object into the request
// headers PutObject would have, so the same checks and metadata apply.
func postHeaders(f *postForm) http.Header {
	h := http.Header{}
	for _, name := range f.names {
		v := f.get(name)
		switch {
		case name == "acl":
			h.Set("X-Amz-Acl", v)
		case name == "content-type", name == "cache-control", name == "content-disposition",
			name == "content-encoding", name == "content-language", name == "expires":
			h.Set(name, v)
		case strings.HasPrefix(name, "x-amz-") && !isPostSignatureField(name):
			h.Set(name, v)
		}
	}
	return h
}

func isPostSignatureField(name string) bool {
	switch name {
	case "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "x-amz-security-token":
		return true
	}
	return false
}

// sizeCheckReader enforces content-length-range while the file streams:
// ErrEntityTooLarge past max bytes, ErrEntityTooSmall at the end when
// fewer than min came. The backend stores nothing when a read fails.
type sizeCheckReader struct {
	r        io.Reader
	n        int64
	min, max int64
}

func (s *sizeCheckReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.n > s.max {
		return n, ErrEntityTooLarge.WithMessage("Your proposed upload exceeds the maximum allowed size.")
	}
	if err == io.EOF && s.n < s.min {
		return n, ErrEntityTooSmall.WithMessage("Your proposed upload is smaller than the minimum allowed size.")
	}
	return n, err
}

// postResponse is the document of success_action_status 201.
type postResponse struct {
	XMLName  struct{} `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postObject serves PostObject.
func (a *API) postObject(req *request) error {
	f, err := readPostForm(req.Request)
	if err != nil {
		return err
	}
	if !f.has("key") {
		return ErrInvalidArgument.WithMessage("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	key := strings.ReplaceAll(f.get("key"), "${filename}", f.filename)
	req.key = key
	if key == "" {
		return ErrInvalidArgument.WithMessage("User key must have a length greater than 0.")
	}
	if err := a.authenticatePost(req, f); err != nil {
		return err
	}
	limit := &sizeCheckReader{r: f.file, max: object.MaxObjectSize}
	if f.has("policy") {
		p, err := parsePostPolicy(f.get("policy"), time.Now())
		if err != nil {
			return err
		}
		if err := p.check(f, req.bucket, key); err != nil {
			return err
		}
		if p.maxSize >= 0 {
			limit.min, limit.max = p.minSize, min(p.maxSize, object.MaxObjectSize)
		}
	}
	// The fields stand for PutObject's headers, in the condition keys of
	// the authorization (s3:x-amz-acl, s3:x-amz-storage-class, ...) too.
	h := postHeaders(f)
	for k, v := range h {
		req.Header[k] = v
	}
	req.amz = withQueryHeaders(req.Header, req.query)
	if err := a.authorize(req, "s3:PutObject", req.bucket, key); err != nil {
		return err
	}
	if err := checkPostOnlyFields(f); err != nil {
		return err
	}
	if err := checkObjectWriteHeaders(h); err != nil {
		return err
	}
	md, err := metadataFromHeaders(h)
	if err != nil {
		return err
	}
	opts := object.PutOptions{Metadata: md, Size: -1}
	// The same write path as PutObject: the bucket's versioning and
	// Object Lock defaults, then encryption, which a form of unknown length
	// cannot have yet: refused rather than stored in plaintext.
	if err := a.writeOptions(req, &opts); err != nil {
		return err
	}
	enc, _, err := a.writeEncryption(req)
	if err != nil {
		return err
	}
	if enc != nil {
		return ErrNotImplemented.WithMessage("POST uploads that are to be encrypted (an x-amz-server-side-encryption field, or the bucket's default encryption) are not implemented by this server; use PutObject.")
	}
	var body io.Reader = limit
	cr, err := postChecksum(f, limit)
	if err != nil {
		return err
	}
	if cr != nil {
		body, opts.Checksum = cr, cr.result
	}
	info, err := a.backend.PutObject(req.Context(), req.bucket, key, body, opts)
	if err != nil {
		return err
	}
	setVersionHeader(req.w, writtenVersion(info.VersionID))
	setChecksumHeaders(req.w, info.Checksum)
	return a.postAnswer(req, f, info)
}

// authenticatePost verifies a signed form's signature, SigV4 or SigV2, and
// sets the request's identity; an unsigned form stays anonymous.
func (a *API) authenticatePost(req *request, f *postForm) error {
	v4 := f.has("x-amz-signature") || f.has("x-amz-credential") || f.has("x-amz-algorithm")
	v2 := f.has("awsaccesskeyid") || f.has("signature")
	if !v4 && !v2 {
		return nil
	}
	if v4 && v2 {
		return errPostTwoSignatures
	}
	missing := func(name string) error {
		return ErrInvalidArgument.WithMessage("Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", name)
	}
	if !f.has("policy") {
		return missing("policy")
	}
	var (
		res auth.Result
		err error
	)
	if v4 {
		res, err = a.auth.AuthenticatePost(req.Context(), sigv4.PostForm{
			Algorithm: f.get("x-amz-algorithm"), Credential: f.get("x-amz-credential"), Date: f.get("x-amz-date"),
			Signature: f.get("x-amz-signature"), SecurityToken: f.get("x-amz-security-token"),
		}, f.get("policy"))
	} else {
		switch {
		case f.get("awsaccesskeyid") == "":
			return missing("AWSAccessKeyId")
		case f.get("signature") == "":
			return missing("Signature")
		}
		res, err = a.auth.AuthenticatePostV2(req.Context(), sigv4.PostFormV2{
			AccessKeyID: f.get("awsaccesskeyid"), Signature: f.get("signature"), SecurityToken: f.get("x-amz-security-token"),
		}, f.get("policy"))
	}
	switch {
	case errors.Is(err, sigv4.ErrMalformedPost):
		return ErrInvalidArgument.WithMessage("%s", strings.TrimPrefix(err.Error(), "sigv4: "))
	case err != nil:
		return err
	}
	req.id, req.sig = res.Identity.Principal, res.Sig
	return nil
}

// postAnswer answers a stored POST upload: a redirect to
// success_action_redirect (or redirect) when it is a URL, else the
// success_action_status 200, 201 (with a PostResponse document) or 204.
func (a *API) postAnswer(req *request, f *postForm, info object.ObjectInfo) error {
	w := req.w
	etag := quote(info.ETag)
	w.Header().Set("ETag", etag)
	location := objectURL(req.Request, req.bucket, info.Key)
	w.Header().Set("Location", location)
	redirect := f.get("success_action_redirect")
	if redirect == "" {
		redirect = f.get("redirect")
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && u.Scheme != "" && u.Host != "" {
		// In S3's order: bucket, key, etag.
		q := "bucket=" + url.QueryEscape(req.bucket) + "&key=" + url.QueryEscape(info.Key) + "&etag=" + url.QueryEscape(etag)
		if u.RawQuery != "" {
			q = u.RawQuery + "&" + q
		}
		u.RawQuery = q
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusSeeOther)
		return nil
	}
	switch f.get("success_action_status") {
	case "200":
		w.WriteHeader(http.StatusOK)
	case "201":
		writeXML(w, http.StatusCreated, postResponse{Location: location, Bucket: req.bucket, Key: info.Key, ETag: etag})
	default:
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// objectURL is the path-style URL of an object on this server.
func objectURL(r *http.Request, bucket, key string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/" + bucket + "/" + (&url.URL{Path: key}).EscapedPath()
}
