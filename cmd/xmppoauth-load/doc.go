// Command xmppoauth-load is a bounded load generator for xmppoauth. It
// drives the endpoints that carry traffic once apps are signed in, over HTTP
// on loopback only, and reports per endpoint the requests, errors,
// throughput and p50/p99/max latency, and the process's resident memory:
//
//   - token introspection, RFC 7662 §2 (POST /introspect, a resource server
//     authenticating with HTTP Basic),
//   - refresh with rotation, RFC 6749 §6 and RFC 9700 §4.14.2 (POST /token
//     grant_type=refresh_token; each worker rotates its own chain, so every
//     request is a synced write),
//   - the device authorization grant, RFC 8628 §3.1 and §3.4 (POST
//     /device_authorization, then a poll of POST /token that answers
//     authorization_pending),
//   - optionally the client_credentials grant, RFC 6749 §4.4.
//
// By default it starts the service in-process as main wires it (Badger in a
// temporary directory with SyncWrites, the oauth core, the oauthhttp
// handler on an http.Server at 127.0.0.1:0), registers a client over HTTP
// (RFC 7591), and creates approved grants through the core API as the chat
// side would (DeviceAuthorize, DecideDevice, the device's token request).
// With -target it drives an xmppoauth already running on loopback instead.
// With -memory it stores a million grants and reports the resident memory
// of serving them.
//
// Every phase ends by itself (-duration, -requests), and the tool refuses
// any address that is not loopback. Run it with -h for the flags; the
// README's Performance section has the figures of the reference machine.
package main
