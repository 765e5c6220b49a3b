// Package trust3test replays, over HTTP against the whole application
// (apptest.New, real PostgreSQL, Mailpit as the SMTP server), the attacks
// of the Trust issue's items 3 to 5 (SPEC section 14), and expects each to
// find nothing:
//
//   - one-use links and sessions: an earlier invitation after a new one,
//     other links and sessions after a link is used or the password is
//     changed, links left in the mail outbox after sending;
//   - the payout email: a change without the password or without a word
//     to the old address, a pending payout that follows a new address, a
//     formula in the address reaching the PayPal file, guessing the
//     password on the signed-in forms;
//   - the instance as a mail cannon: an account made active for any
//     address (with a line of the attacker's in the welcome mail), and
//     more than three mails an hour to one address through joins, resets
//     and invitations.
//
// It has no production code. On its own:
//
//	go test -count=1 ./server/e2e/trust3test/
package trust3test
