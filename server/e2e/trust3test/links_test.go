package trust3test

import (
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"

	"github.com/tracklane/tracklane/server/tracklane"
)

// TestANewInvitationRetiresTheEarlierOnes: a merchant who invites an
// affiliate again leaves one live invitation, the newest; the earlier one
// (which would also sign its holder in) no longer works.
func TestANewInvitationRetiresTheEarlierOnes(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tracklane.ApprovalManual)
	a := w.affiliate("twice", "")
	m := w.merchant()
	w.invite(m, a).must(http.StatusOK)
	w.invite(m, a).must(http.StatusOK)
	links := w.links(a.Email, "invite", 2)
	if links[0] == links[1] {
		t.Fatal("both invitations carry one link")
	}
	b := w.browser()
	b.get(pathOf(links[0])).must(http.StatusGone)
	b.get(w.portal() + "/login")
	b.post(pathOf(links[0]), url.Values{"password": {affiliatePassword}}).must(http.StatusGone)
	if !w.signedOut(b) {
		t.Fatal("the earlier invitation signed its holder in")
	}
	b.get(pathOf(links[1])).must(http.StatusOK, "Set your password")
}

// TestUsingALinkRetiresEveryOtherAndEndsSessions: once one link of an
// account is used, its other reset and invitation links are dead and its
// sessions elsewhere are over.
func TestUsingALinkRetiresEveryOtherAndEndsSessions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tracklane.ApprovalManual)
	a, first := w.member("links", "")
	second := w.loggedIn(a.Email, affiliatePassword)

	w.forgot(a.Email).must(http.StatusOK)
	w.forgot(a.Email).must(http.StatusOK)
	resets := w.links(a.Email, "reset", 2)
	w.laterThanTheCap()
	w.invite(w.merchant(), a).must(http.StatusOK)
	reinvite := w.links(a.Email, "invite", 2)[1]

	b := w.browser()
	b.get(pathOf(resets[0])).must(http.StatusOK)
	if p := b.post(pathOf(resets[0]), url.Values{"password": {"a brand new secret"}}); p.status != http.StatusSeeOther {
		t.Fatalf("using the reset link: %d\n%s", p.status, short(p.body))
	}
	for name, link := range map[string]string{"the other reset link": resets[1], "the new invitation": reinvite} {
		if p := w.browser().get(pathOf(link)); p.status != http.StatusGone {
			t.Errorf("%s still works after a reset link was used: %d", name, p.status)
		}
	}
	for name, br := range map[string]*browser{"the first browser": first, "the second browser": second} {
		if !w.signedOut(br) {
			t.Errorf("%s is still signed in after the password was reset", name)
		}
	}
}

// TestPasswordChangeRetiresLinksAndEndsOtherSessions: a password changed
// in the portal ends every other session of the account and kills its
// pending links; the browser that changed it stays in.
func TestPasswordChangeRetiresLinksAndEndsOtherSessions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tracklane.ApprovalManual)
	a, mine := w.member("changer", "")
	stolen := w.loggedIn(a.Email, affiliatePassword)
	w.forgot(a.Email).must(http.StatusOK)
	reset := w.links(a.Email, "reset", 1)[0]

	mine.get(w.portal() + "/settings").must(http.StatusOK)
	p := mine.post(w.portal()+"/settings/password", url.Values{"current_password": {affiliatePassword}, "new_password": {"another long secret"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("changing the password: %d\n%s", p.status, short(p.body))
	}
	if w.signedOut(mine) {
		t.Fatal("the browser that changed the password was signed out")
	}
	if !w.signedOut(stolen) {
		t.Error("another session of the account survived the password change")
	}
	if p := w.browser().get(pathOf(reset)); p.status != http.StatusGone {
		t.Errorf("a reset link asked for before the change still works: %d", p.status)
	}
}

// TestSentMailsLeaveNoLinkBehind: once a mail is handed to the SMTP
// server, the outbox keeps no body and no link, so no backup or dump of
// the database holds a usable invitation.
func TestSentMailsLeaveNoLinkBehind(t *testing.T) {
	t.Parallel()
	w := newWorld(t, tracklane.ApprovalManual)
	a := w.affiliate("dumped", "")
	w.invite(w.merchant(), a).must(http.StatusOK)
	link := w.links(a.Email, "invite", 1)[0]
	secret := link[strings.LastIndex(link, "/")+1:]
	w.delivered(a.Email)
	if n := w.app.QueryInt(t, `SELECT count(*) FROM mail_outbox WHERE sent_at IS NOT NULL
		AND (text_body <> '' OR html_body <> '' OR link <> '')`); n != 0 {
		t.Errorf("%d sent mail(s) keep their body or link in the outbox", n)
	}
	out, err := exec.Command("pg_dump", "--data-only", "--no-owner", w.app.DSN).CombinedOutput()
	if err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), a.ID) {
		t.Fatal("the dump does not hold the data (wrong database?)")
	}
	if strings.Contains(string(out), secret) {
		t.Error("a database dump holds the invitation link")
	}
	w.browser().get(pathOf(link)).must(http.StatusOK, "Set your password")
}
