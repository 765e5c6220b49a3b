// Command fakestripe runs Tracklane's stateful fake Stripe API as a
// standalone server, for trying Tracklane end to end without a Stripe
// account. Point the server at it with STRIPE_API_BASE and use the keys it
// prints. Stories are played through its small control API:
//
//	POST /_demo/pay      account, email, amount (minor units), mode (live|test), tax, currency
//	POST /_demo/refund   account, charge, amount (0 = the rest)
//	POST /_demo/webhooks account, mode, url, secret: sends the account's events of that mode
//	                     to url, signed with secret, as a Stripe webhook endpoint would
//
// Each answers JSON with the ids it created (or, for webhooks, each
// delivery's answer).
//
// The keys belong to one Stripe account, the platform's own: -platform-account
// names it (GET /v1/account answers it). Requests without Stripe-Account are
// served for it and its events carry no "account", as for a merchant who
// installs the app on the account whose keys the server holds.
//
// It listens on 127.0.0.1:12119 unless told otherwise with -addr (Stripe's
// stripe-mock, which the tests run, uses 12111 and 12112).
package main

import (
	"bytes"
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
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

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
	platform := flags.String("platform-account", fakestripe.DefaultPlatformAccount,
		"the account the keys belong to: requests without Stripe-Account are its own")
	if err := flags.Parse(args); err != nil {
		return err
	}

	fs := fakestripe.New()
	defer fs.Close()
	fs.AddKey(liveKey)
	fs.AddKey(testKey)
	fs.SetPlatformAccount(*platform)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("%w (is another fake Stripe or stripe-mock on it? choose another with -addr)", err)
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "fake Stripe on %s\n  STRIPE_API_BASE=%s\n  STRIPE_SECRET_KEY=%s\n  STRIPE_TEST_SECRET_KEY=%s\n  platform account (the keys' own): %s\n",
		base, base, liveKey, testKey, *platform)
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
	mux.HandleFunc("POST /_demo/webhooks", func(w http.ResponseWriter, r *http.Request) {
		acct, target, secret := r.FormValue("account"), r.FormValue("url"), r.FormValue("secret")
		if acct == "" || secret == "" || !strings.HasPrefix(target, "http") {
			http.Error(w, "account, url (http…) and secret are required", http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(deliver(fs.Events(acct), r.FormValue("mode") == "live", target, secret))
	})
	return mux
}

// delivery is one webhook sent: the event and the receiver's answer.
type delivery struct {
	Event  string `json:"event"`
	Type   string `json:"type"`
	Status int    `json:"status"`
	Answer string `json:"answer"`
}

// deliver posts each event of the mode to target, signed with secret as
// Stripe signs webhooks, in the order they happened.
func deliver(events []json.RawMessage, live bool, target, secret string) []delivery {
	client := &http.Client{Timeout: 5 * time.Minute}
	out := []delivery{}
	for _, raw := range events {
		var ev struct {
			ID       string `json:"id"`
			Type     string `json:"type"`
			Livemode bool   `json:"livemode"`
		}
		if json.Unmarshal(raw, &ev) != nil || ev.Livemode != live {
			continue
		}
		d := delivery{Event: ev.ID, Type: ev.Type}
		sig := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: raw, Secret: secret, Timestamp: time.Now()})
		req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Stripe-Signature", sig.Header)
		if resp, err := client.Do(req); err != nil {
			d.Answer = err.Error()
		} else {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			d.Status, d.Answer = resp.StatusCode, strings.TrimSpace(string(body))
		}
		out = append(out, d)
	}
	return out
}
