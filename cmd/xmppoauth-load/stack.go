package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauthhttp"
	"github.com/xmppoauth/xmppoauth/store"
)

// userDomain is the XMPP domain of the tool's made-up users.
const userDomain = "load.test"

// rsID names the resource server that introspects.
const rsID = "load-api"

// stackOptions configure [startStack].
type stackOptions struct {
	// listen is the loopback address to serve on; 127.0.0.1:0 by default.
	listen string
	// dir holds the store; a new temporary directory, removed by close,
	// when empty.
	dir string
	// syncWrites is store.Options.SyncWrites.
	syncWrites bool
	log        *slog.Logger
}

// stack is the service as main wires it, minus the XMPP component: the
// Badger store, the core and the HTTP handler on an http.Server.
type stack struct {
	dir     string
	tempDir bool
	db      *store.DB
	p       *oauth.Provider
	srv     *http.Server
	served  chan error
	url     string
	rs      credentials
}

// startStack opens the store, starts the core and serves it over HTTP on a
// loopback port.
func startStack(ctx context.Context, o stackOptions) (st *stack, err error) {
	if o.listen == "" {
		o.listen = "127.0.0.1:0"
	}
	if err := checkLoopback(ctx, o.listen); err != nil {
		return nil, err
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	st = &stack{dir: o.dir, served: make(chan error, 1)}
	if st.dir == "" {
		if st.dir, err = os.MkdirTemp("", "xmppoauth-load-"); err != nil {
			return nil, fmt.Errorf("temporary store directory: %w", err)
		}
		st.tempDir = true
	}
	defer func() {
		if err != nil {
			st.close(context.Background())
		}
	}()
	st.db, err = store.Open(st.dir, store.Options{SyncWrites: o.syncWrites, Logger: o.log.With("subsystem", "store")})
	if err != nil {
		return st, err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return st, fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	st.url = "http://" + ln.Addr().String()
	st.rs = credentials{rsID, randomHex(32)}
	st.p, err = oauth.New(ctx, oauth.Config{
		Issuer:           st.url,
		UserDomains:      []string{userDomain},
		OpenRegistration: true,
		GrantTypes: []string{oauth.GrantAuthorizationCode, oauth.GrantRefreshToken,
			oauth.GrantDeviceCode, oauth.GrantClientCredentials},
		ResourceServers: []oauth.ResourceServer{{ID: st.rs.id, Secret: st.rs.secret}},
		Logger:          o.log.With("subsystem", "oauth"),
	}, st.db)
	if err != nil {
		ln.Close()
		return st, err
	}
	st.srv = oauthhttp.NewServer(oauthhttp.New(st.p, oauthhttp.Options{Logger: o.log.With("subsystem", "http"), SiteName: "xmppoauth-load"}))
	go func() { st.served <- st.srv.Serve(ln) }()
	return st, nil
}

// close stops serving, closes the store and removes a temporary directory.
func (st *stack) close(ctx context.Context) error {
	var errs []error
	if st.srv != nil {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := st.srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("stop HTTP server: %w", err))
		}
		if err := <-st.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("HTTP server: %w", err))
		}
	}
	if st.db != nil {
		errs = append(errs, st.db.Close())
	}
	if st.tempDir {
		errs = append(errs, os.RemoveAll(st.dir))
	}
	return errors.Join(errs...)
}

// approvedGrants gives n made-up users (user<i>@load.test) one approved
// device grant each with the client, through the core as the chat side
// would (DeviceAuthorize, DecideDevice, the device's token request), and
// returns their tokens. A grant per user, since the core keeps one grant per
// user and client.
func (st *stack) approvedGrants(ctx context.Context, client credentials, n, workers int) ([]tokens, error) {
	cred := oauth.ClientCredentials{ID: client.id, Secret: client.secret, Method: oauth.AuthClientSecretBasic}
	out := make([]tokens, n)
	err := parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		da, err := st.p.DeviceAuthorize(ctx, cred, oauth.ScopeXMPP)
		if err != nil {
			return fmt.Errorf("device authorization: %w", err)
		}
		if err := st.p.DecideDevice(ctx, fmt.Sprintf("user%d@%s", i, userDomain), da.UserCode, true); err != nil {
			return fmt.Errorf("approve device: %w", err)
		}
		resp, err := st.p.Token(ctx, cred, oauth.TokenRequest{GrantType: oauth.GrantDeviceCode, DeviceCode: da.DeviceCode})
		if err != nil {
			return fmt.Errorf("device tokens: %w", err)
		}
		if resp.RefreshToken == "" {
			return errors.New("device tokens: no refresh token")
		}
		out[i] = tokens{AccessToken: resp.AccessToken, RefreshToken: resp.RefreshToken}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create %d approved grants: %w", n, err)
	}
	return out, nil
}

// parallel calls fn for 0 ≤ i < n from the given number of goroutines and
// returns the first error; after one, the others stop taking new work.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}
