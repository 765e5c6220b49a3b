package conversion

import "testing"

func TestPerConversion(t *testing.T) {
	fixed := Rule{Type: Fixed, Fixed: 250, Currency: "usd"}
	for _, tc := range []struct {
		rule     Rule
		amount   int64
		currency string
		want     int64
	}{
		{fixed, 0, "usd", 250},    // a lead has no amount: the fixed commission still pays
		{fixed, 0, "eur", 250},    // nor a currency that matters
		{fixed, 1000, "usd", 250}, // a sale in the rule's currency
		{fixed, 1000, "eur", 0},   // a sale in another currency: nothing to compare
		{Rule{Type: Percent, BasisPoints: 2000}, 0, "usd", 0},
		{Rule{Type: Percent, BasisPoints: 2000}, 455, "usd", 91},
	} {
		if got := tc.rule.PerConversion(tc.amount, tc.currency); got != tc.want {
			t.Errorf("%+v on %d %s: %d, want %d", tc.rule, tc.amount, tc.currency, got, tc.want)
		}
	}
}
