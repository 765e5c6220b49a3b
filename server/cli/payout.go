package cli

import (
	"context"

	"github.com/tracklane/tracklane/server/apishape"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// payoutList is what `payout create` and `payout list` print: the API's
// envelope.
type payoutsJSON struct {
	Data []apishape.Payout `json:"data"`
}

func toPayoutList(ps []tracklane.Payout) payoutsJSON {
	out := payoutsJSON{Data: make([]apishape.Payout, len(ps))}
	for i, p := range ps {
		out.Data[i] = apishape.NewPayout(p)
	}
	return out
}

func payoutCreate(args []string) (action, error) {
	fs := newFlags("payout create")
	tenant := fs.String("tenant", "", "")
	affiliate := fs.String("affiliate", "", "")
	if err := parse(fs, args, "tenant"); err != nil {
		return nil, err
	}
	return func(ctx context.Context, svc provisioner) (any, error) {
		ps, err := svc.accounts.CreatePayouts(ctx, *tenant, *affiliate)
		if err != nil {
			return nil, err
		}
		return toPayoutList(ps), nil
	}, nil
}

func payoutListCmd(args []string) (action, error) {
	fs := newFlags("payout list")
	tenant := fs.String("tenant", "", "")
	var f store.PayoutFilter
	status := fs.String("status", "", "")
	fs.StringVar(&f.AffiliateID, "affiliate", "", "")
	limit := 200
	fs.IntVar(&limit, "limit", 200, "")
	if err := parse(fs, args, "tenant"); err != nil {
		return nil, err
	}
	f.Status = tracklane.PayoutStatus(*status)
	return func(ctx context.Context, svc provisioner) (any, error) {
		ps, err := svc.accounts.Payouts(ctx, *tenant, f, limit)
		if err != nil {
			return nil, err
		}
		return toPayoutList(ps), nil
	}, nil
}

func payoutPaid(args []string) (action, error) {
	fs := newFlags("payout paid")
	tenant := fs.String("tenant", "", "")
	payout := fs.String("payout", "", "")
	reference := fs.String("reference", "", "")
	if err := parse(fs, args, "tenant", "payout"); err != nil {
		return nil, err
	}
	return func(ctx context.Context, svc provisioner) (any, error) {
		p, err := svc.accounts.MarkPayoutPaid(ctx, *tenant, *payout, *reference)
		if err != nil {
			return nil, err
		}
		return apishape.NewPayout(p), nil
	}, nil
}

func payoutCancel(args []string) (action, error) {
	fs := newFlags("payout cancel")
	tenant := fs.String("tenant", "", "")
	payout := fs.String("payout", "", "")
	if err := parse(fs, args, "tenant", "payout"); err != nil {
		return nil, err
	}
	return func(ctx context.Context, svc provisioner) (any, error) {
		p, err := svc.accounts.CancelPayout(ctx, *tenant, *payout)
		if err != nil {
			return nil, err
		}
		return apishape.NewPayout(p), nil
	}, nil
}
