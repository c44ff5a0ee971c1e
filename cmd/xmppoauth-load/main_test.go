package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestRunInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the service and drives it over HTTP")
	}
	var stdout, stderr bytes.Buffer
	args := []string{"-requests", "40", "-duration", "0", "-grants", "8", "-workers", "4",
		"-phases", "introspect,refresh,device,client_credentials", "-json", "-sync=false"}
	if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("run %v = %d; stderr:\n%s", args, code, &stderr)
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, &stdout)
	}
	want := map[string][]string{
		phaseIntrospect:        {"POST /introspect"},
		phaseRefresh:           {"POST /token refresh_token"},
		phaseDevice:            {"POST /device_authorization", "POST /token device_code (pending)"},
		phaseClientCredentials: {"POST /token client_credentials"},
	}
	if len(rep.Phases) != len(want) {
		t.Fatalf("report has %d phases, want %d:\n%s", len(rep.Phases), len(want), &stdout)
	}
	for _, ph := range rep.Phases {
		endpoints := want[ph.Phase]
		if len(ph.Endpoints) != len(endpoints) {
			t.Errorf("phase %s: endpoints %+v, want %q", ph.Phase, ph.Endpoints, endpoints)
			continue
		}
		for i, row := range ph.Endpoints {
			if row.Endpoint != endpoints[i] {
				t.Errorf("phase %s: endpoint %q, want %q", ph.Phase, row.Endpoint, endpoints[i])
			}
			if row.Requests == 0 || row.Errors != 0 {
				t.Errorf("phase %s, %s: %d requests, %d errors (first: %s)", ph.Phase, row.Endpoint, row.Requests, row.Errors, row.FirstError)
			}
		}
	}
}

func TestRunMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a store")
	}
	var stdout, stderr bytes.Buffer
	dir := t.TempDir()
	args := []string{"-memory", "-grants", "1200", "-introspections", "50", "-workers", "4", "-dir", dir}
	if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("run %v = %d; stderr:\n%s", args, code, &stderr)
	}
	for _, want := range []string{"grants stored: 1200", "POST /introspect", "peak RSS"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &stdout)
		}
	}
	// A second run measures the filled store again without filling it.
	stdout.Reset()
	if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("second run = %d; stderr:\n%s", code, &stderr)
	}
	if !strings.Contains(stdout.String(), "filling: reused") {
		t.Errorf("second run filled again:\n%s", &stdout)
	}
	// Another size in the same directory is refused, not mixed in.
	args[2] = "1300"
	if code := run(t.Context(), args, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "other contents") {
		t.Errorf("other -grants in a filled -dir: exit %d, stderr %q", code, &stderr)
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		args []string
		err  string // "" when valid
	}{
		{nil, ""},
		{[]string{"-duration", "0"}, "must end by itself"},
		{[]string{"-duration", "-1s"}, "negative"},
		{[]string{"-duration", "2h"}, "longer than"},
		{[]string{"-workers", "0"}, "-workers 0"},
		{[]string{"-grants", "0"}, "-grants 0"},
		{[]string{"-phases", "introspect,bogus"}, `unknown phase "bogus"`},
		{[]string{"-memory", "-target", "http://127.0.0.1:8080"}, "cannot be combined"},
		{[]string{"-dir", "/tmp/x"}, "-dir is for -memory"},
		{[]string{"-target", "http://127.0.0.1:8080"}, "refresh phase needs refresh tokens"},
		{[]string{"-target", "http://127.0.0.1:8080", "-phases", "introspect", "-rs-id", "api"}, "both -rs-id and -rs-secret"},
		{[]string{"-workers", "32", "-grants", "16"}, "must be at least -workers"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"-log-level", "loud"}, "-log-level"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseFlags(tt.args, &stderr)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("parseFlags: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("parseFlags: %v, want an error with %q", err, tt.err)
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:0", true},
		{"127.8.9.10:80", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"192.0.2.1:80", false},
		{"[2001:db8::1]:443", false},
		{"no-port", false},
	}
	for _, tt := range tests {
		if err := checkLoopback(context.Background(), tt.addr); (err == nil) != tt.ok {
			t.Errorf("checkLoopback(%q) = %v, want ok %v", tt.addr, err, tt.ok)
		}
	}
	for raw, ok := range map[string]bool{
		"http://127.0.0.1:8080":    true,
		"https://localhost":        true,
		"ftp://127.0.0.1":          false,
		"http://example.org:8080/": false,
	} {
		if err := checkLoopbackURL(context.Background(), raw); (err == nil) != ok {
			t.Errorf("checkLoopbackURL(%q) = %v, want ok %v", raw, err, ok)
		}
	}
}
