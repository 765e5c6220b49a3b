package views

import "github.com/tracklane/tracklane/server/attribution"

// FlagExplanation says, for the merchant deciding a held conversion, what
// an email link's fraud signal (attribution.LinkFlags) means; "" for a flag
// it does not know.
func FlagExplanation(flag string) string {
	switch flag {
	case attribution.FlagVisitorManyEmails:
		return "the browser that linked the customer's email linked several other customers' emails the same day."
	case attribution.FlagNetworkManyEmails:
		return "browsers on the same network as the one that linked the customer's email (the same IPv4 /24 or IPv6 /64) linked several other customers' emails the same day, even with different browsers."
	case attribution.FlagClickManyEmails:
		return "several customers' emails were linked to the same click."
	case attribution.FlagLinkMoved:
		return "the customer's email was linked before to another affiliate's click, and this link moved it to this affiliate."
	case attribution.FlagOwnBrowser:
		return "the customer's email was linked to the affiliate's click from the browser the affiliate used for their own portal that day (same IP and browser): the affiliate likely referred the customer to themselves."
	}
	return ""
}
