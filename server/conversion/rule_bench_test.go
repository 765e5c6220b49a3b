package conversion

import "testing"

// sinkCommission keeps the compiler from optimising the calls away.
var sinkCommission int64

// BenchmarkCommission measures the commission of one payment, which the
// Stripe sync computes for every conversion it creates or recomputes.
func BenchmarkCommission(b *testing.B) {
	cases := []struct {
		name string
		rule Rule
	}{
		{"percent", Rule{Type: Percent, BasisPoints: 2000}},
		{"percent-fractional", Rule{Type: Percent, BasisPoints: 1250}},
		{"fixed", Rule{Type: Fixed, Fixed: 500, Currency: "usd"}},
		{"fixed-other-currency", Rule{Type: Fixed, Fixed: 500, Currency: "eur"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var sum int64
			for i := 0; b.Loop(); i++ {
				sum += c.rule.Commission(int64(4999+i%1000), "USD")
			}
			sinkCommission = sum
		})
	}
}
