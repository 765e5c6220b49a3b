package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracklane"
)

// linkFix makes one-use links and sessions of one affiliate (and one
// merchant user) of a tenant, at a fixed clock.
type linkFix struct {
	t        *testing.T
	st       *store.Store
	ctx      context.Context
	tenantID string
	aff      tracklane.Affiliate
	userID   int64
	now      time.Time
}

func newLinkFix(t *testing.T) *linkFix {
	t.Helper()
	st, _ := storetest.New(t)
	tenantID, affs := newClickTenant(t, st, 1)
	f := &linkFix{t: t, st: st, ctx: context.Background(), tenantID: tenantID, aff: affs[0], now: time.Now().UTC().Truncate(time.Microsecond)}
	if err := st.DB().QueryRow(`SELECT id FROM users WHERE tenant_id = $1`, tenantID).Scan(&f.userID); err != nil {
		t.Fatal(err)
	}
	return f
}

// link stores a live link of purpose for the affiliate (user: for the
// merchant's user) and returns its hash.
func (f *linkFix) link(purpose tracklane.TokenPurpose, user bool) []byte {
	f.t.Helper()
	tok := tracklane.OneUseToken{Hash: ident.Hash(ident.Secret()), Purpose: purpose, TenantID: f.tenantID,
		CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}
	if user {
		tok.UserID = f.userID
	} else {
		tok.AffiliateID = f.aff.ID
	}
	if _, err := f.st.CreateOneUseToken(f.ctx, tok, nil); err != nil {
		f.t.Fatal(err)
	}
	return tok.Hash
}

func (f *linkFix) live(hash []byte, purpose tracklane.TokenPurpose) bool {
	_, err := f.st.LiveOneUseToken(f.ctx, hash, purpose, f.now)
	return err == nil
}

// session starts a session of the affiliate (user: of the merchant's
// user) and returns its id hash.
func (f *linkFix) session(user bool) []byte {
	f.t.Helper()
	h := ident.Hash(ident.Secret())
	k, o := store.PortalSessions, store.SessionOwner{TenantID: f.tenantID, AffiliateID: f.aff.ID}
	if user {
		k, o = store.DashboardSessions, store.SessionOwner{TenantID: f.tenantID, UserID: f.userID}
	}
	if err := f.st.CreateSession(f.ctx, k, h, o, f.now, f.now.Add(time.Hour)); err != nil {
		f.t.Fatal(err)
	}
	return h
}

func (f *linkFix) sessionLive(h []byte, user bool) bool {
	if user {
		_, err := f.st.SessionByHash(f.ctx, h, f.now)
		return err == nil
	}
	_, err := f.st.PortalSessionByHash(f.ctx, f.tenantID, h, f.now)
	return err == nil
}

// A new invitation retires the earlier ones (SPEC section 14); resets do
// not retire each other, and links of other accounts are untouched.
func TestANewInvitationRetiresTheEarlierOnes(t *testing.T) {
	t.Parallel()
	f := newLinkFix(t)
	first := f.link(tracklane.PurposeInvite, false)
	reset1 := f.link(tracklane.PurposeAffiliateReset, false)
	reset2 := f.link(tracklane.PurposeAffiliateReset, false)
	userReset := f.link(tracklane.PurposeUserReset, true)
	second := f.link(tracklane.PurposeInvite, false)
	if f.live(first, tracklane.PurposeInvite) {
		t.Error("the earlier invitation survived a new one")
	}
	for name, ok := range map[string]bool{
		"the new invitation": f.live(second, tracklane.PurposeInvite),
		"the first reset":    f.live(reset1, tracklane.PurposeAffiliateReset),
		"the second reset":   f.live(reset2, tracklane.PurposeAffiliateReset),
		"the user's reset":   f.live(userReset, tracklane.PurposeUserReset),
	} {
		if !ok {
			t.Errorf("%s died", name)
		}
	}
}

// Using a link retires every other live link of its account and ends all
// its sessions; another account's links and sessions stay.
func TestUsingALinkRetiresTheAccountsOtherLinksAndSessions(t *testing.T) {
	t.Parallel()
	for _, user := range []bool{false, true} {
		t.Run(fmt.Sprint("user=", user), func(t *testing.T) {
			f := newLinkFix(t)
			purpose, other, neighbourPurpose := tracklane.PurposeAffiliateReset, tracklane.PurposeInvite, tracklane.PurposeUserReset
			if user {
				purpose, other, neighbourPurpose = tracklane.PurposeUserReset, tracklane.PurposeUserReset, tracklane.PurposeAffiliateReset
			}
			used := f.link(purpose, user)
			second := f.link(purpose, user)
			third := f.link(other, user)
			neighbour := f.link(neighbourPurpose, !user)
			sess := [][]byte{f.session(user), f.session(user)}
			neighbourSess := f.session(!user)

			tok, err := f.st.UseOneUseToken(f.ctx, used, purpose, f.now, "new-hash")
			if err != nil {
				t.Fatal(err)
			}
			if (tok.AffiliateID == f.aff.ID) == user {
				t.Fatalf("used link %+v", tok)
			}
			if f.live(second, purpose) || f.live(third, other) {
				t.Error("another link of the account works after one was used")
			}
			for _, s := range sess {
				if f.sessionLive(s, user) {
					t.Error("a session of the account survived the link's use")
				}
			}
			if !f.live(neighbour, neighbourPurpose) || !f.sessionLive(neighbourSess, !user) {
				t.Error("another account's link or session was ended")
			}
		})
	}
}

// A password changed in a session ends every other session of the
// affiliate and retires its links; the session that changed it stays.
func TestPasswordChangeKeepsOnlyTheSessionThatMadeIt(t *testing.T) {
	t.Parallel()
	f := newLinkFix(t)
	mine, other := f.session(false), f.session(false)
	reset, invite := f.link(tracklane.PurposeAffiliateReset, false), f.link(tracklane.PurposeInvite, false)
	if err := f.st.SetAffiliatePassword(f.ctx, f.tenantID, f.aff.ID, "new-hash", mine); err != nil {
		t.Fatal(err)
	}
	if !f.sessionLive(mine, false) {
		t.Error("the session that changed the password ended")
	}
	if f.sessionLive(other, false) {
		t.Error("another session survived the password change")
	}
	if f.live(reset, tracklane.PurposeAffiliateReset) || f.live(invite, tracklane.PurposeInvite) {
		t.Error("a link survived the password change")
	}
	if err := f.st.SetAffiliatePassword(f.ctx, f.tenantID, f.aff.ID, "newer-hash", nil); err != nil {
		t.Fatal(err)
	}
	if f.sessionLive(mine, false) {
		t.Error("no session kept: the last one survived")
	}
}

// A confirmation link confirms the address (and activates a pending
// applicant when asked), once; another purpose's link is no confirmation.
func TestConfirmAffiliateEmail(t *testing.T) {
	t.Parallel()
	f := newLinkFix(t)
	if _, err := f.st.DB().Exec(`UPDATE affiliates SET status = 'pending', email_unconfirmed = true WHERE id = $1`, f.aff.ID); err != nil {
		t.Fatal(err)
	}
	reset := f.link(tracklane.PurposeAffiliateReset, false)
	if _, err := f.st.ConfirmAffiliateEmail(f.ctx, reset, f.now, true); err != store.ErrLinkGone {
		t.Fatalf("a reset link confirmed: %v", err)
	}
	first := f.link(tracklane.PurposeConfirmEmail, false)
	confirm := f.link(tracklane.PurposeConfirmEmail, false)
	if _, err := f.st.ConfirmAffiliateEmail(f.ctx, first, f.now, true); err != store.ErrLinkGone {
		t.Fatalf("the earlier confirmation link still works: %v", err)
	}
	a, err := f.st.ConfirmAffiliateEmail(f.ctx, confirm, f.now, true)
	if err != nil || a.Status != tracklane.AffiliateActive || a.EmailUnconfirmed {
		t.Fatalf("confirmed: %+v %v", a, err)
	}
	if f.live(reset, tracklane.PurposeAffiliateReset) {
		t.Error("the confirmation left another link alive")
	}
	if _, err := f.st.ConfirmAffiliateEmail(f.ctx, confirm, f.now, true); err != store.ErrLinkGone {
		t.Fatalf("confirmed twice: %v", err)
	}

	g := newLinkFix(t)
	if _, err := g.st.DB().Exec(`UPDATE affiliates SET status = 'pending', email_unconfirmed = true WHERE id = $1`, g.aff.ID); err != nil {
		t.Fatal(err)
	}
	a, err = g.st.ConfirmAffiliateEmail(g.ctx, g.link(tracklane.PurposeConfirmEmail, false), g.now, false)
	if err != nil || a.Status != tracklane.AffiliatePending || a.EmailUnconfirmed {
		t.Fatalf("confirmed without activation: %+v %v", a, err)
	}
}

// At most 3 mails of the capped kinds reach one address an hour, whoever
// causes them and whatever the address's case; other kinds and other
// addresses pass; an hour later it may be mailed again. Parallel mails to
// one address are counted one by one.
func TestMailsToOneRecipientAreCapped(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	count := func(to string) int {
		t.Helper()
		var n int
		if err := st.DB().QueryRow(`SELECT count(*) FROM mail_outbox WHERE lower(recipient) = lower($1)`, to).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, k := range []mail.Kind{mail.KindInvitation, mail.KindPasswordReset, mail.KindMemberApplied, mail.KindConfirmEmail, mail.KindApplicationReceived} {
		to := "Victim@Example.test"
		if i%2 == 1 {
			to = strings.ToLower(to)
		}
		if err := st.EnqueueMail(ctx, mail.Message{Kind: k, To: to, Subject: "s", Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := count("victim@example.test"); n != 3 {
		t.Errorf("%d capped mails to one address, want 3", n)
	}
	for _, k := range []mail.Kind{mail.KindPayoutPaid, mail.KindApplicationApproved, mail.KindPayoutEmailChanged} {
		if err := st.EnqueueMail(ctx, mail.Message{Kind: k, To: "victim@example.test", Subject: "s", Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := count("victim@example.test"); n != 6 {
		t.Errorf("%d mails after 3 uncapped ones, want 6", n)
	}
	if _, err := st.DB().Exec(`UPDATE mail_outbox SET created_at = created_at - interval '61 minutes'`); err != nil {
		t.Fatal(err)
	}
	if err := st.EnqueueMail(ctx, mail.Message{Kind: mail.KindInvitation, To: "victim@example.test", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	if n := count("victim@example.test"); n != 7 {
		t.Errorf("an hour later the address is still capped (%d mails)", n)
	}

	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := st.EnqueueMail(ctx, mail.Message{Kind: mail.KindPasswordReset, To: "burst@example.test", Subject: "s", Text: "t"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := count("burst@example.test"); n != 3 {
		t.Errorf("10 parallel mails to one address wrote %d, want 3", n)
	}
}

// A link whose mail is past the recipient's cap is still stored (the
// dashboard shows an invitation to copy) and reported as not mailed.
func TestALinkPastTheCapIsStoredButNotMailed(t *testing.T) {
	t.Parallel()
	f := newLinkFix(t)
	for i := range 4 {
		secret := ident.Secret()
		m := mail.Message{TenantID: f.tenantID, Kind: mail.KindInvitation, To: f.aff.Email, Subject: "s", Text: secret, Link: secret}
		tok := tracklane.OneUseToken{Hash: ident.Hash(secret), Purpose: tracklane.PurposeInvite, TenantID: f.tenantID, AffiliateID: f.aff.ID,
			CreatedAt: f.now, ExpiresAt: f.now.Add(time.Hour)}
		mailed, err := f.st.CreateOneUseToken(f.ctx, tok, &m)
		if err != nil || mailed != (i < 3) {
			t.Fatalf("invitation %d: mailed %v (%v)", i+1, mailed, err)
		}
		if !f.live(tok.Hash, tracklane.PurposeInvite) {
			t.Fatalf("invitation %d was not stored", i+1)
		}
	}
}

// A mail's bodies and link are gone once it is sent or given up; the row
// (who was mailed what, when) stays until the retention purge.
func TestSentAndFailedMailsKeepNoBody(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	for _, to := range []string{"sent@example.test", "failed@example.test", "waiting@example.test"} {
		if err := st.EnqueueMail(ctx, mail.Message{Kind: mail.KindInvitation, To: to, Subject: "Join", Text: "text with link", HTML: "<p>link</p>", Link: "https://x.test/invite/secret"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.ClaimMail(ctx, time.Now(), time.Minute, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("claimed %d (%v)", len(got), err)
	}
	if err := st.MarkMailSent(ctx, got[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := st.FailMail(ctx, got[1].ID, got[1].Attempt, time.Now(), "refused"); err != nil {
		t.Fatal(err)
	}
	rows, err := st.DB().Query(`SELECT recipient, subject, text_body, html_body, link FROM mail_outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var to, subject, text, html, link string
		if err := rows.Scan(&to, &subject, &text, &html, &link); err != nil {
			t.Fatal(err)
		}
		kept := text != "" || html != "" || link != ""
		if kept != (to == "waiting@example.test") || subject != "Join" {
			t.Errorf("%s: subject %q, body or link kept: %v", to, subject, kept)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// A pending payout keeps the payout email it was created with, whatever
// the affiliate sets later; it is paid (and mailed) there, and a
// cancelled one records it too. The affiliate's current address is read
// alongside.
func TestAPendingPayoutKeepsItsEmail(t *testing.T) {
	t.Parallel()
	f := newPayFix(t, 1)
	aff := f.affs[0]
	if _, err := f.st.SetAffiliatePayoutEmail(f.ctx, f.tenantID, aff.ID, "first@pay.example", nil); err != nil {
		t.Fatal(err)
	}
	f.pay(sale{0, 10000, "usd"})
	p := f.create("")[0]
	if p.PayoutEmail != "first@pay.example" {
		t.Fatalf("the new payout's email %q", p.PayoutEmail)
	}
	if _, err := f.st.SetAffiliatePayoutEmail(f.ctx, f.tenantID, aff.ID, "later@pay.example", nil); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.Payout(f.ctx, f.tenantID, p.ID)
	if err != nil || got.PayoutEmail != "first@pay.example" || got.AffiliatePayoutEmail != "later@pay.example" {
		t.Fatalf("pending payout: email %q, affiliate's %q (%v)", got.PayoutEmail, got.AffiliatePayoutEmail, err)
	}
	var file []string
	if err := f.st.EachPayout(f.ctx, f.tenantID, tracklane.PayoutPending, func(p tracklane.Payout) error {
		file = append(file, p.PayoutEmail)
		return nil
	}); err != nil || len(file) != 1 || file[0] != "first@pay.example" {
		t.Fatalf("the PayPal file's payouts: %q (%v)", file, err)
	}
	var mailedTo string
	paid, err := f.st.MarkPayoutPaid(f.ctx, f.tenantID, p.ID, "ref", func(p tracklane.Payout, a tracklane.Affiliate) (mail.Message, error) {
		mailedTo = p.PayoutEmail
		return noMail(p, a)
	})
	if err != nil || paid.PayoutEmail != "first@pay.example" || mailedTo != "first@pay.example" {
		t.Fatalf("paid: %q, mailed to %q (%v)", paid.PayoutEmail, mailedTo, err)
	}

	// Cancelled: the address it was made for stays on it.
	f.pay(sale{0, 5000, "usd"})
	q := f.create("")[0]
	if _, err := f.st.SetAffiliatePayoutEmail(f.ctx, f.tenantID, aff.ID, "", nil); err != nil {
		t.Fatal(err)
	}
	if missing, err := f.st.PayoutsMissingEmail(f.ctx, f.tenantID, tracklane.PayoutPending); err != nil || len(missing) != 0 {
		t.Fatalf("a payout made with an address is listed as missing one: %v %v", missing, err)
	}
	c, err := f.st.CancelPayout(f.ctx, f.tenantID, q.ID)
	if err != nil || c.PayoutEmail != "later@pay.example" {
		t.Fatalf("cancelled: %q (%v)", c.PayoutEmail, err)
	}
}

// A change of payout email writes its mail in its transaction, built from
// the affiliate as it was; setting the same address again changes and
// mails nothing; a failing mail aborts the change.
func TestSetAffiliatePayoutEmailMailsTheFormerAddress(t *testing.T) {
	t.Parallel()
	f := newLinkFix(t)
	notify := func(before tracklane.Affiliate) (mail.Message, error) {
		return mail.Message{TenantID: f.tenantID, Kind: mail.KindPayoutEmailChanged, To: before.PayoutEmail + "|" + before.Email, Subject: "s", Text: "t"}, nil
	}
	if _, err := f.st.SetAffiliatePayoutEmail(f.ctx, f.tenantID, f.aff.ID, "one@pay.example", notify); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetAffiliatePayoutEmail(f.ctx, f.tenantID, f.aff.ID, "one@pay.example", notify); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.SetAffiliatePayoutEmail(f.ctx, f.tenantID, f.aff.ID, "two@pay.example", notify); err != nil {
		t.Fatal(err)
	}
	_, err := f.st.SetAffiliatePayoutEmail(f.ctx, f.tenantID, f.aff.ID, "three@pay.example", func(tracklane.Affiliate) (mail.Message, error) {
		return mail.Message{}, fmt.Errorf("no template")
	})
	if err == nil {
		t.Fatal("a change whose mail failed went through")
	}
	if a, _ := f.st.Affiliate(f.ctx, f.tenantID, f.aff.ID); a.PayoutEmail != "two@pay.example" {
		t.Fatalf("payout email %q", a.PayoutEmail)
	}
	var got []string
	rows, err := f.st.DB().Query(`SELECT recipient FROM mail_outbox WHERE kind = 'payout_email_changed' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if want := []string{"|" + f.aff.Email, "one@pay.example|" + f.aff.Email}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("mails to %q, want %q", got, want)
	}
}
