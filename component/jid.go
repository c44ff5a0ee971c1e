package component

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxJIDPart is the longest localpart, domainpart or resourcepart RFC 7622
// §3 allows, in bytes.
const maxJIDPart = 1023

// BareJID returns the bare form localpart@domainpart (or just domainpart)
// of a full or bare JID, lower-cased. Servers deliver stanzas with 'from'
// addresses they have already prepared (RFC 7622 §3), and for those
// lower-casing is the only normalization left to do; it makes the result
// usable as a stable user identifier.
func BareJID(jid string) (string, error) {
	local, domain, _, err := splitJID(jid)
	if err != nil {
		return "", err
	}
	if local == "" {
		return domain, nil
	}
	return local + "@" + domain, nil
}

// splitJID splits jid into its three parts (RFC 7622 §3.1: the resource is
// everything after the first '/', the localpart everything before the first
// '@' that precedes it) and checks them.
func splitJID(jid string) (local, domain, resource string, err error) {
	rest := jid
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest, resource = rest[:i], rest[i+1:]
		if resource == "" {
			return "", "", "", fmt.Errorf("jid %q: empty resourcepart", jid)
		}
	}
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		local, domain = rest[:i], rest[i+1:]
		if local == "" {
			return "", "", "", fmt.Errorf("jid %q: empty localpart", jid)
		}
	} else {
		domain = rest
	}
	domain = strings.TrimSuffix(domain, ".") // RFC 7622 §3.2
	if domain == "" {
		return "", "", "", fmt.Errorf("jid %q: empty domainpart", jid)
	}
	for _, part := range []string{local, domain, resource} {
		if len(part) > maxJIDPart {
			return "", "", "", fmt.Errorf("jid %q: part longer than %d bytes", jid, maxJIDPart)
		}
		if !utf8.ValidString(part) {
			return "", "", "", fmt.Errorf("jid %q: not UTF-8", jid)
		}
	}
	if strings.ContainsFunc(local, invalidLocalRune) {
		return "", "", "", fmt.Errorf("jid %q: invalid character in localpart", jid)
	}
	if strings.ContainsFunc(domain, invalidDomainRune) {
		return "", "", "", fmt.Errorf("jid %q: invalid character in domainpart", jid)
	}
	return strings.ToLower(local), strings.ToLower(domain), resource, nil
}

// invalidLocalRune reports the characters RFC 7622 §3.3.1 forbids in a
// localpart (besides '@' and '/', which cannot reach here), and spaces and
// controls, which the PRECIS IdentifierClass excludes.
func invalidLocalRune(r rune) bool {
	return strings.ContainsRune(`"&':<>`, r) || unicode.IsSpace(r) || unicode.IsControl(r)
}

func invalidDomainRune(r rune) bool {
	return r == '@' || unicode.IsSpace(r) || unicode.IsControl(r)
}

// normalizeDomain lower-cases a domain and drops a trailing dot.
func normalizeDomain(d string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(d), "."))
}

// User returns the bare JID of from if from may act as a user of the
// service: it must be a valid JID with a localpart on one of
// [Config.UserDomains]. Otherwise it returns a *StanzaError (forbidden, or
// jid-malformed) ready to be sent back.
//
// The component applies this check itself before calling an [IQHandler] or
// [MessageHandler]; it is exported for code that receives JIDs by other
// means.
func (c *Component) User(from string) (string, error) {
	local, domain, _, err := splitJID(from)
	if err != nil {
		return "", NewStanzaError(JIDMalformed, "The sender address is not a valid JID.")
	}
	if local == "" || !slices.Contains(c.userDomains, domain) {
		return "", NewStanzaError(Forbidden, "Only accounts on "+strings.Join(c.userDomains, ", ")+" may use this service.")
	}
	return local + "@" + domain, nil
}
