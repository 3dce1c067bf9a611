package transfer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

// Format is the document format version Export writes and Import reads.
const Format = 1

// MaxDocumentSize is the largest document Import accepts, in bytes.
const MaxDocumentSize = 64 << 20

// Kinds lists every record kind, in the order Export writes them: what a
// record refers to comes before the record, so a node watching the target
// store never sees a dangling reference it could have avoided.
var Kinds = []store.Kind{
	store.KindPolicy,
	store.KindLDAPPolicy, // refers to policies
	store.KindUser,
	store.KindGroup,
	store.KindOIDCProvider, // named by roles' trust policies
	store.KindRole,         // refers to policies
	store.KindAccessKey,
	store.KindSealingKey,
	store.KindRevocation,
}

// Sentinel errors.
var (
	// ErrInvalid is returned by Import when the document is malformed,
	// truncated, too large, of another format version, or names an unknown
	// kind; nothing has been written then.
	ErrInvalid = errors.New("transfer: invalid document")
	// ErrExists is returned (wrapping store.ErrAlreadyExists) by Import
	// without Replace when a record of the document is already in the store.
	ErrExists = fmt.Errorf("transfer: record exists (use Replace to overwrite): %w", store.ErrAlreadyExists)
)

// document is the JSON form of an export.
type document struct {
	Format  int      `json:"format"`
	Records []record `json:"records"`
}

// record is the JSON form of one store.Record. Exactly one of Value and
// ValueBase64 is set, unless the value is empty.
type record struct {
	Kind        store.Kind      `json:"kind"`
	Name        string          `json:"name"`
	Value       json.RawMessage `json:"value,omitempty"`
	ValueBase64 []byte          `json:"valueBase64,omitempty"`
	Expires     *time.Time      `json:"expires,omitempty"`
}

// Export writes every record of every kind in st to w as one JSON
// document. The document contains secrets; see the package documentation.
func Export(ctx context.Context, st store.Store, w io.Writer) error {
	doc := document{Format: Format, Records: []record{}}
	for _, kind := range Kinds {
		recs, err := st.List(ctx, kind)
		if err != nil {
			return fmt.Errorf("transfer: list %s records: %w", kind, err)
		}
		for _, r := range recs {
			doc.Records = append(doc.Records, toJSON(r))
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("transfer: write: %w", err)
	}
	return nil
}

// toJSON converts a record, embedding its value when that is compact JSON.
func toJSON(r store.Record) record {
	out := record{Kind: r.Kind, Name: r.Name}
	if embeddable(r.Value) {
		out.Value = json.RawMessage(r.Value)
	} else if len(r.Value) > 0 {
		out.ValueBase64 = r.Value
	}
	if !r.Expires.IsZero() {
		t := r.Expires.UTC()
		out.Expires = &t
	}
	return out
}

// embeddable reports whether v can be embedded as JSON and read back byte
// for byte: Import compacts an embedded value, so v must already be compact.
// A bare null is left out because it would read as "no value".
func embeddable(v []byte) bool {
	if len(v) == 0 || !json.Valid(v) || bytes.Equal(v, []byte("null")) {
		return false
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, v); err != nil {
		return false
	}
	return bytes.Equal(buf.Bytes(), v)
}

// ImportOptions configures Import. The zero value refuses to overwrite.
type ImportOptions struct {
	// Replace overwrites the value of records that already exist (their
	// expiry is kept). Without it, Import fails with ErrExists before
	// writing anything if any record of the document is in the store.
	Replace bool
	// Now is the clock that decides which records have expired (default
	// time.Now).
	Now func() time.Time
}

// Summary counts what Import did.
type Summary struct {
	Created  int // records that were new
	Replaced int // existing records overwritten (only with Replace)
	Expired  int // records skipped because their expiry had passed
}

// Import reads a document written by Export from r and writes its records
// to st. It checks the whole document first (format version, known kinds,
// names, duplicates, size at most MaxDocumentSize) and fails with an error
// wrapping ErrInvalid, writing nothing, if any check fails. Records whose
// expiry has passed are skipped.
func Import(ctx context.Context, st store.Store, r io.Reader, opts ImportOptions) (Summary, error) {
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	recs, err := decode(r)
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	live := recs[:0]
	t := now()
	for _, rec := range recs {
		if !rec.Expires.IsZero() && !rec.Expires.After(t) {
			sum.Expired++
			continue
		}
		live = append(live, rec)
	}
	if !opts.Replace {
		for _, rec := range live {
			_, err := st.Get(ctx, rec.Kind, rec.Name)
			switch {
			case err == nil:
				return Summary{}, fmt.Errorf("%w: %s %q", ErrExists, rec.Kind, rec.Name)
			case !errors.Is(err, store.ErrNotFound):
				return Summary{}, fmt.Errorf("transfer: read %s %q: %w", rec.Kind, rec.Name, err)
			}
		}
	}
	for _, rec := range live {
		err := st.Create(ctx, rec)
		if errors.Is(err, store.ErrAlreadyExists) {
			if !opts.Replace {
				return sum, fmt.Errorf("%w: %s %q", ErrExists, rec.Kind, rec.Name)
			}
			value := rec.Value
			err = st.Update(ctx, rec.Kind, rec.Name, func([]byte) ([]byte, error) { return value, nil })
			if errors.Is(err, store.ErrNotFound) { // deleted meanwhile
				err = st.Create(ctx, rec)
			} else if err == nil {
				sum.Replaced++
				continue
			}
		}
		if err != nil {
			return sum, fmt.Errorf("transfer: write %s %q: %w", rec.Kind, rec.Name, err)
		}
		sum.Created++
	}
	return sum, nil
}

// decode reads and checks a whole document.
func decode(r io.Reader) ([]store.Record, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("transfer: read: %w", err)
	}
	if len(data) > MaxDocumentSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrInvalid, MaxDocumentSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var doc document
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the document", ErrInvalid)
	}
	if doc.Format != Format {
		return nil, fmt.Errorf("%w: format %d, want %d", ErrInvalid, doc.Format, Format)
	}
	if doc.Records == nil {
		return nil, fmt.Errorf("%w: no \"records\" list", ErrInvalid)
	}
	known := map[store.Kind]bool{}
	for _, k := range Kinds {
		known[k] = true
	}
	type key struct {
		kind store.Kind
		name string
	}
	seen := map[key]bool{}
	out := make([]store.Record, 0, len(doc.Records))
	for i, jr := range doc.Records {
		switch {
		case !known[jr.Kind]:
			return nil, fmt.Errorf("%w: record %d: unknown kind %q", ErrInvalid, i, jr.Kind)
		case jr.Name == "":
			return nil, fmt.Errorf("%w: record %d: empty name", ErrInvalid, i)
		case jr.Value != nil && jr.ValueBase64 != nil:
			return nil, fmt.Errorf("%w: record %d (%s %q): both value and valueBase64", ErrInvalid, i, jr.Kind, jr.Name)
		case seen[key{jr.Kind, jr.Name}]:
			return nil, fmt.Errorf("%w: record %d: %s %q appears twice", ErrInvalid, i, jr.Kind, jr.Name)
		}
		seen[key{jr.Kind, jr.Name}] = true
		rec := store.Record{Kind: jr.Kind, Name: jr.Name, Value: jr.ValueBase64}
		if jr.Value != nil {
			var buf bytes.Buffer
			if err := json.Compact(&buf, jr.Value); err != nil {
				return nil, fmt.Errorf("%w: record %d: %v", ErrInvalid, i, err)
			}
			rec.Value = buf.Bytes()
		}
		if rec.Value == nil {
			rec.Value = []byte{}
		}
		if jr.Expires != nil {
			rec.Expires = *jr.Expires
		}
		out = append(out, rec)
	}
	return out, nil
}
