package account

import (
	"context"

	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/password"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// NewTenantInput is what signing up asks for.
type NewTenantInput struct {
	Name, Email, Password, Website string
	// NoToken makes no first personal token: a browser sign-up shows none,
	// so the merchant creates one in Settings, where it is shown once
	// (`tenant create` on the CLI prints its token).
	NoToken bool
}

// NewTenantResult carries the one-time secrets of a new tenant.
type NewTenantResult struct {
	Tenant          tracklane.Tenant
	Email           string
	PersonalToken   string // shown once, stored hashed
	RevenueOriginID string
}

// CreateTenant signs up a merchant: tenant, first user, first personal
// token (unless NoToken) and default revenue origin.
func (s Service) CreateTenant(ctx context.Context, in NewTenantInput) (NewTenantResult, error) {
	name, err := cleanName(in.Name, "name")
	if err != nil {
		return NewTenantResult{}, err
	}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return NewTenantResult{}, err
	}
	if err := password.Check(in.Password, password.Owner{Email: email, Name: name}); err != nil {
		return NewTenantResult{}, err
	}
	website, err := OptionalURL(in.Website, "website")
	if err != nil {
		return NewTenantResult{}, err
	}
	hash, err := HashPassword(in.Password, s.BcryptCost)
	if err != nil {
		return NewTenantResult{}, err
	}
	originID := ident.UUID()
	n := store.NewTenant{ID: ident.New("tn_"), Name: name, Website: website, Email: email, PasswordHash: hash, OriginID: originID}
	token := ""
	if !in.NoToken {
		token = ident.Token()
		n.TokenName, n.TokenHash, n.TokenHint = "Default", HashToken(token), ident.Hint(token)
	}
	t, err := s.Store.CreateTenant(ctx, n)
	if err != nil {
		return NewTenantResult{}, err
	}
	return NewTenantResult{Tenant: t, Email: email, PersonalToken: token, RevenueOriginID: originID}, nil
}
