package xmpptest

import (
	"bytes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Mechanism is the client side of one SASL mechanism (RFC 4422 §3).
type Mechanism interface {
	// Name is the mechanism's name as servers offer it.
	Name() string
	// Start returns the initial response (RFC 6120 §6.4.2).
	Start() ([]byte, error)
	// Next answers a challenge.
	Next(challenge []byte) ([]byte, error)
	// Success checks the additional data of <success/> (RFC 6120 §6.3.10).
	Success(data []byte) error
}

// oneMessage is a mechanism that sends one message and expects no
// challenge.
type oneMessage struct {
	name    string
	message []byte
}

func (m oneMessage) Name() string           { return m.name }
func (m oneMessage) Start() ([]byte, error) { return m.message, nil }
func (m oneMessage) Next([]byte) ([]byte, error) {
	return nil, fmt.Errorf("unexpected challenge")
}
func (m oneMessage) Success([]byte) error { return nil }

// Plain is SASL PLAIN (RFC 4616) without an authorization identity:
// NUL user NUL password.
func Plain(user, password string) Mechanism {
	return oneMessage{"PLAIN", []byte("\x00" + user + "\x00" + password)}
}

// XOAuth2 is ejabberd's X-OAUTH2: PLAIN's message with an access token as
// the password.
func XOAuth2(user, token string) Mechanism {
	return oneMessage{"X-OAUTH2", []byte("\x00" + user + "\x00" + token)}
}

// OAuthBearer is OAUTHBEARER (RFC 7628 §3.1): the GS2 header, with authzid
// as the authorization identity when it is not empty, and the token in an
// "auth" key-value pair. When the server refuses the token, it sends its
// JSON error as a challenge (§3.2.2), which the client answers with the
// dummy response %x01 (§3.2.3); the challenge is then in [SASLError].
func OAuthBearer(authzid, token string) Mechanism {
	return oauthBearer{authzid, token}
}

type oauthBearer struct{ authzid, token string }

func (oauthBearer) Name() string { return "OAUTHBEARER" }

func (m oauthBearer) Start() ([]byte, error) {
	gs2 := "n,,"
	if m.authzid != "" {
		gs2 = "n,a=" + saslName(m.authzid) + ","
	}
	return []byte(gs2 + "\x01auth=Bearer " + m.token + "\x01\x01"), nil
}

func (oauthBearer) Next([]byte) ([]byte, error) { return []byte{0x01}, nil }

func (oauthBearer) Success([]byte) error { return nil }

// ScramSHA1 is SCRAM-SHA-1 (RFC 5802) without channel binding, what
// Prosody's internal_hashed offers over a stream without TLS. It checks the
// server's signature on success. The user name and password must not need
// SASLprep (plain ASCII).
func ScramSHA1(user, password string) Mechanism {
	return &scram{user: user, password: password}
}

type scram struct {
	user, password string
	// nonce is the client nonce; a random one when empty.
	nonce           string
	clientFirstBare string
	authMessage     []byte
	saltedPassword  []byte
}

func (*scram) Name() string { return "SCRAM-SHA-1" }

func (s *scram) Start() ([]byte, error) {
	if s.nonce == "" {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		s.nonce = base64.RawStdEncoding.EncodeToString(b)
	}
	s.clientFirstBare = "n=" + saslName(s.user) + ",r=" + s.nonce
	return []byte("n,," + s.clientFirstBare), nil
}

// Next answers the server-first-message with the client-final-message
// (RFC 5802 §3).
func (s *scram) Next(serverFirst []byte) ([]byte, error) {
	if s.saltedPassword != nil {
		return nil, errors.New("unexpected second challenge")
	}
	attrs := scramAttrs(string(serverFirst))
	nonce, salt64, iter := attrs["r"], attrs["s"], attrs["i"]
	if !strings.HasPrefix(nonce, s.nonce) || len(nonce) == len(s.nonce) {
		return nil, fmt.Errorf("server nonce %q does not extend ours", nonce)
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil {
		return nil, fmt.Errorf("salt: %w", err)
	}
	n, err := strconv.Atoi(iter)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("iteration count %q", iter)
	}
	s.saltedPassword, err = pbkdf2.Key(sha1.New, s.password, salt, n, sha1.Size)
	if err != nil {
		return nil, err
	}
	withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte("n,,")) + ",r=" + nonce
	s.authMessage = []byte(s.clientFirstBare + "," + string(serverFirst) + "," + withoutProof)
	clientKey := hmacSHA1(s.saltedPassword, []byte("Client Key"))
	storedKey := sha1.Sum(clientKey)
	proof := hmacSHA1(storedKey[:], s.authMessage)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

// Success checks the server-final-message, the server's signature, which
// RFC 6120 §6.3.10 lets the server send with <success/>.
func (s *scram) Success(serverFinal []byte) error {
	if s.authMessage == nil {
		return errors.New("success before the exchange")
	}
	v, err := base64.StdEncoding.DecodeString(scramAttrs(string(serverFinal))["v"])
	if err != nil {
		return fmt.Errorf("server signature: %w", err)
	}
	want := hmacSHA1(hmacSHA1(s.saltedPassword, []byte("Server Key")), s.authMessage)
	if !hmac.Equal(v, want) {
		return errors.New("the server's signature is wrong")
	}
	return nil
}

func hmacSHA1(key, data []byte) []byte {
	h := hmac.New(sha1.New, key)
	h.Write(data)
	return h.Sum(nil)
}

// scramAttrs splits "k=v,k=v" (RFC 5802 §5.1).
func scramAttrs(msg string) map[string]string {
	attrs := map[string]string{}
	for _, kv := range strings.Split(msg, ",") {
		if k, v, ok := strings.Cut(kv, "="); ok && len(k) == 1 {
			attrs[k] = v
		}
	}
	return attrs
}

// saslName escapes "=" and "," as RFC 5802 §5.1 and RFC 7628 §3.1 (GS2)
// want.
func saslName(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '=':
			b.WriteString("=3D")
		case ',':
			b.WriteString("=2C")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
