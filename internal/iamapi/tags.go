package iamapi

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/sesame-s3/sesame/internal/awsquery"
	"github.com/sesame-s3/sesame/internal/iam"
)

// List parameters and tags, shared by the role and OpenID Connect
// provider actions. The query protocol sends a list as Name.member.1,
// Name.member.2, ... and an empty list as "Name=" alone; a list of
// structures as Name.member.1.Field.

// member is one numbered member of a list parameter.
type member struct {
	n      int
	fields map[string]string // field name ("" for a list of strings) → value
}

// listMembers returns the members of the list parameter name in their
// order, and whether the list was given at all. Only the fields named are
// read (none for a list of strings); any other parameter under the list's
// name is a validation problem, so that nothing sent is silently ignored.
func listMembers(req *request, v *awsquery.Params, name string, fields ...string) ([]member, bool) {
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `\.member\.([1-9][0-9]{0,5})(?:\.(\w+))?$`)
	byN := map[int]*member{}
	_, given := req.Params[name]
	for key, vals := range req.Params {
		if !strings.HasPrefix(key, name+".") {
			continue
		}
		m := re.FindStringSubmatch(key)
		if m == nil || (m[2] == "") != (len(fields) == 0) || m[2] != "" && !slices.Contains(fields, m[2]) {
			v.Problem(key, awsquery.Quote(vals[0]), "Member is not a parameter of this action: the members of "+name+" are "+memberForm(name, fields))
			continue
		}
		given = true
		n, _ := strconv.Atoi(m[1])
		if byN[n] == nil {
			byN[n] = &member{n: n, fields: map[string]string{}}
		}
		byN[n].fields[m[2]] = vals[0]
	}
	out := make([]member, 0, len(byN))
	for _, m := range byN {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b member) int { return a.n - b.n })
	return out, given
}

// memberForm says how the members of the list name are written.
func memberForm(name string, fields []string) string {
	if len(fields) == 0 {
		return name + ".member.N"
	}
	return name + ".member.N." + strings.Join(fields, "|")
}

// stringList returns the list of strings parameter name, each checked to
// have lo to hi characters, and whether it was given.
func stringList(req *request, v *awsquery.Params, name string, lo, hi int) ([]string, bool) {
	members, given := listMembers(req, v, name)
	out := make([]string, 0, len(members))
	for _, m := range members {
		s := m.fields[""]
		v.Length(fmt.Sprintf("%s.%d.member", awsquery.MemberName(name), m.n), s, lo, hi)
		out = append(out, s)
	}
	return out, given
}

// listLength checks that a list has at most max members, as AWS words it.
func listLength(v *awsquery.Params, name string, n, max int) {
	if n > max {
		v.Problem(awsquery.MemberName(name), fmt.Sprintf("'[%d members]'", n), fmt.Sprintf("Member must have length less than or equal to %d", max))
	}
}

// tagsParam returns the Tags parameter (Tags.member.N.Key and .Value),
// checked against AWS's constraints.
func tagsParam(req *request, v *awsquery.Params) []iam.Tag {
	members, _ := listMembers(req, v, "Tags", "Key", "Value")
	listLength(v, "Tags", len(members), iam.MaxTags)
	tags := make([]iam.Tag, 0, len(members))
	for _, m := range members {
		prefix := fmt.Sprintf("tags.%d.member.", m.n)
		key, hasKey := m.fields["Key"]
		value, hasValue := m.fields["Value"]
		if !hasKey {
			v.Problem(prefix+"key", "null", "Member must not be null")
		} else if v.Length(prefix+"key", key, 1, 128) {
			v.Pattern(prefix+"key", key, iam.TagKeyPattern)
		}
		if !hasValue {
			v.Problem(prefix+"value", "null", "Member must not be null")
		} else if v.Length(prefix+"value", value, 0, 256) {
			v.Pattern(prefix+"value", value, iam.TagValuePattern)
		}
		tags = append(tags, iam.Tag{Key: key, Value: value})
	}
	return tags
}

// tagKeysParam returns the required TagKeys parameter.
func tagKeysParam(req *request, v *awsquery.Params) []string {
	keys, given := stringList(req, v, "TagKeys", 1, 128)
	if !given {
		v.Problem("tagKeys", "null", "Member must not be null")
	}
	listLength(v, "TagKeys", len(keys), iam.MaxTags)
	for i, k := range keys {
		if k != "" {
			v.Pattern(fmt.Sprintf("tagKeys.%d.member", i+1), k, iam.TagKeyPattern)
		}
	}
	return keys
}

type tagXML struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// toTagsXML returns tags as an IAM list; nil (the element left out) when
// there are none.
func toTagsXML(tags []iam.Tag) *members[tagXML] {
	if len(tags) == 0 {
		return nil
	}
	out := &members[tagXML]{}
	for _, t := range tags {
		out.Member = append(out.Member, tagXML{Key: t.Key, Value: t.Value})
	}
	return out
}

type listTagsResult struct {
	Tags        members[tagXML] `xml:"Tags"`
	IsTruncated bool            `xml:"IsTruncated"`
	Marker      string          `xml:"Marker,omitempty"`
}

// tagList pages through tags in the order they were added; the marker is
// the position of the next page's first tag.
func tagList(tags []iam.Tag, p pageRequest) listTagsResult {
	start := 0
	if p.marker != "" {
		n, err := strconv.Atoi(p.marker)
		if err == nil && n >= 0 && n <= len(tags) {
			start = n
		} else {
			start = len(tags)
		}
	}
	page := tags[start:]
	res := listTagsResult{}
	if len(page) > p.max {
		page = page[:p.max]
		res.IsTruncated, res.Marker = true, strconv.Itoa(start+p.max)
	}
	for _, t := range page {
		res.Tags.Member = append(res.Tags.Member, tagXML{Key: t.Key, Value: t.Value})
	}
	return res
}
