package ldap

import (
	"container/list"
	"slices"
	"sync"
	"time"
)

// groupCache remembers the groups found for a user for a short time, so
// that repeated logins cost one user search and one bind each. It holds
// group DNs only: never a password or the outcome of a bind. It is an LRU
// bounded by size; entries expire ttl after they were stored.
type groupCache struct {
	ttl  time.Duration
	size int
	now  func() time.Time

	mu    sync.Mutex
	order *list.List // of *cacheEntry, most recently used first
	byKey map[string]*list.Element
}

type cacheEntry struct {
	key     string
	groups  []string
	expires time.Time
}

func newGroupCache(ttl time.Duration, size int, now func() time.Time) *groupCache {
	return &groupCache{ttl: ttl, size: size, now: now, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns a copy of the groups stored for key, if they have not
// expired.
func (c *groupCache) get(key string) ([]string, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.order.Remove(el)
		delete(c.byKey, key)
		return nil, false
	}
	c.order.MoveToFront(el)
	return slices.Clone(e.groups), true
}

// put stores a copy of groups for key, evicting the least recently used
// entry when the cache is full.
func (c *groupCache) put(key string, groups []string) {
	if c.ttl <= 0 || c.size <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &cacheEntry{key: key, groups: slices.Clone(groups), expires: c.now().Add(c.ttl)}
	if el, ok := c.byKey[key]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	for c.order.Len() >= c.size {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.byKey, oldest.Value.(*cacheEntry).key)
	}
	c.byKey[key] = c.order.PushFront(e)
}

// clear drops every entry.
func (c *groupCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	clear(c.byKey)
}

func (c *groupCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
