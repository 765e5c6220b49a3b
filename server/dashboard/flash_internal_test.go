package dashboard

import (
	"encoding/base64"
	"encoding/json"
	"testing"
)

// A flash opens only for the session it was sealed for, and a tampered
// one does not open at all.
func TestFlashIsBoundToItsSession(t *testing.T) {
	h := &Handler{flashKey: []byte("0123456789abcdef0123456789abcdef")}
	aead, err := h.flashAEAD()
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := json.Marshal(flash{Kind: flashToken, Value: "tl_pt_secret"})
	nonce := make([]byte, aead.NonceSize())
	sealed := aead.Seal(nonce, nonce, plain, []byte("session-A"))
	raw := base64.RawURLEncoding.EncodeToString(sealed)
	if f, err := h.openFlash(raw, []byte("session-A")); err != nil || f.Value != "tl_pt_secret" {
		t.Fatalf("its own session: %+v %v", f, err)
	}
	if _, err := h.openFlash(raw, []byte("session-B")); err == nil {
		t.Error("another session opened the flash")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := h.openFlash(base64.RawURLEncoding.EncodeToString(sealed), []byte("session-A")); err == nil {
		t.Error("a tampered flash opened")
	}
	if _, err := h.openFlash("not base64!", []byte("session-A")); err == nil {
		t.Error("garbage opened")
	}
}
