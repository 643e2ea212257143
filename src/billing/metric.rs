//! Billable metrics: how a metric aggregates its events, and Lago's rules for a valid metric.
//!
//! Mirrors Lago `app/models/billable_metric.rb` (enum `aggregation_type`, validations
//! `field_name` presence and `recurring` compatibility). `custom_agg` is not supported by
//! the gateway: parsing it fails like any unknown type.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ValidationErrors;
use crate::lago::error_code::FieldCode;

/// How a billable metric turns events into units. Wire names are Lago's
/// `aggregation_type` values (`count_agg`, `sum_agg`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AggregationType {
    /// `count_agg`: number of events.
    #[serde(rename = "count_agg")]
    Count,
    /// `sum_agg`: sum of a numeric property.
    #[serde(rename = "sum_agg")]
    Sum,
    /// `max_agg`: largest value of a numeric property.
    #[serde(rename = "max_agg")]
    Max,
    /// `unique_count_agg`: number of distinct values of a property.
    #[serde(rename = "unique_count_agg")]
    UniqueCount,
    /// `latest_agg`: value of the property on the latest event.
    #[serde(rename = "latest_agg")]
    Latest,
    /// `weighted_sum_agg`: time-weighted level of a numeric property (events carry
    /// increments of the level).
    #[serde(rename = "weighted_sum_agg")]
    WeightedSum,
}

impl AggregationType {
    /// Every supported type, in Lago's declaration order.
    pub const ALL: [AggregationType; 6] = [
        AggregationType::Count,
        AggregationType::Sum,
        AggregationType::Max,
        AggregationType::UniqueCount,
        AggregationType::Latest,
        AggregationType::WeightedSum,
    ];

    /// The Lago wire name, e.g. `"sum_agg"`.
    pub fn as_str(self) -> &'static str {
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

impl fmt::Display for AggregationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a string that is not one of the supported `aggregation_type` names.
/// The API maps it to `{"aggregation_type":["value_is_invalid"]}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown aggregation type `{0}`")]
pub struct UnknownAggregationType(pub String);

impl FromStr for AggregationType {
    type Err = UnknownAggregationType;

    /// Parses a Lago wire name (exact, case-sensitive, like Lago's enum).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AggregationType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownAggregationType(s.to_owned()))
    }
}

/// What the aggregation needs to know about a billable metric.
///
/// `field_name` is the event property that carries the value (required except for
/// `count_agg`). `recurring` metrics keep their value across billing periods (see
/// [`crate::billing::aggregation`] for what that means per type).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricSpec {
    /// Aggregation type.
    pub aggregation: AggregationType,
    /// Event property aggregated; `None` for `count_agg`.
    pub field_name: Option<String>,
    /// Whether the metric's value carries over from one period to the next.
    pub recurring: bool,
}

impl MetricSpec {
    /// Checks Lago's rules (`app/models/billable_metric.rb`):
    /// - `field_name` must be present and non-blank unless the type is `count_agg`
    ///   → `{"field_name":["value_is_mandatory"]}`;
    /// - `recurring: true` is invalid with `count_agg`, `max_agg` and `latest_agg`
    ///   → `{"recurring":["not_compatible_with_aggregation_type"]}`
    ///   (`api:app/models/billable_metric.rb#validate_recurring`).
    ///
    /// Returns every error at once.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let blank = !matches!(self.field_name.as_deref(), Some(f) if !f.trim().is_empty());
        if self.aggregation != AggregationType::Count && blank {
            errors.add("field_name", FieldCode::ValueIsMandatory);
        }
        let recurring_forbidden = matches!(
            self.aggregation,
            AggregationType::Count | AggregationType::Max | AggregationType::Latest
        );
        if self.recurring && recurring_forbidden {
            errors.add("recurring", FieldCode::NotCompatibleWithAggregationType);
        }
        errors.into_result()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(aggregation: AggregationType, field: Option<&str>, recurring: bool) -> MetricSpec {
        MetricSpec {
            aggregation,
            field_name: field.map(str::to_owned),
            recurring,
        }
    }

    #[test]
    fn names_round_trip_through_str_and_serde() {
        for t in AggregationType::ALL {
            assert_eq!(t.as_str().parse::<AggregationType>(), Ok(t));
            let json = serde_json::to_string(&t).unwrap();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<AggregationType>(&json).unwrap(), t);
        }
        assert!("custom_agg".parse::<AggregationType>().is_err());
        assert!("SUM_AGG".parse::<AggregationType>().is_err());
        assert!(serde_json::from_str::<AggregationType>("\"recurring_count_agg\"").is_err());
    }

    #[test]
    fn field_name_is_mandatory_except_for_count() {
        assert!(spec(AggregationType::Count, None, false).validate().is_ok());
        for t in AggregationType::ALL
            .into_iter()
            .filter(|t| *t != AggregationType::Count)
        {
            for field in [None, Some(""), Some("  ")] {
                let err = spec(t, field, false).validate().unwrap_err();
                assert_eq!(err.codes("field_name"), ["value_is_mandatory"], "{t}");
            }
            assert!(spec(t, Some("gb"), false).validate().is_ok(), "{t}");
        }
    }

    #[test]
    fn recurring_is_invalid_with_count_max_latest() {
        let cases = [
            (AggregationType::Count, false),
            (AggregationType::Sum, true),
            (AggregationType::Max, false),
            (AggregationType::UniqueCount, true),
            (AggregationType::Latest, false),
            (AggregationType::WeightedSum, true),
        ];
        for (t, allowed) in cases {
            let result = spec(t, Some("v"), true).validate();
            assert_eq!(result.is_ok(), allowed, "{t}");
            if !allowed {
                assert_eq!(
                    result.unwrap_err().codes("recurring"),
                    ["not_compatible_with_aggregation_type"]
                );
            }
        }
    }

    #[test]
    fn all_errors_are_reported_together() {
        let err = spec(AggregationType::Max, None, true)
            .validate()
            .unwrap_err();
        assert_eq!(err.codes("field_name"), ["value_is_mandatory"]);
        assert_eq!(
            err.codes("recurring"),
            ["not_compatible_with_aggregation_type"]
        );
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({"field_name":["value_is_mandatory"],"recurring":["not_compatible_with_aggregation_type"]})
        );
    }
}
