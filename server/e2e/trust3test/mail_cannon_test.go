package trust3test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/tracklane"
)

// TestAutoJoinWaitsForTheMailedLink: with automatic approval, anyone can
// apply in anyone's name; the account stays shut (no log-in) until the
// address's owner opens the mailed link, and what is mailed to that
// address carries nothing the applicant typed.
func TestAutoJoinWaitsForTheMailedLink(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tracklane.ApprovalAuto)
	const victim = "victim@inbox.example"
	const phish = "Your PayPal is locked, call +1 555 0100 at once"
	w.join(url.Values{"name": {phish}, "email": {victim}, "password": {affiliatePassword}}).must(http.StatusOK, "Check your email")

	b := w.browser()
	b.get(w.portal() + "/login")
	if p := b.post(w.portal()+"/login", url.Values{"email": {victim}, "password": {affiliatePassword}}); p.status == http.StatusSeeOther {
		t.Fatal("an account made by a join logs in before its email is confirmed")
	}
	if !w.signedOut(b) {
		t.Fatal("the unconfirmed applicant has a session")
	}
	mails := w.delivered(victim)
	if len(mails) != 1 {
		t.Fatalf("%d mails to the applicant's address, want 1 (the confirmation)", len(mails))
	}
	for _, m := range mails {
		if strings.Contains(m.Subject+m.Text+m.HTML, "PayPal is locked") {
			t.Errorf("a mail to the address carries the applicant's words: %q", m.Subject)
		}
	}

	// The owner of the address opens the link: now the account is active.
	link := w.links(victim, "confirm", 1)[0]
	owner := w.browser()
	owner.get(pathOf(link)).must(http.StatusOK)
	if p := owner.post(pathOf(link), url.Values{}); p.status != http.StatusSeeOther {
		t.Fatalf("confirming: %d\n%s", p.status, short(p.body))
	}
	if w.signedOut(owner) {
		t.Error("the confirmed applicant is not signed in")
	}
	w.loggedIn(victim, affiliatePassword)
	if p := w.browser().get(pathOf(link)); p.status != http.StatusGone {
		t.Errorf("the confirmation link works twice: %d", p.status)
	}
}

// TestMailsToOneAddressAreCappedAtThreeAnHour: joins, resets and
// invitations together send one address at most three mails an hour,
// whoever asks; the merchant is told when an invitation was not mailed.
func TestMailsToOneAddressAreCappedAtThreeAnHour(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tracklane.ApprovalManual)

	// Joins with a member's address, each answered as for a newcomer.
	member := w.affiliate("member", "")
	for range 5 {
		w.join(url.Values{"name": {"X"}, "email": {member.Email}, "password": {affiliatePassword}}).must(http.StatusOK)
	}
	if n := len(w.delivered(member.Email)); n != 3 {
		t.Errorf("5 joins with a member's address sent it %d mails, want 3", n)
	}

	// Joins and resets alike.
	mixed := w.affiliate("mixed", "")
	w.join(url.Values{"name": {"X"}, "email": {mixed.Email}, "password": {affiliatePassword}}).must(http.StatusOK)
	w.join(url.Values{"name": {"X"}, "email": {mixed.Email}, "password": {affiliatePassword}}).must(http.StatusOK)
	w.forgot(mixed.Email).must(http.StatusOK)
	w.forgot(mixed.Email).must(http.StatusOK)
	if n := len(w.delivered(mixed.Email)); n != 3 {
		t.Errorf("2 joins and 2 resets sent one address %d mails, want 3", n)
	}

	// The merchant's invitations count too, and the page says so.
	invited := w.affiliate("invited", "")
	m := w.merchant()
	var last page
	for range 5 {
		last = w.invite(m, invited).must(http.StatusOK)
	}
	if !strings.Contains(last.body, "not mailed") {
		t.Errorf("the dashboard does not say the last invitation was not mailed:\n%s", short(last.body))
	}
	if n := len(w.delivered(invited.Email)); n != 3 {
		t.Errorf("5 invitations sent %d mails, want 3", n)
	}

	// An auto-approving program: joins in someone's name, again and again.
	w2 := newWorld(t, tracklane.ApprovalAuto)
	for range 5 {
		w2.join(url.Values{"name": {"X"}, "email": {"someone@inbox.example"}, "password": {affiliatePassword}}).must(http.StatusOK)
	}
	if n := len(w2.delivered("someone@inbox.example")); n != 3 {
		t.Errorf("5 joins in one name sent its address %d mails, want 3", n)
	}
}
