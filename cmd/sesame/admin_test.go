package main

import (
	"strings"
	"testing"
)

func TestAdmin_Usage(t *testing.T) {
	for _, args := range [][]string{{}, {"iam"}, {"s3", "export"}, {"iam", "frobnicate"}, {"iam", "export"}, {"iam", "import", "a", "b"}} {
		var out, errOut strings.Builder
		if code := admin(args, nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "Usage") {
			t.Errorf("admin %q: exit %d, stderr %q; want 2 and the usage", args, code, errOut.String())
		}
	}
}
