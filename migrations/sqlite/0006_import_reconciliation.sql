-- NexaCloud import links and dual-run reconciliation (SQLite). Mirrors
-- ../postgres/0006_import_reconciliation.sql. Times are Unix microseconds (UTC).

-- Which legacy record became which gateway record (customer / subscription lago_id), with a
-- fingerprint of what was imported: a rerun of the importer finds it unchanged.
CREATE TABLE import_records (
    service_id      INTEGER NOT NULL REFERENCES services(id),
    source          TEXT    NOT NULL,
    entity          TEXT    NOT NULL,
    source_id       TEXT    NOT NULL,
    lago_id         TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    imported_at     INTEGER NOT NULL,
    PRIMARY KEY (service_id, source, entity, source_id)
);

-- What an app reports it billed for a period (POST /api/v1/reconciliation or a CSV);
-- external_subscription_id '' = one-off charges of the customer.
CREATE TABLE reconciliation_reports (
    service_id                  INTEGER NOT NULL REFERENCES services(id),
    period                      TEXT    NOT NULL,
    external_customer_id        TEXT    NOT NULL,
    external_subscription_id    TEXT    NOT NULL,
    amount_cents                INTEGER NOT NULL,
    currency                    TEXT    NOT NULL,
    source                      TEXT    NOT NULL,
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL,
    PRIMARY KEY (service_id, period, external_customer_id, external_subscription_id)
);

-- One comparison of a period with Odoo (`fusion-billing reconcile`): its result as JSON, so
-- the next run shows what changed.
CREATE TABLE reconciliation_runs (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id          INTEGER NOT NULL REFERENCES services(id),
    period              TEXT    NOT NULL,
    threshold_cents     INTEGER NOT NULL,
    result              TEXT    NOT NULL,
    created_at          INTEGER NOT NULL
);
CREATE INDEX reconciliation_runs_period ON reconciliation_runs(service_id, period, id);
