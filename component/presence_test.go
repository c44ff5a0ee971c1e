package component

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"
)

// presenceOf returns type and recipient of each presence in got.
func presenceOf(got []reply) [][2]string {
	var out [][2]string
	for _, r := range got {
		if r.Kind == "presence" {
			out = append(out, [2]string{r.Type, r.To})
		}
	}
	return out
}

// TestPresenceSubscriptions checks the component's side of RFC 6121 §3
// subscriptions: a user who subscribes is approved and gets the
// component's presence, and is asked to let the component see theirs, so
// that it knows when they are offline; each change is kept in the roster.
func TestPresenceSubscriptions(t *testing.T) {
	roster := NewMemoryRoster()
	c := newTestComponent(t, Handlers{})
	c.roster = roster
	const user = "alice@example.test"
	steps := []struct {
		name string
		in   string
		want [][2]string
		sub  Subscription
	}{
		{"user subscribes", presence("subscribe", user),
			[][2]string{{"subscribed", user}, {"", user}, {"subscribe", user}}, Subscription{From: true, Asked: true}},
		{"user subscribes again", presence("subscribe", user),
			[][2]string{{"subscribed", user}, {"", user}}, Subscription{From: true, Asked: true}},
		{"user lets the component see their presence", presence("subscribed", user),
			[][2]string{{"probe", user}}, Subscription{From: true, To: true}},
		{"user stops seeing the component's", presence("unsubscribe", user),
			[][2]string{{"unsubscribed", user}, {"unavailable", user}}, Subscription{To: true}},
		{"user stops the component seeing theirs", presence("unsubscribed", user),
			nil, Subscription{}},
		{"a probe shows the user is subscribed", presence("probe", alice),
			[][2]string{{"", alice}}, Subscription{From: true}},
	}
	for _, st := range steps {
		got := presenceOf(feed(t, c, st.in))
		if !reflect.DeepEqual(got, st.want) {
			t.Errorf("%s: component sent %q, want %q", st.name, got, st.want)
		}
		subs, err := roster.Load(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if subs[user] != st.sub {
			t.Errorf("%s: roster has %+v, want %+v", st.name, subs[user], st.sub)
		}
	}
	// A stranger is refused and not remembered.
	if got := presenceOf(feed(t, c, presence("subscribe", "eve@evil.test"))); !reflect.DeepEqual(got, [][2]string{{"unsubscribed", "eve@evil.test"}}) {
		t.Errorf("stranger subscribes: component sent %q", got)
	}
	if subs, _ := roster.Load(t.Context()); len(subs) != 1 {
		t.Errorf("roster = %v, want alice alone", subs)
	}
}

// TestPresenceAvailability checks what the component knows of a user's
// availability: nothing for a user whose presence it does not see; for one
// it does, online while a resource is available, offline once the last
// goes.
func TestPresenceAvailability(t *testing.T) {
	c := newTestComponent(t, Handlers{})
	const user = "alice@example.test"
	check := func(what string, wantOnline, wantKnown bool) {
		t.Helper()
		if online, known := c.Availability(user); online != wantOnline || known != wantKnown {
			t.Errorf("%s: Availability() = %v, %v; want %v, %v", what, online, known, wantOnline, wantKnown)
		}
	}
	check("before anything", false, false)
	feed(t, c, presence("subscribe", user))
	feed(t, c, presence("subscribed", user))
	check("subscribed, no presence seen yet", false, false)
	available := `<presence xmlns='jabber:component:accept' from='` + user + `/phone' to='` + testDomain + `'/>`
	feed(t, c, available)
	check("phone online", true, true)
	feed(t, c, `<presence xmlns='jabber:component:accept' from='`+user+`/laptop' to='`+testDomain+`'><show>away</show></presence>`)
	feed(t, c, presence("unavailable", user+"/phone"))
	check("laptop still online", true, true)
	feed(t, c, presence("unavailable", user+"/laptop"))
	check("all offline", false, true)
	feed(t, c, presence("unsubscribed", user))
	check("no longer sees the user", false, false)
}

// TestPresenceOnConnectAndShutdown checks that the component announces
// itself to every subscriber when its stream comes up, probes the users
// whose presence it sees, and says goodbye before it closes the stream;
// clients otherwise show it offline until the user logs in again.
func TestPresenceOnConnectAndShutdown(t *testing.T) {
	roster := NewMemoryRoster()
	for jid, s := range map[string]Subscription{
		"alice@example.test": {From: true},
		"bob@example.test":   {From: true, To: true},
		"carol@example.test": {To: true},
	} {
		if err := roster.Store(t.Context(), jid, s); err != nil {
			t.Fatal(err)
		}
	}
	srv := newFakeServer(t)
	logs := newLogRecorder(t)
	_, stop := startComponent(t, srv.addr(), logs, Handlers{}, func(cfg *Config) { cfg.Roster = roster })
	fc := srv.next(t)
	fc.accept(testDomain, testSecret)
	var got []string
	for range 4 {
		st := fc.next()
		if st == nil || st.Kind != "presence" || st.From != testDomain {
			t.Fatalf("got %+v, want the component's presence", st)
		}
		got = append(got, st.Type+" "+st.To)
	}
	slices.Sort(got)
	if want := []string{" alice@example.test", " bob@example.test", "probe bob@example.test", "probe carol@example.test"}; !slices.Equal(got, want) {
		t.Errorf("on connect the component sent %q, want %q", got, want)
	}
	fc.ping(testDomain)

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	got = nil
	for {
		st := fc.next()
		if st == nil {
			break
		}
		got = append(got, st.Kind+" "+st.Type+" "+st.To)
	}
	slices.Sort(got)
	if want := []string{"presence unavailable alice@example.test", "presence unavailable bob@example.test"}; !slices.Equal(got, want) {
		t.Errorf("on shutdown the component sent %q, want %q", got, want)
	}
	fc.send("</stream:stream>")
	select {
	case <-stopped:
	case <-time.After(ioTimeout):
		t.Fatal("Run did not return")
	}
}

// TestFileRoster checks that subscriptions survive a restart in the file,
// which only the service's user may read.
func TestFileRoster(t *testing.T) {
	path := filepath.Join(t.TempDir(), "contacts.json")
	r, err := NewFileRoster(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if subs, err := r.Load(ctx); err != nil || len(subs) != 0 {
		t.Fatalf("Load() of a new roster = %v, %v", subs, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.Store(ctx, "alice@example.test", Subscription{From: true, To: true}))
	must(r.Store(ctx, "bob@example.test", Subscription{From: true}))
	must(r.Store(ctx, "bob@example.test", Subscription{}))
	again, err := NewFileRoster(path)
	must(err)
	subs, err := again.Load(ctx)
	must(err)
	if want := map[string]Subscription{"alice@example.test": {From: true, To: true}}; !reflect.DeepEqual(subs, want) {
		t.Errorf("Load() after a restart = %v, want %v", subs, want)
	}
	fi, err := os.Stat(path)
	must(err)
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("roster file mode %v, want 0600", fi.Mode().Perm())
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileRoster(path); err == nil {
		t.Error("NewFileRoster() of a corrupt file = nil error")
	}
}

// TestPushesAreTransient checks that an approval request is marked so that
// no server keeps it for later: XEP-0334 no-store and no-permanent-store,
// and an XEP-0023 expiry at the request's end (ejabberd's offline storage
// honours both).
func TestPushesAreTransient(t *testing.T) {
	c, fc, _ := connectedComponent(t)
	expires := time.Now().Add(5 * time.Minute)
	if err := c.SendConfirm(t.Context(), "alice@example.test", "KXT-PQR", "GET", "https://auth.example.test/w", "Sign in?", expires); err != nil {
		t.Fatal(err)
	}
	st := fc.next()
	m := parseMessage(st, "alice@example.test")
	var hints []string
	var expire string
	for _, x := range m.Extra {
		switch x.Name.Space {
		case NSHints:
			hints = append(hints, x.Name.Local)
		case NSExpire:
			expire = rootAttr(x, "seconds")
		}
	}
	slices.Sort(hints)
	if want := []string{"no-permanent-store", "no-store"}; !slices.Equal(hints, want) {
		t.Errorf("hints = %q, want %q", hints, want)
	}
	if expire != "300" && expire != "299" {
		t.Errorf("jabber:x:expire seconds = %q, want about 300", expire)
	}
}
