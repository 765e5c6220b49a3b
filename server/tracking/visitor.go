package tracking

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"time"
)

// visitorHasher makes the keyed hash that recognises a repeat visitor without
// storing the IP: HMAC(IP ‖ user agent) under a key derived from the secret
// key and the UTC day, so hashes of different days cannot be joined.
// Keyed HMAC states are pooled: hmac.New costs ten allocations, Reset none.
type visitorHasher struct {
	secret []byte

	mu     sync.Mutex
	day    string
	dayKey []byte
	pool   sync.Pool // of *dayMAC
}

// dayMAC is an HMAC keyed for one day, with a scratch buffer for its input.
type dayMAC struct {
	day string
	mac hash.Hash
	buf []byte
}

func (v *visitorHasher) hash(ip, userAgent string, now time.Time) []byte {
	var d [10]byte
	day := string(now.UTC().AppendFormat(d[:0], "2006-01-02"))
	m, _ := v.pool.Get().(*dayMAC)
	if m == nil || m.day != day {
		v.mu.Lock()
		if v.day != day {
			k := hmac.New(sha256.New, v.secret)
			k.Write([]byte("visitor-day:" + day))
			v.day, v.dayKey = day, k.Sum(nil)
		}
		key := v.dayKey
		v.mu.Unlock()
		m = &dayMAC{day: day, mac: hmac.New(sha256.New, key)}
	} else {
		m.mac.Reset()
	}
	m.buf = append(append(append(m.buf[:0], ip...), 0), userAgent...)
	m.mac.Write(m.buf)
	sum := m.mac.Sum(make([]byte, 0, sha256.Size))
	if cap(m.buf) <= 4096 {
		v.pool.Put(m)
	}
	return sum
}

// newNetworkHasher returns the hasher of networks: a visitorHasher under
// a key of its own, derived from the visitor key, so a network's hash can
// be joined with no visitor's.
func newNetworkHasher(visitorSecret []byte) *visitorHasher {
	k := hmac.New(sha256.New, visitorSecret)
	k.Write([]byte("network"))
	return &visitorHasher{secret: k.Sum(nil)}
}

// networkOf is the network an address belongs to for the email-link
// signals: an IPv4 /24 (a household, an office, a small hosting block)
// or an IPv6 /64 (one subscriber's, handed out whole). Anything that is
// not an address is its own network.
func networkOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	bits := 64
	if a.Is4() {
		bits = 24
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ip
	}
	return p.String()
}

// networkHash is the keyed hash of ip's network on now's UTC day: like the
// visitor hash, it cannot be joined across days, and the network itself
// is never stored.
func (h *Handler) networkHash(ip string, now time.Time) []byte {
	return h.networks.hash(networkOf(ip), "", now)
}

// VisitorHash is the keyed visitor hash the tracker stores for a click or an
// email link made at now from this IP (as gin's ClientIP gives it, under
// the engine's trusted proxies) and user agent. Other edges (the affiliate
// portal) use it to note a browser the way the tracker would see it, so
// the two hashes can be compared; it never stores the IP.
func (h *Handler) VisitorHash(ip, userAgent string, now time.Time) []byte {
	return h.visitors.hash(ip, userAgent, now)
}

// botPattern matches crawlers and link-preview fetchers by user agent. It is
// the definition isBot implements without a regexp (and its fallback for
// the rare user agent with a character that case-folds to ASCII).
var botPattern = regexp.MustCompile(`(?i)bot\b|bot/|crawl|spider|slurp|facebookexternalhit|facebot|embedly|preview|whatsapp|telegram|discord|skypeuri|ia_archiver|mediapartners|google-inspectiontool|googleother|yandex|baidu|ahrefs|semrush|petalbot|bytespider|gptbot|headlesschrome/.*lighthouse|pingdom|uptimerobot|statuscake`)

// botTokens are botPattern's plain alternatives, lower case.
var botTokens = func() [][]byte {
	var out [][]byte
	for _, t := range []string{"crawl", "spider", "slurp", "facebookexternalhit", "facebot", "embedly", "preview", "whatsapp",
		"telegram", "discord", "skypeuri", "ia_archiver", "mediapartners", "google-inspectiontool", "googleother", "yandex",
		"baidu", "ahrefs", "semrush", "petalbot", "bytespider", "gptbot", "pingdom", "uptimerobot", "statuscake"} {
		out = append(out, []byte(t))
	}
	return out
}()

var (
	tokBot        = []byte("bot")
	tokHeadless   = []byte("headlesschrome/")
	tokLighthouse = []byte("lighthouse")
)

// isBot reports whether a user agent is an obvious crawler or previewer:
// botPattern, as a scan of the lower-cased string (about 50 times faster
// than the regexp). HeadlessChrome alone is not a bot (real browsers run
// headless in tests); HeadlessChrome with Lighthouse is.
func isBot(userAgent string) bool {
	// (?i) also folds the Kelvin sign to k and the long s to s; such user
	// agents are left to the regexp.
	if strings.Contains(userAgent, "\u212a") || strings.Contains(userAgent, "\u017f") {
		return botPattern.MatchString(userAgent)
	}
	var buf [512]byte
	l := append(buf[:0], userAgent...)
	for i, c := range l {
		if 'A' <= c && c <= 'Z' {
			l[i] = c + 'a' - 'A'
		}
	}
	// bot\b|bot/: "bot" at the end or before a byte that is not an ASCII
	// word character (a non-ASCII rune starts with such a byte).
	for s := l; ; {
		i := bytes.Index(s, tokBot)
		if i < 0 {
			break
		}
		s = s[i+len(tokBot):]
		if len(s) == 0 || !isWordByte(s[0]) {
			return true
		}
	}
	for _, t := range botTokens {
		if bytes.Contains(l, t) {
			return true
		}
	}
	// headlesschrome/.*lighthouse, where . is any character but \n.
	for s := l; ; {
		i := bytes.Index(s, tokHeadless)
		if i < 0 {
			return false
		}
		s = s[i+len(tokHeadless):]
		line := s
		if j := bytes.IndexByte(line, '\n'); j >= 0 {
			line = line[:j]
		}
		if bytes.Contains(line, tokLighthouse) {
			return true
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

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
