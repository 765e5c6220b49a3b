package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// Authenticate accepts only live tokens, each as its own tenant's, and
// records their use at most once a minute.
func TestAuthenticate(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	svc := account.Service{Store: st, BcryptCost: 4, Now: func() time.Time { return now }}
	a, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: "A", Email: "a@shop.example", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.CreateTenant(ctx, account.NewTenantInput{Name: "B", Email: "b@shop.example", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ token, want string }{{a.PersonalToken, a.Tenant.ID}, {b.PersonalToken, b.Tenant.ID}} {
		if got, err := svc.Authenticate(ctx, tc.token); err != nil || got != tc.want {
			t.Errorf("Authenticate = %q, %v; want %q", got, err, tc.want)
		}
	}
	lastUsed := func() time.Time {
		t.Helper()
		tokens, err := st.PersonalTokens(ctx, a.Tenant.ID)
		if err != nil || len(tokens) != 1 || tokens[0].LastUsedAt == nil {
			t.Fatalf("tokens %+v %v", tokens, err)
		}
		return tokens[0].LastUsedAt.UTC()
	}
	if got := lastUsed(); !got.Equal(now) {
		t.Errorf("last used %v, want %v", got, now)
	}
	first := now
	now = now.Add(30 * time.Second) // within the minute: not written again
	if _, err := svc.Authenticate(ctx, a.PersonalToken); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("last used %v after 30s, want still %v", got, first)
	}
	now = now.Add(time.Minute)
	if _, err := svc.Authenticate(ctx, a.PersonalToken); err != nil {
		t.Fatal(err)
	}
	if got := lastUsed(); !got.Equal(now) {
		t.Errorf("last used %v after 90s, want %v", got, now)
	}

	tokens, err := st.PersonalTokens(ctx, a.Tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RevokeToken(ctx, b.Tenant.ID, tokens[0].ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("revoking another tenant's token: %v, want not_found", err)
	}
	if err := svc.RevokeToken(ctx, a.Tenant.ID, tokens[0].ID); err != nil {
		t.Fatal(err)
	}
	unknown := a.PersonalToken[:48] + "A" // token-shaped, but never issued
	if unknown == a.PersonalToken {
		unknown = a.PersonalToken[:48] + "B"
	}
	for _, token := range []string{a.PersonalToken, unknown, "nonsense", ""} {
		if got, err := svc.Authenticate(ctx, token); !apperr.Is(err, apperr.Unauthorized) || got != "" {
			t.Errorf("Authenticate(%q) = %q, %v; want unauthorized", token, got, err)
		}
	}
}
