package awsquery

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sesame-s3/sesame/internal/auth"
	"github.com/sesame-s3/sesame/internal/iam"
	"github.com/sesame-s3/sesame/internal/iam/store/memory"
	"github.com/sesame-s3/sesame/internal/sigv4"
)

// served is one call of Spec.OnServed.
type served struct {
	action, requestID, subject string
	result                     any
	code                       string
}

func TestAPI_OnServedAndRequireTLS(t *testing.T) {
	st := memory.New(memory.Options{})
	svc, err := iam.Open(context.Background(), iam.Options{Store: st, RootUser: "admin", RootSecret: "adminsecret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	newAPI := func(requireTLS *APIError, calls *[]served) *API {
		return New(Spec{
			Name: "STS", Service: "sts", Version: "2011-06-15", XMLNS: "https://sts.amazonaws.com/doc/2011-06-15/",
			Methods: []string{http.MethodPost}, MaxBody: 4096,
			Actions: map[string]Handler{
				"Issue": func(req *Request) (any, error) {
					req.Authenticated()
					req.Audit.Subject = "svc-1"
					return struct{ N int }{7}, nil
				},
				"Refuse": func(req *Request) (any, error) { return nil, ErrAccessDenied },
			},
			Codes: STSCodes, IAM: svc, Auth: auth.New(sigv4.NewVerifier(sigv4.Options{}), auth.IAM(svc)),
			RequireTLS: requireTLS,
			OnServed: func(req *Request, result any, wireErr *APIError) {
				c := served{action: req.Action, requestID: req.RequestID, subject: req.Audit.Subject, result: result}
				if wireErr != nil {
					c.code = wireErr.Code
				}
				*calls = append(*calls, c)
			},
		})
	}
	post := func(api *API, body string, overTLS bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if overTLS {
			r.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		return rec
	}

	var calls []served
	api := newAPI(nil, &calls)
	post(api, "Action=Issue&Version=2011-06-15", false)
	rec := post(api, "Action=Refuse&Version=2011-06-15", false)
	if len(calls) != 2 {
		t.Fatalf("OnServed called %d times, want 2", len(calls))
	}
	if c := calls[0]; c.action != "Issue" || c.subject != "svc-1" || c.result == nil || c.code != "" || len(c.requestID) != 16 {
		t.Errorf("success: %+v", c)
	}
	if c := calls[1]; c.action != "Refuse" || c.result != nil || c.code != "AccessDenied" || c.requestID != rec.Header().Get("X-Amz-Request-Id") {
		t.Errorf("refusal: %+v (response id %q)", c, rec.Header().Get("X-Amz-Request-Id"))
	}

	calls = nil
	needTLS := ErrAccessDenied.WithMessage("STS requires HTTPS on this server.")
	api = newAPI(needTLS, &calls)
	rec = post(api, "Action=Issue&Version=2011-06-15", false)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "STS requires HTTPS") {
		t.Errorf("plain http with RequireTLS: %d %s", rec.Code, rec.Body)
	}
	if rec = post(api, "Action=Issue&Version=2011-06-15", true); rec.Code != http.StatusOK {
		t.Errorf("over TLS: %d %s", rec.Code, rec.Body)
	}
	if len(calls) != 2 || calls[0].code != "AccessDenied" || calls[1].code != "" {
		t.Errorf("OnServed with RequireTLS: %+v", calls)
	}
}
