//! `plans` table: a Lago plan of one service, its charges (JSON) and the Odoo records it maps
//! onto (`sale.subscription.plan` recurrence, base-fee `product.product`; each charge's
//! product id is inside its charge).

use rust_decimal::Decimal;
use sqlx::FromRow;

use super::customer_repo::Inserted;
use crate::billing::money::Currency;
use crate::dispatch;
use crate::meter::{Store, StoreError};
use crate::odoo::subscriptions::NewOrderLine;
use crate::odoo::ProductId;

/// A stored plan. Times are Unix microseconds UTC; `amount_cents` is in the minor unit of
/// `amount_currency`; `attributes` (JSON object: description, invoice_display_name,
/// trial_period, bill_charges_monthly) and `charges` (JSON array of
/// [`super::plans::StoredCharge`]) are text.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct PlanRow {
    pub lago_id: String,
    pub service_id: i64,
    pub code: String,
    pub name: String,
    pub interval: String,
    pub amount_cents: i64,
    pub amount_currency: String,
    pub pay_in_advance: bool,
    pub attributes: String,
    pub charges: String,
    /// `sale.subscription.plan` id.
    pub odoo_plan_id: i64,
    /// Base-fee `product.product` id.
    pub odoo_product_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

impl PlanRow {
    /// The plan's currency (validated when the plan was stored; CAD, the home currency, if a
    /// row predates that).
    pub fn currency(&self) -> Currency {
        Currency::parse_or_home(Some(&self.amount_currency))
    }

    /// The subscription line of the plan's base fee: one unit at the plan's amount (major
    /// units), named "<plan> – <app>", taxes from the product.
    pub fn base_fee_line(&self, service_name: &str) -> NewOrderLine {
        NewOrderLine {
            product: ProductId(self.odoo_product_id),
            quantity: Decimal::ONE,
            price_unit: Some(self.currency().from_minor(self.amount_cents)),
            name: Some(format!("{} – {}", self.name, service_name)),
            taxes: None,
        }
    }
}

const COLUMNS: &str = "lago_id, service_id, code, name, interval, amount_cents, amount_currency, \
     pay_in_advance, attributes, charges, odoo_plan_id, odoo_product_id, created_at, updated_at, deleted_at";

impl PlanRepo<'_> {
    /// The live plan `code` of `service_id`.
    ///
    /// # Errors
    /// Store errors.
    pub async fn plan_by_code(
        &self,
        service_id: i64,
        code: &str,
    ) -> Result<Option<PlanRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM plans WHERE service_id = $1 AND code = $2 AND deleted_at IS NULL"
        );
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(code)
            .fetch_optional(p)
            .await?))
    }

    /// The plan with this `lago_id` (deleted included), any service.
    ///
    /// # Errors
    /// Store errors.
    pub async fn plan_by_id(&self, lago_id: &str) -> Result<Option<PlanRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM plans WHERE lago_id = $1");
        Ok(dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(lago_id)
            .fetch_optional(p)
            .await?))
    }

    /// Inserts a plan unless a live one with its code exists.
    ///
    /// # Errors
    /// Store errors other than that conflict.
    pub async fn insert_plan(&self, r: &PlanRow) -> Result<Inserted, StoreError> {
        let sql = format!(
            "INSERT INTO plans ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,NULL)"
        );
        let res = dispatch!(self.0, |p| sqlx::query(&sql)
            .bind(&r.lago_id)
            .bind(r.service_id)
            .bind(&r.code)
            .bind(&r.name)
            .bind(&r.interval)
            .bind(r.amount_cents)
            .bind(&r.amount_currency)
            .bind(r.pay_in_advance)
            .bind(&r.attributes)
            .bind(&r.charges)
            .bind(r.odoo_plan_id)
            .bind(r.odoo_product_id)
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

    /// Rewrites a plan's fields (by `lago_id`).
    ///
    /// # Errors
    /// Store errors; a code taken by another live plan is a unique violation.
    pub async fn update_plan(&self, r: &PlanRow) -> Result<Inserted, StoreError> {
        let res = dispatch!(self.0, |p| sqlx::query(
            "UPDATE plans SET code = $1, name = $2, interval = $3, amount_cents = $4, \
             amount_currency = $5, pay_in_advance = $6, attributes = $7, charges = $8, \
             odoo_plan_id = $9, odoo_product_id = $10, updated_at = $11, deleted_at = $12 \
             WHERE lago_id = $13"
        )
        .bind(&r.code)
        .bind(&r.name)
        .bind(&r.interval)
        .bind(r.amount_cents)
        .bind(&r.amount_currency)
        .bind(r.pay_in_advance)
        .bind(&r.attributes)
        .bind(&r.charges)
        .bind(r.odoo_plan_id)
        .bind(r.odoo_product_id)
        .bind(r.updated_at)
        .bind(r.deleted_at)
        .bind(&r.lago_id)
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

    /// One page of the live plans of `service_id` (oldest first) and their count.
    ///
    /// # Errors
    /// Store errors.
    pub async fn list_plans(
        &self,
        service_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<PlanRow>, i64), StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM plans WHERE service_id = $1 AND deleted_at IS NULL \
             ORDER BY created_at, code LIMIT $2 OFFSET $3"
        );
        let rows = dispatch!(self.0, |p| sqlx::query_as(&sql)
            .bind(service_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(p)
            .await?);
        let total: i64 = dispatch!(self.0, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM plans WHERE service_id = $1 AND deleted_at IS NULL"
        )
        .bind(service_id)
        .fetch_one(p)
        .await?);
        Ok((rows, total))
    }
}

/// Repository of plans (table `plans`, charges as JSON): a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct PlanRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of plans.
    pub fn plans(&self) -> PlanRepo<'_> {
        PlanRepo(self)
    }
}
