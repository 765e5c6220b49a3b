package tracking_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/apptest"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/tracking"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/server/web"
)

// HEAD /r/<code> is rate-limited like GET: link previewers and scanners
// send HEAD, and each unknown code would otherwise cost a database read.
func TestHeadRedirectIsRateLimited(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, map[string]string{"TRACKING_RATE_LIMIT": "50"})
	codes := map[int]int{}
	for i := 0; i < 400; i++ {
		s, _ := a.Do(t, "HEAD", fmt.Sprintf("/r/unknown-%d", i), nil)
		codes[s]++
	}
	// A burst of 100 and 50/s: 400 HEADs in well under 4 s cannot all pass.
	if codes[http.StatusTooManyRequests] == 0 || codes[http.StatusNotFound] > 300 {
		t.Errorf("400 rapid HEADs from one address: %v; want most refused with 429", codes)
	}
}

// The per-address limit takes an IPv6 client by its /64: a host holds a
// whole /64 and can rotate through it.
func TestRateLimitTakesIPv6ByItsSlash64(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, map[string]string{"TRACKING_RATE_LIMIT": "2", "TRUSTED_PROXIES": "127.0.0.1/32"})
	limited := 0
	for i := 0; i < 40; i++ {
		s, _ := a.Do(t, "GET", "/r/nobody-here", nil, fmt.Sprintf("X-Forwarded-For: 2001:db8:1:2::%x", i+1))
		if s == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Errorf("40 requests from 40 addresses of one /64 with a limit of 2/s: none refused")
	}
	if s, _ := a.Do(t, "GET", "/r/nobody-here", nil, "X-Forwarded-For: 2001:db8:1:3::1"); s != http.StatusNotFound {
		t.Errorf("another /64 was refused too: %d", s)
	}
	for i := 0; i < 10; i++ { // IPv4 addresses stay separate
		if s, _ := a.Do(t, "GET", "/r/nobody-here", nil, fmt.Sprintf("X-Forwarded-For: 198.51.100.%d", i+1)); s != http.StatusNotFound {
			t.Errorf("IPv4 address %d: %d", i+1, s)
		}
	}
}

// countingStore counts the link-code lookups that reach the database.
type countingStore struct {
	*store.Store
	lookups atomic.Int64
}

func (s *countingStore) AffiliateByLinkCode(ctx context.Context, code string) (tracklane.Affiliate, error) {
	s.lookups.Add(1)
	return s.Store.AffiliateByLinkCode(ctx, code)
}

// An unknown code is remembered briefly: asking for it again does not read
// the database again.
func TestUnknownLinkCodesAreCachedBriefly(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	cs := &countingStore{Store: st}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := tracking.NewBatcher(st, log, 1, 16)
	defer b.Close()
	h, err := tracking.New(cs, b, tracking.Config{VisitorSecret: []byte("k"), RateLimit: 0}, nil, log, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	e, err := web.New(web.Options{Log: log, DB: st}, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"HEAD", "GET"} {
		for i := 0; i < 50; i++ {
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(method, "/r/never-made", nil))
			if w.Code != http.StatusNotFound {
				t.Fatalf("%s: %d", method, w.Code)
			}
		}
	}
	if n := cs.lookups.Load(); n > 1 {
		t.Errorf("100 requests for one unknown code read the database %d times, want 1", n)
	}
}
