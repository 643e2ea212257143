//! Raw usage events and pushed aggregate counters: their stored form, the idempotent
//! batch insert the writer uses, and the reads behind the API and aggregation.
//!
//! Idempotency (Lago `index_unique_transaction_id`): an event is unique per
//! (service, `external_subscription_id`, `transaction_id`); a counter per
//! (service, `external_subscription_id`, `code`, `idempotency_key`). Each stored row
//! carries a `fingerprint` (SHA-256 of its canonical content) so a replay can be told
//! apart from a reuse of the id with other content.

use serde_json::Value;
use sqlx::FromRow;

use super::store::{Store, StoreError};
use crate::dispatch;

/// An event as stored (one `events` row without its tenant and sequence columns).
/// Times are Unix microseconds UTC.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct StoredEvent {
    pub lago_id: String,
    pub external_subscription_id: String,
    pub transaction_id: String,
    pub code: String,
    pub timestamp: i64,
    /// Canonical JSON object text (keys sorted).
    pub properties: String,
    /// Decimal string (`precise_total_amount_cents`).
    pub precise_total_amount_cents: Option<String>,
    /// SHA-256 hex of the canonical content as sent (a `null` timestamp hashes as null).
    pub fingerprint: String,
    pub created_at: i64,
}

/// An event validated by the API, ready to store: exactly the row that will be stored.
pub type NewEvent = StoredEvent;

/// A pushed counter validated by the API. Times are Unix microseconds UTC; the period is
/// half-open `[period_start, period_end)`.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct StoredCounter {
    pub lago_id: String,
    pub external_subscription_id: String,
    pub code: String,
    pub period_start: i64,
    pub period_end: i64,
    /// Non-negative decimal string.
    pub quantity: String,
    pub idempotency_key: String,
    pub fingerprint: String,
    pub created_at: i64,
}

/// What happened to one item of a write job.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemOutcome<T> {
    /// Newly stored.
    Inserted(T),
    /// Same id and same content already stored: the stored row.
    Replayed(T),
    /// Same id, different content: refused (`value_already_exist`).
    Conflict,
}

impl<T> ItemOutcome<T> {
    /// The row to return to the client, if the item was accepted.
    pub fn into_row(self) -> Option<T> {
        match self {
            ItemOutcome::Inserted(r) | ItemOutcome::Replayed(r) => Some(r),
            ItemOutcome::Conflict => None,
        }
    }
}

/// Rows per INSERT statement (SQLite allows 32,766 bound values; 10 per row).
pub(crate) const INSERT_CHUNK: usize = 1000;

pub(crate) const EVENT_COLUMNS: &str =
    "lago_id, external_subscription_id, transaction_id, code, timestamp, \
     properties, precise_total_amount_cents, fingerprint, created_at";
pub(crate) const COUNTER_COLUMNS: &str =
    "lago_id, external_subscription_id, code, period_start, period_end, \
     quantity, idempotency_key, fingerprint, created_at";

/// Inserts one job's events inside the writer's open transaction `$tx`, returning one
/// outcome per event in order. Rows it inserted are deleted again if any event conflicts,
/// so a job is all-or-nothing while the surrounding transaction commits other jobs.
macro_rules! insert_events_in_tx {
    ($tx:expr, $service_id:expr, $events:expr) => {{
        let service_id: i64 = $service_id;
        let events: &[$crate::meter::events::NewEvent] = $events;
        let mut inserted = std::collections::HashSet::<(String, String)>::new();
        for chunk in events.chunks($crate::meter::events::INSERT_CHUNK) {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "INSERT INTO events (service_id, {}) ",
                $crate::meter::events::EVENT_COLUMNS
            ));
            qb.push_values(chunk, |mut b, e| {
                b.push_bind(service_id)
                    .push_bind(&e.lago_id)
                    .push_bind(&e.external_subscription_id)
                    .push_bind(&e.transaction_id)
                    .push_bind(&e.code)
                    .push_bind(e.timestamp)
                    .push_bind(&e.properties)
                    .push_bind(&e.precise_total_amount_cents)
                    .push_bind(&e.fingerprint)
                    .push_bind(e.created_at);
            });
            qb.push(
                " ON CONFLICT (service_id, transaction_id, external_subscription_id) DO NOTHING \
                 RETURNING transaction_id, external_subscription_id",
            );
            let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *$tx).await?;
            inserted.extend(rows);
        }
        let mut out = Vec::with_capacity(events.len());
        let mut claimed = std::collections::HashSet::<(&str, &str)>::new();
        let mut conflict = false;
        for e in events {
            let key = (
                e.transaction_id.as_str(),
                e.external_subscription_id.as_str(),
            );
            let newly =
                inserted.contains(&(e.transaction_id.clone(), e.external_subscription_id.clone()));
            if newly && claimed.insert(key) {
                out.push($crate::meter::events::ItemOutcome::Inserted(e.clone()));
                continue;
            }
            let existing: $crate::meter::events::StoredEvent = sqlx::query_as(&format!(
                "SELECT {} FROM events WHERE service_id = $1 AND transaction_id = $2 \
                 AND external_subscription_id = $3",
                $crate::meter::events::EVENT_COLUMNS
            ))
            .bind(service_id)
            .bind(&e.transaction_id)
            .bind(&e.external_subscription_id)
            .fetch_one(&mut *$tx)
            .await?;
            if existing.fingerprint == e.fingerprint {
                out.push($crate::meter::events::ItemOutcome::Replayed(existing));
            } else {
                conflict = true;
                out.push($crate::meter::events::ItemOutcome::Conflict);
            }
        }
        if conflict {
            for (tid, sub) in &claimed {
                sqlx::query(
                    "DELETE FROM events WHERE service_id = $1 AND transaction_id = $2 \
                     AND external_subscription_id = $3",
                )
                .bind(service_id)
                .bind(*tid)
                .bind(*sub)
                .execute(&mut *$tx)
                .await?;
            }
        }
        Ok::<_, sqlx::Error>((out, conflict))
    }};
}

/// As [`insert_events_in_tx`] for pushed counters.
macro_rules! insert_counters_in_tx {
    ($tx:expr, $service_id:expr, $counters:expr) => {{
        let service_id: i64 = $service_id;
        let counters: &[$crate::meter::events::StoredCounter] = $counters;
        let mut inserted = std::collections::HashSet::<(String, String, String)>::new();
        for chunk in counters.chunks($crate::meter::events::INSERT_CHUNK) {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "INSERT INTO usage_counters (service_id, {}) ",
                $crate::meter::events::COUNTER_COLUMNS
            ));
            qb.push_values(chunk, |mut b, c| {
                b.push_bind(service_id)
                    .push_bind(&c.lago_id)
                    .push_bind(&c.external_subscription_id)
                    .push_bind(&c.code)
                    .push_bind(c.period_start)
                    .push_bind(c.period_end)
                    .push_bind(&c.quantity)
                    .push_bind(&c.idempotency_key)
                    .push_bind(&c.fingerprint)
                    .push_bind(c.created_at);
            });
            qb.push(
                " ON CONFLICT (service_id, external_subscription_id, code, idempotency_key) DO NOTHING \
                 RETURNING external_subscription_id, code, idempotency_key",
            );
            let rows: Vec<(String, String, String)> =
                qb.build_query_as().fetch_all(&mut *$tx).await?;
            inserted.extend(rows);
        }
        let mut out = Vec::with_capacity(counters.len());
        let mut claimed = std::collections::HashSet::<(String, String, String)>::new();
        let mut conflict = false;
        for c in counters {
            let key = (
                c.external_subscription_id.clone(),
                c.code.clone(),
                c.idempotency_key.clone(),
            );
            if inserted.contains(&key) && claimed.insert(key) {
                out.push($crate::meter::events::ItemOutcome::Inserted(c.clone()));
                continue;
            }
            let existing: $crate::meter::events::StoredCounter = sqlx::query_as(&format!(
                "SELECT {} FROM usage_counters WHERE service_id = $1 \
                 AND external_subscription_id = $2 AND code = $3 AND idempotency_key = $4",
                $crate::meter::events::COUNTER_COLUMNS
            ))
            .bind(service_id)
            .bind(&c.external_subscription_id)
            .bind(&c.code)
            .bind(&c.idempotency_key)
            .fetch_one(&mut *$tx)
            .await?;
            if existing.fingerprint == c.fingerprint {
                out.push($crate::meter::events::ItemOutcome::Replayed(existing));
            } else {
                conflict = true;
                out.push($crate::meter::events::ItemOutcome::Conflict);
            }
        }
        if conflict {
            for (sub, code, key) in &claimed {
                sqlx::query(
                    "DELETE FROM usage_counters WHERE service_id = $1 AND external_subscription_id = $2 \
                     AND code = $3 AND idempotency_key = $4",
                )
                .bind(service_id)
                .bind(sub)
                .bind(code)
                .bind(key)
                .execute(&mut *$tx)
                .await?;
            }
        }
        Ok::<_, sqlx::Error>((out, conflict))
    }};
}

pub(crate) use insert_counters_in_tx;
pub(crate) use insert_events_in_tx;

/// Filters for listing events (`GET /api/v1/events`).
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub external_subscription_id: Option<String>,
    pub code: Option<String>,
    /// Inclusive lower bound, Unix microseconds.
    pub timestamp_from: Option<i64>,
    /// Inclusive upper bound, Unix microseconds.
    pub timestamp_to: Option<i64>,
}

impl EventRepo<'_> {
    /// The event of this service with `transaction_id` (the first stored, if the id was
    /// used on several subscriptions).
    ///
    /// # Errors
    /// Store errors.
    pub async fn event_by_transaction_id(
        &self,
        service_id: i64,
        transaction_id: &str,
    ) -> Result<Option<StoredEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE service_id = $1 AND transaction_id = $2 \
             ORDER BY seq LIMIT 1"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(transaction_id)
            .fetch_optional(p)
            .await?))
    }

    /// A page of this service's events, newest first, and the total count.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list_events(
        &self,
        service_id: i64,
        filter: &EventFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<StoredEvent>, i64), StoreError> {
        let where_sql = "WHERE service_id = $1 AND ($2 IS NULL OR external_subscription_id = $2) \
             AND ($3 IS NULL OR code = $3) AND ($4 IS NULL OR timestamp >= $4) \
             AND ($5 IS NULL OR timestamp <= $5)";
        let list_sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events {where_sql} ORDER BY timestamp DESC, seq DESC \
             LIMIT $6 OFFSET $7"
        );
        let count_sql = format!("SELECT COUNT(*) FROM events {where_sql}");
        dispatch!(self.0, |p| {
            let rows: Vec<StoredEvent> = sqlx::query_as(&list_sql)
                .bind(service_id)
                .bind(&filter.external_subscription_id)
                .bind(&filter.code)
                .bind(filter.timestamp_from)
                .bind(filter.timestamp_to)
                .bind(limit)
                .bind(offset)
                .fetch_all(p)
                .await?;
            let (total,): (i64,) = sqlx::query_as(&count_sql)
                .bind(service_id)
                .bind(&filter.external_subscription_id)
                .bind(&filter.code)
                .bind(filter.timestamp_from)
                .bind(filter.timestamp_to)
                .fetch_one(p)
                .await?;
            Ok((rows, total))
        })
    }

    /// Events of one (service, subscription, metric code) with `from <= timestamp < to`
    /// (Unix microseconds), for aggregation.
    ///
    /// # Errors
    /// Store errors.
    pub async fn events_in_window(
        &self,
        service_id: i64,
        external_subscription_id: &str,
        code: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE service_id = $1 AND external_subscription_id = $2 \
             AND code = $3 AND timestamp >= $4 AND timestamp < $5"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(external_subscription_id)
            .bind(code)
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?))
    }

    /// Counters of one (service, subscription, metric code) that overlap `[from, to)`
    /// (Unix microseconds), for aggregation (which applies each type's window rule).
    ///
    /// # Errors
    /// Store errors.
    pub async fn counters_overlapping(
        &self,
        service_id: i64,
        external_subscription_id: &str,
        code: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<StoredCounter>, StoreError> {
        let sql = format!(
            "SELECT {COUNTER_COLUMNS} FROM usage_counters WHERE service_id = $1 \
             AND external_subscription_id = $2 AND code = $3 AND period_start < $5 AND period_end > $4"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(external_subscription_id)
            .bind(code)
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?))
    }

    /// Number of stored events of a service (tests and diagnostics).
    ///
    /// # Errors
    /// Store errors.
    pub async fn count_events(&self, service_id: i64) -> Result<i64, StoreError> {
        let (n,): (i64,) = dispatch!(self.0, |p| sqlx::query_as(
            "SELECT COUNT(*) FROM events WHERE service_id = $1"
        )
        .bind(service_id)
        .fetch_one(p)
        .await?);
        Ok(n)
    }
}

/// Canonical JSON text of a value: object keys sorted at every level, no insignificant
/// whitespace; equal JSON documents give equal text whatever their key order.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_ignores_key_order() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"y":[1,{"d":2,"c":3}],"x":null}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        assert_eq!(
            canonical_json(&a),
            r#"{"a":{"x":null,"y":[1,{"c":3,"d":2}]},"b":1}"#
        );
    }
}

/// Repository of stored events and pushed counters (read side; the writer inserts): a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct EventRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of stored events and pushed counters.
    pub fn events(&self) -> EventRepo<'_> {
        EventRepo(self)
    }
}
