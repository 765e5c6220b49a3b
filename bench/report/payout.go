package main

import (
	"fmt"
	"strings"
)

// payoutResult is bench/payoutbench's JSON.
type payoutResult struct {
	LoadAvg       string  `json:"load_average_at_start"`
	Affiliates    int     `json:"affiliates"`
	Conversions   int     `json:"conversions"`
	CreateS       float64 `json:"create_s"`
	CreateStatus  int     `json:"create_status"`
	Payouts       int64   `json:"payouts"`
	InPayouts     int64   `json:"conversions_in_payouts"`
	AmountsMatch  bool    `json:"amounts_match_commission"`
	DuringOverPre float64 `json:"clicks_during_over_before"`
	Clicks        []struct {
		Name       string           `json:"name"`
		Throughput float64          `json:"throughput_per_s"`
		P50ms      float64          `json:"p50_ms"`
		P99ms      float64          `json:"p99_ms"`
		MaxMs      float64          `json:"max_ms"`
		WindowS    float64          `json:"window_s"`
		Status     map[string]int64 `json:"status"`
		Errors     int64            `json:"transport_errors"`
	} `json:"clicks"`
}

// payoutReport returns the summary row and the section of payout.json
// (both "" when the run has none).
func payoutReport(dir string) (row, section string) {
	var r payoutResult
	if !readJSON(dir, "payout.json", &r) || len(r.Clicks) < 3 {
		return "", ""
	}
	// Two halves: the time, and whether clicks kept going. Clicks share the
	// 2 CPUs with PostgreSQL's work on the payouts, so their rate drops; a
	// click error or a stall (no lock is shared) would be the failure.
	verdict := "time met"
	if r.CreateS > 5 || !r.AmountsMatch || r.CreateStatus != 201 {
		verdict = "time **not met**"
	}
	if during := r.Clicks[1]; during.Errors == 0 && during.Throughput > 0 {
		verdict += fmt.Sprintf("; clicks kept flowing (no error, p99 %.1f ms) but at %.2f× their rate: **throughput not kept** on 2 shared CPUs", during.P99ms, r.DuringOverPre)
	} else {
		verdict += "; clicks **failed** during creation"
	}
	row = fmt.Sprintf("| 9 | payouts for %d affiliates / %d approved conversions in ≤ 5 s, clicks kept | %.2f s (%d payouts; all conversions in exactly one: %v) | clicks alone: %.0f/s | clicks during creation %.2f× before | %s |\n",
		r.Affiliates, r.Conversions, r.CreateS, r.Payouts, r.AmountsMatch, r.Clicks[0].Throughput, r.DuringOverPre, verdict)
	var b strings.Builder
	fmt.Fprintf(&b, "## 9. Payout creation with clicks in the same run (`bench/payoutbench`)\n\n")
	fmt.Fprintf(&b, "%d affiliates and %d approved conversions loaded straight into PostgreSQL; one `POST /api/v1/payouts` to the real server binary "+
		"(batches of affiliates, one transaction each) while the click load runs; the clicks-during window is exactly the creation's. Load average at start: %s.\n\n",
		r.Affiliates, r.Conversions, r.LoadAvg)
	fmt.Fprintf(&b, "Creation: %d in %.2f s, %d payouts holding %d conversions; payouts add up to the commission: %v.\n\n",
		r.CreateStatus, r.CreateS, r.Payouts, r.InPayouts, r.AmountsMatch)
	b.WriteString("| click phase | clicks/s | p50 ms | p99 ms | max ms | window s | answers | transport errors |\n|---|---|---|---|---|---|---|---|\n")
	for _, c := range r.Clicks {
		fmt.Fprintf(&b, "| %s | %.0f | %.1f | %.1f | %.1f | %.2f | %s | %d |\n", c.Name, c.Throughput, c.P50ms, c.P99ms, c.MaxMs, c.WindowS, statusStr(c.Status), c.Errors)
	}
	b.WriteString("\nNo click waits on a payout lock (creation locks only its tenant's advisory lock and the open debts; conversions and clicks are not locked): what clicks lose during creation is CPU shared with PostgreSQL on the same cores.\n\n")
	return row, b.String()
}
