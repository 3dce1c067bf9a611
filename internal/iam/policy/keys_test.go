package policy

import "testing"

func TestPolicy_UsesConditionKey(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
		{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*",
		 "Condition":{"StringEquals":{"s3:ExistingObjectTag/security":"public"}}}]}`
	p, err := ParseBucketPolicy([]byte(doc), "b")
	if err != nil {
		t.Fatal(err)
	}
	for prefix, want := range map[string]bool{
		"s3:existingobjecttag/": true,
		"S3:ExistingObjectTag/": true,
		"s3:requestobjecttag/":  false,
		"aws:sourceip":          false,
	} {
		if got := p.UsesConditionKey(prefix); got != want {
			t.Errorf("UsesConditionKey(%q) = %v, want %v", prefix, got, want)
		}
	}
	var none *Policy
	if none.UsesConditionKey("s3:") {
		t.Error("nil policy uses a key")
	}
}
