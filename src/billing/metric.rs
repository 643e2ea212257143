//! Billable metric definitions (`api:app/models/billable_metric.rb`).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How a metric's events are aggregated over a billing window (Lago `aggregation_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AggregationType {
    #[serde(rename = "count_agg")]
    Count,
    #[serde(rename = "sum_agg")]
    Sum,
    #[serde(rename = "max_agg")]
    Max,
    #[serde(rename = "unique_count_agg")]
    UniqueCount,
    #[serde(rename = "latest_agg")]
    Latest,
    #[serde(rename = "weighted_sum_agg")]
    WeightedSum,
}

impl AggregationType {
    /// Lago wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AggregationType::Count => "count_agg",
            AggregationType::Sum => "sum_agg",
            AggregationType::Max => "max_agg",
            AggregationType::UniqueCount => "unique_count_agg",
            AggregationType::Latest => "latest_agg",
            AggregationType::WeightedSum => "weighted_sum_agg",
        }
    }
}

impl FromStr for AggregationType {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Ok(match s {
            "count_agg" => AggregationType::Count,
            "sum_agg" => AggregationType::Sum,
            "max_agg" => AggregationType::Max,
            "unique_count_agg" => AggregationType::UniqueCount,
            "latest_agg" => AggregationType::Latest,
            "weighted_sum_agg" => AggregationType::WeightedSum,
            _ => return Err(()),
        })
    }
}

/// What aggregation needs to know about a metric.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricSpec {
    pub aggregation: AggregationType,
    pub field_name: Option<String>,
    pub recurring: bool,
}

impl MetricSpec {
    /// Lago's model rules: `field_name` required except for `count_agg`; `recurring`
    /// not compatible with count/max/latest. Returns (field, error code) pairs.
    pub fn validate(&self) -> Vec<(&'static str, &'static str)> {
        let mut errs = Vec::new();
        if self.aggregation != AggregationType::Count
            && self.field_name.as_deref().is_none_or(str::is_empty)
        {
            errs.push(("field_name", "value_is_mandatory"));
        }
        if self.recurring
            && matches!(
                self.aggregation,
                AggregationType::Count | AggregationType::Max | AggregationType::Latest
            )
        {
            errs.push(("recurring", "not_compatible_with_aggregation_type"));
        }
        errs
    }
}
