package oauthhttp

import (
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// readForm reads an application/x-www-form-urlencoded request body (RFC 6749
// §3.2: "The client MUST use the HTTP POST method", with parameters in the
// body). Parameters in the URL query are ignored, so that credentials in a
// URL are never honoured. A parameter sent more than once is invalid_request
// (RFC 6749 §3.2: "Request and response parameters MUST NOT be included more
// than once").
func readForm(r *http.Request) (url.Values, error) {
	if r.Method != http.MethodPost {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the request must use POST")
	}
	form, err := readFormBody(r)
	if err != nil {
		return nil, err
	}
	for k, vs := range form {
		if len(vs) > 1 {
			return nil, oauth.Errorf(oauth.InvalidRequest, "parameter %q is repeated", truncate(k))
		}
	}
	return form, nil
}

// readFormBody parses an application/x-www-form-urlencoded body, keeping
// repeated parameters for the caller to judge.
func readFormBody(r *http.Request) (url.Values, error) {
	if err := checkMediaType(r, "application/x-www-form-urlencoded"); err != nil {
		return nil, err
	}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if tooManyFields(string(body)) {
		return nil, errTooManyFields()
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oauth.Errorf(oauth.InvalidRequest, "the request body is not valid form encoding")
	}
	return form, nil
}

// checkMediaType reports invalid_request unless the request body has the
// media type want (parameters such as charset are allowed).
func checkMediaType(r *http.Request, want string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.EqualFold(mt, want) {
		return oauth.Errorf(oauth.InvalidRequest, "the request body must be %s", want)
	}
	return nil
}

// readBody reads the request body, at most the limit Handler.boundBody put
// in the request's context (DefaultMaxBodyBytes without one, as for the
// exported parsers called on their own); a larger body is invalid_request
// with status 413.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	limit := bodyLimit(r.Context())
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, errTooLarge(min(tooLarge.Limit, limit))
	case int64(len(body)) > limit:
		return nil, errTooLarge(limit)
	case err != nil:
		return nil, oauth.Errorf(oauth.InvalidRequest, "the request body could not be read")
	}
	return body, nil
}

// limitBody bounds the request body to DefaultMaxBodyBytes, for the
// ejabberd backend, which is served outside a Handler and has no Limits.
func limitBody(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, DefaultMaxBodyBytes)
	}
}

// clientCredentials extracts how the caller authenticates as a client
// (RFC 6749 §2.3.1): HTTP Basic (client_secret_basic), client_id and
// client_secret in the body (client_secret_post), or client_id alone (none,
// for public clients). The client MUST NOT use more than one method, so a
// secret both in the header and the body is invalid_request. The core checks
// the credentials against the client's registered method.
func clientCredentials(r *http.Request, form url.Values) (oauth.ClientCredentials, error) {
	bodyID, bodySecret := form.Get("client_id"), form.Get("client_secret")
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, param, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return oauth.ClientCredentials{}, oauth.Errorf(oauth.InvalidClient, "unsupported authorization scheme")
		}
		id, secret, err := parseBasic(param)
		if err != nil {
			return oauth.ClientCredentials{}, err
		}
		if bodySecret != "" {
			return oauth.ClientCredentials{}, oauth.Errorf(oauth.InvalidRequest, "client credentials in both the Authorization header and the body")
		}
		if bodyID != "" && bodyID != id {
			return oauth.ClientCredentials{}, oauth.Errorf(oauth.InvalidRequest, "client_id in the body differs from the Authorization header")
		}
		if secret == "" {
			// Some clients (golang.org/x/oauth2 among them) send Basic
			// with an empty password for a public client: that is the
			// client_id alone.
			return oauth.ClientCredentials{ID: id, Method: oauth.AuthNone}, nil
		}
		return oauth.ClientCredentials{ID: id, Secret: secret, Method: oauth.AuthClientSecretBasic}, nil
	}
	if bodySecret != "" {
		if bodyID == "" {
			return oauth.ClientCredentials{}, oauth.Errorf(oauth.InvalidRequest, "client_secret without client_id")
		}
		return oauth.ClientCredentials{ID: bodyID, Secret: bodySecret, Method: oauth.AuthClientSecretPost}, nil
	}
	return oauth.ClientCredentials{ID: bodyID, Method: oauth.AuthNone}, nil
}

// parseBasic decodes the credentials of an HTTP Basic Authorization header.
// RFC 6749 §2.3.1: the client identifier and password are encoded with
// application/x-www-form-urlencoded before being used as user-id and
// password, so both are URL-decoded here.
func parseBasic(param string) (id, secret string, err error) {
	bad := oauth.Errorf(oauth.InvalidClient, "malformed HTTP Basic credentials")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(param))
	if err != nil {
		return "", "", bad
	}
	rawID, rawSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", "", bad
	}
	if id, err = url.QueryUnescape(rawID); err != nil || id == "" {
		return "", "", bad
	}
	if secret, err = url.QueryUnescape(rawSecret); err != nil {
		return "", "", bad
	}
	return id, secret, nil
}

// bearerToken returns the token of an "Authorization: Bearer" header
// (RFC 6750 §2.1), "" if there is no Authorization header, and invalid_token
// for another scheme or an empty token.
func bearerToken(r *http.Request) (string, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return "", nil
	}
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", oauth.Errorf(oauth.InvalidToken, "the Authorization header must be a Bearer token")
	}
	return token, nil
}

// truncate shortens attacker-supplied text that is echoed in an error.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "…"
}
