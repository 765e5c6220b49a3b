package ident

import (
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
