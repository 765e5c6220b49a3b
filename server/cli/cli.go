// Package cli is Tracklane's command line: `serve` (the default) and the
// provisioning commands (`tenant create|update`, `affiliate create`,
// `token create`). Each provisioning command prints exactly one JSON object
// on stdout and exits 0, or prints an error on stderr and exits non-zero.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/config"
	"github.com/tracklane/tracklane/server/store"
)

// Env is the process's surroundings, passed in so tests can run commands
// in-process.
type Env struct {
	Getenv func(string) string
	Dir    string // working directory (for tracklane.secret)
	Stdout io.Writer
	Stderr io.Writer
}

// command is one provisioning command. parse reads its command line
// without touching the database, so --help and a malformed command line
// are answered before any connection is made.
type command struct {
	name  string // "tenant create"
	flags string // its flags, as the usage shows them
	parse func(args []string) (action, error)
}

// action is a parsed command, ready to run against the account service.
type action func(ctx context.Context, p provisioner) (any, error)

var commands = []command{
	{"tenant create", "--name NAME --email EMAIL --password PASSWORD [--website URL]", tenantCreate},
	{"tenant update", "--tenant TENANT_ID [--hold-days N] [--cookie-days N] [--attribution-days N]\n" +
		"      [--commission-percent P | --commission-fixed MINOR --currency C]\n" +
		"      [--recurring lifetime|first|months:N] [--timezone IANA]\n" +
		"      [--slug SLUG] [--affiliate-approval auto|manual] [--payout-minimum MINOR]\n" +
		"      [--conversion-type CODE:percent:P|CODE:fixed:MINOR|CODE:tenant]... [--max-conversion-amount MINOR]", tenantUpdate},
	{"affiliate create", "--tenant TENANT_ID --name NAME --email EMAIL [--code CODE] [--landing URL] [--coupon CODE]... [--invite]", affiliateCreate},
	{"affiliate invite", "--tenant TENANT_ID --affiliate AFFILIATE_ID", affiliateInvite},
	{"token create", "--tenant TENANT_ID --name NAME", tokenCreate},
	{"payout create", "--tenant TENANT_ID [--affiliate AFFILIATE_ID]", payoutCreate},
	{"payout list", "--tenant TENANT_ID [--status pending|paid|cancelled] [--affiliate AFFILIATE_ID] [--limit N]", payoutListCmd},
	{"payout paid", "--tenant TENANT_ID --payout PAYOUT_ID [--reference REF]", payoutPaid},
	{"payout cancel", "--tenant TENANT_ID --payout PAYOUT_ID", payoutCancel},
}

func (c command) usage() string { return "  tracklane " + c.name + " " + c.flags + "\n" }

// operatorCommands are the operator's commands, which touch no database;
// Run dispatches them by name.
var operatorCommands = []command{
	{name: "stripe-app manifest", flags: "--public-url https://HOST[/PATH] --app-id ID [--name NAME]\n" +
		"      [--distribution private|public] [--version V] [--local-url URL] [--dir DIR]"},
	{name: "stripe webhooks", flags: "[--json]"},
}

// environmentNote says where the commands find the database and the public
// URL: the server's own environment.
const environmentNote = `
Every command reads the server's environment: DATABASE_URL (the database it
changes) and PUBLIC_URL (for the links it prints); it names both on stderr.
`

func usage() string {
	var b strings.Builder
	b.WriteString("usage:\n  tracklane [serve]\n")
	for _, c := range commands {
		b.WriteString(c.usage())
	}
	for _, c := range operatorCommands {
		b.WriteString(c.usage())
	}
	b.WriteString(environmentNote)
	return b.String()
}

// groupUsage is the usage of every command whose first word is group
// ("tenant", "stripe", …); "" when no command starts with it.
func groupUsage(group string) string {
	var b strings.Builder
	for _, c := range append(commands[:len(commands):len(commands)], operatorCommands...) {
		if strings.HasPrefix(c.name, group+" ") {
			b.WriteString(c.usage())
		}
	}
	return b.String()
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "-help" || arg == "--help"
}

// Run runs the command in args (without the program name) and returns the
// process exit status: 0, 1 when the command failed, 2 for a malformed
// command line.
func Run(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "serve" {
		return runServe(ctx, args, env)
	}
	if isHelp(args[0]) {
		fmt.Fprint(env.Stdout, usage())
		return 0
	}
	if group := groupUsage(args[0]); group != "" && (len(args) < 2 || isHelp(args[1])) {
		// `tracklane tenant --help` lists the group's commands; a group
		// without a command is a malformed command line.
		if len(args) < 2 {
			fmt.Fprintf(env.Stderr, "%s needs a command:\n%s", args[0], group)
			return 2
		}
		fmt.Fprint(env.Stdout, "usage:\n"+group+environmentNote)
		return 0
	}
	if len(args) < 2 {
		fmt.Fprintf(env.Stderr, "unknown command %q\n%s", args[0], usage())
		return 2
	}
	switch args[0] + " " + args[1] {
	case "stripe-app manifest":
		return stripeAppManifest(args[2:], env)
	case "stripe webhooks":
		return stripeWebhooks(args[2:], env)
	}
	i := -1
	for j, c := range commands {
		if c.name == args[0]+" "+args[1] {
			i = j
		}
	}
	if i < 0 {
		fmt.Fprintf(env.Stderr, "unknown command %q\n%s", strings.Join(args[:2], " "), usage())
		return 2
	}
	cmd := commands[i]
	act, err := cmd.parse(args[2:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(env.Stdout, "usage:\n"+cmd.usage()+environmentNote)
		return 0
	case err != nil:
		fmt.Fprintf(env.Stderr, "error: %s\nusage:\n%s", errorText(err), cmd.usage())
		return 2
	}

	// Provisioning logs only warnings and errors: stdout is for the JSON.
	quiet := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := config.Load(env.Getenv, env.Dir, quiet)
	if err != nil {
		printError(env.Stderr, err)
		return 1
	}
	fmt.Fprintf(env.Stderr, "tracklane %s: database %s, public URL %s\n", cmd.name, cfg.DatabaseDisplay(), cfg.PublicURL)
	// Only `tenant create` may create the database (the first command of a
	// new instance); any other command on a database that does not exist
	// is a typo in DATABASE_URL, refused before anything is created.
	open := store.OpenExisting
	if cmd.name == "tenant create" {
		open = store.Open
	}
	st, err := open(ctx, cfg.DatabaseURL, quiet)
	if err != nil {
		fmt.Fprintf(env.Stderr, "error: %v\n", err)
		return 1
	}
	defer st.Close()
	out, err := act(ctx, provisioner{accounts: account.Service{Store: st, Log: quiet, PublicURL: cfg.PublicURL}, publicURL: cfg.PublicURL})
	if err != nil {
		fmt.Fprintf(env.Stderr, "error: %s\n", errorText(err))
		return 1
	}
	enc := json.NewEncoder(env.Stdout)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(env.Stderr, "error: writing output: %v\n", err)
		return 1
	}
	return 0
}

// runServe runs the server (`tracklane` or `tracklane serve`).
func runServe(ctx context.Context, args []string, env Env) int {
	if len(args) > 1 {
		if isHelp(args[1]) {
			fmt.Fprint(env.Stdout, usage())
			return 0
		}
		fmt.Fprintf(env.Stderr, "serve takes no arguments\n%s", usage())
		return 2
	}
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := serve(ctx, env, log); err != nil {
		var problems config.Problems
		var listenErr *ListenError
		if errors.As(err, &problems) || errors.As(err, &listenErr) {
			printError(env.Stderr, err)
		} else {
			log.Error("server stopped", "err", err)
		}
		return 1
	}
	return 0
}

// printError writes err on stderr: configuration problems one line each,
// anything else on one line.
func printError(w io.Writer, err error) {
	var problems config.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintf(w, "configuration: %s\n", p)
		}
		return
	}
	fmt.Fprintf(w, "error: %v\n", err)
}

// errorText is the message for the user: the application error's message,
// or the full chain for anything else (the CLI's user is the operator).
func errorText(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// newFlags returns a FlagSet that reports problems as errors, not exits.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args and checks that the required flags are set and
// non-empty, naming every missing one at once. -h/--help comes back as
// flag.ErrHelp.
func parse(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return apperr.Errorf(apperr.Invalid, "%v", err)
	}
	if fs.NArg() > 0 {
		return apperr.Errorf(apperr.Invalid, "unexpected argument %q", fs.Arg(0))
	}
	var missing []string
	for _, name := range required {
		if strings.TrimSpace(fs.Lookup(name).Value.String()) == "" {
			missing = append(missing, "--"+name)
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return apperr.Errorf(apperr.Invalid, "%s is required", missing[0])
	}
	return apperr.Errorf(apperr.Invalid, "%s and %s are required", strings.Join(missing[:len(missing)-1], ", "), missing[len(missing)-1])
}

// Main is the program's entry: it runs Run with the real process
// environment.
func Main(ctx context.Context) int {
	dir, err := os.Getwd()
	if err != nil {
		dir = "."
	}
	return Run(ctx, os.Args[1:], Env{Getenv: os.Getenv, Dir: dir, Stdout: os.Stdout, Stderr: os.Stderr})
}
