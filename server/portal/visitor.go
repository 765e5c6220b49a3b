package portal

import (
	"time"

	"github.com/gin-gonic/gin"
)

// noteBrowser records the browser of a signed-in affiliate by the tracker's
// keyed visitor hash (never the IP), for the affiliate_own_browser signal.
// A failure is logged, not shown: the affiliate's page does not depend on
// it.
func (h *Handler) noteBrowser(c *gin.Context, tenantID, affiliateID string, now time.Time) {
	if h.deps.VisitorHash == nil {
		return
	}
	v := h.deps.VisitorHash(c.ClientIP(), c.Request.UserAgent(), now)
	if err := h.store.RecordPortalVisitor(c.Request.Context(), tenantID, affiliateID, v, now); err != nil {
		h.log.WarnContext(c.Request.Context(), "noting the portal browser", "err", err)
	}
}

// sameUTCDay reports whether a and b fall on the same UTC day, the day the
// visitor hash is keyed by.
func sameUTCDay(a, b time.Time) bool {
	ay, am, ad := a.UTC().Date()
	by, bm, bd := b.UTC().Date()
	return ay == by && am == bm && ad == bd
}
