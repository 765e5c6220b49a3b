package store

import (
	"strings"

	"github.com/lib/pq"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/payout"
)

// The payout rule in SQL, for statements that apply it row by row. Each
// fragment is built once from package payout's lists, so the statements
// and the Go rule cannot drift apart; payout_rule_test.go evaluates them
// against rows of every status and checks they say what the Go rule says.
// They name the conversion c (and payout_items i inside a sub-query).

// earnedCommission is payout.Earned for conversion c: its commission in
// an earning status (approved, pending, disputed), else 0.
var earnedCommission = `(CASE WHEN c.status IN ` + sqlList(payout.EarningStatuses) + ` THEN c.commission ELSE 0 END)`

// payableConversion is payout.Payable for conversion c: approved and in
// no payout, neither a paid one (approvedUnpaid) nor a pending one (no
// payout_items row).
var payableConversion = approvedUnpaid + ` AND NOT EXISTS (SELECT 1 FROM payout_items i WHERE i.conversion_id = c.id)`

// approvedUnpaid is the first half of payableConversion: c is approved
// and in no paid payout (conversions.payout_id). It is the predicate of
// the conversions_payable index, written the same way so the planner uses
// it. Only the statement that puts conversions into payouts uses it alone:
// there payout_items' primary key (ON CONFLICT DO NOTHING) is the second
// half, at the cost of the probe the insert makes anyway, instead of a
// second probe per conversion.
var approvedUnpaid = `c.status = ` + sqlStatus(payout.PayableStatus) + ` AND c.payout_id IS NULL`

// sqlList writes statuses as a parenthesised list of SQL literals:
// ('approved', 'pending').
func sqlList(statuses []conversion.Status) string {
	quoted := make([]string, len(statuses))
	for i, s := range statuses {
		quoted[i] = sqlStatus(s)
	}
	return "(" + strings.Join(quoted, ", ") + ")"
}

// sqlStatus writes a status as an SQL literal: 'approved'.
func sqlStatus(s conversion.Status) string { return pq.QuoteLiteral(string(s)) }
