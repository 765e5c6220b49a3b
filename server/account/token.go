package account

import (
	"context"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
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

// RevokeToken revokes one of the tenant's personal tokens by its id; at
// once, every door refuses it. Another tenant's token is not found.
func (s Service) RevokeToken(ctx context.Context, tenantID string, id int64) error {
	return s.Store.RevokePersonalToken(ctx, tenantID, id)
}

// tokenUseEvery is how stale a token's recorded last use may get: reads
// with the same token within it write nothing.
const tokenUseEvery = time.Minute

// Authenticate resolves a personal token, as the client sent it, to the
// tenant it acts for: the one check behind the API and the Stripe App. It
// records the token's use (at most once a minute, so reads stay cheap; a
// failure to record is logged, not returned). Anything that is not a live
// token — malformed, unknown or revoked — is unauthorized, with one message
// for all, and a string that cannot be a token is not looked up.
func (s Service) Authenticate(ctx context.Context, token string) (tenantID string, err error) {
	refused := apperr.Errorf(apperr.Unauthorized, "invalid or revoked personal token")
	if !ident.IsToken(token) {
		return "", refused
	}
	t, err := s.Store.PersonalTokenByHash(ctx, HashToken(token))
	if apperr.Is(err, apperr.NotFound) {
		return "", refused
	}
	if err != nil {
		return "", err
	}
	if t.RevokedAt != nil {
		return "", refused
	}
	if now := s.now(); t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > tokenUseEvery {
		if err := s.Store.RecordTokenUse(ctx, t.ID, now); err != nil {
			s.log().WarnContext(ctx, "recording token use", "err", err)
		}
	}
	return t.TenantID, nil
}

// HashToken is how personal tokens are stored: SHA-256 (they are 256-bit
// random, so no slow hash is needed).
func HashToken(token string) []byte { return ident.Hash(token) }
