package oauthhttp

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// FuzzClientCredentials checks the client authentication parser (RFC 6749
// §2.3.1): HTTP Basic with form-urlencoded user-id and password, or the
// body's client_id and client_secret. It fails only with invalid_client or
// invalid_request; credentials it accepts, encoded again as the RFC says,
// parse to the same credentials; a secret never comes without a client_id
// nor from two places at once, and the method says where it came from.
func FuzzClientCredentials(f *testing.F) {
	enc := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
	}
	for _, sd := range []struct{ auth, body string }{
		{enc("app", "s3cret"), ""},
		{enc("a:b", "s%+ /é"), ""},
		{enc("app", ""), "client_id=app"},
		{enc("app", "x"), "client_id=other"},
		{enc("app", "x"), "client_secret=y"},
		{"Basic " + base64.StdEncoding.EncodeToString([]byte("app:%zz")), ""},
		{"Basic " + base64.StdEncoding.EncodeToString([]byte(":x")), ""},
		{"Basic " + base64.StdEncoding.EncodeToString([]byte("no-colon")), ""},
		{"basic   " + base64.StdEncoding.EncodeToString([]byte("a:b")) + "  ", ""},
		{"Basic Og==", ""},
		{"Basic", ""},
		{"Bearer x", ""},
		{"", "client_id=app&client_secret=s"},
		{"", "client_secret=s"},
		{"", "client_id=app"},
		{"", "client_id=a&client_id=b&client_secret=%00"},
		{"", ""},
	} {
		f.Add(sd.auth, sd.body)
	}
	f.Fuzz(func(t *testing.T, auth, body string) {
		form, _ := url.ParseQuery(body)
		r := &http.Request{Header: http.Header{}}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		cred, err := clientCredentials(r, form)
		if err != nil {
			e, ok := oauth.AsError(err)
			if !ok || (e.Code != oauth.InvalidClient && e.Code != oauth.InvalidRequest) {
				t.Fatalf("clientCredentials(%q, %q) error = %v, want invalid_client or invalid_request", auth, body, err)
			}
			return
		}
		if cred.Secret != "" && cred.ID == "" {
			t.Fatalf("clientCredentials(%q, %q) = a secret without a client_id", auth, body)
		}
		switch cred.Method {
		case oauth.AuthClientSecretBasic:
			if auth == "" || cred.Secret == "" || form.Get("client_secret") != "" {
				t.Fatalf("clientCredentials(%q, %q) = %s without Basic credentials alone", auth, body, cred.Method)
			}
			again := &http.Request{Header: http.Header{"Authorization": {enc(cred.ID, cred.Secret)}}}
			back, err := clientCredentials(again, url.Values{})
			if err != nil || back != cred {
				t.Fatalf("credentials %+v, encoded again, parse to %+v, %v", cred, back, err)
			}
		case oauth.AuthClientSecretPost:
			if auth != "" || cred.ID != form.Get("client_id") || cred.Secret != form.Get("client_secret") {
				t.Fatalf("clientCredentials(%q, %q) = %+v, not the body's", auth, body, cred)
			}
		case oauth.AuthNone:
			if cred.Secret != "" {
				t.Fatalf("clientCredentials(%q, %q) = method none with a secret", auth, body)
			}
			if auth == "" && cred.ID != form.Get("client_id") {
				t.Fatalf("clientCredentials(%q, %q) = client %q, not the body's", auth, body, cred.ID)
			}
		default:
			t.Fatalf("clientCredentials(%q, %q) = unknown method %q", auth, body, cred.Method)
		}
		if auth != "" && !strings.EqualFold(strings.SplitN(auth, " ", 2)[0], "Basic") {
			t.Fatalf("clientCredentials(%q, %q) accepted a non-Basic Authorization header", auth, body)
		}
	})
}
