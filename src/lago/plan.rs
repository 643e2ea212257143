//! Lago's plan object with its charges (`api:app/serializers/v1/plan_serializer.rb`,
//! `charge_serializer.rb`; the Python client's `PlanResponse` requires `lago_id`, `name`,
//! `created_at`, `code`).

use serde::Serialize;
use serde_json::{json, Map, Number, Value};

use super::time::iso_seconds;
use crate::bridge::plan_repo::PlanRow;
use crate::bridge::plans::{charges_of, StoredCharge};

/// `plan`. `amount_cents` is in the minor unit of `amount_currency`; times ISO-8601 UTC.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub lago_id: String,
    pub name: String,
    pub invoice_display_name: Option<String>,
    pub created_at: String,
    pub code: String,
    /// `weekly | monthly | quarterly | semiannual | yearly`.
    pub interval: String,
    pub description: Option<String>,
    pub amount_cents: i64,
    pub amount_currency: String,
    /// Days (Lago sends a float).
    pub trial_period: Option<Number>,
    pub pay_in_advance: bool,
    pub bill_charges_monthly: Option<bool>,
    pub customers_count: i64,
    pub active_subscriptions_count: i64,
    pub draft_invoices_count: i64,
    pub parent_id: Option<String>,
    pub pending_deletion: bool,
    pub charges: Vec<Charge>,
    pub usage_thresholds: Vec<Value>,
    pub taxes: Vec<Value>,
}

/// `plan.charges[]`. `min_amount_cents` is in the plan currency's minor unit; `properties`
/// are Lago's charge-model properties as given (decimal strings in major units).
#[derive(Debug, Clone, Serialize)]
pub struct Charge {
    pub lago_id: String,
    pub lago_billable_metric_id: String,
    pub billable_metric_code: String,
    pub code: String,
    pub invoice_display_name: Option<String>,
    pub created_at: String,
    /// `standard | package | graduated | volume | percentage`.
    pub charge_model: String,
    pub invoiceable: bool,
    pub regroup_paid_fees: Option<String>,
    pub pay_in_advance: bool,
    pub prorated: bool,
    pub min_amount_cents: i64,
    pub properties: Value,
    pub filters: Vec<Value>,
    pub taxes: Vec<Value>,
}

impl Charge {
    fn new(c: &StoredCharge, created_at: &str) -> Charge {
        Charge {
            lago_id: c.lago_id.clone(),
            lago_billable_metric_id: c.billable_metric_id.clone(),
            billable_metric_code: c.billable_metric_code.clone(),
            code: c.code.clone(),
            invoice_display_name: c.invoice_display_name.clone(),
            created_at: created_at.to_string(),
            charge_model: c.charge_model.clone(),
            invoiceable: c.invoiceable,
            regroup_paid_fees: None,
            pay_in_advance: c.pay_in_advance,
            prorated: c.prorated,
            min_amount_cents: c.min_amount_cents,
            properties: c.properties.clone(),
            filters: Vec::new(),
            taxes: Vec::new(),
        }
    }
}

impl From<&PlanRow> for Plan {
    fn from(p: &PlanRow) -> Plan {
        let attrs: Map<String, Value> = serde_json::from_str(&p.attributes).unwrap_or_default();
        let text = |k: &str| attrs.get(k).and_then(Value::as_str).map(String::from);
        let created = iso_seconds(p.created_at);
        Plan {
            lago_id: p.lago_id.clone(),
            name: p.name.clone(),
            invoice_display_name: text("invoice_display_name"),
            code: p.code.clone(),
            interval: p.interval.clone(),
            description: text("description"),
            amount_cents: p.amount_cents,
            amount_currency: p.amount_currency.clone(),
            trial_period: match attrs.get("trial_period") {
                Some(Value::Number(n)) => Some(n.clone()),
                _ => None,
            },
            pay_in_advance: p.pay_in_advance,
            bill_charges_monthly: attrs.get("bill_charges_monthly").and_then(Value::as_bool),
            customers_count: 0,
            active_subscriptions_count: 0,
            draft_invoices_count: 0,
            parent_id: None,
            pending_deletion: p.deleted_at.is_some(),
            charges: charges_of(p)
                .iter()
                .map(|c| Charge::new(c, &created))
                .collect(),
            usage_thresholds: Vec::new(),
            taxes: Vec::new(),
            created_at: created,
        }
    }
}

impl Plan {
    /// `{"plan": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "plan": self })
    }
}
