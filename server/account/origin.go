package account

import (
	"context"

	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/tracklane"
)

// CreateRevenueOrigin adds a named revenue origin (a product or site the
// thank-you call can name) to a tenant.
func (s Service) CreateRevenueOrigin(ctx context.Context, tenantID, name string) (tracklane.RevenueOrigin, error) {
	name, err := cleanName(name, "the origin's name")
	if err != nil {
		return tracklane.RevenueOrigin{}, err
	}
	return s.Store.CreateRevenueOrigin(ctx, tenantID, ident.UUID(), name)
}
