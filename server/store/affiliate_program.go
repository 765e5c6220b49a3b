package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/tracklane"
)

// slugLockKey serialises every choice of a slug ("TRKS"): two tenants
// created at once with the same name get -2, not a conflict, and a rename
// sees the alias a concurrent rename left behind.
const slugLockKey = 0x54524b53

// SlugAliasReserved is how long a slug a program gave up stays its own:
// links that name it (invitations, resets, links affiliates shared) must
// not start reaching another program the day after a rename.
const SlugAliasReserved = 90 * 24 * time.Hour

// lockSlugs takes the slug lock for the rest of tx.
func lockSlugs(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, slugLockKey); err != nil {
		return fmt.Errorf("locking slugs: %w", err)
	}
	return nil
}

// slugTaken reports whether slug is another tenant's than tenantID (""
// for a new tenant): its live slug, or one it gave up less than
// SlugAliasReserved before now. Callers hold the slug lock.
func slugTaken(ctx context.Context, tx *sql.Tx, slug, tenantID string, now time.Time) (bool, error) {
	var taken bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE slug = $1 AND id <> $2)
		OR EXISTS (SELECT 1 FROM tenant_slug_aliases WHERE slug = $1 AND tenant_id <> $2 AND created_at > $3)`,
		slug, tenantID, now.Add(-SlugAliasReserved)).Scan(&taken)
	if err != nil {
		return false, fmt.Errorf("looking for a free slug: %w", err)
	}
	return taken, nil
}

// freeSlug returns base, or base-2, base-3, … whichever is not taken.
func freeSlug(ctx context.Context, tx *sql.Tx, base string, now time.Time) (string, error) {
	if err := lockSlugs(ctx, tx); err != nil {
		return "", err
	}
	for i := 1; ; i++ {
		cand := base
		if i > 1 {
			cand = base + "-" + strconv.Itoa(i)
		}
		taken, err := slugTaken(ctx, tx, cand, "", now)
		if err != nil {
			return "", err
		}
		if !taken {
			return cand, nil
		}
	}
}

// TenantBySlug returns the tenant whose program lives at /p/<slug>, or
// lived there before a rename (tenant_slug_aliases; a live slug wins);
// not_found when none. The returned Slug is the current one.
func (s *Store) TenantBySlug(ctx context.Context, slug string) (tracklane.Tenant, error) {
	t, err := scanTenant(s.db.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants
		WHERE id = COALESCE((SELECT id FROM tenants WHERE slug = $1),
			(SELECT tenant_id FROM tenant_slug_aliases WHERE slug = $1))`, slug))
	if err != nil {
		return tracklane.Tenant{}, notFound(err, "no program %q", slug)
	}
	return t, nil
}

// TenantUserEmails returns the login emails of a tenant's dashboard users
// (who is told of a new application).
func (s *Store) TenantUserEmails(ctx context.Context, tenantID string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT email FROM users WHERE tenant_id = $1 ORDER BY id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "user email", func(r scanner) (string, error) {
		var e string
		return e, r.Scan(&e)
	})
}

// AffiliateLogin finds the affiliate of a tenant with this (normalised)
// email and its password hash ("" when none is set); not_found when none.
func (s *Store) AffiliateLogin(ctx context.Context, tenantID, email string) (tracklane.Affiliate, string, error) {
	var hash string
	row := s.db.QueryRowContext(ctx, `SELECT password_hash, `+affiliateColumns+` FROM affiliates
		WHERE tenant_id = $1 AND email = $2 ORDER BY email_duplicate, created_at LIMIT 1`, tenantID, email)
	a, err := scanAffiliate(prefixed{row: row, first: []any{&hash}})
	if err != nil {
		return tracklane.Affiliate{}, "", notFound(err, "no affiliate %q", email)
	}
	return a, hash, nil
}

// prefixed scans columns selected before an entity's own into first.
type prefixed struct {
	row   scanner
	first []any
}

func (p prefixed) Scan(dest ...any) error { return p.row.Scan(append(p.first, dest...)...) }

// ErrMember is ApplyAffiliate's answer when the email is already in the
// program: the applicant's mail went to that address instead.
var ErrMember = errors.New("the email is already in the program")

// ApplyAffiliate creates an applicant with its mails (and its confirmation
// link, app.Confirm) in one transaction. An email the tenant's program
// already holds creates nothing: the member mail is written instead (or,
// to a member who never confirmed the address, a new confirmation link)
// and the error is ErrMember. A taken code → conflict, whoever the email
// belongs to. Mails to an address past its cap are left out
// (enqueueMail).
func (s *Store) ApplyAffiliate(ctx context.Context, app tracklane.Application) (tracklane.Affiliate, error) {
	a := app.Affiliate
	var out tracklane.Affiliate
	member := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		member = false
		// A taken code is refused before membership is looked at: the
		// answer must not depend on whether the email is a member's.
		var codeTaken bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM affiliates WHERE code = $1)`, a.Code).Scan(&codeTaken); err != nil {
			return fmt.Errorf("looking for the code: %w", err)
		}
		if codeTaken {
			return apperr.Errorf(apperr.Conflict, "the code %q is taken", a.Code)
		}
		var err error
		if member, err = mailMember(ctx, tx, app); member || err != nil {
			return err
		}
		out, err = scanAffiliate(tx.QueryRowContext(ctx, `INSERT INTO affiliates
			(id, tenant_id, name, email, code, landing_url, status, payout_email, password_hash, email_unconfirmed)
			VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9) RETURNING `+affiliateColumns,
			a.ID, a.TenantID, a.Name, a.Email, a.Code, string(a.Status), a.PayoutEmail, app.PasswordHash, a.EmailUnconfirmed))
		if err != nil {
			if c, _ := uniqueViolation(err); c == "affiliates_tenant_email" {
				return errApplyRace
			}
			if conflict := affiliateConflict(err, a); conflict != nil {
				return conflict
			}
			return fmt.Errorf("inserting applicant: %w", err)
		}
		mails := app.Mails
		if app.Confirm != nil {
			tok := *app.Confirm
			tok.AffiliateID = out.ID
			if err := insertOneUseToken(ctx, tx, tok); err != nil {
				return err
			}
			mails = append(mails, app.ConfirmMail)
		}
		for _, m := range mails {
			if err := enqueueMail(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && member {
		return tracklane.Affiliate{}, ErrMember
	}
	if errors.Is(err, errApplyRace) {
		// Applied twice at once: the other one won; answer as for a member.
		if err := s.inTx(ctx, func(tx *sql.Tx) error { return enqueueMail(ctx, tx, app.MemberMail) }); err != nil {
			return tracklane.Affiliate{}, err
		}
		return tracklane.Affiliate{}, ErrMember
	}
	return out, err
}

// mailMember writes, in tx, the mail of an application whose email the
// program already holds and reports whether it does: the member mail, or
// for a pending member who never confirmed the address (and an
// application that carries a confirmation link) that link, made anew for
// them.
func mailMember(ctx context.Context, tx *sql.Tx, app tracklane.Application) (bool, error) {
	var id, status string
	var unconfirmed bool
	err := tx.QueryRowContext(ctx, `SELECT id, status, email_unconfirmed FROM affiliates WHERE tenant_id = $1 AND email = $2
		ORDER BY email_duplicate, created_at LIMIT 1`, app.Affiliate.TenantID, app.Affiliate.Email).Scan(&id, &status, &unconfirmed)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("looking for the applicant: %w", err)
	}
	if app.Confirm == nil || !unconfirmed || status != string(tracklane.AffiliatePending) {
		return true, enqueueMail(ctx, tx, app.MemberMail)
	}
	tok := *app.Confirm
	tok.AffiliateID = id
	if err := insertOneUseToken(ctx, tx, tok); err != nil {
		return true, err
	}
	return true, enqueueMail(ctx, tx, app.ConfirmMail)
}

var errApplyRace = errors.New("the applicant's email was taken meanwhile")

// StatusChange is a change of an affiliate's status: Allowed decides from
// the current status (nil: allowed; an error refuses and changes nothing),
// Mail, when non-nil, makes the mail the change sends (a nil message:
// none; an error aborts the change).
type StatusChange struct {
	To      tracklane.AffiliateStatus
	Allowed func(from tracklane.AffiliateStatus) error
	Mail    func(before tracklane.Affiliate) (*mail.Message, error)
}

// SetAffiliateStatus changes one of the tenant's affiliates' status (and
// writes its mail) in one transaction. An affiliate no longer active loses
// its portal sessions.
func (s *Store) SetAffiliateStatus(ctx context.Context, tenantID, id string, ch StatusChange) (tracklane.Affiliate, error) {
	var out tracklane.Affiliate
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		before, err := lockAffiliate(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		if ch.Allowed != nil {
			if err := ch.Allowed(before.Status); err != nil {
				return err
			}
		}
		if out, err = scanAffiliate(tx.QueryRowContext(ctx, `UPDATE affiliates SET status = $3
			WHERE tenant_id = $1 AND id = $2 RETURNING `+affiliateColumns, tenantID, id, string(ch.To))); err != nil {
			return fmt.Errorf("updating status: %w", err)
		}
		if ch.To != tracklane.AffiliateActive {
			if _, err := tx.ExecContext(ctx, `DELETE FROM affiliate_sessions WHERE tenant_id = $1 AND affiliate_id = $2`, tenantID, id); err != nil {
				return fmt.Errorf("ending sessions: %w", err)
			}
		}
		if ch.Mail != nil && before.Status != ch.To {
			m, err := ch.Mail(before)
			if err != nil {
				return err
			}
			if m != nil {
				return enqueueMail(ctx, tx, *m)
			}
		}
		return nil
	})
	if err != nil {
		return tracklane.Affiliate{}, err
	}
	return out, nil
}

// lockAffiliate reads one of the tenant's affiliates in tx and locks its
// row to the end of tx (a change that reads it first); not_found when the
// tenant has no such affiliate.
func lockAffiliate(ctx context.Context, tx *sql.Tx, tenantID, id string) (tracklane.Affiliate, error) {
	a, err := scanAffiliate(tx.QueryRowContext(ctx, `SELECT `+affiliateColumns+` FROM affiliates
		WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id))
	if err != nil {
		return tracklane.Affiliate{}, notFound(err, "no affiliate %q", id)
	}
	return a, nil
}

// AffiliatePasswordHash returns one of the tenant's affiliates' password
// hash ("" when none is set).
func (s *Store) AffiliatePasswordHash(ctx context.Context, tenantID, id string) (string, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM affiliates WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&h)
	if err != nil {
		return "", notFound(err, "no affiliate %q", id)
	}
	return h, nil
}

// SetAffiliatePassword stores a new password hash for one of the
// tenant's affiliates (a change made while logged in): the affiliate's
// live one-use links are retired and its sessions end, but the one whose
// id hash is keep (the session that made the change; nil ends all).
func (s *Store) SetAffiliatePassword(ctx context.Context, tenantID, id, hash string, keep []byte) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE affiliates SET password_hash = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, id, hash)
		if err != nil {
			return fmt.Errorf("setting password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.Errorf(apperr.NotFound, "no affiliate %q", id)
		}
		return retireAccount(ctx, tx, tracklane.OneUseToken{TenantID: tenantID, AffiliateID: id}, keep, s.Now())
	})
}

// UserPasswordHash returns the password hash of one of the tenant's
// dashboard users; not_found when the tenant has no such user.
func (s *Store) UserPasswordHash(ctx context.Context, tenantID string, userID int64) (string, error) {
	var h string
	err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, userID).Scan(&h)
	if err != nil {
		return "", notFound(err, "no user %d", userID)
	}
	return h, nil
}

// AffiliatesByStatus lists a tenant's affiliates of one status, newest
// first.
func (s *Store) AffiliatesByStatus(ctx context.Context, tenantID string, status tracklane.AffiliateStatus, p Page) ([]tracklane.Affiliate, error) {
	t, id := p.afterArgs()
	rows, err := s.db.QueryContext(ctx, `SELECT `+affiliateColumns+` FROM affiliates
		WHERE tenant_id = $1 AND status = $5 AND (created_at, id) < ($2, $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, tenantID, t, id, p.Limit, string(status))
	if err != nil {
		return nil, fmt.Errorf("listing affiliates: %w", err)
	}
	defer rows.Close()
	return scanAll(rows, "affiliate", scanAffiliate)
}

// CountAffiliatesByStatus counts a tenant's affiliates per status.
func (s *Store) CountAffiliatesByStatus(ctx context.Context, tenantID string) (map[tracklane.AffiliateStatus]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT status, count(*) FROM affiliates WHERE tenant_id = $1 GROUP BY status`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("counting affiliates: %w", err)
	}
	defer rows.Close()
	out := map[tracklane.AffiliateStatus]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("counting affiliates: %w", err)
		}
		out[tracklane.AffiliateStatus(st)] = n
	}
	return out, rows.Err()
}

// PendingApplicants counts the tenant's affiliates waiting for a decision
// (status pending), up to 100: the dashboard's navigation shows it on every
// page, so the count stops early (an index range of at most 100 rows).
func (s *Store) PendingApplicants(ctx context.Context, tenantID string) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM affiliates
		WHERE tenant_id = $1 AND status = 'pending' LIMIT 100) p`, tenantID).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting applicants: %w", err)
	}
	return n, nil
}
