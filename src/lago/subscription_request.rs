//! Request bodies of `POST /subscriptions` and `PUT /subscriptions/{external_id}` parsed into
//! the domain's commands ([`NewSubscription`], [`SubscriptionChange`]);
//! `api:app/controllers/api/v1/subscriptions_controller.rb` (`create_params`,
//! `update_params`).

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::error_code::FieldCode;
use super::fields::text;
use crate::bridge::error::BridgeError;
use crate::bridge::subscriptions::{BillingTime, InvalidDate, NewSubscription, SubscriptionChange};
use crate::meter::time::to_micros;

/// A Lago time: RFC 3339, `YYYY-MM-DD` (midnight UTC) or `YYYY-MM-DDTHH:MM:SS` (UTC), in µs.
fn parse_time(v: &Value) -> Result<i64, InvalidDate> {
    let s = v.as_str().ok_or(InvalidDate)?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(to_micros(t.with_timezone(&Utc)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(to_micros(d.and_time(chrono::NaiveTime::MIN).and_utc()));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Ok(to_micros(t.and_utc()));
    }
    Err(InvalidDate)
}

/// Parses the `subscription` object of `POST /subscriptions`, collecting every field error.
///
/// # Errors
/// 422 with all of: `external_customer_id`, `plan_code`, `external_id` `value_is_mandatory`;
/// `billing_time` `value_is_invalid` (not `calendar`/`anniversary`); `subscription_at`,
/// `ending_at` `invalid_date`.
pub fn new_subscription(input: &Map<String, Value>) -> Result<NewSubscription, BridgeError> {
    let mut errors = Map::new();
    let mut add = |f: &str, c: FieldCode| {
        errors.insert(f.into(), serde_json::json!([c]));
    };
    let external_customer_id = text(input, "external_customer_id");
    let plan_code = text(input, "plan_code");
    let external_id = text(input, "external_id");
    if external_customer_id.is_none() {
        add("external_customer_id", FieldCode::ValueIsMandatory);
    }
    if plan_code.is_none() {
        add("plan_code", FieldCode::ValueIsMandatory);
    }
    if external_id.is_none() {
        add("external_id", FieldCode::ValueIsMandatory);
    }
    let billing_time = match text(input, "billing_time").as_deref() {
        None | Some("calendar") => BillingTime::Calendar,
        Some("anniversary") => BillingTime::Anniversary,
        Some(_) => {
            add("billing_time", FieldCode::ValueIsInvalid);
            BillingTime::Calendar
        }
    };
    let mut time_field = |k: &str| match input.get(k) {
        None | Some(Value::Null) => None,
        Some(v) => parse_time(v)
            .map_err(|InvalidDate| add(k, FieldCode::InvalidDate))
            .ok(),
    };
    let subscription_at = time_field("subscription_at");
    let ending_at = time_field("ending_at");
    if !errors.is_empty() {
        return Err(BridgeError::Validation(errors));
    }
    Ok(NewSubscription {
        external_id: external_id.unwrap_or_default(),
        external_customer_id: external_customer_id.unwrap_or_default(),
        plan_code: plan_code.unwrap_or_default(),
        name: text(input, "name"),
        billing_time,
        subscription_at,
        ending_at,
    })
}

/// Parses the `subscription` object of `PUT /subscriptions/{external_id}`: only the keys
/// present change something.
///
/// # Errors
/// 422 `ending_at` `invalid_date`. (An invalid `subscription_at` is kept as such: it only
/// matters, and is refused, for a pending subscription.)
pub fn subscription_change(input: &Map<String, Value>) -> Result<SubscriptionChange, BridgeError> {
    let ending_at = match input.get("ending_at") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => Some(Some(parse_time(v).map_err(|InvalidDate| {
            BridgeError::field("ending_at", FieldCode::InvalidDate)
        })?)),
    };
    Ok(SubscriptionChange {
        name: input.contains_key("name").then(|| text(input, "name")),
        ending_at,
        subscription_at: input.get("subscription_at").map(parse_time),
    })
}
