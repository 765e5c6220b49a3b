// Package money formats and parses amounts kept as integers in a
// currency's minor unit, as Stripe writes them: 1999 usd is $19.99, 1999
// jpy is ¥1,999 (yen has no minor unit).
package money

import (
	"fmt"
	"strconv"
	"strings"
)

// Digits returns how many decimals the currency's minor unit has: 0 for
// Stripe's zero-decimal currencies, 3 for the three-decimal ones, else 2.
func Digits(currency string) int {
	switch strings.ToLower(currency) {
	case "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf":
		return 0
	case "bhd", "jod", "kwd", "omr", "tnd":
		return 3
	}
	return 2
}

var symbols = map[string]string{
	"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩", "cad": "CA$", "aud": "A$",
	"nzd": "NZ$", "chf": "CHF ", "brl": "R$", "mxn": "MX$",
}

// Format renders minor units of currency for people: "$1,234.50",
// "¥1,999", "-€3.00"; currencies without a symbol get their code
// ("1,000.00 SEK").
func Format(minor int64, currency string) string {
	cur := strings.ToLower(currency)
	neg := minor < 0
	if neg {
		minor = -minor
	}
	num := Plain(minor, cur)
	sign := ""
	if neg {
		sign = "-"
	}
	if sym, ok := symbols[cur]; ok {
		return sign + sym + num
	}
	return sign + num + " " + strings.ToUpper(cur)
}

// Plain renders minor units as a decimal with thousands separators and no
// symbol ("1,234.50").
func Plain(minor int64, currency string) string {
	d := Digits(currency)
	neg := minor < 0
	if neg {
		minor = -minor
	}
	whole, frac := minor, int64(0)
	if d > 0 {
		p := pow10(d)
		whole, frac = minor/p, minor%p
	}
	s := group(strconv.FormatInt(whole, 10))
	if d > 0 {
		s += "." + fmt.Sprintf("%0*d", d, frac)
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Decimal renders minor units as a plain decimal without separators, as a
// form field or a CSV cell takes it ("1234.50", "1999").
func Decimal(minor int64, currency string) string {
	return strings.ReplaceAll(Plain(minor, currency), ",", "")
}

// Parse reads an amount typed in major units ("19.99", "1,000", "500")
// into minor units of currency. More decimals than the currency has, or
// anything that is not a non-negative number, is an error.
func Parse(s, currency string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	d := Digits(currency)
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || len(frac) > d || (hasFrac && frac == "") || len(whole) > 12 {
		if d == 0 {
			return 0, fmt.Errorf("amount must be a whole number of %s", strings.ToUpper(currency))
		}
		return 0, fmt.Errorf("amount must be a number with at most %d decimals, like 10 or 9.50", d)
	}
	for len(frac) < d {
		frac += "0"
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 {
		return 0, fmt.Errorf("amount must be a non-negative number")
	}
	var f int64
	if d > 0 {
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil || f < 0 {
			return 0, fmt.Errorf("amount must be a non-negative number")
		}
	}
	return w*pow10(d) + f, nil
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

func group(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Int renders a count with thousands separators ("12,345").
func Int(n int64) string {
	if n < 0 {
		return "-" + group(strconv.FormatInt(-n, 10))
	}
	return group(strconv.FormatInt(n, 10))
}
