package apishape_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/apishape"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// TestShapes pins every JSON shape byte for byte (field order, nulls,
// empty lists, escaping, the commission fields of each kind of rule): the
// API, the CLI and SPEC's examples depend on them.
func TestShapes(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.FixedZone("x", 3600))
	paid := at.Add(time.Hour)
	for _, tc := range []struct {
		name  string
		shape any
		want  string
	}{
		{"paid payout", apishape.NewPayout(tracklane.Payout{ID: "po_1", AffiliateID: "aff_1", Currency: "eur", Amount: 1234, Status: tracklane.PayoutPaid,
			ConversionIDs: []string{"cv_1", "cv_2"}, Adjustments: []tracklane.PayoutAdjustment{{ConversionID: "cv_0", Amount: -100, Reason: "refund"}},
			PayoutEmail: "pay@example.com", Reference: "ref <1>", CreatedAt: at, PaidAt: &paid}),
			`{"id":"po_1","affiliate_id":"aff_1","currency":"eur","amount":1234,"status":"paid","conversion_ids":["cv_1","cv_2"],"adjustments":[{"conversion_id":"cv_0","amount":-100,"reason":"refund"}],"payout_email":"pay@example.com","reference":"ref \u003c1\u003e","created_at":"2026-03-04T04:06:07Z","paid_at":"2026-03-04T05:06:07Z"}`},
		{"pending payout", apishape.NewPayout(tracklane.Payout{ID: "po_2", AffiliateID: "aff_2", Currency: "usd", Status: tracklane.PayoutPending, CreatedAt: at}),
			`{"id":"po_2","affiliate_id":"aff_2","currency":"usd","amount":0,"status":"pending","conversion_ids":[],"adjustments":[],"payout_email":null,"reference":null,"created_at":"2026-03-04T04:06:07Z","paid_at":null}`},
		{"type on the tenant's rule", apishape.NewConversionType(tracklane.ConversionType{Code: "sale", Name: "Sale"}),
			`{"code":"sale","name":"Sale","commission_type":"tenant"}`},
		{"percent type", apishape.NewConversionType(tracklane.ConversionType{Code: "lead", Name: "Lead", Rule: &conversion.Rule{Type: conversion.Percent, BasisPoints: 1250}}),
			`{"code":"lead","name":"Lead","commission_type":"percent","commission_percent":12.5}`},
		{"fixed type", apishape.NewConversionType(tracklane.ConversionType{Code: "demo", Name: "Demo", Rule: &conversion.Rule{Type: conversion.Fixed, Fixed: 500, Currency: "usd"}}),
			`{"code":"demo","name":"Demo","commission_type":"fixed","commission_fixed":500,"currency":"usd"}`},
		{"full conversion", apishape.NewConversion(tracklane.Conversion{ID: "cv_1", TenantID: "t", AffiliateID: "aff_1", ClickID: "ck_1", ExternalCID: "cus_x",
			Source: tracklane.Source("click"), Coupon: "X", Flags: []string{"self_referral"}, StripeAccount: "acct_1", Livemode: true,
			StripeCustomer: "cus_1", StripeInvoice: "in_1", StripeCharge: "ch_1", StripeSubscription: "sub_1", Currency: "usd",
			GrossAmount: 999, Amount: 900, Commission: 180, Status: conversion.Status("approved"), CreatedAt: at, UpdatedAt: paid,
			History: []tracklane.HistoryEntry{{At: at, Status: conversion.Status("pending"), Reason: "payment", StripeEvent: "evt_1", Amount: 999, Commission: 200},
				{At: paid, Status: conversion.Status("approved"), Reason: "hold over", Amount: 900, Commission: 180}},
			PayoutID: "po_1", Origin: tracklane.OriginTracker, ConversionType: "lead", ExternalID: "ord-1", CustomerID: "c-1",
			CustomParams: map[string]string{"b": "2", "a": "1"}}),
			`{"id":"cv_1","status":"approved","amount":900,"currency":"usd","commission":180,"affiliate_id":"aff_1","click_id":"ck_1","source":"click","flags":["self_referral"],"external_cid":"cus_x","stripe_account":"acct_1","stripe_customer":"cus_1","stripe_invoice":"in_1","stripe_charge":"ch_1","stripe_subscription":"sub_1","livemode":true,"created_at":"2026-03-04T04:06:07Z","updated_at":"2026-03-04T05:06:07Z","history":[{"at":"2026-03-04T04:06:07Z","status":"pending","reason":"payment","stripe_event":"evt_1","amount":999,"commission":200},{"at":"2026-03-04T05:06:07Z","status":"approved","reason":"hold over","stripe_event":null,"amount":900,"commission":180}],"payout_id":"po_1","origin":"tracker","conversion_type":"lead","external_id":"ord-1","customer_id":"c-1","custom_params":{"a":"1","b":"2"}}`},
		{"bare conversion", apishape.NewConversion(tracklane.Conversion{ID: "cv_2", AffiliateID: "aff_2", Currency: "usd", Status: conversion.Status("pending"),
			Origin: tracklane.OriginStripe, CreatedAt: at, UpdatedAt: at}),
			`{"id":"cv_2","status":"pending","amount":0,"currency":"usd","commission":0,"affiliate_id":"aff_2","click_id":null,"source":"","flags":[],"external_cid":"","stripe_account":null,"stripe_customer":null,"stripe_invoice":null,"stripe_charge":null,"stripe_subscription":null,"livemode":false,"created_at":"2026-03-04T04:06:07Z","updated_at":"2026-03-04T04:06:07Z","history":[],"payout_id":null,"origin":"stripe","conversion_type":null,"external_id":null,"customer_id":null,"custom_params":{}}`},
		{"affiliate with coupons", apishape.NewAffiliate(tracklane.Affiliate{ID: "aff_1", Name: "Ann <b>", Email: "ann@example.com", Code: "ann", LandingURL: "https://shop.example/x",
			Coupons: []string{"ann10", "summer"}, Status: tracklane.AffiliateActive, PayoutEmail: "pp@example.com", CreatedAt: at}, "https://t.example/r/ann"),
			`{"id":"aff_1","name":"Ann \u003cb\u003e","email":"ann@example.com","code":"ann","landing_url":"https://shop.example/x","link":"https://t.example/r/ann","coupons":["ANN10","SUMMER"],"status":"active","payout_email":"pp@example.com","created_at":"2026-03-04T04:06:07Z"}`},
		{"affiliate without coupons", apishape.NewAffiliate(tracklane.Affiliate{ID: "aff_2", Name: "Bo", Email: "bo@example.com", Code: "bo", Status: tracklane.AffiliatePending, CreatedAt: at}, "https://t.example/r/bo"),
			`{"id":"aff_2","name":"Bo","email":"bo@example.com","code":"bo","landing_url":"","link":"https://t.example/r/bo","coupons":[],"status":"pending","payout_email":"","created_at":"2026-03-04T04:06:07Z"}`},
		{"click", apishape.NewClick(tracklane.Click{ID: "ck_1", AffiliateID: "aff_1", CreatedAt: at, LandingURL: "https://shop.example/?a=1&b=2", Referrer: "https://blog.example/",
			UTMSource: "news", UTMMedium: "email", UTMCampaign: "spring", UTMTerm: "t", UTMContent: "c", UserAgent: "UA", Device: "mobile", ExternalCID: "cus_1"}),
			`{"id":"ck_1","affiliate_id":"aff_1","landing_url":"https://shop.example/?a=1\u0026b=2","referrer":"https://blog.example/","created_at":"2026-03-04T04:06:07Z","external_cid":"cus_1","utm_source":"news","utm_medium":"email","utm_campaign":"spring","utm_term":"t","utm_content":"c","device":"mobile"}`},
		{"click without a customer", apishape.NewClick(tracklane.Click{ID: "ck_2", AffiliateID: "aff_1", CreatedAt: at}),
			`{"id":"ck_2","affiliate_id":"aff_1","landing_url":"","referrer":"","created_at":"2026-03-04T04:06:07Z","external_cid":null,"utm_source":"","utm_medium":"","utm_campaign":"","utm_term":"","utm_content":"","device":""}`},
	} {
		got, err := json.Marshal(tc.shape)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// TestPosition: a list's cursor starts after the full-precision time, not
// the whole seconds the JSON shows.
func TestPosition(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	for name, pos := range map[string]func() (time.Time, string){
		"payout":     apishape.NewPayout(tracklane.Payout{ID: "x", CreatedAt: at}).Position,
		"conversion": apishape.NewConversion(tracklane.Conversion{ID: "x", CreatedAt: at}).Position,
		"affiliate":  apishape.NewAffiliate(tracklane.Affiliate{ID: "x", CreatedAt: at}, "").Position,
		"click":      apishape.NewClick(tracklane.Click{ID: "x", CreatedAt: at}).Position,
	} {
		if tm, id := pos(); !tm.Equal(at) || id != "x" {
			t.Errorf("%s: Position() = %v, %q; want %v, x", name, tm, id, at)
		}
	}
}

// TestWritePayPal: rows without a payout email or an amount are left
// out, and so are rows whose email a spreadsheet would run as a formula or
// that holds a control character (stored before such addresses were
// refused); the amount is in major units of its currency; the note is the
// program's name on one line.
func TestWritePayPal(t *testing.T) {
	var buf bytes.Buffer
	err := apishape.WritePayPal(&buf, "  My\nShop =1 ", func(fn func(tracklane.Payout) error) error {
		for _, po := range []tracklane.Payout{
			{ID: "po_1", PayoutEmail: "a@example.com", Amount: 1234, Currency: "usd"},
			{ID: "po_2", PayoutEmail: "", Amount: 500, Currency: "usd"},
			{ID: "po_3", PayoutEmail: "c@example.com", Amount: 0, Currency: "usd"},
			{ID: "po_4", PayoutEmail: "d@example.com", Amount: 1500, Currency: "jpy"},
			{ID: "po_5", PayoutEmail: "=cmd|'/Ccalc'!A0@x.example", Amount: 100, Currency: "usd"},
			{ID: "po_6", PayoutEmail: "+1@x.example", Amount: 100, Currency: "usd"},
			{ID: "po_7", PayoutEmail: "-1@x.example", Amount: 100, Currency: "usd"},
			{ID: "po_8", PayoutEmail: "@x@x.example", Amount: 100, Currency: "usd"},
			{ID: "po_9", PayoutEmail: "e@x.example\r\n=1", Amount: 100, Currency: "usd"},
		} {
			if err := fn(po); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a@example.com,12.34,USD,po_1,Affiliate commission from My Shop =1\nd@example.com,1500,JPY,po_4,Affiliate commission from My Shop =1\n"; buf.String() != want {
		t.Errorf("got %q\nwant %q", buf.String(), want)
	}
}
