package store

import (
	"testing"

	"github.com/lib/pq"
)

// The store needs binary parameters (pgarray.go), so they are on whatever
// the DSN says, in both DSN forms.
func TestWithBinaryParameters(t *testing.T) {
	for _, dsn := range []string{
		"postgres://u@h:5432/db?sslmode=disable",
		"postgres://u@h:5432/db?sslmode=disable&binary_parameters=no",
		"host=h dbname=db sslmode=disable",
		"host=h dbname=db binary_parameters=no sslmode=disable",
	} {
		c, err := pq.NewConfig(withBinaryParameters(dsn))
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		if !c.BinaryParameters {
			t.Errorf("%s: binary parameters off", dsn)
		}
	}
}
