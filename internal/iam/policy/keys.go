package policy

import "strings"

// UsesConditionKey reports whether a condition of p tests a context key
// that begins with prefix, compared without regard to case. A caller whose
// condition keys are costly to compute (the tags of an existing object,
// say) asks first and skips them for policies that never look. A nil
// policy uses none.
func (p *Policy) UsesConditionKey(prefix string) bool {
	if p == nil {
		return false
	}
	prefix = strings.ToLower(prefix)
	for i := range p.statements {
		for _, c := range p.statements[i].conditions {
			if strings.HasPrefix(c.lkey, prefix) {
				return true
			}
		}
	}
	return false
}
