package policy

// cannedDocument returns the document of the canned policy name: the
// built-in policies MinIO deployments attach by name.
func cannedDocument(name string) (string, bool) {
	switch name {
	case "readonly":
		return `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": ["s3:GetBucketLocation", "s3:GetObject"],
    "Resource": ["arn:aws:s3:::*"]
  }]
}`, true
	case "readwrite":
		return `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": ["s3:*"],
    "Resource": ["arn:aws:s3:::*"]
  }]
}`, true
	case "writeonly":
		return `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": ["s3:PutObject"],
    "Resource": ["arn:aws:s3:::*"]
  }]
}`, true
	case "diagnostics":
		return `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": [
      "admin:ServerInfo", "admin:Profiling", "admin:ServerTrace", "admin:ConsoleLog",
      "admin:OBDInfo", "admin:TopLocksInfo", "admin:BandwidthMonitor", "admin:Prometheus"
    ],
    "Resource": ["arn:aws:s3:::*"]
  }]
}`, true
	case "consoleAdmin":
		return `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": ["admin:*"], "Resource": ["arn:aws:s3:::*"]},
    {"Effect": "Allow", "Action": ["kms:*"], "Resource": ["arn:aws:s3:::*"]},
    {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"]}
  ]
}`, true
	}
	return "", false
}

// CannedNames returns the names of the canned policies, sorted:
// consoleAdmin, diagnostics, readonly, readwrite, writeonly.
func CannedNames() []string {
	return []string{"consoleAdmin", "diagnostics", "readonly", "readwrite", "writeonly"}
}

// Canned returns a fresh copy of the canned (built-in) policy name, as
// MinIO defines them; names are case-sensitive. Their statements cover
// "arn:aws:s3:::*", so admin:* and kms:* actions must be evaluated with
// Resource AnyResource.
func Canned(name string) (*Policy, bool) {
	doc, ok := cannedDocument(name)
	if !ok {
		return nil, false
	}
	p, err := Parse([]byte(doc))
	if err != nil {
		return nil, false // unreachable: TestCanned parses every document
	}
	return p, true
}
