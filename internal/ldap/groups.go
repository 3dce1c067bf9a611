package ldap

import (
	"slices"
	"strings"

	goldap "github.com/go-ldap/ldap/v3"
)

// groupBatch is how many DNs one nested-group search asks about at once,
// OR-ing the group filter filled with each of them.
const groupBatch = 100

// groups finds the groups of the user: the entries under the group base
// DNs that GROUP_SEARCH_FILTER matches with "%d" = userDN and "%s" =
// username (level 0), then, up to GroupNestingDepth levels, the entries it
// matches with "%d" = a group found at the level before. Every group is
// visited once, so cycles end; the total is bounded by Options.MaxGroups.
//
// One search per base DN finds the direct groups; each further level costs
// one search per base DN and per groupBatch groups found at the level
// before, and the walk ends at the first level that finds nothing new.
func (s *session) groups(username, userDN string) ([]string, error) {
	cfg := &s.c.cfg
	maxGroups := s.c.opts.MaxGroups
	nesting := cfg.GroupNestingDepth
	if !strings.Contains(cfg.GroupSearchFilter, "%d") {
		nesting = 0 // a group's DN cannot be asked about
	}
	found := map[string]bool{}
	var result []string
	frontier := []string{userDN} // DNs as the server spells them
	for level := 0; level <= nesting && len(frontier) > 0; level++ {
		var next []string
		for batch := range slices.Chunk(frontier, groupBatch) {
			filter := substitute(cfg.GroupSearchFilter, username, batch[0])
			if len(batch) > 1 {
				var b strings.Builder
				b.WriteString("(|")
				for _, dn := range batch {
					b.WriteString(substitute(cfg.GroupSearchFilter, username, dn))
				}
				b.WriteString(")")
				filter = b.String()
			}
			for _, base := range cfg.GroupSearchBaseDN {
				entries, err := s.searchGroups(base, filter, maxGroups+1)
				if err != nil {
					return nil, err
				}
				for _, e := range entries {
					rdns, err := parseDN(e.DN)
					if err != nil {
						return nil, opErr(ErrUnavailable, OpGroupSearch, err, "the server returned an invalid DN %q", e.DN)
					}
					if !s.c.groupBases.contains(rdns) {
						continue // a referral or alias could lead elsewhere
					}
					norm := strings.Join(rdns, ",")
					if found[norm] {
						continue
					}
					found[norm] = true
					result = append(result, norm)
					next = append(next, e.DN)
					if len(result) > maxGroups {
						return nil, opErr(ErrGroupLimit, OpGroupSearch, nil, "the user is in more than %d groups (Options.MaxGroups)", maxGroups)
					}
				}
			}
		}
		frontier = next
	}
	slices.Sort(result)
	return result, nil
}

// searchGroups runs one group search under base.
func (s *session) searchGroups(base, filter string, sizeLimit int) ([]*goldap.Entry, error) {
	res, err := s.search(OpGroupSearch, &goldap.SearchRequest{
		BaseDN: base, Scope: goldap.ScopeWholeSubtree, SizeLimit: sizeLimit, Filter: filter, Attributes: []string{"1.1"},
	})
	switch {
	case err == nil:
		return res.Entries, nil
	case goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) && s.ctx.Err() == nil:
		s.c.opts.Logger.Warn("ldap: a group search base DN does not exist", "variable", EnvGroupSearchBaseDN, "base_dn", base)
		return nil, nil
	case goldap.IsErrorAnyOf(err, goldap.LDAPResultSizeLimitExceeded, goldap.LDAPResultAdminLimitExceeded) && s.ctx.Err() == nil:
		return nil, opErr(ErrGroupLimit, OpGroupSearch, err, "the group search under %s hit a size limit", base)
	default:
		return nil, s.fail(ErrUnavailable, OpGroupSearch, err, "group search under %s", base)
	}
}
