-- Rating push state. One row per subscription and Odoo billing window
-- [window_from, window_to) (dates): what was last written onto the subscription's usage
-- lines for that window (fingerprint, amounts per charge in minor units, late-usage parts
-- for earlier windows), and whether Odoo has since invoiced it (the window rolled over).
CREATE TABLE rating_state (
    subscription_id     TEXT    NOT NULL,
    window_from         TEXT    NOT NULL,
    window_to           TEXT    NOT NULL,
    fingerprint         TEXT    NOT NULL,
    charges             TEXT    NOT NULL,
    late                TEXT    NOT NULL,
    late_billed         TEXT    NOT NULL,
    invoiced            BOOLEAN NOT NULL,
    pushed_at           INTEGER      NOT NULL,
    PRIMARY KEY (subscription_id, window_from)
);

-- Cursors of background loops (e.g. the last event seq the rating push has seen).
CREATE TABLE sync_cursors (
    name    TEXT    PRIMARY KEY,
    value   INTEGER      NOT NULL
);
