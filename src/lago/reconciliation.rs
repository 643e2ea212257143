//! The body of `POST /api/v1/reconciliation` (a gateway extension for the dual-run, not a
//! Lago endpoint; see DESIGN.md): one reported amount, or a list of them, under
//! `reconciliation`, parsed into [`crate::reconcile::Reported`] with Lago's 422 shapes.

use serde_json::{json, Map, Value};

use super::error_code::FieldCode;
use crate::reconcile::{Reported, ReportedFields, SentAmount};

/// Why a body was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum ReportsError {
    /// `reconciliation` is neither an object nor a list (400).
    NotAnObjectOrList,
    /// 422 `error_details`: field → codes; for a list, with the `index` of the first
    /// refused item (or `reconciliation[<i>]` `value_is_invalid` for an item that is not an
    /// object).
    Fields(Map<String, Value>),
}

/// A text field: a non-blank string (trimmed) or a number (its text).
fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// `amount_cents`: an integer, or its text.
fn amount(v: Option<&Value>) -> SentAmount {
    let cents = match v {
        None | Some(Value::Null) => return SentAmount::Missing,
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    cents.map_or(SentAmount::Invalid, SentAmount::Cents)
}

/// Parses one reported amount (`external_customer_id`, optional
/// `external_subscription_id`, `period` `YYYY-MM`, integer `amount_cents`, 3-letter
/// `currency`).
///
/// # Errors
/// Field → Lago error codes (`value_is_mandatory`, `value_is_invalid`), every one at once.
pub fn parse_reported(m: &Map<String, Value>) -> Result<Reported, Map<String, Value>> {
    ReportedFields {
        external_customer_id: text(m, "external_customer_id"),
        external_subscription_id: text(m, "external_subscription_id"),
        period: text(m, "period"),
        amount_cents: amount(m.get("amount_cents")),
        currency: text(m, "currency"),
    }
    .check()
    .map_err(|e| {
        e.into_iter()
            .map(|(field, code)| (field.to_string(), json!([code])))
            .collect()
    })
}

/// Parses the value under `reconciliation`: one object or a list of objects.
///
/// # Errors
/// See [`ReportsError`]; the first refused item of a list stops the parse.
pub fn parse_reports(root: Value) -> Result<Vec<Reported>, ReportsError> {
    let items = match root {
        Value::Array(a) => a,
        v @ Value::Object(_) => vec![v],
        _ => return Err(ReportsError::NotAnObjectOrList),
    };
    let mut reports = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(m) = item else {
            let mut e = Map::new();
            e.insert(
                format!("reconciliation[{i}]"),
                json!([FieldCode::ValueIsInvalid]),
            );
            return Err(ReportsError::Fields(e));
        };
        match parse_reported(m) {
            Ok(r) => reports.push(r),
            Err(mut e) => {
                if items.len() > 1 {
                    e.insert("index".into(), json!(i));
                }
                return Err(ReportsError::Fields(e));
            }
        }
    }
    Ok(reports)
}
