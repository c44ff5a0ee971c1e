package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// newSecret returns 256 random bits, base64url without padding (43 characters).
func newSecret() Secret {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return Secret(base64.RawURLEncoding.EncodeToString(b[:]))
}

// newID returns 128 random bits in hex, for record IDs that are not secrets.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// hashSecret returns the SHA-256 of a secret. Secrets are 256 random bits, so
// a fast unsalted hash is enough: it cannot be brute-forced, and it lets the
// store index records by it.
func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// secretMatches compares a presented secret with a stored hash in constant time.
func secretMatches(presented string, hash []byte) bool {
	if len(hash) == 0 {
		return false
	}
	return subtle.ConstantTimeCompare(hashSecret(presented), hash) == 1
}
