package policy

import (
	"strings"
	"unicode/utf8"
)

// This file holds what confines a bucket policy to its bucket: the check
// of its Resource and NotResource entries at parse time, and the scope of
// Evaluate.

// bucketARNPrefix begins the ARN of every bucket and object.
const bucketARNPrefix = "arn:aws:s3:::"

// inBucket reports whether res is the ARN of bucket or of an object in it:
// "arn:aws:s3:::<bucket>" or "arn:aws:s3:::<bucket>/<key>".
func inBucket(res, bucket string) bool {
	rest, ok := strings.CutPrefix(res, bucketARNPrefix)
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, bucket)
	return ok && (rest == "" || rest[0] == '/')
}

// reachesBucket reports whether the compiled Resource or NotResource entry
// a can match the ARN of bucket or of an object in it, whatever values its
// policy variables take: "*", "arn:aws:s3:::*", "arn:aws:s3:::photo?/*"
// and "arn:aws:s3:::photos/${aws:username}/*" can for bucket "photos";
// "arn:aws:s3:::other/*", "arn:aws:s3:::photos2" and
// "arn:aws:s3:::${aws:username}/*" cannot.
//
// A variable is given as value one character that the bucket's ARNs do
// not contain before the key: if the entry can still match, the character
// lies in the key, where any other value fits as well; if it cannot, that
// value is a counterexample.
func (a *arnPattern) reachesBucket(bucket string) bool {
	if a.any {
		return true
	}
	head := bucketARNPrefix + bucket + "/"
	unknown := "\x00"
	for strings.Contains(head, unknown) {
		unknown = string(rune(unknown[0] + 1))
	}
	fields := [arnSegments - 1]string{"arn", "aws", "s3", "", ""}
	for i, want := range fields {
		if whole, _ := a.segs[i].reach(want, unknown); !whole {
			return false
		}
	}
	whole, _ := a.segs[arnSegments-1].reach(bucket, unknown)
	_, prefix := a.segs[arnSegments-1].reach(bucket+"/", unknown)
	return whole || prefix
}

// reach reports whether p, each of its policy variables standing for the
// text unknown, matches s (whole) and whether it matches some string that
// begins with s (prefix). It simulates p as a nondeterministic automaton,
// in O(len(s)·len(p)) time; it is for parsing, not for requests.
func (p *pattern) reach(s, unknown string) (whole, prefix bool) {
	// The pattern as a list of items: a '*' (star), a '?' (one) or a
	// literal character (char).
	type item struct {
		star, one bool
		char      string
	}
	var items []item
	for i, c := range p.chunks {
		if i > 0 {
			items = append(items, item{star: true})
		}
		for _, pt := range c.parts {
			text := pt.lit
			switch pt.kind {
			case partOne:
				items = append(items, item{one: true})
				continue
			case partVar:
				text = unknown
			}
			for text != "" {
				_, w := utf8.DecodeRuneInString(text)
				items = append(items, item{char: text[:w]})
				text = text[w:]
			}
		}
	}
	// live[j]: the characters read so far can be matched by items[:j].
	live := make([]bool, len(items)+1)
	closure := func() { // a star may match the empty run
		for j, it := range items {
			if live[j] && it.star {
				live[j+1] = true
			}
		}
	}
	live[0] = true
	closure()
	for s != "" {
		_, w := utf8.DecodeRuneInString(s)
		c := s[:w]
		s = s[w:]
		next := make([]bool, len(live))
		for j, it := range items {
			if !live[j] {
				continue
			}
			switch {
			case it.star:
				next[j] = true
			case it.one:
				next[j+1] = true
			default:
				if n, ok := prefixLen(c, it.char, p.fold); ok && n == len(c) {
					next[j+1] = true
				}
			}
		}
		live = next
		closure()
	}
	for _, l := range live {
		prefix = prefix || l
	}
	return live[len(items)], prefix
}
