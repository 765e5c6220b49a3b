// Package ident makes the random identifiers and secrets Tracklane hands
// out: tenant, affiliate and click ids, personal tokens. All come from
// crypto/rand, so they cannot be guessed from one another.
package ident

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

const lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomString returns n characters drawn uniformly from alphabet.
func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	out := make([]byte, n)
	max := 256 - 256%len(alphabet)
	for i := 0; i < n; {
		if _, err := rand.Read(b); err != nil {
			panic(fmt.Sprintf("crypto/rand failed: %v", err)) // unrecoverable: the OS has no entropy
		}
		for _, c := range b {
			if int(c) < max && i < n {
				out[i] = alphabet[int(c)%len(alphabet)]
				i++
			}
		}
	}
	return string(out)
}

// New returns prefix + 16 random lower-case alphanumerics (≈82 bits), e.g.
// "tn_k3j9x…". Used for tenants, affiliates, conversions.
func New(prefix string) string { return prefix + randomString(lowerAlnum, 16) }

// Code returns a random affiliate code of n lower-case alphanumerics.
func Code(n int) string { return randomString(lowerAlnum, n) }

// ClickID returns a 22-character URL-safe random id (128 bits) matching
// [A-Za-z0-9_-]+, as the tracker cookie requires.
func ClickID() string { return base64.RawURLEncoding.EncodeToString(randomBytes(16)) }

// Token returns a personal token: "tl_pt_" + 43 URL-safe characters (256 bits).
func Token() string { return "tl_pt_" + Secret() }

// Secret returns 256 random bits, URL-safe (43 characters): session ids,
// one-use link secrets, pre-login cookies. Store only its Hash.
func Secret() string { return base64.RawURLEncoding.EncodeToString(randomBytes(32)) }

// Hash is how a Secret (or a personal token) is stored: SHA-256, enough for
// 256 random bits (no slow hash is needed), and a dump reveals nothing usable.
func Hash(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// UUID returns a random RFC 4122 version 4 UUID, the format Trackdesk uses
// for revenue origin ids.
func UUID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err))
	}
	return b
}

// Hint returns "…" and the last four characters of a secret, for display.
func Hint(secret string) string {
	if len(secret) < 4 {
		return "…"
	}
	return "…" + secret[len(secret)-4:]
}

// IsToken reports whether s looks like a personal token at all (cheap check
// before a database lookup).
func IsToken(s string) bool { return strings.HasPrefix(s, "tl_pt_") && len(s) == 6+43 }
