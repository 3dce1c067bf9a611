// Package querytest holds what the IAM and STS API tests share: checking
// an aws-sdk-go-v2 error against a query-protocol wire error.
package querytest

import (
	"errors"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// WantErr checks that err is the API error code with HTTP status, and that
// its message contains every fragment.
func WantErr(t testing.TB, err error, code string, status int, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %s (%d)", code, status)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want API error %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Errorf("code = %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("%v has no HTTP response", err)
	}
	if re.HTTPStatusCode() != status {
		t.Errorf("%s: status = %d, want %d", code, re.HTTPStatusCode(), status)
	}
	for _, f := range fragments {
		if !strings.Contains(ae.ErrorMessage(), f) {
			t.Errorf("%s message %q does not contain %q", code, ae.ErrorMessage(), f)
		}
	}
}
