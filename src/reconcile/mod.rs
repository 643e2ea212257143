//! Dual-run reconciliation: what an app reports it billed for a month against what Odoo
//! billed (posted customer invoices minus posted credit notes, untaxed amounts) per customer
//! and subscription. A credit note counts where the invoice it reverses counts.
//!
//! Attribution of an Odoo invoice to the service: its `invoice_origin` is the name of the
//! `sale.order` of one of the service's subscriptions → that subscription; otherwise, when
//! its partner is linked to a customer of this service only, it is a one-off invoice of that
//! customer (subscription `None`). Invoices of partners shared with another service that do
//! not come from one of this service's subscriptions are left out (they cannot be told
//! apart). The period is the month of `invoice_date`.
//!
//! Each line is `missing` (the app billed, Odoo did not), `extra` (Odoo billed, the app did
//! not), `different` (both, amounts differ by more than the threshold or currencies differ)
//! or matched (counted, not listed). Runs are stored; each result lists what changed since
//! the previous run of the same period.

mod csv_input;
mod odoo_side;
mod report;
pub mod store;

pub use csv_input::read_csv;
pub use report::{changes, to_csv, to_table, Changes, Kind, Line, Reconciliation};

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map};

use crate::bridge::{Bridge, BridgeError};
use crate::lago::error_code::FieldCode;
use crate::meter::tenants::ServiceRef;
use crate::meter::time::now_micros;
use odoo_side::{odoo_amounts, OdooAmount};

/// One amount an app reports it billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    /// `YYYY-MM`.
    pub period: String,
    /// The app's customer id.
    pub external_customer_id: String,
    /// The app's subscription id; `None` for one-off charges.
    pub external_subscription_id: Option<String>,
    /// Amount before taxes, cents.
    pub amount_cents: i64,
    /// ISO currency.
    pub currency: String,
}

/// `amount_cents` as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentAmount {
    /// Not sent (or `null`).
    Missing,
    /// An integer (or its text).
    Cents(i64),
    /// Anything else.
    Invalid,
}

/// One reported amount as received (an API item or a CSV line), before its checks.
/// Texts as sent; blank ones count as missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedFields {
    pub external_customer_id: Option<String>,
    pub external_subscription_id: Option<String>,
    pub period: Option<String>,
    pub amount_cents: SentAmount,
    pub currency: Option<String>,
}

/// A refused field and its Lago code.
pub type FieldError = (&'static str, FieldCode);

/// `{"<field>": ["<code>"], …}` of `errors`, as Lago's `error_details` shows them (the
/// CLI's messages).
fn errors_json(errors: &[FieldError]) -> serde_json::Value {
    let m: Map<String, serde_json::Value> = errors
        .iter()
        .map(|(f, c)| ((*f).to_string(), json!([c])))
        .collect();
    serde_json::Value::Object(m)
}

fn filled(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl ReportedFields {
    /// Checks one reported amount: `external_customer_id`, `period` (`YYYY-MM`),
    /// `amount_cents` (an integer) and `currency` (three letters, upper-cased) are
    /// mandatory; `external_subscription_id` is optional.
    ///
    /// # Errors
    /// Every refused field at once: `value_is_mandatory` (missing), `value_is_invalid`.
    pub fn check(self) -> Result<Reported, Vec<FieldError>> {
        let mut errors = Vec::new();
        let customer = filled(self.external_customer_id);
        if customer.is_none() {
            errors.push(("external_customer_id", FieldCode::ValueIsMandatory));
        }
        let period = filled(self.period);
        match &period {
            None => errors.push(("period", FieldCode::ValueIsMandatory)),
            Some(p) if period_bounds(p).is_none() => {
                errors.push(("period", FieldCode::ValueIsInvalid))
            }
            _ => {}
        }
        let amount = match self.amount_cents {
            SentAmount::Cents(c) => c,
            SentAmount::Missing => {
                errors.push(("amount_cents", FieldCode::ValueIsMandatory));
                0
            }
            SentAmount::Invalid => {
                errors.push(("amount_cents", FieldCode::ValueIsInvalid));
                0
            }
        };
        let currency = filled(self.currency).map(|c| c.to_uppercase());
        match &currency {
            None => errors.push(("currency", FieldCode::ValueIsMandatory)),
            Some(c) if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
                errors.push(("currency", FieldCode::ValueIsInvalid))
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Reported {
            period: period.unwrap_or_default(),
            external_customer_id: customer.unwrap_or_default(),
            external_subscription_id: filled(self.external_subscription_id),
            amount_cents: amount,
            currency: currency.unwrap_or_default(),
        })
    }
}

/// The first day of a `YYYY-MM` period and of the next month.
pub fn period_bounds(period: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m) = period.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first, next))
}

/// The `YYYY-MM` period of a date.
pub fn period_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// (customer, subscription; `None` for one-off invoices).
type Key = (String, Option<String>);

/// Compares reported amounts with Odoo's for `period` (no storing).
///
/// # Errors
/// `period` `value_is_invalid`; Odoo unavailable; store errors.
pub async fn compare(
    bridge: &Bridge,
    service: &ServiceRef,
    period: &str,
    threshold_cents: i64,
) -> Result<Reconciliation, BridgeError> {
    let (first, next) = period_bounds(period)
        .ok_or_else(|| BridgeError::field("period", FieldCode::ValueIsInvalid))?;
    let reported = store::reports(&bridge.store, service.id, period).await?;
    let odoo = odoo_amounts(bridge, service, first, next).await?;
    let app: BTreeMap<Key, Reported> = reported
        .into_iter()
        .map(|r| {
            let key = (
                r.external_customer_id.clone(),
                r.external_subscription_id.clone(),
            );
            (key, r)
        })
        .collect();
    let mut result = discrepancies(period, threshold_cents, &app, &odoo);
    if let Some(prev) = store::last_run(&bridge.store, service.id, period).await? {
        if let Ok(prev) = serde_json::from_str::<Reconciliation>(&prev) {
            result.changes = changes(&prev.discrepancies, &result.discrepancies);
        }
    }
    Ok(result)
}

/// The kind of discrepancy between what the app reported and what Odoo billed for one key;
/// `None` when they match.
fn classify(a: Option<&Reported>, o: Option<&OdooAmount>, threshold_cents: i64) -> Option<Kind> {
    match (a, o) {
        (Some(a), None) if a.amount_cents != 0 => Some(Kind::Missing),
        (None, Some(o)) if o.cents != 0 => Some(Kind::Extra),
        (Some(a), Some(o)) => {
            let cur_differs = o
                .currency
                .as_deref()
                .is_some_and(|c| !c.eq_ignore_ascii_case(&a.currency));
            ((o.cents - a.amount_cents).abs() > threshold_cents || cur_differs)
                .then_some(Kind::Different)
        }
        _ => None,
    }
}

/// Compares both sides key by key (no changes since a previous run yet).
fn discrepancies(
    period: &str,
    threshold_cents: i64,
    app: &BTreeMap<Key, Reported>,
    odoo: &BTreeMap<Key, OdooAmount>,
) -> Reconciliation {
    let keys: BTreeSet<&Key> = app.keys().chain(odoo.keys()).collect();
    let mut result = Reconciliation {
        period: period.to_string(),
        threshold_cents,
        matched: 0,
        app_total_cents: app.values().map(|r| r.amount_cents).sum(),
        odoo_total_cents: odoo.values().map(|o| o.cents).sum(),
        discrepancies: Vec::new(),
        changes: Changes::default(),
    };
    for key in keys {
        let a = app.get(key);
        let o = odoo.get(key);
        let Some(kind) = classify(a, o, threshold_cents) else {
            result.matched += 1;
            continue;
        };
        result.discrepancies.push(Line {
            kind,
            external_customer_id: key.0.clone(),
            external_subscription_id: key.1.clone(),
            app_amount_cents: a.map(|a| a.amount_cents),
            odoo_amount_cents: o.map(|o| o.cents),
            app_currency: a.map(|a| a.currency.clone()),
            odoo_currency: o.and_then(|o| o.currency.clone()),
            difference_cents: match (a, o) {
                (Some(a), Some(o)) => Some(o.cents - a.amount_cents),
                _ => None,
            },
            odoo_invoices: o.map(|o| o.invoices.clone()).unwrap_or_default(),
        });
    }
    result
}

/// Compares and stores the run (the CLI).
///
/// # Errors
/// As [`compare`].
pub async fn run_and_store(
    bridge: &Bridge,
    service: &ServiceRef,
    period: &str,
    threshold_cents: i64,
) -> Result<Reconciliation, BridgeError> {
    let r = compare(bridge, service, period, threshold_cents).await?;
    let text = serde_json::to_string(&r).unwrap_or_default();
    store::insert_run(
        &bridge.store,
        service.id,
        period,
        threshold_cents,
        &text,
        now_micros(),
    )
    .await?;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_calendar_months() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        assert_eq!(period_bounds("2026-12"), Some((d(2026, 12), d(2027, 1))));
        assert_eq!(period_bounds("2026-13"), None);
        assert_eq!(period_bounds("2026-1"), None);
        assert_eq!(period_of(d(2026, 2)), "2026-02");
    }

    #[test]
    fn every_error_at_once() {
        let e = ReportedFields {
            external_customer_id: Some("  ".into()),
            external_subscription_id: None,
            period: Some("2026-13".into()),
            amount_cents: SentAmount::Invalid,
            currency: Some("CA".into()),
        }
        .check()
        .unwrap_err();
        assert_eq!(
            errors_json(&e),
            json!({"external_customer_id": ["value_is_mandatory"], "period": ["value_is_invalid"],
                "amount_cents": ["value_is_invalid"], "currency": ["value_is_invalid"]})
        );
    }
}
