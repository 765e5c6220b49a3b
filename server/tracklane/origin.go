package tracklane

// ChooseOrigin is the one rule for the revenue origin a customer link or a
// conversion the site reports records, when the call names origin named
// ("" = none) and owner is the tenant that has an origin of that id (""
// when no tenant has one):
//   - none named → "": the tenant's default origin;
//   - the tenant's own → named;
//   - an id no tenant here knows → "", the default: a Trackdesk id left on
//     a page moved from Trackdesk, which must keep working (SPEC section 11:
//     pages written for Trackdesk work unchanged);
//   - another tenant's → refused (ok false; the caller answers 422).
func ChooseOrigin(tenantID, named, owner string) (id string, ok bool) {
	switch {
	case named == "" || owner == "":
		return "", true
	case owner != tenantID:
		return "", false
	}
	return named, true
}
