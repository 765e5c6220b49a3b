package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/cli"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

type runner struct {
	t   *testing.T
	env map[string]string
	dir string
}

func (r runner) run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), args, cli.Env{
		Getenv: func(k string) string { return r.env[k] }, Dir: r.dir, Stdout: &out, Stderr: &errb,
	})
	return code, out.String(), errb.String()
}

// one decodes stdout, which must be exactly one JSON object.
func one(t *testing.T, stdout string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not a JSON object: %q", stdout)
	}
	if dec.More() {
		t.Fatalf("stdout has more than one JSON value: %q", stdout)
	}
	return v
}

func TestProvisioning(t *testing.T) {
	t.Parallel()
	r := runner{t: t, env: map[string]string{"DATABASE_URL": storetest.MissingDatabase(t), "PUBLIC_URL": "https://track.example"}, dir: t.TempDir()}

	code, out, errOut := r.run("tenant", "create", "--name", "Acme", "--email", " Owner@Acme.Example ", "--password", "s3cret-pass-long", "--website", "https://acme.example")
	if code != 0 {
		t.Fatalf("tenant create: %d %s", code, errOut)
	}
	ten := one(t, out)
	for _, k := range []string{"tenant_id", "personal_token", "revenue_origin_id", "email"} {
		if s, _ := ten[k].(string); s == "" {
			t.Errorf("tenant create: %s missing in %v", k, ten)
		}
	}
	if ten["email"] != "owner@acme.example" {
		t.Errorf("email %v not normalised", ten["email"])
	}
	tid := ten["tenant_id"].(string)

	code, out, errOut = r.run("affiliate", "create", "--tenant", tid, "--name", "Alice", "--email", "alice@example.com", "--code", "Alice")
	if code != 0 {
		t.Fatalf("affiliate create: %d %s", code, errOut)
	}
	aff := one(t, out)
	if aff["code"] != "alice" || aff["link"] != "https://track.example/r/alice" || aff["affiliate_id"] == "" {
		t.Errorf("affiliate create: %v", aff)
	}
	if code, _, errOut = r.run("affiliate", "create", "--tenant", tid, "--name", "Al", "--email", "al@example.com", "--code", "ALICE"); code == 0 || !strings.Contains(errOut, "taken") {
		t.Errorf("taken code: %d %q", code, errOut)
	}
	// Promotion codes: --coupon is repeatable, codes are case-folded and
	// shown as merchants type them; one another affiliate holds is refused.
	code, out, errOut = r.run("affiliate", "create", "--tenant", tid, "--name", "Pod", "--email", "pod@example.com",
		"--coupon", "Spring25", "--coupon", "podcast")
	if code != 0 || !strings.Contains(out, `"coupons":["PODCAST","SPRING25"]`) {
		t.Errorf("affiliate create --coupon: %d %s %s", code, out, errOut)
	}
	if code, _, errOut = r.run("affiliate", "create", "--tenant", tid, "--name", "Copy", "--email", "copy@example.com",
		"--coupon", "SPRING25"); code == 0 || !strings.Contains(errOut, "SPRING25") {
		t.Errorf("a taken promotion code: %d %q", code, errOut)
	}
	if code, out, errOut = r.run("affiliate", "create", "--tenant", tid, "--name", "Alice again", "--email", "ALICE@example.com"); code != 1 || out != "" || !strings.Contains(errOut, "already exists") {
		t.Errorf("taken email: %d %q %q, want exit 1 and a message", code, out, errOut)
	}

	code, out, errOut = r.run("token", "create", "--tenant", tid, "--name", "ci")
	if tok := one(t, out); code != 0 || !strings.HasPrefix(tok["personal_token"].(string), "tl_pt_") {
		t.Errorf("token create: %d %s %s", code, out, errOut)
	}

	code, out, errOut = r.run("tenant", "update", "--tenant", tid, "--hold-days", "14", "--commission-fixed", "500", "--currency", "EUR", "--recurring", "months:6", "--timezone", "Europe/Berlin")
	if code != 0 {
		t.Fatalf("tenant update: %d %s", code, errOut)
	}
	s := one(t, out)
	if s["hold_days"] != 14.0 || s["commission_fixed"] != 500.0 || s["currency"] != "eur" || s["recurring"] != "months:6" || s["timezone"] != "Europe/Berlin" || s["cookie_days"] != 30.0 {
		t.Errorf("settings: %v", s)
	}
	code, out, _ = r.run("tenant", "update", "--tenant", tid, "--commission-percent", "12.5")
	if s := one(t, out); code != 0 || s["commission_percent"] != 12.5 || s["commission_type"] != "percent" {
		t.Errorf("percent: %v", s)
	}

	for _, args := range [][]string{
		{"tenant", "create", "--name", "X", "--email", "bad", "--password", "longenough"},
		{"tenant", "create", "--name", "X", "--email", "x@example.com", "--password", "short"},
		{"tenant", "create", "--name", "X", "--email", "owner@acme.example", "--password", "s3cret-pass-long"},
		{"tenant", "update", "--tenant", tid, "--commission-percent", "101"},
		{"tenant", "update", "--tenant", tid, "--commission-percent", "5", "--commission-fixed", "5", "--currency", "usd"},
		{"tenant", "update", "--tenant", tid, "--commission-fixed", "5"},
		{"tenant", "update", "--tenant", tid, "--commission-fixed", "5", "--currency", "abc"}, // not ISO 4217
		{"tenant", "update", "--tenant", tid, "--recurring", "sometimes"},
		{"tenant", "update", "--tenant", tid, "--timezone", "Mars/Olympus"},
		{"tenant", "update", "--tenant", tid, "--hold-days", "-1"},
		{"tenant", "update", "--tenant", "tn_nobody", "--hold-days", "1"},
		{"affiliate", "create", "--tenant", "tn_nobody", "--name", "X", "--email", "x@example.com"},
		{"affiliate", "create", "--tenant", tid, "--name", "X"},
		{"token", "create", "--tenant", "tn_nobody", "--name", "x"},
		{"tenant", "frobnicate"},
	} {
		code, out, errOut := r.run(args...)
		if code == 0 || out != "" || errOut == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a failure with a message and no output", args, code, out, errOut)
		}
	}
	// The password rule knows the account: its own email is no password,
	// and the refusal says why.
	for pw, why := range map[string]string{"new.owner@acme.example": "your own email or name", "Password1234": "a common word with digits"} {
		code, _, errOut := r.run("tenant", "create", "--name", "X", "--email", "new.owner@acme.example", "--password", pw)
		if code == 0 || !strings.Contains(errOut, why) {
			t.Errorf("password %q: exit %d, stderr %q; want a refusal saying %q", pw, code, errOut, why)
		}
	}
}

// A timezone changed from the command line re-buckets the daily rollups at
// once: the dashboard, which reads only rollups, shows days in the new
// timezone without anyone saving the settings page first.
func TestTenantUpdateTimezoneRebuildsRollups(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	r := runner{t: t, env: map[string]string{"DATABASE_URL": dsn, "PUBLIC_URL": "https://track.example"}, dir: t.TempDir()}
	code, out, errOut := r.run("tenant", "create", "--name", "Acme", "--email", "owner@acme.example", "--password", "s3cret-pass-long")
	if code != 0 {
		t.Fatalf("tenant create: %d %s", code, errOut)
	}
	tid := one(t, out)["tenant_id"].(string)
	code, out, errOut = r.run("affiliate", "create", "--tenant", tid, "--name", "Alice", "--email", "alice@example.com")
	if code != 0 {
		t.Fatalf("affiliate create: %d %s", code, errOut)
	}
	affID := one(t, out)["affiliate_id"].(string)

	// 23:30 UTC on March 10th is 00:30 on March 11th in Berlin (UTC+1).
	ctx := context.Background()
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	if err := st.InsertClicks(ctx, []tracklane.Click{{ID: "c1", TenantID: tid, AffiliateID: affID,
		CreatedAt: day.Add(23*time.Hour + 30*time.Minute), VisitorHash: []byte("v1")}}); err != nil {
		t.Fatal(err)
	}
	days := tracklane.DayRange{From: day, To: day.AddDate(0, 0, 2)}
	clicksPerDay := func() []int64 {
		t.Helper()
		o, err := st.TenantOverview(ctx, tid, days)
		if err != nil {
			t.Fatal(err)
		}
		var n []int64
		for _, d := range o.Days {
			n = append(n, d.Clicks)
		}
		return n
	}
	if got := clicksPerDay(); got[0] != 1 || got[1] != 0 {
		t.Fatalf("clicks per day in UTC: %v, want [1 0]", got)
	}

	if code, _, errOut = r.run("tenant", "update", "--tenant", tid, "--timezone", "Europe/Berlin"); code != 0 {
		t.Fatalf("tenant update: %d %s", code, errOut)
	}
	if tz, err := st.RollupTimezone(ctx, tid); err != nil || tz != "Europe/Berlin" {
		t.Errorf("rollup timezone %q %v, want Europe/Berlin", tz, err)
	}
	if got := clicksPerDay(); got[0] != 0 || got[1] != 1 {
		t.Errorf("clicks per day in Berlin: %v, want [0 1]", got)
	}
}
