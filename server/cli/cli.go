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

const usage = `usage:
  tracklane [serve]
  tracklane tenant create --name NAME --email EMAIL --password PASSWORD [--website URL]
  tracklane tenant update --tenant TENANT_ID [--hold-days N] [--cookie-days N] [--attribution-days N]
                          [--commission-percent P | --commission-fixed MINOR --currency C]
                          [--recurring lifetime|first|months:N] [--timezone IANA]
  tracklane affiliate create --tenant TENANT_ID --name NAME --email EMAIL [--code CODE] [--landing URL]
  tracklane token create --tenant TENANT_ID --name NAME
  tracklane stripe-app manifest --public-url https://HOST[/PATH] --app-id ID [--name NAME]
                          [--distribution private|public] [--version V] [--local-url URL] [--dir DIR]
  tracklane stripe webhooks [--json]
`

// errUsage marks a malformed command line (exit status 2).
var errUsage = errors.New("usage")

// Run runs the command in args (without the program name) and returns the
// process exit status.
func Run(ctx context.Context, args []string, env Env) int {
	log := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if len(args) == 0 || args[0] == "serve" {
		if len(args) > 0 {
			args = args[1:]
		}
		if len(args) > 0 {
			fmt.Fprintf(env.Stderr, "serve takes no arguments\n%s", usage)
			return 2
		}
		if err := serve(ctx, env, log); err != nil {
			log.Error("server stopped", "err", err)
			return 1
		}
		return 0
	}
	if len(args) < 2 {
		fmt.Fprint(env.Stderr, usage)
		return 2
	}
	switch args[0] + " " + args[1] {
	case "stripe-app manifest":
		return stripeAppManifest(args[2:], env)
	case "stripe webhooks":
		return stripeWebhooks(args[2:], env)
	}
	var cmd func(context.Context, provisioner, []string) (any, error)
	switch args[0] + " " + args[1] {
	case "tenant create":
		cmd = tenantCreate
	case "tenant update":
		cmd = tenantUpdate
	case "affiliate create":
		cmd = affiliateCreate
	case "token create":
		cmd = tokenCreate
	default:
		fmt.Fprintf(env.Stderr, "unknown command %q\n%s", strings.Join(args[:2], " "), usage)
		return 2
	}
	// Provisioning logs only warnings and errors: stdout is for the JSON.
	quiet := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg, err := config.Load(env.Getenv, env.Dir, quiet)
	if err != nil {
		fmt.Fprintf(env.Stderr, "error: %v\n", err)
		return 1
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, quiet)
	if err != nil {
		fmt.Fprintf(env.Stderr, "error: %v\n", err)
		return 1
	}
	defer st.Close()
	out, err := cmd(ctx, provisioner{accounts: account.Service{Store: st, Log: quiet}, publicURL: cfg.PublicURL}, args[2:])
	if err != nil {
		if errors.Is(err, errUsage) || errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stderr, usage)
			return 2
		}
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

// parse parses args and checks required flags are set and non-empty.
func parse(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		return apperr.Errorf(apperr.Invalid, "%v", err)
	}
	if fs.NArg() > 0 {
		return apperr.Errorf(apperr.Invalid, "unexpected argument %q", fs.Arg(0))
	}
	for _, name := range required {
		if strings.TrimSpace(fs.Lookup(name).Value.String()) == "" {
			return apperr.Errorf(apperr.Invalid, "--%s is required", name)
		}
	}
	return nil
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
