package apishape

import (
	"encoding/csv"
	"io"
	"strings"

	"github.com/tracklane/tracklane/server/money"
	"github.com/tracklane/tracklane/server/tracklane"
)

// WritePayPal writes the PayPal Payouts bulk file of the payouts each
// yields (the API and the dashboard both serve it): no header; recipient
// email, amount in major units, currency upper-case, the payout id, a
// note. Rows without a payout email, or with nothing to pay, are skipped;
// so are rows whose email a spreadsheet would run as a formula or that
// holds a control character (tracklane.PayoutEmailProblem: refused since
// SPEC section 14, and cleared by migration 0028; never written, whatever
// the database holds).
func WritePayPal(w io.Writer, program string, each func(func(tracklane.Payout) error) error) error {
	cw := csv.NewWriter(w)
	note := PayPalNote(program)
	err := each(func(p tracklane.Payout) error {
		if p.PayoutEmail == "" || p.Amount <= 0 || tracklane.PayoutEmailProblem(p.PayoutEmail) != "" {
			return nil
		}
		return cw.Write([]string{p.PayoutEmail, money.Decimal(p.Amount, p.Currency), strings.ToUpper(p.Currency), p.ID, note})
	})
	cw.Flush()
	if err != nil {
		return err
	}
	return cw.Error()
}

// PayPalNote is the note each PayPal row carries: the program's name,
// kept to one line, without a leading character a spreadsheet would run
// as a formula, and within PayPal's note length.
func PayPalNote(program string) string {
	program = strings.Join(strings.Fields(program), " ")
	note := "Affiliate commission from " + program
	if r := []rune(note); len(r) > 4000 {
		note = string(r[:4000])
	}
	return note
}
