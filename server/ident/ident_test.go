package ident

import (
	"fmt"
	"testing"

	"github.com/tracklane/tracklane/server/tracklane"
)

func TestGeneratedIDsAreValid(t *testing.T) {
	for i := 0; i < 100; i++ {
		if c := Code(8); !tracklane.ValidCode(c) {
			t.Fatalf("generated code %q is not valid", c)
		}
		if id := ClickID(); !tracklane.ValidClickID(id) || len(id) != 22 {
			t.Fatalf("generated click id %q is not valid", id)
		}
	}
	if !IsToken(Token()) {
		t.Fatal("a generated token is not a token")
	}
}

func TestSecretsAreDistinctAndStoredAsTheirSHA256(t *testing.T) {
	a, b := Secret(), Secret()
	if len(a) != 43 || a == b || !tracklane.ValidClickID(a) {
		t.Fatalf("secrets %q, %q: want 43 distinct URL-safe characters", a, b)
	}
	// sha256("abc"), the FIPS 180-2 test vector.
	if got := fmt.Sprintf("%x", Hash("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("Hash(abc) = %s", got)
	}
}
