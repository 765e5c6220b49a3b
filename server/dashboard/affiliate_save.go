package dashboard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/views"
)

// readAffiliateForm reads the posted affiliate form.
func readAffiliateForm(c *gin.Context) views.AffiliateForm {
	return views.AffiliateForm{
		Name: c.PostForm("name"), Email: c.PostForm("email"), Code: c.PostForm("code"), LandingURL: c.PostForm("landing_url"),
		CommissionType: c.PostForm("commission_type"), Percent: c.PostForm("percent"),
		FixedAmount: c.PostForm("fixed_amount"), FixedCurrency: c.PostForm("fixed_currency"),
	}
}

func affiliateInput(f views.AffiliateForm) (account.AffiliateInput, error) {
	rule, err := readRule(f.CommissionType, f.Percent, f.FixedAmount, f.FixedCurrency)
	return account.AffiliateInput{Name: f.Name, Email: f.Email, Code: f.Code, LandingURL: f.LandingURL, Commission: rule}, err
}

// handleAffiliateCreate creates an affiliate (account checks the input);
// a problem shows the form again with what was typed and the message.
func (h *Handler) handleAffiliateCreate(c *gin.Context) {
	t, err := h.tenant(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	f := readAffiliateForm(c)
	in, err := affiliateInput(f)
	if err == nil {
		created, cerr := h.deps.Accounts.CreateAffiliate(c.Request.Context(), t.ID, in)
		if cerr == nil {
			c.Redirect(http.StatusSeeOther, "/affiliates/"+created.ID+"?ok=affiliate-created")
			return
		}
		err = cerr
	}
	status, msg := h.userMessage(c, err)
	page := h.affiliatePage(c, t, "", f)
	page.Chrome.Error = msg
	h.render(c, status, views.AffiliateEdit(page))
}

// handleAffiliateUpdate saves an affiliate of the signed-in tenant; another
// tenant's id is not found.
func (h *Handler) handleAffiliateUpdate(c *gin.Context) {
	ctx := c.Request.Context()
	t, a, ok := h.tenantAffiliate(c)
	if !ok {
		return
	}
	f := readAffiliateForm(c)
	in, err := affiliateInput(f)
	if err == nil {
		if _, err = h.deps.Accounts.UpdateAffiliate(ctx, t.ID, a.ID, in); err == nil {
			c.Redirect(http.StatusSeeOther, "/affiliates/"+a.ID+"?ok=affiliate-saved")
			return
		}
	}
	status, msg := h.userMessage(c, err)
	page, perr := h.affiliateEditPage(c, t, a, f)
	if perr != nil {
		h.fail(c, perr)
		return
	}
	page.Link = account.Link(h.deps.Config.PublicURL, a.Code) // the saved code, not the refused one
	page.Chrome.Error = msg
	h.render(c, status, views.AffiliateEdit(page))
}
