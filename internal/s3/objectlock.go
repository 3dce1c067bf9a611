package s3

import (
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// Object Lock: a bucket created with x-amz-bucket-object-lock-enabled:
// true (which enables versioning) or a versioned bucket given an Object
// Lock configuration keeps it as its object.ConfigObjectLock document.
// Each version's retention and legal hold live in its metadata
// (object.ObjectLock), set by the x-amz-object-lock-* headers of a write
// or the bucket's default retention, and changed by PutObjectRetention and
// PutObjectLegalHold through an object.ObjectLocker backend. A version
// under legal hold or unexpired retention cannot be deleted for good
// (AccessDenied); GOVERNANCE yields to x-amz-bypass-governance-retention:
// true with the s3:BypassGovernanceRetention permission, COMPLIANCE to
// nothing. Deleting without a version ID only adds a delete marker and is
// always allowed.

// Errors of Object Lock.
var (
	ErrInvalidBucketState                     = &APIError{Code: "InvalidBucketState", Message: "The request is not valid with the current state of the bucket.", Status: http.StatusConflict}
	ErrObjectLockConfigurationNotFound        = &APIError{Code: "ObjectLockConfigurationNotFoundError", Message: "Object Lock configuration does not exist for this bucket", Status: http.StatusNotFound}
	ErrNoSuchObjectLockConfiguration          = &APIError{Code: "NoSuchObjectLockConfiguration", Message: "The specified object does not have a ObjectLock configuration", Status: http.StatusNotFound}
	ErrInvalidRetentionPeriod                 = &APIError{Code: "InvalidRetentionPeriod", Message: "Default retention period must be a positive integer value.", Status: http.StatusBadRequest}
	errBucketMissingObjectLock                = ErrInvalidRequest.WithMessage("Bucket is missing Object Lock Configuration")
	errLockedVersion                          = ErrAccessDenied.WithMessage("Access Denied because object protected by object lock.")
	errObjectLockBackend                      = ErrNotImplemented.WithMessage("Object Lock is not implemented by this server's storage backend: objects cannot be protected from deletion or overwrite.")
	errObjectLockNeedsVersioning              = ErrInvalidBucketState.WithMessage("Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration")
	errObjectLockVersioningCannotChange       = ErrInvalidBucketState.WithMessage("An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
	errRetentionHeadersTogether               = ErrInvalidArgument.WithMessage("x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied")
	errRetainUntilInPast                      = ErrInvalidArgument.WithMessage("The retain until date must be in the future!")
	maxObjectLockBody                   int64 = 4 << 10
)

type objectLockConfiguration struct {
	XMLName           xml.Name        `xml:"ObjectLockConfiguration"`
	Xmlns             string          `xml:"xmlns,attr,omitempty"`
	ObjectLockEnabled string          `xml:"ObjectLockEnabled,omitempty"`
	Rule              *objectLockRule `xml:"Rule,omitempty"`
}

type objectLockRule struct {
	DefaultRetention *defaultRetention `xml:"DefaultRetention"`
}

type defaultRetention struct {
	Mode  string `xml:"Mode"`
	Days  *int   `xml:"Days,omitempty"`
	Years *int   `xml:"Years,omitempty"`
}

type retentionDoc struct {
	XMLName         xml.Name `xml:"Retention"`
	Xmlns           string   `xml:"xmlns,attr,omitempty"`
	Mode            string   `xml:"Mode,omitempty"`
	RetainUntilDate string   `xml:"RetainUntilDate,omitempty"`
}

type legalHoldDoc struct {
	XMLName xml.Name `xml:"LegalHold"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Status  string   `xml:"Status"`
}

// lockerBackend returns the backend's ObjectLocker part when it also
// keeps versions and bucket configurations, or nil.
func (a *API) lockerBackend() object.ObjectLocker {
	l, ok := a.backend.(object.ObjectLocker)
	if _, cfg := a.backend.(object.BucketConfigs); !ok || !cfg || a.versionedBackend() == nil {
		return nil
	}
	return l
}

// lockConfig returns the bucket's Object Lock configuration, nil when none.
func (a *API) lockConfig(req *request, bucket string) (*objectLockConfiguration, error) {
	cb, ok := a.backend.(object.BucketConfigs)
	if !ok || a.lockerBackend() == nil {
		return nil, nil
	}
	data, err := cb.GetBucketConfig(req.Context(), bucket, object.ConfigObjectLock)
	switch {
	case errors.Is(err, object.ErrNoSuchBucketConfig):
		return nil, nil
	case err != nil:
		return nil, err
	}
	var cfg objectLockConfiguration
	if xml.Unmarshal(data, &cfg) != nil || cfg.ObjectLockEnabled != "Enabled" {
		return nil, nil
	}
	return &cfg, nil
}

// objectLockEnabled reports whether the request's bucket has Object Lock.
func (a *API) objectLockEnabled(req *request) (bool, error) {
	cfg, err := a.lockConfig(req, req.bucket)
	return cfg != nil, err
}

// objectLockRequested reads x-amz-bucket-object-lock-enabled of a
// CreateBucket (checkBucketCreateHeaders has checked its value).
func (a *API) objectLockRequested(req *request) (bool, error) {
	on := false
	for _, v := range values(req.amz, "X-Amz-Bucket-Object-Lock-Enabled") {
		on = on || strings.EqualFold(v, "true")
	}
	if on && a.lockerBackend() == nil {
		return false, errObjectLockBackend
	}
	return on, nil
}

// enableObjectLock turns on versioning and Object Lock for a new bucket.
func (a *API) enableObjectLock(req *request) error {
	cb := a.backend.(object.BucketConfigs)
	ver, _ := xml.Marshal(versioningDoc{Xmlns: s3NS, Status: string(object.VersioningEnabled)})
	if err := cb.PutBucketConfig(req.Context(), req.bucket, object.ConfigVersioning, ver); err != nil {
		return err
	}
	lock, _ := xml.Marshal(objectLockConfiguration{Xmlns: s3NS, ObjectLockEnabled: "Enabled"})
	return cb.PutBucketConfig(req.Context(), req.bucket, object.ConfigObjectLock, lock)
}

func (a *API) putObjectLockConfiguration(req *request) error {
	if a.lockerBackend() == nil {
		return errObjectLockBackend
	}
	var cfg objectLockConfiguration
	if err := readXML(req.Body, maxObjectLockBody, &cfg); err != nil {
		return err
	}
	if cfg.ObjectLockEnabled != "Enabled" {
		return ErrMalformedXML
	}
	if cfg.Rule != nil {
		d := cfg.Rule.DefaultRetention
		switch {
		case d == nil, d.Mode != object.LockGovernance && d.Mode != object.LockCompliance,
			(d.Days == nil) == (d.Years == nil):
			return ErrMalformedXML
		case d.Days != nil && *d.Days <= 0, d.Years != nil && *d.Years <= 0:
			return ErrInvalidRetentionPeriod
		}
	}
	state, err := a.bucketVersioning(req, req.bucket)
	if err != nil {
		return err
	}
	if state != object.VersioningEnabled {
		if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
			return err
		}
		return errObjectLockNeedsVersioning
	}
	cfg.Xmlns = s3NS
	doc, _ := xml.Marshal(cfg)
	if err := a.backend.(object.BucketConfigs).PutBucketConfig(req.Context(), req.bucket, object.ConfigObjectLock, doc); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) getObjectLockConfiguration(req *request) error {
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	cfg, err := a.lockConfig(req, req.bucket)
	if err != nil {
		return err
	}
	if cfg == nil {
		return ErrObjectLockConfigurationNotFound
	}
	cfg.Xmlns = s3NS
	writeXML(req.w, http.StatusOK, cfg)
	return nil
}

// lockHeaders are the x-amz-object-lock-* headers of an object write.
var lockHeaders = []string{"X-Amz-Object-Lock-Mode", "X-Amz-Object-Lock-Retain-Until-Date", "X-Amz-Object-Lock-Legal-Hold"}

// objectLockFor returns the Object Lock state of a new object written by
// the request: from its x-amz-object-lock-* headers, else the bucket's
// default retention.
func (a *API) objectLockFor(req *request, state object.Versioning) (object.ObjectLock, error) {
	var lock object.ObjectLock
	asked := hasAny(req.amz, lockHeaders...)
	if !asked && state != object.VersioningEnabled {
		return lock, nil
	}
	if asked && a.lockerBackend() == nil {
		return lock, errObjectLockBackend
	}
	cfg, err := a.lockConfig(req, req.bucket)
	if err != nil || cfg == nil {
		if asked && err == nil {
			err = errBucketMissingObjectLock
		}
		return lock, err
	}
	mode, until := req.amz.Get("X-Amz-Object-Lock-Mode"), req.amz.Get("X-Amz-Object-Lock-Retain-Until-Date")
	switch {
	case (mode == "") != (until == ""):
		return lock, errRetentionHeadersTogether
	case mode != "":
		if mode != object.LockGovernance && mode != object.LockCompliance {
			return lock, ErrInvalidArgument.WithMessage("Unknown wormMode directive.")
		}
		t, err := time.Parse(time.RFC3339, until)
		if err != nil {
			return lock, ErrInvalidArgument.WithMessage("The retain until date must be provided in ISO 8601 format")
		}
		if !t.After(time.Now()) {
			return lock, errRetainUntilInPast
		}
		lock.Mode, lock.RetainUntil = mode, ceilMillis(t)
	case cfg.Rule != nil && cfg.Rule.DefaultRetention != nil:
		d := cfg.Rule.DefaultRetention
		lock.Mode = d.Mode
		if d.Days != nil {
			lock.RetainUntil = time.Now().UTC().AddDate(0, 0, *d.Days)
		} else if d.Years != nil {
			lock.RetainUntil = time.Now().UTC().AddDate(*d.Years, 0, 0)
		}
	}
	switch v := req.amz.Get("X-Amz-Object-Lock-Legal-Hold"); v {
	case "", "OFF":
	case "ON":
		lock.LegalHold = true
	default:
		return lock, ErrInvalidArgument.WithMessage("Legal Hold must be either of 'ON' or 'OFF'")
	}
	return lock, nil
}

// retainUntilLayout writes retain-until dates in ISO 8601 with
// milliseconds, the precision they are kept at.
const retainUntilLayout = "2006-01-02T15:04:05.000Z"

// ceilMillis rounds a retain-until date up to the millisecond, so that the
// date reported is never earlier than the one enforced: a client that
// waits until the reported date can delete.
func ceilMillis(t time.Time) time.Time {
	r := t.UTC().Truncate(time.Millisecond)
	if r.Before(t) {
		r = r.Add(time.Millisecond)
	}
	return r
}

// setLockHeaders reports a version's Object Lock state.
func setLockHeaders(w http.ResponseWriter, lock object.ObjectLock) {
	h := w.Header()
	if lock.Mode != "" {
		h.Set("X-Amz-Object-Lock-Mode", lock.Mode)
		h.Set("X-Amz-Object-Lock-Retain-Until-Date", lock.RetainUntil.UTC().Format(retainUntilLayout))
	}
	if lock.LegalHold {
		h.Set("X-Amz-Object-Lock-Legal-Hold", "ON")
	}
}

// bypassGovernance reports whether the request asks to bypass GOVERNANCE
// retention and may.
func (a *API) bypassGovernance(req *request, key string) bool {
	if !strings.EqualFold(req.amz.Get("X-Amz-Bypass-Governance-Retention"), "true") {
		return false
	}
	return a.authorize(req, "s3:BypassGovernanceRetention", req.bucket, key) == nil
}

// lockAllowsDelete returns the check that refuses the permanent deletion of
// a version under legal hold or unexpired retention.
func lockAllowsDelete(bypass bool) func(object.ObjectInfo) error {
	return func(info object.ObjectInfo) error {
		l := info.Lock
		switch {
		case l.LegalHold:
			return errLockedVersion
		case l.Mode == "" || !l.RetainUntil.After(time.Now()):
			return nil
		case l.Mode == object.LockGovernance && bypass:
			return nil
		}
		return errLockedVersion
	}
}

// lockedVersion prepares a call on one version's Object Lock state: it
// refuses a bucket without Object Lock.
func (a *API) lockedVersion(req *request) (object.ObjectLocker, string, error) {
	l := a.lockerBackend()
	if l == nil {
		return nil, "", errObjectLockBackend
	}
	id, err := a.versionID(req)
	if err != nil {
		return nil, "", err
	}
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return nil, "", err
	}
	on, err := a.objectLockEnabled(req)
	if err != nil {
		return nil, "", err
	}
	if !on {
		return nil, "", errBucketMissingObjectLock
	}
	return l, id, nil
}

func (a *API) putObjectRetention(req *request) error {
	l, id, err := a.lockedVersion(req)
	if err != nil {
		return err
	}
	var doc retentionDoc
	if err := readXML(req.Body, maxObjectLockBody, &doc); err != nil {
		return err
	}
	if doc.Mode != object.LockGovernance && doc.Mode != object.LockCompliance {
		return ErrMalformedXML
	}
	until, err := time.Parse(time.RFC3339, doc.RetainUntilDate)
	if err != nil {
		return ErrMalformedXML
	}
	if !until.After(time.Now()) {
		return errRetainUntilInPast
	}
	bypass := a.bypassGovernance(req, req.key)
	info, err := l.UpdateObjectLock(req.Context(), req.bucket, req.key, id, func(_ object.ObjectInfo, lock *object.ObjectLock) error {
		if lock.Mode != "" && lock.RetainUntil.After(time.Now()) {
			weaker := doc.Mode != lock.Mode || until.Before(lock.RetainUntil)
			if weaker && (lock.Mode == object.LockCompliance || !bypass) {
				return errLockedVersion
			}
		}
		lock.Mode, lock.RetainUntil = doc.Mode, ceilMillis(until)
		return nil
	})
	if err != nil {
		return deleteMarkerAnswer(req, err, id != "")
	}
	setVersionHeader(req.w, info.VersionID)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) getObjectRetention(req *request) error {
	info, err := a.lockedInfo(req)
	if err != nil {
		return err
	}
	if info.Lock.Mode == "" {
		return ErrNoSuchObjectLockConfiguration
	}
	writeXML(req.w, http.StatusOK, retentionDoc{Xmlns: s3NS, Mode: info.Lock.Mode, RetainUntilDate: info.Lock.RetainUntil.UTC().Format(retainUntilLayout)})
	return nil
}

// lockedInfo describes the version of a Get{ObjectRetention,ObjectLegalHold}.
func (a *API) lockedInfo(req *request) (object.ObjectInfo, error) {
	_, id, err := a.lockedVersion(req)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	info, err := a.versionedBackend().HeadObjectVersion(req.Context(), req.bucket, req.key, id)
	return info, deleteMarkerAnswer(req, err, id != "")
}

func (a *API) putObjectLegalHold(req *request) error {
	l, id, err := a.lockedVersion(req)
	if err != nil {
		return err
	}
	var doc legalHoldDoc
	if err := readXML(req.Body, maxObjectLockBody, &doc); err != nil {
		return err
	}
	if doc.Status != "ON" && doc.Status != "OFF" {
		return ErrMalformedXML
	}
	info, err := l.UpdateObjectLock(req.Context(), req.bucket, req.key, id, func(_ object.ObjectInfo, lock *object.ObjectLock) error {
		lock.LegalHold = doc.Status == "ON"
		return nil
	})
	if err != nil {
		return deleteMarkerAnswer(req, err, id != "")
	}
	setVersionHeader(req.w, info.VersionID)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) getObjectLegalHold(req *request) error {
	info, err := a.lockedInfo(req)
	if err != nil {
		return err
	}
	status := "OFF"
	if info.Lock.LegalHold {
		status = "ON"
	}
	writeXML(req.w, http.StatusOK, legalHoldDoc{Xmlns: s3NS, Status: status})
	return nil
}
