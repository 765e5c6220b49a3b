package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/fault"
	"github.com/tracklane/tracklane/server/tracklane"
)

type payoutsOut struct {
	Data []struct {
		ID            string   `json:"id"`
		Amount        int64    `json:"amount"`
		Status        string   `json:"status"`
		ConversionIDs []string `json:"conversion_ids"`
	} `json:"data"`
}

// TestPayoutCommands: the payout minimum is set from the command line;
// two OS processes of the built binary running `payout create` at once
// never put one conversion in two payouts; paid, list and cancel print
// the API's objects, and a refused transition exits non-zero.
func TestPayoutCommands(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	var affs []tracklane.Affiliate
	for i := 0; i < 4; i++ {
		affs = append(affs, a.NewAffiliate(t, ten.ID, fmt.Sprintf("cli-payee-%d", i)))
	}
	for i := 0; i < 24; i++ {
		a.ApprovedSale(t, ten.ID, affs[i%4], int64(1000+i), []string{"usd", "eur"}[(i/4)%2])
	}
	r := runner{t: t, env: map[string]string{"DATABASE_URL": a.DSN, "PUBLIC_URL": "https://track.example"}, dir: t.TempDir()}
	code, out, errOut := r.run("tenant", "update", "--tenant", ten.ID, "--payout-minimum", "100")
	if code != 0 || one(t, out)["payout_minimum"] != float64(100) {
		t.Fatalf("tenant update: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := r.run("tenant", "update", "--tenant", ten.ID, "--payout-minimum", "-5"); code == 0 || !strings.Contains(errOut, "--payout-minimum") {
		t.Errorf("a negative minimum: %d %s", code, errOut)
	}

	bin := fault.Binary(t)
	t.Cleanup(fault.Cleanup)
	var wg sync.WaitGroup
	outs := make([]bytes.Buffer, 2)
	errs := make([]error, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(bin, "payout", "create", "--tenant", ten.ID)
			cmd.Env = []string{"DATABASE_URL=" + a.DSN, "PUBLIC_URL=https://track.example", "SECRET_KEY=test-secret-key-0123456789"}
			cmd.Dir = t.TempDir()
			cmd.Stdout = &outs[i]
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if errs[i] = cmd.Run(); errs[i] != nil {
				errs[i] = fmt.Errorf("%v: %s", errs[i], stderr.String())
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	var payouts []string
	for i := range outs {
		if errs[i] != nil {
			t.Fatalf("process %d: %v", i, errs[i])
		}
		var got payoutsOut
		if err := json.Unmarshal(outs[i].Bytes(), &got); err != nil {
			t.Fatalf("process %d printed %q", i, outs[i].String())
		}
		for _, p := range got.Data {
			payouts = append(payouts, p.ID)
			for _, c := range p.ConversionIDs {
				if seen[c] {
					t.Fatalf("conversion %s in two payouts", c)
				}
				seen[c] = true
			}
		}
	}
	if len(seen) != 24 || len(payouts) != 8 {
		t.Fatalf("%d conversions in %d payouts, want 24 in 8", len(seen), len(payouts))
	}

	code, out, errOut = r.run("payout", "paid", "--tenant", ten.ID, "--payout", payouts[0], "--reference", "BATCH-1")
	if p := one(t, out); code != 0 || p["status"] != "paid" || p["reference"] != "BATCH-1" {
		t.Fatalf("payout paid: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := r.run("payout", "paid", "--tenant", ten.ID, "--payout", payouts[0]); code == 0 || out != "" || !strings.Contains(errOut, "only a pending payout") {
		t.Errorf("paying twice: %d %q %s", code, out, errOut)
	}
	code, out, _ = r.run("payout", "cancel", "--tenant", ten.ID, "--payout", payouts[1])
	if code != 0 || one(t, out)["status"] != "cancelled" {
		t.Errorf("payout cancel: %d %s", code, out)
	}
	code, out, _ = r.run("payout", "list", "--tenant", ten.ID, "--status", "paid")
	var listed payoutsOut
	if json.Unmarshal([]byte(out), &listed); code != 0 || len(listed.Data) != 1 || listed.Data[0].ID != payouts[0] {
		t.Errorf("payout list: %d %s", code, out)
	}
	code, out, _ = r.run("payout", "create", "--tenant", ten.ID)
	if code != 0 || len(one(t, out)["data"].([]any)) != 1 {
		t.Errorf("create after cancel: %d %s", code, out)
	}
	if code, out, _ := r.run("payout", "create", "--tenant", ten.ID); code != 0 || strings.TrimSpace(out) != `{"data":[]}` {
		t.Errorf("nothing payable: %d %s", code, out)
	}
	if code, _, errOut := r.run("payout", "create"); code != 2 || !strings.Contains(errOut, "--tenant is required") {
		t.Errorf("no tenant: %d %s", code, errOut)
	}
}
