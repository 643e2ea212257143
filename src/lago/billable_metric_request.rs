//! The body of `POST /api/v1/billable_metrics` and `PUT /api/v1/billable_metrics/{code}`
//! (`{"billable_metric": {…}}`), parsed into a typed change set and checked with Lago's
//! rules (`api:app/models/billable_metric.rb`, `app/services/billable_metrics/*`).
//!
//! Only the keys present change (on create, onto a blank metric). Every error is
//! collected: a value of the wrong type is `value_is_invalid` and leaves the field as it
//! was, then the rules of the merged metric run.

use std::str::FromStr;

use serde_json::{json, Map, Value};

use super::error_code::FieldCode;
use super::fields::{add, opt_bool, opt_string, FieldErrors, InvalidValue};
use crate::billing::metric::{AggregationType, MetricSpec};
use crate::meter::billable_metric_repo::BillableMetricRow;

/// Longest `code` accepted, in UTF-8 bytes.
const MAX_CODE_LEN: usize = 255;

/// The keys of a billable metric request: `None` = absent (unchanged), `Some(None)` = null.
#[derive(Debug, Clone, Default)]
pub struct BillableMetricRequest {
    name: Option<Option<String>>,
    code: Option<Option<String>>,
    aggregation_type: Option<Option<String>>,
    description: Option<Option<String>>,
    field_name: Option<Option<String>>,
    weighted_interval: Option<Option<String>>,
    rounding_function: Option<Option<String>>,
    expression: Option<Option<String>>,
    /// Present: the value, null = `false`.
    recurring: Option<bool>,
    rounding_precision: Option<Option<i64>>,
    /// Present: the filters as stored (`[{key, values}]`, null = `[]`).
    filters: Option<Value>,
    /// Type errors found while parsing; reported with the rule errors of [`Self::apply`].
    errors: FieldErrors,
}

impl BillableMetricRequest {
    /// Reads the object under `billable_metric`. Never fails: type errors are kept and
    /// returned by [`Self::apply`] together with the rule errors.
    pub fn parse(input: &Map<String, Value>) -> Self {
        let mut r = BillableMetricRequest::default();
        r.name = r.text(input, "name");
        r.code = r.text(input, "code");
        r.aggregation_type = r.text(input, "aggregation_type");
        r.description = r.text(input, "description");
        r.field_name = r.text(input, "field_name");
        r.weighted_interval = r.text(input, "weighted_interval");
        r.rounding_function = r.text(input, "rounding_function");
        r.expression = r.text(input, "expression");
        r.recurring = r.recurring(input);
        r.rounding_precision = r.rounding_precision(input);
        r.filters = r.filters(input);
        r
    }

    fn text(&mut self, input: &Map<String, Value>, key: &str) -> Option<Option<String>> {
        if !input.contains_key(key) {
            return None;
        }
        match opt_string(input, key) {
            Ok(v) => Some(v),
            Err(InvalidValue) => {
                add(&mut self.errors, key, FieldCode::ValueIsInvalid);
                None
            }
        }
    }

    fn recurring(&mut self, input: &Map<String, Value>) -> Option<bool> {
        if !input.contains_key("recurring") {
            return None;
        }
        match opt_bool(input, "recurring") {
            Ok(v) => Some(v.unwrap_or(false)),
            Err(InvalidValue) => {
                add(&mut self.errors, "recurring", FieldCode::ValueIsInvalid);
                None
            }
        }
    }

    /// An integer, or a string of one; null clears it.
    fn rounding_precision(&mut self, input: &Map<String, Value>) -> Option<Option<i64>> {
        match input.get("rounding_precision")? {
            Value::Null => Some(None),
            Value::Number(n) if n.as_i64().is_some() => Some(n.as_i64()),
            Value::String(s) if s.parse::<i64>().is_ok() => Some(s.parse().ok()),
            _ => {
                add(
                    &mut self.errors,
                    "rounding_precision",
                    FieldCode::ValueIsInvalid,
                );
                None
            }
        }
    }

    fn filters(&mut self, input: &Map<String, Value>) -> Option<Value> {
        let v = input.get("filters")?;
        let parsed = parse_filters(v);
        if parsed.is_none() {
            add(&mut self.errors, "filters", FieldCode::ValueIsInvalid);
        }
        parsed
    }

    /// Applies the keys present onto `m` (a blank metric on create, the stored one on
    /// update) and checks the result with Lago's rules.
    ///
    /// # Errors
    /// Field → codes: `value_is_invalid` (wrong types, unknown `aggregation_type` or
    /// `rounding_function`, `code` over 255, `weighted_interval` other than `seconds` for
    /// `weighted_sum_agg`), `value_is_mandatory` (`name`, `code`, `aggregation_type`),
    /// and [`MetricSpec::validate`]'s.
    pub fn apply(self, mut m: BillableMetricRow) -> Result<BillableMetricRow, FieldErrors> {
        let mut errors = self.errors;
        let mut name = Some(m.name.clone()).filter(|s| !s.is_empty());
        let mut code = Some(m.code.clone()).filter(|s| !s.is_empty());
        let mut aggregation = Some(m.aggregation_type.clone()).filter(|s| !s.is_empty());
        set(&mut name, self.name);
        set(&mut code, self.code);
        set(&mut aggregation, self.aggregation_type);
        set(&mut m.description, self.description);
        set(&mut m.field_name, self.field_name);
        set(&mut m.weighted_interval, self.weighted_interval);
        set(&mut m.rounding_function, self.rounding_function);
        set(&mut m.expression, self.expression);
        if let Some(r) = self.recurring {
            m.recurring = r;
        }
        set(&mut m.rounding_precision, self.rounding_precision);
        if let Some(f) = self.filters {
            m.filters = f.to_string();
        }
        check_name_and_code(&mut m, name, code, &mut errors);
        check_aggregation(&mut m, aggregation.as_deref(), &mut errors);
        check_rounding_function(&m, &mut errors);
        if errors.is_empty() {
            Ok(m)
        } else {
            Err(errors)
        }
    }
}

fn set<T>(target: &mut Option<T>, change: Option<Option<T>>) {
    if let Some(v) = change {
        *target = v;
    }
}

fn check_name_and_code(
    m: &mut BillableMetricRow,
    name: Option<String>,
    code: Option<String>,
    errors: &mut FieldErrors,
) {
    match name {
        Some(n) if !n.trim().is_empty() => m.name = n,
        _ => add(errors, "name", FieldCode::ValueIsMandatory),
    }
    match code {
        Some(c) if !c.trim().is_empty() && c.len() <= MAX_CODE_LEN => m.code = c,
        Some(c) if c.len() > MAX_CODE_LEN => add(errors, "code", FieldCode::ValueIsInvalid),
        _ => add(errors, "code", FieldCode::ValueIsMandatory),
    }
}

/// `aggregation_type` must be known; `count_agg` drops `field_name`; the spec rules of
/// [`MetricSpec::validate`]; `weighted_interval` is `seconds` for `weighted_sum_agg` and
/// dropped for the others.
fn check_aggregation(
    m: &mut BillableMetricRow,
    aggregation: Option<&str>,
    errors: &mut FieldErrors,
) {
    let agg = match aggregation {
        None | Some("") => {
            add(errors, "aggregation_type", FieldCode::ValueIsMandatory);
            return;
        }
        Some(a) => match AggregationType::from_str(a) {
            Ok(t) => t,
            Err(_) => {
                add(errors, "aggregation_type", FieldCode::ValueIsInvalid);
                return;
            }
        },
    };
    m.aggregation_type = agg.as_str().to_string();
    if agg == AggregationType::Count {
        m.field_name = None;
    }
    let spec = MetricSpec {
        aggregation: agg,
        field_name: m.field_name.clone(),
        recurring: m.recurring,
    };
    if let Err(spec_errors) = spec.validate() {
        for (field, codes) in spec_errors.iter() {
            for code in codes {
                add(errors, field, *code);
            }
        }
    }
    if agg == AggregationType::WeightedSum {
        if m.weighted_interval.as_deref() != Some("seconds") {
            add(errors, "weighted_interval", FieldCode::ValueIsInvalid);
        }
    } else {
        m.weighted_interval = None;
    }
}

fn check_rounding_function(m: &BillableMetricRow, errors: &mut FieldErrors) {
    if let Some(f) = m.rounding_function.as_deref() {
        if !matches!(f, "round" | "ceil" | "floor") {
            add(errors, "rounding_function", FieldCode::ValueIsInvalid);
        }
    }
}

/// Lago filters: `[{"key": "region", "values": ["eu", "us"]}]` (strings, non-empty);
/// null is `[]`. `None` when the shape is wrong.
fn parse_filters(v: &Value) -> Option<Value> {
    let items = match v {
        Value::Null => return Some(json!([])),
        Value::Array(a) => a,
        _ => return None,
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let key = item.get("key")?.as_str().filter(|k| !k.is_empty())?;
        let values = item.get("values")?.as_array()?;
        if values.is_empty()
            || !values
                .iter()
                .all(|x| x.as_str().is_some_and(|s| !s.is_empty()))
        {
            return None;
        }
        out.push(json!({"key": key, "values": values}));
    }
    Some(Value::Array(out))
}
