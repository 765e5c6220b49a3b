package tracking

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/ident"
	"github.com/tracklane/tracklane/server/jsonbody"
	"github.com/tracklane/tracklane/server/respond"
	"github.com/tracklane/tracklane/server/tracklane"
)

// maxBody caps the tracker endpoints' request bodies.
const maxBody = 16 << 10

type clickRequest struct {
	TenantID string `json:"tenantId"`
	Aff      string `json:"aff"`
	URL      string `json:"url"`
	Referrer string `json:"referrer"`
	CID      string `json:"cid"`
}

type clickResponse struct {
	CID       string `json:"cid"`
	ExpiredAt string `json:"expiredAt"`
}

func (h *Handler) handleClick(c *gin.Context) {
	var req clickRequest
	if err := jsonbody.Decode(c.Writer, c.Request, maxBody, &req); err != nil {
		h.fail(c, err)
		return
	}
	ua := capString(c.Request.UserAgent(), 512)
	if isBot(ua) {
		h.observer.Bot()
		c.Status(http.StatusNoContent)
		return
	}
	in, err := h.parseClick(req)
	if err != nil {
		h.fail(c, err)
		return
	}
	ctx := c.Request.Context()
	tenant, err := h.tenant(ctx, in.tenantID)
	if err != nil {
		h.fail(c, err)
		return
	}
	if !hostAllowed(tenant.AllowedHosts, in.landing) {
		respond.Errorf(c, apperr.Forbidden, "clicks from %s are not allowed for this tenant", in.landing.Hostname())
		return
	}
	aff, err := h.affiliate(ctx, tenant.ID, in.code)
	if err != nil {
		h.fail(c, err)
		return
	}
	if aff.Status != tracklane.AffiliateActive {
		// Only an active affiliate earns clicks (SPEC section 8): any other
		// is answered as an unknown code, from the row already read.
		respond.Errorf(c, apperr.NotFound, "no affiliate with code %q", in.code)
		return
	}
	click, err := h.record(c, tenant, aff, in.landing.String(), in.landing.Query(), in.referrer, in.cid, ua)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, clickResponse{CID: click.ID, ExpiredAt: expiry(click, tenant)})
}

// record returns the click for this visit, committed before it returns:
// the one a repeat visit within the hour (same tenant, affiliate and
// visitor — by the cookie's cid, else by the keyed hash of IP and user
// agent) already has, or a new one. The batch it joins decides (see
// Batcher); query is the landing URL's query, for the UTM tags.
func (h *Handler) record(c *gin.Context, tenant tracklane.Tenant, aff tracklane.Affiliate, landing string, query url.Values, referrer, cid, ua string) (tracklane.Click, error) {
	// Microseconds, as PostgreSQL stores it: a new click's answer and a
	// repeat's (read back) then agree to the second.
	now := h.now().UTC().Truncate(time.Microsecond)
	click := tracklane.Click{
		ID: ident.ClickID(), TenantID: tenant.ID, AffiliateID: aff.ID, CreatedAt: now,
		LandingURL: landing, Referrer: referrer, UserAgent: ua, Device: device(ua),
		VisitorHash: h.visitors.hash(c.ClientIP(), ua, now), CookieCID: cid,
		UTMSource:   capString(query.Get("utm_source"), 200),
		UTMMedium:   capString(query.Get("utm_medium"), 200),
		UTMCampaign: capString(query.Get("utm_campaign"), 200),
		UTMTerm:     capString(query.Get("utm_term"), 200),
		UTMContent:  capString(query.Get("utm_content"), 200),
	}
	return h.batcher.Add(c.Request.Context(), click)
}

func expiry(c tracklane.Click, t tracklane.Tenant) string {
	return c.CreatedAt.Add(time.Duration(t.CookieDays) * 24 * time.Hour).UTC().Format(time.RFC3339)
}

type clickInput struct {
	tenantID, code, referrer, cid string
	landing                       *url.URL
}

// parseClick checks and normalises a click request. An affiliate code that
// cannot exist is simply unknown (404), like one that does not.
func (h *Handler) parseClick(req clickRequest) (clickInput, error) {
	in := clickInput{tenantID: strings.TrimSpace(req.TenantID)}
	if in.tenantID == "" {
		return in, apperr.Errorf(apperr.Invalid, "tenantId is required")
	}
	if len(in.tenantID) > 64 {
		return in, apperr.Errorf(apperr.NotFound, "unknown tenant")
	}
	in.code = tracklane.FoldCode(req.Aff)
	if in.code == "" {
		return in, apperr.Errorf(apperr.Invalid, "aff (the affiliate code) is required")
	}
	if !tracklane.ValidCode(in.code) {
		return in, apperr.Errorf(apperr.NotFound, "unknown affiliate %q", capString(in.code, 40))
	}
	landing, err := parseWebURL(req.URL)
	if err != nil {
		return in, apperr.Errorf(apperr.Invalid, "url must be the page's absolute http(s) URL")
	}
	in.landing = landing
	if ref, err := parseWebURL(req.Referrer); err == nil {
		in.referrer = ref.String()
	} // a referrer that is not a URL is dropped, not an error: browsers send odd ones
	if tracklane.ValidClickID(req.CID) {
		in.cid = req.CID
	}
	return in, nil
}

// parseWebURL accepts an absolute http(s) URL of at most 2048 bytes.
func parseWebURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 2048 || !utf8.ValidString(s) {
		return nil, errBadURL
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errBadURL
	}
	u.User = nil // never keep credentials someone put in a URL
	return u, nil
}

var errBadURL = apperr.Errorf(apperr.Invalid, "not an absolute http(s) URL")

// hostAllowed reports whether u's host is one of the tenant's allowed hosts
// or a subdomain of one; an empty list allows every host.
func hostAllowed(allowed []string, u *url.URL) bool {
	if len(allowed) == 0 {
		return true
	}
	host := strings.ToLower(u.Hostname())
	for _, a := range allowed {
		a = strings.ToLower(a)
		if host == a || strings.HasSuffix(host, "."+a) {
			return true
		}
	}
	return false
}

// capString cuts s to at most n bytes on a rune boundary and drops invalid
// UTF-8, which PostgreSQL would refuse.
func capString(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	s = strings.ReplaceAll(s, "\x00", "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
