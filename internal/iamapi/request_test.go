package iamapi_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sesame-s3/sesame/internal/iam/store"
)

const ns = "https://iam.amazonaws.com/doc/2010-05-08/"

// rawRequest describes one hand-made request.
type rawRequest struct {
	method      string // default POST
	query       string // appended to "/"
	body        string
	contentType string // default form-urlencoded
	unsigned    bool
	accessKey   string // default root
	secret      string
	token       string
	service     string    // default "iam"
	signedAt    time.Time // default now
}

// do sends r, signed with the SDK's signer, and returns the response and its body.
func (e *env) do(t *testing.T, r rawRequest) (*http.Response, []byte) {
	t.Helper()
	if r.method == "" {
		r.method = http.MethodPost
	}
	req, err := http.NewRequest(r.method, e.url+"/"+r.query, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.contentType == "" {
		r.contentType = "application/x-www-form-urlencoded; charset=utf-8"
	}
	req.Header.Set("Content-Type", r.contentType)
	if !r.unsigned {
		if r.accessKey == "" {
			r.accessKey, r.secret = rootUser, rootSecret
		}
		if r.service == "" {
			r.service = "iam"
		}
		if r.signedAt.IsZero() {
			r.signedAt = time.Now()
		}
		sum := sha256.Sum256([]byte(r.body))
		creds := aws.Credentials{AccessKeyID: r.accessKey, SecretAccessKey: r.secret, SessionToken: r.token}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), r.service, "us-east-1", r.signedAt); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

type errorDoc struct {
	XMLName xml.Name
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// wantRawErr checks an <ErrorResponse> document.
func wantRawErr(t *testing.T, resp *http.Response, body []byte, code string, status int, fragment string) {
	t.Helper()
	var doc errorDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if resp.StatusCode != status || doc.Error.Code != code {
		t.Errorf("got %d %s (%s), want %d %s", resp.StatusCode, doc.Error.Code, doc.Error.Message, status, code)
	}
	if doc.XMLName.Local != "ErrorResponse" || doc.XMLName.Space != ns {
		t.Errorf("root element = %v", doc.XMLName)
	}
	wantType := "Sender"
	if status >= 500 {
		wantType = "Receiver"
	}
	if doc.Error.Type != wantType {
		t.Errorf("Type = %q, want %q", doc.Error.Type, wantType)
	}
	if id := resp.Header.Get("X-Amz-Request-Id"); id == "" || doc.RequestID != id {
		t.Errorf("RequestId = %q, header %q", doc.RequestID, id)
	}
	if !strings.Contains(doc.Error.Message, fragment) {
		t.Errorf("message %q does not contain %q", doc.Error.Message, fragment)
	}
}

func TestAPI_RequestErrors(t *testing.T) {
	e := newEnv(t)
	const listUsers = "Action=ListUsers&Version=2010-05-08"
	tests := []struct {
		name     string
		req      rawRequest
		code     string
		status   int
		fragment string
	}{
		{"anonymous", rawRequest{body: listUsers, unsigned: true}, "AccessDenied", 403, "Anonymous"},
		{"unknown access key", rawRequest{body: listUsers, accessKey: "AKIAUNKNOWN000000000", secret: "x"}, "InvalidClientTokenId", 403, "security token"},
		{"wrong secret", rawRequest{body: listUsers, accessKey: rootUser, secret: "wrong"}, "SignatureDoesNotMatch", 403, "signature"},
		{"time skew", rawRequest{body: listUsers, signedAt: time.Now().Add(-time.Hour)}, "SignatureDoesNotMatch", 403, "Signature expired"},
		{"forged session token", rawRequest{body: listUsers, token: "FQoGZXIvYXdzEXAMPLE"}, "InvalidClientTokenId", 403, "security token"},
		{"other service", rawRequest{body: listUsers, service: "sts"}, "InvalidAction", 400, "'iam'"},
		{"GET", rawRequest{method: http.MethodGet, query: "?" + listUsers}, "InvalidAction", 400, "POST"},
		{"missing Action", rawRequest{body: "Version=2010-05-08"}, "MissingAction", 400, "Action"},
		{"missing Version", rawRequest{body: "Action=ListUsers"}, "MissingParameter", 400, "Version"},
		{"wrong Version", rawRequest{body: "Action=ListUsers&Version=2011-06-15"}, "InvalidAction", 400, "Could not find operation ListUsers for version 2011-06-15"},
		{"unknown Action", rawRequest{body: "Action=CreateInstanceProfile&Version=2010-05-08"}, "InvalidAction", 400, "CreateInstanceProfile"},
		{"body too large", rawRequest{body: listUsers + "&Pad=" + strings.Repeat("x", 65536)}, "InvalidInput", 400, "65536"},
		{"not a form", rawRequest{body: `{"Action":"ListUsers"}`, contentType: "application/json"}, "InvalidInput", 400, "x-www-form-urlencoded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, tt.req)
			wantRawErr(t, resp, body, tt.code, tt.status, tt.fragment)
		})
	}
	t.Run("malformed Authorization", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(listUsers))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=admin")
		req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantRawErr(t, resp, body, "IncompleteSignature", 400, "")
	})
	t.Run("SigV2", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(listUsers))
		req.Header.Set("Authorization", "AWS admin:c2lnbmF0dXJl")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantRawErr(t, resp, body, "IncompleteSignature", 400, "Signature Version 4")
	})

	// The SDK sees the same codes.
	_, err := e.client("AKIAUNKNOWN000000000", "secret").ListUsers(ctx, &awsiam.ListUsersInput{})
	wantErr(t, err, "InvalidClientTokenId", 403)
	_, err = e.client(rootUser, "wrong").ListUsers(ctx, &awsiam.ListUsersInput{})
	wantErr(t, err, "SignatureDoesNotMatch", 403)
}

func TestAPI_ResponseShape(t *testing.T) {
	e := newEnv(t)
	// Parameters may come in the query string.
	resp, body := e.do(t, rawRequest{query: "?Action=CreateUser&Version=2010-05-08&UserName=q"})
	if resp.StatusCode != 200 {
		t.Fatalf("CreateUser via query: %d %s", resp.StatusCode, body)
	}
	var created struct {
		XMLName xml.Name
		Result  struct {
			User struct{ UserName, Arn, CreateDate string }
		} `xml:"CreateUserResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	if created.XMLName.Local != "CreateUserResponse" || created.XMLName.Space != ns ||
		created.Result.User.UserName != "q" || created.Result.User.Arn != "arn:aws:iam::000000000000:user/q" ||
		created.RequestID == "" || created.RequestID != resp.Header.Get("X-Amz-Request-Id") {
		t.Errorf("CreateUser response = %s", body)
	}
	if _, err := time.Parse("2006-01-02T15:04:05Z", created.Result.User.CreateDate); err != nil {
		t.Errorf("CreateDate %q: %v", created.Result.User.CreateDate, err)
	}

	// Body parameters override the query string's.
	resp, body = e.do(t, rawRequest{query: "?Action=DeleteUser&UserName=nobody", body: "Version=2010-05-08&UserName=q"})
	if resp.StatusCode != 200 {
		t.Fatalf("DeleteUser: %d %s", resp.StatusCode, body)
	}
	var deleted struct {
		XMLName   xml.Name
		Inner     []byte `xml:",innerxml"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(body, &deleted); err != nil {
		t.Fatal(err)
	}
	if deleted.XMLName.Local != "DeleteUserResponse" || strings.Contains(string(deleted.Inner), "Result") || deleted.RequestID == "" {
		t.Errorf("DeleteUser response = %s", body)
	}

	// Empty lists are written as empty elements.
	_, body = e.do(t, rawRequest{body: "Action=ListUsers&Version=2010-05-08"})
	if !strings.Contains(string(body), "<Users></Users>") || !strings.Contains(string(body), "<IsTruncated>false</IsTruncated>") {
		t.Errorf("ListUsers response = %s", body)
	}
	// Form-encoded parameters are decoded.
	_, body = e.do(t, rawRequest{body: "Action=CreateUser&Version=2010-05-08&UserName=" + url.QueryEscape("a+b=c,d.e@f")})
	if !strings.Contains(string(body), "<UserName>a+b=c,d.e@f</UserName>") {
		t.Errorf("CreateUser a+b=c,d.e@f = %s", body)
	}
}

func TestAPI_ServiceFailure(t *testing.T) {
	e := newEnv(t)
	must(e.root.CreateGroup(ctx, &awsiam.CreateGroupInput{GroupName: aws.String("g")}))(t)
	must(e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("u")}))(t)
	// Corrupt the stored user behind the Service's back.
	err := e.store.Update(ctx, store.KindUser, "u", func([]byte) ([]byte, error) { return []byte("not json"), nil })
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.root.AddUserToGroup(ctx, &awsiam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("u")})
	wantErr(t, err, "ServiceFailure", 500)
	var failure *types.ServiceFailureException
	if !errors.As(err, &failure) {
		t.Errorf("%T is not ServiceFailureException", err)
	}
	if strings.Contains(err.Error(), "corrupt") || strings.Contains(err.Error(), "json") {
		t.Errorf("ServiceFailure leaks details: %v", err)
	}
	resp, body := e.do(t, rawRequest{body: "Action=AddUserToGroup&Version=2010-05-08&GroupName=g&UserName=u"})
	wantRawErr(t, resp, body, "ServiceFailure", 500, "unknown error")

	// A store that cannot be reached is a temporary failure.
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = e.root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("v")})
	wantErr(t, err, "ServiceUnavailable", 503)
}
