//! Lago's billable metric object (`api:app/serializers/v1/billable_metric_serializer.rb`;
//! the Python client's `BillableMetricResponse` requires `lago_id`, `name`, `code`,
//! `created_at` and `filters`).

use serde::Serialize;
use serde_json::{json, Value};

use super::time::iso_seconds;
use crate::meter::billable_metric_repo::BillableMetricRow;

/// `billable_metric`. Times ISO-8601 UTC.
#[derive(Debug, Clone, Serialize)]
pub struct BillableMetric {
    pub lago_id: String,
    pub name: String,
    pub code: String,
    pub description: Option<String>,
    /// `count_agg | sum_agg | max_agg | unique_count_agg | latest_agg | weighted_sum_agg`.
    pub aggregation_type: String,
    pub weighted_interval: Option<String>,
    pub recurring: bool,
    /// `round | ceil | floor`.
    pub rounding_function: Option<String>,
    pub rounding_precision: Option<i64>,
    pub created_at: String,
    pub field_name: Option<String>,
    pub expression: Option<String>,
    /// `[{key, values: [..]}]` as given.
    pub filters: Vec<Value>,
    pub active_subscriptions_count: i64,
    pub draft_invoices_count: i64,
    pub plans_count: i64,
}

impl From<&BillableMetricRow> for BillableMetric {
    fn from(m: &BillableMetricRow) -> BillableMetric {
        BillableMetric {
            lago_id: m.id.clone(),
            name: m.name.clone(),
            code: m.code.clone(),
            description: m.description.clone(),
            aggregation_type: m.aggregation_type.clone(),
            weighted_interval: m.weighted_interval.clone(),
            recurring: m.recurring,
            rounding_function: m.rounding_function.clone(),
            rounding_precision: m.rounding_precision,
            created_at: iso_seconds(m.created_at),
            field_name: m.field_name.clone(),
            expression: m.expression.clone(),
            filters: serde_json::from_str(&m.filters).unwrap_or_default(),
            active_subscriptions_count: 0,
            draft_invoices_count: 0,
            plans_count: 0,
        }
    }
}

impl BillableMetric {
    /// `{"billable_metric": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "billable_metric": self })
    }
}
