package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// clickSnippet is SPEC.md section 2's loader with this server's script URL
// and the tenant's id: merchants paste it unchanged.
func clickSnippet(publicURL, tenantID string) string {
	return `<script async src="` + publicURL + `/tracking.js"></script>
<script>
(function(t,d,k){(t[k]=t[k]||[]).push(d);t[d]=t[d]||t[k].f||function(){(t[d].q=t[d].q||[]).push(arguments)}})(window,"trackdesk","TrackdeskObject");
trackdesk('` + tenantID + `', 'click');
</script>`
}

// thankYouCall is the thank-you call with the default revenue origin; the
// merchant puts the customer's email in place of email.
func thankYouCall(tenantID, email, originID string) string {
	return `trackdesk('` + tenantID + `', 'externalCid', {externalCid: '` + email + `', revenueOriginId: '` + originID + `'});`
}

// thankYouSnippet is the thank-you call as the merchant pastes it: a
// complete <script> block, like the click snippet, for the thank-you page
// (which also carries the click snippet in its <head>).
func thankYouSnippet(tenantID, email, originID string) string {
	return "<script>\n" + thankYouCall(tenantID, email, originID) + "\n</script>"
}

// defaultOrigin returns the tenant's default revenue origin id.
func defaultOrigin(origins []tracklane.RevenueOrigin) string {
	for _, o := range origins {
		if o.IsDefault {
			return o.ID
		}
	}
	if len(origins) > 0 {
		return origins[0].ID
	}
	return ""
}

func (h *Handler) handleSettings(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	page, err := h.settingsPage(c, t)
	if err != nil {
		h.fail(c, err)
		return
	}
	if f, ok := h.takeFlash(c, flashToken); ok {
		page.NewToken, page.NewTokenName = f.Value, f.Name
	} else if f, ok := h.takeFlash(c, flashStripeToken); ok {
		page.Connect.NewToken = f.Value
	}
	h.render(c, http.StatusOK, views.Settings(page))
}

// settingsPage gathers every section of the settings page, with the form
// showing the stored settings.
func (h *Handler) settingsPage(c *gin.Context, t tracklane.Tenant) (views.SettingsPage, error) {
	ctx := c.Request.Context()
	origins, err := h.store.RevenueOrigins(ctx, t.ID)
	if err != nil {
		return views.SettingsPage{}, err
	}
	tokens, err := h.store.PersonalTokens(ctx, t.ID)
	if err != nil {
		return views.SettingsPage{}, err
	}
	conns, err := h.store.TenantConnections(ctx, t.ID)
	if err != nil {
		return views.SettingsPage{}, err
	}
	parked, err := h.store.TenantParkedEvents(ctx, t.ID)
	if err != nil {
		return views.SettingsPage{}, err
	}
	return views.SettingsPage{
		Program: h.programSettings(t),
		Chrome:  h.chrome(c, "Settings", "settings"), Loc: location(t.Timezone), Now: h.now(), TenantID: t.ID,
		ClickSnippet:    clickSnippet(h.deps.Config.PublicURL, t.ID),
		ThankYouSnippet: thankYouSnippet(t.ID, "CUSTOMER_EMAIL", defaultOrigin(origins)),
		Origins:         origins, Tokens: tokens, Connections: conns, Parked: parked, SyncConfigured: h.deps.Checker != nil,
		Form: settingsForm(t), Timezones: zoneNames, Connect: h.stripeConnect(c, t.ID, "settings"),
	}, nil
}

// stripeConnect says how Stripe connects on this server, for the Stripe
// section of Settings and the Overview's getting-started card (from names
// which, for the token form to come back to).
func (h *Handler) stripeConnect(c *gin.Context, tenantID, from string) views.StripeConnect {
	cfg := h.deps.Config
	return views.StripeConnect{
		TenantID: tenantID, CSRF: h.csrfToken(session(c)), From: from,
		AppSecretSet: cfg.StripeAppSecret != "", LiveKey: cfg.StripeSecretKey != "", TestKey: cfg.StripeTestSecretKey != "",
	}
}

func settingsForm(t tracklane.Tenant) views.SettingsForm {
	f := views.SettingsForm{
		Name: t.Name, Website: t.Website,
		CookieDays: strconv.Itoa(t.CookieDays), AttributionDays: strconv.Itoa(t.AttributionDays), HoldDays: strconv.Itoa(t.HoldDays),
		Recurring: t.Recurring.Kind, Timezone: t.Timezone, AllowedHosts: strings.Join(t.AllowedHosts, "\n"),
	}
	if t.Recurring.Kind == "months" {
		f.RecurringMonths = strconv.Itoa(t.Recurring.Months)
	}
	rule := t.Commission
	f.CommissionType, f.Percent, f.FixedAmount, f.FixedCurrency = ruleFields(&rule)
	if f.Percent == "" {
		f.Percent = "20"
	}
	return f
}
