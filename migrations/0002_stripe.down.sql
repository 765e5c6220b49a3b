DROP TABLE conversion_history;
DROP TABLE conversions;
DROP TABLE stripe_customer_attributions;
DROP TABLE stripe_subscriptions;
DROP TABLE stripe_charges;
DROP TABLE stripe_payments;
DROP TABLE stripe_events;
DROP TABLE stripe_connections;
