package s3

import "net/http"

// routeConfig routes the bucket and object sub-resources of tagging,
// ACLs, ownership controls, public access block, policy status and
// logging. ok is false when the request names none of them.
func (a *API) routeConfig(req *request) (op operation, ok bool) {
	q := req.query
	has := func(k string) bool { _, ok := q[k]; return ok }
	m := req.Method
	pick := func(get, put, del operation) (operation, bool) {
		switch m {
		case http.MethodGet:
			return get, true
		case http.MethodPut:
			return put, true
		case http.MethodDelete:
			return del, true
		}
		return operation{}, true
	}
	if req.bucket == "" {
		for _, k := range []string{"tagging", "acl", "ownershipControls", "publicAccessBlock", "policyStatus", "logging"} {
			if has(k) {
				return operation{notImplemented(k), ""}, true
			}
		}
		return operation{}, false
	}
	if req.key != "" {
		switch {
		case has("tagging"):
			return pick(operation{a.getObjectTagging, "s3:GetObjectTagging"},
				operation{a.putObjectTagging, ""}, // s3:PutObjectTagging after reading the tags
				operation{a.deleteObjectTagging, "s3:DeleteObjectTagging"})
		case has("acl"):
			return pick(operation{a.getObjectACL, "s3:GetObjectAcl"},
				operation{a.putObjectACL, "s3:PutObjectAcl"}, operation{})
		}
		return operation{}, false
	}
	switch {
	case has("tagging"):
		return pick(operation{a.getBucketTagging, "s3:GetBucketTagging"},
			operation{a.putBucketTagging, "s3:PutBucketTagging"},
			operation{a.deleteBucketTagging, "s3:PutBucketTagging"})
	case has("acl"):
		return pick(operation{a.getBucketACL, "s3:GetBucketAcl"},
			operation{a.putBucketACL, "s3:PutBucketAcl"}, operation{})
	case has("ownershipControls"):
		return pick(operation{a.getOwnershipControls, "s3:GetBucketOwnershipControls"},
			operation{a.putOwnershipControls, "s3:PutBucketOwnershipControls"},
			operation{a.deleteOwnershipControls, "s3:PutBucketOwnershipControls"})
	case has("publicAccessBlock"):
		return pick(operation{a.getPublicAccessBlock, "s3:GetBucketPublicAccessBlock"},
			operation{a.putPublicAccessBlock, "s3:PutBucketPublicAccessBlock"},
			operation{a.deletePublicAccessBlock, "s3:PutBucketPublicAccessBlock"})
	case has("policyStatus"):
		return pick(operation{a.getBucketPolicyStatus, "s3:GetBucketPolicyStatus"}, operation{}, operation{})
	case has("logging"):
		return pick(operation{a.getBucketLogging, "s3:GetBucketLogging"},
			operation{a.putBucketLogging, "s3:PutBucketLogging"}, operation{})
	}
	return operation{}, false
}
