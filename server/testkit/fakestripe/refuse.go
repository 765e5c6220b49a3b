package fakestripe

import "net/http"

// Refusal makes the fake refuse requests whose path starts with
// PathPrefix, until AllowLookups — as Stripe refuses a key that lacks a
// permission (403) or an expansion it does not allow (400). The calls are
// recorded (not as unexpected).
type Refusal struct {
	PathPrefix string // e.g. "/v1/customers/"
	Status     int    // default 403
	Code       string // Stripe's error code, "" for none
	Message    string // default: Stripe's missing-permission message
}

// RefuseLookups refuses matching requests from now on.
func (s *Server) RefuseLookups(r Refusal) {
	if r.Status == 0 {
		r.Status = http.StatusForbidden
	}
	if r.Message == "" {
		r.Message = "The provided key 'rk_live_****' does not have the required permissions for this endpoint on account. " +
			"Having the 'rak_read' permission would allow this request to continue."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals = append(s.refusals, r)
}

// AllowLookups drops the refusals of pathPrefix.
func (s *Server) AllowLookups(pathPrefix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.refusals[:0]
	for _, r := range s.refusals {
		if r.PathPrefix != pathPrefix {
			kept = append(kept, r)
		}
	}
	s.refusals = kept
}

// refusal returns the refusal that matches path, if any; s.mu held.
func (s *Server) refusal(path string) *Refusal {
	for i := range s.refusals {
		if len(path) >= len(s.refusals[i].PathPrefix) && path[:len(s.refusals[i].PathPrefix)] == s.refusals[i].PathPrefix {
			r := s.refusals[i]
			return &r
		}
	}
	return nil
}

func (r *Refusal) response() response {
	return errResp(r.Status, "invalid_request_error", r.Code, "", r.Message)
}
