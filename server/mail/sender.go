package mail

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Outbox is the store's side of the sender: claim due mails under a
// lease, then record each attempt's outcome (store.Store implements it).
type Outbox interface {
	ClaimMail(ctx context.Context, now time.Time, lease time.Duration, n int) ([]Outgoing, error)
	MarkMailSent(ctx context.Context, id int64, at time.Time) error
	RescheduleMail(ctx context.Context, id int64, attempt int, next time.Time, reason string) error
	FailMail(ctx context.Context, id int64, attempt int, at time.Time, reason string) error
	ReleaseMail(ctx context.Context, id int64, attempt int, now time.Time) error
	PurgeMail(ctx context.Context, before time.Time) (int64, error)
}

// Transport hands one mail over: SMTP, or Logger when no server is set.
// A nil error means the server accepted it.
type Transport interface {
	Send(ctx context.Context, o Outgoing) error
}

// permanent marks an error no retry can fix.
type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent wraps err so the sender gives the mail up at once instead of
// retrying it.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err (or one it wraps) is Permanent.
func IsPermanent(err error) bool { return errors.As(err, new(permanent)) }

// Options tune the sender; zero values take the defaults (SPEC section 12:
// handed over within 20 s, retries within a minute backing off to at most
// 5 minutes, for at least 24 h). Tests shorten them.
type Options struct {
	Poll        time.Duration // how often the outbox is looked at; default 3s
	Lease       time.Duration // a claim's length; default 5m, at least 3 × SendTimeout
	SendTimeout time.Duration // bound on one send (go-mail's per-command timeout too); default 20s
	Batch       int           // mails claimed at once; default 20
	FirstRetry  time.Duration // wait after the first failure; default 15s, doubling
	MaxRetry    time.Duration // the longest wait between tries; default 5m
	GiveUpAfter time.Duration // give a mail up once it is this old and fails; default 24h
	Keep        time.Duration // how long sent and given-up mails stay in the outbox; default 30 days
	Now         func() time.Time
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Poll, 3*time.Second)
	def(&o.Lease, 5*time.Minute)
	def(&o.SendTimeout, 20*time.Second)
	def(&o.FirstRetry, 15*time.Second)
	def(&o.MaxRetry, 5*time.Minute)
	def(&o.GiveUpAfter, 24*time.Hour)
	def(&o.Keep, 30*24*time.Hour)
	// A mail is tried only while its lease has two sends' time left (see
	// round): a shorter lease would never let one go.
	o.Lease = max(o.Lease, 3*o.SendTimeout)
	if o.Batch <= 0 {
		o.Batch = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Backoff is the wait after the attempt-th failed try: first, doubled per
// further try, capped at most.
func Backoff(attempt int, first, most time.Duration) time.Duration {
	d := first
	for i := 1; i < attempt && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}

// Sender is the background loop that delivers the outbox. Several
// senders (in one process or many) may run on one database: each mail is
// claimed by one of them at a time.
type Sender struct {
	outbox    Outbox
	transport Transport
	opts      Options
	log       *slog.Logger
	wake      chan struct{}
}

// NewSender makes a sender; Run starts it.
func NewSender(outbox Outbox, transport Transport, opts Options, log *slog.Logger) *Sender {
	return &Sender{outbox: outbox, transport: transport, opts: opts.withDefaults(), log: log, wake: make(chan struct{}, 1)}
}

// Wake makes a waiting sender look at the outbox now (a mail was just
// enqueued in this process); it never blocks.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers mail until ctx is cancelled. A send in flight when ctx ends
// is finished and recorded; mails claimed but not yet tried are released
// for another sender.
func (s *Sender) Run(ctx context.Context) {
	var purged time.Time
	for {
		if now := s.opts.Now(); now.Sub(purged) >= time.Hour {
			purged = now
			s.purge(ctx, now)
		}
		full := s.round(ctx)
		if ctx.Err() != nil {
			return
		}
		if full {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-time.After(s.opts.Poll):
		}
	}
}

// round claims one batch and tries each mail in it; it reports whether the
// batch was full. Mails whose lease would run out before their send could
// end (slow servers earlier in the batch) are released untried: past its
// lease a mail may be claimed and sent by another sender.
func (s *Sender) round(ctx context.Context) bool {
	claimedAt := s.opts.Now()
	claimed, err := s.outbox.ClaimMail(ctx, claimedAt, s.opts.Lease, s.opts.Batch)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("mail: claiming the outbox failed", "err", err)
		}
		return false
	}
	for i, o := range claimed {
		if ctx.Err() != nil {
			s.release(claimed[i:])
			return false
		}
		if s.opts.Now().Sub(claimedAt) > s.opts.Lease-2*s.opts.SendTimeout {
			s.release(claimed[i:])
			return true
		}
		s.deliver(ctx, o)
	}
	return len(claimed) == s.opts.Batch
}

// deliver tries o once and records the outcome. Neither the send nor the
// record is cut short by ctx (the server stopping): a mail handed over
// must be marked sent, or it would go out twice.
func (s *Sender) deliver(ctx context.Context, o Outgoing) {
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.SendTimeout)
	err := s.transport.Send(sendCtx, o)
	cancel()
	recCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	now := s.opts.Now()
	if err == nil {
		s.record(recCtx, o, "marking sent", func() error { return s.outbox.MarkMailSent(recCtx, o.ID, now) })
		return
	}
	if IsPermanent(err) || now.Sub(o.CreatedAt) >= s.opts.GiveUpAfter {
		s.log.Error("mail: giving up", "id", o.ID, "kind", o.Kind, "attempts", o.Attempt, "err", err)
		s.record(recCtx, o, "giving up", func() error { return s.outbox.FailMail(recCtx, o.ID, o.Attempt, now, err.Error()) })
		return
	}
	wait := Backoff(o.Attempt, s.opts.FirstRetry, s.opts.MaxRetry)
	s.log.Warn("mail: not delivered, will retry", "id", o.ID, "kind", o.Kind, "attempt", o.Attempt, "retry_in", wait, "err", err)
	s.record(recCtx, o, "rescheduling", func() error {
		return s.outbox.RescheduleMail(recCtx, o.ID, o.Attempt, now.Add(wait), err.Error())
	})
}

// record runs a bookkeeping write, trying it up to three times: a mail
// left unmarked after the server accepted it is sent again when its lease
// ends (with the same Message-ID).
func (s *Sender) record(ctx context.Context, o Outgoing, what string, write func() error) {
	var err error
	for try := range 3 {
		if err = write(); err == nil {
			return
		}
		if try < 2 {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(try+1) * 500 * time.Millisecond):
			}
		}
	}
	s.log.Error("mail: "+what+" failed; the mail is tried again when its lease ends", "id", o.ID, "err", err)
}

// purge deletes mails done for longer than Keep (every sender does it,
// hourly; the deletes do not conflict).
func (s *Sender) purge(ctx context.Context, now time.Time) {
	n, err := s.outbox.PurgeMail(ctx, now.Add(-s.opts.Keep))
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.Warn("mail: purging old mails failed", "err", err)
	case n > 0:
		s.log.Info("mail: purged old mails from the outbox", "count", n)
	}
}

// release hands back mails claimed but not tried.
func (s *Sender) release(claimed []Outgoing) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, o := range claimed {
		if err := s.outbox.ReleaseMail(ctx, o.ID, o.Attempt, s.opts.Now()); err != nil {
			s.log.Warn("mail: releasing a claimed mail failed; it is due again when its lease ends", "id", o.ID, "err", err)
		}
	}
}
