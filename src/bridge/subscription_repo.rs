//! `subscriptions` table: a Lago subscription of one service and its Odoo `sale.order`.
//! At most one row per (service, `external_id`) is live (`incomplete`, `pending`, `active`):
//! a partial unique index makes the claim, so two concurrent creates cannot both win.

use sqlx::FromRow;

use super::customer_repo::Inserted;
use crate::dispatch;
use crate::meter::{Store, StoreError};

/// Live statuses: `incomplete` (Odoo not written yet: a retried create resumes it),
/// `pending` (starts later), `active`.
pub const LIVE: &[&str] = &["incomplete", "pending", "active"];

/// A stored subscription. Times are Unix microseconds UTC; `downgrade_plan_date` is a
/// `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct SubscriptionRow {
    pub lago_id: String,
    pub service_id: i64,
    pub external_id: String,
    /// Customer `lago_id`.
    pub customer_id: String,
    /// Plan `lago_id`.
    pub plan_id: String,
    /// The Odoo `sale.order`, once created.
    pub sale_order_id: Option<i64>,
    /// Lago status: `incomplete | pending | active | terminated | canceled`.
    pub status: String,
    pub name: Option<String>,
    /// `calendar | anniversary`.
    pub billing_time: String,
    pub subscription_at: i64,
    pub started_at: Option<i64>,
    pub ending_at: Option<i64>,
    pub terminated_at: Option<i64>,
    pub canceled_at: Option<i64>,
    /// Plan `lago_id` before an upgrade.
    pub previous_plan_id: Option<String>,
    /// Plan `lago_id` a downgrade switches to at period end.
    pub next_plan_id: Option<String>,
    pub downgrade_plan_date: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "lago_id, service_id, external_id, customer_id, plan_id, sale_order_id, \
     status, name, billing_time, subscription_at, started_at, ending_at, terminated_at, \
     canceled_at, previous_plan_id, next_plan_id, downgrade_plan_date, created_at, updated_at";

/// Filters of [`SubscriptionRepo::list_subscriptions`].
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    /// Customer `lago_id`.
    pub customer_id: Option<String>,
    /// Plan `lago_id`.
    pub plan_id: Option<String>,
    /// Statuses (any of); empty = all.
    pub statuses: Vec<String>,
}

impl SubscriptionRepo<'_> {
    /// The live subscription `external_id` of `service_id`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn live_subscription(
        &self,
        service_id: i64,
        external_id: &str,
    ) -> Result<Option<SubscriptionRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE service_id = $1 AND external_id = $2 \
             AND status IN ('incomplete', 'pending', 'active')"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(external_id)
            .fetch_optional(p)
            .await?))
    }

    /// The newest subscription `external_id` of `service_id` in `status`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn subscription_in_status(
        &self,
        service_id: i64,
        external_id: &str,
        status: &str,
    ) -> Result<Option<SubscriptionRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE service_id = $1 AND external_id = $2 \
             AND status = $3 ORDER BY created_at DESC LIMIT 1"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(external_id)
            .bind(status)
            .fetch_optional(p)
            .await?))
    }

    /// Inserts a subscription; [`Inserted::Conflict`] when a live one holds its
    /// `external_id`.
    ///
    /// # Errors
    /// Store errors other than that conflict.
    pub async fn insert_subscription(&self, r: &SubscriptionRow) -> Result<Inserted, StoreError> {
        let sql = format!(
            "INSERT INTO subscriptions ({COLUMNS}) VALUES \
             ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)"
        );
        let res = dispatch!(self.0, |p| sqlx::query(&sql)
            .bind(&r.lago_id)
            .bind(r.service_id)
            .bind(&r.external_id)
            .bind(&r.customer_id)
            .bind(&r.plan_id)
            .bind(r.sale_order_id)
            .bind(&r.status)
            .bind(&r.name)
            .bind(&r.billing_time)
            .bind(r.subscription_at)
            .bind(r.started_at)
            .bind(r.ending_at)
            .bind(r.terminated_at)
            .bind(r.canceled_at)
            .bind(&r.previous_plan_id)
            .bind(&r.next_plan_id)
            .bind(&r.downgrade_plan_date)
            .bind(r.created_at)
            .bind(r.updated_at)
            .execute(p)
            .await
            .map(|_| ()));
        match res {
            Ok(()) => Ok(Inserted::Yes),
            Err(e)
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                Ok(Inserted::Conflict)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes every mutable column of a subscription (by `lago_id`).
    ///
    /// # Errors
    /// Store errors.
    pub async fn update_subscription(&self, r: &SubscriptionRow) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "UPDATE subscriptions SET sale_order_id = $1, status = $2, name = $3, \
             subscription_at = $4, started_at = $5, ending_at = $6, terminated_at = $7, \
             canceled_at = $8, next_plan_id = $9, downgrade_plan_date = $10, updated_at = $11 \
             WHERE lago_id = $12"
        )
        .bind(r.sale_order_id)
        .bind(&r.status)
        .bind(&r.name)
        .bind(r.subscription_at)
        .bind(r.started_at)
        .bind(r.ending_at)
        .bind(r.terminated_at)
        .bind(r.canceled_at)
        .bind(&r.next_plan_id)
        .bind(&r.downgrade_plan_date)
        .bind(r.updated_at)
        .bind(&r.lago_id)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// One page of `service_id`'s subscriptions matching `f` (newest first) and the count.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list_subscriptions(
        &self,
        service_id: i64,
        f: &SubscriptionFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<SubscriptionRow>, i64), StoreError> {
        let mut filter = String::from(
            "service_id = $1 AND ($2 IS NULL OR customer_id = $2) AND ($3 IS NULL OR plan_id = $3)",
        );
        if !f.statuses.is_empty() {
            let marks: Vec<String> = (0..f.statuses.len())
                .map(|i| format!("${}", i + 4))
                .collect();
            filter.push_str(&format!(" AND status IN ({})", marks.join(",")));
        }
        let n = 4 + f.statuses.len();
        let sql = format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE {filter} \
             ORDER BY created_at DESC, lago_id LIMIT ${n} OFFSET ${}",
            n + 1
        );
        let count_sql = format!("SELECT COUNT(*) FROM subscriptions WHERE {filter}");
        let rows = dispatch!(self.0, |p| {
            let mut q = sqlx::query_as(&sql)
                .bind(service_id)
                .bind(f.customer_id.as_deref())
                .bind(f.plan_id.as_deref());
            for s in &f.statuses {
                q = q.bind(s);
            }
            q.bind(limit).bind(offset).fetch_all(p).await?
        });
        let total: i64 = dispatch!(self.0, |p| {
            let mut q = sqlx::query_scalar(&count_sql)
                .bind(service_id)
                .bind(f.customer_id.as_deref())
                .bind(f.plan_id.as_deref());
            for s in &f.statuses {
                q = q.bind(s);
            }
            q.fetch_one(p).await?
        });
        Ok((rows, total))
    }

    /// Live subscriptions that need the scheduler: pending ones due to start and ones with a
    /// downgrade due (any service).
    ///
    /// # Errors
    /// Store errors.
    pub async fn subscriptions_due(
        &self,
        now: i64,
        today: &str,
    ) -> Result<Vec<SubscriptionRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE \
             (status = 'pending' AND subscription_at <= $1) OR \
             (status = 'active' AND next_plan_id IS NOT NULL AND downgrade_plan_date <= $2) \
             ORDER BY created_at LIMIT 500"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(now)
            .bind(today)
            .fetch_all(p)
            .await?))
    }
}

impl SubscriptionRepo<'_> {
    /// Subscriptions (any status) whose Odoo order is one of `orders`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn subscriptions_by_orders(
        &self,
        orders: &[i64],
    ) -> Result<Vec<SubscriptionRow>, StoreError> {
        if orders.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=orders.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM subscriptions WHERE sale_order_id IN ({})",
            marks.join(",")
        );
        Ok(dispatch!(self.0, |p| {
            let mut q = sqlx::query_as(&sql);
            for o in orders {
                q = q.bind(o);
            }
            q.fetch_all(p).await?
        }))
    }
}

/// Repository of subscriptions (table `subscriptions`: the Lago subscription → Odoo `sale.order` link): a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of subscriptions.
    pub fn subscriptions(&self) -> SubscriptionRepo<'_> {
        SubscriptionRepo(self)
    }
}
