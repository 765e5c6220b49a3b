// Package conversions is the service behind the conversions that do not
// come from Stripe and the merchant's decisions on any conversion: a
// conversion the merchant's site reports (Report), the customer's email
// linked to the visitor's click on the thank-you page (LinkEmail), and
// the merchant's manual approval or rejection (Decide). Each is one use
// case — load the facts from the store, apply the pure rule (package
// attribution, package conversion), write — so the edges that serve them
// (tracking, dashboard) only parse, call and answer.
//
// It is not package conversion: that one holds the pure rules (commission,
// status); this one runs them against the store.
package conversions

import (
	"context"
	"log/slog"
	"time"

	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Store is the storage the service uses (*store.Store).
type Store interface {
	// Reported conversions (report.go).
	ReportedSettings(ctx context.Context, tenantID string) (types []tracklane.ConversionType, maxAmount int64, err error)
	ReportedByExternalID(ctx context.Context, tenantID, typ, externalID string) (attribution.ReportedExisting, error)
	ReportedFacts(ctx context.Context, tenantID, cid, externalCID string, coupons []string) (attribution.ReportedFacts, error)
	CreateReportedConversion(ctx context.Context, r store.ReportedConversion) (id string, created bool, err error)
	ReplaceReportedConversion(ctx context.Context, r store.ReportedConversion) (id string, replaced bool, err error)
	RejectReportedClaim(ctx context.Context, tenantID, typ, externalID string) (bool, error)
	// Email links (email_link.go).
	LinkFacts(ctx context.Context, tenantID, cid, externalCID string, by store.Linker, since time.Time) (attribution.LinkFacts, error)
	CreateLinkFrom(ctx context.Context, tenantID, cid, externalCID, originID string, by store.Linker, flags []string) (tracklane.Link, error)
	// The merchant's decisions (decide.go).
	SetConversionManualStatus(ctx context.Context, tenantID, id, manual string) (tracklane.Conversion, error)
}

// Notifier hears of every new email link, so payments that arrived before
// it can be attributed without waiting for the next check (the Stripe
// sync engine).
type Notifier interface {
	Linked(ctx context.Context, tenantID, externalCID string)
}

// Service runs the conversion use cases against a Store. Store and Now
// are required, and IDKey for Report; the zero values of the other fields
// are usable.
type Service struct {
	Store Store
	// Now is the clock (time.Now in production): a report's time and the
	// fraud signals' look-back are read from it.
	Now func() time.Time
	// IDKey keys the ids of reported conversions that have an externalId
	// (a key derived from SECRET_KEY for this purpose alone): such an id
	// is the same whether or not anything was stored, so a browser's
	// answer tells nothing (report_id.go).
	IDKey []byte
	// Notifier hears of new email links; nil tells no one.
	Notifier Notifier
	// Log receives the email links that raised fraud signals; nil
	// discards them.
	Log *slog.Logger
}
