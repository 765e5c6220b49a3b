package cli

import (
	"context"
	"flag"
	"strconv"

	"github.com/tracklane/tracklane/server/account"
	"github.com/tracklane/tracklane/server/apishape"
	"github.com/tracklane/tracklane/server/apperr"
)

// reportedFlags are tenant update's flags for the conversions the site
// reports (SPEC section 11): --conversion-type CODE:percent:P |
// CODE:fixed:MINOR | CODE:tenant (repeatable) and --max-conversion-amount
// MINOR.
type reportedFlags struct {
	types []account.ConversionTypeInput
	max   *int64
}

func newReportedFlags(fs *flag.FlagSet) *reportedFlags {
	r := &reportedFlags{}
	fs.Func("conversion-type", "", func(s string) error {
		in, err := account.ParseConversionTypeSpec(s)
		if err != nil {
			return err
		}
		r.types = append(r.types, in)
		return nil
	})
	fs.Func("max-conversion-amount", "", func(s string) error {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return apperr.Errorf(apperr.Invalid, "--max-conversion-amount must be a whole amount in minor units (1000000 for 10,000.00)")
		}
		r.max = &n
		return nil
	})
	return r
}

// reportedSettingsJSON is tenant update's answer when it changed what the
// site reports: the settings, the conversion types and the maximum amount.
type reportedSettingsJSON struct {
	SettingsJSON
	ConversionTypes     []apishape.ConversionType `json:"conversion_types"`
	MaxConversionAmount int64                     `json:"max_conversion_amount"`
}

// apply saves the flags given and returns what to print: settings alone
// when none was given.
func (r *reportedFlags) apply(ctx context.Context, svc provisioner, tenantID string, settings SettingsJSON) (any, error) {
	if len(r.types) == 0 && r.max == nil {
		return settings, nil
	}
	for _, in := range r.types {
		if _, err := svc.accounts.SetConversionType(ctx, tenantID, in); err != nil {
			return nil, err
		}
	}
	if r.max != nil {
		if err := svc.accounts.SetMaxConversionAmount(ctx, tenantID, *r.max); err != nil {
			return nil, err
		}
	}
	types, err := svc.accounts.ConversionTypes(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	max, err := svc.accounts.MaxConversionAmount(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	out := reportedSettingsJSON{SettingsJSON: settings, MaxConversionAmount: max}
	for _, ct := range types {
		out.ConversionTypes = append(out.ConversionTypes, apishape.NewConversionType(ct))
	}
	return out, nil
}
