package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// maxResponse bounds what is read of a response body.
const maxResponse = 1 << 20

// credentials are an HTTP Basic identity: a client (client_secret_basic,
// RFC 6749 §2.3.1) or a resource server calling introspection (RFC 7662 §2.1).
type credentials struct{ id, secret string }

// basic returns the Authorization header value; RFC 6749 §2.3.1 form-encodes
// both parts first.
func (c credentials) basic() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.id)+":"+url.QueryEscape(c.secret)))
}

// server is the HTTP side of an xmppoauth under load.
type server struct {
	base   string // issuer URL, no trailing slash
	http   *http.Client
	client credentials // the registered client
	// introspector calls /introspect: a resource server, or the client
	// itself (which may introspect its own tokens, RFC 7662 §4).
	introspector credentials
}

// newHTTPClient returns a client that keeps one connection per worker
// alive, as a busy resource server or app backend does.
func newHTTPClient(workers int) *http.Client {
	tr := &http.Transport{
		MaxIdleConns:        2 * workers,
		MaxIdleConnsPerHost: 2 * workers,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	Status      int    `json:"-"`
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *oauthError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Description)
}

// post sends a form (or JSON, if body is not url.Values) and decodes a 2xx
// JSON answer into out; other statuses come back as *oauthError.
func (s *server) post(ctx context.Context, path string, auth credentials, body any, out any) error {
	var (
		rd          io.Reader
		contentType string
	)
	switch b := body.(type) {
	case url.Values:
		rd, contentType = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd, contentType = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, rd)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	req.Header.Set("Content-Type", contentType)
	if auth.id != "" {
		req.Header.Set("Authorization", auth.basic())
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("POST %s: read response: %w", path, err)
	}
	if resp.StatusCode/100 != 2 {
		e := &oauthError{Status: resp.StatusCode}
		_ = json.Unmarshal(raw, e) // a body that is not an OAuth error leaves the status
		return e
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("POST %s: decode response: %w", path, err)
	}
	return nil
}

// register registers a confidential client for grantTypes over HTTP
// (RFC 7591) and makes it the server's client.
func (s *server) register(ctx context.Context, grantTypes []string) error {
	meta := oauth.ClientMetadata{
		ClientName: "xmppoauth-load", ApplicationType: oauth.AppNative,
		TokenEndpointAuthMethod: oauth.AuthClientSecretBasic, GrantTypes: grantTypes,
	}
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := s.post(ctx, "/register", credentials{}, meta, &reg); err != nil {
		return fmt.Errorf("register a client: %w", err)
	}
	if reg.ClientID == "" || reg.ClientSecret == "" {
		return errors.New("register a client: no client_id or client_secret in the answer")
	}
	s.client = credentials{reg.ClientID, reg.ClientSecret}
	return nil
}

// introspect asks whether token is active (RFC 7662 §2.1) and fails unless
// it is.
func (s *server) introspect(ctx context.Context, token string) error {
	var out struct {
		Active bool `json:"active"`
	}
	if err := s.post(ctx, "/introspect", s.introspector, url.Values{"token": {token}}, &out); err != nil {
		return err
	}
	if !out.Active {
		return errors.New("a live token was reported inactive")
	}
	return nil
}

// tokens is the part of a token response (RFC 6749 §5.1) the tool uses.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// refresh runs the refresh_token grant (RFC 6749 §6) and returns the new
// refresh token.
func (s *server) refresh(ctx context.Context, rt string) (string, error) {
	var out tokens
	form := url.Values{"grant_type": {oauth.GrantRefreshToken}, "refresh_token": {rt}}
	if err := s.post(ctx, "/token", s.client, form, &out); err != nil {
		return "", err
	}
	if out.RefreshToken == "" || out.AccessToken == "" {
		return "", errors.New("refresh: no access_token or refresh_token in the answer")
	}
	return out.RefreshToken, nil
}

// clientCredentials runs the client_credentials grant (RFC 6749 §4.4).
func (s *server) clientCredentials(ctx context.Context, scope string) (string, error) {
	var out tokens
	form := url.Values{"grant_type": {oauth.GrantClientCredentials}, "scope": {scope}}
	if err := s.post(ctx, "/token", s.client, form, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", errors.New("client_credentials: no access_token in the answer")
	}
	return out.AccessToken, nil
}

// deviceAuthorize starts a device flow (RFC 8628 §3.1) and returns the
// device code.
func (s *server) deviceAuthorize(ctx context.Context, scope string) (string, error) {
	var out struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	if err := s.post(ctx, "/device_authorization", s.client, url.Values{"scope": {scope}}, &out); err != nil {
		return "", err
	}
	if out.DeviceCode == "" || out.UserCode == "" {
		return "", errors.New("device authorization: no device_code or user_code in the answer")
	}
	return out.DeviceCode, nil
}

// pollDevice polls for the device's tokens (RFC 8628 §3.4) while nobody has
// approved it: the answer must be authorization_pending (§3.5).
func (s *server) pollDevice(ctx context.Context, deviceCode string) error {
	var out tokens
	form := url.Values{"grant_type": {oauth.GrantDeviceCode}, "device_code": {deviceCode}}
	err := s.post(ctx, "/token", s.client, form, &out)
	var oe *oauthError
	switch {
	case err == nil:
		return errors.New("device poll: tokens for a device nobody approved")
	case errors.As(err, &oe) && oe.Status == http.StatusBadRequest && oe.Code == oauth.AuthorizationPending:
		return nil
	default:
		return err
	}
}
