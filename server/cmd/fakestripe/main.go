// Command fakestripe runs Tracklane's stateful fake Stripe API as a
// standalone server, for trying Tracklane end to end without a Stripe
// account. Point the server at it with STRIPE_API_BASE and use the keys it
// prints. Stories are played through its small control API:
//
//	POST /_demo/pay    account, email, amount (minor units), mode (live|test), tax, currency
//	POST /_demo/refund account, charge, amount (0 = the rest)
//
// Each answers JSON with the ids it created.
//
// It listens on 127.0.0.1:12119 unless told otherwise with -addr (Stripe's
// stripe-mock, which the tests run, uses 12111 and 12112).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/tracklane/tracklane/server/testkit/fakestripe"
)

// defaultAddr is a port of its own: stripe-mock's defaults are 12111/12112.
const defaultAddr = "127.0.0.1:12119"

// The keys the fake Stripe accepts, for live-mode and test-mode installs.
const liveKey, testKey = "sk_live_demo", "sk_test_demo"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "fakestripe:", err)
		}
		os.Exit(2)
	}
}

// run serves until the listener fails. The banner with the address and the
// keys is printed only once the address is listening, so whoever reads it
// can use the fake Stripe at once.
func run(args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("fakestripe", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", defaultAddr, "listen address (keep it on loopback)")
	if err := flags.Parse(args); err != nil {
		return err
	}

	fs := fakestripe.New()
	defer fs.Close()
	fs.AddKey(liveKey)
	fs.AddKey(testKey)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("%w (is another fake Stripe or stripe-mock on it? choose another with -addr)", err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "fake Stripe on %s\n  STRIPE_API_BASE=%s\n  STRIPE_SECRET_KEY=%s\n  STRIPE_TEST_SECRET_KEY=%s\n",
		base, base, liveKey, testKey)
	return http.Serve(ln, handler(fs))
}

// handler serves Stripe's API (/v1/…, proxied to the fake) and the demo
// control API (/_demo/…).
func handler(fs *fakestripe.Server) http.Handler {
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
	return mux
}
