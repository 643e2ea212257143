//! Store side of the rating push: `rating_state` rows (what was written onto a subscription
//! for one Odoo billing window), the `sync_cursors` table, the streams with new usage since a
//! cursor, and the live subscriptions the push covers.

use sqlx::FromRow;

use crate::bridge::subscription_repo::SubscriptionRow;
use crate::dispatch;
use crate::meter::{Store, StoreError};

/// One subscription's push state for the window starting `window_from` (`YYYY-MM-DD`).
/// `charges` is JSON `{charge lago_id: amount_cents}` as last pushed; `late` is JSON
/// `[{"from","to","charge","cents"}]`, the late-usage amounts for earlier windows pushed
/// with this one; `late_billed` is JSON `{charge lago_id: cents}` of late usage of *this*
/// window billed in later windows.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RatingState {
    pub subscription_id: String,
    pub window_from: String,
    pub window_to: String,
    pub fingerprint: String,
    pub charges: String,
    pub late: String,
    pub late_billed: String,
    pub invoiced: bool,
    pub pushed_at: i64,
}

const COLUMNS: &str = "subscription_id, window_from, window_to, fingerprint, charges, late, \
     late_billed, invoiced, pushed_at";

const SUB_COLUMNS: &str = "lago_id, service_id, external_id, customer_id, plan_id, sale_order_id, \
     status, name, billing_time, subscription_at, started_at, ending_at, terminated_at, \
     canceled_at, previous_plan_id, next_plan_id, downgrade_plan_date, created_at, updated_at";

impl RatingRepo<'_> {
    /// Every active subscription with an Odoo order (all services).
    ///
    /// # Errors
    /// Store errors.
    pub async fn active_subscriptions(&self) -> Result<Vec<SubscriptionRow>, StoreError> {
        let sql = format!(
            "SELECT {SUB_COLUMNS} FROM subscriptions WHERE status = 'active' \
             AND sale_order_id IS NOT NULL ORDER BY created_at"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .fetch_all(p)
            .await?))
    }

    /// All rating states of the given subscriptions.
    ///
    /// # Errors
    /// Store errors.
    pub async fn rating_states(&self) -> Result<Vec<RatingState>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM rating_state r WHERE EXISTS (SELECT 1 FROM subscriptions s \
             WHERE s.lago_id = r.subscription_id AND s.status = 'active')"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .fetch_all(p)
            .await?))
    }

    /// Inserts or replaces a rating state.
    ///
    /// # Errors
    /// Store errors.
    pub async fn put_rating_state(&self, r: &RatingState) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO rating_state ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) \
             ON CONFLICT (subscription_id, window_from) DO UPDATE SET window_to = $3, \
             fingerprint = $4, charges = $5, late = $6, late_billed = $7, invoiced = $8, pushed_at = $9"
        );
        dispatch!(self.0, |p| sqlx::query(&sql)
            .bind(&r.subscription_id)
            .bind(&r.window_from)
            .bind(&r.window_to)
            .bind(&r.fingerprint)
            .bind(&r.charges)
            .bind(&r.late)
            .bind(&r.late_billed)
            .bind(r.invoiced)
            .bind(r.pushed_at)
            .execute(p)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// A cursor's value (0 when unset).
    ///
    /// # Errors
    /// Store errors.
    pub async fn cursor(&self, name: &str) -> Result<i64, StoreError> {
        let v: Option<i64> = dispatch!(self.0, |p| sqlx::query_scalar(
            "SELECT value FROM sync_cursors WHERE name = $1"
        )
        .bind(name)
        .fetch_optional(p)
        .await?);
        Ok(v.unwrap_or(0))
    }

    /// Sets a cursor.
    ///
    /// # Errors
    /// Store errors.
    pub async fn set_cursor(&self, name: &str, value: i64) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "INSERT INTO sync_cursors (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET value = $2"
        )
        .bind(name)
        .bind(value)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// (service, external subscription id) of every stream with events or counters whose
    /// `seq` is above the cursors, and the new cursors: the highest `seq` of rows stored at
    /// or before `settled` (UTC micros; younger rows are read again next time, so a row whose
    /// transaction commits late is never skipped).
    ///
    /// # Errors
    /// Store errors.
    pub async fn changed_streams(
        &self,
        events_after: i64,
        counters_after: i64,
        settled: i64,
    ) -> Result<(Vec<(i64, String)>, i64, i64), StoreError> {
        let mut streams: Vec<(i64, String)> = Vec::new();
        let mut cursors = [events_after, counters_after];
        for (i, table) in ["events", "usage_counters"].iter().enumerate() {
            let after = cursors[i];
            let sql = format!(
                "SELECT DISTINCT service_id, external_subscription_id FROM {table} WHERE seq > $1"
            );
            let rows: Vec<(i64, String)> = dispatch!(self.0, |p| sqlx::query_as(&sql)
                .bind(after)
                .fetch_all(p)
                .await?);
            streams.extend(rows);
            let sql = format!(
                "SELECT MAX(seq) FROM {table} WHERE seq > $1 AND created_at <= $2 \
                 AND seq < COALESCE((SELECT MIN(seq) FROM {table} WHERE seq > $1 AND created_at > $2), 9223372036854775807)"
            );
            let max: Option<i64> = dispatch!(self.0, |p| sqlx::query_scalar(&sql)
                .bind(after)
                .bind(settled)
                .fetch_one(p)
                .await?);
            if let Some(m) = max {
                cursors[i] = m;
            }
        }
        streams.sort();
        streams.dedup();
        Ok((streams, cursors[0], cursors[1]))
    }
}

/// A subscription whose rating failed and is retried every cycle (`rating_retries`).
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct RatingRetry {
    /// The subscription's `lago_id`.
    pub subscription_id: String,
    /// Failed attempts in a row.
    pub failures: i64,
    /// Why the last attempt failed (an error message; never a secret).
    pub last_error: String,
    /// Unix microseconds (UTC) of the last failure.
    pub updated_at: i64,
}

impl RatingRepo<'_> {
    /// Every subscription waiting for a rating retry.
    ///
    /// # Errors
    /// Store errors.
    pub async fn rating_retries(&self) -> Result<Vec<RatingRetry>, StoreError> {
        Ok(dispatch!(self.0, |p| sqlx::query_as(
            "SELECT subscription_id, failures, last_error, updated_at FROM rating_retries"
        )
        .fetch_all(p)
        .await?))
    }

    /// Records a failed rating of `subscription_id` at `now` (one more failure in a row).
    ///
    /// # Errors
    /// Store errors.
    pub async fn rating_failed(
        &self,
        subscription_id: &str,
        error: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "INSERT INTO rating_retries (subscription_id, failures, last_error, updated_at) \
             VALUES ($1, 1, $2, $3) ON CONFLICT (subscription_id) DO UPDATE SET \
             failures = rating_retries.failures + 1, last_error = excluded.last_error, \
             updated_at = excluded.updated_at"
        )
        .bind(subscription_id)
        .bind(error)
        .bind(now)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Clears the retry of `subscription_id` (it was rated and written).
    ///
    /// # Errors
    /// Store errors.
    pub async fn rating_succeeded(&self, subscription_id: &str) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "DELETE FROM rating_retries WHERE subscription_id = $1"
        )
        .bind(subscription_id)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }
}

/// Repository of the rating push's state: cursor, per-subscription rated usage, retries: a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct RatingRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of the rating push's state: cursor, per-subscription rated usage, retries.
    pub fn rating(&self) -> RatingRepo<'_> {
        RatingRepo(self)
    }
}
