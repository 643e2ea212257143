//! Request bodies of `POST /plans` and `PUT /plans/{code}` parsed into the domain's command
//! ([`PlanInput`]); `api:app/controllers/api/v1/plans_controller.rb` (`input_params`),
//! `app/models/{plan,charge}.rb` validations.
//!
//! A plan body is read against a [`PlanContext`]: the stored plan on update (absent keys keep
//! its values) and the service's billable metrics (a charge names one by
//! `billable_metric_id`, and its aggregation decides which charge properties are valid).
//! Every field error is collected into one 422 body.

use std::str::FromStr;

use serde_json::{json, Map, Value};

use super::error_code::{ErrorCode, FieldCode};
use crate::billing::charge::Charge;
use crate::billing::metric::AggregationType;
use crate::billing::money::Currency;
use crate::bridge::error::BridgeError;
use crate::bridge::plans::{ChargeInput, PlanContext, PlanInput, INTERVALS};

/// The attributes a plan body may set, stored as sent (free-form JSON).
const ATTRIBUTES: [&str; 4] = [
    "description",
    "invoice_display_name",
    "trial_period",
    "bill_charges_monthly",
];

/// Field errors of a body: field → codes, each code once, in order of discovery.
type Errors = Map<String, Value>;

fn add(errors: &mut Errors, field: &str, code: FieldCode) {
    let e = errors.entry(field.to_string()).or_insert_with(|| json!([]));
    if let Value::Array(a) = e {
        if !a.contains(&json!(code)) {
            a.push(json!(code));
        }
    }
}

fn str_of(m: &Map<String, Value>, k: &str) -> Option<String> {
    super::fields::text(m, k)
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

/// Parses a plan body (the `plan` object) against `ctx`.
///
/// # Errors
/// 422 with every field error at once: `code`, `name`, `interval`, `amount_cents`,
/// `amount_currency` `value_is_mandatory` (on create, or when blank) / `value_is_invalid`;
/// `charges` `value_is_invalid`; per charge `billable_metric_id` `value_is_mandatory`, the
/// charge model property codes of [`Charge::from_lago`], `pay_in_advance`
/// `invalid_pay_in_advance` (volume) and `not_supported` for the options the rating does
/// not apply (`filters`, `grouped_by`, `pay_in_advance`, `prorated`, `invoiceable`,
/// `min_amount_cents`). 404 `billable_metric_not_found` as soon as a charge
/// names a metric the service does not have.
pub fn plan_input(input: &Map<String, Value>, ctx: &PlanContext) -> Result<PlanInput, BridgeError> {
    let base = ctx.base;
    let mut errors = Errors::new();
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
    let amount_cents = amount_cents(input, ctx, &mut errors);
    let amount_currency = amount_currency(input, ctx, &mut errors);
    let attributes = ATTRIBUTES
        .iter()
        .filter_map(|k| input.get(*k).map(|v| ((*k).to_string(), v.clone())))
        .collect();
    let charges = charges(input, ctx, &mut errors)?;
    if !errors.is_empty() {
        return Err(BridgeError::Validation(errors));
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

/// `amount_cents`: a non-negative integer, else the stored plan's.
fn amount_cents(input: &Map<String, Value>, ctx: &PlanContext, errors: &mut Errors) -> i64 {
    match int_of(input, "amount_cents") {
        Ok(Some(a)) if a >= 0 => a,
        Ok(None) => match ctx.base {
            Some(b) => b.amount_cents,
            None => {
                add(errors, "amount_cents", FieldCode::ValueIsMandatory);
                0
            }
        },
        _ => {
            add(errors, "amount_cents", FieldCode::ValueIsInvalid);
            0
        }
    }
}

/// `amount_currency`: an ISO code the gateway knows (normalised), else the stored plan's.
fn amount_currency(input: &Map<String, Value>, ctx: &PlanContext, errors: &mut Errors) -> String {
    match str_of(input, "amount_currency") {
        Some(c) => match Currency::parse(&c) {
            Ok(cur) => cur.code().to_string(),
            Err(_) => {
                add(errors, "amount_currency", FieldCode::ValueIsInvalid);
                c
            }
        },
        None => match ctx.base {
            Some(b) => b.amount_currency.clone(),
            None => {
                add(errors, "amount_currency", FieldCode::ValueIsMandatory);
                String::new()
            }
        },
    }
}

/// `charges`: `None` when absent (an update keeps them), empty for `null`.
fn charges(
    input: &Map<String, Value>,
    ctx: &PlanContext,
    errors: &mut Errors,
) -> Result<Option<Vec<ChargeInput>>, BridgeError> {
    match input.get("charges") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Vec::new())),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for item in items {
                let Value::Object(c) = item else {
                    add(errors, "charges", FieldCode::ValueIsInvalid);
                    continue;
                };
                if let Some(ch) = charge(c, ctx, errors)? {
                    out.push(ch);
                }
            }
            Ok(Some(out))
        }
        Some(_) => {
            add(errors, "charges", FieldCode::ValueIsInvalid);
            Ok(None)
        }
    }
}

/// One charge; `None` (with its errors added) when invalid.
fn charge(
    c: &Map<String, Value>,
    ctx: &PlanContext,
    errors: &mut Errors,
) -> Result<Option<ChargeInput>, BridgeError> {
    let Some(metric_id) = str_of(c, "billable_metric_id") else {
        add(errors, "billable_metric_id", FieldCode::ValueIsMandatory);
        return Ok(None);
    };
    let metric = ctx
        .metric(&metric_id)
        .ok_or(BridgeError::NotFound(ErrorCode::BillableMetricNotFound))?;
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
    Ok(Some(ChargeInput {
        id: str_of(c, "id").or_else(|| str_of(c, "lago_id")),
        billable_metric_id: metric.id.clone(),
        billable_metric_code: metric.code.clone(),
        code: str_of(c, "code").unwrap_or_else(|| metric.code.clone()),
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
    }))
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
