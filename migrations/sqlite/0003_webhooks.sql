-- Webhooks (SQLite): endpoints per service, the durable outbox, attempts, and the RSA
-- key pair that signs JWT webhooks. Times are Unix microseconds (UTC).
-- Mirrors ../postgres/0003_webhooks.sql.

-- Lago webhook endpoints, per service (app). Disabled endpoints receive nothing until
-- `fusion-billing webhooks enable`.
CREATE TABLE webhook_endpoints (
    id                      TEXT    PRIMARY KEY,
    service_id              INTEGER NOT NULL REFERENCES services(id),
    webhook_url             TEXT    NOT NULL,
    signature_algo          TEXT    NOT NULL,
    name                    TEXT,
    event_types             TEXT,
    failed_deliveries       INTEGER NOT NULL DEFAULT 0,
    disabled_at             INTEGER,
    disabled_reason         TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    UNIQUE (service_id, webhook_url)
);

-- The outbox: one row per (message, endpoint), written before any attempt. `body` is the
-- exact text POSTed and signed. status: pending | delivered | failed. A claimed pending
-- row has next_attempt_at pushed forward by the lease, so a crashed worker's rows come
-- due again.
CREATE TABLE webhook_deliveries (
    id                  TEXT    PRIMARY KEY,
    service_id          INTEGER NOT NULL,
    endpoint_id         TEXT    NOT NULL,
    webhook_type        TEXT    NOT NULL,
    object_type         TEXT    NOT NULL,
    body                TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    last_status_code    INTEGER,
    last_error          TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_service ON webhook_deliveries(service_id, created_at);

-- Every attempt of every delivery (no secrets, no bodies).
CREATE TABLE webhook_attempts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id     TEXT    NOT NULL,
    attempt         INTEGER NOT NULL,
    attempted_at    INTEGER NOT NULL,
    status_code     INTEGER,
    error           TEXT,
    duration_ms     INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id);

-- The instance RSA key pair for JWT (RS256) webhooks: one row (id = 1), shared by all
-- replicas. PEM text (PKCS#8 private, SPKI public).
CREATE TABLE webhook_signing_keys (
    id                  INTEGER PRIMARY KEY,
    private_key_pem     TEXT    NOT NULL,
    public_key_pem      TEXT    NOT NULL,
    created_at          INTEGER NOT NULL
);
