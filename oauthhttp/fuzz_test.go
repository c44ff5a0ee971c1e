package oauthhttp_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
)

// FuzzParseTokenRequest checks that no request makes the token request
// parser panic, and that every failure is a protocol error for the client.
func FuzzParseTokenRequest(f *testing.F) {
	seeds := []struct{ contentType, auth, body string }{
		{formType, "", "grant_type=authorization_code&code=c&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&code_verifier=v&client_id=app"},
		{formType, basic("a:b", "s%+"), "grant_type=client_credentials&scope=xmpp"},
		{formType, "Basic Og==", "grant_type=refresh_token&refresh_token=r"},
		{formType, "Basic", "grant_type=x"},
		{formType, "Bearer x", ""},
		{formType + "; charset=utf-8", "", "grant_type=a&grant_type=b"},
		{"application/json", "", `{"grant_type":"x"}`},
		{"", "", ""},
		{formType, "", "a=%zz;b=c&&=&%00=%ff"},
		{"multipart/form-data; boundary=x", "", "--x--"},
	}
	for _, s := range seeds {
		f.Add(s.contentType, s.auth, s.body)
	}
	f.Fuzz(func(t *testing.T, contentType, auth, body string) {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		req.Header["Content-Type"] = []string{contentType}
		req.Header["Authorization"] = []string{auth}
		cred, treq, err := oauthhttp.ParseTokenRequest(req)
		if err != nil {
			if _, ok := oauth.AsError(err); !ok {
				t.Fatalf("ParseTokenRequest() error %v is not an *oauth.Error", err)
			}
			return
		}
		if treq.GrantType == "" {
			t.Errorf("ParseTokenRequest() accepted a request without grant_type")
		}
		if cred.Secret != "" && cred.ID == "" {
			t.Errorf("ParseTokenRequest() = secret without client_id")
		}
	})
}

// FuzzRegistrationJSON checks that no registration body makes the metadata
// decoder panic, and that every failure is invalid_client_metadata.
func FuzzRegistrationJSON(f *testing.F) {
	for _, s := range []string{
		nativeMetadata,
		`{"client_name":"x","redirect_uris":["https://a.example/cb"],"client_uri":"https://a.example"}`,
		`{"client_name":"x","contacts":[null,"a@b"],"grant_types":null}`,
		`{"redirect_uris":"x"}`,
		`{"client_name":1}`,
		`{"Client_Name":"x"}`,
		`[]`, `null`, `""`, `{}`, `{} x`, `{"a":`, "\xff", ` {"client_name":"\u0000"} `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := oauthhttp.ParseClientMetadata(body)
		if err != nil {
			e, ok := oauth.AsError(err)
			if !ok || e.Code != oauth.InvalidClientMetadata {
				t.Fatalf("ParseClientMetadata() error = %v, want invalid_client_metadata", err)
			}
			if m.ClientName != "" || m.RedirectURIs != nil {
				t.Errorf("ParseClientMetadata() returned metadata with an error")
			}
		}
	})
}
