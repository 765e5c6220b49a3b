package tracking

import (
	"testing"
	"time"
)

var botCases = []struct {
	ua  string
	bot bool
}{
	{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36", false},
	{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36", false},
	{"Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120 Mobile Safari/537.36 Chrome-Lighthouse", true},
	{"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", true},
	{"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", true},
	{"Mozilla/5.0 (compatible; bingbot/2.0)", true},
	{"facebookexternalhit/1.1", true},
	{"WhatsApp/2.23.20.0", true},
	{"TelegramBot (like TwitterBot)", true},
	{"Mozilla/5.0 (compatible; YandexBot/3.0)", true},
	{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", false},
	{"robotic-arm-browser/1.0", false}, // "bot" inside a word
	{"my bot", true},
	{"BOT", true},
	{"abot_x", false},
	{"abot-x", true},
	{"Mozilla/5.0 PREVIEW", true},
	{"HeadlessChrome/1 \n lighthouse", false}, // . does not cross a newline
	{"HeadlessChrome/1 \n HeadlessChrome/2 lighthouse", true},
	{"SemrushBot", true},
	{"ſlurp", true},     // long s folds to s under (?i)
	{"\u212aBot", true}, // Kelvin sign before bot
	{"botſ", true},
	{"bot\u212a", true}, // Kelvin sign is not an ASCII word character for \b
	{"botä", true},
	{"", false},
}

// isBot gives the regexp's answers.
func TestIsBotMatchesThePattern(t *testing.T) {
	for _, c := range botCases {
		if got, want := isBot(c.ua), botPattern.MatchString(c.ua); got != want || got != c.bot {
			t.Errorf("isBot(%q) = %v, regexp %v, want %v", c.ua, got, want, c.bot)
		}
	}
}

func FuzzIsBot(f *testing.F) {
	for _, c := range botCases {
		f.Add(c.ua)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		if got, want := isBot(ua), botPattern.MatchString(ua); got != want {
			t.Fatalf("isBot(%q) = %v, regexp says %v", ua, got, want)
		}
	})
}

// The pooled hasher gives the one-shot HMAC's answers, per day.
func TestVisitorHashIsStable(t *testing.T) {
	v := &visitorHasher{secret: []byte("secret")}
	w := &visitorHasher{secret: []byte("secret")}
	d1 := time.Date(2026, 3, 10, 23, 59, 0, 0, time.UTC)
	d2 := d1.Add(2 * time.Minute)
	a := v.hash("203.0.113.7", "UA", d1)
	for i := 0; i < 3; i++ {
		if string(v.hash("203.0.113.7", "UA", d1)) != string(a) {
			t.Fatal("same input, same day: different hash")
		}
	}
	if string(w.hash("203.0.113.7", "UA", d1)) != string(a) {
		t.Fatal("another hasher with the same key disagrees")
	}
	if string(v.hash("203.0.113.7", "UA", d2)) == string(a) {
		t.Fatal("the next day has the same hash")
	}
	if string(v.hash("203.0.113.7", "UA2", d1)) == string(a) || string(v.hash("203.0.113.70", "UA", d1)) == string(a) {
		t.Fatal("different visitors share a hash")
	}
	if len(a) != 32 {
		t.Fatalf("hash of %d bytes", len(a))
	}
}
