package tracking

import (
	"encoding/json"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tracklane/tracklane/server/apperr"
	"github.com/tracklane/tracklane/server/attribution"
	"github.com/tracklane/tracklane/server/money"
	"github.com/tracklane/tracklane/server/tracklane"
)

// conversionRequest is the body of POST /tracking/conversion/v1: the
// tracker's `conversion` command as Trackdesk's examples call it. Fields
// that pages fill in different JSON types (an id as a number, an amount
// as a number) are read raw and checked in parse.
type conversionRequest struct {
	TenantID        string                     `json:"tenantId"`
	CID             string                     `json:"cid"`
	ConversionType  string                     `json:"conversionType"`
	Amount          json.RawMessage            `json:"amount"`
	Currency        string                     `json:"currency"`
	ExternalID      json.RawMessage            `json:"externalId"`
	CustomerID      json.RawMessage            `json:"customerId"`
	ExternalCID     string                     `json:"externalCid"`
	CouponCodes     json.RawMessage            `json:"couponCodes"`
	RevenueOriginID string                     `json:"revenueOriginId"`
	Status          string                     `json:"status"`
	CustomParams    map[string]json.RawMessage `json:"customParams"`
}

// reportedInput is a checked conversionRequest.
type reportedInput struct {
	tenantID, cid, typ, currency  string
	amount                        json.RawMessage // parsed once the currency is known
	externalID, customerID, email string
	coupons                       []string
	originID, status              string
	params                        map[string]string
}

const (
	maxIDLen     = 200
	maxCoupons   = 20
	maxParams    = 20
	maxParamLen  = 500
	maxEmailLen  = 320
	maxOriginLen = 64
)

var (
	paramName      = regexp.MustCompile(`^[A-Za-z0-9_]{1,40}$`)
	trackdeskState = map[string]bool{attribution.StatusApproved: true, attribution.StatusPending: true, attribution.StatusRejected: true}
)

// parse checks the request's shape: 400 for what is missing, 422 for what
// is there but unusable.
func (r conversionRequest) parse() (reportedInput, error) {
	in := reportedInput{
		tenantID: strings.TrimSpace(r.TenantID), typ: strings.TrimSpace(r.ConversionType),
		currency: strings.ToLower(strings.TrimSpace(r.Currency)), amount: r.Amount,
		email: tracklane.FoldEmail(r.ExternalCID), originID: strings.TrimSpace(r.RevenueOriginID),
		status: strings.TrimSpace(r.Status),
	}
	if tracklane.ValidClickID(r.CID) {
		in.cid = r.CID // a stale or foreign cookie is no reason to refuse
	}
	var err error
	switch {
	case in.tenantID == "":
		return in, apperr.Errorf(apperr.Invalid, "tenantId is required")
	case in.typ == "":
		return in, apperr.Errorf(apperr.Invalid, "conversionType is required")
	case !tracklane.ValidConversionTypeCode(in.typ):
		return in, apperr.Errorf(apperr.Unprocessable, "conversionType %q is not a conversion type (a-z, 0-9, _ and -, at most 40)", capString(in.typ, 40))
	case in.currency != "" && !money.IsCurrency(in.currency):
		return in, apperr.Errorf(apperr.Unprocessable, "currency must be an ISO 4217 currency code like usd")
	case len(in.email) > maxEmailLen || strings.ContainsAny(in.email, "\x00\r\n"):
		return in, apperr.Errorf(apperr.Unprocessable, "externalCid is not a customer identifier (at most 320 characters, one line)")
	case len(in.originID) > maxOriginLen:
		return in, apperr.Errorf(apperr.Unprocessable, "revenueOriginId is not one of this tenant's revenue origins")
	case in.status != "" && !trackdeskState[in.status]:
		return in, apperr.Errorf(apperr.Unprocessable, "status must be CONVERSION_STATUS_APPROVED, CONVERSION_STATUS_PENDING or CONVERSION_STATUS_REJECTED")
	}
	if in.externalID, err = scalar(r.ExternalID, "externalId", maxIDLen); err != nil {
		return in, err
	}
	if in.customerID, err = scalar(r.CustomerID, "customerId", maxIDLen); err != nil {
		return in, err
	}
	if in.coupons, err = couponCodes(r.CouponCodes); err != nil {
		return in, err
	}
	in.params, err = customParams(r.CustomParams)
	return in, err
}

// scalar reads an id the page may send as a string or a number; absent or
// null is "".
func scalar(raw json.RawMessage, field string, max int) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", apperr.Errorf(apperr.Unprocessable, "%s must be a string", field)
		}
	} else if _, ok := new(big.Float).SetString(string(raw)); ok && isNumber(raw) {
		s = string(raw)
	} else {
		return "", apperr.Errorf(apperr.Unprocessable, "%s must be a string or a number", field)
	}
	s = strings.TrimSpace(s)
	if len(s) > max || !utf8.ValidString(s) || strings.ContainsAny(s, "\x00\r\n") {
		return "", apperr.Errorf(apperr.Unprocessable, "%s must be one line of at most %d characters", field, max)
	}
	return s, nil
}

func isNumber(raw json.RawMessage) bool {
	var n json.Number
	return json.Unmarshal(raw, &n) == nil
}

// couponCodes reads couponCodes: a list of codes, or one code; folded,
// empty ones dropped.
func couponCodes(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return nil, apperr.Errorf(apperr.Unprocessable, "couponCodes must be a list of codes")
		}
		list = []string{one}
	}
	if len(list) > maxCoupons {
		return nil, apperr.Errorf(apperr.Unprocessable, "couponCodes holds at most %d codes", maxCoupons)
	}
	var out []string
	for _, c := range list {
		c = tracklane.FoldCode(c)
		if c == "" {
			continue
		}
		if len(c) > maxIDLen || !utf8.ValidString(c) {
			return nil, apperr.Errorf(apperr.Unprocessable, "a coupon code is at most %d characters", maxIDLen)
		}
		out = append(out, c)
	}
	return out, nil
}

// customParams reads Trackdesk's customParams (advS1…advS5): strings,
// numbers and booleans are kept as text; a value the page left unresolved
// (null, or a {queryParam} object sent server-side) is dropped.
func customParams(in map[string]json.RawMessage) (map[string]string, error) {
	if len(in) > maxParams {
		return nil, apperr.Errorf(apperr.Unprocessable, "customParams holds at most %d values", maxParams)
	}
	out := map[string]string{}
	for k, raw := range in {
		if !paramName.MatchString(k) {
			return nil, apperr.Errorf(apperr.Unprocessable, "customParams key %q is not a name (letters, digits, _)", capString(k, 40))
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, apperr.Errorf(apperr.Unprocessable, "customParams.%s is not a value", k)
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case float64, bool:
			s = strings.TrimSpace(string(raw))
		case nil, map[string]any:
			continue
		default:
			return nil, apperr.Errorf(apperr.Unprocessable, "customParams.%s must be text", k)
		}
		if len(s) > maxParamLen || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return nil, apperr.Errorf(apperr.Unprocessable, "customParams.%s is longer than %d characters", k, maxParamLen)
		}
		out[k] = s
	}
	return out, nil
}

// parseAmount reads Trackdesk's amount: {"value":"4.50"} (a string or a
// number), or a bare string or number; absent or null is 0. It is in major
// units of currency and becomes minor units; a malformed or negative one
// is unprocessable.
func parseAmount(raw json.RawMessage, currency string) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	if raw[0] == '{' {
		var o struct {
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return 0, apperr.Errorf(apperr.Unprocessable, `amount must be {"value":"4.50"}`)
		}
		raw = o.Value
		if len(raw) == 0 || string(raw) == "null" {
			return 0, nil
		}
	}
	var text string
	if raw[0] == '"' {
		if json.Unmarshal(raw, &text) != nil {
			return 0, apperr.Errorf(apperr.Unprocessable, `amount must be {"value":"4.50"}`)
		}
	} else if isNumber(raw) {
		text = string(raw)
		if f, err := strconv.ParseFloat(text, 64); err == nil && strings.ContainsAny(text, "eE") {
			text = strconv.FormatFloat(f, 'f', -1, 64)
		}
	} else {
		return 0, apperr.Errorf(apperr.Unprocessable, `amount must be {"value":"4.50"}`)
	}
	if strings.Contains(text, ",") { // "4,50" is 4.50 to some and 450 to others
		return 0, apperr.Errorf(apperr.Unprocessable, "amount.value %q: write the amount with a dot and no separators, like 1234.50", capString(text, 40))
	}
	minor, err := money.Parse(text, currency)
	if err != nil {
		return 0, apperr.Errorf(apperr.Unprocessable, "amount.value %q: %v", capString(text, 40), err)
	}
	return minor, nil
}
