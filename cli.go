package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/xmppoauth/xmppoauth/config"
	"github.com/xmppoauth/xmppoauth/oauth"
	"github.com/xmppoauth/xmppoauth/store"
)

// The admin command line: one binary with subcommands. serve and
// check-config are run by main.go's run; every other command is in the
// table below. Each prints aligned tables (text/tabwriter) or, with -json,
// JSON; exits 2 on a usage error and 1 on a failure, saying what is wrong.

// command is one subcommand.
type command struct {
	name    string // as typed: "grants revoke"
	args    string // the positional arguments in the usage line
	summary string // one line for the command list
	about   string // a paragraph for the command's own help
	example string
	// minArgs and maxArgs bound the positional arguments; maxArgs < 0
	// for any number.
	minArgs, maxArgs int
	flags            func(fs *flag.FlagSet, o *options)
	run              func(ctx context.Context, s *session, o *options, args []string) error
}

// options are the flags of all commands; each command defines those it takes.
type options struct {
	config      string
	json        bool
	user, scope string
	client      string
	ttl         time.Duration
	all, force  bool
}

func userFlag(fs *flag.FlagSet, o *options) {
	fs.StringVar(&o.user, "user", "", "the user, a bare `JID` such as alice@example.org")
}

// commands are the subcommands in the order of the help text. serve and
// check-config are listed for the help only; run in main.go runs them.
var commands = []*command{
	{name: "serve", summary: "run the service (the default command)",
		about:   "Runs the service: the XMPP component, the web side and the admin socket " + adminSocketName + " in the data directory.",
		example: "xmppoauth serve -config /etc/xmppoauth/config.yaml"},
	{name: "check-config", summary: "check the configuration file and exit",
		example: "xmppoauth check-config -config /etc/xmppoauth/config.yaml"},
	{name: "version", summary: "print the version", example: "xmppoauth version", run: runVersion},
	{name: "backup", args: "FILE", minArgs: 1, maxArgs: 1, summary: "write a backup of the store to FILE (- for stdout)",
		about:   "Writes Badger's backup stream of the whole store to FILE (mode 0600: it holds the signing keys). It works while the service runs, from a consistent snapshot.",
		example: "xmppoauth backup /var/backups/xmppoauth-$(date +%F).bak", run: runBackup},
	{name: "restore", args: "FILE", minArgs: 1, maxArgs: 1, summary: "load a backup into the store (the service must be stopped)",
		about:   "Loads a backup written by \"xmppoauth backup\" into the data directory. The service must be stopped. A store that holds data is refused unless -force, which replaces its contents.",
		example: "xmppoauth restore /var/backups/xmppoauth-2026-01-31.bak",
		flags: func(fs *flag.FlagSet, o *options) {
			fs.BoolVar(&o.force, "force", false, "replace the contents of a store that holds data")
		}, run: runRestore},
	{name: "clients list", summary: "list the registered clients", example: "xmppoauth clients list", run: runClientsList},
	{name: "clients show", args: "ID", minArgs: 1, maxArgs: 1, summary: "show a client's registration",
		example: "xmppoauth clients show 3f1c0e9a2b7d4c6e", run: runClientsShow},
	{name: "clients delete", args: "ID", minArgs: 1, maxArgs: 1, summary: "delete a client and everything it was given",
		about:   "Deletes a client together with all its grants and tokens; they stop working at once.",
		example: "xmppoauth clients delete 3f1c0e9a2b7d4c6e", run: runClientsDelete},
	{name: "grants list", summary: "list the apps a user has authorized",
		example: "xmppoauth grants list -user alice@example.org", flags: userFlag, run: runGrantsList},
	{name: "grants revoke", args: "[GRANT_ID...]", maxArgs: -1, summary: "revoke a user's grants (by ID, or -all)",
		about:   "Revokes grants of a user, given by ID (as \"grants list\" shows them) or all of them with -all; every token of them stops working at once.",
		example: "xmppoauth grants revoke -user alice@example.org -all",
		flags: func(fs *flag.FlagSet, o *options) {
			userFlag(fs, o)
			fs.BoolVar(&o.all, "all", false, "revoke every grant of the user")
		}, run: runGrantsRevoke},
	{name: "tokens issue", summary: "issue an access token for a user, e.g. for a bot",
		about: "Issues an access token (a JWT) for a user without asking them, like ejabberd's oauth_issue_token: for a bot or a script. " +
			"It appears in the user's \"List authorized apps\" as \"" + oauth.AdminClientName + "\" (or the named client) and can be revoked there or with \"grants revoke\". " +
			"The lifetime is at most tokens.refresh_token_ttl. With -client, a client registered for refresh_token also gets a refresh token when the scope includes offline_access.",
		example: "xmppoauth tokens issue -user bot@example.org -scope xmpp -ttl 30d",
		flags: func(fs *flag.FlagSet, o *options) {
			userFlag(fs, o)
			fs.StringVar(&o.scope, "scope", "", "the token's `SCOPES`, separated by spaces or commas")
			fs.Var(ttlFlag{&o.ttl}, "ttl", "the token's lifetime (`DURATION`, e.g. 12h or 30d); tokens.access_token_ttl by default")
			fs.StringVar(&o.client, "client", "", "issue the token to this registered client (`ID`) instead of the built-in admin client")
		}, run: runTokensIssue},
	{name: "keys rotate", summary: "publish new signing keys",
		about:   "Publishes new signing keys; they sign once keys.publish_delay has passed, and the old keys stay published until what they signed has expired.",
		example: "xmppoauth keys rotate", run: runKeysRotate},
	{name: "help", args: "[COMMAND]", maxArgs: 2, summary: "show the commands, or a command's help", example: "xmppoauth help tokens issue"},
}

// groups are the commands that take a subcommand.
var groups = []string{"clients", "grants", "tokens", "keys"}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// runCLI runs the command cmd with args if it is one of the table's (other
// than serve and check-config), and reports whether it was.
func runCLI(cmd string, args []string, stdout, stderr io.Writer) (int, bool) {
	if cmd == "help" {
		return runHelp(args, stdout, stderr), true
	}
	if slices.Contains(groups, cmd) {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			if len(args) > 0 && isHelpFlag(args[0]) {
				printGroup(stdout, cmd)
				return 0, true
			}
			fmt.Fprintf(stderr, "xmppoauth %s: which one? ", cmd)
			printGroup(stderr, cmd)
			return 2, true
		}
		name := cmd + " " + args[0]
		c := findCommand(name)
		if c == nil {
			fmt.Fprintf(stderr, "xmppoauth %s: unknown command %q. ", cmd, args[0])
			printGroup(stderr, cmd)
			return 2, true
		}
		return c.exec(args[1:], stdout, stderr), true
	}
	c := findCommand(cmd)
	if c == nil {
		fmt.Fprintf(stderr, "xmppoauth: unknown command %q. Run \"xmppoauth help\" for the list.\n", cmd)
		return 2, true
	}
	if c.run == nil { // serve and check-config
		if slices.ContainsFunc(args, isHelpFlag) {
			c.printUsage(stdout)
			return 0, true
		}
		return 0, false
	}
	return c.exec(args, stdout, stderr), true
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "--h" }

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// flagSet returns the command's flags: -config and -json for all, and its own.
func (c *command) flagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("xmppoauth "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.config, "config", "config.yaml", "the configuration `FILE`")
	if c.run != nil && c.name != "help" {
		fs.BoolVar(&o.json, "json", false, "print JSON instead of text")
	}
	if c.flags != nil {
		c.flags(fs, o)
	}
	return fs
}

// exec parses args and runs the command.
func (c *command) exec(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := c.flagSet(&o)
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.printUsage(stdout)
		return 0
	}
	if err == nil {
		switch {
		case len(pos) < c.minArgs:
			err = usagef("missing %s", strings.Fields(c.args)[len(pos)])
		case c.maxArgs >= 0 && len(pos) > c.maxArgs:
			err = usagef("unexpected argument %q", pos[c.maxArgs])
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "xmppoauth %s: %v\n", c.name, err)
		fmt.Fprintf(stderr, "usage: %s\nRun \"xmppoauth %s -h\" for more.\n", c.usageLine(), c.name)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s := &session{stdout: stdout, stderr: stderr, json: o.json, configPath: o.config}
	defer s.close()
	if err := c.run(ctx, s, &o, pos); err != nil {
		msg := err.Error()
		if oe, ok := oauth.AsError(err); ok && oe.Description != "" {
			msg = oe.Description // the core's words, without its protocol code
		}
		fmt.Fprintf(stderr, "xmppoauth %s: %s\n", c.name, msg)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "usage: %s\nRun \"xmppoauth %s -h\" for more.\n", c.usageLine(), c.name)
			return 2
		}
		return 1
	}
	return 0
}

// parseInterleaved parses flags anywhere among the positional arguments
// ("clients show ID -json"), until "--".
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if i := len(args) - len(rest) - 1; i >= 0 && args[i] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func (c *command) usageLine() string {
	line := "xmppoauth " + c.name
	switch c.name {
	case "grants list", "grants revoke", "tokens issue":
		line += " -user JID"
	}
	if c.name == "tokens issue" {
		line += " -scope SCOPES [-ttl DURATION] [-client ID]"
	}
	if c.name == "grants revoke" {
		line += " [-all]"
	}
	if c.args != "" {
		line += " " + c.args
	}
	return line + " [flags]"
}

func (c *command) printUsage(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\n\n%s.\n", c.usageLine(), upperFirst(c.summary))
	if c.about != "" {
		fmt.Fprintf(w, "\n%s\n", wrap(c.about, 76))
	}
	if c.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", c.example)
	}
	fmt.Fprintln(w, "\nFlags:")
	var o options
	fs := c.flagSet(&o)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// wrap breaks text into lines of at most width characters, between words.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for _, word := range strings.Fields(text) {
		switch {
		case n == 0:
		case n+1+len(word) > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// printGroup lists a group's subcommands.
func printGroup(w io.Writer, group string) {
	fmt.Fprintf(w, "The %s commands are:\n", group)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands {
		if strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(tw, "  xmppoauth %s %s\t%s\n", c.name, c.args, c.summary)
		}
	}
	tw.Flush()
}

// runHelp serves "xmppoauth help [COMMAND]".
func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stdout)
		return 0
	}
	name := strings.Join(args, " ")
	if c := findCommand(name); c != nil {
		c.printUsage(stdout)
		return 0
	}
	if len(args) == 1 && slices.Contains(groups, args[0]) {
		printGroup(stdout, args[0])
		return 0
	}
	fmt.Fprintf(stderr, "xmppoauth help: unknown command %q. Run \"xmppoauth help\" for the list.\n", name)
	return 2
}

// printHelp lists every command.
func printHelp(w io.Writer) {
	fmt.Fprintln(w, "xmppoauth is an OAuth 2.0 and OpenID Connect server for XMPP users.")
	fmt.Fprintln(w, "\nusage: xmppoauth COMMAND [flags]\n\nCommands:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s %s\t%s\n", c.name, c.args, c.summary)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nEvery command takes -config FILE (config.yaml by default); all but serve,")
	fmt.Fprintln(w, "check-config and help take -json. While the service runs, the commands go")
	fmt.Fprintln(w, "through its admin socket ("+adminSocketName+" in the data directory); otherwise")
	fmt.Fprintln(w, "they open the store themselves. Run \"xmppoauth COMMAND -h\" for a command's help.")
}

// ttlFlag is a duration flag that also takes whole days ("30d").
type ttlFlag struct{ d *time.Duration }

func (f ttlFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f ttlFlag) Set(s string) error {
	d, err := parseTTL(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

// parseTTL parses a Go duration ("90m", "12h") or whole days ("30d").
func parseTTL(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 100*365 {
			return 0, fmt.Errorf("%q is not a number of days such as 30d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a duration such as 12h or 30d", s)
	}
	return d, nil
}

// session is what a command runs with: the configuration, once loaded, and
// the admin operations, once opened.
type session struct {
	stdout, stderr io.Writer
	json           bool
	configPath     string
	cfg            *config.Config
	closers        []func()
}

func (s *session) close() {
	for _, c := range slices.Backward(s.closers) {
		c()
	}
}

// config loads the configuration file.
func (s *session) config() (*config.Config, error) {
	if s.cfg == nil {
		cfg, err := config.Load(s.configPath)
		if err != nil {
			return nil, err
		}
		s.cfg = cfg
	}
	return s.cfg, nil
}

// logger logs warnings and errors (Badger's among them) to stderr; the
// commands' own output is their report.
func (s *session) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(s.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// admin returns the admin operations: through the running service's socket
// if it answers, or on the store opened here.
func (s *session) admin(ctx context.Context) (admin, error) {
	cfg, err := s.config()
	if err != nil {
		return nil, err
	}
	c, err := dialAdmin(ctx, adminSocket(cfg))
	if err != nil {
		return nil, err
	}
	if c != nil {
		return c, nil
	}
	if _, err := os.Stat(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("data_dir %s: %w (has the service run with this configuration?)", cfg.DataDir, err)
	}
	db, err := s.openStore(cfg)
	if err != nil {
		return nil, err
	}
	p, err := newCore(ctx, cfg, db, nil, nil, s.logger())
	if err != nil {
		return nil, err
	}
	return localAdmin{p, db}, nil
}

// openStore opens the store in the data directory for this command.
func (s *session) openStore(cfg *config.Config) (*store.DB, error) {
	db, err := openStore(cfg, s.logger())
	if err != nil {
		if strings.Contains(err.Error(), "directory lock") {
			return nil, fmt.Errorf("%w\nThe service holds the store, but its admin socket %s does not answer: stop it, or check that it runs with this configuration", err, adminSocket(cfg))
		}
		return nil, err
	}
	s.closers = append(s.closers, func() {
		if err := db.Close(); err != nil {
			fmt.Fprintf(s.stderr, "close store: %v\n", err)
		}
	})
	return db, nil
}

// print writes v as JSON with -json, or else the text that text writes to
// an aligned table.
func (s *session) print(v any, text func(w io.Writer)) error {
	if s.json {
		enc := json.NewEncoder(s.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	tw := tabwriter.NewWriter(s.stdout, 0, 4, 2, ' ', 0)
	text(tw)
	return tw.Flush()
}

// when formats a time for the tables.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// plural says "1 grant", "2 grants".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runVersion(_ context.Context, s *session, _ *options, _ []string) error {
	return s.print(map[string]string{"version": version}, func(w io.Writer) {
		fmt.Fprintln(w, "xmppoauth", version)
	})
}

// clientOut is a client in the commands' output: its registration without
// the hashes of its secrets.
type clientOut struct {
	ID              string    `json:"client_id"`
	Name            string    `json:"client_name"`
	ApplicationType string    `json:"application_type"`
	AuthMethod      string    `json:"token_endpoint_auth_method"`
	GrantTypes      []string  `json:"grant_types"`
	RedirectURIs    []string  `json:"redirect_uris,omitempty"`
	Scope           string    `json:"scope,omitempty"`
	ClientURI       string    `json:"client_uri,omitempty"`
	Contacts        []string  `json:"contacts,omitempty"`
	SoftwareID      string    `json:"software_id,omitempty"`
	SoftwareVersion string    `json:"software_version,omitempty"`
	Created         time.Time `json:"created_at"`
	Updated         time.Time `json:"updated_at"`
	Grants          *int      `json:"grants,omitempty"`
}

func clientOf(c oauth.Client) clientOut {
	return clientOut{
		ID: c.ID, Name: c.Name, ApplicationType: c.ApplicationType, AuthMethod: c.TokenEndpointAuthMethod,
		GrantTypes: c.GrantTypes, RedirectURIs: c.RedirectURIs, Scope: c.Scope, ClientURI: c.ClientURI,
		Contacts: c.Contacts, SoftwareID: c.SoftwareID, SoftwareVersion: c.SoftwareVersion,
		Created: c.CreatedAt, Updated: c.UpdatedAt,
	}
}

func runClientsList(ctx context.Context, s *session, _ *options, _ []string) error {
	a, err := s.admin(ctx)
	if err != nil {
		return err
	}
	cs, err := a.Clients(ctx)
	if err != nil {
		return err
	}
	out := make([]clientOut, len(cs))
	for i, c := range cs {
		out[i] = clientOf(c)
	}
	return s.print(out, func(w io.Writer) {
		fmt.Fprintln(w, "CLIENT ID\tNAME\tTYPE\tAUTH\tGRANT TYPES\tCREATED")
		for _, c := range out {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.ApplicationType, c.AuthMethod, orDash(strings.Join(c.GrantTypes, ",")), when(c.Created))
		}
	})
}

func runClientsShow(ctx context.Context, s *session, _ *options, args []string) error {
	a, err := s.admin(ctx)
	if err != nil {
		return err
	}
	v, err := a.Client(ctx, args[0])
	if err != nil {
		return err
	}
	out := clientOf(v.Client)
	out.Grants = &v.Grants
	return s.print(out, func(w io.Writer) {
		rows := [][2]string{
			{"client_id", out.ID}, {"client_name", out.Name}, {"application_type", out.ApplicationType},
			{"token_endpoint_auth_method", out.AuthMethod}, {"grant_types", strings.Join(out.GrantTypes, " ")},
			{"redirect_uris", strings.Join(out.RedirectURIs, " ")}, {"scope", out.Scope}, {"client_uri", out.ClientURI},
			{"contacts", strings.Join(out.Contacts, " ")}, {"software", strings.TrimSpace(out.SoftwareID + " " + out.SoftwareVersion)},
			{"created", when(out.Created)}, {"updated", when(out.Updated)}, {"grants", strconv.Itoa(v.Grants)},
		}
		for _, r := range rows {
			fmt.Fprintf(w, "%s:\t%s\n", r[0], orDash(r[1]))
		}
	})
}

func runClientsDelete(ctx context.Context, s *session, _ *options, args []string) error {
	a, err := s.admin(ctx)
	if err != nil {
		return err
	}
	v, err := a.Client(ctx, args[0])
	if err != nil {
		return err
	}
	if err := a.DeleteClient(ctx, v.ID); err != nil {
		return err
	}
	return s.print(map[string]any{"deleted": v.ID, "grants_revoked": v.Grants}, func(w io.Writer) {
		fmt.Fprintf(w, "Deleted client %s (%s) and its %s.\n", v.ID, v.Name, plural(v.Grants, "grant"))
	})
}

// grantOut is a grant in the commands' output.
type grantOut struct {
	ID           string    `json:"id"`
	ClientID     string    `json:"client_id"`
	App          string    `json:"app"`
	Scopes       []string  `json:"scopes"`
	Via          string    `json:"via"`
	Created      time.Time `json:"created"`
	Authorized   time.Time `json:"authorized"`
	LastUsed     time.Time `json:"last_used"`
	ActiveTokens int       `json:"active_tokens"`
}

func requireUser(o *options) error {
	if strings.TrimSpace(o.user) == "" {
		return usagef("-user JID is required")
	}
	return nil
}

func runGrantsList(ctx context.Context, s *session, o *options, _ []string) error {
	if err := requireUser(o); err != nil {
		return err
	}
	a, err := s.admin(ctx)
	if err != nil {
		return err
	}
	gs, err := a.Grants(ctx, o.user)
	if err != nil {
		return err
	}
	out := make([]grantOut, len(gs))
	for i, g := range gs {
		out[i] = grantOut{ID: g.ID, ClientID: g.ClientID, App: g.App.Name, Scopes: g.Scopes, Via: g.Via,
			Created: g.Created, Authorized: g.AuthTime, LastUsed: g.LastUsed, ActiveTokens: g.ActiveTokens}
	}
	return s.print(out, func(w io.Writer) {
		if len(out) == 0 {
			fmt.Fprintf(w, "%s has authorized no apps.\n", oauth.NormalizeJID(o.user))
			return
		}
		fmt.Fprintln(w, "GRANT ID\tAPP\tCLIENT ID\tSCOPES\tVIA\tAUTHORIZED\tLAST USED\tLIVE TOKENS")
		for _, g := range out {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", g.ID, g.App, g.ClientID, strings.Join(g.Scopes, " "),
				orDash(g.Via), when(g.Authorized), when(g.LastUsed), g.ActiveTokens)
		}
	})
}

func runGrantsRevoke(ctx context.Context, s *session, o *options, args []string) error {
	if err := requireUser(o); err != nil {
		return err
	}
	if o.all == (len(args) > 0) {
		return usagef("give either GRANT_IDs or -all")
	}
	a, err := s.admin(ctx)
	if err != nil {
		return err
	}
	jid := oauth.NormalizeJID(o.user)
	n := len(args)
	if o.all {
		n, err = a.RevokeUser(ctx, jid)
	} else {
		err = a.RevokeGrants(ctx, jid, args...)
	}
	if err != nil {
		return err
	}
	return s.print(map[string]any{"user": jid, "revoked": n}, func(w io.Writer) {
		fmt.Fprintf(w, "Revoked %s of %s.\n", plural(n, "grant"), jid)
	})
}

func runTokensIssue(ctx context.Context, s *session, o *options, _ []string) error {
	if err := requireUser(o); err != nil {
		return err
	}
	scopes := strings.FieldsFunc(o.scope, func(r rune) bool { return r == ' ' || r == ',' })
	if len(scopes) == 0 {
		return usagef("-scope SCOPES is required")
	}
	a, err := s.admin(ctx)
	if err != nil {
		return err
	}
	t, err := a.IssueToken(ctx, oauth.IssueRequest{JID: o.user, Scopes: scopes, TTL: o.ttl, ClientID: o.client})
	if err != nil {
		return err
	}
	return s.print(t, func(w io.Writer) {
		fmt.Fprintf(w, "access_token:\t%s\n", t.AccessToken)
		fmt.Fprintf(w, "token_type:\t%s\n", t.TokenType)
		fmt.Fprintf(w, "expires:\t%s (in %s)\n", when(t.ExpiresAt), time.Duration(t.ExpiresIn)*time.Second)
		fmt.Fprintf(w, "scope:\t%s\n", t.Scope)
		if t.RefreshToken != "" {
			fmt.Fprintf(w, "refresh_token:\t%s\n", t.RefreshToken)
		}
		fmt.Fprintf(w, "user:\t%s\n", t.JID)
		fmt.Fprintf(w, "client_id:\t%s\n", t.ClientID)
		fmt.Fprintf(w, "grant_id:\t%s\t(revoke with: xmppoauth grants revoke -user %s %s)\n", t.GrantID, t.JID, t.GrantID)
	})
}

func runKeysRotate(ctx context.Context, s *session, _ *options, _ []string) error {
	a, err := s.admin(ctx)
	if err != nil {
		return err
	}
	if err := a.RotateKeys(ctx); err != nil {
		return err
	}
	set, err := a.JWKS(ctx)
	if err != nil {
		return err
	}
	delay := time.Duration(s.cfg.Keys.PublishDelay)
	return s.print(map[string]any{"publish_delay": delay.String(), "keys": set.Keys}, func(w io.Writer) {
		fmt.Fprintf(w, "Published new signing keys; they sign after keys.publish_delay (%s).\nThe JWKS now holds:\n", delay)
		fmt.Fprintln(w, "KEY ID\tALG\tTYPE")
		for _, k := range set.Keys {
			fmt.Fprintf(w, "%s\t%s\t%s\n", k.Kid, k.Alg, k.Kty)
		}
	})
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func runBackup(ctx context.Context, s *session, _ *options, args []string) error {
	a, err := s.admin(ctx)
	if err != nil {
		return err
	}
	file := args[0]
	if file == "-" {
		return a.Backup(ctx, s.stdout)
	}
	// Write beside the target and rename when complete, so that FILE is
	// never a partial backup.
	f, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	cw := &countingWriter{w: f}
	err = a.Backup(ctx, cw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), file)
	}
	if err != nil {
		return fmt.Errorf("backup to %s: %w", file, err)
	}
	return s.print(map[string]any{"file": file, "bytes": cw.n}, func(w io.Writer) {
		fmt.Fprintf(w, "Wrote a backup of %s to %s (%d bytes).\n", s.cfg.DataDir, file, cw.n)
	})
}

func runRestore(ctx context.Context, s *session, o *options, args []string) error {
	cfg, err := s.config()
	if err != nil {
		return err
	}
	if c, err := dialAdmin(ctx, adminSocket(cfg)); err != nil {
		return err
	} else if c != nil {
		return fmt.Errorf("the service is running (its admin socket %s answers): stop it before restoring", adminSocket(cfg))
	}
	file := args[0]
	var in io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		defer f.Close()
		in = f
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("restore: data_dir: %w", err)
	}
	db, err := s.openStore(cfg)
	if err != nil {
		return err
	}
	if err := db.Restore(in, o.force); err != nil {
		if errors.Is(err, store.ErrNotEmpty) {
			return fmt.Errorf("data_dir %s already holds data; -force replaces it with the backup", cfg.DataDir)
		}
		return fmt.Errorf("restore %s: %w", file, err)
	}
	return s.print(map[string]any{"file": file, "data_dir": cfg.DataDir}, func(w io.Writer) {
		fmt.Fprintf(w, "Restored %s into %s.\n", file, cfg.DataDir)
	})
}
