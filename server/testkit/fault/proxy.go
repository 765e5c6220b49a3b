package fault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Proxy sits between Tracklane and the fake Stripe API. It records every
// request with its start and end time (to see whether two checks of one
// account ever overlapped) and injects the faults the fake cannot: a
// connection cut in the middle of a body, pages shorter than asked, and
// events hidden from the list (as if not yet visible to polling).
type Proxy struct {
	target *url.URL
	ts     *httptest.Server
	client *http.Client

	mu        sync.Mutex
	calls     []ProxyCall
	cutEvents int             // cut the next n /v1/events answers mid-body
	limit     int             // >0: rewrite every /v1/events limit to this
	hidden    map[string]bool // event ids dropped from /v1/events lists
}

// ProxyCall is one request that passed through the proxy.
type ProxyCall struct {
	Path       string
	Query      string
	Account    string
	Start, End time.Time
	Status     int
	Cut        bool // the body was cut short on purpose
}

// NewProxy starts a proxy to target (the fake Stripe's URL); it is closed
// by the returned cleanup's caller through Close.
func NewProxy(target string) *Proxy {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	p := &Proxy{target: u, client: &http.Client{}, hidden: map[string]bool{}}
	p.ts = httptest.NewServer(http.HandlerFunc(p.serve))
	return p
}

// URL is the base URL to give Tracklane as STRIPE_API_BASE.
func (p *Proxy) URL() string { return p.ts.URL }

// Close stops the proxy.
func (p *Proxy) Close() { p.ts.Close() }

// CutEvents makes the next n GET /v1/events answers stop halfway through
// their body (the connection is closed after the headers announced the full
// length), as a network cut would.
func (p *Proxy) CutEvents(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutEvents = n
}

// SetEventLimit makes every GET /v1/events ask the fake for at most n
// events (0: as Tracklane asked), so pages come back shorter than asked,
// with has_more set.
func (p *Proxy) SetEventLimit(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.limit = n
}

// Hide drops events from GET /v1/events lists (not from webhooks); Hide()
// with no ids shows everything again.
func (p *Proxy) Hide(ids ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.hidden = map[string]bool{}
	for _, id := range ids {
		p.hidden[id] = true
	}
}

// Calls returns the recorded requests, in arrival order.
func (p *Proxy) Calls() []ProxyCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ProxyCall(nil), p.calls...)
}

// MaxOverlap returns, for account, the largest number of requests that
// were in flight together for longer than slack (requests of one check are
// sequential, so more than 1 means two checks of the account overlapped),
// and one example of such an overlap.
func (p *Proxy) MaxOverlap(account string, slack time.Duration) (int, string) {
	var cs []ProxyCall
	for _, c := range p.Calls() {
		if c.Account == account && !c.End.IsZero() {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Start.Before(cs[j].Start) })
	max, example := 0, ""
	for i, a := range cs {
		n := 1
		for _, b := range cs[i+1:] {
			if b.Start.After(a.End.Add(-slack)) {
				break
			}
			if b.End.After(b.Start.Add(slack)) {
				n++
				if example == "" {
					example = fmt.Sprintf("%s?%s [%s, %s] overlaps %s?%s [%s, %s]",
						a.Path, a.Query, a.Start.Format("15:04:05.000"), a.End.Format("15:04:05.000"),
						b.Path, b.Query, b.Start.Format("15:04:05.000"), b.End.Format("15:04:05.000"))
				}
			}
		}
		if n > max {
			max = n
		}
	}
	return max, example
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	call := ProxyCall{Path: r.URL.Path, Query: r.URL.RawQuery, Account: r.Header.Get("Stripe-Account"), Start: time.Now()}
	p.mu.Lock()
	idx := len(p.calls)
	p.calls = append(p.calls, call)
	isEvents := r.URL.Path == "/v1/events"
	cut := isEvents && p.cutEvents > 0
	if cut {
		p.cutEvents--
	}
	limit := p.limit
	hidden := len(p.hidden) > 0
	p.mu.Unlock()
	finish := func(status int, cut bool) {
		p.mu.Lock()
		p.calls[idx].End, p.calls[idx].Status, p.calls[idx].Cut = time.Now(), status, cut
		p.mu.Unlock()
	}

	out := *p.target
	out.Path = r.URL.Path
	q := r.URL.RawQuery
	if isEvents && limit > 0 {
		v, _ := url.ParseQuery(q)
		v.Set("limit", strconv.Itoa(limit))
		q = v.Encode()
	}
	out.RawQuery = q
	req, err := http.NewRequestWithContext(r.Context(), r.Method, out.String(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		finish(http.StatusBadGateway, false)
		return
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// The client went away (its timeout): nothing to answer.
		finish(0, false)
		return
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		finish(0, false)
		return
	}
	if isEvents && hidden && resp.StatusCode == http.StatusOK {
		body = p.hide(body)
	}
	if cut && resp.StatusCode == http.StatusOK {
		p.cutBody(w, resp, body)
		finish(resp.StatusCode, true)
		return
	}
	for k, vs := range resp.Header {
		if strings.EqualFold(k, "Content-Length") {
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
	finish(resp.StatusCode, false)
}

// cutBody announces the whole body, sends half of it and closes the
// connection.
func (p *Proxy) cutBody(w http.ResponseWriter, resp *http.Response, body []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("fault: the proxy's ResponseWriter cannot be hijacked")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nRequest-Id: %s\r\nContent-Length: %d\r\n\r\n",
		resp.Header.Get("Request-Id"), len(body))
	buf.Write(body[:len(body)/2])
	buf.Flush()
}

// hide removes hidden events from a list body.
func (p *Proxy) hide(body []byte) []byte {
	var list map[string]json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil {
		return body
	}
	var data []json.RawMessage
	if err := json.Unmarshal(list["data"], &data); err != nil {
		return body
	}
	p.mu.Lock()
	kept := data[:0]
	for _, ev := range data {
		var id struct {
			ID string `json:"id"`
		}
		json.Unmarshal(ev, &id)
		if !p.hidden[id.ID] {
			kept = append(kept, ev)
		}
	}
	p.mu.Unlock()
	b, _ := json.Marshal(kept)
	list["data"] = b
	out, err := json.Marshal(list)
	if err != nil {
		return body
	}
	return bytes.TrimSpace(out)
}
