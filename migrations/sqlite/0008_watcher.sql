-- The watcher's memory: the last state it saw of each Odoo object an app owns, so a poll
-- emits only real transitions (invoice posted, paid, voided, subscription started, …).
CREATE TABLE watch_seen (
    object_type     TEXT    NOT NULL,
    odoo_id         INTEGER      NOT NULL,
    service_id      INTEGER      NOT NULL,
    state           TEXT    NOT NULL,
    updated_at      INTEGER      NOT NULL,
    PRIMARY KEY (object_type, odoo_id)
);
