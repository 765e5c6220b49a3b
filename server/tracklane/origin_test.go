package tracklane

import "testing"

func TestChooseOrigin(t *testing.T) {
	for _, tc := range []struct {
		name, named, owner string
		id                 string
		ok                 bool
	}{
		{"none named: the default", "", "", "", true},
		{"the tenant's own", "ro_1", "tn_a", "ro_1", true},
		{"unknown (a Trackdesk id): the default", "00000000-0000-0000-0000-000000000000", "", "", true},
		{"another tenant's: refused", "ro_2", "tn_b", "", false},
	} {
		if id, ok := ChooseOrigin("tn_a", tc.named, tc.owner); id != tc.id || ok != tc.ok {
			t.Errorf("%s: %q, %v; want %q, %v", tc.name, id, ok, tc.id, tc.ok)
		}
	}
}
