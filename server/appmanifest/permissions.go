package appmanifest

// Permission is one permission the app asks the merchant for, with the
// reads that need it: the Stripe API paths the sync calls on the connected
// account and the event types it reads (Stripe asks an app that reads an
// event type for the permission of that type's object). Purpose is what
// the merchant reads when installing.
type Permission struct {
	Name    string
	Purpose string
	Paths   []string // GET paths under /v1 that need it
	Events  []string // event types that need it
}

// Permissions are every permission the app asks for, all read-only, each
// justified by the calls and events in SPEC §4 and §10 that need it. A
// read the code never makes has no permission here.
//
// promotion_code_read is in Stripe's permissions reference but not yet in
// the enum of Stripe's published manifest JSON schema (which lags the
// reference, as it did for entitlement_read): SchemaLag names it, and the
// schema tests accept exactly that difference.
var Permissions = []Permission{
	{
		Name: "event_read",
		Purpose: "Tracklane reads your account's billing events (paid invoices, successful and captured charges and payments, refunds " +
			"and their failures, credit notes, disputes, cancelled subscriptions, completed Checkout Sessions, new and updated customers) " +
			"to find payments made by customers an affiliate referred, and to keep their commissions up to date.",
		Paths: []string{"/v1/events"},
	},
	{
		Name: "invoice_read",
		Purpose: "Tracklane reads paid invoices, and which payment paid each, to record the amount paid, excluding tax, on which an " +
			"affiliate's commission is computed.",
		Paths:  []string{"/v1/invoices"},
		Events: []string{"invoice.paid", "invoice_payment.paid"},
	},
	{
		Name: "charge_read",
		Purpose: "Tracklane reads charges and their refunds to record payments made without an invoice (when they are captured) " +
			"and to lower or cancel a commission when a payment is refunded, or restore it when a refund fails.",
		Paths:  []string{"/v1/charges", "/v1/refunds"},
		Events: []string{"charge.succeeded", "charge.captured", "charge.refunded", "charge.refund.updated"},
	},
	{
		Name: "credit_note_read",
		Purpose: "Tracklane reads the credit notes of paid invoices to lower a commission by what a credit note gave back " +
			"to the customer other than by refund.",
		Paths:  []string{"/v1/credit_notes"},
		Events: []string{"credit_note.created", "credit_note.voided"},
	},
	{
		Name: "customer_read",
		Purpose: "Tracklane reads the paying customer's email, and the click id your site may store in the customer's metadata " +
			"(metadata.tracklane_cid), to match the payment to the affiliate click that customer came from.",
		Paths:  []string{"/v1/customers"},
		Events: []string{"customer.created", "customer.updated"},
	},
	{
		Name: "subscription_read",
		Purpose: "Tracklane reads subscriptions to apply your commission duration to recurring payments and to cancel " +
			"pending commissions when a subscription is cancelled.",
		Paths:  []string{"/v1/subscriptions"},
		Events: []string{"customer.subscription.deleted"},
	},
	{
		Name:    "dispute_read",
		Purpose: "Tracklane reads disputes to hold a commission while its payment is disputed and to settle it when the dispute closes.",
		Paths:   []string{"/v1/disputes"},
		Events:  []string{"charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"},
	},
	{
		Name: "checkout_session_read",
		Purpose: "Tracklane reads completed Checkout Sessions for the click id your site passed to Stripe (client_reference_id " +
			"or metadata) and the promotion code used, to credit the affiliate who referred the customer.",
		Paths:  []string{"/v1/checkout/sessions"},
		Events: []string{"checkout.session.completed"},
	},
	{
		Name: "payment_intent_read",
		Purpose: "Tracklane reads a PaymentIntent's metadata for the click id your site passed to Stripe " +
			"(metadata.tracklane_cid), to credit the affiliate who referred the customer.",
		Paths:  []string{"/v1/payment_intents"},
		Events: []string{"payment_intent.succeeded"},
	},
	{
		Name: "promotion_code_read",
		Purpose: "Tracklane reads the promotion codes used on invoices and Checkout Sessions, to credit the affiliate " +
			"you assigned that code to.",
		Paths: []string{"/v1/promotion_codes"},
	},
}

// SchemaLag lists the permissions that Stripe's permissions reference
// names but the enum of the published manifest JSON schema does not yet.
var SchemaLag = []string{"promotion_code_read"}
