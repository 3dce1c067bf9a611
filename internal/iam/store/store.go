// Package store defines where IAM state lives: a small record store that
// every backend (bbolt for one node, etcd for several) implements, and that
// the iam package builds users, groups, policies, roles, OpenID Connect
// providers, sealing keys and revocations on.
//
// Records are opaque bytes named by (Kind, Name); the iam package encodes
// them. Updates are compare-and-swap: Update reads the current value, calls
// fn, and writes the result only if nobody changed the record meanwhile,
// retrying otherwise, so two writers never lose either change. Watch streams
// every change so each node's in-memory cache stays fresh. Records may carry
// an expiry, after which GarbageCollect removes them (revocation entries are
// kept only as long as a session they cover could live).
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors every backend returns (wrapped with %w where useful).
var (
	// ErrNotFound is returned when no record has that kind and name.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists is returned by Create when the record exists.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict is returned when a compare-and-swap keeps losing to other
	// writers, or when fn asks to abort with it.
	ErrConflict = errors.New("store: conflict")
	// ErrUnavailable is returned when the backend cannot be reached (etcd down).
	ErrUnavailable = errors.New("store: unavailable")
	// ErrIncompatible is returned by Open when the store was written by a newer
	// format version, or is corrupt, and by other methods that meet a corrupt
	// record.
	ErrIncompatible = errors.New("store: incompatible or corrupt store")
)

// Kind groups records of one type.
type Kind string

// The kinds the iam package stores.
const (
	KindUser       Kind = "user"
	KindAccessKey  Kind = "accesskey"
	KindGroup      Kind = "group"
	KindPolicy     Kind = "policy"
	KindSealingKey Kind = "sealingkey"
	KindRevocation Kind = "revocation"
	// KindRole records are IAM roles, named by the folded role name.
	KindRole Kind = "role"
	// KindOIDCProvider records are IAM OpenID Connect providers, named by
	// their ARN's resource after "oidc-provider/" (the URL without its scheme).
	KindOIDCProvider Kind = "oidcprovider"
	// KindLDAPPolicy records are the managed policies attached to an LDAP
	// user's or group's DN, named "user:" or "group:" and the DN
	// normalised.
	KindLDAPPolicy Kind = "ldappolicy"
)

// Record is one stored value.
type Record struct {
	Kind  Kind
	Name  string
	Value []byte
	// Expires, when not zero, is when GarbageCollect may remove the record.
	Expires time.Time
	// Revision increases with every change of the record (backend-defined).
	Revision int64
}

// EventType says what happened to a record.
type EventType int

// Event types.
const (
	EventPut EventType = iota + 1
	EventDelete
	// EventReset means the watcher missed changes (compaction, reconnect):
	// the consumer must reload everything with List.
	EventReset
)

// Event is one change seen by Watch. For EventDelete, Record.Value is nil.
type Event struct {
	Type   EventType
	Record Record
}

// Store is the IAM state backend. Every method takes ctx first and is safe
// for concurrent use.
type Store interface {
	// Create stores a new record; ErrAlreadyExists if (Kind, Name) exists.
	// Name must not be empty; rec.Revision is ignored.
	Create(ctx context.Context, rec Record) error
	// Get returns a record; ErrNotFound if absent.
	Get(ctx context.Context, kind Kind, name string) (Record, error)
	// List returns every record of kind, sorted by Name.
	List(ctx context.Context, kind Kind) ([]Record, error)
	// Update replaces a record's value with fn(old) atomically (compare and
	// swap, retried); ErrNotFound if absent. An error from fn aborts the
	// update and is returned as is. The record's Expires is kept. fn may run
	// more than once and must not call the Store.
	Update(ctx context.Context, kind Kind, name string, fn func(old []byte) ([]byte, error)) error
	// Delete removes a record; ErrNotFound if absent.
	Delete(ctx context.Context, kind Kind, name string) error
	// Watch streams changes made after it is called, by this or any other
	// client of the same store, until ctx is done; the channel is then closed.
	Watch(ctx context.Context) (<-chan Event, error)
	// GarbageCollect deletes every record that expired before now and
	// reports how many it deleted.
	GarbageCollect(ctx context.Context, now time.Time) (int, error)
	// Close releases the store and closes every Watch channel. Later calls
	// fail with ErrUnavailable; Close itself may be called again.
	Close() error
}
