package throttle_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/testkit/storetest"
	"github.com/tracklane/tracklane/server/throttle"
)

func TestAllows(t *testing.T) {
	limits := []throttle.Limit{{Max: 5}, {Max: 20}, {Max: 20, Slow: true}}
	for _, tc := range []struct {
		counts []int
		want   bool
	}{
		{[]int{0, 0, 0}, true},
		{[]int{4, 19, 100}, true}, // a slow limit never refuses
		{[]int{5, 0, 0}, false},
		{[]int{0, 20, 0}, false},
	} {
		if got := throttle.Allows(limits, tc.counts); got != tc.want {
			t.Errorf("counts %v: %v, want %v", tc.counts, got, tc.want)
		}
	}
}

// Parallel attempts under one key are counted one after another: exactly
// Max of them go ahead, however many arrive at once.
func TestParallelAttemptsAreCountedOneByOne(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	th := throttle.New(st, []byte("secret"), nil)
	key := th.Key("login", "owner@example.com", "203.0.113.1")
	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := th.Take(context.Background(), throttle.Limit{Key: key, Window: time.Minute, Max: 7})
			switch {
			case err == nil:
				allowed.Add(1)
			case apperr.Is(err, apperr.RateLimited):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 7 || refused.Load() != 53 {
		t.Errorf("allowed %d, refused %d; want 7 and 53", allowed.Load(), refused.Load())
	}
}

func TestSlowLimitDelaysAndSuccessForgets(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	th := throttle.New(st, []byte("secret"), func() time.Time { return now })
	ctx := context.Background()
	slow := throttle.Limit{Key: th.Key("login", "owner@example.com"), Window: time.Minute, Max: 2, Slow: true}
	var delays []time.Duration
	for range 14 {
		a, err := th.Take(ctx, slow)
		if err != nil {
			t.Fatal(err)
		}
		delays = append(delays, a.Delay)
	}
	want := []time.Duration{0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10}
	for i := range want {
		if delays[i] != want[i]*time.Second {
			t.Fatalf("delays %v, want %v seconds", delays, want)
		}
	}

	// A success no longer counts; clearing a key forgets its failures.
	hard := throttle.Limit{Key: th.Key("login", "owner@example.com", "net"), Window: time.Minute, Max: 2}
	a, _ := th.Take(ctx, hard)
	if err := th.Succeeded(ctx, a); err != nil {
		t.Fatal(err)
	}
	th.Take(ctx, hard)
	th.Take(ctx, hard)
	if _, err := th.Take(ctx, hard); !apperr.Is(err, apperr.RateLimited) {
		t.Fatalf("third failure: %v, want refused", err)
	}
	a, _ = th.Take(ctx, slow)
	if err := th.Succeeded(ctx, a, hard.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := th.Take(ctx, hard); err != nil {
		t.Fatalf("after clearing: %v", err)
	}

	// The window passes: attempts older than it no longer count.
	now = now.Add(2 * time.Minute)
	if a, err := th.Take(ctx, slow); err != nil || a.Delay != 0 {
		t.Fatalf("after the window: %v, delay %s", err, a.Delay)
	}
}
