//! `customers` table: the link (service, Lago `external_id`) → Odoo `res.partner` id, with the
//! Lago attributes Odoo has no field for. A deleted customer keeps its row (`deleted_at`), so
//! the same `external_id` can be created again, as in Lago (`discard!`).

use sqlx::FromRow;

use crate::dispatch;
use crate::meter::{Store, StoreError};

/// A stored customer. Times are Unix microseconds UTC; `attributes` is the JSON object of
/// the Lago fields as last upserted.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct CustomerRow {
    /// Lago `lago_id` (UUID).
    pub lago_id: String,
    /// The owning service (tenant).
    pub service_id: i64,
    /// The app's `external_id`.
    pub external_id: String,
    /// The linked `res.partner` id.
    pub partner_id: i64,
    /// Lago attributes (JSON object text).
    pub attributes: String,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Soft-deletion time.
    pub deleted_at: Option<i64>,
    /// Lago's `sequential_id`: 1, 2, … per service in creation order (set by the insert).
    pub sequential_id: i64,
}

const COLUMNS: &str = "lago_id, service_id, external_id, partner_id, attributes, created_at, \
     updated_at, deleted_at, sequential_id";

/// Outcome of [`CustomerRepo::insert_customer`].
#[derive(Debug, PartialEq, Eq)]
pub enum Inserted {
    /// The row was stored.
    Yes,
    /// A live customer with this `external_id` already exists (a concurrent upsert won).
    Conflict,
}

impl CustomerRepo<'_> {
    /// The live customer `external_id` of `service_id`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn customer_by_external(
        &self,
        service_id: i64,
        external_id: &str,
    ) -> Result<Option<CustomerRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM customers WHERE service_id = $1 AND external_id = $2 \
             AND deleted_at IS NULL"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(external_id)
            .fetch_optional(p)
            .await?))
    }

    /// The customer with this `lago_id` (deleted ones included) if it belongs to `service_id`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn customer_by_id(
        &self,
        service_id: i64,
        lago_id: &str,
    ) -> Result<Option<CustomerRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM customers WHERE service_id = $1 AND lago_id = $2");
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(lago_id)
            .fetch_optional(p)
            .await?))
    }

    /// Customers by `lago_id` (any service; callers filter by tenant).
    ///
    /// # Errors
    /// Store errors.
    pub async fn customers_by_ids(&self, ids: &[String]) -> Result<Vec<CustomerRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM customers WHERE lago_id IN ({})",
            marks.join(",")
        );
        Ok(dispatch!(self.0, |p| {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(p).await?
        }))
    }

    /// Inserts a customer unless a live one with its `external_id` exists (a concurrent
    /// insert that took the same `sequential_id` is also a [`Inserted::Conflict`]: the caller
    /// retries). `c.sequential_id` is ignored: the next number of the service is assigned.
    ///
    /// # Errors
    /// Store errors other than that conflict.
    pub async fn insert_customer(&self, c: &CustomerRow) -> Result<Inserted, StoreError> {
        let sql =
            format!("INSERT INTO customers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, \
                     (SELECT COALESCE(MAX(sequential_id), 0) + 1 FROM customers WHERE service_id = $2))");
        let r = dispatch!(self.0, |p| sqlx::query(&sql)
            .bind(&c.lago_id)
            .bind(c.service_id)
            .bind(&c.external_id)
            .bind(c.partner_id)
            .bind(&c.attributes)
            .bind(c.created_at)
            .bind(c.updated_at)
            .execute(p)
            .await
            .map(|_| ()));
        match r {
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

    /// Replaces a customer's attributes (and partner link).
    ///
    /// # Errors
    /// Store errors.
    pub async fn update_customer(&self, c: &CustomerRow) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "UPDATE customers SET partner_id = $1, attributes = $2, updated_at = $3 \
             WHERE lago_id = $4"
        )
        .bind(c.partner_id)
        .bind(&c.attributes)
        .bind(c.updated_at)
        .bind(&c.lago_id)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Marks a customer deleted.
    ///
    /// # Errors
    /// Store errors.
    pub async fn delete_customer(&self, lago_id: &str, at: i64) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "UPDATE customers SET deleted_at = $1, updated_at = $1 WHERE lago_id = $2"
        )
        .bind(at)
        .bind(lago_id)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// One page of the live customers of `service_id` (oldest first) and their total count.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list_customers(
        &self,
        service_id: i64,
        external_id: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<CustomerRow>, i64), StoreError> {
        let filter = "service_id = $1 AND deleted_at IS NULL AND ($2 IS NULL OR external_id = $2)";
        let sql = format!(
            "SELECT {COLUMNS} FROM customers WHERE {filter} ORDER BY created_at, lago_id LIMIT $3 OFFSET $4"
        );
        let count_sql = format!("SELECT COUNT(*) FROM customers WHERE {filter}");
        let rows = dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(external_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await?);
        let total: i64 = dispatch!(self.0, |p| sqlx::query_scalar(&count_sql)
            .bind(service_id)
            .bind(external_id)
            .fetch_one(p)
            .await?);
        Ok((rows, total))
    }
}

/// Repository of customers (table `customers`: the app's `external_id` → Odoo partner link): a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct CustomerRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of customers.
    pub fn customers(&self) -> CustomerRepo<'_> {
        CustomerRepo(self)
    }
}
