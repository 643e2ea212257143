//! Lago's `customer_usage` object (`api:app/serializers/v1/customers/usage_serializer.rb`,
//! `charge_usage_serializer.rb`; the Python client's `CustomerUsageResponse` requires the
//! amounts, `charges_usage`, and per charge `units`, `filters` (a list) and the nested
//! `charge`/`billable_metric`).

use serde::Serialize;
use serde_json::{json, Value};

use super::time::iso_seconds;
use crate::bridge::current_usage::CurrentUsage;
use crate::bridge::rating::RatedCharge;
use crate::meter::time::to_micros;

/// `customer_usage`: the current billing period so far. Amounts in the minor unit of
/// `currency`; `to_datetime` is one second before the period's exclusive end.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerUsage {
    pub from_datetime: String,
    pub to_datetime: String,
    /// `YYYY-MM-DD` the period's invoice will carry.
    pub issuing_date: String,
    pub currency: String,
    pub amount_cents: i64,
    pub taxes_amount_cents: i64,
    pub total_amount_cents: i64,
    pub lago_invoice_id: Option<String>,
    pub charges_usage: Vec<ChargeUsage>,
}

/// `customer_usage.charges_usage[]`: `units` decimal strings, `amount_cents` minor units.
#[derive(Debug, Clone, Serialize)]
pub struct ChargeUsage {
    pub units: String,
    pub total_aggregated_units: String,
    pub events_count: u64,
    pub amount_cents: i64,
    pub amount_currency: String,
    pub pricing_unit_details: Option<Value>,
    pub charge: ChargeRef,
    pub billable_metric: MetricRef,
    pub filters: Vec<Value>,
    pub grouped_usage: Vec<Value>,
    pub presentation_breakdowns: Vec<Value>,
}

/// `charges_usage[].charge`.
#[derive(Debug, Clone, Serialize)]
pub struct ChargeRef {
    pub lago_id: String,
    pub code: String,
    pub charge_model: String,
    pub invoice_display_name: Option<String>,
}

/// `charges_usage[].billable_metric`: the metric's name falls back to its code when the
/// metric was deleted since the plan was made.
#[derive(Debug, Clone, Serialize)]
pub struct MetricRef {
    pub lago_id: String,
    pub name: String,
    pub code: String,
    pub aggregation_type: Option<String>,
}

impl ChargeUsage {
    fn new(r: &RatedCharge, currency: &str) -> ChargeUsage {
        let units = r.aggregate.units.normalize().to_string();
        ChargeUsage {
            total_aggregated_units: units.clone(),
            units,
            events_count: r.aggregate.events_count,
            amount_cents: r.amount_cents,
            amount_currency: currency.to_string(),
            pricing_unit_details: None,
            charge: ChargeRef {
                lago_id: r.charge.lago_id.clone(),
                code: r.charge.code.clone(),
                charge_model: r.charge.charge_model.clone(),
                invoice_display_name: r.charge.invoice_display_name.clone(),
            },
            billable_metric: MetricRef {
                lago_id: r.charge.billable_metric_id.clone(),
                name: r
                    .metric
                    .as_ref()
                    .map(|m| m.name.clone())
                    .unwrap_or_else(|| r.charge.billable_metric_code.clone()),
                code: r.charge.billable_metric_code.clone(),
                aggregation_type: r.metric.as_ref().map(|m| m.aggregation_type.clone()),
            },
            filters: Vec::new(),
            grouped_usage: Vec::new(),
            presentation_breakdowns: Vec::new(),
        }
    }
}

impl From<&CurrentUsage> for CustomerUsage {
    fn from(u: &CurrentUsage) -> CustomerUsage {
        let currency = &u.plan.amount_currency;
        CustomerUsage {
            from_datetime: iso_seconds(to_micros(u.from)),
            to_datetime: iso_seconds(to_micros(u.to) - 1_000_000),
            issuing_date: u.to.date_naive().format("%Y-%m-%d").to_string(),
            currency: currency.clone(),
            amount_cents: u.amount_cents,
            taxes_amount_cents: u.taxes_amount_cents,
            total_amount_cents: u.total_amount_cents,
            lago_invoice_id: None,
            charges_usage: u
                .charges
                .iter()
                .map(|(r, _)| ChargeUsage::new(r, currency))
                .collect(),
        }
    }
}

impl CustomerUsage {
    /// `{"customer_usage": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "customer_usage": self })
    }
}
