package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xmppoauth/xmppoauth/config"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/store"
)

// The admin commands work on the core whether or not the service runs.
// Badger locks its directory, so while serve runs nobody else can open the
// store: serve then answers the same operations on a Unix socket in the data
// directory (HTTP with JSON bodies; the directory is private to the service's
// user, and the socket is mode 0600), and the commands use it when it
// answers. When the service is stopped they open the store themselves.

// adminSocketName is the admin socket's file name in the data directory.
const adminSocketName = "admin.sock"

// adminSocket returns the admin socket's path for cfg.
func adminSocket(cfg *config.Config) string { return filepath.Join(cfg.DataDir, adminSocketName) }

// admin is what the admin commands need: *oauth.Provider's admin methods and
// a backup. localAdmin implements it on an open store, adminClient through
// a running service's socket.
type admin interface {
	Clients(ctx context.Context) ([]oauth.Client, error)
	Client(ctx context.Context, id string) (oauth.ClientView, error)
	DeleteClient(ctx context.Context, id string) error
	Grants(ctx context.Context, jid string) ([]oauth.GrantView, error)
	RevokeGrants(ctx context.Context, jid string, ids ...string) error
	RevokeUser(ctx context.Context, jid string) (int, error)
	IssueToken(ctx context.Context, req oauth.IssueRequest) (oauth.IssuedToken, error)
	RotateKeys(ctx context.Context) error
	JWKS(ctx context.Context) (oauth.JWKS, error)
	// Backup writes Badger's backup stream of the whole store to w.
	Backup(ctx context.Context, w io.Writer) error
}

// localAdmin is the core on a store opened by this process.
type localAdmin struct {
	*oauth.Provider
	db *store.DB
}

// Backup implements admin. Badger's backup reads a snapshot and does not
// take a context; it stops at the first write error.
func (a localAdmin) Backup(_ context.Context, w io.Writer) error { return a.db.Backup(w) }

// listenAdmin opens the admin socket for serve. A stale socket left by a
// killed process is removed first: serve holds the store's lock, so no
// other service can be using it. Without a socket (e.g. a data directory
// path too long for one) serve still runs, and says that the admin commands
// then need it stopped.
func listenAdmin(cfg *config.Config, p *oauth.Provider, db *store.DB, log *slog.Logger) *server {
	path := adminSocket(cfg)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Error("admin socket: remove stale socket; admin commands need the service stopped", "path", path, "err", err)
		return nil
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		log.Error("admin socket: listen; admin commands need the service stopped", "path", path, "err", err)
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		log.Error("admin socket: chmod; admin commands need the service stopped", "path", path, "err", err)
		return nil
	}
	h := adminHandler(localAdmin{p, db}, log.With("subsystem", "admin"))
	// No read or write timeout: a backup streams the whole store.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	return &server{name: "admin", srv: srv, ln: ln}
}

// adminError is the body of an admin socket error: an *oauth.Error's code
// and description, or server_error with the error's text (the socket is the
// administrator's, who may read internal errors).
type adminError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

// Admin socket requests.
type (
	revokeRequest struct {
		User string   `json:"user"`
		IDs  []string `json:"ids,omitempty"`
		All  bool     `json:"all,omitempty"`
	}
	revokeResponse struct {
		Revoked int `json:"revoked"`
	}
	issueRequest struct {
		User     string   `json:"user"`
		Scopes   []string `json:"scopes"`
		TTL      string   `json:"ttl,omitempty"`
		ClientID string   `json:"client_id,omitempty"`
	}
	pingResponse struct {
		Version string `json:"version"`
	}
)

// adminHandler serves the admin operations on the socket.
func adminHandler(a admin, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, r *http.Request, v any, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			body := adminError{Code: "server_error", Description: err.Error()}
			status := http.StatusInternalServerError
			if oe, ok := oauth.AsError(err); ok {
				body, status = adminError{Code: oe.Code, Description: oe.Description}, http.StatusBadRequest
			} else {
				log.ErrorContext(r.Context(), "admin request failed", "path", r.URL.Path, "err", err)
			}
			w.WriteHeader(status)
			v = body
		}
		_ = json.NewEncoder(w).Encode(v)
	}
	decode := func(r *http.Request, v any) error {
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
			return oauth.Errorf(oauth.InvalidRequest, "bad request body: %v", err)
		}
		return nil
	}
	mux.HandleFunc("GET /v1/ping", func(w http.ResponseWriter, r *http.Request) {
		reply(w, r, pingResponse{Version: version}, nil)
	})
	mux.HandleFunc("GET /v1/clients", func(w http.ResponseWriter, r *http.Request) {
		cs, err := a.Clients(r.Context())
		reply(w, r, cs, err)
	})
	mux.HandleFunc("GET /v1/clients/{id}", func(w http.ResponseWriter, r *http.Request) {
		c, err := a.Client(r.Context(), r.PathValue("id"))
		reply(w, r, c, err)
	})
	mux.HandleFunc("DELETE /v1/clients/{id}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, r, struct{}{}, a.DeleteClient(r.Context(), r.PathValue("id")))
	})
	mux.HandleFunc("GET /v1/grants", func(w http.ResponseWriter, r *http.Request) {
		gs, err := a.Grants(r.Context(), r.URL.Query().Get("user"))
		reply(w, r, gs, err)
	})
	mux.HandleFunc("POST /v1/grants/revoke", func(w http.ResponseWriter, r *http.Request) {
		var req revokeRequest
		if err := decode(r, &req); err != nil {
			reply(w, r, nil, err)
			return
		}
		if req.All {
			n, err := a.RevokeUser(r.Context(), req.User)
			reply(w, r, revokeResponse{Revoked: n}, err)
			return
		}
		err := a.RevokeGrants(r.Context(), req.User, req.IDs...)
		reply(w, r, revokeResponse{Revoked: len(req.IDs)}, err)
	})
	mux.HandleFunc("POST /v1/tokens", func(w http.ResponseWriter, r *http.Request) {
		var req issueRequest
		if err := decode(r, &req); err != nil {
			reply(w, r, nil, err)
			return
		}
		var ttl time.Duration
		if req.TTL != "" {
			var err error
			if ttl, err = time.ParseDuration(req.TTL); err != nil {
				reply(w, r, nil, oauth.Errorf(oauth.InvalidRequest, "ttl: %v", err))
				return
			}
		}
		tok, err := a.IssueToken(r.Context(), oauth.IssueRequest{JID: req.User, Scopes: req.Scopes, TTL: ttl, ClientID: req.ClientID})
		reply(w, r, tok, err)
	})
	mux.HandleFunc("POST /v1/keys/rotate", func(w http.ResponseWriter, r *http.Request) {
		if err := a.RotateKeys(r.Context()); err != nil {
			reply(w, r, nil, err)
			return
		}
		set, err := a.JWKS(r.Context())
		reply(w, r, set, err)
	})
	mux.HandleFunc("GET /v1/jwks", func(w http.ResponseWriter, r *http.Request) {
		set, err := a.JWKS(r.Context())
		reply(w, r, set, err)
	})
	mux.HandleFunc("GET /v1/backup", func(w http.ResponseWriter, r *http.Request) {
		// Once the stream has started, a failure can only cut it short; the
		// client notices the missing trailer.
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Trailer", backupTrailer)
		if err := a.Backup(r.Context(), w); err != nil {
			log.ErrorContext(r.Context(), "admin backup failed", "err", err)
			w.Header().Set(backupTrailer, "error: "+err.Error())
			return
		}
		w.Header().Set(backupTrailer, "ok")
	})
	return mux
}

// backupTrailer is the HTTP trailer that says whether a backup streamed
// through the socket is complete.
const backupTrailer = "Xmppoauth-Backup"

// adminClient is admin through a running service's socket.
type adminClient struct {
	http *http.Client
}

// dialAdmin returns a client of the admin socket at path if a service
// answers there, or nil if there is no socket or nobody answers (a socket
// left behind by a killed process). A socket this user may not use is an
// error: the service runs, as another user.
func dialAdmin(ctx context.Context, path string) (*adminClient, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("admin socket: %w (run the command as the service's user)", err)
		}
		return nil, nil
	}
	c := &adminClient{http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var p pingResponse
	if err := c.do(ctx, http.MethodGet, "/v1/ping", nil, &p); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("%w (run the command as the service's user)", err)
		}
		return nil, nil
	}
	return c, nil
}

// do sends a request with body (if not nil) as JSON and decodes the
// answer into out.
func (c *adminClient) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("admin socket: %s %s: read answer: %w", method, path, err)
	}
	return nil
}

// send sends a request and returns a successful response, or the error
// the service answered with.
func (c *adminClient) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://xmppoauth"+path, rd)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	var e adminError
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e); err != nil || e.Code == "" {
		return nil, fmt.Errorf("admin socket: %s %s: %s", method, path, resp.Status)
	}
	if e.Code == "server_error" {
		return nil, errors.New(e.Description)
	}
	return nil, &oauth.Error{Code: e.Code, Description: e.Description}
}

func (c *adminClient) Clients(ctx context.Context) ([]oauth.Client, error) {
	var cs []oauth.Client
	return cs, c.do(ctx, http.MethodGet, "/v1/clients", nil, &cs)
}

func (c *adminClient) Client(ctx context.Context, id string) (oauth.ClientView, error) {
	var v oauth.ClientView
	return v, c.do(ctx, http.MethodGet, "/v1/clients/"+url.PathEscape(id), nil, &v)
}

func (c *adminClient) DeleteClient(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/v1/clients/"+url.PathEscape(id), nil, &struct{}{})
}

func (c *adminClient) Grants(ctx context.Context, jid string) ([]oauth.GrantView, error) {
	var gs []oauth.GrantView
	return gs, c.do(ctx, http.MethodGet, "/v1/grants?user="+url.QueryEscape(jid), nil, &gs)
}

func (c *adminClient) RevokeGrants(ctx context.Context, jid string, ids ...string) error {
	return c.do(ctx, http.MethodPost, "/v1/grants/revoke", revokeRequest{User: jid, IDs: ids}, &revokeResponse{})
}

func (c *adminClient) RevokeUser(ctx context.Context, jid string) (int, error) {
	var r revokeResponse
	err := c.do(ctx, http.MethodPost, "/v1/grants/revoke", revokeRequest{User: jid, All: true}, &r)
	return r.Revoked, err
}

func (c *adminClient) IssueToken(ctx context.Context, req oauth.IssueRequest) (oauth.IssuedToken, error) {
	var t oauth.IssuedToken
	body := issueRequest{User: req.JID, Scopes: req.Scopes, ClientID: req.ClientID}
	if req.TTL != 0 {
		body.TTL = req.TTL.String()
	}
	return t, c.do(ctx, http.MethodPost, "/v1/tokens", body, &t)
}

func (c *adminClient) RotateKeys(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/keys/rotate", nil, &oauth.JWKS{})
}

func (c *adminClient) JWKS(ctx context.Context) (oauth.JWKS, error) {
	var set oauth.JWKS
	return set, c.do(ctx, http.MethodGet, "/v1/jwks", nil, &set)
}

func (c *adminClient) Backup(ctx context.Context, w io.Writer) error {
	resp, err := c.send(ctx, http.MethodGet, "/v1/backup", nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("admin socket: backup: %w", err)
	}
	switch status := resp.Trailer.Get(backupTrailer); {
	case status == "ok":
		return nil
	case strings.HasPrefix(status, "error: "):
		return fmt.Errorf("backup by the service: %s", strings.TrimPrefix(status, "error: "))
	default:
		return errors.New("admin socket: backup: the stream ended early")
	}
}
