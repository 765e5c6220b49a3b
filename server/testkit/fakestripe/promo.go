package fakestripe

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Coupons, promotion codes and the discounts they make.
//
// A discount (di_…) is what applying a promotion code creates: on a one-off
// invoice (discount.invoice), on a subscription (discount.subscription; its
// invoices carry it while the coupon's duration lasts) or on a payment-mode
// Checkout Session. Stripe serves no route for discounts: they appear as ids
// in invoice.discounts (objects with expand[]=discounts) and, in the
// 2023-10-16 shape, as the object in invoice.discount / subscription.discount.

type coupon struct {
	id, name, currency, duration string
	percentOff                   float64
	amountOff, durationInMonths  int64
	created, timesRedeemed       int64
	metadata                     map[string]string
}

type promotionCode struct {
	id, code, coupon       string
	created, timesRedeemed int64
	metadata               map[string]string
}

type discount struct {
	id, coupon, promotionCode, customer string
	invoice, subscription, checkoutSess string
	start, end                          int64
	once                                bool // the coupon's duration is "once"
}

// CouponParams describes a coupon for CreateCoupon: exactly one of PercentOff
// and AmountOff.
type CouponParams struct {
	// PercentOff is 0 < percent_off <= 100 (0: an amount-off coupon).
	PercentOff float64
	// AmountOff is amount_off in the minor unit of Currency (0: a
	// percent-off coupon).
	AmountOff int64
	// Currency of AmountOff (default "usd"; null on a percent-off coupon).
	Currency string
	// Name is the coupon's name shown to customers ("" → null).
	Name string
	// Duration is "once" (default, as Stripe's), "forever" or "repeating".
	Duration string
	// DurationInMonths is required for (and only allowed with) "repeating".
	DurationInMonths int64
	// At is when the coupon was created (zero: now). Its coupon.created
	// and promotion_code.created events carry that time: a story whose
	// payments are dated before now should give an At no later than them,
	// or those events sort after the payments' (and a sync cursor on them
	// skips the payments).
	At time.Time
}

// CreateCoupon creates a coupon (an 8-character id, as Stripe generates),
// emits coupon.created and returns its id. GET /v1/coupons/{id} serves it.
func (s *Server) CreateCoupon(account string, livemode bool, p CouponParams) string {
	if (p.PercentOff > 0) == (p.AmountOff > 0) || p.PercentOff < 0 || p.AmountOff < 0 || p.PercentOff > 100 {
		panic(fmt.Sprintf("fakestripe: CreateCoupon: want exactly one of 0 < PercentOff <= 100 and AmountOff > 0, got %v and %d", p.PercentOff, p.AmountOff))
	}
	dur := p.Duration
	if dur == "" {
		dur = "once"
	}
	switch {
	case dur == "repeating" && p.DurationInMonths > 0:
	case (dur == "once" || dur == "forever") && p.DurationInMonths == 0:
	default:
		panic(fmt.Sprintf("fakestripe: CreateCoupon: duration %q with duration_in_months %d", dur, p.DurationInMonths))
	}
	at := p.At
	if at.IsZero() {
		at = time.Now()
	}
	c := &coupon{name: p.Name, duration: dur, percentOff: p.PercentOff, amountOff: p.AmountOff,
		durationInMonths: p.DurationInMonths, created: at.Unix()}
	if p.AmountOff > 0 {
		c.currency = p.Currency
		if c.currency == "" {
			c.currency = "usd"
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.part(account, livemode)
	c.id = s.newID("", 8)
	o := s.add(pt, "coupon", c.id, at, c)
	s.emit(pt, "coupon.created", at, o, nil, true)
	return c.id
}

// CreatePromotionCode creates an active promotion code with the
// customer-facing code for a coupon of the same account and mode, emits
// promotion_code.created and returns the promo_… id. GET
// /v1/promotion_codes/{id} serves it. Codes are letters, digits and dashes,
// unique (case-insensitively) among the account's promotion codes in that
// mode that are still readable; it panics otherwise.
func (s *Server) CreatePromotionCode(account string, livemode bool, couponID, code string) string {
	if code == "" || strings.TrimLeft(code, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
		panic(fmt.Sprintf("fakestripe: CreatePromotionCode: code %q: want letters, digits and dashes", code))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pt := s.part(account, livemode)
	co := mustGet(pt, couponID, "coupon")
	if co.deleted {
		panic(fmt.Sprintf("fakestripe: CreatePromotionCode: coupon %s is deleted", couponID))
	}
	for _, o := range pt.objects {
		if pc, ok := o.v.(*promotionCode); ok && !o.deleted && strings.EqualFold(pc.code, code) {
			panic(fmt.Sprintf("fakestripe: CreatePromotionCode: code %q is already %s's", code, pc.id))
		}
	}
	at := time.Unix(co.created, 0)
	pc := &promotionCode{id: s.id("promo_"), code: code, coupon: couponID, created: at.Unix()}
	o := s.add(pt, "promotion_code", pc.id, at, pc)
	s.emit(pt, "promotion_code.created", at, o, nil, true)
	return pc.id
}

// promoCoupon returns the usable promotion code promoID of pt and its coupon.
func promoCoupon(pt *partition, promoID, who string) (*promotionCode, *coupon) {
	po := mustGet(pt, promoID, "promotion_code")
	pc := po.v.(*promotionCode)
	co := mustGet(pt, pc.coupon, "coupon")
	if po.deleted || co.deleted {
		panic(fmt.Sprintf("fakestripe: %s: promotion code %s (coupon %s) is deleted", who, promoID, pc.coupon))
	}
	return pc, co.v.(*coupon)
}

// newDiscount records a discount made by redeeming promotion code pc.
func (s *Server) newDiscount(pt *partition, pc *promotionCode, c *coupon, customer string, at time.Time) *discount {
	d := &discount{id: s.id("di_"), coupon: c.id, promotionCode: pc.id, customer: customer,
		start: at.Unix(), once: c.duration == "once"}
	if c.duration == "repeating" {
		d.end = at.AddDate(0, int(c.durationInMonths), 0).Unix()
	}
	c.timesRedeemed++
	pc.timesRedeemed++
	s.add(pt, "discount", d.id, at, d)
	return d
}

// discountSplit returns the subtotal before discounts and the amount each
// coupon (applied in order, each to what the previous ones left) took off,
// given net = the subtotal after them (tax excluded). A 100%-off coupon
// cannot be undone from its result: it discounts fallback (the price the
// caller knows), or nothing when fallback is 0.
func discountSplit(net, fallback int64, cs []*coupon) (subtotal int64, amounts []int64) {
	x := net
	for i := len(cs) - 1; i >= 0; i-- {
		switch c := cs[i]; {
		case c.amountOff > 0:
			x += c.amountOff
		case c.percentOff >= 100:
			x = max(x, fallback)
		default:
			x = int64(math.Round(float64(x) * 100 / (100 - c.percentOff)))
		}
	}
	left := x
	amounts = make([]int64, len(cs))
	var sum int64
	for i, c := range cs {
		var a int64
		if c.amountOff > 0 {
			a = c.amountOff
		} else {
			a = int64(math.Round(float64(left) * c.percentOff / 100))
		}
		a = max(0, min(a, left))
		amounts[i] = a
		left -= a
		sum += a
	}
	// Rounding may leave a cent between left and net: the subtotal is what
	// the discounts and the net add up to.
	return net + sum, amounts
}

// ---------------------------------------------------------------------------
// rendering

func renderCoupon(c *coupon, deleted, live bool) m {
	var percent, dim any
	if c.percentOff > 0 {
		percent = c.percentOff
	}
	if c.duration == "repeating" {
		dim = c.durationInMonths
	}
	return m{
		"id":                 c.id,
		"object":             "coupon",
		"amount_off":         intOrNil(c.amountOff),
		"created":            c.created,
		"currency":           strOrNil(c.currency),
		"duration":           c.duration,
		"duration_in_months": dim,
		"livemode":           live,
		"max_redemptions":    nil,
		"metadata":           metadata(c.metadata),
		"name":               strOrNil(c.name),
		"percent_off":        percent,
		"redeem_by":          nil,
		"times_redeemed":     c.timesRedeemed,
		"valid":              !deleted,
	}
}

// renderPromotionCode renders a promotion code: in the 2023-10-16 shape with
// its coupon object, in the newer one (2025-09-30.clover) with
// promotion {type: coupon, coupon: id}. It is inactive once its coupon is
// deleted.
func renderPromotionCode(p *partition, pc *promotionCode, live bool, sh Shape) m {
	co := p.objects[pc.coupon]
	r := m{
		"id":              pc.id,
		"object":          "promotion_code",
		"active":          !co.deleted,
		"code":            pc.code,
		"created":         pc.created,
		"customer":        nil,
		"expires_at":      nil,
		"livemode":        live,
		"max_redemptions": nil,
		"metadata":        metadata(pc.metadata),
		"restrictions": m{
			"first_time_transaction":  false,
			"minimum_amount":          nil,
			"minimum_amount_currency": nil,
		},
		"times_redeemed": pc.timesRedeemed,
	}
	if sh == ShapeNew {
		r["customer_account"] = nil
		r["promotion"] = m{"type": "coupon", "coupon": pc.coupon}
	} else {
		r["coupon"] = renderCoupon(co.v.(*coupon), co.deleted, live)
	}
	return r
}

// renderDiscount renders a discount object: promotion_code is an id; the
// coupon is the object (2023-10-16) or source {type: coupon, coupon: id}
// (2025-09-30.clover).
func renderDiscount(p *partition, id string, sh Shape) m {
	o := p.objects[id]
	d := o.v.(*discount)
	r := m{
		"id":                d.id,
		"object":            "discount",
		"checkout_session":  strOrNil(d.checkoutSess),
		"customer":          strOrNil(d.customer),
		"end":               intOrNil(d.end),
		"invoice":           strOrNil(d.invoice),
		"invoice_item":      nil,
		"promotion_code":    strOrNil(d.promotionCode),
		"start":             d.start,
		"subscription":      strOrNil(d.subscription),
		"subscription_item": nil,
	}
	if sh == ShapeNew {
		r["customer_account"] = nil
		r["source"] = m{"type": "coupon", "coupon": d.coupon}
	} else {
		co := p.objects[d.coupon]
		r["coupon"] = renderCoupon(co.v.(*coupon), co.deleted, o.live)
	}
	return r
}

// discountIDs renders ids as the unexpanded list Stripe sends.
func discountIDs(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// soleDiscount is the deprecated singular discount field of the 2023-10-16
// shape: the discount object when there is exactly one, else null ("Not
// populated if there are multiple discounts").
func soleDiscount(p *partition, ids []string, sh Shape) any {
	if len(ids) != 1 {
		return nil
	}
	return renderDiscount(p, ids[0], sh)
}
