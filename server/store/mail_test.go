package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/mail"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/testkit/storetest"
)

// Eight claimers on their own connections race over 200 due mails: every
// mail is claimed by exactly one of them.
func TestClaimMailNeverClaimsTwice(t *testing.T) {
	t.Parallel()
	st, dsn := storetest.New(t)
	ctx := context.Background()
	const n = 200
	for i := range n {
		if err := st.EnqueueMail(ctx, mail.Message{Kind: mail.KindInvitation, To: fmt.Sprintf("a%d@x.test", i), Subject: "s", Text: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claims := map[int64]int{}
	var wg sync.WaitGroup
	for range 8 {
		other, err := store.Open(ctx, dsn, storetest.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { other.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := other.ClaimMail(ctx, time.Now(), time.Hour, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, o := range got {
					claims[o.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claims) != n {
		t.Errorf("%d mails claimed, want %d", len(claims), n)
	}
	for id, c := range claims {
		if c != 1 {
			t.Errorf("mail %d claimed %d times", id, c)
		}
	}
}

// A claim's lease hides the mail until it ends; a rescheduled mail is due
// at its next attempt; a sent or given-up mail is never claimed again.
func TestClaimMailLeaseAndOutcomes(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	for _, to := range []string{"a@x.test", "b@x.test"} {
		if err := st.EnqueueMail(ctx, mail.Message{TenantID: "", Kind: mail.KindPayoutPaid, To: to, Subject: "Paid", Text: "t", HTML: "<p>t</p>", Link: "https://l"}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	got, err := st.ClaimMail(ctx, now, time.Minute, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim: %+v %v", got, err)
	}
	a, b := got[0], got[1]
	if a.To != "a@x.test" || a.Kind != mail.KindPayoutPaid || a.HTML != "<p>t</p>" || a.Link != "https://l" || a.Attempt != 1 || a.CreatedAt.IsZero() {
		t.Errorf("claimed: %+v", a)
	}
	claim := func(at time.Time) int {
		got, err := st.ClaimMail(ctx, at, time.Minute, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(got)
	}
	if n := claim(now.Add(59 * time.Second)); n != 0 {
		t.Errorf("%d mails claimed during their lease", n)
	}
	if err := st.MarkMailSent(ctx, a.ID, now); err != nil {
		t.Fatal(err)
	}
	if err := st.RescheduleMail(ctx, b.ID, b.Attempt, now.Add(10*time.Second), "421 try later"); err != nil {
		t.Fatal(err)
	}
	if n := claim(now.Add(9 * time.Second)); n != 0 {
		t.Errorf("%d mails claimed before their next attempt", n)
	}
	again, err := st.ClaimMail(ctx, now.Add(11*time.Second), time.Minute, 10)
	if err != nil || len(again) != 1 || again[0].ID != b.ID || again[0].Attempt != 2 {
		t.Fatalf("after the retry wait: %+v %v", again, err)
	}
	if err := st.FailMail(ctx, b.ID, again[0].Attempt, now, "gave up"); err != nil {
		t.Fatal(err)
	}
	if n := claim(now.Add(48 * time.Hour)); n != 0 {
		t.Errorf("%d sent or given-up mails claimed again", n)
	}
	rows, err := st.MailOutbox(ctx, 10)
	if err != nil || len(rows) != 2 || rows[0].SentAt == nil || rows[1].FailedAt == nil || rows[1].LastError != "gave up" {
		t.Errorf("outbox: %+v %v", rows, err)
	}
}

// Released claims do not count as attempts and are due at once.
func TestReleaseMail(t *testing.T) {
	t.Parallel()
	st, _ := storetest.New(t)
	ctx := context.Background()
	if err := st.EnqueueMail(ctx, mail.Message{Kind: mail.KindInvitation, To: "a@x.test", Subject: "s", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	got, _ := st.ClaimMail(ctx, now, time.Hour, 1)
	if err := st.ReleaseMail(ctx, got[0].ID, got[0].Attempt, now); err != nil {
		t.Fatal(err)
	}
	again, err := st.ClaimMail(ctx, now, time.Hour, 1)
	if err != nil || len(again) != 1 || again[0].Attempt != 1 {
		t.Errorf("after release: %+v %v", again, err)
	}
}
