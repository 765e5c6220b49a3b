package apishape

import (
	"encoding/json"

	"github.com/tracklane/tracklane/server/conversion"
	"github.com/tracklane/tracklane/server/tracklane"
)

// ConversionType is a conversion type as the API (and the CLI) writes it:
// commission_type "tenant" means the tenant's own rule.
type ConversionType struct {
	Code              string      `json:"code"`
	Name              string      `json:"name"`
	CommissionType    string      `json:"commission_type"`
	CommissionPercent json.Number `json:"commission_percent,omitempty"`
	CommissionFixed   *int64      `json:"commission_fixed,omitempty"`
	Currency          *string     `json:"currency,omitempty"`
}

// NewConversionType renders ct.
func NewConversionType(ct tracklane.ConversionType) ConversionType {
	out := ConversionType{Code: ct.Code, Name: ct.Name, CommissionType: "tenant"}
	if r := ct.Rule; r != nil {
		out.CommissionType = string(r.Type)
		out.CommissionPercent, out.CommissionFixed, out.Currency = Commission(*r)
	}
	return out
}

// Commission renders a commission rule's amount as the JSON fields write
// it: a percent rule's rate as a JSON number ("12.5"), or a fixed rule's
// amount in minor units with its currency; the fields of the other kind
// are left empty.
func Commission(r conversion.Rule) (percent json.Number, fixed *int64, currency *string) {
	if r.Type == conversion.Fixed {
		f, cur := r.Fixed, r.Currency
		return "", &f, &cur
	}
	return json.Number(r.PercentString()), nil, nil
}
