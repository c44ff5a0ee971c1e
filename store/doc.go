// Package store implements [oauth.Store] on Badger v4, an embedded key-value
// store, so that xmppoauth keeps its clients, grants, tokens, codes, sign-in
// requests and signing keys in one local directory with no database server.
//
// Every record is JSON-encoded under a short prefix, and secondary lookups are
// index keys scanned by prefix, never full scans:
//
//	meta/schema                            schema version (1)
//	c/<clientID>                           oauth.Client
//	g/<grantID>                            oauth.Grant
//	gu/<jid> 0x00 <created> / <grantID>    grants by user, oldest first
//	gc/<clientID> 0x00 <created> / <grantID>  grants by client, oldest first
//	t/<hash>                               oauth.Token
//	tg/<grantID> 0x00 <hash>               tokens by grant
//	a/<hash>                               oauth.AuthCode
//	ac/<clientID> 0x00 <hash>              authorization codes by client
//	d/<hash>                               oauth.DeviceCode
//	du/<userCode>  → <hash>                device codes by user code
//	dc/<clientID> 0x00 <hash>              device codes by client
//	s/<id>                                 oauth.SignIn
//	su/<jid> 0x00 <created> / <id>         sign-ins by user, oldest first
//	k/<kid>                                oauth.Key
//
// <hash> is the SHA-256 the core passes (secrets are never stored), and
// <created> is 12 bytes that sort like the time. The NUL after a JID or ID
// ends it, so "a@x" never lists the records of "a@xy"; IDs and JIDs holding a
// NUL are refused.
//
// Records with an Expiry, and their index keys, carry a Badger TTL of the
// time left plus a minute's grace, so Badger drops them on its own. The core
// still checks expiry itself. Update methods run in one transaction and retry
// it when it loses a conflict to a concurrent writer.
//
// [DB.Backup] and [DB.Restore] use Badger's stream backup format, and
// [DB.RunGC] reclaims value log space in the background.
package store
