package dashboard

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/money"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// typeOptions lists the tenant's conversion types for the type filter.
func (h *Handler) typeOptions(c *gin.Context, t tracklane.Tenant) ([]views.Option, error) {
	stored, err := h.store.ConversionTypes(c.Request.Context(), t.ID)
	if err != nil {
		return nil, err
	}
	types := tracklane.ResolveConversionTypes(tracklane.TenantCurrency(t), stored)
	out := make([]views.Option, len(types))
	for i, ct := range types {
		out[i] = views.Option{Value: ct.Code, Label: ct.Name}
	}
	return out, nil
}

// customParamsCell writes custom params as a JSON object for the CSV.
func customParamsCell(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m) // a map of strings always encodes
	return string(b)
}

// ConversionTypeAccounts manages conversion types and the cap on a
// reported amount (account.Service).
type ConversionTypeAccounts interface {
	SetConversionType(ctx context.Context, tenantID string, in account.ConversionTypeInput) (tracklane.ConversionType, error)
	DeleteConversionType(ctx context.Context, tenantID, code string) error
	SetMaxConversionAmount(ctx context.Context, tenantID string, minor int64) error
}

// conversionTypesPage gathers the page with the stored types and cap.
func (h *Handler) conversionTypesPage(c *gin.Context, t tracklane.Tenant) (views.ConversionTypesPage, error) {
	ctx := c.Request.Context()
	stored, err := h.store.ConversionTypes(ctx, t.ID)
	if err != nil {
		return views.ConversionTypesPage{}, err
	}
	max, err := h.store.MaxConversionAmount(ctx, t.ID)
	if err != nil {
		return views.ConversionTypesPage{}, err
	}
	cur := tracklane.TenantCurrency(t)
	return views.ConversionTypesPage{
		Chrome: h.chrome(c, "Conversion types", "settings"), TenantID: t.ID, Currency: cur, Max: max,
		Types: tracklane.ResolveConversionTypes(cur, stored), MaxInput: money.Decimal(max, cur),
		Form: views.ConversionTypeForm{Rule: "fixed"},
	}, nil
}

func (h *Handler) handleConversionTypes(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.conversionTypesPage(c, t)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, views.ConversionTypes(page))
}

// handleConversionTypeSave creates or changes a type from the form.
func (h *Handler) handleConversionTypeSave(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	form := views.ConversionTypeForm{Code: c.PostForm("code"), Name: c.PostForm("name"), Rule: c.PostForm("rule"), Value: c.PostForm("value")}
	in, err := typeInput(form, tracklane.TenantCurrency(t))
	if err == nil {
		_, err = h.deps.Accounts.SetConversionType(c.Request.Context(), t.ID, in)
	}
	h.afterTypeChange(c, t, err, form, "", "type-saved")
}

func (h *Handler) handleConversionTypeDelete(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	err = h.deps.Accounts.DeleteConversionType(c.Request.Context(), t.ID, c.Param("code"))
	h.afterTypeChange(c, t, err, views.ConversionTypeForm{Rule: "fixed"}, "", "type-deleted")
}

func (h *Handler) handleMaxConversionAmount(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	cur := tracklane.TenantCurrency(t)
	minor, perr := money.Parse(c.PostForm("max"), cur)
	if perr != nil {
		err = apperr.Errorf(apperr.Invalid, "largest amount: %v", perr)
	} else {
		err = h.deps.Accounts.SetMaxConversionAmount(c.Request.Context(), t.ID, minor)
	}
	h.afterTypeChange(c, t, err, views.ConversionTypeForm{Rule: "fixed"}, c.PostForm("max"), "max-saved")
}

// afterTypeChange redirects to the page after a change, or shows it again
// with the error and what was typed.
func (h *Handler) afterTypeChange(c *gin.Context, t tracklane.Tenant, err error, form views.ConversionTypeForm, maxInput, ok string) {
	if err == nil {
		c.Redirect(http.StatusSeeOther, "/settings/conversion-types?ok="+ok)
		return
	}
	status, msg := h.userMessage(c, err)
	page, perr := h.conversionTypesPage(c, t)
	if perr != nil {
		h.fail(c, perr)
		return
	}
	page.Error, page.Form = msg, form
	if maxInput != "" {
		page.MaxInput = maxInput
	}
	h.render(c, status, views.ConversionTypes(page))
}

// typeInput reads the type form: a percent ("12.5") or a fixed amount in
// the tenant's currency ("5.00"), or the tenant's own rule.
func typeInput(f views.ConversionTypeForm, currency string) (account.ConversionTypeInput, error) {
	in := account.ConversionTypeInput{Code: f.Code, Name: f.Name}
	switch f.Rule {
	case "tenant":
	case "percent":
		bp, err := conversion.ParsePercent(f.Value)
		if err != nil {
			return in, apperr.Errorf(apperr.Invalid, "percent: %v", err)
		}
		in.Rule = &conversion.Rule{Type: conversion.Percent, BasisPoints: bp}
	case "fixed":
		minor, err := money.Parse(f.Value, currency)
		if err != nil {
			return in, apperr.Errorf(apperr.Invalid, "fixed commission: %v", err)
		}
		in.Rule = &conversion.Rule{Type: conversion.Fixed, Fixed: minor, Currency: currency}
	default:
		return in, apperr.Errorf(apperr.Invalid, "choose how the type pays: your commission rule, a percent or a fixed amount")
	}
	return in, nil
}
