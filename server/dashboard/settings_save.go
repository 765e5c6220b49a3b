package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
	"github.com/tracklane/tracklane/views"
)

func readSettingsForm(c *gin.Context) views.SettingsForm {
	return views.SettingsForm{
		Name: c.PostForm("name"), Website: c.PostForm("website"),
		CookieDays: c.PostForm("cookie_days"), AttributionDays: c.PostForm("attribution_days"), HoldDays: c.PostForm("hold_days"),
		CommissionType: c.PostForm("commission_type"), Percent: c.PostForm("percent"),
		FixedAmount: c.PostForm("fixed_amount"), FixedCurrency: c.PostForm("fixed_currency"),
		Recurring: c.PostForm("recurring"), RecurringMonths: c.PostForm("recurring_months"),
		Timezone: c.PostForm("timezone"), AllowedHosts: c.PostForm("allowed_hosts"),
	}
}

// settingsInput reads the typed form into a full settings change; the
// rules on the values are account's.
func settingsInput(f views.SettingsForm) (account.SettingsInput, error) {
	in := account.SettingsInput{Name: &f.Name, Website: &f.Website, Timezone: &f.Timezone}
	for _, d := range []struct {
		s    string
		dst  **int
		name string
	}{
		{f.CookieDays, &in.CookieDays, "cookie window"},
		{f.AttributionDays, &in.AttributionDays, "attribution window"},
		{f.HoldDays, &in.HoldDays, "hold period"},
	} {
		n, err := strconv.Atoi(strings.TrimSpace(d.s))
		if err != nil {
			return in, apperr.Errorf(apperr.Invalid, "the %s must be a whole number of days", d.name)
		}
		*d.dst = &n
	}
	typ := f.CommissionType
	if typ == "" {
		typ = string(conversion.Percent)
	}
	rule, err := readRule(typ, f.Percent, f.FixedAmount, f.FixedCurrency)
	if err != nil {
		return in, err
	}
	in.Commission = rule
	recurring := f.Recurring
	if recurring == "months" {
		recurring = "months:" + strings.TrimSpace(f.RecurringMonths)
	}
	r, err := conversion.ParseRecurring(recurring)
	if err != nil {
		return in, apperr.Errorf(apperr.Invalid, "%v", err)
	}
	in.Recurring = &r
	hosts := strings.FieldsFunc(f.AllowedHosts, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ' ' })
	in.AllowedHosts = &hosts
	return in, nil
}

// handleSettingsSave stores the settings form through account, which also
// re-buckets the rollups when the timezone changed.
func (h *Handler) handleSettingsSave(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	f := readSettingsForm(c)
	in, err := settingsInput(f)
	if err == nil {
		if _, err = h.deps.Accounts.UpdateSettings(c.Request.Context(), t.ID, in); err == nil {
			c.Redirect(http.StatusSeeOther, "/settings?ok=settings-saved#rules")
			return
		}
	}
	h.settingsRefused(c, t, err, func(p *views.SettingsPage, msg string) { p.Form, p.FormError = f, msg })
}

// settingsRefused shows the settings page again after a refused action,
// with err's status and message: set puts the message, and what was
// typed, on the action's form.
func (h *Handler) settingsRefused(c *gin.Context, t tracklane.Tenant, err error, set func(p *views.SettingsPage, msg string)) {
	status, msg := h.userMessage(c, err)
	page, perr := h.settingsPage(c, t)
	if perr != nil {
		h.fail(c, perr)
		return
	}
	set(&page, msg)
	h.render(c, status, views.Settings(page))
}
