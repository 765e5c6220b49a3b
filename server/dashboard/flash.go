package dashboard

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/gin-gonic/gin"
)

// A flash carries what a POST made and must show once (a new token, an
// invitation link to copy) to the page the browser is redirected to, so
// every form answers with a redirect and a reload never posts again.
//
// It travels in a short-lived cookie, sealed with AES-GCM under a key of
// its own and bound to the session (the session's id hash is the sealed
// data's associated data): no other browser or session can read it, and
// the page that shows it deletes it.
type flash struct {
	Kind  string `json:"k"` // flashToken, flashStripeToken, flashInvite
	Name  string `json:"n,omitempty"`
	Value string `json:"v"`
	For   string `json:"f,omitempty"` // the affiliate an invitation is for
	To    string `json:"t,omitempty"` // where the invitation was mailed
	// Capped: the invitation was made but not mailed (the recipient's
	// hourly cap): the page says so.
	Capped bool `json:"c,omitempty"`
}

const (
	flashCookie      = "tl_flash"
	flashLife        = 300 // seconds: the redirect follows at once
	flashToken       = "token"
	flashStripeToken = "stripe-token"
	flashInvite      = "invite"
)

// setFlash seals f into the flash cookie of the signed-in session.
func (h *Handler) setFlash(c *gin.Context, f flash) error {
	aead, err := h.flashAEAD()
	if err != nil {
		return err
	}
	plain, err := json.Marshal(f)
	if err != nil {
		return err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	sealed := aead.Seal(nonce, nonce, plain, session(c).IDHash)
	h.flashCookieSet(c, base64.RawURLEncoding.EncodeToString(sealed), flashLife)
	return nil
}

// takeFlash returns the session's flash of the given kind and deletes the
// cookie; ok is false when there is none (or it is not this session's).
func (h *Handler) takeFlash(c *gin.Context, kind string) (flash, bool) {
	raw, err := c.Cookie(flashCookie)
	if err != nil || raw == "" {
		return flash{}, false
	}
	f, err := h.openFlash(raw, session(c).IDHash)
	if err != nil || f.Kind != kind {
		return flash{}, false
	}
	h.flashCookieSet(c, "", -1)
	return f, true
}

func (h *Handler) openFlash(raw string, session []byte) (flash, error) {
	aead, err := h.flashAEAD()
	if err != nil {
		return flash{}, err
	}
	sealed, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || len(sealed) < aead.NonceSize() {
		return flash{}, errors.New("malformed flash")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], session)
	if err != nil {
		return flash{}, err
	}
	var f flash
	return f, json.Unmarshal(plain, &f)
}

func (h *Handler) flashAEAD() (cipher.AEAD, error) {
	block, err := aes.NewCipher(h.flashKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func (h *Handler) flashCookieSet(c *gin.Context, value string, maxAge int) {
	h.signin.SetCookie(c, flashCookie, value, maxAge)
}
