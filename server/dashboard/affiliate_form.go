package dashboard

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// handleAffiliateNew shows an empty affiliate form.
func (h *Handler) handleAffiliateNew(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.render(c, http.StatusOK, views.AffiliateEdit(h.affiliatePage(c, t, "", views.AffiliateForm{})))
}

// handleAffiliateEdit shows an affiliate's form, link and recent activity.
func (h *Handler) handleAffiliateEdit(c *gin.Context) {
	t, a, ok := h.tenantAffiliate(c)
	if !ok {
		return
	}
	page, err := h.affiliateEditPage(c, t, a, affiliateForm(a))
	if err != nil {
		h.fail(c, err)
		return
	}
	if f, ok := h.takeFlash(c, flashInvite); ok && f.For == a.ID {
		page.Portal.InviteURL, page.Portal.InviteTo, page.Portal.InviteCapped = f.Value, f.To, f.Capped
	}
	h.render(c, http.StatusOK, views.AffiliateEdit(page))
}

func affiliateForm(a tracklane.Affiliate) views.AffiliateForm {
	f := views.AffiliateForm{Name: a.Name, Email: a.Email, Code: a.Code, LandingURL: a.LandingURL}
	f.CommissionType, f.Percent, f.FixedAmount, f.FixedCurrency = ruleFields(a.Commission)
	return f
}

// affiliatePage is the form page around f.
func (h *Handler) affiliatePage(c *gin.Context, t tracklane.Tenant, id string, f views.AffiliateForm) views.AffiliateFormPage {
	title := "New affiliate"
	if id != "" {
		title = f.Name
	}
	page := views.AffiliateFormPage{
		Chrome: h.chrome(c, title, "affiliates"), ID: id, Form: f, Website: t.Website,
		DefaultRule: views.RuleText(t.Commission), DefaultCurrency: "usd",
	}
	// The placeholders show the tenant's own rule, the one an affiliate
	// without an override follows.
	rule := t.Commission
	_, page.DefaultPercent, page.DefaultFixed, _ = ruleFields(&rule)
	if rule.Type == conversion.Fixed {
		page.DefaultCurrency = rule.Currency
	}
	return page
}

// affiliateEditPage adds the link and the last 30 days' activity.
func (h *Handler) affiliateEditPage(c *gin.Context, t tracklane.Tenant, a tracklane.Affiliate, f views.AffiliateForm) (views.AffiliateFormPage, error) {
	page := h.affiliatePage(c, t, a.ID, f)
	page.Link = account.Link(h.deps.Config.PublicURL, a.Code)
	page.Form.Code = f.Code
	p, err := readPeriod(url.Values{}, t.Timezone, h.now(), "30d")
	if err != nil {
		return page, err
	}
	stats, err := h.store.AffiliateStats(c.Request.Context(), t.ID, []string{a.ID}, p.days)
	if err != nil {
		return page, err
	}
	page.Stats = stats[a.ID]
	page.PeriodLabel = p.view.Label
	coupons, err := h.store.AffiliateCoupons(c.Request.Context(), t.ID, []string{a.ID})
	if err != nil {
		return page, err
	}
	page.Coupons = strings.ToUpper(strings.Join(coupons[a.ID], ", "))
	page.Portal = views.AffiliatePortal{ID: a.ID, Status: a.Status, PayoutEmail: a.PayoutEmail, MailConfigured: h.deps.MailConfigured,
		EmailUnconfirmed: a.EmailUnconfirmed}
	return page, nil
}

// tenantAffiliate loads the signed-in tenant and its affiliate named by the
// :id parameter (another tenant's id is not found); on failure it has
// answered and ok is false.
func (h *Handler) tenantAffiliate(c *gin.Context) (t tracklane.Tenant, a tracklane.Affiliate, ok bool) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return t, a, false
	}
	if a, err = h.store.Affiliate(c.Request.Context(), t.ID, c.Param("id")); err != nil {
		h.fail(c, err)
		return t, a, false
	}
	return t, a, true
}
