package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apishape"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/jsonbody"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/store"
	"github.com/tracklane/tracklane/server/tracklane"
)

// ConversionTypeAccounts manages conversion types (account.Service).
type ConversionTypeAccounts interface {
	ConversionTypes(ctx context.Context, tenantID string) ([]tracklane.ConversionType, error)
	SetConversionType(ctx context.Context, tenantID string, in account.ConversionTypeInput) (tracklane.ConversionType, error)
	DeleteConversionType(ctx context.Context, tenantID, code string) error
}

// conversionOriginFilters reads the origin= and conversion_type= filters
// of the conversion list.
func conversionOriginFilters(c *gin.Context, f *store.ConversionFilter) error {
	switch o := tracklane.Origin(c.Query("origin")); o {
	case "", tracklane.OriginStripe, tracklane.OriginTracker:
		f.Origin = o
	default:
		return apperr.Errorf(apperr.Invalid, "origin must be stripe or tracker")
	}
	if t := c.Query("conversion_type"); t != "" {
		if !tracklane.ValidConversionTypeCode(t) {
			return apperr.Errorf(apperr.Invalid, "conversion_type is a code of a-z, 0-9, _ and -")
		}
		f.ConversionType = t
	}
	return nil
}

func (h *Handler) handleConversionTypeList(c *gin.Context) {
	types, err := h.accounts.ConversionTypes(c.Request.Context(), tenantOf(c))
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	out := make([]apishape.ConversionType, len(types))
	for i, ct := range types {
		out[i] = apishape.NewConversionType(ct)
	}
	c.JSON(http.StatusOK, list[apishape.ConversionType]{Data: out})
}

type conversionTypeRequest struct {
	Name              string      `json:"name"`
	CommissionType    string      `json:"commission_type"`
	CommissionPercent json.Number `json:"commission_percent"`
	CommissionFixed   *int64      `json:"commission_fixed"`
	Currency          string      `json:"currency"`
}

// handleConversionTypeSave creates or changes the type named in the path.
func (h *Handler) handleConversionTypeSave(c *gin.Context) {
	var req conversionTypeRequest
	if err := jsonbody.Decode(c.Writer, c.Request, 4<<10, &req); err != nil {
		respond.Error(c, h.log, err)
		return
	}
	in := account.ConversionTypeInput{Code: c.Param("code"), Name: req.Name}
	switch req.CommissionType {
	case "tenant":
	case "percent":
		bp, err := conversion.ParsePercent(req.CommissionPercent.String())
		if err != nil {
			respond.Errorf(c, apperr.Invalid, "commission_percent: %v", err)
			return
		}
		in.Rule = &conversion.Rule{Type: conversion.Percent, BasisPoints: bp}
	case "fixed":
		if req.CommissionFixed == nil {
			respond.Errorf(c, apperr.Invalid, "commission_fixed (minor units) is required for a fixed commission")
			return
		}
		in.Rule = &conversion.Rule{Type: conversion.Fixed, Fixed: *req.CommissionFixed, Currency: strings.ToLower(strings.TrimSpace(req.Currency))}
	default:
		respond.Errorf(c, apperr.Invalid, "commission_type must be tenant, percent or fixed")
		return
	}
	ct, err := h.accounts.SetConversionType(c.Request.Context(), tenantOf(c), in)
	if err != nil {
		respond.Error(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, apishape.NewConversionType(ct))
}

func (h *Handler) handleConversionTypeDelete(c *gin.Context) {
	if err := h.accounts.DeleteConversionType(c.Request.Context(), tenantOf(c), c.Param("code")); err != nil {
		respond.Error(c, h.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}
