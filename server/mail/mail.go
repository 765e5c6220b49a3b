// Package mail is what Tracklane says by email: a Message, written to the
// outbox in the same transaction as the change that causes it (see
// store.EnqueueMail) and delivered later by the background sender.
package mail

import (
	"slices"
	"time"
)

// Kind names what caused a mail; it is logged and counted, never shown.
type Kind string

// The mails of SPEC section 7.
const (
	KindInvitation          Kind = "invitation"           // to an affiliate the merchant invited
	KindApplicationReceived Kind = "application_received" // to the merchant
	KindApplicationApproved Kind = "application_approved" // to the affiliate
	KindMemberApplied       Kind = "member_applied"       // to an address already in the program
	KindPasswordReset       Kind = "password_reset"       // merchants and affiliates
	KindPayoutPaid          Kind = "payout_paid"          // to the affiliate
	// SPEC section 14.
	KindConfirmEmail       Kind = "confirm_email"        // to an applicant of a program that approves automatically
	KindPayoutEmailChanged Kind = "payout_email_changed" // to the address payouts went to before
)

// The cap on mails to one address (SPEC section 14, CLARIFICATIONS
// 2026-12-07): at most RecipientCap mails of the capped kinds within
// RecipientCapWindow, whoever caused them. A mail past the cap is not
// written at all. The kinds are those a stranger can cause (a join, a
// reset request) and invitations, which a merchant can repeat: together
// they could make this instance mail one inbox without end.
const (
	RecipientCap       = 3
	RecipientCapWindow = time.Hour
)

// CappedKinds are the kinds counted toward the cap on one recipient.
var CappedKinds = []Kind{KindInvitation, KindPasswordReset, KindMemberApplied, KindConfirmEmail, KindApplicationReceived}

// Capped reports whether mails of kind k count toward, and are held to,
// the cap on one recipient.
func (k Kind) Capped() bool { return slices.Contains(CappedKinds, k) }

// Message is one mail to one recipient. Text and HTML are whole bodies;
// HTML is built with html/template so every stored field is escaped.
type Message struct {
	TenantID string // "" for mails of no tenant
	Kind     Kind
	To       string
	Subject  string
	Text     string
	HTML     string
	// Link is the one action the mail carries (an invitation or reset
	// URL), logged when no SMTP server is configured so a one-machine
	// set-up still works. It is a secret-bearing URL: never log it when
	// mail is really sent.
	Link string
}

// Outgoing is a Message claimed from the outbox for one attempt.
type Outgoing struct {
	ID        int64     // the outbox row; the Message-ID is made from it
	CreatedAt time.Time // when the cause committed
	Attempt   int       // 1 for the first try; also the claim's token
	Message
}
