package s3

import (
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/httpx"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/object"
	"github.com/sesame-s3/sesame/internal/sigv4"
	"github.com/sesame-s3/sesame/internal/sse"
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
	// IAM decides every request (iam.Service.Authorize).
	IAM    *iam.Service
	Logger *slog.Logger
	// SSEKeys are the SSE-S3 master keys; nil: SSE-S3 answers 501.
	SSEKeys *sse.Keyring
	// SSECAllowInsecure accepts SSE-C keys over plain HTTP (tests only:
	// S3 refuses them, since the key crossed the network in clear).
	SSECAllowInsecure bool
	// LifecycleDay is how long a lifecycle rule's day lasts for the
	// lifecycle worker (0: 24h; shorter only in tests).
	LifecycleDay time.Duration
}

// API serves the S3 REST API.
type API struct {
	backend object.Backend
	auth    *auth.Authenticator
	region  string
	domains []string
	iam     *iam.Service
	log     *slog.Logger
	// policies caches parsed bucket policies.
	policies policyCache
	// cors caches parsed CORS configurations (cors.go).
	cors corsCache
	// restricted caches the buckets' RestrictPublicBuckets settings.
	restricted restrictCache
	// sseKeys and sseCInsecure are Options.SSEKeys and SSECAllowInsecure.
	sseKeys      *sse.Keyring
	sseCInsecure bool
	lifecycleDay time.Duration
	// lifecycles caches parsed lifecycle rules (lifecycle.go).
	lifecycles lifecycleCache
}

// New returns an API.
func New(opts Options) *API {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &API{backend: opts.Backend, auth: opts.Auth, region: opts.Region, domains: opts.Domains, iam: opts.IAM, log: opts.Logger,
		sseKeys: opts.SSEKeys, sseCInsecure: opts.SSECAllowInsecure, lifecycleDay: opts.LifecycleDay}
}

// request is one S3 call after routing and authentication.
type request struct {
	*http.Request
	w      http.ResponseWriter
	bucket string
	key    string
	query  url.Values
	id     iam.Principal
	sig    *sigv4.Request // nil when anonymous
	// amz is what the header checks (headers.go) read: the headers plus
	// the query's x-amz-* parameters, which S3 takes as headers.
	amz http.Header
}

type handlerFunc func(*request) error

// ServeHTTP routes, authenticates and serves one S3 request.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{Request: r, w: w}
	req.bucket, req.key = a.bucketAndKey(r)
	// Parsed strictly: the signature covers the raw query, so the handler
	// must act on every parameter or refuse the request, never on the
	// subset that url.URL.Query would keep.
	q, err := httpx.ParseQuery(r.URL.RawQuery)
	if err != nil {
		a.writeError(req, ErrInvalidArgument.WithMessage("The query string is malformed: %s.", strings.TrimPrefix(err.Error(), "httpx: ")))
		return
	}
	req.query, req.amz = q, withQueryHeaders(r.Header, q)
	if r.Method == http.MethodOptions && req.bucket != "" {
		if err := a.preflight(req); err != nil {
			a.writeError(req, err)
		}
		return
	}
	a.applyCORS(req)
	op := a.route(req)
	res, err := a.auth.Authenticate(r)
	if err != nil {
		a.writeError(req, err)
		return
	}
	req.id, req.sig = res.Identity.Principal, res.Sig
	if op.h == nil {
		a.writeError(req, ErrMethodNotAllowed)
		return
	}
	if op.action != "" {
		if err := a.authorize(req, op.action, req.bucket, req.key); err != nil {
			a.writeError(req, err)
			return
		}
	}
	if err := checkExpectedOwner(req.amz); err != nil {
		a.writeError(req, err)
		return
	}
	if err := op.h(req); err != nil {
		a.writeError(req, err)
	}
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
	"accelerate", "analytics", "attributes",
	"intelligent-tiering", "inventory",
	"metadataTable", "metrics", "notification",
	"replication", "requestPayment", "restore",
	"select", "torrent", "website",
	"renameObject", "session",
}

// operation is a routed S3 call: its handler and the IAM action that
// authorizes it ("" when the handler authorizes itself, per key).
type operation struct {
	h      handlerFunc
	action string
}

// route picks the operation for a request; a nil handler means MethodNotAllowed.
func (a *API) route(req *request) operation {
	q := req.query
	has := func(k string) bool { _, ok := q[k]; return ok }
	for _, k := range unsupported {
		if has(k) {
			if k == "attributes" && req.key != "" && req.Method == http.MethodGet {
				continue // GetObjectAttributes
			}
			return operation{notImplemented(k), ""}
		}
	}
	if req.key != "" && (has("encryption") || has("lifecycle")) {
		return operation{notImplemented("encryption/lifecycle of an object"), ""} // bucket sub-resources only
	}
	if op, ok := a.routeConfig(req); ok {
		return op
	}
	copying := req.Header.Get("X-Amz-Copy-Source") != ""
	m := req.Method
	switch {
	case req.bucket == "":
		if m == http.MethodGet {
			return operation{a.listBuckets, "s3:ListAllMyBuckets"}
		}
	case req.key == "":
		switch m {
		case http.MethodGet:
			switch {
			case has("location"):
				return operation{a.getBucketLocation, "s3:GetBucketLocation"}
			case has("policy"):
				return operation{a.getBucketPolicy, "s3:GetBucketPolicy"}
			case has("cors"):
				return operation{a.getBucketCors, "s3:GetBucketCORS"}
			case has("uploads"):
				return operation{a.listMultipartUploads, "s3:ListBucketMultipartUploads"}
			case has("versioning"):
				return operation{a.getBucketVersioning, "s3:GetBucketVersioning"}
			case has("versions"):
				return operation{a.listObjectVersions, "s3:ListBucketVersions"}
			case has("object-lock"):
				return operation{a.getObjectLockConfiguration, "s3:GetBucketObjectLockConfiguration"}
			case has("encryption"):
				return operation{a.getBucketEncryption, "s3:GetEncryptionConfiguration"}
			case has("lifecycle"):
				return operation{a.getBucketLifecycle, "s3:GetLifecycleConfiguration"}
			case q.Get("list-type") == "2":
				return operation{a.listObjectsV2, "s3:ListBucket"}
			}
			return operation{a.listObjectsV1, "s3:ListBucket"}
		case http.MethodHead:
			return operation{a.headBucket, "s3:ListBucket"}
		case http.MethodPut:
			switch {
			case has("policy"):
				return operation{a.putBucketPolicy, "s3:PutBucketPolicy"}
			case has("cors"):
				return operation{a.putBucketCors, "s3:PutBucketCORS"}
			case has("versioning"):
				return operation{a.putBucketVersioning, "s3:PutBucketVersioning"}
			case has("object-lock"):
				return operation{a.putObjectLockConfiguration, "s3:PutBucketObjectLockConfiguration"}
			case has("encryption"):
				return operation{a.putBucketEncryption, "s3:PutEncryptionConfiguration"}
			case has("lifecycle"):
				return operation{a.putBucketLifecycle, "s3:PutLifecycleConfiguration"}
			}
			return operation{a.createBucket, "s3:CreateBucket"}
		case http.MethodDelete:
			switch {
			case has("policy"):
				return operation{a.deleteBucketPolicy, "s3:DeleteBucketPolicy"}
			case has("cors"):
				return operation{a.deleteBucketCors, "s3:PutBucketCORS"} // AWS has no s3:DeleteBucketCORS
			case has("encryption"):
				return operation{a.deleteBucketEncryption, "s3:PutEncryptionConfiguration"}
			case has("lifecycle"):
				return operation{a.deleteBucketLifecycle, "s3:PutLifecycleConfiguration"}
			}
			return operation{a.deleteBucket, "s3:DeleteBucket"}
		case http.MethodPost:
			switch {
			case has("delete"):
				return operation{a.deleteObjects, ""} // s3:DeleteObject per key
			case len(q) == 0 && isPostObject(req.Request):
				return operation{a.postObject, ""} // s3:PutObject on the form's key
			}
		}
	default:
		switch m {
		case http.MethodGet:
			switch {
			case has("uploadId"):
				return operation{a.listParts, "s3:ListMultipartUploadParts"}
			case has("attributes"):
				return operation{a.getObjectAttributes, "s3:GetObjectAttributes"} // and s3:GetObject
			case has("retention"):
				return operation{a.getObjectRetention, "s3:GetObjectRetention"}
			case has("legal-hold"):
				return operation{a.getObjectLegalHold, "s3:GetObjectLegalHold"}
			}
			if has("versionId") {
				return operation{a.getObject, "s3:GetObjectVersion"}
			}
			return operation{a.getObject, "s3:GetObject"}
		case http.MethodHead:
			if has("versionId") {
				return operation{a.headObject, "s3:GetObjectVersion"}
			}
			return operation{a.headObject, "s3:GetObject"}
		case http.MethodPut:
			switch {
			case has("retention"):
				return operation{a.putObjectRetention, "s3:PutObjectRetention"}
			case has("legal-hold"):
				return operation{a.putObjectLegalHold, "s3:PutObjectLegalHold"}
			case (has("uploadId") || has("partNumber")) && copying:
				return operation{a.uploadPartCopy, "s3:PutObject"}
			case has("uploadId") || has("partNumber"):
				return operation{a.uploadPart, "s3:PutObject"}
			case copying:
				return operation{a.copyObject, "s3:PutObject"}
			}
			return operation{a.putObject, "s3:PutObject"}
		case http.MethodDelete:
			if has("uploadId") {
				return operation{a.abortMultipartUpload, "s3:AbortMultipartUpload"}
			}
			if has("versionId") {
				return operation{a.deleteObject, "s3:DeleteObjectVersion"}
			}
			return operation{a.deleteObject, "s3:DeleteObject"}
		case http.MethodPost:
			switch {
			case has("uploads"):
				return operation{a.createMultipartUpload, "s3:PutObject"}
			case has("uploadId"):
				return operation{a.completeMultipartUpload, "s3:PutObject"}
			}
		}
	}
	return operation{}
}

func notImplemented(what string) handlerFunc {
	return func(*request) error {
		return ErrNotImplemented.WithMessage("The %q sub-resource is not implemented by this server.", what)
	}
}

// writeError writes err as an S3 <Error> document.
func (a *API) writeError(req *request, err error) {
	apiErr := toAPIError(err)
	if apiErr == ErrInternal {
		a.log.ErrorContext(req.Context(), "s3 request failed", "method", req.Method, "bucket", req.bucket, "key", req.key, "err", err)
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
	if apiErr.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if req.Method == http.MethodHead {
		// HEAD responses have no body; clients read the status and the code header.
		w.Header().Set("X-Amz-Error-Code", apiErr.Code)
		w.WriteHeader(apiErr.Status)
		return
	}
	doc := httpx.NewXMLDoc()
	body.appendTo(doc)
	var ue *sigv4.UnsignedHeadersError
	if errors.As(err, &ue) && len(ue.Headers) > 0 {
		// AWS lists them in <HeadersNotSigned> too.
		doc.Elem("HeadersNotSigned", strings.Join(ue.Headers, ", "))
	}
	doc.Close("Error")
	httpx.WriteBody(w, apiErr.Status, "application/xml", doc.Bytes())
	doc.Release()
	// A half-read request body must not be parsed as the next request.
	// Flush first: closing drains what is left of the body, and a client
	// that waits for "100 Continue" (boto3, the aws cli) sends none until
	// it has an answer or its wait (a second) runs out. A request without
	// a body needs neither (net/http writes the answer when we return).
	if req.ContentLength != 0 || req.Header.Get("Expect") != "" {
		_ = http.NewResponseController(w).Flush()
		if req.Body != nil {
			_ = req.Body.Close()
		}
	}
}

// writeXML writes v as an S3 XML document with status.
func writeXML(w http.ResponseWriter, status int, v any) {
	httpx.WriteXML(w, status, "application/xml", v)
}

// readXML decodes a request body of at most limit bytes into v.
func readXML(r io.Reader, limit int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if int64(len(data)) > limit {
		return ErrMalformedXML.WithMessage("The XML body exceeds the limit of %d bytes.", limit)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		return ErrMalformedXML
	}
	return nil
}
