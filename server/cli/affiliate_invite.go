package cli

import "context"

type affiliateInvited struct {
	InviteURL string `json:"invite_url"`
}

// affiliateInvite makes a one-use invitation link (7 days) for an
// affiliate and mails it; the link is printed too.
func affiliateInvite(args []string) (action, error) {
	fs := newFlags("affiliate invite")
	tenant := fs.String("tenant", "", "")
	affiliate := fs.String("affiliate", "", "")
	if err := parse(fs, args, "tenant", "affiliate"); err != nil {
		return nil, err
	}
	return func(ctx context.Context, svc provisioner) (any, error) {
		inv, err := svc.accounts.InviteAffiliate(ctx, *tenant, *affiliate)
		if err != nil {
			return nil, err
		}
		return affiliateInvited{InviteURL: inv.Link}, nil
	}, nil
}
