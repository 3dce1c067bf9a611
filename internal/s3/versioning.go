package s3

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/object"
)

// Versioning: PutBucketVersioning / GetBucketVersioning keep the bucket's
// state as its object.ConfigVersioning document; writes and deletes pass
// the state to an object.Versioned backend, which keeps the versions. A
// backend without it answers ?versions, a versionId other than "null" and
// PutBucketVersioning with 501 NotImplemented.

// Errors of versioning.
var (
	ErrNoSuchVersion = &APIError{Code: "NoSuchVersion", Message: "The specified version does not exist.", Status: http.StatusNotFound}
	errVersioningNI  = ErrNotImplemented.WithMessage("Object versioning is not implemented by this server's storage backend.")
	errMFARequired   = ErrAccessDenied.WithMessage("Mfa Authentication must be used for this request")
)

// maxVersioningBody bounds a PutBucketVersioning document.
const maxVersioningBody = 4 << 10

// versioningDoc is the VersioningConfiguration document, read and written.
type versioningDoc struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	Xmlns     string   `xml:"xmlns,attr,omitempty"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

// versionedBackend returns the backend's Versioned part, or nil.
func (a *API) versionedBackend() object.Versioned {
	v, _ := a.backend.(object.Versioned)
	return v
}

// bucketVersioning returns the versioning state of bucket: Off when the
// backend keeps no versions or configurations, or none was ever set.
func (a *API) bucketVersioning(req *request, bucket string) (object.Versioning, error) {
	return a.versioningOf(req.Context(), bucket)
}

// versioningOf is bucketVersioning outside a request (the lifecycle worker).
func (a *API) versioningOf(ctx context.Context, bucket string) (object.Versioning, error) {
	cb, ok := a.backend.(object.BucketConfigs)
	if !ok || a.versionedBackend() == nil {
		return object.VersioningOff, nil
	}
	data, err := cb.GetBucketConfig(ctx, bucket, object.ConfigVersioning)
	switch {
	case errors.Is(err, object.ErrNoSuchBucketConfig):
		return object.VersioningOff, nil
	case err != nil:
		return object.VersioningOff, err
	}
	var doc versioningDoc
	if xml.Unmarshal(data, &doc) != nil {
		return object.VersioningOff, nil
	}
	return object.Versioning(doc.Status), nil
}

func (a *API) putBucketVersioning(req *request) error {
	cb, ok := a.backend.(object.BucketConfigs)
	if !ok || a.versionedBackend() == nil {
		return errVersioningNI
	}
	var doc versioningDoc
	if err := readXML(req.Body, maxVersioningBody, &doc); err != nil {
		return err
	}
	switch doc.Status {
	case string(object.VersioningEnabled), string(object.VersioningSuspended):
	case "":
		// An empty document changes nothing, as in S3.
		if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
			return err
		}
		req.w.WriteHeader(http.StatusOK)
		return nil
	default:
		return ErrMalformedXML
	}
	switch doc.MfaDelete {
	case "", "Disabled":
	case "Enabled":
		return errMFARequired
	default:
		return ErrMalformedXML
	}
	if doc.Status == string(object.VersioningSuspended) {
		if locked, err := a.objectLockEnabled(req); err != nil {
			return err
		} else if locked {
			return errObjectLockVersioningCannotChange
		}
	}
	out, _ := xml.Marshal(versioningDoc{Xmlns: s3NS, Status: doc.Status})
	if err := cb.PutBucketConfig(req.Context(), req.bucket, object.ConfigVersioning, out); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusOK)
	return nil
}

// getBucketVersioning reports the bucket's versioning state: an empty
// configuration when versioning was never enabled.
func (a *API) getBucketVersioning(req *request) error {
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	state, err := a.bucketVersioning(req, req.bucket)
	if err != nil {
		return err
	}
	writeXML(req.w, http.StatusOK, versioningDoc{Xmlns: s3NS, Status: string(state)})
	return nil
}

// versionID returns the request's versionId parameter: "" when absent. A
// versionId other than "null" needs a Versioned backend.
func (a *API) versionID(req *request) (string, error) {
	id := req.query.Get("versionId")
	if id == "" {
		if _, ok := req.query["versionId"]; ok {
			return "", ErrInvalidArgument.WithMessage("Version id cannot be the empty string")
		}
		return "", nil
	}
	if id != object.NullVersionID && a.versionedBackend() == nil {
		return "", errVersioningNI
	}
	return id, nil
}

// setVersionHeader sets x-amz-version-id for a versioned object.
func setVersionHeader(w http.ResponseWriter, id string) {
	if id != "" {
		w.Header().Set("X-Amz-Version-Id", id)
	}
}

// writtenVersion is the version ID a write reports: none for the null
// version (a write while versioning is suspended), as S3 answers.
func writtenVersion(id string) string {
	if id == object.NullVersionID {
		return ""
	}
	return id
}

// deleteMarkerAnswer turns a backend's *DeleteMarkerError into S3's
// answer: 404 NoSuchKey for the latest version, 405 MethodNotAllowed for
// a version named by ID, with x-amz-delete-marker and the marker's ID.
func deleteMarkerAnswer(req *request, err error, named bool) error {
	var dm *object.DeleteMarkerError
	if !errors.As(err, &dm) {
		return err
	}
	h := req.w.Header()
	h.Set("X-Amz-Delete-Marker", "true")
	h.Set("X-Amz-Version-Id", dm.VersionID)
	if named {
		h.Set("Last-Modified", dm.ModTime.UTC().Format(http.TimeFormat))
		return ErrMethodNotAllowed
	}
	return ErrNoSuchKey
}

// openVersion opens the object of a GET: the version the query names, or
// the latest.
func (a *API) openVersion(req *request, opts object.GetOptions) (*object.Reader, error) {
	id, err := a.versionID(req)
	if err != nil {
		return nil, err
	}
	v := a.versionedBackend()
	if v == nil {
		return a.backend.GetObject(req.Context(), req.bucket, req.key, opts)
	}
	rd, err := v.GetObjectVersion(req.Context(), req.bucket, req.key, id, opts)
	return rd, deleteMarkerAnswer(req, err, id != "")
}

// headVersion describes the object of a HEAD, as openVersion.
func (a *API) headVersion(req *request) (object.ObjectInfo, error) {
	id, err := a.versionID(req)
	if err != nil {
		return object.ObjectInfo{}, err
	}
	v := a.versionedBackend()
	if v == nil {
		return a.backend.HeadObject(req.Context(), req.bucket, req.key)
	}
	info, err := v.HeadObjectVersion(req.Context(), req.bucket, req.key, id)
	return info, deleteMarkerAnswer(req, err, id != "")
}

// deleteConditions are the conditions of a delete: If-Match (<ETag> in a
// DeleteObjects entry), x-amz-if-match-size (<Size>) and
// x-amz-if-match-last-modified-time (<LastModifiedTime>).
type deleteConditions struct {
	ifMatch string
	size    *int64
	modTime *time.Time
}

// parseDeleteConditions reads the conditions of a delete.
func parseDeleteConditions(ifMatch, size, modTime string) (deleteConditions, error) {
	c := deleteConditions{ifMatch: ifMatch}
	if size != "" {
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil || n < 0 {
			return c, ErrInvalidArgument.WithMessage("The size condition must be a non-negative integer.")
		}
		c.size = &n
	}
	if modTime != "" {
		t, err := http.ParseTime(modTime)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, modTime); err != nil {
				return c, ErrInvalidArgument.WithMessage("The last modified time condition must be a date.")
			}
		}
		c.modTime = &t
	}
	return c, nil
}

// deleteKey deletes key (one version of it when versionID is set) with
// the bucket's versioning state and the conditions cond.
func (a *API) deleteKey(req *request, key, versionID string, cond deleteConditions) (object.DeleteResult, error) {
	ifMatch := cond.ifMatch
	cw, ok := a.backend.(object.ConditionalWriter)
	if !ok {
		if versionID != "" && versionID != object.NullVersionID {
			return object.DeleteResult{}, errVersioningNI
		}
		if cond.size != nil || cond.modTime != nil {
			return object.DeleteResult{}, errConditionalDelete
		}
		done, err := a.checkDeleteCondition(req, key, ifMatch)
		if err != nil || done {
			return object.DeleteResult{}, err
		}
		return object.DeleteResult{}, a.backend.DeleteObject(req.Context(), req.bucket, key)
	}
	if ifMatch != "" || cond.size != nil || cond.modTime != nil {
		// Comparing ETags (sizes, times) reveals the object's.
		if err := a.authorize(req, "s3:GetObject", req.bucket, key); err != nil {
			return object.DeleteResult{}, err
		}
	}
	state, err := a.bucketVersioning(req, req.bucket)
	if err != nil {
		return object.DeleteResult{}, err
	}
	opts := object.DeleteOptions{VersionID: versionID, Versioning: state, IfMatch: ifMatch, IfMatchSize: cond.size, IfMatchModTime: cond.modTime}
	if versionID != "" {
		opts.Allow = lockAllowsDelete(a.bypassGovernance(req, key))
	}
	return cw.DeleteObjectWith(req.Context(), req.bucket, key, opts)
}

// listObjectVersions answers GET ?versions.
func (a *API) listObjectVersions(req *request) error {
	v := a.versionedBackend()
	if v == nil {
		return errVersioningNI
	}
	p, err := parseListParams(req.query)
	if err != nil {
		return err
	}
	keyMarker, idMarker := req.query.Get("key-marker"), req.query.Get("version-id-marker")
	if idMarker != "" && keyMarker == "" {
		return ErrInvalidArgument.WithMessage("A version-id marker cannot be specified without a key marker.")
	}
	var res object.ListVersionsResult
	if p.maxKeys > 0 {
		res, err = v.ListObjectVersions(req.Context(), req.bucket, object.ListVersionsOptions{
			Prefix: p.prefix, Delimiter: p.delimiter, KeyMarker: keyMarker, VersionIDMarker: idMarker, MaxKeys: p.maxKeys,
		})
	} else {
		_, err = a.backend.HeadBucket(req.Context(), req.bucket)
	}
	if err != nil {
		return err
	}
	enc := encoder(p.encodingType)
	out := listVersionsResult{
		Xmlns: s3NS, Name: req.bucket, Prefix: enc(p.prefix), KeyMarker: enc(keyMarker), VersionIDMarker: idMarker,
		MaxKeys: p.maxKeys, Delimiter: enc(p.delimiter), IsTruncated: res.IsTruncated, EncodingType: p.encodingType,
	}
	if res.IsTruncated {
		out.NextKeyMarker, out.NextVersionIDMarker = enc(res.NextKeyMarker), res.NextVersionIDMarker
	}
	for _, o := range res.Versions {
		e := versionEntry{Key: enc(o.Key), VersionID: o.VersionID, IsLatest: o.IsLatest, LastModified: isoTime(o.ModTime), Owner: &theOwner}
		if o.DeleteMarker {
			e.XMLName.Local = "DeleteMarker"
		} else {
			e.XMLName.Local = "Version"
			size := o.Size
			e.ETag, e.Size, e.StorageClass = quote(o.ETag), &size, "STANDARD"
		}
		out.Entries = append(out.Entries, e)
	}
	for _, cp := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc(cp)})
	}
	writeXML(req.w, http.StatusOK, out)
	return nil
}

// listVersionsResult is ListObjectVersions' answer; Entries holds the
// <Version> and <DeleteMarker> elements in listing order.
type listVersionsResult struct {
	XMLName             xml.Name       `xml:"ListVersionsResult"`
	Xmlns               string         `xml:"xmlns,attr"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	Entries             []versionEntry `xml:",any"`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
}

type versionEntry struct {
	XMLName      xml.Name
	Key          string `xml:"Key"`
	VersionID    string `xml:"VersionId"`
	IsLatest     bool   `xml:"IsLatest"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag,omitempty"`
	Size         *int64 `xml:"Size,omitempty"`
	StorageClass string `xml:"StorageClass,omitempty"`
	Owner        *owner `xml:"Owner,omitempty"`
}

// copySourceVersion returns the versionId of X-Amz-Copy-Source ("" when
// none).
func copySourceVersion(req *request) string {
	_, query, _ := strings.Cut(req.Header.Get("X-Amz-Copy-Source"), "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return ""
	}
	return q.Get("versionId")
}

// deleteMarkerCopyError answers a copy whose source is a delete marker:
// named by its version ID, 400 InvalidRequest; as the latest version,
// 404 NoSuchKey.
func deleteMarkerCopyError(id string) error {
	if id != "" {
		return ErrInvalidRequest.WithMessage("The source of a copy request may not specifically refer to a delete marker by version id.")
	}
	return ErrNoSuchKey
}
