//! Lago plans (API-NOTES §5; `api:app/controllers/api/v1/plans_controller.rb`,
//! `app/models/{plan,charge}.rb`, `app/serializers/v1/plan_serializer.rb`).
//!
//! Charge pricing lives in the gateway ([`crate::billing::charge`]); what finance sees lives
//! in Odoo ([`super::plan_odoo`]): the recurrence, a base-fee product and one usage product
//! per charge. Odoo is written first (its products are found again by `default_code` on a
//! retry), then the local plan.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::customer_repo::Inserted;
use super::error::BridgeError;
use super::lease;
use super::plan_repo::PlanRow;
use super::Bridge;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::billable_metric_repo::BillableMetricRow;
use crate::meter::tenants::ServiceRef;
use crate::meter::time::now_micros;

/// Plan intervals Lago accepts and how many fit in a year.
pub const INTERVALS: &[(&str, i64)] = &[
    ("weekly", 52),
    ("monthly", 12),
    ("quarterly", 4),
    ("semiannual", 2),
    ("yearly", 1),
];

/// A charge as stored in a plan's `charges` JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCharge {
    /// Lago `lago_id` of the charge.
    pub lago_id: String,
    /// `lago_id` of the billable metric.
    pub billable_metric_id: String,
    /// Code of the billable metric (for display; the id is authoritative).
    pub billable_metric_code: String,
    /// Charge code (defaults to the metric code).
    pub code: String,
    /// `standard | package | graduated | volume | percentage`.
    pub charge_model: String,
    /// Lago `properties` as given (decimal strings in major units, `included_units`).
    pub properties: Value,
    /// Shown on invoices (Lago `invoice_display_name`).
    pub invoice_display_name: Option<String>,
    /// Lago flags, kept as sent.
    pub pay_in_advance: bool,
    pub invoiceable: bool,
    pub prorated: bool,
    /// Minimum amount of the charge per period, minor units.
    pub min_amount_cents: i64,
    /// The usage `product.product` in Odoo (0 until synced).
    pub odoo_product_id: i64,
}

/// A plan body parsed and checked against its [`PlanContext`] (by
/// [`crate::lago::plan_request::plan_input`]): on update, absent keys hold the stored plan's
/// values.
#[derive(Debug, Clone)]
pub struct PlanInput {
    /// Plan code (unique among the service's live plans).
    pub code: String,
    /// Display name.
    pub name: String,
    /// One of [`INTERVALS`].
    pub interval: String,
    /// Base fee per period, minor units of `amount_currency`, ≥ 0.
    pub amount_cents: i64,
    /// ISO code of a currency the gateway knows.
    pub amount_currency: String,
    /// Whether the base fee is billed in advance.
    pub pay_in_advance: bool,
    /// The attributes sent (`description`, `invoice_display_name`, `trial_period`,
    /// `bill_charges_monthly`), free-form JSON stored as given over the stored ones.
    pub attributes: Vec<(String, Value)>,
    /// `None` when the body has no `charges` key (an update keeps them).
    pub charges: Option<Vec<ChargeInput>>,
}

/// A charge of a [`PlanInput`], valid for its metric's aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargeInput {
    /// The `id` (or `lago_id`) sent: the stored charge it replaces.
    pub id: Option<String>,
    /// `lago_id` of the billable metric.
    pub billable_metric_id: String,
    /// Code of the billable metric.
    pub billable_metric_code: String,
    /// Charge code (defaults to the metric code).
    pub code: String,
    /// `standard | package | graduated | volume | percentage`.
    pub charge_model: String,
    /// Lago `properties` as given (free-form JSON, valid for the model).
    pub properties: Value,
    /// Shown on invoices (Lago `invoice_display_name`).
    pub invoice_display_name: Option<String>,
    /// Lago flags, as sent.
    pub pay_in_advance: bool,
    pub invoiceable: bool,
    pub prorated: bool,
    /// Minimum amount of the charge per period, minor units, ≥ 0.
    pub min_amount_cents: i64,
}

/// What a plan body is read against: the stored plan (update) and the service's metrics.
#[derive(Debug)]
pub struct PlanContext<'a> {
    /// The stored plan on update; `None` on create.
    pub base: Option<&'a PlanRow>,
    metrics: Vec<BillableMetricRow>,
}

impl PlanContext<'_> {
    /// The service's billable metric with this `lago_id`.
    pub fn metric(&self, id: &str) -> Option<&BillableMetricRow> {
        self.metrics.iter().find(|m| m.id == id)
    }
}

/// The stored charges for `inputs`: a charge keeps the `lago_id` and Odoo product of the
/// stored one it names by `id`, or, without `id`, of the stored one with the same code and
/// metric; a new charge gets a fresh `lago_id`.
fn stored_charges(inputs: Vec<ChargeInput>, old: &[StoredCharge]) -> Vec<StoredCharge> {
    inputs
        .into_iter()
        .map(|c| {
            let previous = old.iter().find(|o| {
                c.id.as_deref() == Some(o.lago_id.as_str())
                    || (c.id.is_none()
                        && o.code == c.code
                        && o.billable_metric_id == c.billable_metric_id)
            });
            StoredCharge {
                lago_id: previous
                    .map(|p| p.lago_id.clone())
                    .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
                billable_metric_id: c.billable_metric_id,
                billable_metric_code: c.billable_metric_code,
                code: c.code,
                charge_model: c.charge_model,
                properties: c.properties,
                invoice_display_name: c.invoice_display_name,
                pay_in_advance: c.pay_in_advance,
                invoiceable: c.invoiceable,
                prorated: c.prorated,
                min_amount_cents: c.min_amount_cents,
                odoo_product_id: previous.map(|p| p.odoo_product_id).unwrap_or(0),
            }
        })
        .collect()
}

/// The stored attributes of `base` with the `sent` ones set over them.
fn merged_attributes(base: Option<&PlanRow>, sent: Vec<(String, Value)>) -> String {
    let mut attributes = base
        .and_then(|b| serde_json::from_str::<Map<String, Value>>(&b.attributes).ok())
        .unwrap_or_default();
    attributes.extend(sent);
    Value::Object(attributes).to_string()
}

impl Bridge {
    /// The context a plan body of `service` is parsed against (`base`: the stored plan on
    /// update).
    async fn plan_context<'a>(
        &self,
        service: &ServiceRef,
        base: Option<&'a PlanRow>,
    ) -> Result<PlanContext<'a>, BridgeError> {
        let (metrics, _) = self
            .store
            .billable_metrics()
            .list_metrics(service.id, i64::MAX, 0)
            .await?;
        Ok(PlanContext { base, metrics })
    }

    /// `POST /plans`: creates the plan in Odoo (recurrence, products) and locally.
    ///
    /// # Errors
    /// 422 `{"code":["value_already_exist"]}` for a code in use; validation errors; Odoo
    /// unavailable (a retry is safe); store errors.
    pub async fn create_plan<F>(
        &self,
        service: &ServiceRef,
        parse: F,
    ) -> Result<PlanRow, BridgeError>
    where
        F: FnOnce(&PlanContext) -> Result<PlanInput, BridgeError>,
    {
        let p = parse(&self.plan_context(service, None).await?)?;
        let name = lease::names::plan(service.id, &p.code);
        self.under_lease(name, || self.create_plan_locked(service, p))
            .await
    }

    async fn create_plan_locked(
        &self,
        service: &ServiceRef,
        p: PlanInput,
    ) -> Result<PlanRow, BridgeError> {
        if self
            .store
            .plans()
            .plan_by_code(service.id, &p.code)
            .await?
            .is_some()
        {
            return Err(BridgeError::field("code", FieldCode::ValueAlreadyExist));
        }
        let now = now_micros();
        let mut row = PlanRow {
            lago_id: uuid::Uuid::new_v4().to_string(),
            service_id: service.id,
            code: p.code.clone(),
            name: p.name.clone(),
            interval: p.interval.clone(),
            amount_cents: p.amount_cents,
            amount_currency: p.amount_currency.clone(),
            pay_in_advance: p.pay_in_advance,
            attributes: merged_attributes(None, p.attributes.clone()),
            charges: "[]".into(),
            odoo_plan_id: 0,
            odoo_product_id: 0,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let mut charges = stored_charges(p.charges.clone().unwrap_or_default(), &[]);
        self.sync_plan_to_odoo(service, &mut row, &mut charges)
            .await?;
        row.charges = serde_json::to_string(&charges).unwrap_or_else(|_| "[]".into());
        match self.store.plans().insert_plan(&row).await? {
            Inserted::Yes => Ok(row),
            Inserted::Conflict => Err(BridgeError::field("code", FieldCode::ValueAlreadyExist)),
        }
    }

    /// `PUT /plans/{code}`: changes the keys present (a `charges` key replaces the charges;
    /// a charge keeps its `lago_id` when sent with `id` or with the same metric and code).
    ///
    /// # Errors
    /// `plan_not_found`; as [`Bridge::create_plan`].
    pub async fn update_plan<F>(
        &self,
        service: &ServiceRef,
        code: &str,
        parse: F,
    ) -> Result<PlanRow, BridgeError>
    where
        F: FnOnce(&PlanContext) -> Result<PlanInput, BridgeError>,
    {
        let name = lease::names::plan(service.id, code);
        self.under_lease(name, || self.update_plan_locked(service, code, parse))
            .await
    }

    async fn update_plan_locked<F>(
        &self,
        service: &ServiceRef,
        code: &str,
        parse: F,
    ) -> Result<PlanRow, BridgeError>
    where
        F: FnOnce(&PlanContext) -> Result<PlanInput, BridgeError>,
    {
        let mut row = self.plan(service, code).await?;
        let p = parse(&self.plan_context(service, Some(&row)).await?)?;
        let old = charges_of(&row);
        let mut charges = match p.charges {
            Some(c) => stored_charges(c, &old),
            None => old,
        };
        let attributes = merged_attributes(Some(&row), p.attributes);
        row.code = p.code;
        row.name = p.name;
        row.interval = p.interval;
        row.amount_cents = p.amount_cents;
        row.amount_currency = p.amount_currency;
        row.pay_in_advance = p.pay_in_advance;
        row.attributes = attributes;
        self.sync_plan_to_odoo(service, &mut row, &mut charges)
            .await?;
        row.charges = serde_json::to_string(&charges).unwrap_or_else(|_| "[]".into());
        row.updated_at = now_micros();
        match self.store.plans().update_plan(&row).await? {
            Inserted::Yes => Ok(row),
            Inserted::Conflict => Err(BridgeError::field("code", FieldCode::ValueAlreadyExist)),
        }
    }

    /// `GET /plans`: a page of the live plans of `service` (oldest first, then by code) and
    /// the total count.
    ///
    /// # Errors
    /// Store errors.
    pub async fn plans(
        &self,
        service: &ServiceRef,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<PlanRow>, i64), BridgeError> {
        Ok(self
            .store
            .plans()
            .list_plans(service.id, limit, offset)
            .await?)
    }

    /// The live plan `code` of `service`.
    ///
    /// # Errors
    /// `plan_not_found`; store errors.
    pub async fn plan(&self, service: &ServiceRef, code: &str) -> Result<PlanRow, BridgeError> {
        self.store
            .plans()
            .plan_by_code(service.id, code)
            .await?
            .ok_or(BridgeError::NotFound(ErrorCode::PlanNotFound))
    }

    /// `DELETE /plans/{code}`: terminates the plan's live subscriptions (as Lago does, here
    /// at once), archives its Odoo products and marks it deleted. Returns the plan.
    ///
    /// # Errors
    /// `plan_not_found`; Odoo unavailable (nothing is deleted then); store errors.
    pub async fn delete_plan(
        &self,
        service: &ServiceRef,
        code: &str,
    ) -> Result<PlanRow, BridgeError> {
        let name = lease::names::plan(service.id, code);
        self.under_lease(name, || self.delete_plan_locked(service, code))
            .await
    }

    async fn delete_plan_locked(
        &self,
        service: &ServiceRef,
        code: &str,
    ) -> Result<PlanRow, BridgeError> {
        let mut row = self.plan(service, code).await?;
        self.terminate_plan_subscriptions(service, &row).await?;
        self.archive_plan_products(&row).await?;
        let now = now_micros();
        row.deleted_at = Some(now);
        row.updated_at = now;
        self.store.plans().update_plan(&row).await?;
        Ok(row)
    }
}

/// The charges of a stored plan.
pub fn charges_of(row: &PlanRow) -> Vec<StoredCharge> {
    serde_json::from_str(&row.charges).unwrap_or_default()
}

/// Plan amount over a year, in minor units, to tell an upgrade from a downgrade (Lago's
/// `PlanUpgradeService`: yearly amount ≥ current → upgrade).
///
/// In `i128`, so no plan amount can overflow it (never saturated).
pub fn yearly_amount_cents(row: &PlanRow) -> i128 {
    let per_year = INTERVALS
        .iter()
        .find(|(n, _)| *n == row.interval)
        .map(|(_, k)| *k)
        .unwrap_or(12);
    i128::from(row.amount_cents) * i128::from(per_year)
}
