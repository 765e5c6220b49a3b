// Command appsign prints a Stripe-Signature header for a Stripe App request,
// signed the way Stripe signs the app's requests (over
// {"user_id":…,"account_id":…} with the app's signing secret), so the
// Stripe App endpoints can be tried with curl.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"
)

func main() {
	secret := flag.String("secret", os.Getenv("STRIPE_APP_SECRET"), "the app's signing secret (absec_…)")
	user := flag.String("user", "usr_demo", "user_id")
	account := flag.String("account", "acct_demo", "account_id")
	flag.Parse()
	if *secret == "" {
		fmt.Fprintln(os.Stderr, "appsign: give -secret or set STRIPE_APP_SECRET")
		os.Exit(2)
	}
	payload, _ := json.Marshal(struct {
		UserID    string `json:"user_id"`
		AccountID string `json:"account_id"`
	}{*user, *account})
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: *secret, Timestamp: time.Now()})
	fmt.Println(sp.Header)
}
