package cli_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	_ "github.com/lib/pq"

	"github.com/tracklane/tracklane/server/testkit/storetest"
)

func TestPortalProvisioning(t *testing.T) {
	t.Parallel()
	dsn := storetest.MissingDatabase(t)
	r := runner{t: t, env: map[string]string{"DATABASE_URL": dsn, "PUBLIC_URL": "https://track.example"}, dir: t.TempDir()}

	code, out, errOut := r.run("tenant", "create", "--name", "Acme Corp!", "--email", "owner@acme.example", "--password", "s3cret-pass-long")
	if code != 0 {
		t.Fatalf("tenant create: %d %s", code, errOut)
	}
	ten := one(t, out)
	if ten["portal_url"] != "https://track.example/p/acme-corp" {
		t.Fatalf("portal_url %v", ten["portal_url"])
	}
	// The same name again gets a de-duplicated slug.
	_, out, _ = r.run("tenant", "create", "--name", "Acme Corp", "--email", "two@acme.example", "--password", "s3cret-pass-long")
	if got := one(t, out)["portal_url"]; got != "https://track.example/p/acme-corp-2" {
		t.Fatalf("second portal_url %v", got)
	}
	id := ten["tenant_id"].(string)

	code, out, errOut = r.run("tenant", "update", "--tenant", id, "--slug", "Acme-Partners", "--affiliate-approval", "auto")
	if code != 0 {
		t.Fatalf("tenant update: %d %s", code, errOut)
	}
	if s := one(t, out); s["slug"] != "acme-partners" || s["affiliate_approval"] != "auto" {
		t.Fatalf("tenant update: %v", s)
	}
	for _, bad := range [][]string{
		{"--slug", "a"}, {"--slug", "no spaces"}, {"--slug", "acme-corp-2"}, {"--affiliate-approval", "sometimes"},
	} {
		if code, _, errOut := r.run(append([]string{"tenant", "update", "--tenant", id}, bad...)...); code == 0 || errOut == "" {
			t.Errorf("tenant update %v: accepted", bad)
		}
	}

	code, out, errOut = r.run("affiliate", "create", "--tenant", id, "--name", "Ann", "--email", "ann@example.com", "--code", "ann", "--invite")
	if code != 0 {
		t.Fatalf("affiliate create --invite: %d %s", code, errOut)
	}
	aff := one(t, out)
	invite, _ := aff["invite_url"].(string)
	if !strings.HasPrefix(invite, "https://track.example/p/acme-partners/invite/") {
		t.Fatalf("invite_url %q", invite)
	}
	_, out, _ = r.run("affiliate", "create", "--tenant", id, "--name", "Bo", "--email", "bo@example.com")
	if _, ok := one(t, out)["invite_url"]; ok {
		t.Fatalf("invite_url without --invite: %s", out)
	}

	code, out, errOut = r.run("affiliate", "invite", "--tenant", id, "--affiliate", aff["affiliate_id"].(string))
	if code != 0 {
		t.Fatalf("affiliate invite: %d %s", code, errOut)
	}
	again := one(t, out)["invite_url"].(string)
	if !strings.HasPrefix(again, "https://track.example/p/acme-partners/invite/") || again == invite {
		t.Fatalf("affiliate invite: %q", again)
	}
	if code, _, errOut := r.run("affiliate", "invite", "--tenant", id, "--affiliate", "af_nope"); code == 0 || !strings.Contains(errOut, "af_nope") {
		t.Fatalf("invite of an unknown affiliate: %d %s", code, errOut)
	}
	if code, _, _ := r.run("affiliate", "invite", "--tenant", id); code == 0 {
		t.Fatal("invite without --affiliate accepted")
	}

	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var invitations, tokens int
	if err := db.QueryRowContext(context.Background(), `SELECT (SELECT count(*) FROM mail_outbox WHERE kind = 'invitation' AND recipient = 'ann@example.com'),
		(SELECT count(*) FROM one_use_tokens WHERE purpose = 'invite')`).Scan(&invitations, &tokens); err != nil {
		t.Fatal(err)
	}
	if invitations != 2 || tokens != 2 {
		t.Fatalf("%d invitation mails, %d links; want 2 and 2", invitations, tokens)
	}
}
