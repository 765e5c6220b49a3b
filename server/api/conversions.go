package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apishape"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
)

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
	out := make([]apishape.Conversion, len(rows))
	for i, r := range rows {
		out[i] = apishape.NewConversion(r)
	}
	c.JSON(http.StatusOK, newList(out, p.Limit, apishape.Conversion.Position))
}
