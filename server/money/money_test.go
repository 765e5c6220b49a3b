package money

import "testing"

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		cur   string
		want  string
	}{
		{199900, "usd", "$1,999.00"},
		{1999, "jpy", "¥1,999"},
		{5, "eur", "€0.05"},
		{-300, "eur", "-€3.00"},
		{1234567, "kwd", "1,234.567 KWD"},
		{100000, "sek", "1,000.00 SEK"},
		{0, "usd", "$0.00"},
	} {
		if got := Format(tc.minor, tc.cur); got != tc.want {
			t.Errorf("Format(%d, %s) = %q, want %q", tc.minor, tc.cur, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		cur  string
		want int64
		bad  bool
	}{
		{"19.99", "usd", 1999, false},
		{"10", "usd", 1000, false},
		{"9.5", "eur", 950, false},
		{"1,000", "jpy", 1000, false},
		{"1.5", "jpy", 0, true},
		{"-1", "usd", 0, true},
		{"abc", "usd", 0, true},
		{"1.999", "usd", 0, true},
		{"", "usd", 0, true},
	} {
		got, err := Parse(tc.in, tc.cur)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("Parse(%q, %s) = %d, %v", tc.in, tc.cur, got, err)
		}
	}
	if Decimal(123450, "usd") != "1234.50" {
		t.Error(Decimal(123450, "usd"))
	}
}

func TestIsCurrency(t *testing.T) {
	for code, want := range map[string]bool{
		"usd": true, "EUR": true, "jpy": true, "kwd": true, "xof": true, "chf": true, "zwg": true, "xcg": true,
		"abc": false, "xyz": false, "xau": false, "xxx": false, "xts": false, "": false, "us": false, "usdd": false, "usd ": false,
	} {
		if got := IsCurrency(code); got != want {
			t.Errorf("IsCurrency(%q) = %v, want %v", code, got, want)
		}
	}
	// Every currency Stripe treats specially is on the list.
	for _, code := range []string{"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf", "bhd", "jod", "kwd", "omr", "tnd"} {
		if !IsCurrency(code) {
			t.Errorf("%s is not on the list", code)
		}
	}
}
