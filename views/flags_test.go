package views

import (
	"testing"

	"github.com/tracklane/tracklane/server/attribution"
)

// Every signal an email link can raise is explained to the merchant.
func TestEveryLinkFlagIsExplained(t *testing.T) {
	for _, f := range []string{attribution.FlagVisitorManyEmails, attribution.FlagNetworkManyEmails, attribution.FlagClickManyEmails,
		attribution.FlagLinkMoved, attribution.FlagOwnBrowser} {
		if FlagExplanation(f) == "" {
			t.Errorf("flag %s has no explanation", f)
		}
	}
}
