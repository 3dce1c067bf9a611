package s3

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sesame-s3/sesame/internal/iam/policy"
	"github.com/sesame-s3/sesame/internal/object"
)

// Body limits for bucket-level documents.
const (
	maxBucketPolicySize   = 20 << 10 // S3's bucket policy limit
	maxCreateBucketConfig = 64 << 10
	maxDeleteObjectsBody  = 2 << 20 // 1000 keys of 1024 bytes plus markup
	maxDeleteObjectsKeys  = 1000
	defaultMaxKeys        = 1000
)

var theOwner = owner{ID: "02d6176db174dc93cb1b899f7c6078f08654445fe8cf1b6ce98d8855f66bdbf4", DisplayName: "sesame"}

// validBucketName applies S3's naming rules for new buckets.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	first, last := name[0], name[len(name)-1]
	if first == '.' || first == '-' || last == '.' || last == '-' {
		return false
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	if net.ParseIP(name) != nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", "--x-s3", ".mrap"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

func (a *API) listBuckets(req *request) error {
	buckets, err := a.backend.ListBuckets(req.Context())
	if err != nil {
		return err
	}
	res := listAllMyBucketsResult{Xmlns: s3NS, Owner: theOwner, Buckets: []bucketEntry{}}
	for _, b := range buckets {
		res.Buckets = append(res.Buckets, bucketEntry{Name: b.Name, CreationDate: isoTime(b.Created)})
	}
	writeXML(req.w, http.StatusOK, res)
	return nil
}

func (a *API) createBucket(req *request) error {
	if !validBucketName(req.bucket) {
		return ErrInvalidBucketName.WithMessage("The specified bucket is not valid: bucket names have 3 to 63 characters: lower-case letters, digits, '.' and '-', beginning and ending with a letter or digit.")
	}
	if err := checkBucketCreateHeaders(req.amz); err != nil {
		return err
	}
	if req.ContentLength != 0 {
		var cfg createBucketConfiguration
		if err := readXML(req.Body, maxCreateBucketConfig, &cfg); err != nil {
			return err
		}
	}
	lock, err := a.objectLockRequested(req)
	if err != nil {
		return err
	}
	if err := a.backend.CreateBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	if err := a.storeCreateOwnership(req); err != nil {
		return err
	}
	if lock {
		if err := a.enableObjectLock(req); err != nil {
			return err
		}
	}
	req.w.Header().Set("Location", "/"+req.bucket)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) headBucket(req *request) error {
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	req.w.Header().Set("X-Amz-Bucket-Region", a.region)
	req.w.WriteHeader(http.StatusOK)
	return nil
}

func (a *API) deleteBucket(req *request) error {
	if err := a.backend.DeleteBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	a.policies.forget(req.bucket)
	a.restricted.forget(req.bucket)
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) getBucketLocation(req *request) error {
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	loc := a.region
	if loc == "us-east-1" {
		loc = "" // S3 reports the classic region as an empty constraint.
	}
	writeXML(req.w, http.StatusOK, locationConstraint{Xmlns: s3NS, Value: loc})
	return nil
}

func (a *API) putBucketPolicy(req *request) error {
	data, err := io.ReadAll(io.LimitReader(req.Body, maxBucketPolicySize+1))
	if err != nil {
		return err
	}
	if len(data) > maxBucketPolicySize {
		return ErrMalformedPolicy.WithMessage("Policy exceeds the maximum allowed document size of %d bytes.", maxBucketPolicySize)
	}
	if _, err := policy.ParseBucketPolicy(data, req.bucket); err != nil {
		return ErrMalformedPolicy.WithMessage("%s", strings.TrimPrefix(err.Error(), "policy: "))
	}
	if err := a.checkPublicPolicy(req, data); err != nil {
		return err
	}
	if err := a.backend.PutBucketPolicy(req.Context(), req.bucket, data); err != nil {
		return err
	}
	a.policies.forget(req.bucket)
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) getBucketPolicy(req *request) error {
	data, err := a.backend.GetBucketPolicy(req.Context(), req.bucket)
	if err != nil {
		return err
	}
	req.w.Header().Set("Content-Type", "application/json")
	req.w.Header().Set("Content-Length", itoa(int64(len(data))))
	req.w.WriteHeader(http.StatusOK)
	_, _ = req.w.Write(data)
	return nil
}

func (a *API) deleteBucketPolicy(req *request) error {
	if err := a.backend.DeleteBucketPolicy(req.Context(), req.bucket); err != nil {
		return err
	}
	a.policies.forget(req.bucket)
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// listParams are the parameters both ListObjects versions share.
type listParams struct {
	prefix, delimiter, encodingType string
	maxKeys                         int
}

func parseListParams(q url.Values) (listParams, error) {
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), encodingType: q.Get("encoding-type"), maxKeys: defaultMaxKeys}
	if p.encodingType != "" && p.encodingType != "url" {
		return p, ErrInvalidArgument.WithMessage("Invalid Encoding Method specified in Request.")
	}
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, ErrInvalidArgument.WithMessage("Argument maxKeys must be an integer between 0 and 2147483647.")
		}
		p.maxKeys = min(n, defaultMaxKeys)
	}
	return p, nil
}

// list runs one page of a listing; maxKeys 0 returns an empty, untruncated page.
func (a *API) list(req *request, p listParams, after string) (object.ListResult, error) {
	if p.maxKeys == 0 {
		_, err := a.backend.HeadBucket(req.Context(), req.bucket)
		return object.ListResult{}, err
	}
	res, err := a.backend.ListObjects(req.Context(), req.bucket, object.ListOptions{
		Prefix: p.prefix, Delimiter: p.delimiter, After: after, MaxKeys: p.maxKeys,
	})
	if err == nil {
		err = a.plainListing(req.Context(), res.Objects)
	}
	return res, err
}

// encoder returns the function that encodes keys for encoding-type: with
// "url", as AWS does, every byte but the unreserved characters and '/' is
// percent-encoded (a '/' is left alone, so a delimiter or prefix "a/"
// reads the same encoded or not).
func encoder(encodingType string) func(string) string {
	if encodingType == "url" {
		return func(s string) string {
			return strings.ReplaceAll(strings.ReplaceAll(url.QueryEscape(s), "+", "%20"), "%2F", "/")
		}
	}
	return func(s string) string { return s }
}

func entries(res object.ListResult, enc func(string) string, withOwner bool) ([]objectEntry, []commonPrefix) {
	objs := make([]objectEntry, 0, len(res.Objects))
	for _, o := range res.Objects {
		e := objectEntry{Key: enc(o.Key), LastModified: isoTime(o.ModTime), ETag: quote(o.ETag), Size: o.Size, StorageClass: "STANDARD"}
		if withOwner {
			e.Owner = &theOwner
		}
		objs = append(objs, e)
	}
	prefixes := make([]commonPrefix, 0, len(res.CommonPrefixes))
	for _, p := range res.CommonPrefixes {
		prefixes = append(prefixes, commonPrefix{Prefix: enc(p)})
	}
	return objs, prefixes
}

func (a *API) listObjectsV1(req *request) error {
	p, err := parseListParams(req.query)
	if err != nil {
		return err
	}
	marker := req.query.Get("marker")
	res, err := a.list(req, p, marker)
	if err != nil {
		return err
	}
	enc := encoder(p.encodingType)
	out := listBucketResult{
		Xmlns: s3NS, Name: req.bucket, Prefix: enc(p.prefix), Marker: enc(marker), MaxKeys: p.maxKeys,
		Delimiter: enc(p.delimiter), IsTruncated: res.IsTruncated, EncodingType: p.encodingType,
	}
	if res.IsTruncated {
		out.NextMarker = enc(res.NextAfter)
	}
	out.Contents, out.CommonPrefixes = entries(res, enc, true)
	writeXML(req.w, http.StatusOK, out)
	return nil
}

func (a *API) listObjectsV2(req *request) error {
	p, err := parseListParams(req.query)
	if err != nil {
		return err
	}
	token := req.query.Get("continuation-token")
	startAfter := req.query.Get("start-after")
	after := startAfter
	if _, ok := req.query["continuation-token"]; ok {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || token == "" {
			return ErrInvalidArgument.WithMessage("The continuation token provided is incorrect.")
		}
		after = string(raw)
	}
	res, err := a.list(req, p, after)
	if err != nil {
		return err
	}
	enc := encoder(p.encodingType)
	out := listBucketV2Result{
		Xmlns: s3NS, Name: req.bucket, Prefix: enc(p.prefix), StartAfter: enc(startAfter),
		ContinuationToken: token, MaxKeys: p.maxKeys, Delimiter: enc(p.delimiter),
		IsTruncated: res.IsTruncated, EncodingType: p.encodingType,
	}
	if res.IsTruncated {
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.NextAfter))
	}
	out.Contents, out.CommonPrefixes = entries(res, enc, req.query.Get("fetch-owner") == "true")
	out.KeyCount = len(out.Contents) + len(out.CommonPrefixes)
	writeXML(req.w, http.StatusOK, out)
	return nil
}

func (a *API) deleteObjects(req *request) error {
	var body deleteRequest
	if err := readXML(req.Body, maxDeleteObjectsBody, &body); err != nil {
		return err
	}
	if len(body.Objects) == 0 || len(body.Objects) > maxDeleteObjectsKeys {
		return ErrMalformedXML.WithMessage("A Delete request names 1 to %d objects.", maxDeleteObjectsKeys)
	}
	if _, err := a.backend.HeadBucket(req.Context(), req.bucket); err != nil {
		return err
	}
	res := deleteResult{Xmlns: s3NS}
	for _, o := range body.Objects {
		action := "s3:DeleteObject"
		if o.VersionID != "" {
			action = "s3:DeleteObjectVersion"
		}
		err := a.authorize(req, action, req.bucket, o.Key)
		var del object.DeleteResult
		if err == nil {
			del, err = a.deleteEntry(req, o)
		}
		if err != nil {
			e := toAPIError(err)
			if e == ErrInternal {
				a.log.ErrorContext(req.Context(), "delete object failed", "bucket", req.bucket, "key", o.Key, "err", err)
			}
			res.Errors = append(res.Errors, deleteErrorEntry{Key: o.Key, VersionID: o.VersionID, Code: e.Code, Message: e.Message})
			continue
		}
		if !body.Quiet {
			d := deletedEntry{Key: o.Key, VersionID: o.VersionID}
			if del.DeleteMarker {
				d.DeleteMarker = true
				d.DeleteMarkerVersionID = del.VersionID
			}
			res.Deleted = append(res.Deleted, d)
		}
	}
	writeXML(req.w, http.StatusOK, res)
	return nil
}

// deleteEntry deletes one object of a DeleteObjects request. A condition
// Sesame cannot honour is refused for that key rather than ignored.
func (a *API) deleteEntry(req *request, o deleteObjectEntry) (object.DeleteResult, error) {
	cond, err := parseDeleteConditions(o.ETag, o.Size, o.LastModifiedTime)
	if err != nil {
		return object.DeleteResult{}, err
	}
	return a.deleteKey(req, o.Key, o.VersionID, cond)
}
