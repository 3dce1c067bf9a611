package object

import (
	"context"
	"time"
)

// Object Lock modes.
const (
	LockGovernance = "GOVERNANCE"
	LockCompliance = "COMPLIANCE"
)

// ObjectLock is the Object Lock state of one object version: a retention
// (Mode until RetainUntil) and a legal hold. It is kept in the version's
// Metadata, so it goes wherever the version goes; the S3 layer decides
// what may change it and which deletes it forbids.
type ObjectLock struct {
	Mode        string    `json:"mode,omitempty"`
	RetainUntil time.Time `json:"retainUntil,omitzero"`
	LegalHold   bool      `json:"legalHold,omitempty"`
}

// ObjectLocker is the optional part of a Versioned backend that changes the
// Object Lock state of a stored version in place. A backend without it has
// Object Lock answered with 501 NotImplemented.
type ObjectLocker interface {
	// UpdateObjectLock calls update with the version's info and a copy of
	// its lock state, and stores the state update leaves unless it
	// returns an error, which UpdateObjectLock returns. No write or
	// delete of the key comes in between. versionID "" is the current
	// version.
	UpdateObjectLock(ctx context.Context, bucket, key, versionID string, update func(info ObjectInfo, lock *ObjectLock) error) (ObjectInfo, error)
}
