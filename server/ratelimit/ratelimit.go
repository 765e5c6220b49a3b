// Package ratelimit is a per-key token-bucket limiter for the public
// tracker endpoints. It lives in memory on purpose: it protects one
// process from floods and never needs to agree with other processes.
// ClientKey says what "one client" is for every per-address limit
// (this one and the login throttle's).
package ratelimit

import (
	"net/netip"
	"sync"
	"time"
)

// Limiter allows Rate events per second per key, with bursts of Burst.
type Limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// New returns a limiter; rate ≤ 0 allows everything.
func New(rate float64, now func() time.Time) *Limiter {
	burst := rate * 2
	if burst < 10 {
		burst = 10
	}
	return &Limiter{rate: rate, burst: burst, now: now, buckets: map[string]*bucket{}}
}

// Allow takes one token from key's bucket and reports whether there was one.
func (l *Limiter) Allow(key string) bool {
	if l == nil || l.rate <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens += now.Sub(b.last).Seconds() * l.rate
	if b.tokens > l.burst {
		b.tokens = l.burst
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep forgets buckets that have refilled completely, so memory follows
// the number of recently active keys.
func (l *Limiter) sweep(now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) > full {
			delete(l.buckets, k)
		}
	}
	l.swept = now
}

// ClientKey is the key under which a per-client limit counts a client's
// address: an IPv4 address as it is, an IPv6 address by its /64 (one host
// or household is given a whole /64 and can rotate through it freely).
// Anything that is not an address is its own key.
func ClientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}
