-- Foundation schema (SQLite). Times are Unix microseconds (UTC) in INTEGER columns;
-- decimals are TEXT (rust_decimal), JSON is TEXT. Mirrors ../postgres/0001_foundation.sql.

-- A service is one app: the tenant boundary for everything.
CREATE TABLE services (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    name            TEXT    NOT NULL UNIQUE,
    webhook_secret  TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);

-- API keys: only the SHA-256 hash is stored. A rotated key keeps working until expires_at.
CREATE TABLE api_keys (
    id          TEXT    PRIMARY KEY,
    service_id  INTEGER NOT NULL REFERENCES services(id),
    key_hash    TEXT    NOT NULL UNIQUE,
    key_prefix  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX api_keys_service ON api_keys(service_id);

-- Lago billable metrics, per service.
CREATE TABLE billable_metrics (
    id                  TEXT    PRIMARY KEY,
    service_id          INTEGER NOT NULL REFERENCES services(id),
    code                TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    description         TEXT,
    aggregation_type    TEXT    NOT NULL,
    field_name          TEXT,
    recurring           BOOLEAN NOT NULL,
    weighted_interval   TEXT,
    rounding_function   TEXT,
    rounding_precision  INTEGER,
    expression          TEXT,
    filters             TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    UNIQUE (service_id, code)
);

-- Raw usage events. The unique key is Lago's (organization, external_subscription_id,
-- transaction_id), led by transaction_id so GET /events/{transaction_id} uses it too.
CREATE TABLE events (
    seq                         INTEGER PRIMARY KEY,
    lago_id                     TEXT    NOT NULL,
    service_id                  INTEGER NOT NULL,
    external_subscription_id    TEXT    NOT NULL,
    transaction_id              TEXT    NOT NULL,
    code                        TEXT    NOT NULL,
    timestamp                   INTEGER NOT NULL,
    properties                  TEXT    NOT NULL,
    precise_total_amount_cents  TEXT,
    fingerprint                 TEXT    NOT NULL,
    created_at                  INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_idempotency
    ON events(service_id, transaction_id, external_subscription_id);
CREATE INDEX events_window
    ON events(service_id, external_subscription_id, code, timestamp);

-- Aggregate counters pushed by apps (POST /api/v1/usage), idempotent per
-- (service, subscription, metric code, idempotency_key).
CREATE TABLE usage_counters (
    seq                         INTEGER PRIMARY KEY,
    lago_id                     TEXT    NOT NULL,
    service_id                  INTEGER NOT NULL,
    external_subscription_id    TEXT    NOT NULL,
    code                        TEXT    NOT NULL,
    period_start                INTEGER NOT NULL,
    period_end                  INTEGER NOT NULL,
    quantity                    TEXT    NOT NULL,
    idempotency_key             TEXT    NOT NULL,
    fingerprint                 TEXT    NOT NULL,
    created_at                  INTEGER NOT NULL
);
CREATE UNIQUE INDEX usage_counters_idempotency
    ON usage_counters(service_id, external_subscription_id, code, idempotency_key);
CREATE INDEX usage_counters_window
    ON usage_counters(service_id, external_subscription_id, code, period_start);
