package tracking

import (
	"crypto/hmac"
	"crypto/sha256"
	"regexp"
	"strings"
	"sync"
	"time"
)

// visitorHasher makes the keyed hash that recognises a repeat visitor without
// storing the IP: HMAC(IP ‖ user agent) under a key derived from the secret
// key and the UTC day, so hashes of different days cannot be joined.
type visitorHasher struct {
	secret []byte

	mu     sync.Mutex
	day    string
	dayKey []byte
}

func (v *visitorHasher) hash(ip, userAgent string, now time.Time) []byte {
	day := now.UTC().Format("2006-01-02")
	v.mu.Lock()
	if v.day != day {
		m := hmac.New(sha256.New, v.secret)
		m.Write([]byte("visitor-day:" + day))
		v.day, v.dayKey = day, m.Sum(nil)
	}
	key := v.dayKey
	v.mu.Unlock()
	m := hmac.New(sha256.New, key)
	m.Write([]byte(ip))
	m.Write([]byte{0})
	m.Write([]byte(userAgent))
	return m.Sum(nil)
}

// botPattern matches crawlers and link-preview fetchers by user agent.
var botPattern = regexp.MustCompile(`(?i)bot\b|bot/|crawl|spider|slurp|facebookexternalhit|facebot|embedly|preview|whatsapp|telegram|discord|skypeuri|ia_archiver|mediapartners|google-inspectiontool|googleother|yandex|baidu|ahrefs|semrush|petalbot|bytespider|gptbot|headlesschrome/.*lighthouse|pingdom|uptimerobot|statuscake`)

// isBot reports whether a user agent is an obvious crawler or previewer.
func isBot(userAgent string) bool { return botPattern.MatchString(userAgent) }

// device classifies a user agent coarsely for the dashboard.
func device(ua string) string {
	l := strings.ToLower(ua)
	switch {
	case strings.Contains(l, "ipad") || strings.Contains(l, "tablet"):
		return "tablet"
	case strings.Contains(l, "mobi") || strings.Contains(l, "iphone") || strings.Contains(l, "android"):
		return "mobile"
	case ua == "":
		return ""
	default:
		return "desktop"
	}
}
