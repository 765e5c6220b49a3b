// Package throttle limits attempts at what an attacker repeats — logging
// in, signing up, and (with the affiliate portal) logging in there and
// asking for password resets — per key: an email and a client's network,
// a network alone, an email from anywhere.
//
// Attempts are counted in PostgreSQL, so every server process sees the
// same counts (CLARIFICATIONS: state that must survive several processes),
// and counting is one atomic step with recording (store.TakeAttempt): an
// attempt is recorded, as failed, before the caller compares a password,
// so a burst of parallel requests is counted one by one and cannot all
// pass a check made before any of them was recorded. A caller whose
// attempt succeeds says so (Succeeded) and it stops counting.
//
// A hard limit refuses the attempt past its maximum (the caller answers
// 429); a slow limit never refuses but makes each attempt past its maximum
// wait, longer the further past it is: it protects one account from many
// networks without letting anyone lock its owner out.
//
// Keys are HMACs under a key derived from SECRET_KEY: the table holds no
// email or address.
package throttle

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/store"
)

// Store is where attempts are counted (*store.Store).
type Store interface {
	TakeAttempt(ctx context.Context, at time.Time, keys []store.ThrottleKey, allow func(counts []int) bool) (store.Attempt, []int, error)
	ForgetAttempt(ctx context.Context, a store.Attempt) error
	ClearAttempts(ctx context.Context, key []byte) error
}

// Key is what attempts are counted under; make one with Throttle.Key.
type Key []byte

// Limit is one rule an attempt is held to: at most Max attempts under Key
// within Window (at most 24 hours: older attempts are swept).
type Limit struct {
	Key    Key
	Window time.Duration
	Max    int
	// Slow makes the limit delay attempts past Max instead of refusing
	// them.
	Slow bool
}

// Attempt is an attempt the throttle let through.
type Attempt struct {
	// Delay is how long the caller must wait before doing the work (Wait
	// waits it): non-zero when a slow limit is past its maximum.
	Delay time.Duration
	rec   store.Attempt
}

// ErrLimited is Take's error when a hard limit refuses the attempt.
var ErrLimited = apperr.Errorf(apperr.RateLimited, "too many attempts; wait and try again")

// Default delays of slow limits: one more second for each attempt past the
// maximum, at most ten.
const (
	DefaultSlowStep = time.Second
	DefaultMaxDelay = 10 * time.Second
)

// Throttle counts attempts in a Store.
type Throttle struct {
	store  Store
	secret []byte
	now    func() time.Time
	// SlowStep is the delay added per attempt past a slow limit's maximum,
	// up to MaxDelay.
	SlowStep, MaxDelay time.Duration
}

// New returns a throttle; secret keys the HMAC of every key (derive it
// from SECRET_KEY for this purpose only).
func New(st Store, secret []byte, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{store: st, secret: secret, now: now, SlowStep: DefaultSlowStep, MaxDelay: DefaultMaxDelay}
}

// Key returns the key of parts, e.g. Key("login", email, network). Parts
// are joined unambiguously (no part may contain a NUL: emails and
// addresses cannot).
func (t *Throttle) Key(parts ...string) Key {
	m := hmac.New(sha256.New, t.secret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// Take decides an attempt held to limits, and records it when it may go
// ahead. It returns ErrLimited when a hard limit is reached (nothing is
// recorded then, so a refusal does not push the window on); otherwise the
// attempt, recorded under every key, counts as failed until Succeeded.
func (t *Throttle) Take(ctx context.Context, limits ...Limit) (Attempt, error) {
	now := t.now()
	keys := make([]store.ThrottleKey, len(limits))
	for i, l := range limits {
		if l.Window <= 0 || l.Window > 24*time.Hour || l.Max < 1 || len(l.Key) == 0 {
			return Attempt{}, fmt.Errorf("throttle: limit %d is not usable (window %s, max %d)", i, l.Window, l.Max)
		}
		keys[i] = store.ThrottleKey{Hash: l.Key, Since: now.Add(-l.Window)}
	}
	allowed := false
	rec, counts, err := t.store.TakeAttempt(ctx, now, keys, func(counts []int) bool {
		allowed = Allows(limits, counts)
		return allowed
	})
	if err != nil {
		return Attempt{}, fmt.Errorf("throttle: %w", err)
	}
	if !allowed {
		return Attempt{}, ErrLimited
	}
	return Attempt{Delay: t.delay(limits, counts), rec: rec}, nil
}

// Allows reports whether an attempt may go ahead when counts[i] attempts
// are already recorded under limits[i]: no hard limit is at its maximum.
func Allows(limits []Limit, counts []int) bool {
	for i, l := range limits {
		if !l.Slow && counts[i] >= l.Max {
			return false
		}
	}
	return true
}

// delay is the wait before an attempt goes ahead: for each slow limit at or
// past its maximum, SlowStep per attempt past it (the first one past it
// waits one step), at most MaxDelay; the longest of them.
func (t *Throttle) delay(limits []Limit, counts []int) time.Duration {
	var d time.Duration
	for i, l := range limits {
		if l.Slow && counts[i] >= l.Max {
			d = max(d, min(t.MaxDelay, time.Duration(counts[i]-l.Max+1)*t.SlowStep))
		}
	}
	return d
}

// Wait waits an attempt's Delay, or until ctx ends (the client left).
func (t *Throttle) Wait(ctx context.Context, a Attempt) error {
	if a.Delay <= 0 {
		return nil
	}
	timer := time.NewTimer(a.Delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Succeeded says the attempt succeeded: it no longer counts, and every
// attempt under each key of clear is forgotten too (after a log-in, the
// earlier failures of that email from that network).
func (t *Throttle) Succeeded(ctx context.Context, a Attempt, clear ...Key) error {
	if err := t.store.ForgetAttempt(ctx, a.rec); err != nil {
		return fmt.Errorf("throttle: %w", err)
	}
	for _, k := range clear {
		if err := t.store.ClearAttempts(ctx, k); err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
	}
	return nil
}
