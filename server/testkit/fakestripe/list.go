package fakestripe

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// Request handlers for the GET routes. Everything here runs with s.mu held.

func parseQuery(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("Invalid query string: %v", err)
	}
	return q, nil
}

func badParam(param, msg string) response {
	return errResp(http.StatusBadRequest, "invalid_request_error", "parameter_invalid", param, msg)
}

// checkParams answers 400 (and records the call as unexpected) for a query
// parameter that allowed rejects.
func (s *Server) checkParams(q url.Values, call Call, allowed func(string) bool) (response, bool) {
	for k := range q {
		if !allowed(k) {
			msg := "Received unknown parameter: " + k
			if strings.HasPrefix(k, "expand") {
				msg += " (fakestripe implements only expand[]=discounts on GET /v1/invoices/{id}; Tracklane must not rely on other expansions)"
			}
			return s.unexpectedResp(call, errResp(http.StatusBadRequest, "invalid_request_error",
				"parameter_unknown", k, msg), true), false
		}
	}
	return response{}, true
}

func isCreatedParam(k string) bool {
	switch k {
	case "created", "created[gt]", "created[gte]", "created[lt]", "created[lte]":
		return true
	}
	return false
}

func isCursorOrLimit(k string) bool {
	return k == "limit" || k == "starting_after" || k == "ending_before"
}

// isTypesParam accepts types, types[] and types[N] (stripe-go encodes slices
// as types[0]=…&types[1]=…).
func isTypesParam(k string) bool {
	if k == "types" || k == "types[]" {
		return true
	}
	if strings.HasPrefix(k, "types[") && strings.HasSuffix(k, "]") {
		_, err := strconv.Atoi(k[len("types[") : len(k)-1])
		return err == nil
	}
	return false
}

func parseInt(q url.Values, k string) (int64, bool, error) {
	v, ok := q[k]
	if !ok {
		return 0, false, nil
	}
	if len(v) != 1 {
		return 0, true, fmt.Errorf("Invalid integer: %s", strings.Join(v, ","))
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("Invalid integer: %s", v[0])
	}
	return n, true, nil
}

func parseLimit(q url.Values) (int, *response) {
	n, ok, err := parseInt(q, "limit")
	if err != nil {
		r := badParam("limit", err.Error())
		return 0, &r
	}
	if !ok {
		return 10, nil
	}
	if n < 1 {
		r := badParam("limit", "This value must be greater than or equal to 1.")
		return 0, &r
	}
	if n > 100 {
		r := badParam("limit", "This value must be less than or equal to 100.")
		return 0, &r
	}
	return int(n), nil
}

// parseCreated returns the inclusive bounds [lo, hi] of the created filter.
func parseCreated(q url.Values) (lo, hi int64, bad *response) {
	lo, hi = math.MinInt64, math.MaxInt64
	for _, k := range []string{"created", "created[gt]", "created[gte]", "created[lt]", "created[lte]"} {
		n, ok, err := parseInt(q, k)
		if err != nil {
			r := badParam(k, err.Error())
			return 0, 0, &r
		}
		if !ok {
			continue
		}
		switch k {
		case "created":
			lo, hi = max(lo, n), min(hi, n)
		case "created[gt]":
			if n == math.MaxInt64 {
				return 1, 0, nil
			}
			lo = max(lo, n+1)
		case "created[gte]":
			lo = max(lo, n)
		case "created[lt]":
			if n == math.MinInt64 {
				return 1, 0, nil
			}
			hi = min(hi, n-1)
		case "created[lte]":
			hi = min(hi, n)
		}
	}
	return lo, hi, nil
}

func noSuch(kind, id, param string, status int, hint string) response {
	return errResp(status, "invalid_request_error", "resource_missing", param,
		fmt.Sprintf("No such %s: '%s'%s", kind, id, hint))
}

// modeHint is Stripe's extra sentence when the object exists in the other mode.
func (s *Server) modeHint(account, id string, live bool) string {
	other := s.parts[partKey{account, !live}]
	if other == nil {
		return ""
	}
	if _, ok := other.objects[id]; !ok {
		if _, ok := other.evByID[id]; !ok {
			return ""
		}
	}
	if live {
		return "; a similar object exists in test mode, but a live mode key was used to make this request."
	}
	return "; a similar object exists in live mode, but a test mode key was used to make this request."
}

// bounds returns the index range [start, end) of items whose created is in
// [lo, hi].
func bounds[T keyed](o ordered[T], lo, hi int64) (int, int) {
	if lo > hi {
		return 0, 0
	}
	start := o.firstAtOrAfter(lo)
	end := len(o)
	if hi < math.MaxInt64 {
		end = o.firstAtOrAfter(hi + 1)
	}
	if end < start {
		end = start
	}
	return start, end
}

// page walks o[start:end] newest first (after=true: below cursorPos; or
// above it for ending_before) and returns up to limit matches, newest first,
// and whether more matches exist beyond them.
func page[T keyed](o ordered[T], start, end, limit int, cursorPos int, endingBefore bool, match func(T) bool) ([]T, bool) {
	out := make([]T, 0, limit)
	if endingBefore {
		// the items just newer than the cursor, oldest first, then reversed
		if cursorPos+1 > start {
			start = cursorPos + 1
		}
		more := false
		for i := start; i < end; i++ {
			if !match(o[i]) {
				continue
			}
			if len(out) == limit {
				more = true
				break
			}
			out = append(out, o[i])
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out, more
	}
	if cursorPos >= 0 && cursorPos < end {
		end = cursorPos
	}
	for i := end - 1; i >= start; i-- {
		if !match(o[i]) {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, o[i])
	}
	return out, false
}

func cursorParams(q url.Values) (string, string, *response) {
	sa, eb := q.Get("starting_after"), q.Get("ending_before")
	if sa != "" && eb != "" {
		r := errResp(http.StatusBadRequest, "invalid_request_error", "", "ending_before",
			"You may only specify one of these parameters: ending_before, starting_after.")
		return "", "", &r
	}
	return sa, eb, nil
}

func (s *Server) listEvents(p *partition, q url.Values, call Call) response {
	if r, ok := s.checkParams(q, call, func(k string) bool {
		return isTypesParam(k) || k == "type" || isCreatedParam(k) || isCursorOrLimit(k)
	}); !ok {
		return r
	}
	limit, bad := parseLimit(q)
	if bad != nil {
		return *bad
	}
	lo, hi, bad := parseCreated(q)
	if bad != nil {
		return *bad
	}
	sa, eb, bad := cursorParams(q)
	if bad != nil {
		return *bad
	}
	types := map[string]bool{}
	for k, vs := range q {
		if isTypesParam(k) {
			for _, v := range vs {
				if v != "" {
					types[v] = true
				}
			}
		}
	}
	glob := q.Get("type")
	if len(types) > 0 && glob != "" {
		return badParam("types", "You may pass either `type` or `types`, but not both.")
	}
	if len(types) > 20 {
		return badParam("types", "You may pass at most 20 types.")
	}
	match := func(*event) bool { return true }
	switch {
	case len(types) > 0:
		match = func(e *event) bool { return types[e.typ] }
	case glob != "":
		match = func(e *event) bool {
			ok, _ := path.Match(glob, e.typ)
			return ok
		}
	}

	cursor := sa
	if cursor == "" {
		cursor = eb
	}
	var cursorEv *event
	if p != nil && cursor != "" {
		if e := p.evByID[cursor]; e != nil && e.created >= p.forgetBefore {
			cursorEv = e
		}
	}
	if cursor != "" && cursorEv == nil {
		param := "starting_after"
		if eb != "" {
			param = "ending_before"
		}
		return noSuch("event", cursor, param, http.StatusBadRequest, "")
	}
	if p == nil {
		return okResp(writeList("/v1/events", nil, false), 0)
	}
	lo = max(lo, p.forgetBefore)
	start, end := bounds(p.events, lo, hi)
	pos := -1
	if cursorEv != nil {
		pos = p.events.index(cursorEv)
	}
	evs, more := page(p.events, start, end, limit, pos, eb != "", match)
	items := make([][]byte, len(evs))
	for i, e := range evs {
		items[i] = e.raw
	}
	return okResp(writeList("/v1/events", items, more), 0)
}

func (s *Server) getEvent(p *partition, id string, live bool, call Call) response {
	var e *event
	if p != nil {
		if x := p.evByID[id]; x != nil && x.created >= p.forgetBefore {
			e = x
		}
	}
	if e == nil {
		return noSuch("event", id, "id", http.StatusNotFound, s.modeHint(call.Account, id, live))
	}
	return okResp(e.raw, 0)
}

// isExpandDiscounts accepts expand[]=discounts and expand[N]=discounts (as
// stripe-go encodes it), the one expansion the fake serves: an invoice's
// discounts as objects.
func isExpandDiscounts(q url.Values, k string) bool { return isExpand(q, k, "discounts") }

// isExpand accepts expand[]=what and expand[N]=what.
func isExpand(q url.Values, k, what string) bool {
	if k != "expand[]" {
		if !strings.HasPrefix(k, "expand[") || !strings.HasSuffix(k, "]") {
			return false
		}
		if _, err := strconv.Atoi(k[len("expand[") : len(k)-1]); err != nil {
			return false
		}
	}
	for _, v := range q[k] {
		if v != what {
			return false
		}
	}
	return true
}

func (s *Server) getObject(p *partition, typ, id string, live bool, q url.Values, call Call, sh Shape) response {
	expand := false
	if r, ok := s.checkParams(q, call, func(k string) bool {
		if typ == "invoice" && isExpandDiscounts(q, k) {
			expand = true
			return true
		}
		if typ == "checkout.session" && isExpand(q, k, "total_details.breakdown") {
			expand = true
			return true
		}
		if typ == "credit_note" && isExpand(q, k, "refund") {
			expand = true
			return true
		}
		return false
	}); !ok {
		return r
	}
	var o *object
	if p != nil {
		if x := p.objects[id]; x != nil && x.typ == typ && !x.deleted {
			o = x
		}
	}
	if o == nil {
		return noSuch(typ, id, "id", http.StatusNotFound, s.modeHint(call.Account, id, live))
	}
	r := s.render(p, o, sh)
	if cn, ok := o.v.(*creditNote); ok {
		r = renderCreditNote(p, cn, o.live, sh, expand)
	} else if cs, ok := o.v.(*checkoutSession); ok && expand {
		// total_details.breakdown: the session's discounts as objects.
		var ds []any
		for _, x := range p.objects {
			if d, ok := x.v.(*discount); ok && d.checkoutSess == cs.id {
				ds = append(ds, m{"amount": cs.amountDiscount, "discount": renderDiscount(p, d.id, sh)})
			}
		}
		if ds == nil {
			ds = []any{}
		}
		td := r["total_details"].(m)
		td["breakdown"] = m{"discounts": ds, "taxes": []any{}}
	} else if expand {
		ids := o.v.(*invoice).discounts
		ds := make([]any, len(ids))
		for i, id := range ids {
			ds[i] = renderDiscount(p, id, sh)
		}
		r["discounts"] = ds
	}
	b, err := json.Marshal(r)
	if err != nil {
		return errResp(http.StatusInternalServerError, "api_error", "", "", err.Error())
	}
	return okResp(b, sh)
}

func (s *Server) listObjects(p *partition, typ string, q url.Values, call Call, sh Shape) response {
	var filters []string
	var url string
	var idx ordered[*object]
	switch typ {
	case "invoice":
		filters, url = []string{"customer", "status", "subscription"}, "/v1/invoices"
		if p != nil {
			idx = p.invoices
		}
	case "charge":
		filters, url = []string{"customer", "payment_intent"}, "/v1/charges"
		if p != nil {
			idx = p.charges
		}
	case "checkout.session":
		filters, url = []string{"customer", "payment_intent", "subscription"}, "/v1/checkout/sessions"
		if p != nil {
			idx = p.sessions
		}
	}
	if r, ok := s.checkParams(q, call, func(k string) bool {
		for _, f := range filters {
			if k == f {
				return true
			}
		}
		return isCreatedParam(k) || isCursorOrLimit(k)
	}); !ok {
		return r
	}
	limit, bad := parseLimit(q)
	if bad != nil {
		return *bad
	}
	lo, hi, bad := parseCreated(q)
	if bad != nil {
		return *bad
	}
	sa, eb, bad := cursorParams(q)
	if bad != nil {
		return *bad
	}
	if st := q.Get("status"); st != "" {
		switch st {
		case "draft", "open", "paid", "uncollectible", "void":
		default:
			return badParam("status", "Invalid status: must be one of draft, open, paid, uncollectible, or void")
		}
	}
	cursor := sa
	if cursor == "" {
		cursor = eb
	}
	pos := -1
	if cursor != "" {
		var c *object
		if p != nil {
			if x := p.objects[cursor]; x != nil && x.typ == typ {
				c = x
			}
		}
		if c == nil {
			param := "starting_after"
			if eb != "" {
				param = "ending_before"
			}
			return noSuch(typ, cursor, param, http.StatusBadRequest, "")
		}
		pos = idx.index(c)
	}
	customer, status, sub, pi := q.Get("customer"), q.Get("status"), q.Get("subscription"), q.Get("payment_intent")
	match := func(o *object) bool {
		if o.deleted {
			return false
		}
		switch v := o.v.(type) {
		case *invoice:
			return (customer == "" || v.customer == customer) &&
				(status == "" || status == "paid") &&
				(sub == "" || v.subscription == sub)
		case *charge:
			return (customer == "" || v.customer == customer) &&
				(pi == "" || v.paymentIntent == pi)
		case *checkoutSession:
			return (customer == "" || v.customer == customer) &&
				(pi == "" || v.paymentIntent == pi) &&
				(sub == "" || v.subscription == sub)
		}
		return false
	}
	start, end := bounds(idx, lo, hi)
	objs, more := page(idx, start, end, limit, pos, eb != "", match)
	items := make([][]byte, len(objs))
	for i, o := range objs {
		b, err := json.Marshal(s.render(p, o, sh))
		if err != nil {
			return errResp(http.StatusInternalServerError, "api_error", "", "", err.Error())
		}
		items[i] = b
	}
	return okResp(writeList(url, items, more), sh)
}
