package oauth

import (
	"errors"
	"fmt"
)

// Sentinel errors returned by a [Store]. Backends wrap them; test with errors.Is.
var (
	// ErrNotFound means the record does not exist (or has expired).
	ErrNotFound = errors.New("oauth: not found")
	// ErrAlreadyExists means a record with the same key exists already.
	ErrAlreadyExists = errors.New("oauth: already exists")
)

// Error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 8628 §3.5, RFC 7591 §3.2.2,
// RFC 6750 §3.1 and OpenID Connect Core §3.1.2.6.
const (
	InvalidRequest          = "invalid_request"
	InvalidClient           = "invalid_client"
	InvalidGrant            = "invalid_grant"
	UnauthorizedClient      = "unauthorized_client"
	UnsupportedGrantType    = "unsupported_grant_type"
	UnsupportedResponseType = "unsupported_response_type"
	InvalidScope            = "invalid_scope"
	AccessDenied            = "access_denied"
	ServerError             = "server_error"
	TemporarilyUnavailable  = "temporarily_unavailable"
	AuthorizationPending    = "authorization_pending"
	SlowDown                = "slow_down"
	ExpiredToken            = "expired_token"
	InvalidRedirectURI      = "invalid_redirect_uri"
	InvalidClientMetadata   = "invalid_client_metadata"
	InvalidToken            = "invalid_token"
	InsufficientScope       = "insufficient_scope"
	UnsupportedTokenType    = "unsupported_token_type"
	LoginRequired           = "login_required"
	ConsentRequired         = "consent_required"
	InteractionRequired     = "interaction_required"
	RequestNotSupported     = "request_not_supported"
	// TooManyRequests is not an RFC 6749 code; transports map it to HTTP 429 or
	// to the XMPP policy-violation condition.
	TooManyRequests = "too_many_requests"
)

// Error is a protocol failure meant for the client: an RFC 6749 error code and a
// human-readable description. It carries no HTTP status, because the core
// serves two transports; each transport maps Code once.
type Error struct {
	Code        string
	Description string
	// RetryAfter, when non-zero, tells a rate-limited caller how long to wait.
	RetryAfter int
}

func (e *Error) Error() string {
	if e.Description == "" {
		return e.Code
	}
	return e.Code + ": " + e.Description
}

// Errorf returns an *Error with the given code and a formatted description.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...)}
}

// AsError reports whether err is (or wraps) an *Error and returns it.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// RedirectError is an authorization endpoint error that may be sent to the
// client's redirect URI, because the client and redirect URI were validated
// (RFC 6749 §4.1.2.1). Errors found before that are plain *Error values and
// must be shown to the user instead.
//
// RedirectError unwraps to its *Error, so check for it (errors.As) before
// checking for a plain *Error.
type RedirectError struct {
	Err         *Error
	RedirectURI string
	State       string
	// ResponseMode is "query" (the only mode supported).
	ResponseMode string
}

func (e *RedirectError) Error() string { return e.Err.Error() }

func (e *RedirectError) Unwrap() error { return e.Err }
