// Package transfer copies every record of an IAM store to a JSON document
// and back, so IAM state can move between backends (the embedded bbolt file
// of one node and the etcd cluster of several) or be backed up.
//
// SECURITY: an export holds every secret the store holds — access-key
// secret keys and the sealing keys that protect session tokens. Anyone who
// reads it can sign requests as any user and forge temporary credentials.
// Keep it private (the sesame CLI writes it with mode 0600), move it over
// encrypted channels only, and delete it once imported.
//
// The document looks like
//
//	{"format": 1, "records": [
//	  {"kind": "user", "name": "alice", "value": {...}},
//	  {"kind": "revocation", "name": "...", "valueBase64": "...", "expires": "2025-01-02T15:04:05Z"}
//	]}
//
// A record's value is embedded as is when it is compact JSON (which is how
// the iam package writes its records), and base64-encoded under
// "valueBase64" otherwise, so every byte survives the round trip. Import
// reads and checks the whole document before it writes anything; it is
// not atomic, though: a store error part-way leaves the records written so
// far in place, and running Import again with Replace completes it.
package transfer
