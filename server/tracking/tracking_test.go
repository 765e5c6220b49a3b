package tracking_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/testkit/apptest"
)

type clickAnswer struct {
	CID       string `json:"cid"`
	ExpiredAt string `json:"expiredAt"`
}

func click(t *testing.T, a *apptest.App, tenant, aff, ua string, extra ...string) (int, clickAnswer) {
	t.Helper()
	body := fmt.Sprintf(`{"tenantId":%q,"aff":%q,"url":"https://shop.example/pricing?aff=%s&utm_source=news&utm_campaign=spring","referrer":"https://blog.example/post"%s}`,
		tenant, aff, aff, strings.Join(extra, ""))
	status, data := a.Do(t, "POST", "/tracking/click/v1", body, "Content-Type: text/plain;charset=UTF-8", "User-Agent: "+ua)
	var ans clickAnswer
	if status == http.StatusOK {
		ans = apptest.Decode[clickAnswer](t, data)
	}
	return status, ans
}

func TestClickIsRecordedWithCookieWindow(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	aff := a.NewAffiliate(t, ten.ID, "partner-one")

	status, ans := click(t, a, ten.ID, "Partner-One", "Mozilla/5.0 Firefox")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	exp, err := time.Parse(time.RFC3339, ans.ExpiredAt)
	if err != nil {
		t.Fatalf("expiredAt %q: %v", ans.ExpiredAt, err)
	}
	if d := time.Until(exp); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("expiredAt %s is not 30 days away", exp)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM clicks WHERE id = $1 AND tenant_id = $2 AND affiliate_id = $3
		AND utm_source = 'news' AND utm_campaign = 'spring' AND referrer = 'https://blog.example/post'
		AND landing_url LIKE 'https://shop.example/pricing?%' AND device = 'desktop' AND length(visitor_hash) = 32`,
		ans.CID, ten.ID, aff.ID); n != 1 {
		t.Fatalf("click row not stored as expected (%d rows)", n)
	}
}

func TestRepeatVisitGetsTheSameClick(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "rep")

	_, first := click(t, a, ten.ID, "rep", "Mozilla/5.0 Chrome")
	_, again := click(t, a, ten.ID, "rep", "Mozilla/5.0 Chrome")
	if again.CID != first.CID {
		t.Errorf("same IP+UA within the hour: cid %s, want %s", again.CID, first.CID)
	}
	_, other := click(t, a, ten.ID, "rep", "Mozilla/5.0 Safari")
	if other.CID == first.CID {
		t.Errorf("another browser got the same click")
	}
	// The cookie's cid identifies the visitor even when IP+UA differ.
	_, byCookie := click(t, a, ten.ID, "rep", "Mozilla/5.0 Edge", fmt.Sprintf(`,"cid":%q`, first.CID))
	if byCookie.CID != first.CID {
		t.Errorf("cookie cid not honoured: %s, want %s", byCookie.CID, first.CID)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM clicks WHERE tenant_id = $1`, ten.ID); n != 2 {
		t.Errorf("%d click rows, want 2", n)
	}
}

func TestClickRefusals(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	other := a.NewTenant(t, "Other")
	a.NewAffiliate(t, ten.ID, "good")
	a.NewAffiliate(t, other.ID, "theirs")

	cases := []struct {
		name, body, ua string
		want           int
	}{
		{"bot", fmt.Sprintf(`{"tenantId":%q,"aff":"good","url":"https://shop.example/"}`, ten.ID), "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 204},
		{"link preview", fmt.Sprintf(`{"tenantId":%q,"aff":"good","url":"https://shop.example/"}`, ten.ID), "facebookexternalhit/1.1", 204},
		{"unknown tenant", `{"tenantId":"tn_nobody","aff":"good","url":"https://shop.example/"}`, "Mozilla/5.0", 404},
		{"unknown affiliate", fmt.Sprintf(`{"tenantId":%q,"aff":"nobody","url":"https://shop.example/"}`, ten.ID), "Mozilla/5.0", 404},
		{"another tenant's affiliate", fmt.Sprintf(`{"tenantId":%q,"aff":"theirs","url":"https://shop.example/"}`, ten.ID), "Mozilla/5.0", 404},
		{"impossible code", fmt.Sprintf(`{"tenantId":%q,"aff":"<script>","url":"https://shop.example/"}`, ten.ID), "Mozilla/5.0", 404},
		{"malformed JSON", `{"tenantId":`, "Mozilla/5.0", 400},
		{"wrong type", `{"tenantId":5}`, "Mozilla/5.0", 400},
		{"empty body", ``, "Mozilla/5.0", 400},
		{"not a URL", fmt.Sprintf(`{"tenantId":%q,"aff":"good","url":"javascript:alert(1)"}`, ten.ID), "Mozilla/5.0", 400},
		{"no affiliate", fmt.Sprintf(`{"tenantId":%q,"url":"https://shop.example/"}`, ten.ID), "Mozilla/5.0", 400},
		{"oversized", fmt.Sprintf(`{"tenantId":%q,"aff":"good","url":"https://shop.example/","referrer":%q}`, ten.ID, strings.Repeat("x", 20000)), "Mozilla/5.0", 413},
	}
	for _, tc := range cases {
		status, data := a.Do(t, "POST", "/tracking/click/v1", tc.body, "User-Agent: "+tc.ua)
		if status != tc.want {
			t.Errorf("%s: status %d (%s), want %d", tc.name, status, data, tc.want)
		}
		if status >= 400 && !strings.Contains(string(data), `"message"`) {
			t.Errorf("%s: no error message in %s", tc.name, data)
		}
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM clicks`); n != 0 {
		t.Errorf("%d clicks stored by refused requests", n)
	}
	if status, _ := a.Do(t, "HEAD", "/tracking/click/v1", nil); status != 204 {
		t.Errorf("HEAD: %d, want 204", status)
	}
}

func TestOddInputIsStoredSafely(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "odd")
	body := fmt.Sprintf(`{"tenantId":%q,"aff":"odd","url":"https://shop.example/?q=<script>alert(1)</script>","referrer":"not a url <script>","cid":"'; DROP TABLE clicks;--"}`, ten.ID)
	status, data := a.Do(t, "POST", "/tracking/click/v1", body, "User-Agent: Mozilla/5.0 <script>alert(1)</script>")
	if status != 200 {
		t.Fatalf("status %d: %s", status, data)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM clicks WHERE referrer = '' AND landing_url LIKE '%script%'`); n != 1 {
		t.Errorf("odd click not stored as expected")
	}
}

func TestEmailLink(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	other := a.NewTenant(t, "Other")
	a.NewAffiliate(t, ten.ID, "linker")
	a.NewAffiliate(t, other.ID, "otherlinker")
	_, c1 := click(t, a, ten.ID, "linker", "Mozilla/5.0 One")
	_, theirs := click(t, a, other.ID, "otherlinker", "Mozilla/5.0 One")

	link := func(body string) (int, string) {
		status, data := a.Do(t, "POST", "/tracking/external-cid/v1", body, "Content-Type: text/plain")
		return status, string(data)
	}
	if s, d := link(fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":"  Bob@Example.COM ","revenueOriginId":%q}`, ten.ID, c1.CID, ten.OriginID)); s != 200 || d != `{"ok":true}` {
		t.Fatalf("link: %d %s", s, d)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM customer_links WHERE external_cid = 'bob@example.com' AND click_id = $1 AND revenue_origin_id = $2`, c1.CID, ten.OriginID); n != 1 {
		t.Errorf("link not stored normalised")
	}
	// No origin → the default origin.
	if s, d := link(fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":"carol@example.com"}`, ten.ID, c1.CID)); s != 200 {
		t.Fatalf("link without origin: %d %s", s, d)
	}
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"unknown tenant", fmt.Sprintf(`{"tenantId":"tn_nobody","cid":%q,"externalCid":"x@example.com"}`, c1.CID), 404},
		{"another tenant's click", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":"x@example.com"}`, ten.ID, theirs.CID), 404},
		{"unknown click", fmt.Sprintf(`{"tenantId":%q,"cid":"nope","externalCid":"x@example.com"}`, ten.ID), 404},
		{"another tenant's origin", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":"x@example.com","revenueOriginId":%q}`, ten.ID, c1.CID, other.OriginID), 422},
		{"no email", fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":"  "}`, ten.ID, c1.CID), 400},
		{"malformed", `{"tenantId"`, 400},
	} {
		if s, d := link(tc.body); s != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, s, d, tc.want)
		}
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM customer_links`); n != 2 {
		t.Errorf("%d links, want 2 (refused ones must write nothing)", n)
	}
}

func TestRedirectLink(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	aff := a.NewAffiliate(t, ten.ID, "redir")

	req, _ := http.NewRequest("GET", a.URL+"/r/REDIR?utm_source=twitter", nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 Redirect")
	req.Header.Set("Referer", "https://social.example/post/1")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d", resp.StatusCode)
	}
	loc, _ := resp.Location()
	cid := loc.Query().Get("cid")
	if loc.Host != "shop.example" || loc.Path != "/" || cid == "" || loc.Query().Get("utm_source") != "twitter" {
		t.Fatalf("redirected to %s", loc)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM clicks WHERE id = $1 AND affiliate_id = $2 AND utm_source = 'twitter' AND referrer = 'https://social.example/post/1'`, cid, aff.ID); n != 1 {
		t.Errorf("redirect click not recorded")
	}

	status, _ := a.Do(t, "GET", "/r/redir", nil, "User-Agent: Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
	if status != http.StatusFound {
		t.Errorf("bot: status %d, want a redirect", status)
	}
	if status, _ := a.Do(t, "GET", "/r/no-such-code", nil); status != http.StatusNotFound {
		t.Errorf("unknown code: %d", status)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM clicks`); n != 1 {
		t.Errorf("%d clicks, want 1 (bots record nothing)", n)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, map[string]string{"TRACKING_RATE_LIMIT": "1"})
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "limited")
	limited := 0
	for i := 0; i < 40; i++ {
		status, _ := click(t, a, ten.ID, "limited", fmt.Sprintf("Mozilla/5.0 n%d", i))
		if status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("40 clicks at once from one IP with a limit of 1/s: none refused")
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM clicks`); n != 40-limited {
		t.Errorf("%d clicks stored, %d accepted", n, 40-limited)
	}
}

func TestPreflightAndScript(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	req, _ := http.NewRequest("OPTIONS", a.URL+"/tracking/click/v1", nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}

	req, _ = http.NewRequest("GET", a.URL+"/tracking.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
		t.Fatalf("script: %d %v", resp.StatusCode, resp.Header)
	}
	req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
	resp, err = http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", resp.StatusCode)
	}
}

func TestAllowedHostnames(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "hosts")
	hosts := []string{"shop.example"}
	if _, err := a.Accounts.UpdateSettings(context.Background(), ten.ID, account.SettingsInput{AllowedHosts: &hosts}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url  string
		want int
	}{
		{"https://shop.example/p", 200},
		{"https://www.shop.example/p", 200},
		{"https://evil.example/p", 403},
		{"https://shop.example.evil.example/p", 403},
	} {
		body := fmt.Sprintf(`{"tenantId":%q,"aff":"hosts","url":%q}`, ten.ID, tc.url)
		if s, d := a.Do(t, "POST", "/tracking/click/v1", body, "User-Agent: Mozilla/5.0 "+tc.url); s != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.url, s, d, tc.want)
		}
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM clicks`); n != 2 {
		t.Errorf("%d clicks, want 2", n)
	}
}

func TestFloodFromOneAddressSparesOthers(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, map[string]string{"TRACKING_RATE_LIMIT": "20", "TRUSTED_PROXIES": "127.0.0.1/32"})
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "flood")
	body := fmt.Sprintf(`{"tenantId":%q,"aff":"flood","url":"https://shop.example/"}`, ten.ID)
	var wg sync.WaitGroup
	var mu sync.Mutex
	floodCodes := map[int]int{}
	start := time.Now()
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 60; i++ {
				s, _ := a.Do(t, "POST", "/tracking/click/v1", body, "X-Forwarded-For: 203.0.113.66", fmt.Sprintf("User-Agent: Mozilla/5.0 flood %d-%d", g, i))
				mu.Lock()
				floodCodes[s]++
				mu.Unlock()
			}
		}(g)
	}
	legit := 0
	for i := 0; i < 10; i++ { // real visitors, each from its own address
		s, _ := a.Do(t, "POST", "/tracking/click/v1", body, fmt.Sprintf("X-Forwarded-For: 198.51.100.%d", i+1), fmt.Sprintf("User-Agent: Mozilla/5.0 visitor %d", i))
		if s == 200 {
			legit++
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	if legit != 10 {
		t.Errorf("%d of 10 legitimate clicks got through during the flood", legit)
	}
	// The bucket holds a burst of 2×20 and refills at 20/s: no more may pass.
	if allowed := float64(floodCodes[200]); allowed > 40+20*elapsed.Seconds()+5 || floodCodes[429] == 0 {
		t.Errorf("the flood was not held back: %v in %s", floodCodes, elapsed)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM clicks`); n != floodCodes[200]+legit {
		t.Errorf("%d clicks stored, %d acknowledged", n, floodCodes[200]+legit)
	}
	t.Logf("flood of 480 requests from one address: %v; legitimate: %d/10", floodCodes, legit)
}

// Any NUL or invalid UTF-8 in a field of a tracker request is a 400 (SPEC
// §14), whichever endpoint and field it is in: PostgreSQL cannot hold a
// NUL, and a field changed silently is not what the page sent.
func TestNULAndInvalidUTF8AreRefused(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, nil)
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "nul")
	_, ck := click(t, a, ten.ID, "nul", "Mozilla/5.0 NUL")
	bodies := map[string]map[string]string{
		"/tracking/click/v1": {
			"tenantId": `"%s"`, "aff": `"nul"`, "url": `"https://shop.example/"`, "referrer": `"https://blog.example/"`, "cid": `"` + ck.CID + `"`,
		},
		"/tracking/external-cid/v1": {
			"tenantId": `"%s"`, "cid": `"` + ck.CID + `"`, "externalCid": `"nul@customer.example"`, "revenueOriginId": `"` + ten.OriginID + `"`,
		},
		"/tracking/conversion/v1": {
			"tenantId": `"%s"`, "cid": `"` + ck.CID + `"`, "conversionType": `"sale"`, "externalId": `"o-nul"`, "customerId": `"c1"`,
			"currency": `"usd"`, "couponCodes": `["spring"]`, "customParams": `{"advS1":"x"}`, "amount": `{"value":"1.00"}`,
		},
	}
	for path, fields := range bodies {
		for field := range fields {
			for _, bad := range []string{`\u0000`, "\xff", "a\xc3"} {
				var parts []string
				for k, v := range fields {
					if k == "tenantId" {
						v = fmt.Sprintf(v, ten.ID)
					}
					if k == field {
						v = spoil(v, bad)
					}
					parts = append(parts, fmt.Sprintf("%q:%s", k, v))
				}
				body := "{" + strings.Join(parts, ",") + "}"
				status, data := a.Do(t, "POST", path, body, "Content-Type: text/plain", "User-Agent: Mozilla/5.0 NUL")
				if status != http.StatusBadRequest || !strings.Contains(string(data), `"message"`) {
					t.Errorf("%s with %q in %s: %d %s, want 400", path, bad, field, status, data)
				}
			}
		}
	}
	// A NUL in a key is refused too; an escaped backslash before "u0000"
	// is not a NUL.
	if status, data := a.Do(t, "POST", "/tracking/click/v1", fmt.Sprintf(`{"tenantId":%q,"aff":"nul","url":"https://shop.example/","x\u0000":1}`, ten.ID)); status != 400 {
		t.Errorf("NUL in a key: %d %s", status, data)
	}
	if status, data := a.Do(t, "POST", "/tracking/click/v1", fmt.Sprintf(`{"tenantId":%q,"aff":"nul","url":"https://shop.example/","referrer":"https://b.example/\\u0000"}`, ten.ID)); status != 200 {
		t.Errorf("an escaped backslash: %d %s", status, data)
	}
	if n := a.QueryInt(t, `SELECT count(*) FROM customer_links`) + a.QueryInt(t, `SELECT count(*) FROM conversions`); n != 0 {
		t.Errorf("%d rows stored by refused requests", n)
	}
}

// spoil puts bad inside the first string of a JSON value.
func spoil(v, bad string) string {
	i := strings.Index(v, `"`)
	if strings.HasPrefix(v, `{`) { // an object: its first value
		i = strings.Index(v, `:"`) + 1
	}
	return v[:i+1] + bad + v[i+1:]
}

// Changing the user agent does not dodge the email-link signals: links are
// grouped by network too (IPv4 /24, IPv6 /64), and more than 3 emails
// linked from one network in a day flag the links (SPEC §14). Only a keyed
// hash of the network is stored.
func TestEmailLinksFromOneNetworkAreFlagged(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32"})
	ten := a.NewTenant(t, "Shop")
	a.NewAffiliate(t, ten.ID, "netlinker")
	link := func(ip, ua, email string) string {
		t.Helper()
		_, ck := click(t, a, ten.ID, "netlinker", ua)
		body := fmt.Sprintf(`{"tenantId":%q,"cid":%q,"externalCid":%q}`, ten.ID, ck.CID, email)
		if s, d := a.Do(t, "POST", "/tracking/external-cid/v1", body, "X-Forwarded-For: "+ip, "User-Agent: "+ua); s != 200 {
			t.Fatalf("link %s: %d %s", email, s, d)
		}
		var flags string
		if err := a.Store.DB().QueryRow(`SELECT array_to_string(flags, ',') FROM customer_links WHERE click_id = $1`, ck.CID).Scan(&flags); err != nil {
			t.Fatal(err)
		}
		return flags
	}
	// Five browsers (each its own user agent and address) in one /24.
	for i := 1; i <= 5; i++ {
		want := ""
		if i > 3 {
			want = "network_many_emails"
		}
		if got := link(fmt.Sprintf("198.51.100.%d", 10+i), fmt.Sprintf("Mozilla/5.0 Browser %d", i), fmt.Sprintf("v4-%d@customer.example", i)); got != want {
			t.Errorf("link %d from the /24: flags %q, want %q", i, got, want)
		}
	}
	// Another /24 is another network.
	if got := link("198.51.101.11", "Mozilla/5.0 Browser 1", "elsewhere@customer.example"); got != "" {
		t.Errorf("a link from another network: flags %q", got)
	}
	// IPv6: one /64, whatever the rest of the address.
	for i := 1; i <= 4; i++ {
		want := ""
		if i == 4 {
			want = "network_many_emails"
		}
		if got := link(fmt.Sprintf("2001:db8:7:8::%x", 0x100*i+i), fmt.Sprintf("Mozilla/5.0 Six %d", i), fmt.Sprintf("v6-%d@customer.example", i)); got != want {
			t.Errorf("link %d from the /64: flags %q, want %q", i, got, want)
		}
	}
	// The same email linked again from the network is not a new email.
	if got := link("198.51.101.12", "Mozilla/5.0 Again", "elsewhere@customer.example"); got != "" {
		t.Errorf("the same email again: flags %q", got)
	}
	// Neither the address nor the network is stored: only keyed hashes.
	if n := a.QueryInt(t, `SELECT count(*) FROM customer_links WHERE network_hash IS NULL OR length(network_hash) <> 32
		OR position('198.51' in encode(network_hash, 'escape')) > 0`); n != 0 {
		t.Errorf("%d links without a keyed network hash", n)
	}
}
