package forms

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxPartLen is the limit on each part of a JID: "each allowable portion of a
// JID (localpart, domainpart, and resourcepart) MUST NOT be zero octets in
// length and MUST NOT be more than 1023 octets in length" (RFC 7622 §3.1).
const maxPartLen = 1023

// localForbidden are the characters RFC 7622 §3.3.1 forbids in a localpart.
const localForbidden = "\"&'/:<>@"

// JID is an XMPP address, localpart@domainpart/resourcepart (RFC 7622).
type JID struct {
	Local    string
	Domain   string
	Resource string
}

// JIDError says why a string is not a valid JID.
type JIDError struct {
	Input  string
	Reason string
}

// Error describes the invalid input and the reason.
func (e *JIDError) Error() string {
	return fmt.Sprintf("forms: invalid JID %q: %s", e.Input, e.Reason)
}

// jidReason is the reason of a *JIDError, or the error's text.
func jidReason(err error) string {
	if je, ok := errors.AsType[*JIDError](err); ok {
		return je.Reason
	}
	return err.Error()
}

// ParseJID splits s into its parts as RFC 7622 §3.2 describes (the resource
// starts at the first '/', the localpart ends at the first '@' before it) and
// checks the structural rules: no empty part after a separator, a domainpart
// always, at most 1023 bytes per part, none of "&'/:<>@ or spaces in the
// localpart, a domainpart that is an IP literal or dot-separated labels of
// letters, digits and hyphens (non-ASCII letters allowed, for IDNs), and no
// control characters anywhere. A trailing dot of the domainpart is removed
// (RFC 7622 §3.2). The PRECIS case mapping and normalization are not applied.
// The error is a *[JIDError].
func ParseJID(s string) (JID, error) {
	fail := func(reason string) (JID, error) { return JID{}, &JIDError{Input: s, Reason: reason} }
	if !utf8.ValidString(s) {
		return fail("not valid UTF-8")
	}
	rest, resource, hasResource := strings.Cut(s, "/")
	local, domain, hasLocal := strings.Cut(rest, "@")
	if !hasLocal {
		local, domain = "", rest
	}
	if hasLocal && local == "" {
		return fail("the part before '@' is empty")
	}
	if hasResource && resource == "" {
		return fail("the part after '/' is empty")
	}
	domain = strings.TrimSuffix(domain, ".")
	if domain == "" {
		return fail("the domain is empty")
	}
	for _, p := range [...]struct{ name, v string }{{"user", local}, {"domain", domain}, {"resource", resource}} {
		if len(p.v) > maxPartLen {
			return fail(fmt.Sprintf("the %s part is longer than %d bytes", p.name, maxPartLen))
		}
	}
	for _, r := range local {
		switch {
		case strings.ContainsRune(localForbidden, r):
			return fail(fmt.Sprintf("the user part may not contain %q", r))
		case unicode.IsSpace(r) || unicode.IsControl(r):
			return fail("the user part may not contain spaces or control characters")
		}
	}
	if reason := checkDomain(domain); reason != "" {
		return fail(reason)
	}
	for _, r := range resource {
		if unicode.IsControl(r) {
			return fail("the resource may not contain control characters")
		}
	}
	return JID{Local: local, Domain: domain, Resource: resource}, nil
}

// checkDomain returns why domain is not a valid domainpart, or "".
func checkDomain(domain string) string {
	if strings.HasPrefix(domain, "[") {
		addr, err := netip.ParseAddr(strings.TrimSuffix(domain[1:], "]"))
		if !strings.HasSuffix(domain, "]") || err != nil || !addr.Is6() {
			return "the domain is not a valid IPv6 literal"
		}
		return ""
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" {
			return "the domain has an empty label"
		}
		for _, r := range label {
			ok := r == '-' || r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') ||
				r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
			if !ok {
				return fmt.Sprintf("the domain may not contain %q", r)
			}
		}
	}
	return ""
}

// String formats the JID as local@domain/resource, leaving out absent parts.
func (j JID) String() string {
	var b strings.Builder
	if j.Local != "" {
		b.WriteString(j.Local)
		b.WriteByte('@')
	}
	b.WriteString(j.Domain)
	if j.Resource != "" {
		b.WriteByte('/')
		b.WriteString(j.Resource)
	}
	return b.String()
}

// Bare returns the JID without its resource.
func (j JID) Bare() JID {
	j.Resource = ""
	return j
}
