-- Invoices, credit notes and idempotency keys (PostgreSQL). Odoo's account.move is the record of
-- the money; these tables hold the stable Lago ids of the moves an app may see, the Lago
-- attributes Odoo has no field for (metadata, credit note reasons and items), and the replay
-- store of Idempotency-Key requests. Times are Unix microseconds (UTC); JSON is TEXT.
-- Mirrors ../sqlite/0005_invoices.sql.

-- One Odoo customer invoice (out_invoice) visible to one service. lago_id is derived from
-- (service, move id), so concurrent discoveries insert the same row (ON CONFLICT DO NOTHING).
CREATE TABLE invoices (
    lago_id          TEXT    PRIMARY KEY,
    service_id       BIGINT NOT NULL REFERENCES services(id),
    move_id          BIGINT  NOT NULL,
    -- subscription | one_off
    invoice_type     TEXT    NOT NULL,
    customer_id      TEXT    NOT NULL,
    subscription_id  TEXT,
    metadata         TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE UNIQUE INDEX invoices_move ON invoices(service_id, move_id);

-- One credit note (posted out_refund) of a service's invoice. items is a JSON array of
-- {"lago_id","fee_id","amount_cents"} (amounts excluding taxes, in cents).
CREATE TABLE credit_notes (
    lago_id              TEXT    PRIMARY KEY,
    service_id           BIGINT NOT NULL REFERENCES services(id),
    invoice_id           TEXT    NOT NULL REFERENCES invoices(lago_id),
    move_id              BIGINT  NOT NULL,
    reason               TEXT    NOT NULL,
    description          TEXT,
    credit_amount_cents  BIGINT  NOT NULL,
    refund_amount_cents  BIGINT  NOT NULL,
    items                TEXT    NOT NULL,
    voided_at            BIGINT ,
    created_at           BIGINT  NOT NULL,
    updated_at           BIGINT  NOT NULL
);
CREATE UNIQUE INDEX credit_notes_move ON credit_notes(service_id, move_id);
CREATE INDEX credit_notes_invoice ON credit_notes(invoice_id);

-- Idempotency-Key of a POST: the request's body hash and, once answered (non-5xx), the
-- response to replay. Purged after 24 hours.
CREATE TABLE idempotency_keys (
    service_id     BIGINT NOT NULL REFERENCES services(id),
    key            TEXT    NOT NULL,
    route          TEXT    NOT NULL,
    request_hash   TEXT    NOT NULL,
    status         BIGINT ,
    response       TEXT,
    created_at     BIGINT  NOT NULL,
    PRIMARY KEY (service_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
