// Package storetest is the conformance suite for [oauth.Store]: [Run] checks
// one backend against the contract written on the interface, one named subtest
// per behaviour, each on a fresh empty store. Package store runs it on Badger;
// [Memory] is an in-memory twin that passes it too, for the core's unit tests.
//
// A bug found in any backend becomes a new case here first, so that every
// backend is held to it.
package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
)

// Run runs the conformance suite against the stores newStore makes. newStore
// is called once per subtest and must return an empty store; it should close
// the store in t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) oauth.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s oauth.Store)
	}{
		{"ClientCRUD", testClientCRUD},
		{"DeleteClientCascades", testDeleteClientCascades},
		{"GrantCRUD", testGrantCRUD},
		{"ListGrantsByUser", testListGrantsByUser},
		{"ListGrantsByClient", testListGrantsByClient},
		{"DeleteGrantRevokesTokens", testDeleteGrantRevokesTokens},
		{"CreateTokensNeedGrant", testCreateTokensNeedGrant},
		{"TokenCRUD", testTokenCRUD},
		{"RotateToken", testRotateToken},
		{"RotateTokenConcurrent", testRotateTokenConcurrent},
		{"DeleteTokens", testDeleteTokens},
		{"ListTokensByGrant", testListTokensByGrant},
		{"AuthCode", testAuthCode},
		{"DeviceCode", testDeviceCode},
		{"DeviceUserCodeUnique", testDeviceUserCodeUnique},
		{"SignIn", testSignIn},
		{"Keys", testKeys},
		{"Stats", testStats},
		{"TimeRoundTrip", testTimeRoundTrip},
		{"UpdateFuncErrorAborts", testUpdateFuncErrorAborts},
		{"UpdateCannotChangeKey", testUpdateCannotChangeKey},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"Secrets", testSecrets},
		{"CanceledContext", testCanceledContext},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newStore(t))
		})
	}
}

// base is the fixtures' clock reading. Records that carry an Expiry expire
// relative to the real clock instead (see live), because a backend may drop
// expired records on its own.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// at returns base plus n minutes.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Minute) }

// live returns an expiry an hour from now, truncated to milliseconds so that
// any backend meeting the precision contract returns it exactly.
func live() time.Time { return time.Now().Add(time.Hour).Truncate(time.Millisecond) }

// expired returns an expiry an hour ago.
func expired() time.Time { return time.Now().Add(-time.Hour).Truncate(time.Millisecond) }

// hash returns the SHA-256 of s, the way the core keys secrets.
func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func newClient(id string) oauth.Client {
	return oauth.Client{
		ID:                      id,
		SecretHash:              hash("secret of " + id),
		Name:                    "App " + id,
		ClientURI:               "https://" + id + ".example",
		Contacts:                []string{"admin@" + id + ".example"},
		ApplicationType:         oauth.AppWeb,
		RedirectURIs:            []string{"https://" + id + ".example/cb"},
		GrantTypes:              []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken},
		ResponseTypes:           []string{"code"},
		TokenEndpointAuthMethod: oauth.AuthClientSecretBasic,
		Scope:                   "openid xmpp",
		CreatedAt:               at(0),
		UpdatedAt:               at(1),
	}
}

func newGrant(id, jid, clientID string, created time.Time) oauth.Grant {
	return oauth.Grant{
		ID:       id,
		JID:      jid,
		ClientID: clientID,
		Scopes:   []string{"openid", "xmpp:account:read"},
		Created:  created,
		LastUsed: created,
		AuthTime: created,
		Via:      oauth.GrantAuthorizationCode,
	}
}

func newToken(secret, kind string, g oauth.Grant) oauth.Token {
	return oauth.Token{
		Hash:     hash(secret),
		ID:       "id-" + secret,
		Kind:     kind,
		GrantID:  g.ID,
		ClientID: g.ClientID,
		JID:      g.JID,
		Scopes:   slices.Clone(g.Scopes),
		IssuedAt: at(2),
		Expiry:   live(),
		AuthTime: g.AuthTime,
	}
}

func newAuthCode(secret, clientID string) oauth.AuthCode {
	return oauth.AuthCode{
		Hash:                hash(secret),
		ClientID:            clientID,
		JID:                 "user@example.org",
		GrantID:             "grant-of-" + secret,
		RedirectURI:         "https://" + clientID + ".example/cb",
		Scopes:              []string{"openid"},
		Nonce:               "n-" + secret,
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		AuthTime:            at(3),
		Expiry:              live(),
	}
}

func newDeviceCode(secret, userCode, clientID string) oauth.DeviceCode {
	return oauth.DeviceCode{
		Hash:     hash(secret),
		UserCode: userCode,
		ClientID: clientID,
		Scopes:   []string{"openid", "xmpp"},
		State:    oauth.DevicePending,
		Created:  at(4),
		Expiry:   live(),
		Interval: 5 * time.Second,
	}
}

func newSignIn(id, jid string, created time.Time) oauth.SignIn {
	return oauth.SignIn{
		ID:   id,
		Code: "C-" + id,
		JID:  jid,
		Request: oauth.AuthorizeRequest{
			ClientID:            "client",
			RedirectURI:         "https://client.example/cb",
			ResponseType:        "code",
			Scopes:              []string{"openid"},
			State:               "st-" + id,
			CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
			CodeChallengeMethod: "S256",
			MaxAge:              300,
		},
		State:   oauth.SignInPending,
		Created: created,
		Expiry:  live(),
	}
}

func newKey(id string, created time.Time) oauth.Key {
	return oauth.Key{
		ID:         id,
		Alg:        "RS256",
		PrivateDER: []byte("der of " + id),
		Created:    created,
		ActiveAt:   created.Add(time.Hour),
	}
}

// normalize returns a copy of v with every time.Time in UTC and without a
// monotonic reading, and every empty slice nil: what the contract leaves to
// the backend (zone, monotonic clock, nil versus empty) must not make two
// equal records differ.
func normalize(v any) any {
	rv := reflect.ValueOf(v)
	out := reflect.New(rv.Type()).Elem()
	out.Set(rv)
	normalizeValue(out)
	return out.Interface()
}

var timeType = reflect.TypeFor[time.Time]()

func normalizeValue(v reflect.Value) {
	switch {
	case v.Type() == timeType:
		t := v.Interface().(time.Time)
		v.Set(reflect.ValueOf(t.UTC().Round(0)))
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				normalizeValue(v.Field(i))
			}
		}
	case v.Kind() == reflect.Slice:
		if v.Len() == 0 {
			v.SetZero()
			return
		}
		// Copy before editing, so the caller's value is left alone.
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		for i := range c.Len() {
			normalizeValue(c.Index(i))
		}
		v.Set(c)
	}
}

// same reports whether got and want are the same record (see normalize).
func same(got, want any) bool {
	return reflect.DeepEqual(normalize(got), normalize(want))
}

// check fails the test if got differs from want.
func check[T any](t *testing.T, call string, got, want T) {
	t.Helper()
	if !same(got, want) {
		t.Errorf("%s =\n\t%+v\nwant\n\t%+v", call, got, want)
	}
}

// wantErr fails the test unless err wraps target.
func wantErr(t *testing.T, call string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s = %v, want %v", call, err, target)
	}
}

// must fails the test now if err is not nil.
func must(t *testing.T, call string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v, want nil", call, err)
	}
}

func grantIDs(gs []oauth.Grant) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return ids
}

func tokenIDs(ts []oauth.Token) []string {
	ids := make([]string, len(ts))
	for i, tok := range ts {
		ids[i] = tok.ID
	}
	slices.Sort(ids) // ListTokensByGrant promises no order
	return ids
}

func checkIDs(t *testing.T, call string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", call, got, want)
	}
}

func testClientCRUD(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	list, err := s.ListClients(ctx)
	must(t, "ListClients() on an empty store", err)
	if len(list) != 0 {
		t.Errorf("ListClients() on an empty store = %d clients, want 0", len(list))
	}

	b := newClient("b-client")
	must(t, "CreateClient(b)", s.CreateClient(ctx, b))
	wantErr(t, "CreateClient(b) again", s.CreateClient(ctx, b), oauth.ErrAlreadyExists)

	got, err := s.GetClient(ctx, b.ID)
	must(t, "GetClient(b)", err)
	check(t, "GetClient(b)", got, b)

	_, err = s.GetClient(ctx, "missing")
	wantErr(t, "GetClient(missing)", err, oauth.ErrNotFound)

	updated, err := s.UpdateClient(ctx, b.ID, func(c oauth.Client) (oauth.Client, error) {
		c.Name = "Renamed"
		c.RedirectURIs = append(c.RedirectURIs, "http://127.0.0.1/cb")
		c.UpdatedAt = at(9)
		return c, nil
	})
	must(t, "UpdateClient(b)", err)
	want := b
	want.Name = "Renamed"
	want.RedirectURIs = []string{"https://b-client.example/cb", "http://127.0.0.1/cb"}
	want.UpdatedAt = at(9)
	check(t, "UpdateClient(b)", updated, want)
	got, err = s.GetClient(ctx, b.ID)
	must(t, "GetClient(b) after update", err)
	check(t, "GetClient(b) after update", got, want)

	called := false
	_, err = s.UpdateClient(ctx, "missing", func(c oauth.Client) (oauth.Client, error) {
		called = true
		return c, nil
	})
	wantErr(t, "UpdateClient(missing)", err, oauth.ErrNotFound)
	if called {
		t.Error("UpdateClient(missing) called update, want not called")
	}

	a := newClient("a-client")
	must(t, "CreateClient(a)", s.CreateClient(ctx, a))
	list, err = s.ListClients(ctx)
	must(t, "ListClients()", err)
	check(t, "ListClients()", list, []oauth.Client{a, want})

	must(t, "DeleteClient(b)", s.DeleteClient(ctx, b.ID))
	_, err = s.GetClient(ctx, b.ID)
	wantErr(t, "GetClient(b) after delete", err, oauth.ErrNotFound)
	wantErr(t, "DeleteClient(b) again", s.DeleteClient(ctx, b.ID), oauth.ErrNotFound)
	list, err = s.ListClients(ctx)
	must(t, "ListClients() after delete", err)
	check(t, "ListClients() after delete", list, []oauth.Client{a})
}

func testDeleteClientCascades(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	doomed, kept := newClient("doomed"), newClient("kept")
	// "doomed-2" starts with "doomed": its records must survive.
	prefixed := newClient("doomed-2")
	for _, c := range []oauth.Client{doomed, kept, prefixed} {
		must(t, "CreateClient("+c.ID+")", s.CreateClient(ctx, c))
	}
	g1 := newGrant("g1", "alice@example.org", doomed.ID, at(1))
	g2 := newGrant("g2", "bob@example.org", doomed.ID, at(2))
	g3 := newGrant("g3", "alice@example.org", kept.ID, at(3))
	g4 := newGrant("g4", "alice@example.org", prefixed.ID, at(4))
	for _, g := range []oauth.Grant{g1, g2, g3, g4} {
		must(t, "CreateGrant("+g.ID+")", s.CreateGrant(ctx, g))
	}
	doomedTokens := []oauth.Token{
		newToken("g1-access", oauth.KindAccess, g1),
		newToken("g1-refresh", oauth.KindRefresh, g1),
		newToken("g2-access", oauth.KindAccess, g2),
	}
	keptTokens := []oauth.Token{
		newToken("g3-access", oauth.KindAccess, g3),
		newToken("g4-access", oauth.KindAccess, g4),
	}
	must(t, "CreateTokens(doomed)", s.CreateTokens(ctx, doomedTokens...))
	must(t, "CreateTokens(kept)", s.CreateTokens(ctx, keptTokens...))
	doomedCode, keptCode := newAuthCode("code-doomed", doomed.ID), newAuthCode("code-kept", prefixed.ID)
	must(t, "CreateAuthCode(doomed)", s.CreateAuthCode(ctx, doomedCode))
	must(t, "CreateAuthCode(kept)", s.CreateAuthCode(ctx, keptCode))
	doomedDevice := newDeviceCode("device-doomed", "DOOMEDAA", doomed.ID)
	keptDevice := newDeviceCode("device-kept", "KEPTBBBB", prefixed.ID)
	must(t, "CreateDeviceCode(doomed)", s.CreateDeviceCode(ctx, doomedDevice))
	must(t, "CreateDeviceCode(kept)", s.CreateDeviceCode(ctx, keptDevice))

	must(t, "DeleteClient(doomed)", s.DeleteClient(ctx, doomed.ID))

	_, err := s.GetClient(ctx, doomed.ID)
	wantErr(t, "GetClient(doomed)", err, oauth.ErrNotFound)
	for _, g := range []oauth.Grant{g1, g2} {
		_, err := s.GetGrant(ctx, g.ID)
		wantErr(t, "GetGrant("+g.ID+")", err, oauth.ErrNotFound)
		toks, err := s.ListTokensByGrant(ctx, g.ID)
		must(t, "ListTokensByGrant("+g.ID+")", err)
		checkIDs(t, "ListTokensByGrant("+g.ID+")", tokenIDs(toks), []string{})
	}
	for _, tok := range doomedTokens {
		_, err := s.GetToken(ctx, tok.Hash)
		wantErr(t, "GetToken("+tok.ID+")", err, oauth.ErrNotFound)
	}
	_, err = s.UpdateAuthCode(ctx, doomedCode.Hash, func(c oauth.AuthCode) (oauth.AuthCode, error) { return c, nil })
	wantErr(t, "UpdateAuthCode(doomed)", err, oauth.ErrNotFound)
	_, err = s.GetDeviceCodeByUserCode(ctx, doomedDevice.UserCode)
	wantErr(t, "GetDeviceCodeByUserCode(doomed)", err, oauth.ErrNotFound)
	_, err = s.UpdateDeviceCode(ctx, doomedDevice.Hash, func(d oauth.DeviceCode) (oauth.DeviceCode, error) { return d, nil })
	wantErr(t, "UpdateDeviceCode(doomed)", err, oauth.ErrNotFound)
	grants, err := s.ListGrantsByClient(ctx, doomed.ID)
	must(t, "ListGrantsByClient(doomed)", err)
	checkIDs(t, "ListGrantsByClient(doomed)", grantIDs(grants), []string{})
	grants, err = s.ListGrantsByUser(ctx, "alice@example.org")
	must(t, "ListGrantsByUser(alice)", err)
	checkIDs(t, "ListGrantsByUser(alice)", grantIDs(grants), []string{"g3", "g4"})

	// The user code of the deleted device code is free again.
	reuse := newDeviceCode("device-reuse", doomedDevice.UserCode, kept.ID)
	must(t, "CreateDeviceCode(reused user code)", s.CreateDeviceCode(ctx, reuse))

	// The other clients keep everything.
	for _, tok := range keptTokens {
		got, err := s.GetToken(ctx, tok.Hash)
		must(t, "GetToken("+tok.ID+")", err)
		check(t, "GetToken("+tok.ID+")", got, tok)
	}
	_, err = s.UpdateAuthCode(ctx, keptCode.Hash, func(c oauth.AuthCode) (oauth.AuthCode, error) { return c, nil })
	must(t, "UpdateAuthCode(kept)", err)
	got, err := s.GetDeviceCodeByUserCode(ctx, keptDevice.UserCode)
	must(t, "GetDeviceCodeByUserCode(kept)", err)
	check(t, "GetDeviceCodeByUserCode(kept)", got, keptDevice)
}

func testGrantCRUD(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	g := newGrant("grant-1", "alice@example.org", "client", at(1))
	must(t, "CreateGrant()", s.CreateGrant(ctx, g))
	wantErr(t, "CreateGrant() again", s.CreateGrant(ctx, g), oauth.ErrAlreadyExists)

	got, err := s.GetGrant(ctx, g.ID)
	must(t, "GetGrant()", err)
	check(t, "GetGrant()", got, g)
	_, err = s.GetGrant(ctx, "missing")
	wantErr(t, "GetGrant(missing)", err, oauth.ErrNotFound)

	want := g
	want.Scopes = []string{"openid", "xmpp"}
	want.LastUsed = at(5)
	want.AuthTime = at(5)
	updated, err := s.UpdateGrant(ctx, g.ID, func(g oauth.Grant) (oauth.Grant, error) {
		g.Scopes = []string{"openid", "xmpp"}
		g.LastUsed = at(5)
		g.AuthTime = at(5)
		return g, nil
	})
	must(t, "UpdateGrant()", err)
	check(t, "UpdateGrant()", updated, want)
	got, err = s.GetGrant(ctx, g.ID)
	must(t, "GetGrant() after update", err)
	check(t, "GetGrant() after update", got, want)
	_, err = s.UpdateGrant(ctx, "missing", func(g oauth.Grant) (oauth.Grant, error) { return g, nil })
	wantErr(t, "UpdateGrant(missing)", err, oauth.ErrNotFound)

	must(t, "DeleteGrant()", s.DeleteGrant(ctx, g.ID))
	_, err = s.GetGrant(ctx, g.ID)
	wantErr(t, "GetGrant() after delete", err, oauth.ErrNotFound)
	wantErr(t, "DeleteGrant() again", s.DeleteGrant(ctx, g.ID), oauth.ErrNotFound)
	grants, err := s.ListGrantsByUser(ctx, g.JID)
	must(t, "ListGrantsByUser() after delete", err)
	checkIDs(t, "ListGrantsByUser() after delete", grantIDs(grants), []string{})
	grants, err = s.ListGrantsByClient(ctx, g.ClientID)
	must(t, "ListGrantsByClient() after delete", err)
	checkIDs(t, "ListGrantsByClient() after delete", grantIDs(grants), []string{})
}

func testListGrantsByUser(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	// Created out of order; "a@x" is a prefix of "a@xy" and "a@x/res".
	for _, g := range []oauth.Grant{
		newGrant("g-3", "a@x", "c1", at(3)),
		newGrant("g-1", "a@x", "c2", at(1)),
		newGrant("g-xy", "a@xy", "c1", at(0)),
		newGrant("g-2", "a@x", "c1", at(2)),
		newGrant("g-b", "b@x", "c1", at(1)),
		newGrant("g-res", "a@x/res", "c1", at(1)),
		newGrant("g-cc", "", "c1", at(1)),
	} {
		must(t, "CreateGrant("+g.ID+")", s.CreateGrant(ctx, g))
	}
	tests := []struct {
		jid  string
		want []string
	}{
		{"a@x", []string{"g-1", "g-2", "g-3"}},
		{"a@xy", []string{"g-xy"}},
		{"b@x", []string{"g-b"}},
		{"", []string{"g-cc"}}, // the grants without a user (client credentials)
		{"a@", []string{}},
		{"nobody@x", []string{}},
	}
	for _, tt := range tests {
		got, err := s.ListGrantsByUser(ctx, tt.jid)
		must(t, "ListGrantsByUser("+tt.jid+")", err)
		checkIDs(t, "ListGrantsByUser("+tt.jid+")", grantIDs(got), tt.want)
	}

	// A user's list carries the full records, and shrinks on delete.
	got, err := s.ListGrantsByUser(ctx, "b@x")
	must(t, "ListGrantsByUser(b@x)", err)
	check(t, "ListGrantsByUser(b@x)", got, []oauth.Grant{newGrant("g-b", "b@x", "c1", at(1))})
	must(t, "DeleteGrant(g-2)", s.DeleteGrant(ctx, "g-2"))
	got, err = s.ListGrantsByUser(ctx, "a@x")
	must(t, "ListGrantsByUser(a@x) after delete", err)
	checkIDs(t, "ListGrantsByUser(a@x) after delete", grantIDs(got), []string{"g-1", "g-3"})
}

func testListGrantsByClient(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	// "app" is a prefix of "app2".
	for _, g := range []oauth.Grant{
		newGrant("g-2", "u1@x", "app", at(2)),
		newGrant("g-3", "", "app", at(3)),
		newGrant("g-1", "u2@x", "app", at(1)),
		newGrant("g-app2", "u1@x", "app2", at(0)),
		newGrant("g-other", "u1@x", "other", at(0)),
	} {
		must(t, "CreateGrant("+g.ID+")", s.CreateGrant(ctx, g))
	}
	tests := []struct {
		clientID string
		want     []string
	}{
		{"app", []string{"g-1", "g-2", "g-3"}},
		{"app2", []string{"g-app2"}},
		{"other", []string{"g-other"}},
		{"ap", []string{}},
		{"missing", []string{}},
	}
	for _, tt := range tests {
		got, err := s.ListGrantsByClient(ctx, tt.clientID)
		must(t, "ListGrantsByClient("+tt.clientID+")", err)
		checkIDs(t, "ListGrantsByClient("+tt.clientID+")", grantIDs(got), tt.want)
	}
}

func testDeleteGrantRevokesTokens(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	g := newGrant("grant", "alice@example.org", "client", at(1))
	other := newGrant("grant-2", "alice@example.org", "client", at(2))
	must(t, "CreateGrant(grant)", s.CreateGrant(ctx, g))
	must(t, "CreateGrant(grant-2)", s.CreateGrant(ctx, other))
	revoked := []oauth.Token{
		newToken("access-1", oauth.KindAccess, g),
		newToken("refresh-1", oauth.KindRefresh, g),
		newToken("access-2", oauth.KindAccess, g),
	}
	kept := newToken("other-access", oauth.KindAccess, other)
	must(t, "CreateTokens()", s.CreateTokens(ctx, append(revoked, kept)...))

	must(t, "DeleteGrant(grant)", s.DeleteGrant(ctx, g.ID))
	for _, tok := range revoked {
		_, err := s.GetToken(ctx, tok.Hash)
		wantErr(t, "GetToken("+tok.ID+") after DeleteGrant", err, oauth.ErrNotFound)
		_, err = s.UpdateToken(ctx, tok.Hash, func(tok oauth.Token) (oauth.Token, error) { return tok, nil })
		wantErr(t, "UpdateToken("+tok.ID+") after DeleteGrant", err, oauth.ErrNotFound)
	}
	toks, err := s.ListTokensByGrant(ctx, g.ID)
	must(t, "ListTokensByGrant(grant)", err)
	checkIDs(t, "ListTokensByGrant(grant)", tokenIDs(toks), []string{})
	got, err := s.GetToken(ctx, kept.Hash)
	must(t, "GetToken(other-access)", err)
	check(t, "GetToken(other-access)", got, kept)
}

func testCreateTokensNeedGrant(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	g := newGrant("grant", "alice@example.org", "client", at(1))
	must(t, "CreateGrant()", s.CreateGrant(ctx, g))
	good := newToken("good", oauth.KindAccess, g)
	orphan := newToken("orphan", oauth.KindRefresh, newGrant("missing", "alice@example.org", "client", at(1)))

	wantErr(t, "CreateTokens(good, orphan)", s.CreateTokens(ctx, good, orphan), oauth.ErrNotFound)
	for _, tok := range []oauth.Token{good, orphan} {
		_, err := s.GetToken(ctx, tok.Hash)
		wantErr(t, "GetToken("+tok.ID+") after failed CreateTokens", err, oauth.ErrNotFound)
	}

	// A grant deleted before the tokens arrive takes no tokens.
	must(t, "DeleteGrant()", s.DeleteGrant(ctx, g.ID))
	wantErr(t, "CreateTokens(good) after DeleteGrant", s.CreateTokens(ctx, good), oauth.ErrNotFound)
	_, err := s.GetToken(ctx, good.Hash)
	wantErr(t, "GetToken(good) after DeleteGrant", err, oauth.ErrNotFound)
}

func testTokenCRUD(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	g := newGrant("grant", "alice@example.org", "client", at(1))
	must(t, "CreateGrant()", s.CreateGrant(ctx, g))
	access, refresh := newToken("access", oauth.KindAccess, g), newToken("refresh", oauth.KindRefresh, g)
	must(t, "CreateTokens()", s.CreateTokens(ctx, access, refresh))
	must(t, "CreateTokens() with no tokens", s.CreateTokens(ctx))

	for _, tok := range []oauth.Token{access, refresh} {
		got, err := s.GetToken(ctx, tok.Hash)
		must(t, "GetToken("+tok.ID+")", err)
		check(t, "GetToken("+tok.ID+")", got, tok)
	}
	_, err := s.GetToken(ctx, hash("missing"))
	wantErr(t, "GetToken(missing)", err, oauth.ErrNotFound)

	// A hash that exists, alone or beside a new token, is refused whole.
	fresh := newToken("fresh", oauth.KindAccess, g)
	wantErr(t, "CreateTokens(access) again", s.CreateTokens(ctx, access), oauth.ErrAlreadyExists)
	wantErr(t, "CreateTokens(fresh, refresh)", s.CreateTokens(ctx, fresh, refresh), oauth.ErrAlreadyExists)
	wantErr(t, "CreateTokens(fresh, fresh)", s.CreateTokens(ctx, fresh, fresh), oauth.ErrAlreadyExists)
	_, err = s.GetToken(ctx, fresh.Hash)
	wantErr(t, "GetToken(fresh) after refused CreateTokens", err, oauth.ErrNotFound)

	want := refresh
	want.Rotated = true
	updated, err := s.UpdateToken(ctx, refresh.Hash, func(tok oauth.Token) (oauth.Token, error) {
		tok.Rotated = true
		return tok, nil
	})
	must(t, "UpdateToken(refresh)", err)
	check(t, "UpdateToken(refresh)", updated, want)
	got, err := s.GetToken(ctx, refresh.Hash)
	must(t, "GetToken(refresh) after update", err)
	check(t, "GetToken(refresh) after update", got, want)
	_, err = s.UpdateToken(ctx, hash("missing"), func(tok oauth.Token) (oauth.Token, error) { return tok, nil })
	wantErr(t, "UpdateToken(missing)", err, oauth.ErrNotFound)
}

func testRotateToken(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	g := newGrant("grant", "alice@example.org", "client", at(1))
	must(t, "CreateGrant()", s.CreateGrant(ctx, g))
	old := newToken("old", oauth.KindRefresh, g)
	must(t, "CreateTokens(old)", s.CreateTokens(ctx, old))
	spend := func(tok oauth.Token) (oauth.Token, error) {
		if tok.Rotated {
			return tok, errors.New("spent")
		}
		tok.Rotated = true
		return tok, nil
	}
	access, refresh := newToken("access2", oauth.KindAccess, g), newToken("refresh2", oauth.KindRefresh, g)
	got, err := s.RotateToken(ctx, old.Hash, spend, access, refresh)
	must(t, "RotateToken()", err)
	want := old
	want.Rotated = true
	check(t, "RotateToken()", got, want)
	for _, tok := range []oauth.Token{access, refresh} {
		got, err := s.GetToken(ctx, tok.Hash)
		must(t, "GetToken("+tok.ID+") after RotateToken", err)
		check(t, "GetToken("+tok.ID+") after RotateToken", got, tok)
	}

	// An update error writes nothing, and comes back as it was.
	third := newToken("refresh3", oauth.KindRefresh, g)
	_, err = s.RotateToken(ctx, old.Hash, spend, third)
	if err == nil || err.Error() != "spent" {
		t.Errorf("RotateToken(spent) = %v, want the update's error as is", err)
	}
	_, err = s.GetToken(ctx, third.Hash)
	wantErr(t, "GetToken(refresh3) after failed RotateToken", err, oauth.ErrNotFound)

	// A missing grant writes nothing either, not even the update.
	orphan := newToken("orphan", oauth.KindAccess, newGrant("missing", "alice@example.org", "client", at(1)))
	_, err = s.RotateToken(ctx, refresh.Hash, spend, orphan)
	wantErr(t, "RotateToken(orphan)", err, oauth.ErrNotFound)
	got, err = s.GetToken(ctx, refresh.Hash)
	must(t, "GetToken(refresh2)", err)
	check(t, "GetToken(refresh2) after failed RotateToken", got, refresh)
	_, err = s.RotateToken(ctx, hash("missing"), spend)
	wantErr(t, "RotateToken(missing)", err, oauth.ErrNotFound)
}

// testRotateTokenConcurrent: rotations of one token race and exactly one
// wins; rotations of different tokens, done together (a backend may commit
// them as one group), all succeed and stay independent of a failing one.
func testRotateTokenConcurrent(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	g := newGrant("grant", "alice@example.org", "client", at(1))
	must(t, "CreateGrant()", s.CreateGrant(ctx, g))
	spend := func(tok oauth.Token) (oauth.Token, error) {
		if tok.Rotated {
			return tok, errors.New("spent")
		}
		tok.Rotated = true
		return tok, nil
	}
	const n = 20
	shared := newToken("shared", oauth.KindRefresh, g)
	own := make([]oauth.Token, n)
	for i := range own {
		own[i] = newToken(fmt.Sprintf("own%d", i), oauth.KindRefresh, g)
	}
	must(t, "CreateTokens()", s.CreateTokens(ctx, append(own, shared)...))

	var wg sync.WaitGroup
	sharedErrs := make([]error, n)
	ownErrs := make([]error, n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, sharedErrs[i] = s.RotateToken(ctx, shared.Hash, spend, newToken(fmt.Sprintf("from-shared%d", i), oauth.KindRefresh, g))
		}()
		go func() {
			defer wg.Done()
			update := spend
			if i == 0 {
				update = func(tok oauth.Token) (oauth.Token, error) { return tok, errors.New("refused") }
			}
			_, ownErrs[i] = s.RotateToken(ctx, own[i].Hash, update, newToken(fmt.Sprintf("from-own%d", i), oauth.KindRefresh, g))
		}()
	}
	wg.Wait()
	wins := 0
	for i, err := range sharedErrs {
		switch {
		case err == nil:
			wins++
		case err.Error() != "spent":
			t.Errorf("RotateToken(shared) #%d = %v, want nil or the update's error", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d concurrent rotations of one token won, want exactly 1", wins)
	}
	created := 0
	for i := range n {
		if _, err := s.GetToken(ctx, hash(fmt.Sprintf("from-shared%d", i))); err == nil {
			created++
		}
	}
	if created != 1 {
		t.Errorf("%d tokens created from the shared token, want 1", created)
	}
	for i, err := range ownErrs {
		_, getErr := s.GetToken(ctx, hash(fmt.Sprintf("from-own%d", i)))
		if i == 0 {
			if err == nil || err.Error() != "refused" || getErr == nil {
				t.Errorf("refused rotation = %v (new token stored: %v)", err, getErr == nil)
			}
			continue
		}
		if err != nil || getErr != nil {
			t.Errorf("RotateToken(own%d) = %v; new token: %v", i, err, getErr)
		}
	}
}

func testDeleteTokens(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	g := newGrant("grant", "alice@example.org", "client", at(1))
	must(t, "CreateGrant()", s.CreateGrant(ctx, g))
	t1, t2, t3 := newToken("t1", oauth.KindAccess, g), newToken("t2", oauth.KindRefresh, g), newToken("t3", oauth.KindAccess, g)
	must(t, "CreateTokens()", s.CreateTokens(ctx, t1, t2, t3))

	must(t, "DeleteTokens(t1, t3, missing)", s.DeleteTokens(ctx, t1.Hash, t3.Hash, hash("missing")))
	must(t, "DeleteTokens() with none", s.DeleteTokens(ctx))
	must(t, "DeleteTokens(t1) again", s.DeleteTokens(ctx, t1.Hash))
	for _, tok := range []oauth.Token{t1, t3} {
		_, err := s.GetToken(ctx, tok.Hash)
		wantErr(t, "GetToken("+tok.ID+") after delete", err, oauth.ErrNotFound)
	}
	got, err := s.GetToken(ctx, t2.Hash)
	must(t, "GetToken(t2)", err)
	check(t, "GetToken(t2)", got, t2)
	toks, err := s.ListTokensByGrant(ctx, g.ID)
	must(t, "ListTokensByGrant()", err)
	check(t, "ListTokensByGrant()", toks, []oauth.Token{t2})
	_, err = s.GetGrant(ctx, g.ID)
	must(t, "GetGrant() after DeleteTokens", err)
}

func testListTokensByGrant(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	// "grant-1" is a prefix of "grant-10".
	g1 := newGrant("grant-1", "alice@example.org", "client", at(1))
	g10 := newGrant("grant-10", "alice@example.org", "client", at(2))
	empty := newGrant("grant-2", "alice@example.org", "client", at(3))
	for _, g := range []oauth.Grant{g1, g10, empty} {
		must(t, "CreateGrant("+g.ID+")", s.CreateGrant(ctx, g))
	}
	c := newToken("c", oauth.KindAccess, g10)
	must(t, "CreateTokens()", s.CreateTokens(ctx,
		newToken("a", oauth.KindAccess, g1),
		newToken("b", oauth.KindRefresh, g1),
		c,
	))
	must(t, "CreateTokens() again", s.CreateTokens(ctx, newToken("d", oauth.KindAccess, g1)))

	tests := []struct {
		grantID string
		want    []string
	}{
		{g1.ID, []string{"id-a", "id-b", "id-d"}},
		{g10.ID, []string{"id-c"}},
		{empty.ID, []string{}},
		{"missing", []string{}},
	}
	for _, tt := range tests {
		got, err := s.ListTokensByGrant(ctx, tt.grantID)
		must(t, "ListTokensByGrant("+tt.grantID+")", err)
		checkIDs(t, "ListTokensByGrant("+tt.grantID+")", tokenIDs(got), tt.want)
	}
	got, err := s.ListTokensByGrant(ctx, g10.ID)
	must(t, "ListTokensByGrant(grant-10)", err)
	check(t, "ListTokensByGrant(grant-10)", got, []oauth.Token{c})
}

func testAuthCode(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	code := newAuthCode("code", "client")
	must(t, "CreateAuthCode()", s.CreateAuthCode(ctx, code))
	wantErr(t, "CreateAuthCode() again", s.CreateAuthCode(ctx, code), oauth.ErrAlreadyExists)

	// UpdateAuthCode is also how the core reads a code: it sees the stored one.
	var seen oauth.AuthCode
	want := code
	want.Used = true
	want.IssuedTokens = [][]byte{hash("access"), hash("refresh")}
	updated, err := s.UpdateAuthCode(ctx, code.Hash, func(c oauth.AuthCode) (oauth.AuthCode, error) {
		seen = c
		c.Used = true
		c.IssuedTokens = [][]byte{hash("access"), hash("refresh")}
		return c, nil
	})
	must(t, "UpdateAuthCode()", err)
	check(t, "UpdateAuthCode() saw", seen, code)
	check(t, "UpdateAuthCode()", updated, want)

	errReplay := errors.New("replayed")
	_, err = s.UpdateAuthCode(ctx, code.Hash, func(c oauth.AuthCode) (oauth.AuthCode, error) {
		seen = c
		c.IssuedTokens = nil
		return c, errReplay
	})
	if err != errReplay { // not errors.Is: the contract says "returned as is"
		t.Errorf("UpdateAuthCode() with failing update = %v, want %v as is", err, errReplay)
	}
	check(t, "UpdateAuthCode() saw after update", seen, want)
	got, err := s.UpdateAuthCode(ctx, code.Hash, func(c oauth.AuthCode) (oauth.AuthCode, error) { return c, nil })
	must(t, "UpdateAuthCode() after failed update", err)
	check(t, "UpdateAuthCode() after failed update", got, want)

	_, err = s.UpdateAuthCode(ctx, hash("missing"), func(c oauth.AuthCode) (oauth.AuthCode, error) { return c, nil })
	wantErr(t, "UpdateAuthCode(missing)", err, oauth.ErrNotFound)
}

func testDeviceCode(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	d := newDeviceCode("device", "WDJBMJHT", "client")
	must(t, "CreateDeviceCode()", s.CreateDeviceCode(ctx, d))
	again := d
	again.UserCode = "OTHERONE"
	wantErr(t, "CreateDeviceCode() with the same hash", s.CreateDeviceCode(ctx, again), oauth.ErrAlreadyExists)

	got, err := s.GetDeviceCodeByUserCode(ctx, d.UserCode)
	must(t, "GetDeviceCodeByUserCode()", err)
	check(t, "GetDeviceCodeByUserCode()", got, d)
	_, err = s.GetDeviceCodeByUserCode(ctx, "MISSINGX")
	wantErr(t, "GetDeviceCodeByUserCode(missing)", err, oauth.ErrNotFound)
	_, err = s.GetDeviceCodeByUserCode(ctx, again.UserCode)
	wantErr(t, "GetDeviceCodeByUserCode(refused code)", err, oauth.ErrNotFound)

	want := d
	want.State = oauth.DeviceApproved
	want.JID = "alice@example.org"
	want.GrantID = "grant"
	want.AuthTime = at(7)
	want.LastPoll = at(8)
	want.Interval = 10 * time.Second
	updated, err := s.UpdateDeviceCode(ctx, d.Hash, func(d oauth.DeviceCode) (oauth.DeviceCode, error) {
		d.State = oauth.DeviceApproved
		d.JID = "alice@example.org"
		d.GrantID = "grant"
		d.AuthTime = at(7)
		d.LastPoll = at(8)
		d.Interval += 5 * time.Second
		return d, nil
	})
	must(t, "UpdateDeviceCode()", err)
	check(t, "UpdateDeviceCode()", updated, want)
	got, err = s.GetDeviceCodeByUserCode(ctx, d.UserCode)
	must(t, "GetDeviceCodeByUserCode() after update", err)
	check(t, "GetDeviceCodeByUserCode() after update", got, want)
	_, err = s.UpdateDeviceCode(ctx, hash("missing"), func(d oauth.DeviceCode) (oauth.DeviceCode, error) { return d, nil })
	wantErr(t, "UpdateDeviceCode(missing)", err, oauth.ErrNotFound)
}

func testDeviceUserCodeUnique(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	first := newDeviceCode("first", "AAAABBBB", "client")
	must(t, "CreateDeviceCode(first)", s.CreateDeviceCode(ctx, first))
	clash := newDeviceCode("clash", first.UserCode, "client")
	wantErr(t, "CreateDeviceCode() with a live user code", s.CreateDeviceCode(ctx, clash), oauth.ErrAlreadyExists)
	_, err := s.UpdateDeviceCode(ctx, clash.Hash, func(d oauth.DeviceCode) (oauth.DeviceCode, error) { return d, nil })
	wantErr(t, "UpdateDeviceCode(refused)", err, oauth.ErrNotFound)
	got, err := s.GetDeviceCodeByUserCode(ctx, first.UserCode)
	must(t, "GetDeviceCodeByUserCode()", err)
	check(t, "GetDeviceCodeByUserCode()", got, first)

	// A user code whose device code has expired may be given out again, and
	// then names the new device code.
	old := newDeviceCode("old", "CCCCDDDD", "client")
	old.Expiry = expired()
	must(t, "CreateDeviceCode(old, expired)", s.CreateDeviceCode(ctx, old))
	renewed := newDeviceCode("renewed", old.UserCode, "client")
	must(t, "CreateDeviceCode() with an expired user code", s.CreateDeviceCode(ctx, renewed))
	got, err = s.GetDeviceCodeByUserCode(ctx, old.UserCode)
	must(t, "GetDeviceCodeByUserCode(reused)", err)
	check(t, "GetDeviceCodeByUserCode(reused)", got, renewed)
}

func testSignIn(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	s1 := newSignIn("s1", "a@x", at(2))
	s2 := newSignIn("s2", "a@x", at(1))
	s3 := newSignIn("s3", "a@xy", at(0))
	for _, si := range []oauth.SignIn{s1, s2, s3} {
		must(t, "CreateSignIn("+si.ID+")", s.CreateSignIn(ctx, si))
	}
	wantErr(t, "CreateSignIn(s1) again", s.CreateSignIn(ctx, s1), oauth.ErrAlreadyExists)

	got, err := s.GetSignIn(ctx, s1.ID)
	must(t, "GetSignIn(s1)", err)
	check(t, "GetSignIn(s1)", got, s1)
	_, err = s.GetSignIn(ctx, "missing")
	wantErr(t, "GetSignIn(missing)", err, oauth.ErrNotFound)

	want := s1
	want.State = oauth.SignInApproved
	want.Decided = at(3)
	updated, err := s.UpdateSignIn(ctx, s1.ID, func(si oauth.SignIn) (oauth.SignIn, error) {
		si.State = oauth.SignInApproved
		si.Decided = at(3)
		return si, nil
	})
	must(t, "UpdateSignIn(s1)", err)
	check(t, "UpdateSignIn(s1)", updated, want)
	got, err = s.GetSignIn(ctx, s1.ID)
	must(t, "GetSignIn(s1) after update", err)
	check(t, "GetSignIn(s1) after update", got, want)
	_, err = s.UpdateSignIn(ctx, "missing", func(si oauth.SignIn) (oauth.SignIn, error) { return si, nil })
	wantErr(t, "UpdateSignIn(missing)", err, oauth.ErrNotFound)

	list, err := s.ListSignInsByUser(ctx, "a@x")
	must(t, "ListSignInsByUser(a@x)", err)
	check(t, "ListSignInsByUser(a@x)", list, []oauth.SignIn{s2, want})
	list, err = s.ListSignInsByUser(ctx, "a@xy")
	must(t, "ListSignInsByUser(a@xy)", err)
	check(t, "ListSignInsByUser(a@xy)", list, []oauth.SignIn{s3})
	list, err = s.ListSignInsByUser(ctx, "nobody@x")
	must(t, "ListSignInsByUser(nobody@x)", err)
	if len(list) != 0 {
		t.Errorf("ListSignInsByUser(nobody@x) = %d sign-ins, want 0", len(list))
	}
}

func testKeys(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	keys, err := s.ListKeys(ctx)
	must(t, "ListKeys() on an empty store", err)
	if len(keys) != 0 {
		t.Errorf("ListKeys() on an empty store = %d keys, want 0", len(keys))
	}

	// "a-new" sorts first by ID but was created last.
	older, newer := newKey("z-old", at(1)), newKey("a-new", at(2))
	must(t, "PutKey(newer)", s.PutKey(ctx, newer))
	must(t, "PutKey(older)", s.PutKey(ctx, older))
	keys, err = s.ListKeys(ctx)
	must(t, "ListKeys()", err)
	check(t, "ListKeys()", keys, []oauth.Key{older, newer})

	retired := older
	retired.DeleteAt = at(60)
	must(t, "PutKey(retired)", s.PutKey(ctx, retired))
	keys, err = s.ListKeys(ctx)
	must(t, "ListKeys() after replace", err)
	check(t, "ListKeys() after replace", keys, []oauth.Key{retired, newer})

	must(t, "DeleteKey(older)", s.DeleteKey(ctx, older.ID))
	wantErr(t, "DeleteKey(older) again", s.DeleteKey(ctx, older.ID), oauth.ErrNotFound)
	keys, err = s.ListKeys(ctx)
	must(t, "ListKeys() after delete", err)
	check(t, "ListKeys() after delete", keys, []oauth.Key{newer})
}

func testStats(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	got, err := s.Stats(ctx)
	must(t, "Stats() on an empty store", err)
	check(t, "Stats() on an empty store", got, oauth.Stats{})

	for _, id := range []string{"c1", "c2"} {
		must(t, "CreateClient("+id+")", s.CreateClient(ctx, newClient(id)))
	}
	g1 := newGrant("g1", "a@x", "c1", at(1))
	for _, g := range []oauth.Grant{g1, newGrant("g2", "b@x", "c1", at(2)), newGrant("g3", "", "c2", at(3))} {
		must(t, "CreateGrant("+g.ID+")", s.CreateGrant(ctx, g))
	}
	stale := newToken("stale", oauth.KindAccess, g1)
	stale.Expiry = expired()
	must(t, "CreateTokens()", s.CreateTokens(ctx,
		newToken("t1", oauth.KindAccess, g1), newToken("t2", oauth.KindRefresh, g1), stale))

	pending := newDeviceCode("pending", "PPPPPPPP", "c1")
	approved := newDeviceCode("approved", "QQQQQQQQ", "c1")
	approved.State = oauth.DeviceApproved
	lapsed := newDeviceCode("lapsed", "RRRRRRRR", "c1")
	lapsed.Expiry = expired()
	for _, d := range []oauth.DeviceCode{pending, approved, lapsed} {
		must(t, "CreateDeviceCode("+d.UserCode+")", s.CreateDeviceCode(ctx, d))
	}
	waiting := newSignIn("waiting", "a@x", at(1))
	denied := newSignIn("denied", "a@x", at(2))
	denied.State = oauth.SignInDenied
	gone := newSignIn("gone", "a@x", at(3))
	gone.Expiry = expired()
	for _, si := range []oauth.SignIn{waiting, denied, gone} {
		must(t, "CreateSignIn("+si.ID+")", s.CreateSignIn(ctx, si))
	}

	got, err = s.Stats(ctx)
	must(t, "Stats()", err)
	want := oauth.Stats{Clients: 2, Grants: 3, ActiveTokens: 2, PendingCodes: 1, PendingSignIn: 1}
	check(t, "Stats()", got, want)
}

func testTimeRoundTrip(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	east := time.FixedZone("UTC+05:30", 5*3600+30*60)
	west := time.FixedZone("UTC-07:00", -7*3600)
	created := time.Date(2031, 3, 4, 5, 6, 7, 123456789, east)
	authTime := time.Date(1999, 12, 31, 23, 59, 59, 999999999, west)
	expiry := time.Now().Add(time.Hour).In(west)

	g := newGrant("grant", "alice@example.org", "client", created)
	g.AuthTime = authTime
	g.LastUsed = time.Time{}
	must(t, "CreateGrant()", s.CreateGrant(ctx, g))
	tok := newToken("token", oauth.KindAccess, g)
	tok.IssuedAt = created
	tok.Expiry = expiry
	must(t, "CreateTokens()", s.CreateTokens(ctx, tok))

	gotG, err := s.GetGrant(ctx, g.ID)
	must(t, "GetGrant()", err)
	gotT, err := s.GetToken(ctx, tok.Hash)
	must(t, "GetToken()", err)
	tests := []struct {
		name      string
		got, want time.Time
	}{
		{"Grant.Created", gotG.Created, created},
		{"Grant.AuthTime", gotG.AuthTime, authTime},
		{"Grant.LastUsed", gotG.LastUsed, time.Time{}},
		{"Token.IssuedAt", gotT.IssuedAt, created},
		{"Token.Expiry", gotT.Expiry, expiry},
		{"Token.AuthTime", gotT.AuthTime, authTime},
	}
	for _, tt := range tests {
		if tt.want.IsZero() {
			if !tt.got.IsZero() {
				t.Errorf("%s = %v, want the zero time", tt.name, tt.got)
			}
			continue
		}
		if d := tt.got.Sub(tt.want).Abs(); d >= time.Millisecond {
			t.Errorf("%s = %v, want %v (off by %v, more than a millisecond)", tt.name, tt.got, tt.want, d)
		}
	}
}

// updater is one of the Store's Update methods, reduced to editing one
// string field of one record, so that a case can drive all six alike.
type updater struct {
	name string
	// setup creates the record and returns update, which applies edit to the
	// record's marker field (a string) through the store's Update method and
	// returns the marker after the update.
	setup func(t *testing.T, s oauth.Store) (update func(edit func(string) (string, error)) (string, error))
}

// updaters cover every Update method of the Store.
func updaters() []updater {
	return []updater{
		{"Client", func(t *testing.T, s oauth.Store) func(func(string) (string, error)) (string, error) {
			c := newClient("client")
			must(t, "CreateClient()", s.CreateClient(t.Context(), c))
			return func(edit func(string) (string, error)) (string, error) {
				c, err := s.UpdateClient(t.Context(), c.ID, func(c oauth.Client) (oauth.Client, error) {
					var err error
					c.Name, err = edit(c.Name)
					return c, err
				})
				return c.Name, err
			}
		}},
		{"Grant", func(t *testing.T, s oauth.Store) func(func(string) (string, error)) (string, error) {
			g := newGrant("grant", "alice@example.org", "client", at(1))
			must(t, "CreateGrant()", s.CreateGrant(t.Context(), g))
			return func(edit func(string) (string, error)) (string, error) {
				g, err := s.UpdateGrant(t.Context(), g.ID, func(g oauth.Grant) (oauth.Grant, error) {
					var err error
					g.Via, err = edit(g.Via)
					return g, err
				})
				return g.Via, err
			}
		}},
		{"Token", func(t *testing.T, s oauth.Store) func(func(string) (string, error)) (string, error) {
			// Not "grant": the subtests share one store.
			g := newGrant("grant-of-token", "alice@example.org", "client", at(1))
			must(t, "CreateGrant()", s.CreateGrant(t.Context(), g))
			tok := newToken("token", oauth.KindRefresh, g)
			must(t, "CreateTokens()", s.CreateTokens(t.Context(), tok))
			return func(edit func(string) (string, error)) (string, error) {
				tok, err := s.UpdateToken(t.Context(), tok.Hash, func(tok oauth.Token) (oauth.Token, error) {
					var err error
					tok.ID, err = edit(tok.ID)
					return tok, err
				})
				return tok.ID, err
			}
		}},
		{"AuthCode", func(t *testing.T, s oauth.Store) func(func(string) (string, error)) (string, error) {
			c := newAuthCode("code", "client")
			must(t, "CreateAuthCode()", s.CreateAuthCode(t.Context(), c))
			return func(edit func(string) (string, error)) (string, error) {
				c, err := s.UpdateAuthCode(t.Context(), c.Hash, func(c oauth.AuthCode) (oauth.AuthCode, error) {
					var err error
					c.Nonce, err = edit(c.Nonce)
					return c, err
				})
				return c.Nonce, err
			}
		}},
		{"DeviceCode", func(t *testing.T, s oauth.Store) func(func(string) (string, error)) (string, error) {
			d := newDeviceCode("device", "WDJBMJHT", "client")
			must(t, "CreateDeviceCode()", s.CreateDeviceCode(t.Context(), d))
			return func(edit func(string) (string, error)) (string, error) {
				d, err := s.UpdateDeviceCode(t.Context(), d.Hash, func(d oauth.DeviceCode) (oauth.DeviceCode, error) {
					var err error
					d.JID, err = edit(d.JID)
					return d, err
				})
				return d.JID, err
			}
		}},
		{"SignIn", func(t *testing.T, s oauth.Store) func(func(string) (string, error)) (string, error) {
			si := newSignIn("signin", "alice@example.org", at(1))
			must(t, "CreateSignIn()", s.CreateSignIn(t.Context(), si))
			return func(edit func(string) (string, error)) (string, error) {
				si, err := s.UpdateSignIn(t.Context(), si.ID, func(si oauth.SignIn) (oauth.SignIn, error) {
					var err error
					si.Code, err = edit(si.Code)
					return si, err
				})
				return si.Code, err
			}
		}},
	}
}

func testUpdateFuncErrorAborts(t *testing.T, s oauth.Store) {
	errStop := errors.New("stop")
	for _, u := range updaters() {
		t.Run(u.name, func(t *testing.T) {
			update := u.setup(t, s)
			before, err := update(func(v string) (string, error) { return v, nil })
			must(t, "Update"+u.name+"() with no change", err)

			_, err = update(func(v string) (string, error) { return v + " changed", errStop })
			if err != errStop { // not errors.Is: the contract says "returned as is"
				t.Errorf("Update%s() with failing update = %v, want %v as is", u.name, err, errStop)
			}
			after, err := update(func(v string) (string, error) { return v, nil })
			must(t, "Update"+u.name+"() after failed update", err)
			if after != before {
				t.Errorf("Update%s() after failed update: field = %q, want %q unchanged", u.name, after, before)
			}
		})
	}
}

func testUpdateCannotChangeKey(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	c := newClient("client")
	must(t, "CreateClient()", s.CreateClient(ctx, c))
	_, err := s.UpdateClient(ctx, c.ID, func(c oauth.Client) (oauth.Client, error) {
		c.ID = "other"
		return c, nil
	})
	if err == nil {
		t.Error("UpdateClient() changing the ID = nil, want an error")
	}
	_, err = s.GetClient(ctx, "other")
	wantErr(t, "GetClient(other)", err, oauth.ErrNotFound)
	got, err := s.GetClient(ctx, c.ID)
	must(t, "GetClient()", err)
	check(t, "GetClient()", got, c)

	g := newGrant("grant", "alice@example.org", "client", at(1))
	must(t, "CreateGrant()", s.CreateGrant(ctx, g))
	tok := newToken("token", oauth.KindAccess, g)
	must(t, "CreateTokens()", s.CreateTokens(ctx, tok))
	_, err = s.UpdateToken(ctx, tok.Hash, func(tok oauth.Token) (oauth.Token, error) {
		tok.Hash = hash("other")
		return tok, nil
	})
	if err == nil {
		t.Error("UpdateToken() changing the hash = nil, want an error")
	}
	_, err = s.GetToken(ctx, hash("other"))
	wantErr(t, "GetToken(other)", err, oauth.ErrNotFound)
}

func testConcurrentUpdates(t *testing.T, s oauth.Store) {
	const n = 16
	ctx := t.Context()
	g := newGrant("grant", "alice@example.org", "client", at(1))
	g.Scopes = nil
	must(t, "CreateGrant()", s.CreateGrant(ctx, g))
	d := newDeviceCode("device", "WDJBMJHT", "client")
	d.Interval = 0
	must(t, "CreateDeviceCode()", s.CreateDeviceCode(ctx, d))

	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := s.UpdateGrant(ctx, g.ID, func(g oauth.Grant) (oauth.Grant, error) {
				g.Scopes = append(g.Scopes, "scope-"+strconv.Itoa(i))
				return g, nil
			})
			errs <- err
		})
		wg.Go(func() {
			_, err := s.UpdateDeviceCode(ctx, d.Hash, func(d oauth.DeviceCode) (oauth.DeviceCode, error) {
				d.Interval += time.Second
				return d, nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent update = %v, want nil", err)
		}
	}

	got, err := s.GetGrant(ctx, g.ID)
	must(t, "GetGrant()", err)
	slices.Sort(got.Scopes)
	var want []string
	for i := range n {
		want = append(want, "scope-"+strconv.Itoa(i))
	}
	slices.Sort(want)
	if !slices.Equal(got.Scopes, want) {
		t.Errorf("GetGrant().Scopes after %d concurrent appends = %q, want %q", n, got.Scopes, want)
	}
	gotD, err := s.GetDeviceCodeByUserCode(ctx, d.UserCode)
	must(t, "GetDeviceCodeByUserCode()", err)
	if gotD.Interval != n*time.Second {
		t.Errorf("GetDeviceCodeByUserCode().Interval after %d concurrent increments = %v, want %v", n, gotD.Interval, n*time.Second)
	}
}

func testSecrets(t *testing.T, s oauth.Store) {
	ctx := t.Context()
	// The core hands the store hashes only; the raw secret is never a key.
	const raw = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	g := newGrant("grant", "alice@example.org", "client", at(1))
	must(t, "CreateGrant()", s.CreateGrant(ctx, g))
	tok := newToken(raw, oauth.KindAccess, g)
	must(t, "CreateTokens()", s.CreateTokens(ctx, tok))
	code := newAuthCode(raw, "client")
	must(t, "CreateAuthCode()", s.CreateAuthCode(ctx, code))
	dev := newDeviceCode(raw, "WDJBMJHT", "client")
	must(t, "CreateDeviceCode()", s.CreateDeviceCode(ctx, dev))

	got, err := s.GetToken(ctx, hash(raw))
	must(t, "GetToken(hash)", err)
	check(t, "GetToken(hash)", got, tok)
	_, err = s.GetToken(ctx, []byte(raw))
	wantErr(t, "GetToken(raw secret)", err, oauth.ErrNotFound)
	_, err = s.UpdateAuthCode(ctx, hash(raw), func(c oauth.AuthCode) (oauth.AuthCode, error) { return c, nil })
	must(t, "UpdateAuthCode(hash)", err)
	_, err = s.UpdateAuthCode(ctx, []byte(raw), func(c oauth.AuthCode) (oauth.AuthCode, error) { return c, nil })
	wantErr(t, "UpdateAuthCode(raw secret)", err, oauth.ErrNotFound)
	_, err = s.UpdateDeviceCode(ctx, hash(raw), func(d oauth.DeviceCode) (oauth.DeviceCode, error) { return d, nil })
	must(t, "UpdateDeviceCode(hash)", err)
	_, err = s.UpdateDeviceCode(ctx, []byte(raw), func(d oauth.DeviceCode) (oauth.DeviceCode, error) { return d, nil })
	wantErr(t, "UpdateDeviceCode(raw secret)", err, oauth.ErrNotFound)
}

func testCanceledContext(t *testing.T, s oauth.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c := newClient("client")
	calls := []struct {
		name string
		call func() error
	}{
		{"CreateClient", func() error { return s.CreateClient(ctx, c) }},
		{"GetClient", func() error { _, err := s.GetClient(ctx, c.ID); return err }},
		{"ListClients", func() error { _, err := s.ListClients(ctx); return err }},
		{"CreateGrant", func() error { return s.CreateGrant(ctx, newGrant("g", "a@x", c.ID, at(1))) }},
		{"UpdateGrant", func() error {
			_, err := s.UpdateGrant(ctx, "g", func(g oauth.Grant) (oauth.Grant, error) { return g, nil })
			return err
		}},
		{"GetToken", func() error { _, err := s.GetToken(ctx, hash("t")); return err }},
		{"Stats", func() error { _, err := s.Stats(ctx); return err }},
	}
	for _, tt := range calls {
		if err := tt.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s() with a canceled context = %v, want %v", tt.name, err, context.Canceled)
		}
	}
	_, err := s.GetClient(t.Context(), c.ID)
	wantErr(t, "GetClient() after CreateClient() with a canceled context", err, oauth.ErrNotFound)
}
