-- Intent leases: one holder at a time per intent (a Lago subscription's external_id, an
-- invoice being credited, a customer's external_id, ...), shared by every replica on the
-- same store. A holder that died stops blocking once `expires_at` (Unix microseconds) has
-- passed; the flows it guarded resume idempotently.
CREATE TABLE intent_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Credit notes being written to Odoo: the credited amounts are reserved here (under the
-- invoice's lease) before the Odoo refund is created, and count as credited until the
-- credit note row replaces them, so a holder that dies after posting in Odoo can never let a
-- later request credit the same amounts again. `items` as in `credit_notes`.
CREATE TABLE credit_reservations (
    lago_id     TEXT   PRIMARY KEY,
    service_id  BIGINT NOT NULL,
    invoice_id  TEXT   NOT NULL,
    items       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX credit_reservations_invoice ON credit_reservations(service_id, invoice_id);

-- Subscriptions whose rating failed (an error or a panic while rating or writing them): they
-- are rated again on every cycle until one succeeds, while the usage cursor moves on for
-- everyone else. `failures` counts the attempts in a row; `last_error` says why.
CREATE TABLE rating_retries (
    subscription_id  TEXT   PRIMARY KEY,
    failures         BIGINT NOT NULL,
    last_error       TEXT   NOT NULL,
    updated_at       BIGINT NOT NULL
);
