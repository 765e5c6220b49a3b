package dashboard

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

// testEmail is the customer email the integration test links.
const testEmail = "integration-test@example.com"

// handleIntegration shows the guided test: open a test link, see the
// click, fire the thank-you call, see the link. static/app.js polls
// /integration/status.json to tick off each step as it happens.
func (h *Handler) handleIntegration(c *gin.Context) {
	ctx := c.Request.Context()
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	all, err := h.store.AffiliateOptions(ctx, t.ID, maxAffiliateOptions)
	if err != nil {
		h.fail(c, err)
		return
	}
	page := views.IntegrationPage{Chrome: h.chrome(c, "Test integration", "integration"), Website: t.Website, Timezone: t.Timezone}
	for _, a := range all {
		page.Affiliates = append(page.Affiliates, views.Option{Value: a.ID, Label: a.Name + " (" + a.Code + ")"})
	}
	if len(all) > 0 {
		page.HasAffiliate = true
		page.Affiliate = all[0]
		if id := c.Query("affiliate"); id != "" {
			if page.Affiliate, err = h.store.Affiliate(ctx, t.ID, id); err != nil {
				h.fail(c, err)
				return
			}
		}
	}
	if page.HasAffiliate {
		code := page.Affiliate.Code
		page.LinkURL = account.Link(h.deps.Config.PublicURL, code)
		if t.Website != "" {
			page.SiteURL = withQuery(t.Website, "aff", code)
		}
		page.DemoURL = pageURL("/integration/demo", "aff", code)
		// Steps count from a little before the page was shown, so a click
		// made while the page loaded is not missed.
		since := h.now().Add(-integrationGrace).UnixMilli()
		page.StatusURL = pageURL("/integration/status.json", "affiliate", page.Affiliate.ID, "since", strconv.FormatInt(since, 10))
		page.RestartURL = pageURL("/integration", "affiliate", page.Affiliate.ID)
		origins, err := h.store.RevenueOrigins(ctx, t.ID)
		if err != nil {
			h.fail(c, err)
			return
		}
		page.ThankYouSnippet = thankYouSnippet(t.ID, testEmail, defaultOrigin(origins))
	}
	conns, err := h.store.TenantConnections(ctx, t.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	for _, conn := range conns {
		page.StripeConnected = page.StripeConnected || conn.Active
	}
	h.render(c, http.StatusOK, views.Integration(page))
}

// withQuery adds name=value to a URL's query.
func withQuery(raw, name, value string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// integrationAffiliate reads ?affiliate= for the status endpoint: required,
// and the tenant's.
func (h *Handler) integrationAffiliate(c *gin.Context) (tracklane.Affiliate, error) {
	id := c.Query("affiliate")
	if id == "" {
		return tracklane.Affiliate{}, apperr.Errorf(apperr.Invalid, "affiliate is required")
	}
	return h.store.Affiliate(c.Request.Context(), tenantID(c), id)
}
