package xmpptest

import (
	"testing"
)

// TestScramSHA1 runs the example exchange of RFC 5802 §5.
func TestScramSHA1(t *testing.T) {
	s := &scram{user: "user", password: "pencil", nonce: "fyko+d2lbbFgONRv9qkxdawL"}
	first, err := s.Start()
	if err != nil || string(first) != "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL" {
		t.Fatalf("client-first-message = %q, %v", first, err)
	}
	final, err := s.Next([]byte("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"))
	if want := "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="; err != nil || string(final) != want {
		t.Fatalf("client-final-message = %q, %v; want %q", final, err, want)
	}
	if err := s.Success([]byte("v=rmF9pqV8S7suAoZWja4dJRkFsKQ=")); err != nil {
		t.Errorf("the RFC's server signature: %v", err)
	}
	if err := s.Success([]byte("v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=")); err == nil {
		t.Errorf("a wrong server signature was accepted")
	}
}

func TestScramSHA1BadServerFirst(t *testing.T) {
	tests := []struct{ name, serverFirst string }{
		{"nonce not ours", "r=someoneelse,s=QSXCR+Q6sek8bf92,i=4096"},
		{"nonce not extended", "r=abc,s=QSXCR+Q6sek8bf92,i=4096"},
		{"bad salt", "r=abcdef,s=!!,i=4096"},
		{"bad iterations", "r=abcdef,s=QSXCR+Q6sek8bf92,i=0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &scram{user: "user", password: "pencil", nonce: "abc"}
			if _, err := s.Start(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Next([]byte(tc.serverFirst)); err == nil {
				t.Errorf("Next(%q) succeeded", tc.serverFirst)
			}
		})
	}
}

// TestOAuthBearer checks the client response of RFC 7628 §3.1 (the example
// of §4.1 without the optional host and port) and the dummy answer to an
// error challenge (§3.2.3).
func TestOAuthBearer(t *testing.T) {
	tests := []struct{ authzid, want string }{
		{"", "n,,\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\x01\x01"},
		{"user@example.com", "n,a=user@example.com,\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\x01\x01"},
		{"a=b,c", "n,a=a=3Db=2Cc,\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\x01\x01"},
	}
	for _, tc := range tests {
		m := OAuthBearer(tc.authzid, "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==")
		if got, err := m.Start(); err != nil || string(got) != tc.want {
			t.Errorf("OAuthBearer(%q) = %q, %v; want %q", tc.authzid, got, err, tc.want)
		}
		if got, err := m.Next([]byte(`{"status":"invalid_token"}`)); err != nil || string(got) != "\x01" {
			t.Errorf("answer to the error = %q, %v; want %%x01", got, err)
		}
	}
}

func TestPlain(t *testing.T) {
	if got, _ := Plain("alice", "pw").Start(); string(got) != "\x00alice\x00pw" {
		t.Errorf("PLAIN = %q", got)
	}
	if got, _ := XOAuth2("alice", "tok").Start(); string(got) != "\x00alice\x00tok" {
		t.Errorf("X-OAUTH2 = %q", got)
	}
	if _, err := Plain("a", "b").Next(nil); err == nil {
		t.Errorf("PLAIN answered a challenge")
	}
}
