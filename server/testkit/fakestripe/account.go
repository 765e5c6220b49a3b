package fakestripe

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// DefaultPlatformAccount is the account the fake's keys belong to until
// SetPlatformAccount names another: what GET /v1/account answers.
const DefaultPlatformAccount = "acct_1FakePlatform0000"

// SetPlatformAccount makes account the platform's own: the account whose
// keys the server holds (every key of the fake belongs to it, live and
// test, as a Stripe account's keys do). It models an own-account install —
// a merchant who self-hosts installs the app on that very account:
//
//   - GET /v1/account (without Stripe-Account) answers account;
//   - a request without Stripe-Account is served from account's objects
//     and events (build them with account as the builders' account);
//   - account's events carry no "account", as Stripe's events of one's own
//     account do;
//   - a request whose Stripe-Account names account itself is answered but
//     recorded in Unexpected: Stripe does not document it, and Tracklane
//     calls its own account without the header.
//
// Call it before building the account's story: events already created keep
// how they were rendered.
func (s *Server) SetPlatformAccount(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.platform = account
}

// PlatformAccount returns the platform's own account (see
// SetPlatformAccount).
func (s *Server) PlatformAccount() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.platformID()
}

// Sandbox makes account a sandbox installed through the app's managed
// sandbox: it is served by the managed sandbox's own keys, which the
// platform does not hold, so every call with a test key for it (its
// Stripe-Account) is refused with 403, as a key with no access to an
// account is. Live keys never see a sandbox either.
func (s *Server) Sandbox(account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sandboxes == nil {
		s.sandboxes = map[string]bool{}
	}
	s.sandboxes[account] = true
}

// platformID is the platform's own account; s.mu must be held.
func (s *Server) platformID() string {
	if s.platform == "" {
		return DefaultPlatformAccount
	}
	return s.platform
}

// rendersAccount reports whether the events of account carry "account":
// those of connected accounts do, the platform's own do not. s.mu must be
// held.
func (s *Server) rendersAccount(account string) bool {
	return account != "" && account != s.platformID()
}

// servedAccount is the account a request with key is served for, or the
// refusal Stripe would answer: a request without Stripe-Account is the
// platform's own; a sandbox's or a revoked install's account is refused.
// s.mu must be held.
func (s *Server) servedAccount(call Call, key string) (string, *response) {
	account := call.Account
	if account == "" {
		return s.platformID(), nil
	}
	if account == s.platformID() {
		s.unexpected = append(s.unexpected, call)
	}
	if s.revokedAcc[account] {
		r := errResp(http.StatusForbidden, "invalid_request_error", "account_invalid", "",
			fmt.Sprintf("The provided key '%s' does not have access to account '%s' (or that account does not exist). Application access may have been revoked.", maskKey(key), account))
		return "", &r
	}
	if s.sandboxes[account] {
		r := errResp(http.StatusForbidden, "invalid_request_error", "account_invalid", "",
			fmt.Sprintf("The provided key '%s' does not have access to account '%s' (or that account does not exist).", maskKey(key), account))
		return "", &r
	}
	return account, nil
}

// getAccount answers GET /v1/account: the platform's own account. Tracklane
// calls it without Stripe-Account and without parameters; anything else is
// unexpected. s.mu must be held.
func (s *Server) getAccount(call Call, q map[string][]string) response {
	if call.Account != "" {
		return s.unexpectedResp(call, errResp(http.StatusBadRequest, "invalid_request_error", "", "",
			"fakestripe: Tracklane reads GET /v1/account only for its own account, without Stripe-Account"), true)
	}
	if r, ok := s.checkParams(q, call, func(string) bool { return false }); !ok {
		return r
	}
	id := s.platformID()
	b, err := json.Marshal(map[string]any{
		"id":     id,
		"object": "account",
		"business_profile": map[string]any{
			"name": "Fake Platform", "url": "https://platform.example", "support_email": nil, "mcc": nil,
		},
		"business_type":     "company",
		"charges_enabled":   true,
		"payouts_enabled":   true,
		"details_submitted": true,
		"country":           "US",
		"default_currency":  "usd",
		"email":             "owner@platform.example",
		"type":              "standard",
		"created":           1700000000,
		"metadata":          map[string]string{},
		"settings": map[string]any{
			"dashboard": map[string]any{"display_name": "Fake Platform", "timezone": "Etc/UTC"},
		},
	})
	if err != nil {
		panic("fakestripe: " + err.Error())
	}
	return okResp(b, Shape2023)
}
