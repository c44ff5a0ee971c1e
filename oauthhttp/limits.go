package oauthhttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/xmppoauth/xmppoauth/internal/ratelimit"
	"github.com/xmppoauth/xmppoauth/oauth"
)

// Defaults of [Limits].
var (
	// DefaultRegistrationPerIP allows a developer registering apps by hand
	// plenty of tries, and a script flooding the store with clients little.
	DefaultRegistrationPerIP = oauth.Rate{Count: 20, Window: time.Hour}
	// DefaultAuthorizePerIP allows about thirty sign-ins a minute from one
	// address (a sign-in takes two to four requests): enough for an office
	// behind one NAT address, too few for a script pushing sign-in
	// requests to many users or guessing device codes on the device page.
	DefaultAuthorizePerIP = oauth.Rate{Count: 120, Window: time.Minute}
)

// DefaultMaxBodyBytes bounds request bodies by default. OAuth requests are a
// handful of short parameters; registration metadata is the largest and
// fits easily.
const DefaultMaxBodyBytes = 64 << 10

// Bounds of [Limits.MaxBodyBytes].
const (
	MinBodyBytes = 4 << 10
	MaxBodyBytes = 1 << 20
)

// maxFormFields bounds the parameters of a form body or an authorization
// request's query: the largest request (an authorization request with PKCE
// and every OIDC parameter) has about twenty.
const maxFormFields = 100

// Limits bound what one client address may ask of the web side. Rate limits
// count per client IP address (the one gin sees: see
// [Options.TrustedProxies]), per /64 for IPv6, since one host commonly holds
// a whole /64. A request over a rate limit gets 429 with Retry-After
// (RFC 6585 §4): a JSON error on API endpoints, an error page on browser
// pages. Zero fields take the defaults.
type Limits struct {
	// RegistrationPerIP bounds POST /register (RFC 7591 §3.1) per address;
	// DefaultRegistrationPerIP when zero.
	RegistrationPerIP oauth.Rate
	// AuthorizePerIP bounds the browser's authorization requests (GET and
	// POST /authorize) and the sign-in, password, consent and device forms
	// it posts, per address; DefaultAuthorizePerIP when zero.
	AuthorizePerIP oauth.Rate
	// MaxBodyBytes bounds every request body, between MinBodyBytes and
	// MaxBodyBytes; DefaultMaxBodyBytes when zero. A larger body gets 413
	// (RFC 9110 §15.5.14) and an invalid_request error.
	MaxBodyBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.RegistrationPerIP.Count <= 0 || l.RegistrationPerIP.Window <= 0 {
		l.RegistrationPerIP = DefaultRegistrationPerIP
	}
	if l.AuthorizePerIP.Count <= 0 || l.AuthorizePerIP.Window <= 0 {
		l.AuthorizePerIP = DefaultAuthorizePerIP
	}
	if l.MaxBodyBytes == 0 {
		l.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return l
}

// validate reports limits New cannot use.
func (l Limits) validate() error {
	if l.MaxBodyBytes != 0 && (l.MaxBodyBytes < MinBodyBytes || l.MaxBodyBytes > MaxBodyBytes) {
		return fmt.Errorf("max body bytes: %d is not between %d and %d", l.MaxBodyBytes, MinBodyBytes, MaxBodyBytes)
	}
	return nil
}

// validateProxies reports entries of Options.TrustedProxies that are
// neither an IP address nor a CIDR prefix.
func validateProxies(proxies []string) error {
	var errs []error
	for _, p := range proxies {
		if net.ParseIP(p) != nil {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil {
			errs = append(errs, fmt.Errorf("trusted proxy %q is neither an IP address nor a CIDR prefix such as 10.0.0.0/8", p))
		}
	}
	return errors.Join(errs...)
}

// ipLimits are the per-address limiters of a Handler.
type ipLimits struct {
	register  *ratelimit.Limiter
	authorize *ratelimit.Limiter
}

func newIPLimits(l Limits, now func() time.Time) ipLimits {
	return ipLimits{
		register:  ratelimit.New(l.RegistrationPerIP.Count, l.RegistrationPerIP.Window, 0, now),
		authorize: ratelimit.New(l.AuthorizePerIP.Count, l.AuthorizePerIP.Window, 0, now),
	}
}

// limitRegistration counts a registration request against its address and
// answers 429 with a JSON error over the limit. The error code is
// too_many_requests: RFC 7591 §3.2.2 names none for this, and a code of its
// own tells the client this is no fault of its metadata; a client that does
// not know it still has the status and Retry-After.
func (h *Handler) limitRegistration(c *gin.Context) {
	if ok, wait := h.ipLimits.register.Allow(ipKey(c.ClientIP())); !ok {
		h.log.InfoContext(c.Request.Context(), "registration refused: rate limit", "remote_addr", c.ClientIP())
		h.writeError(c, http.StatusTooManyRequests, &oauth.Error{
			Code:        oauth.TooManyRequests,
			Description: "too many registrations from your address; try again later",
			RetryAfter:  ratelimit.Seconds(wait),
		})
	}
}

// limitAuthorize counts a browser request of the sign-in flow against its
// address and shows the "Too many attempts" page (429, Retry-After) over the
// limit. The request is refused before it is parsed, so no error is
// redirected to the client: the redirect URI has not been checked yet
// (RFC 6749 §4.1.2.1).
func (h *Handler) limitAuthorize(c *gin.Context) {
	if ok, wait := h.ipLimits.authorize.Allow(ipKey(c.ClientIP())); !ok {
		h.log.InfoContext(c.Request.Context(), "sign-in request refused: rate limit", "remote_addr", c.ClientIP(), "path", c.Request.URL.Path)
		h.failPage(c, &oauth.Error{
			Code:        oauth.TooManyRequests,
			Description: "too many sign-in requests from your address; try again later",
			RetryAfter:  ratelimit.Seconds(wait),
		})
		c.Abort()
	}
}

// ipKey is the rate-limit key of a client address: the address itself for
// IPv4, its /64 for IPv6.
func ipKey(addr string) string {
	ip := net.ParseIP(addr)
	switch {
	case ip == nil:
		return addr
	case ip.To4() != nil:
		return ip.To4().String()
	default:
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
}

// bodyLimitKey is the context key of the body limit boundBody sets.
type bodyLimitKey struct{}

// bodyLimit is the body limit of a request's context: Limits.MaxBodyBytes
// within a Handler, DefaultMaxBodyBytes elsewhere.
func bodyLimit(ctx context.Context) int64 {
	if n, ok := ctx.Value(bodyLimitKey{}).(int64); ok {
		return n
	}
	return DefaultMaxBodyBytes
}

// boundBody bounds every request body to Limits.MaxBodyBytes: readBody reads
// no more and answers 413 beyond, and http.MaxBytesReader makes the server
// close the connection of a client that sends more.
func (h *Handler) boundBody(c *gin.Context) {
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), bodyLimitKey{}, h.maxBody))
	if c.Request.Body != nil && c.Request.Body != http.NoBody {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, h.maxBody)
	}
}

// tooLargeError is a request body over the limit: invalid_request, sent with
// status 413 rather than 400 by fail and failPage.
type tooLargeError struct{ err *oauth.Error }

func (t *tooLargeError) Error() string { return t.err.Error() }

func (t *tooLargeError) Unwrap() error { return t.err }

func errTooLarge(limit int64) error {
	return &tooLargeError{oauth.Errorf(oauth.InvalidRequest, "the request body is larger than %d bytes", limit)}
}

// errTooManyFields is the error of a form or query with more than
// maxFormFields parameters.
func errTooManyFields() error {
	return oauth.Errorf(oauth.InvalidRequest, "the request has more than %d parameters", maxFormFields)
}

// tooManyFields reports whether an encoded form or query has more
// parameters than maxFormFields, before it is parsed (url.ParseQuery
// separates parameters with "&" only).
func tooManyFields(encoded string) bool {
	return strings.Count(encoded, "&") >= maxFormFields
}

// statusFor adjusts the status statusOf gives e for err: 413 for a body over
// the limit, 429 for any error carrying RetryAfter (a rate limit, such as
// invalid_client after too many failed client authentications).
func statusFor(err error, e *oauth.Error, status int) int {
	var tl *tooLargeError
	switch {
	case errors.As(err, &tl):
		return http.StatusRequestEntityTooLarge
	case e.RetryAfter > 0:
		return http.StatusTooManyRequests
	}
	return status
}
