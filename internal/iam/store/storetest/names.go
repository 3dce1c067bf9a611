package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

func nameTests() []subtest {
	return []subtest{
		{"Names/Characters", testNameCharacters},
		{"Names/Long", testNameLong},
		{"Values/Copied", testValuesCopied},
		{"Values/Binary", testValuesBinary},
	}
}

func testNameCharacters(t *testing.T, s store.Store) {
	in := []string{
		"a", "a/b", "a/b/c", "/leading", "trailing/", "a//b", "/", "//",
		"ab", "a b", "a\tb", "a\nb", "nul\x00byte", "..", ".", "../escape",
		"日本語", "émoji 😀", "e\u0301", "arn:aws:iam::123456789012:user/alice",
		"%2F", "*", "?", "\\", "\"quoted\"", "<xml>",
	}
	for _, n := range in {
		create(t, s, store.KindUser, n, "value of "+n)
	}
	for _, n := range in {
		wantValue(t, s, store.KindUser, n, "value of "+n)
	}
	want := slices.Sorted(slices.Values(in))
	if got := names(t, store.KindUser, list(t, s, store.KindUser)); !slices.Equal(got, want) {
		t.Fatalf("List(user) = %q, want %q", got, want)
	}
	// "/" is not a hierarchy: deleting "a" leaves "a/b" alone.
	if err := s.Delete(t.Context(), store.KindUser, "a"); err != nil {
		t.Fatalf("Delete(a): %v", err)
	}
	wantMissing(t, s, store.KindUser, "a")
	wantValue(t, s, store.KindUser, "a/b", "value of a/b")
	update(t, s, store.KindUser, "a/b", "changed")
	wantValue(t, s, store.KindUser, "a/b/c", "value of a/b/c")
}

func testNameLong(t *testing.T, s store.Store) {
	long := strings.Repeat("x", 1024)
	longUnicode := strings.Repeat("ü", 512) // 1 KiB of UTF-8
	longSlashes := strings.Repeat("d/", 512)
	for _, n := range []string{long, longUnicode, longSlashes, long[:1023]} {
		create(t, s, store.KindRevocation, n, n[:8])
		wantValue(t, s, store.KindRevocation, n, n[:8])
	}
	update(t, s, store.KindRevocation, long, "updated")
	wantValue(t, s, store.KindRevocation, long, "updated")
	wantValue(t, s, store.KindRevocation, long[:1023], long[:8])
	got := names(t, store.KindRevocation, list(t, s, store.KindRevocation))
	want := slices.Sorted(slices.Values([]string{long, longUnicode, longSlashes, long[:1023]}))
	if !slices.Equal(got, want) {
		t.Fatalf("List returned %d names (lengths %v), want the 4 long names sorted", len(got), lengths(got))
	}
	if err := s.Delete(t.Context(), store.KindRevocation, long); err != nil {
		t.Fatalf("Delete(long): %v", err)
	}
	wantMissing(t, s, store.KindRevocation, long)
}

func lengths(names []string) []int {
	out := make([]int, len(names))
	for i, n := range names {
		out[i] = len(n)
	}
	return out
}

func testValuesCopied(t *testing.T, s store.Store) {
	ctx := t.Context()
	in := []byte("original")
	createRec(t, s, store.Record{Kind: store.KindPolicy, Name: "p", Value: in})
	copy(in, "MUTATED!")
	wantValue(t, s, store.KindPolicy, "p", "original")

	got := get(t, s, store.KindPolicy, "p")
	copy(got.Value, "MUTATED!")
	wantValue(t, s, store.KindPolicy, "p", "original")

	recs := list(t, s, store.KindPolicy)
	copy(recs[0].Value, "MUTATED!")
	wantValue(t, s, store.KindPolicy, "p", "original")

	next := []byte("replaced")
	err := s.Update(ctx, store.KindPolicy, "p", func(old []byte) ([]byte, error) {
		copy(old, "MUTATED!") // the old value is the caller's to scribble on
		return next, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	copy(next, "MUTATED!")
	wantValue(t, s, store.KindPolicy, "p", "replaced")

	// fn may return (a reslice of) the old value it was given.
	err = s.Update(ctx, store.KindPolicy, "p", func(old []byte) ([]byte, error) {
		old[0] = 'R'
		return old[:3], nil
	})
	if err != nil {
		t.Fatalf("Update returning old: %v", err)
	}
	wantValue(t, s, store.KindPolicy, "p", "Rep")
}

func testValuesBinary(t *testing.T, s store.Store) {
	v := make([]byte, 64<<10)
	for i := range v {
		v[i] = byte(i * 7)
	}
	createRec(t, s, store.Record{Kind: store.KindSealingKey, Name: "k", Value: v})
	wantValue(t, s, store.KindSealingKey, "k", string(v))
}
