package policy_test

import (
	"fmt"

	"github.com/sesame-s3/sesame/internal/iam/policy"
)

func ExamplePolicy_Evaluate() {
	p, err := policy.Parse([]byte(`{
	  "Version": "2012-10-17",
	  "Statement": [
	    {
	      "Sid": "OwnHome",
	      "Effect": "Allow",
	      "Action": ["s3:GetObject", "s3:PutObject"],
	      "Resource": "arn:aws:s3:::photos/${aws:username}/*"
	    },
	    {
	      "Sid": "TLSOnly",
	      "Effect": "Deny",
	      "Action": "s3:*",
	      "Resource": "*",
	      "Condition": {"Bool": {"aws:SecureTransport": "false"}}
	    }
	  ]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	ask := func(resource, tls string) {
		d := p.Evaluate(&policy.Args{
			Action:   "s3:GetObject",
			Resource: resource,
			Conditions: map[string][]string{
				"aws:username":        {"alice"},
				"aws:securetransport": {tls},
			},
		})
		fmt.Println(resource, "TLS="+tls, d)
	}
	ask("arn:aws:s3:::photos/alice/cat.jpg", "true")
	ask("arn:aws:s3:::photos/bob/cat.jpg", "true")
	ask("arn:aws:s3:::photos/alice/cat.jpg", "false")
	// Output:
	// arn:aws:s3:::photos/alice/cat.jpg TLS=true Allow
	// arn:aws:s3:::photos/bob/cat.jpg TLS=true NotApplicable
	// arn:aws:s3:::photos/alice/cat.jpg TLS=false Deny
}

func ExampleParse_error() {
	_, err := policy.Parse([]byte(`{
	  "Version": "2012-10-17",
	  "Statement": [{"Sid": "Sid1", "Efect": "Allow", "Action": "s3:*", "Resource": "*"}]
	}`))
	fmt.Println(err)
	// Output:
	// policy: malformed policy document: statement 0 ("Sid1"): unknown field "Efect"
}

func ExampleIsAllowed() {
	readonly, _ := policy.Canned("readonly")
	bucket, err := policy.ParseBucketPolicy([]byte(`{
	  "Statement": [{
	    "Effect": "Deny",
	    "Principal": "*",
	    "Action": "s3:GetObject",
	    "Resource": "arn:aws:s3:::photos/private/*"
	  }]
	}`), "photos")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, key := range []string{"public/a.jpg", "private/b.jpg"} {
		a := &policy.Args{
			Action:    "s3:GetObject",
			Resource:  "arn:aws:s3:::photos/" + key,
			Principal: "arn:aws:iam::123456789012:user/alice",
		}
		fmt.Println(key, policy.IsAllowed(a, readonly, bucket))
	}
	// Output:
	// public/a.jpg true
	// private/b.jpg false
}
