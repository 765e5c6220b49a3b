package attribution

import "github.com/tracklane/tracklane/server/tracklane"

// SelfReferral reports whether a conversion's customer (an email or other
// customer identifier) is its affiliate's own email, which rejects the
// conversion whatever attributed it (SPEC section 10). Both are compared
// as they are stored, folded (tracklane.FoldEmail); an unknown customer
// ("") is nobody's.
func SelfReferral(customer, affiliateEmail string) bool {
	c := tracklane.FoldEmail(customer)
	return c != "" && c == tracklane.FoldEmail(affiliateEmail)
}
