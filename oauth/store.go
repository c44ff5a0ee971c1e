package oauth

import "context"

// Store is what the core needs from persistence. Package store implements it
// on Badger; package storetest holds the conformance suite (storetest.Run) that
// every backend must pass, and an in-memory twin for core tests.
//
// Every backend must provide:
//   - atomic read-modify-write: an Update method runs update inside one
//     transaction. update may be called more than once (a backend retries a
//     transaction that lost a conflict), so it must only edit the value it is
//     given and return it; an error from update aborts and is returned as is.
//     update must not call the store (backends hold locks while it runs).
//   - secondary lookups without full scans: grants by JID and by client,
//     tokens by grant, device codes by user code, sign-ins by JID.
//   - expiry: records with an Expiry (tokens, codes, device codes, sign-ins)
//     may disappear after it. The core never relies on that: it checks
//     validity itself, so a backend may keep them longer.
//   - times round-trip with at least millisecond precision, in any zone.
//
// Missing records give an error wrapping ErrNotFound; creating a record whose
// key exists gives one wrapping ErrAlreadyExists.
type Store interface {
	// CreateClient stores a new client; ErrAlreadyExists if the ID is taken.
	CreateClient(ctx context.Context, c Client) error
	// GetClient returns the client with this ID.
	GetClient(ctx context.Context, id string) (Client, error)
	// UpdateClient changes a client atomically and returns the new value.
	UpdateClient(ctx context.Context, id string, update func(Client) (Client, error)) (Client, error)
	// DeleteClient removes the client together with all its grants, their
	// tokens and its pending authorization codes and device codes.
	DeleteClient(ctx context.Context, id string) error
	// ListClients returns every client, ordered by ID.
	ListClients(ctx context.Context) ([]Client, error)

	// CreateGrant stores a new grant.
	CreateGrant(ctx context.Context, g Grant) error
	// GetGrant returns the grant with this ID.
	GetGrant(ctx context.Context, id string) (Grant, error)
	// UpdateGrant changes a grant atomically and returns the new value.
	UpdateGrant(ctx context.Context, id string, update func(Grant) (Grant, error)) (Grant, error)
	// DeleteGrant removes the grant and, in the same transaction, every token
	// issued under it, so that none of them is valid afterwards.
	DeleteGrant(ctx context.Context, id string) error
	// ListGrantsByUser returns the grants of one bare JID, oldest first.
	// The empty JID lists the grants that have no user: those of the
	// client credentials grant, one per client that uses it.
	ListGrantsByUser(ctx context.Context, jid string) ([]Grant, error)
	// ListGrantsByClient returns the grants of one client, oldest first.
	ListGrantsByClient(ctx context.Context, clientID string) ([]Grant, error)

	// CreateTokens stores tokens in one transaction. Each token's GrantID must
	// name an existing grant, otherwise ErrNotFound (so a token can never
	// outlive a grant deleted concurrently).
	CreateTokens(ctx context.Context, tokens ...Token) error
	// GetToken returns the token stored under this hash.
	GetToken(ctx context.Context, hash []byte) (Token, error)
	// UpdateToken changes a token atomically and returns the new value.
	UpdateToken(ctx context.Context, hash []byte, update func(Token) (Token, error)) (Token, error)
	// RotateToken runs update on the token stored under hash and, in the same
	// transaction, stores create as CreateTokens does. If update fails, or a
	// new token's grant is missing, nothing is written. It makes a refresh
	// token rotation one atomic, durable write.
	RotateToken(ctx context.Context, hash []byte, update func(Token) (Token, error), create ...Token) (Token, error)
	// DeleteTokens removes tokens by hash; missing ones are ignored.
	DeleteTokens(ctx context.Context, hashes ...[]byte) error
	// ListTokensByGrant returns the tokens issued under one grant.
	ListTokensByGrant(ctx context.Context, grantID string) ([]Token, error)

	// CreateAuthCode stores an authorization code.
	CreateAuthCode(ctx context.Context, c AuthCode) error
	// UpdateAuthCode changes a code atomically and returns the new value.
	UpdateAuthCode(ctx context.Context, hash []byte, update func(AuthCode) (AuthCode, error)) (AuthCode, error)

	// CreateDeviceCode stores a device code; ErrAlreadyExists if its user
	// code is in use by another live device code.
	CreateDeviceCode(ctx context.Context, d DeviceCode) error
	// GetDeviceCodeByUserCode finds a device code by its normalized user code.
	GetDeviceCodeByUserCode(ctx context.Context, userCode string) (DeviceCode, error)
	// UpdateDeviceCode changes a device code atomically and returns the new value.
	UpdateDeviceCode(ctx context.Context, hash []byte, update func(DeviceCode) (DeviceCode, error)) (DeviceCode, error)

	// CreateSignIn stores a sign-in request.
	CreateSignIn(ctx context.Context, s SignIn) error
	// GetSignIn returns a sign-in request by ID.
	GetSignIn(ctx context.Context, id string) (SignIn, error)
	// UpdateSignIn changes a sign-in request atomically and returns the new value.
	UpdateSignIn(ctx context.Context, id string, update func(SignIn) (SignIn, error)) (SignIn, error)
	// ListSignInsByUser returns the sign-in requests for one bare JID, oldest first.
	ListSignInsByUser(ctx context.Context, jid string) ([]SignIn, error)

	// PutKey creates or replaces a signing key.
	PutKey(ctx context.Context, k Key) error
	// ListKeys returns all signing keys, oldest first.
	ListKeys(ctx context.Context) ([]Key, error)
	// DeleteKey removes a signing key.
	DeleteKey(ctx context.Context, id string) error

	// Stats counts clients, grants, unexpired tokens and pending codes.
	Stats(ctx context.Context) (Stats, error)
}
