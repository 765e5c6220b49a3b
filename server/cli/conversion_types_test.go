package cli_test

import (
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/storetest"
)

func TestTenantUpdateConversionTypes(t *testing.T) {
	t.Parallel()
	r := runner{t: t, env: map[string]string{"DATABASE_URL": storetest.MissingDatabase(t), "PUBLIC_URL": "https://track.example"}, dir: t.TempDir()}
	code, out, errOut := r.run("tenant", "create", "--name", "Types", "--email", "types@acme.example", "--password", "s3cret-pass-long")
	if code != 0 {
		t.Fatalf("tenant create: %d %s", code, errOut)
	}
	tid := one(t, out)["tenant_id"].(string)

	// Without the new flags the answer is the settings as before.
	code, out, _ = r.run("tenant", "update", "--tenant", tid, "--hold-days", "7")
	if s := one(t, out); code != 0 || s["conversion_types"] != nil {
		t.Errorf("plain update: %v", s)
	}
	code, out, errOut = r.run("tenant", "update", "--tenant", tid, "--conversion-type", "lead:fixed:250",
		"--conversion-type", "trial:percent:12.5", "--max-conversion-amount", "500000")
	if code != 0 {
		t.Fatalf("update: %d %s", code, errOut)
	}
	s := one(t, out)
	types, _ := s["conversion_types"].([]any)
	if len(types) != 3 || s["max_conversion_amount"] != 500000.0 || s["hold_days"] != 7.0 {
		t.Fatalf("answer %v", s)
	}
	lead, trial := types[1].(map[string]any), types[2].(map[string]any)
	if lead["code"] != "lead" || lead["commission_fixed"] != 250.0 || lead["currency"] != "usd" ||
		trial["code"] != "trial" || trial["commission_percent"] != 12.5 || types[0].(map[string]any)["commission_type"] != "tenant" {
		t.Errorf("types %v", types)
	}
	for _, bad := range [][]string{
		{"--conversion-type", "lead"}, {"--conversion-type", "lead:fixed:-1"}, {"--conversion-type", "Lead Gen:fixed:1"},
		{"--conversion-type", "x:percent:101"}, {"--max-conversion-amount", "ten"},
	} {
		code, out, errOut := r.run(append([]string{"tenant", "update", "--tenant", tid}, bad...)...)
		if code == 0 || out != "" || !strings.Contains(errOut, "conversion") {
			t.Errorf("%v: %d %q %q, want a refusal naming the flag", bad, code, out, errOut)
		}
	}
}
