-- Customers, plans and subscriptions (PostgreSQL). The money lives in Odoo; these tables hold the
-- links (external ids → Odoo ids) and the Lago attributes Odoo has no field for.
-- Times are Unix microseconds (UTC); JSON is TEXT. Mirrors ../sqlite/0002_accounts.sql.

-- A Lago customer of one service, linked to one res.partner (shared across services).
CREATE TABLE customers (
    lago_id         TEXT    PRIMARY KEY,
    service_id      BIGINT NOT NULL REFERENCES services(id),
    external_id     TEXT    NOT NULL,
    partner_id      BIGINT NOT NULL,
    attributes      TEXT    NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    deleted_at      BIGINT
);
CREATE UNIQUE INDEX customers_external ON customers(service_id, external_id) WHERE deleted_at IS NULL;
CREATE INDEX customers_partner ON customers(partner_id);

-- A Lago plan of one service and the Odoo records it maps onto.
CREATE TABLE plans (
    lago_id             TEXT    PRIMARY KEY,
    service_id          BIGINT NOT NULL REFERENCES services(id),
    code                TEXT    NOT NULL,
    name                TEXT    NOT NULL,
    interval            TEXT    NOT NULL,
    amount_cents        BIGINT NOT NULL,
    amount_currency     TEXT    NOT NULL,
    pay_in_advance      BOOLEAN NOT NULL,
    attributes          TEXT    NOT NULL,
    charges             TEXT    NOT NULL,
    odoo_plan_id        BIGINT NOT NULL,
    odoo_product_id     BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    deleted_at          BIGINT
);
CREATE UNIQUE INDEX plans_code ON plans(service_id, code) WHERE deleted_at IS NULL;

-- A Lago subscription of one service: one Odoo sale.order. Several rows may share an
-- external_id (a plan upgrade ends one and starts the next); at most one is live.
CREATE TABLE subscriptions (
    lago_id                 TEXT    PRIMARY KEY,
    service_id              BIGINT NOT NULL REFERENCES services(id),
    external_id             TEXT    NOT NULL,
    customer_id             TEXT    NOT NULL REFERENCES customers(lago_id),
    plan_id                 TEXT    NOT NULL REFERENCES plans(lago_id),
    sale_order_id           BIGINT,
    status                  TEXT    NOT NULL,
    name                    TEXT,
    billing_time            TEXT    NOT NULL,
    subscription_at         BIGINT NOT NULL,
    started_at              BIGINT,
    ending_at               BIGINT,
    terminated_at           BIGINT,
    canceled_at             BIGINT,
    previous_plan_id        TEXT,
    next_plan_id            TEXT,
    downgrade_plan_date     TEXT,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL
);
CREATE UNIQUE INDEX subscriptions_live ON subscriptions(service_id, external_id)
    WHERE status IN ('incomplete', 'pending', 'active');
CREATE INDEX subscriptions_customer ON subscriptions(customer_id);
CREATE INDEX subscriptions_external ON subscriptions(service_id, external_id);
