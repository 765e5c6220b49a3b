package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"
	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/tracklane"
)

// CreateLink links externalCID to the tenant's click cid. A cid that is not
// the tenant's → not_found; the origin is as tracklane.ChooseOrigin says
// (none or an unknown one → the tenant's default; another tenant's →
// unprocessable).
func (s *Store) CreateLink(ctx context.Context, tenantID, cid, externalCID, originID string) (tracklane.Link, error) {
	return s.CreateLinkFrom(ctx, tenantID, cid, externalCID, originID, Linker{}, nil)
}

// Linker is who linked an email, as the fraud signals know them: the keyed
// hashes of the browser (IP and user agent) and of its network (an IPv4
// /24, an IPv6 /64), both keyed by the day; never an address. Zero for a
// server-side call.
type Linker struct {
	Visitor, Network []byte
}

// CreateLinkFrom is CreateLink with who linked and the fraud signals the
// link raised.
func (s *Store) CreateLinkFrom(ctx context.Context, tenantID, cid, externalCID, originID string, by Linker, flags []string) (tracklane.Link, error) {
	l := tracklane.Link{TenantID: tenantID, ClickID: cid, ExternalCID: externalCID, Flags: flags}
	if flags == nil {
		flags = []string{}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT created_at, affiliate_id FROM clicks WHERE tenant_id = $1 AND id = $2`,
			tenantID, cid).Scan(&l.ClickCreatedAt, &l.AffiliateID)
		if err != nil {
			return notFound(err, "no click %q for this tenant", cid)
		}
		if originID, err = chooseOrigin(ctx, tx, tenantID, originID); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO customer_links (tenant_id, external_cid, click_id, click_created_at, revenue_origin_id,
				created_at, visitor_hash, network_hash, flags)
			VALUES ($1, $2, $3, $4, `+originOrDefault("$5", "$1")+`, $6, $7, $8, $9) RETURNING id, created_at, revenue_origin_id`,
			tenantID, externalCID, cid, l.ClickCreatedAt, originID, s.Now(), by.Visitor, by.Network, pq.Array(flags)).Scan(&l.ID, &l.CreatedAt, &l.RevenueOriginID)
		if err != nil {
			return fmt.Errorf("inserting link: %w", err)
		}
		return nil
	})
	return l, err
}

// LinkFacts reads what the fraud rule needs before externalCID is linked to
// the tenant's click cid by the browser and network of by: the distinct
// emails that browser, and that network, linked since `since` and that
// were linked to the click (this one counted), the click's affiliate and
// those of the email's earlier links, and whether the click's affiliate
// used that browser for their own portal (portal_visitors). The hashes
// are keyed by the day, so a portal browser matches only on the day it
// was noted; `since` bounds the look-up. A click that is not the tenant's
// → not_found.
func (s *Store) LinkFacts(ctx context.Context, tenantID, cid, externalCID string, by Linker, since time.Time) (attribution.LinkFacts, error) {
	var f attribution.LinkFacts
	err := s.db.QueryRowContext(ctx, `SELECT c.affiliate_id,
			(SELECT count(DISTINCT e) FROM (SELECT external_cid AS e FROM customer_links
				WHERE tenant_id = $1 AND visitor_hash = $4 AND created_at >= $5 UNION SELECT $3) v),
			(SELECT count(DISTINCT e) FROM (SELECT external_cid AS e FROM customer_links
				WHERE tenant_id = $1 AND network_hash = $6 AND created_at >= $5 UNION SELECT $3) n),
			(SELECT count(DISTINCT e) FROM (SELECT external_cid AS e FROM customer_links
				WHERE tenant_id = $1 AND click_id = $2 UNION SELECT $3) k),
			array(SELECT DISTINCT c2.affiliate_id FROM customer_links l JOIN clicks c2 ON c2.id = l.click_id
				WHERE l.tenant_id = $1 AND l.external_cid = $3),
			EXISTS (SELECT 1 FROM portal_visitors p WHERE p.tenant_id = $1 AND p.affiliate_id = c.affiliate_id
				AND p.visitor_hash = $4 AND p.day >= ($5::timestamptz AT TIME ZONE 'UTC')::date)
		FROM clicks c WHERE c.tenant_id = $1 AND c.id = $2`,
		tenantID, cid, externalCID, by.Visitor, since, by.Network).Scan(&f.Affiliate, &f.VisitorEmails, &f.NetworkEmails, &f.ClickEmails,
		pq.Array(&f.EarlierAffiliates),
		&f.OwnBrowser)
	if err != nil {
		return f, notFound(err, "no click %q for this tenant", cid)
	}
	return f, nil
}

// TenantExists reports whether a tenant id is known.
func (s *Store) TenantExists(ctx context.Context, tenantID string) (bool, error) {
	var ok bool
	err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM tenants WHERE id = $1)`, tenantID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("checking tenant: %w", err)
	}
	return ok, nil
}
