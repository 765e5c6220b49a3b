package conversions

import (
	"crypto/hmac"
	"crypto/sha256"
	"math/big"
	"strings"

	"github.com/tracklane/tracklane/server/ident"
)

// idDigits is how many characters follow "cv_" in a conversion id, as
// ident.New makes them: lower-case letters and digits.
const idDigits = 16

// idSpace is 36^idDigits, the number of such ids.
var idSpace = new(big.Int).Exp(big.NewInt(36), big.NewInt(idDigits), nil)

// reportID is the id of a report of typ and externalID to the tenant: the
// id its conversion takes if one is stored, and the id a browser is told
// whether or not one is. With an externalId it is derived — HMAC-SHA256
// under IDKey of the tenant, type and externalId, read in base 36 — so a
// repeat answers the same id, stored or not, and no one without the key
// can tell a derived id from a random one or compute one. Without an
// externalId nothing makes two reports one, and it is random (ident.New).
func (s Service) reportID(tenantID, typ, externalID string) string {
	if externalID == "" {
		return ident.New("cv_")
	}
	m := hmac.New(sha256.New, s.IDKey)
	m.Write([]byte("reported-conversion\x00" + tenantID + "\x00" + typ + "\x00" + externalID))
	n := new(big.Int).SetBytes(m.Sum(nil))
	digits := n.Mod(n, idSpace).Text(36)
	return "cv_" + strings.Repeat("0", idDigits-len(digits)) + digits
}
