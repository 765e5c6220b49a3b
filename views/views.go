// Package views holds the merchant dashboard's templ components: one file
// per page, the shared layout, and the typed parameters each page takes.
// Components only present what they are given; handlers in
// server/dashboard decide what that is.
package views

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/money"
	"github.com/tracklane/tracklane/server/tracklane"
)

// Chrome is what every signed-in page shows around its content.
type Chrome struct {
	Title      string
	Active     string // the nav item to highlight: overview, conversions, …
	TenantName string
	Email      string
	CSRF       string // the session's CSRF token, for every POST form
	Notice     string // a success message after an action
	Error      string // a problem to show above the content
	AssetQuery string // "?v=…" appended to static asset URLs to bust caches
	// Applicants is how many affiliates applied and wait for a decision
	// (at most 100 counted): the Affiliates entry shows it.
	Applicants int
}

// NavItem is one entry of the sidebar.
type NavItem struct {
	Key, Label, Href, Icon string
}

// Nav lists the sidebar entries in order.
var Nav = []NavItem{
	{"overview", "Overview", "/", "M3 13h4v8H3zM10 8h4v13h-4zM17 3h4v18h-4z"},
	{"conversions", "Conversions", "/conversions", "M4 12l5 5L20 6"},
	{"clicks", "Clicks", "/clicks", "M9 3v4M3 9h4M5 5l2.5 2.5M12 12l8 3-3.5 1.5L15 20z"},
	{"payouts", "Payouts", "/payouts", "M3 7h18v10H3zM3 11h18M7 15h3"},
	{"affiliates", "Affiliates", "/affiliates", "M16 11a4 4 0 1 0-8 0M4 21a8 8 0 0 1 16 0M12 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6"},
	{"integration", "Test integration", "/integration", "M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"},
	{"settings", "Settings", "/settings", "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-2.9 1.2V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-2.9-1.2l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1A1.7 1.7 0 0 0 3 15H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.2-2.9l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1A1.7 1.7 0 0 0 10 3.1V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 2.9 1.2l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0 1.2 2.9H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z"},
}

// Period is the chosen range of days of a page, as the period picker shows
// it.
type Period struct {
	Key      string // "7d", "30d", "90d" or "custom"
	From, To string // YYYY-MM-DD, both inclusive (links)
	// FromText and ToText are the same days as the pages write them
	// ("8 Dec 2026"), for the date fields.
	FromText, ToText string
	Label            string // "Last 30 days", "3 Mar – 9 Mar 2026"
	Timezone         string
}

// Param is a query parameter a filter form carries along.
type Param struct{ Name, Value string }

// Option is one choice of a select.
type Option struct{ Value, Label string }

// link builds path?query from pairs of name, value; empty values are left
// out.
func link(path string, pairs ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			q.Set(pairs[i], pairs[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// periodLink is the URL of path for another period, keeping params.
func periodLink(path, key string, params []Param) string {
	pairs := []string{}
	for _, p := range params {
		pairs = append(pairs, p.Name, p.Value)
	}
	return link(path, append(pairs, "period", key)...)
}

func num(n int64) string { return money.Int(n) }

func fmtMoney(minor int64, cur string) string { return money.Format(minor, cur) }

// fmtTime renders t in loc as "9 Mar 2026, 14:05".
func fmtTime(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2 Jan 2006, 15:04")
}

// ago renders how long before now t was ("3 min ago", "in 12 min").
func ago(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		s = "less than a minute"
	case d < time.Hour:
		s = strconv.Itoa(int(d.Minutes())) + " min"
	case d < 48*time.Hour:
		s = strconv.Itoa(int(d.Hours())) + " h"
	default:
		s = strconv.Itoa(int(d.Hours()/24)) + " days"
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// MaskEmail hides most of the local part of an email: "b***@example.com".
// It is for pages that show a merchant's customers to someone else (the
// affiliate portal); the merchant's own pages show emails in full.
func MaskEmail(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" {
		r := []rune(e)
		if len(r) <= 1 {
			return e
		}
		return string(r[0]) + "***" // a rune, not a byte: "é…" stays valid text
	}
	r := []rune(local)
	return string(r[0]) + "***@" + domain
}

// statusClass is the badge colour of a conversion status.
func statusClass(s conversion.Status) string {
	switch s {
	case conversion.Approved:
		return "badge badge-green"
	case conversion.Pending:
		return "badge badge-amber"
	case conversion.Refunded, conversion.Cancelled:
		return "badge badge-gray"
	case conversion.Disputed, conversion.Rejected:
		return "badge badge-red"
	case conversion.Test:
		return "badge badge-violet"
	}
	return "badge"
}

// StripeURL links an object in the Stripe Dashboard, in test mode when the
// conversion is not live. kind is "invoices", "payments" or "customers".
func StripeURL(kind, id string, livemode bool) string {
	if livemode {
		return "https://dashboard.stripe.com/" + kind + "/" + id
	}
	return "https://dashboard.stripe.com/test/" + kind + "/" + id
}

// short cuts a long string for a table cell (the full value goes in a
// title attribute).
func short(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// displayURL drops the scheme of a URL for a compact table cell.
func displayURL(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	return strings.TrimSuffix(s, "/")
}

// utm joins the UTM tags of a click that are set.
func utm(c tracklane.Click) string {
	var parts []string
	for _, v := range []string{c.UTMSource, c.UTMMedium, c.UTMCampaign} {
		if v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " / ")
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// RuleText describes a commission rule in words.
func RuleText(r conversion.Rule) string {
	if r.Type == conversion.Fixed {
		return money.Format(r.Fixed, r.Currency) + " per payment"
	}
	return r.PercentString() + "% of each payment"
}

// f1 renders a coordinate with at most one decimal.
func f1(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// pageOf shows a landing URL as host and path: its query (the affiliate
// code, UTM tags) has columns of its own. The full URL is in the title.
func pageOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return displayURL(raw)
	}
	return u.Host + u.EscapedPath()
}

// SourceLabel says in words what attributed a conversion.
func SourceLabel(s tracklane.Source, coupon string) string {
	switch s {
	case tracklane.SourceCoupon:
		return "promotion code " + strings.ToUpper(coupon)
	case tracklane.SourceClickID:
		return "click id carried into Stripe"
	default:
		return "email link (thank-you page)"
	}
}

// applicantsCount is the Affiliates entry's badge: the applicants waiting
// (99+ past 99).
func applicantsCount(n int) string {
	if n > 99 {
		return "99+"
	}
	return strconv.Itoa(n)
}

func applicantsTitle(n int) string {
	if n == 1 {
		return "1 applicant waits for your decision"
	}
	return applicantsCount(n) + " applicants wait for your decision"
}
