package transfer_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/iam/store/transfer"
)

var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func clock() time.Time { return now }

// fill creates records of every kind, including values that are not JSON,
// JSON that is not compact, and one that has expired.
func fill(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	recs := []store.Record{
		{Kind: store.KindUser, Name: "alice", Value: []byte(`{"name":"alice","html":"<a&b>"}`)},
		{Kind: store.KindUser, Name: "bob", Value: []byte(`{ "name": "bob" }`)},
		{Kind: store.KindAccessKey, Name: "AKIAALICE", Value: []byte(`{"user":"alice","secret":"s3cr3t"}`)},
		{Kind: store.KindGroup, Name: "devs", Value: []byte(`{"members":["alice"]}`)},
		{Kind: store.KindPolicy, Name: "readonly", Value: []byte(`{"Version":"2012-10-17","Statement":[]}`)},
		{Kind: store.KindRole, Name: "reader", Value: []byte(`{"name":"Reader","assumeRolePolicyDocument":"{\"Statement\":[]}"}`)},
		{Kind: store.KindOIDCProvider, Name: "idp.example.com/realms/lab", Value: []byte(`{"url":"https://idp.example.com/realms/lab"}`)},
		{Kind: store.KindSealingKey, Name: "k1", Value: []byte{0x00, 0xff, 0x10, 'x'}},
		{Kind: store.KindSealingKey, Name: "k2", Value: []byte(`null`)},
		{Kind: store.KindRevocation, Name: "live", Value: []byte(`{}`), Expires: now.Add(time.Hour)},
		{Kind: store.KindRevocation, Name: "dead", Value: []byte(`{}`), Expires: now.Add(-time.Second)},
	}
	for _, r := range recs {
		if err := st.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
}

func export(t *testing.T, st store.Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := transfer.Export(context.Background(), st, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// listAll lists kind without the backend-defined revision, expiries in UTC.
func listAll(t *testing.T, st store.Store, kind store.Kind) []store.Record {
	t.Helper()
	recs, err := st.List(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		recs[i].Revision = 0
		recs[i].Expires = recs[i].Expires.UTC()
	}
	return recs
}

func TestExportImport_RoundTrip(t *testing.T) {
	src := memory.New(memory.Options{})
	fill(t, src)
	doc := export(t, src)
	if !bytes.Contains(doc, []byte(`"name": "alice"`)) {
		t.Errorf("compact JSON value not embedded as JSON:\n%s", doc)
	}
	if !bytes.Contains(doc, []byte(`"valueBase64"`)) {
		t.Errorf("binary value not base64-encoded:\n%s", doc)
	}

	dst := memory.New(memory.Options{})
	sum, err := transfer.Import(context.Background(), dst, bytes.NewReader(doc), transfer.ImportOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if want := (transfer.Summary{Created: 10, Expired: 1}); sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	for _, kind := range transfer.Kinds {
		want := listAll(t, src, kind)
		if kind == store.KindRevocation {
			want = want[1:] // "dead" sorts first and has expired
		}
		if got := listAll(t, dst, kind); !reflect.DeepEqual(got, want) {
			t.Errorf("%s records:\n got %+v\nwant %+v", kind, got, want)
		}
	}
}

func TestImport_Conflict(t *testing.T) {
	src := memory.New(memory.Options{})
	fill(t, src)
	doc := export(t, src)

	dst := memory.New(memory.Options{})
	ctx := context.Background()
	if err := dst.Create(ctx, store.Record{Kind: store.KindGroup, Name: "devs", Value: []byte(`{"old":true}`)}); err != nil {
		t.Fatal(err)
	}
	_, err := transfer.Import(ctx, dst, bytes.NewReader(doc), transfer.ImportOptions{Now: clock})
	if !errors.Is(err, transfer.ErrExists) || !errors.Is(err, store.ErrAlreadyExists) || !strings.Contains(err.Error(), "devs") {
		t.Fatalf("err = %v, want ErrExists naming devs", err)
	}
	// Nothing was written.
	for _, kind := range transfer.Kinds {
		recs := listAll(t, dst, kind)
		if kind == store.KindGroup {
			if len(recs) != 1 || string(recs[0].Value) != `{"old":true}` {
				t.Errorf("group records changed: %+v", recs)
			}
		} else if len(recs) != 0 {
			t.Errorf("%s: %d records written despite the conflict", kind, len(recs))
		}
	}

	sum, err := transfer.Import(ctx, dst, bytes.NewReader(doc), transfer.ImportOptions{Replace: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if want := (transfer.Summary{Created: 9, Replaced: 1, Expired: 1}); sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	got, err := dst.Get(ctx, store.KindGroup, "devs")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Value) != `{"members":["alice"]}` {
		t.Errorf("devs = %s after Replace, want the exported value", got.Value)
	}

	// A second Replace import changes nothing but counts every record as replaced.
	sum, err = transfer.Import(ctx, dst, bytes.NewReader(doc), transfer.ImportOptions{Replace: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if want := (transfer.Summary{Replaced: 10, Expired: 1}); sum != want {
		t.Errorf("second import summary %+v, want %+v", sum, want)
	}
}

func TestImport_Invalid(t *testing.T) {
	src := memory.New(memory.Options{})
	fill(t, src)
	good := string(export(t, src))

	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"empty", ``, "EOF"},
		{"truncated", good[:len(good)/2], "unexpected EOF"},
		{"not JSON", `hello`, "invalid character"},
		{"format 2", `{"format":2,"records":[]}`, "format 2"},
		{"no format", `{"records":[]}`, "format 0"},
		{"no records", `{"format":1}`, "records"},
		{"unknown kind", `{"format":1,"records":[{"kind":"bucket","name":"x","value":{}}]}`, `unknown kind "bucket"`},
		{"empty name", `{"format":1,"records":[{"kind":"user","name":"","value":{}}]}`, "empty name"},
		{"both values", `{"format":1,"records":[{"kind":"user","name":"a","value":{},"valueBase64":"AA=="}]}`, "both"},
		{"duplicate", `{"format":1,"records":[{"kind":"user","name":"a","value":{}},{"kind":"user","name":"a","value":{}}]}`, "twice"},
		{"unknown field", `{"format":1,"records":[],"extra":1}`, "unknown field"},
		{"bad base64", `{"format":1,"records":[{"kind":"user","name":"a","valueBase64":"!!"}]}`, "base64"},
		{"bad expiry", `{"format":1,"records":[{"kind":"user","name":"a","value":{},"expires":"tomorrow"}]}`, "tomorrow"},
		{"trailing data", `{"format":1,"records":[]} {}`, "after the document"},
		// The bad record comes last: nothing before it may be written.
		{"bad last", `{"format":1,"records":[{"kind":"user","name":"a","value":{}},{"kind":"nope","name":"b"}]}`, "unknown kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := memory.New(memory.Options{})
			_, err := transfer.Import(context.Background(), dst, strings.NewReader(tt.doc), transfer.ImportOptions{Now: clock})
			if !errors.Is(err, transfer.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalid containing %q", err, tt.want)
			}
			for _, kind := range transfer.Kinds {
				if recs := listAll(t, dst, kind); len(recs) != 0 {
					t.Errorf("%s: %d records written from an invalid document", kind, len(recs))
				}
			}
		})
	}
}

func TestImport_TooLarge(t *testing.T) {
	doc := `{"format":1,"records":[{"kind":"user","name":"a","valueBase64":"` +
		strings.Repeat("A", transfer.MaxDocumentSize) + `"}]}`
	_, err := transfer.Import(context.Background(), memory.New(memory.Options{}), strings.NewReader(doc), transfer.ImportOptions{})
	if !errors.Is(err, transfer.ErrInvalid) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want ErrInvalid for size", err)
	}
}

func TestImport_ExpiredSkipped(t *testing.T) {
	doc := `{"format":1,"records":[
	  {"kind":"revocation","name":"past","value":{},"expires":"2030-01-02T03:04:04Z"},
	  {"kind":"revocation","name":"now","value":{},"expires":"2030-01-02T03:04:05Z"},
	  {"kind":"revocation","name":"future","value":{},"expires":"2030-01-02T04:04:05+01:00"},
	  {"kind":"revocation","name":"later","value":{},"expires":"2030-01-02T03:04:06Z"}]}`
	dst := memory.New(memory.Options{})
	sum, err := transfer.Import(context.Background(), dst, strings.NewReader(doc), transfer.ImportOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if want := (transfer.Summary{Created: 1, Expired: 3}); sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	recs := listAll(t, dst, store.KindRevocation)
	if len(recs) != 1 || recs[0].Name != "later" || !recs[0].Expires.Equal(now.Add(time.Second)) {
		t.Errorf("records %v, want only \"later\" with its expiry", recs)
	}
}

func TestImport_ReindentedValue(t *testing.T) {
	// Someone pretty-printed the export: the value is stored compact again.
	doc := `{"format":1,"records":[{"kind":"policy","name":"p","value":{
	    "Version": "2012-10-17",
	    "Statement": []
	}}]}`
	dst := memory.New(memory.Options{})
	if _, err := transfer.Import(context.Background(), dst, strings.NewReader(doc), transfer.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := dst.Get(context.Background(), store.KindPolicy, "p")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Value) != `{"Version":"2012-10-17","Statement":[]}` {
		t.Errorf("value %s", got.Value)
	}
}

// TestExportImport_RolesAndProviders moves the roles and OpenID Connect
// providers of one IAM service to a fresh store, and checks that a service
// opened on it has them all, with their policies in force.
func TestExportImport_RolesAndProviders(t *testing.T) {
	ctx := context.Background()
	open := func(st store.Store) *iam.Service {
		t.Helper()
		svc, err := iam.Open(ctx, iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close() })
		return svc
	}
	src := memory.New(memory.Options{})
	a := open(src)
	trust := `{"Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::000000000000:oidc-provider/idp.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	prov, err := a.CreateOpenIDConnectProvider(ctx, iam.OIDCProvider{URL: "https://idp.example.com", ClientIDs: []string{"app"},
		Thumbprints: []string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"}, Tags: []iam.Tag{{Key: "env", Value: "lab"}}})
	if err != nil {
		t.Fatal(err)
	}
	role, err := a.CreateRole(ctx, "Reader", trust, iam.WithRolePath("/app/"), iam.WithDescription("reads"),
		iam.WithMaxSessionDuration(7200), iam.WithTags(iam.Tag{Key: "team", Value: "blue"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AttachRolePolicy(ctx, "Reader", "readonly"); err != nil {
		t.Fatal(err)
	}
	if err := a.PutRolePolicy(ctx, "Reader", "get", inline); err != nil {
		t.Fatal(err)
	}
	role, _ = a.GetRole(ctx, "Reader")

	dst := memory.New(memory.Options{})
	if _, err := transfer.Import(ctx, dst, bytes.NewReader(export(t, src)), transfer.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	b := open(dst)
	got, ok := b.RoleByARN("arn:aws:iam::000000000000:role/app/Reader")
	if !ok || !reflect.DeepEqual(got, role) {
		t.Errorf("imported role:\n got %+v\nwant %+v", got, role)
	}
	gotProv, err := b.GetOpenIDConnectProvider(ctx, prov.ARN())
	if err != nil || !reflect.DeepEqual(gotProv, prov) {
		t.Errorf("imported provider:\n got %+v, %v\nwant %+v", gotProv, err, prov)
	}
	// The namespace rule holds across the move: the role's name stays taken.
	if _, err := b.CreateUser(ctx, "reader"); !errors.Is(err, iam.ErrEntityAlreadyExists) {
		t.Errorf("CreateUser(reader) beside the imported role: %v", err)
	}
	if n := b.AttachmentCount("readonly"); n != 1 {
		t.Errorf("readonly is attached %d times after the import, want 1 (the role)", n)
	}
}
