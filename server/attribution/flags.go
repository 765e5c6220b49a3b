package attribution

// The email-link endpoint cannot be authenticated (browsers call it), so an
// affiliate could click their own link and then link a customer's email to
// it, moving the customer's link to their click. The endpoint stays open;
// these signals mark what looks like that, and a conversion attributed by a
// flagged link waits for the merchant instead of being approved by the hold
// period (SECURITY.md).

// The signals an email link can raise.
const (
	// FlagVisitorManyEmails: the browser that linked this email linked more
	// than MaxEmailsPerVisitor distinct emails within a day.
	FlagVisitorManyEmails = "visitor_many_emails"
	// FlagNetworkManyEmails: more than MaxEmailsPerNetwork distinct emails
	// were linked from the network of the linking browser (an IPv4 /24, an
	// IPv6 /64) within a day, whatever the browsers: a new user agent
	// makes a new visitor, not a new network.
	FlagNetworkManyEmails = "network_many_emails"
	// FlagClickManyEmails: more than MaxEmailsPerClick distinct emails were
	// linked to the same click.
	FlagClickManyEmails = "click_many_emails"
	// FlagLinkMoved: the email was linked before to a click of another
	// affiliate.
	FlagLinkMoved = "link_moved_affiliate"
	// FlagOwnBrowser: the browser that linked the email is one the click's
	// affiliate used for their own portal that day: the affiliate linked
	// a customer's email to their own click from their own device.
	FlagOwnBrowser = "affiliate_own_browser"
)

// A real shopper links one or two emails (a typo, a second account); a
// handful is generous.
const (
	MaxEmailsPerVisitor = 3
	MaxEmailsPerNetwork = 3
	MaxEmailsPerClick   = 3
)

// LinkFacts is what is known, when an email is linked to a click, about
// the linking browser and the email's earlier links.
type LinkFacts struct {
	Trusted bool // a server-side call with the tenant's personal token
	// VisitorEmails, NetworkEmails and ClickEmails are the distinct
	// emails, this one included, that the same browser linked within a
	// day, that browsers of the same network linked within a day, and that
	// were linked to the same click.
	VisitorEmails, NetworkEmails, ClickEmails int
	// Affiliate is the click's affiliate; EarlierAffiliates those of the
	// email's earlier links.
	Affiliate         string
	EarlierAffiliates []string
	// OwnBrowser: the linking browser's visitor hash is one the click's
	// affiliate used for the affiliate portal that day.
	OwnBrowser bool
}

// LinkFlags returns the signals a new email link raises; a trusted
// (server-side) link raises none.
func LinkFlags(f LinkFacts) []string {
	if f.Trusted {
		return nil
	}
	var flags []string
	if f.VisitorEmails > MaxEmailsPerVisitor {
		flags = append(flags, FlagVisitorManyEmails)
	}
	if f.NetworkEmails > MaxEmailsPerNetwork {
		flags = append(flags, FlagNetworkManyEmails)
	}
	if f.ClickEmails > MaxEmailsPerClick {
		flags = append(flags, FlagClickManyEmails)
	}
	for _, a := range f.EarlierAffiliates {
		if a != f.Affiliate {
			flags = append(flags, FlagLinkMoved)
			break
		}
	}
	if f.OwnBrowser {
		flags = append(flags, FlagOwnBrowser)
	}
	return flags
}
