// Command fakestripe runs Tracklane's stateful fake Stripe API as a
// standalone server, for trying Tracklane end to end without a Stripe
// account. Point the server at it with STRIPE_API_BASE and use the keys it
// prints. Stories are played through its small control API:
//
//	POST /_demo/pay    account, email, amount (minor units), mode (live|test), tax, currency
//	POST /_demo/refund account, charge, amount (0 = the rest)
//
// Each answers JSON with the ids it created.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"time"

	"github.com/tracklane/tracklane/server/testkit/fakestripe"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:12111", "listen address (loopback)")
	flag.Parse()

	fs := fakestripe.New()
	defer fs.Close()
	const liveKey, testKey = "sk_live_demo", "sk_test_demo"
	fs.AddKey(liveKey)
	fs.AddKey(testKey)
	target, _ := url.Parse(fs.URL())

	mux := http.NewServeMux()
	mux.Handle("/v1/", httputil.NewSingleHostReverseProxy(target))
	mux.HandleFunc("POST /_demo/pay", func(w http.ResponseWriter, r *http.Request) {
		acct, email := r.FormValue("account"), r.FormValue("email")
		amount, err := strconv.ParseInt(r.FormValue("amount"), 10, 64)
		if acct == "" || email == "" || err != nil || amount <= 0 {
			http.Error(w, "account, email and a positive amount (minor units) are required", http.StatusBadRequest)
			return
		}
		tax, _ := strconv.ParseInt(r.FormValue("tax"), 10, 64)
		live := r.FormValue("mode") == "live"
		now := time.Now()
		cus := fs.CreateCustomer(acct, live, email, now)
		sub := fs.CreateSubscription(acct, live, cus, now)
		inv, ch := fs.PayInvoice(acct, live, fakestripe.InvoiceParams{Customer: cus, Subscription: sub, AmountPaid: amount, Tax: tax, Currency: r.FormValue("currency"), At: now})
		json.NewEncoder(w).Encode(map[string]string{"customer": cus, "subscription": sub, "invoice": inv, "charge": ch})
	})
	mux.HandleFunc("POST /_demo/refund", func(w http.ResponseWriter, r *http.Request) {
		amount, _ := strconv.ParseInt(r.FormValue("amount"), 10, 64)
		if r.FormValue("account") == "" || r.FormValue("charge") == "" {
			http.Error(w, "account and charge are required", http.StatusBadRequest)
			return
		}
		re := fs.Refund(r.FormValue("account"), r.FormValue("charge"), amount, time.Now())
		json.NewEncoder(w).Encode(map[string]string{"refund": re})
	})
	fmt.Printf("fake Stripe on http://%s\n  STRIPE_API_BASE=http://%s\n  STRIPE_SECRET_KEY=%s\n  STRIPE_TEST_SECRET_KEY=%s\n", *addr, *addr, liveKey, testKey)
	log.Fatal(http.ListenAndServe(*addr, mux))
}
