package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

type conversionJSON struct {
	ID                 string        `json:"id"`
	Status             string        `json:"status"`
	Amount             int64         `json:"amount"`
	Currency           string        `json:"currency"`
	Commission         int64         `json:"commission"`
	AffiliateID        string        `json:"affiliate_id"`
	ClickID            *string       `json:"click_id"`
	Source             string        `json:"source"`
	Flags              []string      `json:"flags"`
	ExternalCID        string        `json:"external_cid"`
	StripeAccount      *string       `json:"stripe_account"`
	StripeCustomer     *string       `json:"stripe_customer"`
	StripeInvoice      *string       `json:"stripe_invoice"`
	StripeCharge       *string       `json:"stripe_charge"`
	StripeSubscription *string       `json:"stripe_subscription"`
	Livemode           bool          `json:"livemode"`
	CreatedAt          string        `json:"created_at"`
	UpdatedAt          string        `json:"updated_at"`
	History            []historyJSON `json:"history"`
	PayoutID           *string       `json:"payout_id"`
	// SPEC section 11: where it came from, and what the site reported.
	Origin         string            `json:"origin"`
	ConversionType *string           `json:"conversion_type"`
	ExternalID     *string           `json:"external_id"`
	CustomerID     *string           `json:"customer_id"`
	CustomParams   map[string]string `json:"custom_params"`
	createdAt      time.Time
}

type historyJSON struct {
	At          string  `json:"at"`
	Status      string  `json:"status"`
	Reason      string  `json:"reason"`
	StripeEvent *string `json:"stripe_event"`
	Amount      int64   `json:"amount"`
	Commission  int64   `json:"commission"`
}

// nullable renders "" as JSON null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toConversionJSON(c tracklane.Conversion) conversionJSON {
	out := conversionJSON{
		ID: c.ID, Status: string(c.Status), Amount: c.Amount, Currency: c.Currency, Commission: c.Commission,
		AffiliateID: c.AffiliateID, ClickID: nullable(c.ClickID), Source: string(c.Source), Flags: append([]string{}, c.Flags...), ExternalCID: c.ExternalCID, StripeAccount: nullable(c.StripeAccount),
		StripeCustomer: nullable(c.StripeCustomer), StripeInvoice: nullable(c.StripeInvoice),
		StripeCharge: nullable(c.StripeCharge), StripeSubscription: nullable(c.StripeSubscription),
		Livemode: c.Livemode, CreatedAt: rfc3339(c.CreatedAt), UpdatedAt: rfc3339(c.UpdatedAt),
		History: make([]historyJSON, len(c.History)), createdAt: c.CreatedAt,
		PayoutID: nullable(c.PayoutID),
		Origin:   string(c.Origin), ConversionType: nullable(c.ConversionType), ExternalID: nullable(c.ExternalID),
		CustomerID: nullable(c.CustomerID), CustomParams: c.CustomParams,
	}
	if out.CustomParams == nil {
		out.CustomParams = map[string]string{}
	}
	for i, h := range c.History {
		out.History[i] = historyJSON{At: rfc3339(h.At), Status: string(h.Status), Reason: h.Reason,
			StripeEvent: nullable(h.StripeEvent), Amount: h.Amount, Commission: h.Commission}
	}
	return out
}

func (h *Handler) handleConversionList(c *gin.Context) {
	p, err := page(c)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	f := store.ConversionFilter{Status: conversion.Status(c.Query("status"))}
	if f.Status != "" && !f.Status.Valid() {
		respond.Errorf(c, apperr.Invalid, "status must be one of pending, approved, refunded, cancelled, disputed, rejected, test")
		return
	}
	if err := conversionOriginFilters(c, &f); err != nil {
		respond.Error(c, h.log, err)
		return
	}
	if f.AffiliateID, err = h.filterAffiliate(c); err != nil {
		respond.Error(c, h.log, err)
		return
	}
	rows, err := h.store.Conversions(c.Request.Context(), tenantOf(c), f, p)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	out := make([]conversionJSON, len(rows))
	for i, r := range rows {
		out[i] = toConversionJSON(r)
	}
	c.JSON(http.StatusOK, newList(out, p.Limit, func(r conversionJSON) (time.Time, string) { return r.createdAt, r.ID }))
}
