package account

import (
	"context"
	"crypto/sha256"

	"github.com/tracklane/tracklane/server/ident"
)

// CreateToken makes a new personal token for a tenant and returns it; only
// its hash is kept.
func (s Service) CreateToken(ctx context.Context, tenantID, name string) (string, error) {
	name, err := cleanName(name, "name")
	if err != nil {
		return "", err
	}
	token := ident.Token()
	if err := s.Store.CreatePersonalToken(ctx, tenantID, name, HashToken(token), ident.Hint(token)); err != nil {
		return "", err
	}
	return token, nil
}

// HashToken is how personal tokens are stored: SHA-256 (they are 256-bit
// random, so no slow hash is needed).
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
