//! Reconciliation tables (migration 0006): the amounts apps report and the stored runs.

use sqlx::FromRow;

use super::Reported;
use crate::dispatch;
use crate::meter::{Store, StoreError};

#[derive(FromRow)]
struct ReportRow {
    period: String,
    external_customer_id: String,
    external_subscription_id: String,
    amount_cents: i64,
    currency: String,
}

/// Stores (inserts or replaces) reported amounts of `service_id`; `source` is `api` or `csv`.
///
/// # Errors
/// Store errors.
pub async fn upsert_reports(
    store: &Store,
    service_id: i64,
    reports: &[Reported],
    source: &str,
    now: i64,
) -> Result<(), StoreError> {
    for r in reports {
        dispatch!(store, |p| sqlx::query(
            "INSERT INTO reconciliation_reports (service_id, period, external_customer_id, \
             external_subscription_id, amount_cents, currency, source, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             ON CONFLICT (service_id, period, external_customer_id, external_subscription_id) \
             DO UPDATE SET amount_cents = excluded.amount_cents, currency = excluded.currency, \
             source = excluded.source, updated_at = excluded.updated_at"
        )
        .bind(service_id)
        .bind(&r.period)
        .bind(&r.external_customer_id)
        .bind(r.external_subscription_id.clone().unwrap_or_default())
        .bind(r.amount_cents)
        .bind(&r.currency)
        .bind(source)
        .bind(now)
        .execute(p)
        .await
        .map(|_| ())?);
    }
    Ok(())
}

/// The amounts `service_id` reported for `period`.
///
/// # Errors
/// Store errors.
pub async fn reports(
    store: &Store,
    service_id: i64,
    period: &str,
) -> Result<Vec<Reported>, StoreError> {
    let rows: Vec<ReportRow> = dispatch!(store, |p| {
        sqlx::query_as(
        "SELECT period, external_customer_id, external_subscription_id, amount_cents, currency \
         FROM reconciliation_reports WHERE service_id = $1 AND period = $2 \
         ORDER BY external_customer_id, external_subscription_id"
    )
    .bind(service_id)
    .bind(period)
    .fetch_all(p)
    .await?
    });
    Ok(rows
        .into_iter()
        .map(|r| Reported {
            period: r.period,
            external_customer_id: r.external_customer_id,
            external_subscription_id: Some(r.external_subscription_id).filter(|s| !s.is_empty()),
            amount_cents: r.amount_cents,
            currency: r.currency,
        })
        .collect())
}

/// The result JSON of the newest stored run of (`service_id`, `period`).
///
/// # Errors
/// Store errors.
pub async fn last_run(
    store: &Store,
    service_id: i64,
    period: &str,
) -> Result<Option<String>, StoreError> {
    Ok(dispatch!(store, |p| sqlx::query_scalar(
        "SELECT result FROM reconciliation_runs WHERE service_id = $1 AND period = $2 \
         ORDER BY id DESC LIMIT 1"
    )
    .bind(service_id)
    .bind(period)
    .fetch_optional(p)
    .await?))
}

/// Stores a run.
///
/// # Errors
/// Store errors.
pub async fn insert_run(
    store: &Store,
    service_id: i64,
    period: &str,
    threshold_cents: i64,
    result: &str,
    now: i64,
) -> Result<(), StoreError> {
    dispatch!(store, |p| {
        sqlx::query(
        "INSERT INTO reconciliation_runs (service_id, period, threshold_cents, result, created_at) \
         VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(service_id)
    .bind(period)
    .bind(threshold_cents)
    .bind(result)
    .bind(now)
    .execute(p)
    .await
    .map(|_| ())?
    });
    Ok(())
}

/// (customer `external_id`, `partner_id`) of every customer of `service_id`, deleted ones
/// included (their invoices still count).
///
/// # Errors
/// Store errors.
pub async fn customers(store: &Store, service_id: i64) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(dispatch!(store, |p| sqlx::query_as(
        "SELECT external_id, partner_id FROM customers WHERE service_id = $1 ORDER BY created_at"
    )
    .bind(service_id)
    .fetch_all(p)
    .await?))
}

/// Partners linked to a customer of another service than `service_id`.
///
/// # Errors
/// Store errors.
pub async fn shared_partners(store: &Store, service_id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(dispatch!(store, |p| sqlx::query_scalar(
        "SELECT DISTINCT partner_id FROM customers WHERE service_id <> $1"
    )
    .bind(service_id)
    .fetch_all(p)
    .await?))
}

/// (subscription `external_id`, customer `external_id`, `sale_order_id`) of every
/// subscription of `service_id` with an Odoo order (any status: a terminated one was billed
/// too; shadows never are).
///
/// # Errors
/// Store errors.
pub async fn subscriptions(
    store: &Store,
    service_id: i64,
) -> Result<Vec<(String, String, i64)>, StoreError> {
    Ok(dispatch!(store, |p| sqlx::query_as(
        "SELECT s.external_id, c.external_id, s.sale_order_id FROM subscriptions s \
         JOIN customers c ON c.lago_id = s.customer_id \
         WHERE s.service_id = $1 AND s.sale_order_id IS NOT NULL"
    )
    .bind(service_id)
    .fetch_all(p)
    .await?))
}
