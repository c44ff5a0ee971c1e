package oauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Signing algorithms. RS256 is what OpenID Connect Core §15.1 requires every
// provider to offer, so ID tokens use it. Access tokens are signed with ES256:
// an RSA-2048 signature costs about a millisecond, an ECDSA P-256 one a few
// tens of microseconds, and access tokens are minted on every refresh.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// keyring holds the parsed signing keys, loaded from the store.
type keyring struct {
	mu     sync.RWMutex
	keys   []parsedKey
	loaded time.Time
	// write serializes the read-modify-writes of stored keys (RotateKeys,
	// and IssueToken extending a key's SignsUntil).
	write sync.Mutex
}

type parsedKey struct {
	Key
	signer crypto.Signer
}

func generateKey(alg string, now, activeAt time.Time) (Key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return Key{}, fmt.Errorf("generate key: unknown algorithm %q", alg)
	}
	if err != nil {
		return Key{}, fmt.Errorf("generate %s key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Key{}, fmt.Errorf("marshal %s key: %w", alg, err)
	}
	return Key{ID: thumbprint(priv.Public()), Alg: alg, PrivateDER: der, Created: now, ActiveAt: activeAt}, nil
}

// thumbprint is the RFC 7638 JWK thumbprint, used as the key ID.
func thumbprint(pub crypto.PublicKey) string {
	var s string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		s = fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`, b64(big.NewInt(int64(k.E)).Bytes()), b64(k.N.Bytes()))
	case *ecdsa.PublicKey:
		x, y := ecCoords(k)
		s = fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`, x, y)
	}
	h := sha256.Sum256([]byte(s))
	return b64(h[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func ecCoords(k *ecdsa.PublicKey) (string, string) {
	// The uncompressed point is 0x04 || X || Y, each 32 bytes for P-256.
	raw, err := k.Bytes()
	if err != nil || len(raw) != 65 {
		return "", ""
	}
	return b64(raw[1:33]), b64(raw[33:])
}

func parseKey(k Key) (parsedKey, error) {
	priv, err := x509.ParsePKCS8PrivateKey(k.PrivateDER)
	if err != nil {
		return parsedKey{}, fmt.Errorf("parse key %s: %w", k.ID, err)
	}
	s, ok := priv.(crypto.Signer)
	if !ok {
		return parsedKey{}, fmt.Errorf("parse key %s: not a signing key", k.ID)
	}
	return parsedKey{Key: k, signer: s}, nil
}

// loadKeys reads the keys from the store, creating the first ones on first
// start and dropping those past DeleteAt.
func (p *Provider) loadKeys(ctx context.Context) error {
	keys, err := p.store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("list keys: %w", err)
	}
	now := p.now()
	have := map[string]bool{}
	var parsed []parsedKey
	for _, k := range keys {
		if !k.DeleteAt.IsZero() && now.After(k.DeleteAt) {
			if err := p.store.DeleteKey(ctx, k.ID); err != nil {
				return fmt.Errorf("delete expired key: %w", err)
			}
			continue
		}
		pk, err := parseKey(k)
		if err != nil {
			return err
		}
		parsed = append(parsed, pk)
		have[k.Alg] = true
	}
	for _, alg := range []string{AlgRS256, AlgES256} {
		if have[alg] {
			continue
		}
		k, err := generateKey(alg, now, now)
		if err != nil {
			return err
		}
		if err := p.store.PutKey(ctx, k); err != nil {
			return fmt.Errorf("store new %s key: %w", alg, err)
		}
		p.log.InfoContext(ctx, "created signing key", "kid", k.ID, "alg", alg)
		pk, err := parseKey(k)
		if err != nil {
			return err
		}
		parsed = append(parsed, pk)
	}
	sort.Slice(parsed, func(i, j int) bool {
		a, b := parsed[i], parsed[j]
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		if a.Alg != b.Alg {
			return a.Alg > b.Alg // RS256 first
		}
		return a.ID < b.ID
	})
	p.keys.mu.Lock()
	p.keys.keys = parsed
	p.keys.loaded = now
	p.keys.mu.Unlock()
	return nil
}

// signingKey returns the newest active key of alg. Keys are reloaded from the
// store every few minutes so that a rotation done by another process (or the
// admin CLI) is seen.
func (p *Provider) signingKey(ctx context.Context, alg string) (parsedKey, error) {
	p.keys.mu.RLock()
	stale := p.now().Sub(p.keys.loaded) > 5*time.Minute
	p.keys.mu.RUnlock()
	if stale {
		if err := p.loadKeys(ctx); err != nil {
			return parsedKey{}, err
		}
	}
	now := p.now()
	p.keys.mu.RLock()
	defer p.keys.mu.RUnlock()
	var best *parsedKey
	for i := range p.keys.keys {
		k := &p.keys.keys[i]
		if k.Alg != alg || now.Before(k.ActiveAt) {
			continue
		}
		if best == nil || k.ActiveAt.After(best.ActiveAt) {
			best = k
		}
	}
	if best == nil {
		return parsedKey{}, fmt.Errorf("no active %s signing key", alg)
	}
	return *best, nil
}

// sign signs claims with the active key of alg, with the given JOSE "typ".
func (p *Provider) sign(ctx context.Context, alg, typ string, claims jwt.Claims) (string, error) {
	k, err := p.signingKey(ctx, alg)
	if err != nil {
		return "", err
	}
	var method jwt.SigningMethod = jwt.SigningMethodRS256
	if alg == AlgES256 {
		method = jwt.SigningMethodES256
	}
	t := jwt.NewWithClaims(method, claims)
	t.Header["kid"] = k.ID
	if typ != "" {
		t.Header["typ"] = typ
	}
	s, err := t.SignedString(k.signer)
	if err != nil {
		return "", fmt.Errorf("sign %s: %w", alg, err)
	}
	return s, nil
}

// SigningAlgs returns the ID token signing algorithms offered.
func (p *Provider) SigningAlgs() []string { return []string{AlgRS256, AlgES256} }

// JWKS returns the published public keys: every key from its creation (so a
// rotated key is known before it signs) until its DeleteAt.
func (p *Provider) JWKS(ctx context.Context) (JWKS, error) {
	if _, err := p.signingKey(ctx, AlgRS256); err != nil {
		return JWKS{}, err
	}
	p.keys.mu.RLock()
	defer p.keys.mu.RUnlock()
	set := JWKS{Keys: []JWK{}}
	for _, k := range p.keys.keys {
		j := JWK{Use: "sig", Kid: k.ID, Alg: k.Alg}
		switch pub := k.signer.Public().(type) {
		case *rsa.PublicKey:
			j.Kty, j.N, j.E = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
		case *ecdsa.PublicKey:
			j.Kty, j.Crv = "EC", "P-256"
			j.X, j.Y = ecCoords(pub)
		}
		set.Keys = append(set.Keys, j)
	}
	return set, nil
}

// RotateKeys publishes new signing keys that sign after KeyPublishDelay; the
// current keys stop signing then and are kept in the JWKS until what they
// signed has expired.
func (p *Provider) RotateKeys(ctx context.Context) error {
	p.keys.write.Lock()
	defer p.keys.write.Unlock()
	now := p.now()
	activeAt := now.Add(p.cfg.KeyPublishDelay)
	keep := max(p.cfg.AccessTokenTTL, p.cfg.IDTokenTTL) + time.Minute
	keys, err := p.store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("rotate keys: %w", err)
	}
	for _, k := range keys {
		if k.DeleteAt.IsZero() {
			k.DeleteAt = activeAt.Add(keep)
			if k.SignsUntil.After(k.DeleteAt) {
				k.DeleteAt = k.SignsUntil
			}
			if err := p.store.PutKey(ctx, k); err != nil {
				return fmt.Errorf("rotate keys: retire %s: %w", k.ID, err)
			}
		}
	}
	for _, alg := range []string{AlgRS256, AlgES256} {
		k, err := generateKey(alg, now, activeAt)
		if err != nil {
			return err
		}
		if err := p.store.PutKey(ctx, k); err != nil {
			return fmt.Errorf("rotate keys: store %s: %w", alg, err)
		}
		p.log.InfoContext(ctx, "rotated signing key", "kid", k.ID, "alg", alg, "active_at", activeAt)
	}
	return p.loadKeys(ctx)
}
