package component

import (
	"encoding/xml"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/xmppoauth/xmppoauth/adhoc"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/oauth/storetest"
)

// FuzzHandleStanza feeds arbitrary stanzas to the component wired as main
// wires it (bridge, real core on the memory store, adhoc commands, XEP-0494)
// and checks what RFC 6120 and the trust model promise: an IQ get or set gets
// exactly one answer, every answer is well-formed XML addressed to the
// sender, nothing is answered with internal-server-error (which is what a
// recovered panic or an unexpected fault turns into), and a type "error"
// stanza is never answered.
func FuzzHandleStanza(f *testing.F) {
	seeds := []string{
		iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#info'/>`),
		iq("get", alice, `<query xmlns='http://jabber.org/protocol/disco#items' node='http://jabber.org/protocol/commands'/>`),
		iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='urn:xmppoauth:device:approve' action='execute'/>`),
		iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='urn:xmppoauth:device:approve' sessionid='x' action='next'><x xmlns='jabber:x:data' type='submit'><field var='user_code'><value>WDJB-MJHT</value></field></x></command>`),
		iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='urn:xmppoauth:apps:list'/>`),
		iq("set", alice, `<command xmlns='http://jabber.org/protocol/commands' node='urn:xmppoauth:admin:stats'/>`),
		iq("get", alice, `<list xmlns='urn:xmpp:cam:0'/>`),
		iq("set", alice, `<revoke xmlns='urn:xmpp:cam:0' id='nope'/>`),
		iq("get", alice, `<ping xmlns='urn:xmpp:ping'/>`),
		iq("get", alice, `<query xmlns='jabber:iq:version'/>`),
		iq("set", eve, `<query xmlns='jabber:iq:version'/>`),
		iq("get", alice, `<unknown xmlns='urn:example:x'/>`),
		iq("get", alice, ``),
		iq("result", alice, ``),
		message("chat", alice, `<body>yes KXT-PQR</body>`),
		message("chat", alice, `<body>WDJB-MJHT</body>`),
		message("chat", alice, `<body>hello</body>`),
		message("normal", alice, `<thread>KXT-PQR</thread><confirm xmlns='http://jabber.org/protocol/http-auth' id='KXT-PQR' method='GET' url='https://x'/>`),
		message("error", alice, `<confirm xmlns='http://jabber.org/protocol/http-auth' id='WDJBMJHT' method='POST' url='https://x'/><error type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`),
		presence("subscribe", alice),
		presence("probe", eve),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	p, err := oauth.New(f.Context(), oauth.Config{Issuer: "https://auth.example.test", UserDomains: []string{"example.test"}}, storetest.Memory())
	if err != nil {
		f.Fatal(err)
	}
	bridge := NewBridge("Fuzz", []string{"alice@example.test"}, slog.New(slog.DiscardHandler))
	engine := adhoc.New(adhoc.Options{}, adhoc.Commands(p)...)
	c := New(Config{Address: "127.0.0.1:1", Domain: testDomain, Secret: "s", UserDomains: []string{"example.test"},
		Logger: slog.New(slog.DiscardHandler), StanzaTimeout: 5 * time.Second}, bridge.Handlers(p, engine, CAMHandlers(p)))
	bridge.Attach(c)

	f.Fuzz(func(t *testing.T, in string) {
		var st inStanza
		if err := xml.Unmarshal([]byte(in), &st); err != nil {
			return // the stream reader never hands on what does not parse
		}
		rec := &recorder{}
		c.handle(t.Context(), rec, &st)
		if st.Kind == "iq" && (st.Type == "get" || st.Type == "set") && st.From != "" && len(rec.out) != 1 {
			t.Fatalf("IQ %s got %d answers, want 1: %q", in, len(rec.out), rec.out)
		}
		if st.Type == "error" && len(rec.out) != 0 {
			t.Fatalf("error stanza %s was answered: %q", in, rec.out)
		}
		for _, out := range rec.out {
			var r inStanza
			if err := xml.Unmarshal([]byte(out), &r); err != nil {
				t.Fatalf("answer to %s is malformed: %s: %v", in, out, err)
			}
			if strings.Contains(out, "internal-server-error") {
				t.Fatalf("answer to %s is internal-server-error: %s", in, out)
			}
		}
	})
}
