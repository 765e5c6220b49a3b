package cli_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// --help prints the command's usage on stdout and exits 0, before any
// database is opened (this one cannot be reached).
func TestHelp(t *testing.T) {
	t.Parallel()
	r := runner{t: t, env: map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable"}, dir: t.TempDir()}
	for _, args := range [][]string{
		{"tenant", "create", "--help"},
		{"tenant", "update", "-h"},
		{"affiliate", "create", "--help"},
		{"token", "create", "--tenant", "tn_x", "--help"},
	} {
		code, out, errOut := r.run(args...)
		if code != 0 || errOut != "" {
			t.Errorf("%v: exit %d, stderr %q; want 0 and nothing", args, code, errOut)
		}
		if !strings.Contains(out, "tracklane "+args[0]+" "+args[1]+" --") || !strings.Contains(out, "DATABASE_URL") {
			t.Errorf("%v: usage %q lacks the command or the environment it reads", args, out)
		}
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"serve", "--help"}} {
		code, out, _ := r.run(args...)
		if code != 0 || !strings.Contains(out, "tracklane tenant create") {
			t.Errorf("%v: exit %d, stdout %q", args, code, out)
		}
	}
}

// Every missing required flag is named in one go, before the database is
// opened.
func TestMissingFlagsAllAtOnce(t *testing.T) {
	t.Parallel()
	r := runner{t: t, env: map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable"}, dir: t.TempDir()}
	for _, c := range []struct {
		args    []string
		missing string
	}{
		{[]string{"tenant", "create"}, "--name, --email and --password are required"},
		{[]string{"tenant", "create", "--email", "a@example.com"}, "--name and --password are required"},
		{[]string{"affiliate", "create", "--tenant", "tn_x"}, "--name and --email are required"},
		{[]string{"token", "create", "--name", "ci"}, "--tenant is required"},
	} {
		code, out, errOut := r.run(c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.missing) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", c.args, code, out, errOut, c.missing)
		}
		if strings.Contains(errOut, "connect") || strings.Contains(errOut, "database") {
			t.Errorf("%v: reached for the database before checking its flags: %q", c.args, errOut)
		}
	}
}

// A provisioning command names the database (without its password) and the
// public URL it used, and does not warn about SECRET_KEY: only the server
// does.
func TestCommandNamesItsDatabaseAndPublicURL(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(storetest.MissingDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	shown := u.String()
	u.User = url.UserPassword("postgres", "hunter2-secret") // trust auth ignores it
	r := runner{t: t, env: map[string]string{"DATABASE_URL": u.String(), "PUBLIC_URL": "https://track.example"}, dir: t.TempDir()}
	code, out, errOut := r.run("tenant", "create", "--name", "Acme", "--email", "owner@acme.example", "--password", "s3cret-pass-long")
	if code != 0 {
		t.Fatalf("tenant create: %d %s", code, errOut)
	}
	one(t, out)
	if !strings.Contains(errOut, "database "+shown) || !strings.Contains(errOut, "public URL https://track.example") {
		t.Errorf("stderr %q does not name database %s and the public URL", errOut, shown)
	}
	if strings.Contains(errOut, "hunter2") {
		t.Errorf("stderr shows the database password: %q", errOut)
	}
	if strings.Contains(errOut, "SECRET_KEY") {
		t.Errorf("a provisioning command warned about SECRET_KEY: %q", errOut)
	}
}

// Every command group and operator command answers --help with its usage
// on stdout and exit 0; a group without its command is a malformed command
// line (exit 2, the group's usage on stderr).
func TestHelpOfGroupsAndOperatorCommands(t *testing.T) {
	t.Parallel()
	r := runner{t: t, env: map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable"}, dir: t.TempDir()}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tenant", "--help"}, "tracklane tenant update --tenant"},
		{[]string{"affiliate", "-h"}, "tracklane affiliate invite --tenant"},
		{[]string{"token", "help"}, "tracklane token create --tenant"},
		{[]string{"payout", "--help"}, "tracklane payout cancel --tenant"},
		{[]string{"stripe", "--help"}, "tracklane stripe webhooks [--json]"},
		{[]string{"stripe-app", "--help"}, "tracklane stripe-app manifest --public-url"},
		{[]string{"stripe-app", "manifest", "--help"}, "[--distribution private|public]"},
		{[]string{"stripe", "webhooks", "--help"}, "tracklane stripe webhooks [--json]"},
	} {
		code, out, errOut := r.run(c.args...)
		if code != 0 || errOut != "" || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and a usage naming %q", c.args, code, out, errOut, c.want)
		}
	}
	if code, out, _ := r.run("stripe", "--help"); strings.Contains(out, "stripe-app manifest") {
		t.Errorf("stripe --help (%d) lists another group's command: %q", code, out)
	}
	for _, group := range []string{"tenant", "payout", "stripe"} {
		code, out, errOut := r.run(group)
		if code != 2 || out != "" || !strings.Contains(errOut, "tracklane "+group+" ") {
			t.Errorf("%s alone: exit %d, stdout %q, stderr %q; want 2 and its usage on stderr", group, code, out, errOut)
		}
	}
	if code, _, errOut := r.run("stripe-app", "manifest", "--bogus"); code != 2 || !strings.Contains(errOut, "tracklane stripe-app manifest") {
		t.Errorf("a bad flag: exit %d, stderr %q; want 2 and the command's usage", code, errOut)
	}
}

// Only `tenant create` (and serve) creates a missing database: any other
// command refuses it with its name, and nothing is created.
func TestCommandsRefuseAMissingDatabase(t *testing.T) {
	t.Parallel()
	dsn := storetest.MissingDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	r := runner{t: t, env: map[string]string{"DATABASE_URL": dsn}, dir: t.TempDir()}
	for _, args := range [][]string{
		{"tenant", "update", "--tenant", "tn_x", "--hold-days", "3"},
		{"affiliate", "create", "--tenant", "tn_x", "--name", "A", "--email", "a@example.com"},
		{"payout", "list", "--tenant", "tn_x"},
	} {
		code, out, errOut := r.run(args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "database \""+name+"\" does not exist") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 1 and the missing database named", args, code, out, errOut)
		}
	}
	if code, _, errOut := r.run("tenant", "create", "--name", "A", "--email", "a@example.com", "--password", "s3cret-pass-9"); code != 0 {
		t.Fatalf("tenant create on a missing database: %d %s", code, errOut)
	}
	if code, _, errOut := r.run("payout", "list", "--tenant", "tn_x"); strings.Contains(errOut, "does not exist") {
		t.Errorf("once created, the database is still refused: %d %s", code, errOut)
	}
}
