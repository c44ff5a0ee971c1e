package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// checkLoopback refuses an address that is not on this machine's loopback
// interface. The tool is a load generator: pointed at a shared server it
// would be an attack, so it only talks to 127.0.0.0/8, ::1 or a name that
// resolves to nothing else. hostport is host:port; a host name is resolved
// and every address it has must be loopback.
func checkLoopback(ctx context.Context, hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("address %q: %w", hostport, err)
	}
	if host == "" {
		return fmt.Errorf("address %q listens on every interface; give a loopback address such as 127.0.0.1:0", hostport)
	}
	if ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s is not a loopback address; this tool only runs against 127.0.0.1 or ::1", ip)
		}
		return nil
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(ips) == 0 {
		return fmt.Errorf("%s has no address", host)
	}
	for _, ip := range ips {
		if !ip.IP.IsLoopback() {
			return fmt.Errorf("%s resolves to %s, which is not a loopback address; this tool only runs against loopback", host, ip.IP)
		}
	}
	return nil
}

// checkLoopbackURL is checkLoopback for an http(s) URL.
func checkLoopbackURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("target %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("target %q: need an http:// or https:// URL", raw)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return checkLoopback(ctx, net.JoinHostPort(u.Hostname(), port))
}
