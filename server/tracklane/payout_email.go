package tracklane

import (
	"strings"
	"unicode"
)

// PayoutEmailFormulaPrefixes are the first characters that make a
// spreadsheet (the PayPal file opened in one) run a cell as a formula.
const PayoutEmailFormulaPrefixes = "=+-@"

// PayoutEmailProblem says why s cannot be a payout email whatever its
// shape as an address ("" when it may be one): a first character a
// spreadsheet would run as a formula, or a control character anywhere
// (SPEC section 14). The address's own shape is checked elsewhere.
func PayoutEmailProblem(s string) string {
	if s != "" && strings.ContainsRune(PayoutEmailFormulaPrefixes, rune(s[0])) {
		return "must not start with =, +, - or @ (a spreadsheet would run it as a formula)"
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		return "must not hold a control character"
	}
	return ""
}
