//! The writer's fast path: all events of a commit group in as few statements as possible.
//!
//! Every job's events go into one multi-row `INSERT … ON CONFLICT DO NOTHING` (SQLite:
//! `VALUES` chunks; PostgreSQL: one `UNNEST` of column arrays), checked by
//! `rows_affected`. When every row went in, each job is `Inserted` and nothing else runs.
//! On a shortfall the affected keys are looked up: a row holding our `lago_id` is ours, a
//! row with the same fingerprint is an identical replay. If any job has a real conflict
//! the caller rolls the transaction back and replays the group job by job through
//! [`super::events::insert_events_in_tx`], whose per-job all-or-nothing rule is then
//! applied exactly; conflicts are rare, so the fast path carries the load.

use std::collections::HashMap;

use sqlx::{PgConnection, QueryBuilder, SqliteConnection};

use super::events::{ItemOutcome, NewEvent, StoredEvent, EVENT_COLUMNS, INSERT_CHUNK};

/// Per-job outcomes, or `None` when some job conflicts (the caller must roll back and
/// take the per-job path).
pub type FastResult = Option<Vec<Vec<ItemOutcome<StoredEvent>>>>;

/// Inserts `jobs` (service id, events) on SQLite inside the open transaction `conn`.
///
/// # Errors
/// Database errors.
pub async fn insert_sqlite(
    conn: &mut SqliteConnection,
    jobs: &[(i64, &[NewEvent])],
) -> Result<FastResult, sqlx::Error> {
    let rows: Vec<(i64, &NewEvent)> = jobs
        .iter()
        .flat_map(|(sid, evs)| evs.iter().map(move |e| (*sid, e)))
        .collect();
    let mut inserted = 0u64;
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut qb =
            QueryBuilder::new(format!("INSERT INTO events (service_id, {EVENT_COLUMNS}) "));
        qb.push_values(chunk, |mut b, (sid, e)| {
            b.push_bind(*sid)
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
        qb.push(" ON CONFLICT (service_id, transaction_id, external_subscription_id) DO NOTHING");
        inserted += qb.build().execute(&mut *conn).await?.rows_affected();
    }
    if inserted == rows.len() as u64 {
        return Ok(Some(all_inserted(jobs)));
    }
    let mut existing = HashMap::new();
    for (sid, e) in &rows {
        let row: StoredEvent = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE service_id = $1 AND transaction_id = $2 \
             AND external_subscription_id = $3"
        ))
        .bind(sid)
        .bind(&e.transaction_id)
        .bind(&e.external_subscription_id)
        .fetch_one(&mut *conn)
        .await?;
        existing.insert(
            (
                *sid,
                e.transaction_id.as_str(),
                e.external_subscription_id.as_str(),
            ),
            row,
        );
    }
    Ok(resolve(jobs, &existing))
}

/// Inserts `jobs` on PostgreSQL inside the open transaction `conn` with one `UNNEST`.
///
/// # Errors
/// Database errors.
pub async fn insert_postgres(
    conn: &mut PgConnection,
    jobs: &[(i64, &[NewEvent])],
) -> Result<FastResult, sqlx::Error> {
    let columns = Columns::of(jobs);
    let inserted = columns.insert(conn).await?;
    if inserted == columns.sid.len() as u64 {
        return Ok(Some(all_inserted(jobs)));
    }
    let found = columns.stored(conn).await?;
    let mut existing = HashMap::new();
    for (s, row) in &found {
        existing.insert(
            (
                *s,
                row.transaction_id.as_str(),
                row.external_subscription_id.as_str(),
            ),
            row.clone(),
        );
    }
    Ok(resolve(jobs, &existing))
}

/// The events of a group as one array per column, in job order, for `UNNEST`.
struct Columns {
    sid: Vec<i64>,
    lago_id: Vec<String>,
    sub: Vec<String>,
    tid: Vec<String>,
    code: Vec<String>,
    ts: Vec<i64>,
    props: Vec<String>,
    precise: Vec<Option<String>>,
    fp: Vec<String>,
    created: Vec<i64>,
}

impl Columns {
    fn of(jobs: &[(i64, &[NewEvent])]) -> Columns {
        let n: usize = jobs.iter().map(|(_, e)| e.len()).sum();
        let mut c = Columns {
            sid: Vec::with_capacity(n),
            lago_id: Vec::with_capacity(n),
            sub: Vec::with_capacity(n),
            tid: Vec::with_capacity(n),
            code: Vec::with_capacity(n),
            ts: Vec::with_capacity(n),
            props: Vec::with_capacity(n),
            precise: Vec::with_capacity(n),
            fp: Vec::with_capacity(n),
            created: Vec::with_capacity(n),
        };
        for (s, events) in jobs {
            for e in events.iter() {
                c.sid.push(*s);
                c.lago_id.push(e.lago_id.clone());
                c.sub.push(e.external_subscription_id.clone());
                c.tid.push(e.transaction_id.clone());
                c.code.push(e.code.clone());
                c.ts.push(e.timestamp);
                c.props.push(e.properties.clone());
                c.precise.push(e.precise_total_amount_cents.clone());
                c.fp.push(e.fingerprint.clone());
                c.created.push(e.created_at);
            }
        }
        c
    }

    /// Inserts the rows that are new (`ON CONFLICT DO NOTHING`); returns how many.
    async fn insert(&self, conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query(&format!(
            "INSERT INTO events (service_id, {EVENT_COLUMNS}) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
             $6::bigint[], $7::text[], $8::text[], $9::text[], $10::bigint[]) \
             ON CONFLICT (service_id, transaction_id, external_subscription_id) DO NOTHING"
        ))
        .bind(&self.sid)
        .bind(&self.lago_id)
        .bind(&self.sub)
        .bind(&self.tid)
        .bind(&self.code)
        .bind(&self.ts)
        .bind(&self.props)
        .bind(&self.precise)
        .bind(&self.fp)
        .bind(&self.created)
        .execute(&mut *conn)
        .await?
        .rows_affected())
    }

    /// The stored events with the keys of these rows, with their service id.
    async fn stored(
        &self,
        conn: &mut PgConnection,
    ) -> Result<Vec<(i64, StoredEvent)>, sqlx::Error> {
        Ok(sqlx::query_as::<_, StoredWithService>(&format!(
            "SELECT e.service_id, {cols} FROM events e \
             JOIN UNNEST($1::bigint[], $2::text[], $3::text[]) AS k(sid, tid, sub) \
             ON e.service_id = k.sid AND e.transaction_id = k.tid AND e.external_subscription_id = k.sub",
            cols = EVENT_COLUMNS
                .split(", ")
                .map(|c| format!("e.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(&self.sid)
        .bind(&self.tid)
        .bind(&self.sub)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| (r.service_id, r.event))
        .collect())
    }
}

#[derive(sqlx::FromRow)]
struct StoredWithService {
    service_id: i64,
    #[sqlx(flatten)]
    event: StoredEvent,
}

fn all_inserted(jobs: &[(i64, &[NewEvent])]) -> Vec<Vec<ItemOutcome<StoredEvent>>> {
    jobs.iter()
        .map(|(_, evs)| {
            evs.iter()
                .map(|e| ItemOutcome::Inserted(e.clone()))
                .collect()
        })
        .collect()
}

/// Outcomes from the stored rows of every key; `None` if any job conflicts.
fn resolve(
    jobs: &[(i64, &[NewEvent])],
    existing: &HashMap<(i64, &str, &str), StoredEvent>,
) -> FastResult {
    let mut out = Vec::with_capacity(jobs.len());
    for (sid, events) in jobs {
        let mut outcomes = Vec::with_capacity(events.len());
        for e in events.iter() {
            let stored = existing.get(&(
                *sid,
                e.transaction_id.as_str(),
                e.external_subscription_id.as_str(),
            ))?;
            if stored.lago_id == e.lago_id {
                outcomes.push(ItemOutcome::Inserted(stored.clone()));
            } else if stored.fingerprint == e.fingerprint {
                outcomes.push(ItemOutcome::Replayed(stored.clone()));
            } else {
                return None;
            }
        }
        out.push(outcomes);
    }
    Some(out)
}
