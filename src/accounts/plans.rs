//! Lago plans (API-NOTES §5; `api:app/controllers/api/v1/plans_controller.rb`,
//! `app/models/{plan,charge}.rb`, `app/serializers/v1/plan_serializer.rb`).
//!
//! Charge pricing lives in the gateway ([`crate::billing::charge`]); what finance sees lives
//! in Odoo ([`super::plan_odoo`]): the recurrence, a base-fee product and one usage product
//! per charge. Odoo is written first (its products are found again by `default_code` on a
//! retry), then the local plan.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::customer_repo::Inserted;
use super::error::AccountsError;
use super::lease;
use super::plan_repo::PlanRow;
use super::Accounts;
use crate::billing::charge::Charge;
use crate::billing::metric::AggregationType;
use crate::billing::money::Currency;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::services::ServiceRef;
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

/// A validated plan body.
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub code: String,
    pub name: String,
    pub interval: String,
    pub amount_cents: i64,
    pub amount_currency: String,
    pub pay_in_advance: bool,
    pub attributes: Map<String, Value>,
    /// `None` when the body has no `charges` key (an update keeps them).
    pub charges: Option<Vec<StoredCharge>>,
}

fn add(errors: &mut Map<String, Value>, field: &str, code: FieldCode) {
    let e = errors.entry(field.to_string()).or_insert_with(|| json!([]));
    if let Value::Array(a) = e {
        if !a.contains(&json!(code)) {
            a.push(json!(code));
        }
    }
}

fn str_of(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn bool_of(m: &Map<String, Value>, k: &str, default: bool) -> bool {
    match m.get(k) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "1"),
        _ => default,
    }
}

fn int_of(m: &Map<String, Value>, k: &str) -> Result<Option<i64>, ()> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(()),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| ()),
        Some(_) => Err(()),
    }
}

impl Accounts {
    /// Validates a plan body against `base` (the stored plan on update). Charges reference
    /// metrics of this service by `billable_metric_id`.
    ///
    /// # Errors
    /// 422 with Lago's codes (`value_is_mandatory`, `value_is_invalid`, the charge model
    /// property codes of [`Charge::from_lago`]); `billable_metric_not_found`.
    async fn validate_plan(
        &self,
        service: &ServiceRef,
        input: &Map<String, Value>,
        base: Option<&PlanRow>,
    ) -> Result<PlanInput, AccountsError> {
        let mut errors = Map::new();
        let code = str_of(input, "code").or_else(|| base.map(|b| b.code.clone()));
        let name = str_of(input, "name").or_else(|| base.map(|b| b.name.clone()));
        let interval = str_of(input, "interval").or_else(|| base.map(|b| b.interval.clone()));
        if code.is_none() {
            add(&mut errors, "code", FieldCode::ValueIsMandatory);
        }
        if name.is_none() {
            add(&mut errors, "name", FieldCode::ValueIsMandatory);
        }
        match &interval {
            None => add(&mut errors, "interval", FieldCode::ValueIsMandatory),
            Some(i) if !INTERVALS.iter().any(|(n, _)| n == i) => {
                add(&mut errors, "interval", FieldCode::ValueIsInvalid)
            }
            _ => {}
        }
        let amount_cents = match int_of(input, "amount_cents") {
            Ok(Some(a)) if a >= 0 => a,
            Ok(None) => match base {
                Some(b) => b.amount_cents,
                None => {
                    add(&mut errors, "amount_cents", FieldCode::ValueIsMandatory);
                    0
                }
            },
            _ => {
                add(&mut errors, "amount_cents", FieldCode::ValueIsInvalid);
                0
            }
        };
        let amount_currency = match str_of(input, "amount_currency") {
            Some(c) => match Currency::parse(&c) {
                Ok(cur) => cur.code().to_string(),
                Err(_) => {
                    add(&mut errors, "amount_currency", FieldCode::ValueIsInvalid);
                    c
                }
            },
            None => match base {
                Some(b) => b.amount_currency.clone(),
                None => {
                    add(&mut errors, "amount_currency", FieldCode::ValueIsMandatory);
                    String::new()
                }
            },
        };
        let mut attributes = base
            .and_then(|b| serde_json::from_str::<Map<String, Value>>(&b.attributes).ok())
            .unwrap_or_default();
        for k in [
            "description",
            "invoice_display_name",
            "trial_period",
            "bill_charges_monthly",
        ] {
            if let Some(v) = input.get(k) {
                attributes.insert(k.into(), v.clone());
            }
        }
        let old: Vec<StoredCharge> = base
            .map(|b| serde_json::from_str(&b.charges).unwrap_or_default())
            .unwrap_or_default();
        let charges = match input.get("charges") {
            None => None,
            Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    let Value::Object(c) = item else {
                        add(&mut errors, "charges", FieldCode::ValueIsInvalid);
                        continue;
                    };
                    if let Some(ch) = self.charge(service, c, &old, &mut errors).await? {
                        out.push(ch);
                    }
                }
                Some(out)
            }
            Some(_) => {
                add(&mut errors, "charges", FieldCode::ValueIsInvalid);
                None
            }
        };
        if !errors.is_empty() {
            return Err(AccountsError::Validation(errors));
        }
        Ok(PlanInput {
            code: code.unwrap_or_default(),
            name: name.unwrap_or_default(),
            interval: interval.unwrap_or_default(),
            amount_cents,
            amount_currency,
            pay_in_advance: match input.get("pay_in_advance") {
                Some(_) => bool_of(input, "pay_in_advance", false),
                None => base.is_some_and(|b| b.pay_in_advance),
            },
            attributes,
            charges,
        })
    }

    async fn charge(
        &self,
        service: &ServiceRef,
        c: &Map<String, Value>,
        old: &[StoredCharge],
        errors: &mut Map<String, Value>,
    ) -> Result<Option<StoredCharge>, AccountsError> {
        let Some(metric_id) = str_of(c, "billable_metric_id") else {
            add(errors, "billable_metric_id", FieldCode::ValueIsMandatory);
            return Ok(None);
        };
        let metric = self
            .store
            .metric_by_id(service.id, &metric_id)
            .await?
            .ok_or(AccountsError::NotFound(ErrorCode::BillableMetricNotFound))?;
        let model = str_of(c, "charge_model").unwrap_or_default();
        let aggregation =
            AggregationType::from_str(&metric.aggregation_type).unwrap_or(AggregationType::Count);
        let properties = c.get("properties").cloned().unwrap_or_else(|| json!({}));
        if let Err(e) = Charge::from_lago(&model, &properties, aggregation) {
            for (field, codes) in e.iter() {
                for code in codes {
                    add(errors, field, *code);
                }
            }
            return Ok(None);
        }
        let pay_in_advance = bool_of(c, "pay_in_advance", false);
        if pay_in_advance && model == "volume" {
            add(errors, "pay_in_advance", FieldCode::InvalidPayInAdvance);
        }
        // Charge options the rating does not apply are refused, never stored and ignored
        // (that would bill differently from what the app asked for).
        for field in unpriced_options(c, &properties) {
            add(errors, field, FieldCode::NotSupported);
        }
        let code = str_of(c, "code").unwrap_or_else(|| metric.code.clone());
        let id = str_of(c, "id").or_else(|| str_of(c, "lago_id"));
        let previous = old.iter().find(|o| {
            id.as_deref() == Some(o.lago_id.as_str())
                || (id.is_none() && o.code == code && o.billable_metric_id == metric.id)
        });
        Ok(Some(StoredCharge {
            lago_id: previous
                .map(|p| p.lago_id.clone())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            billable_metric_id: metric.id.clone(),
            billable_metric_code: metric.code.clone(),
            code,
            charge_model: model,
            properties,
            invoice_display_name: str_of(c, "invoice_display_name"),
            pay_in_advance,
            invoiceable: bool_of(c, "invoiceable", true),
            prorated: bool_of(c, "prorated", false),
            min_amount_cents: int_of(c, "min_amount_cents")
                .ok()
                .flatten()
                .unwrap_or(0)
                .max(0),
            odoo_product_id: previous.map(|p| p.odoo_product_id).unwrap_or(0),
        }))
    }

    /// `POST /plans`: creates the plan in Odoo (recurrence, products) and locally.
    ///
    /// # Errors
    /// 422 `{"code":["value_already_exist"]}` for a code in use; validation errors; Odoo
    /// unavailable (a retry is safe); store errors.
    pub async fn create_plan(
        &self,
        service: &ServiceRef,
        input: &Map<String, Value>,
    ) -> Result<PlanRow, AccountsError> {
        let p = self.validate_plan(service, input, None).await?;
        let name = lease::names::plan(service.id, &p.code);
        self.under_lease(name, || self.create_plan_locked(service, p))
            .await
    }

    async fn create_plan_locked(
        &self,
        service: &ServiceRef,
        p: PlanInput,
    ) -> Result<PlanRow, AccountsError> {
        if self
            .store
            .plan_by_code(service.id, &p.code)
            .await?
            .is_some()
        {
            return Err(AccountsError::field("code", FieldCode::ValueAlreadyExist));
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
            attributes: Value::Object(p.attributes.clone()).to_string(),
            charges: "[]".into(),
            odoo_plan_id: 0,
            odoo_product_id: 0,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        };
        let mut charges = p.charges.clone().unwrap_or_default();
        self.sync_plan_to_odoo(service, &mut row, &mut charges)
            .await?;
        row.charges = serde_json::to_string(&charges).unwrap_or_else(|_| "[]".into());
        match self.store.insert_plan(&row).await? {
            Inserted::Yes => Ok(row),
            Inserted::Conflict => Err(AccountsError::field("code", FieldCode::ValueAlreadyExist)),
        }
    }

    /// `PUT /plans/{code}`: changes the keys present (a `charges` key replaces the charges;
    /// a charge keeps its `lago_id` when sent with `id` or with the same metric and code).
    ///
    /// # Errors
    /// `plan_not_found`; as [`Accounts::create_plan`].
    pub async fn update_plan(
        &self,
        service: &ServiceRef,
        code: &str,
        input: &Map<String, Value>,
    ) -> Result<PlanRow, AccountsError> {
        let name = lease::names::plan(service.id, code);
        self.under_lease(name, || self.update_plan_locked(service, code, input))
            .await
    }

    async fn update_plan_locked(
        &self,
        service: &ServiceRef,
        code: &str,
        input: &Map<String, Value>,
    ) -> Result<PlanRow, AccountsError> {
        let mut row = self.plan(service, code).await?;
        let p = self.validate_plan(service, input, Some(&row)).await?;
        let mut charges = match p.charges {
            Some(c) => c,
            None => serde_json::from_str(&row.charges).unwrap_or_default(),
        };
        row.code = p.code;
        row.name = p.name;
        row.interval = p.interval;
        row.amount_cents = p.amount_cents;
        row.amount_currency = p.amount_currency;
        row.pay_in_advance = p.pay_in_advance;
        row.attributes = Value::Object(p.attributes).to_string();
        self.sync_plan_to_odoo(service, &mut row, &mut charges)
            .await?;
        row.charges = serde_json::to_string(&charges).unwrap_or_else(|_| "[]".into());
        row.updated_at = now_micros();
        match self.store.update_plan(&row).await? {
            Inserted::Yes => Ok(row),
            Inserted::Conflict => Err(AccountsError::field("code", FieldCode::ValueAlreadyExist)),
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
    ) -> Result<(Vec<PlanRow>, i64), AccountsError> {
        Ok(self.store.list_plans(service.id, limit, offset).await?)
    }

    /// The live plan `code` of `service`.
    ///
    /// # Errors
    /// `plan_not_found`; store errors.
    pub async fn plan(&self, service: &ServiceRef, code: &str) -> Result<PlanRow, AccountsError> {
        self.store
            .plan_by_code(service.id, code)
            .await?
            .ok_or(AccountsError::NotFound(ErrorCode::PlanNotFound))
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
    ) -> Result<PlanRow, AccountsError> {
        let name = lease::names::plan(service.id, code);
        self.under_lease(name, || self.delete_plan_locked(service, code))
            .await
    }

    async fn delete_plan_locked(
        &self,
        service: &ServiceRef,
        code: &str,
    ) -> Result<PlanRow, AccountsError> {
        let mut row = self.plan(service, code).await?;
        self.terminate_plan_subscriptions(service, &row).await?;
        self.archive_plan_products(&row).await?;
        let now = now_micros();
        row.deleted_at = Some(now);
        row.updated_at = now;
        self.store.update_plan(&row).await?;
        Ok(row)
    }
}

/// The Lago charge options that `c` sets and the rating does not apply: `filters` (non-empty),
/// `properties.grouped_by` / `properties.pricing_group_keys` (non-empty), `pay_in_advance`
/// (true: the gateway bills usage in arrears on Odoo's recurring invoice), `prorated` (true),
/// `invoiceable` (false) and `min_amount_cents` (above 0). Defaults pass.
fn unpriced_options(c: &Map<String, Value>, properties: &Value) -> Vec<&'static str> {
    let non_empty = |v: Option<&Value>| match v {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    };
    let mut out = Vec::new();
    if non_empty(c.get("filters")) {
        out.push("filters");
    }
    if non_empty(properties.get("grouped_by")) || non_empty(properties.get("pricing_group_keys")) {
        out.push("grouped_by");
    }
    if bool_of(c, "pay_in_advance", false) {
        out.push("pay_in_advance");
    }
    if bool_of(c, "prorated", false) {
        out.push("prorated");
    }
    if !bool_of(c, "invoiceable", true) {
        out.push("invoiceable");
    }
    if int_of(c, "min_amount_cents").ok().flatten().unwrap_or(0) > 0 {
        out.push("min_amount_cents");
    }
    out
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
