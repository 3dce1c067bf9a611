package s3

import (
	"bytes"
	"encoding/xml"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/object"
)

// Options configure an API.
type Options struct {
	Backend object.Backend
	Auth    *auth.Authenticator
	// Region is reported by GetBucketLocation; default "us-east-1".
	Region string
	// Domains enable virtual-host-style requests: a Host of
	// "<bucket>.<domain>" addresses that bucket.
	Domains []string
	Logger  *slog.Logger
}

// API serves the S3 REST API.
type API struct {
	backend object.Backend
	auth    *auth.Authenticator
	region  string
	domains []string
	log     *slog.Logger
}

// New returns an API.
func New(opts Options) *API {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &API{backend: opts.Backend, auth: opts.Auth, region: opts.Region, domains: opts.Domains, log: opts.Logger}
}

// request is one S3 call after routing and authentication.
type request struct {
	*http.Request
	w      http.ResponseWriter
	bucket string
	key    string
	query  url.Values
	id     auth.Identity
}

type handlerFunc func(*request) error

// ServeHTTP routes, authenticates and serves one S3 request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{Request: r, w: w, query: r.URL.Query()}
	req.bucket, req.key = a.bucketAndKey(r)
	h := a.route(req)
	res, err := a.auth.Authenticate(r)
	if err != nil {
		a.writeError(req, err)
		return
	}
	req.id = res.Identity
	if err := a.authorize(req); err != nil {
		a.writeError(req, err)
		return
	}
	if h == nil {
		a.writeError(req, ErrMethodNotAllowed)
		return
	}
	if err := h(req); err != nil {
		a.writeError(req, err)
	}
}

// authorize decides whether the identity may make the call. Until IAM lands,
// the root credentials may do everything and nobody else anything.
func (a *API) authorize(req *request) error {
	if req.id.Root {
		return nil
	}
	return ErrAccessDenied
}

// bucketAndKey extracts the bucket and key from a virtual-host or path-style request.
func (a *API) bucketAndKey(r *http.Request) (bucket, key string) {
	path := r.URL.Path
	if b, ok := a.virtualHostBucket(r.Host); ok {
		return b, strings.TrimPrefix(path, "/")
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

func (a *API) virtualHostBucket(host string) (string, bool) {
	if len(a.domains) == 0 {
		return "", false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	for _, d := range a.domains {
		if b, ok := strings.CutSuffix(host, "."+d); ok && b != "" {
			return b, true
		}
	}
	return "", false
}

// Sub-resources Sesame does not implement: a request naming one is answered
// with 501 NotImplemented rather than being mistaken for a plain call.
var unsupported = []string{
	"accelerate", "acl", "analytics", "attributes", "cors", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "logging",
	"metadataTable", "metrics", "notification", "object-lock", "ownershipControls",
	"policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore",
	"retention", "select", "tagging", "torrent", "versionId", "versions", "website",
	"renameObject", "session",
}

// route picks the handler for a request; nil means MethodNotAllowed.
func (a *API) route(req *request) handlerFunc {
	q := req.query
	has := func(k string) bool { _, ok := q[k]; return ok }
	for _, k := range unsupported {
		if has(k) {
			if k == "versionId" && (q.Get(k) == "null" || q.Get(k) == "") {
				continue
			}
			return notImplemented(k)
		}
	}
	m := req.Method
	switch {
	case req.bucket == "":
		if m == http.MethodGet {
			return a.listBuckets
		}
		return nil
	case req.key == "":
		switch m {
		case http.MethodGet:
			switch {
			case has("location"):
				return a.getBucketLocation
			case has("policy"):
				return a.getBucketPolicy
			case has("uploads"):
				return a.listMultipartUploads
			case has("versioning"):
				return a.getBucketVersioning
			case q.Get("list-type") == "2":
				return a.listObjectsV2
			}
			return a.listObjectsV1
		case http.MethodHead:
			return a.headBucket
		case http.MethodPut:
			switch {
			case has("policy"):
				return a.putBucketPolicy
			case has("versioning"):
				return notImplemented("versioning")
			}
			return a.createBucket
		case http.MethodDelete:
			if has("policy") {
				return a.deleteBucketPolicy
			}
			return a.deleteBucket
		case http.MethodPost:
			if has("delete") {
				return a.deleteObjects
			}
			return nil
		}
	default:
		switch m {
		case http.MethodGet:
			if has("uploadId") {
				return a.listParts
			}
			return a.getObject
		case http.MethodHead:
			return a.headObject
		case http.MethodPut:
			switch {
			case has("uploadId") || has("partNumber"):
				if req.Header.Get("X-Amz-Copy-Source") != "" {
					return a.uploadPartCopy
				}
				return a.uploadPart
			case req.Header.Get("X-Amz-Copy-Source") != "":
				return a.copyObject
			}
			return a.putObject
		case http.MethodDelete:
			if has("uploadId") {
				return a.abortMultipartUpload
			}
			return a.deleteObject
		case http.MethodPost:
			switch {
			case has("uploads"):
				return a.createMultipartUpload
			case has("uploadId"):
				return a.completeMultipartUpload
			}
			return nil
		}
	}
	return nil
}

func notImplemented(what string) handlerFunc {
	return func(*request) error {
		return ErrNotImplemented.withMessage("The %q sub-resource is not implemented by this server.", what)
	}
}

// writeError writes err as an S3 <Error> document.
func (a *API) writeError(req *request, err error) {
	apiErr := toAPIError(err)
	if apiErr == ErrInternal {
		a.log.Error("s3 request failed", "method", req.Method, "bucket", req.bucket, "key", req.key, "err", err)
	}
	w := req.w
	requestID := w.Header().Get("X-Amz-Request-Id")
	resource := req.URL.Path
	body := errorResponse{
		Code:       apiErr.Code,
		Message:    apiErr.Message,
		BucketName: req.bucket,
		Key:        req.key,
		Resource:   resource,
		RequestID:  requestID,
		HostID:     requestID,
	}
	if apiErr.Status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", "GET, HEAD, PUT, POST, DELETE")
	}
	if req.Method == http.MethodHead {
		// HEAD responses have no body; clients read the status and the code header.
		w.Header().Set("X-Amz-Error-Code", apiErr.Code)
		w.WriteHeader(apiErr.Status)
		return
	}
	writeXML(w, apiErr.Status, body)
	// A half-read request body must not be parsed as the next request.
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// writeXML writes v as an XML document with status.
func writeXML(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", itoa(int64(buf.Len())))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// readXML decodes a request body of at most limit bytes into v.
func readXML(r io.Reader, limit int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > limit {
		return ErrMalformedXML.withMessage("The XML body exceeds the limit of %d bytes.", limit)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return ErrMalformedXML
	}
	return nil
}
