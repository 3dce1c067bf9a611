package metrics_test

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sesame-s3/sesame/internal/metrics"
)

func TestMetrics_Handler(t *testing.T) {
	m := metrics.New()
	m.Request("s3", 200, 3*time.Millisecond)
	m.Request("sts", 403, time.Millisecond)
	m.STSIssued("AssumeRoleWithWebIdentity", "openid")
	m.STSRejected("AssumeRoleWithWebIdentity", "ExpiredTokenException")
	m.KeyFetch("openid", nil)
	m.KeyFetch("openid", errors.New("down"))
	m.OPADecision(true, nil)
	m.OPADecision(false, errors.New("timeout"))
	m.StoreOp("update", time.Millisecond, true)
	m.AuditDropped("webhook")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`sesame_http_requests_total{api="s3",code="200"} 1`,
		`sesame_http_requests_total{api="sts",code="403"} 1`,
		`sesame_http_request_duration_seconds_bucket{api="s3",le="0.005"} 1`,
		`sesame_sts_credentials_issued_total{action="AssumeRoleWithWebIdentity",provider="openid"} 1`,
		`sesame_sts_rejections_total{action="AssumeRoleWithWebIdentity",reason="ExpiredTokenException"} 1`,
		`sesame_oidc_key_fetches_total{provider="openid",result="error"} 1`,
		`sesame_opa_decisions_total{result="allow"} 1`,
		`sesame_opa_decisions_total{result="error"} 1`,
		`sesame_iam_store_errors_total{op="update"} 1`,
		`sesame_audit_records_dropped_total{target="webhook"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	var nilM *metrics.Metrics
	nilM.Request("s3", 200, 0) // a nil *Metrics records nothing
}
