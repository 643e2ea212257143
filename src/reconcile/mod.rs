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

use crate::lago::error_code::FieldCode;

pub mod store;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::accounts::{Accounts, AccountsError};
use crate::meter::services::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::invoices::MoveType;
use crate::odoo::{MoveId, PartnerId};

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

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Checks one reported amount (`external_customer_id`, optional `external_subscription_id`,
/// `period` YYYY-MM, integer `amount_cents`, 3-letter `currency`).
///
/// # Errors
/// Field → Lago error codes (`value_is_mandatory`, `value_is_invalid`).
pub fn validate(m: &Map<String, Value>) -> Result<Reported, Map<String, Value>> {
    let mut errors = Map::new();
    let mut add = |f: &str, c: FieldCode| {
        errors.insert(f.into(), json!([c]));
    };
    let customer = text(m, "external_customer_id");
    if customer.is_none() {
        add("external_customer_id", FieldCode::ValueIsMandatory);
    }
    let period = text(m, "period");
    match &period {
        None => add("period", FieldCode::ValueIsMandatory),
        Some(p) if period_bounds(p).is_none() => add("period", FieldCode::ValueIsInvalid),
        _ => {}
    }
    let amount = match m.get("amount_cents") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        None | Some(Value::Null) => {
            add("amount_cents", FieldCode::ValueIsMandatory);
            Some(0)
        }
        _ => None,
    };
    if amount.is_none() {
        add("amount_cents", FieldCode::ValueIsInvalid);
    }
    let currency = text(m, "currency").map(|c| c.to_uppercase());
    match &currency {
        None => add("currency", FieldCode::ValueIsMandatory),
        Some(c) if c.len() != 3 || !c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            add("currency", FieldCode::ValueIsInvalid)
        }
        _ => {}
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Reported {
        period: period.unwrap_or_default(),
        external_customer_id: customer.unwrap_or_default(),
        external_subscription_id: text(m, "external_subscription_id"),
        amount_cents: amount.unwrap_or_default(),
        currency: currency.unwrap_or_default(),
    })
}

/// Reads reported amounts from CSV with a header `external_customer_id,
/// external_subscription_id, period, amount_cents, currency` (`period` may be empty: then
/// `default_period`).
///
/// # Errors
/// A message naming the line.
pub fn read_csv(data: &[u8], default_period: &str) -> Result<Vec<Reported>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(data);
    let headers = rdr.headers().map_err(|e| e.to_string())?.clone();
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", i + 2))?;
        let mut m = Map::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            if !v.is_empty() {
                m.insert(h.to_string(), json!(v));
            }
        }
        if !m.contains_key("period") {
            m.insert("period".into(), json!(default_period));
        }
        out.push(validate(&m).map_err(|e| format!("line {}: {}", i + 2, Value::Object(e)))?);
    }
    Ok(out)
}

/// The kind of a discrepancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The app billed, Odoo did not.
    Missing,
    /// Odoo billed, the app did not.
    Extra,
    /// Both billed, differently.
    Different,
}

/// One discrepancy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// What kind.
    pub kind: Kind,
    /// Customer.
    pub external_customer_id: String,
    /// Subscription; `None` for one-off invoices.
    pub external_subscription_id: Option<String>,
    /// What the app reported (cents), if anything.
    pub app_amount_cents: Option<i64>,
    /// What Odoo billed (cents, untaxed, credit notes subtracted), if anything.
    pub odoo_amount_cents: Option<i64>,
    /// App currency.
    pub app_currency: Option<String>,
    /// Odoo currency.
    pub odoo_currency: Option<String>,
    /// Odoo minus app, cents (when both exist).
    pub difference_cents: Option<i64>,
    /// Odoo invoice numbers behind the amount.
    pub odoo_invoices: Vec<String>,
}

/// What changed since the previous stored run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    /// True when there was a previous run.
    pub has_previous: bool,
    /// Discrepancies that are new.
    pub new: Vec<Line>,
    /// Discrepancies that are gone.
    pub resolved: Vec<Line>,
    /// Discrepancies whose kind or amounts changed (the new version).
    pub changed: Vec<Line>,
}

/// The result of one reconciliation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reconciliation {
    /// `YYYY-MM`.
    pub period: String,
    /// Differences up to this many cents count as matched.
    pub threshold_cents: i64,
    /// Lines that matched.
    pub matched: usize,
    /// Sum of reported amounts, cents.
    pub app_total_cents: i64,
    /// Sum of attributed Odoo amounts, cents.
    pub odoo_total_cents: i64,
    /// Every discrepancy, ordered by customer then subscription.
    pub discrepancies: Vec<Line>,
    /// Compared with the previous stored run.
    pub changes: Changes,
}

impl Reconciliation {
    /// Count of discrepancies of `kind`.
    pub fn count(&self, kind: Kind) -> usize {
        self.discrepancies.iter().filter(|l| l.kind == kind).count()
    }
}

type Key = (String, Option<String>);

#[derive(Default)]
struct OdooAmount {
    cents: i64,
    currency: Option<String>,
    invoices: Vec<String>,
}

/// What Odoo billed `service` in the period, per (customer, subscription).
async fn odoo_amounts(
    accounts: &Accounts,
    service: &ServiceRef,
    first: NaiveDate,
    next: NaiveDate,
) -> Result<BTreeMap<Key, OdooAmount>, AccountsError> {
    let st = &accounts.store;
    let customers = store::customers(st, service.id).await?;
    let shared: HashSet<i64> = store::shared_partners(st, service.id)
        .await?
        .into_iter()
        .collect();
    let subs = store::subscriptions(st, service.id).await?;
    let mut out: BTreeMap<Key, OdooAmount> = BTreeMap::new();
    if customers.is_empty() {
        return Ok(out);
    }
    let c = accounts.odoo.client().await?;
    let order_ids: Vec<i64> = subs.iter().map(|s| s.2).collect();
    let mut order_names: HashMap<String, (String, String)> = HashMap::new();
    if !order_ids.is_empty() {
        let orders = c
            .subscriptions()
            .get_many(
                &order_ids
                    .iter()
                    .copied()
                    .map(crate::odoo::SaleOrderId)
                    .collect::<Vec<_>>(),
            )
            .await?;
        for o in orders {
            if let Some((sub, cust, _)) = subs.iter().find(|s| s.2 == o.id.0) {
                order_names.insert(o.name.clone(), (cust.clone(), sub.clone()));
            }
        }
    }
    let mut partner_customer: HashMap<i64, String> = HashMap::new();
    for (ext, pid) in &customers {
        partner_customer.entry(*pid).or_insert_with(|| ext.clone());
    }
    let partner_ids: Vec<PartnerId> = partner_customer.keys().copied().map(PartnerId).collect();
    let moves = c
        .invoices()
        .posted_between(&partner_ids, first, next)
        .await?;
    // A credit note counts where the invoice it reverses counts: Odoo does not copy
    // `invoice_origin` onto a reversal, so it is taken from `reversed_entry_id`.
    let mut origins: HashMap<MoveId, String> = HashMap::new();
    for m in &moves {
        origins.insert(m.id, m.origin.clone().unwrap_or_default());
    }
    let mut reversed_missing = Vec::new();
    for m in &moves {
        if let Some(r) = m.reversed_entry {
            if !origins.contains_key(&r) {
                reversed_missing.push(r);
            }
        }
    }
    if !reversed_missing.is_empty() {
        origins.extend(c.invoices().origins_of(&reversed_missing).await?);
    }
    for m in moves {
        let mut origin = m.origin.clone().unwrap_or_default();
        if !order_names.contains_key(&origin) {
            if let Some(r) = m.reversed_entry {
                origin = origins.get(&r).cloned().unwrap_or(origin);
            }
        }
        let partner = m.partner.as_ref().map(|p| p.id).unwrap_or_default();
        let key: Key = match order_names.get(&origin) {
            Some((cust, sub)) => (cust.clone(), Some(sub.clone())),
            None if !shared.contains(&partner) => match partner_customer.get(&partner) {
                Some(cust) => (cust.clone(), None),
                None => continue,
            },
            None => continue,
        };
        let sign = if m.move_type == MoveType::CreditNote {
            -1
        } else {
            1
        };
        let e = out.entry(key).or_default();
        // The one conversion (by the move's currency exponent, half away from zero, checked)
        // for invoices and reconciliation alike.
        let currency = m.currency.map(|c| c.name);
        let amount = crate::billing::money::Currency::parse_or_home(currency.as_deref())
            .to_minor(m.amount_untaxed)?;
        e.cents = e
            .cents
            .checked_add(sign * amount)
            .ok_or(crate::billing::Overflow("reconciled amount"))?;
        e.currency = currency.or(e.currency.take());
        e.invoices.push(m.name.unwrap_or_default());
    }
    Ok(out)
}

/// Compares reported amounts with Odoo's for `period` (no storing).
///
/// # Errors
/// `period` `value_is_invalid`; Odoo unavailable; store errors.
pub async fn compare(
    accounts: &Accounts,
    service: &ServiceRef,
    period: &str,
    threshold_cents: i64,
) -> Result<Reconciliation, AccountsError> {
    let (first, next) = period_bounds(period)
        .ok_or_else(|| AccountsError::field("period", FieldCode::ValueIsInvalid))?;
    let reported = store::reports(&accounts.store, service.id, period).await?;
    let odoo = odoo_amounts(accounts, service, first, next).await?;
    let mut app: BTreeMap<Key, Reported> = BTreeMap::new();
    for r in reported {
        app.insert(
            (
                r.external_customer_id.clone(),
                r.external_subscription_id.clone(),
            ),
            r,
        );
    }
    let keys: std::collections::BTreeSet<Key> = app.keys().chain(odoo.keys()).cloned().collect();
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
        let a = app.get(&key);
        let o = odoo.get(&key);
        let kind = match (a, o) {
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
        };
        let Some(kind) = kind else {
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
    if let Some(prev) = store::last_run(&accounts.store, service.id, period).await? {
        if let Ok(prev) = serde_json::from_str::<Reconciliation>(&prev) {
            result.changes = changes(&prev.discrepancies, &result.discrepancies);
        }
    }
    Ok(result)
}

/// What differs between two lists of discrepancies.
pub fn changes(before: &[Line], now: &[Line]) -> Changes {
    let key = |l: &Line| {
        (
            l.external_customer_id.clone(),
            l.external_subscription_id.clone(),
        )
    };
    let prev: HashMap<Key, &Line> = before.iter().map(|l| (key(l), l)).collect();
    let cur: HashMap<Key, &Line> = now.iter().map(|l| (key(l), l)).collect();
    let mut c = Changes {
        has_previous: true,
        ..Changes::default()
    };
    for l in now {
        match prev.get(&key(l)) {
            None => c.new.push(l.clone()),
            Some(p)
                if p.kind != l.kind
                    || p.app_amount_cents != l.app_amount_cents
                    || p.odoo_amount_cents != l.odoo_amount_cents =>
            {
                c.changed.push(l.clone())
            }
            _ => {}
        }
    }
    for l in before {
        if !cur.contains_key(&key(l)) {
            c.resolved.push(l.clone());
        }
    }
    c
}

/// Compares and stores the run (the CLI).
///
/// # Errors
/// As [`compare`].
pub async fn run_and_store(
    accounts: &Accounts,
    service: &ServiceRef,
    period: &str,
    threshold_cents: i64,
) -> Result<Reconciliation, AccountsError> {
    let r = compare(accounts, service, period, threshold_cents).await?;
    let text = serde_json::to_string(&r).unwrap_or_default();
    store::insert_run(
        &accounts.store,
        service.id,
        period,
        threshold_cents,
        &text,
        now_micros(),
    )
    .await?;
    Ok(r)
}

fn opt(v: Option<i64>) -> String {
    v.map(|n| n.to_string()).unwrap_or_default()
}

/// The result as CSV (one line per discrepancy).
pub fn to_csv(r: &Reconciliation) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "kind",
        "external_customer_id",
        "external_subscription_id",
        "app_amount_cents",
        "odoo_amount_cents",
        "difference_cents",
        "app_currency",
        "odoo_currency",
        "odoo_invoices",
    ]);
    for l in &r.discrepancies {
        let _ = w.write_record([
            format!("{:?}", l.kind).to_lowercase(),
            l.external_customer_id.clone(),
            l.external_subscription_id.clone().unwrap_or_default(),
            opt(l.app_amount_cents),
            opt(l.odoo_amount_cents),
            opt(l.difference_cents),
            l.app_currency.clone().unwrap_or_default(),
            l.odoo_currency.clone().unwrap_or_default(),
            l.odoo_invoices.join(" "),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The result as a table with a summary and the changes since the previous run.
pub fn to_table(r: &Reconciliation) -> String {
    use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).set_header(vec![
        "kind",
        "customer",
        "subscription",
        "app",
        "odoo",
        "diff",
        "currency",
        "invoices",
    ]);
    for l in &r.discrepancies {
        t.add_row(vec![
            format!("{:?}", l.kind).to_lowercase(),
            l.external_customer_id.clone(),
            l.external_subscription_id
                .clone()
                .unwrap_or_else(|| "(one-off)".into()),
            opt(l.app_amount_cents),
            opt(l.odoo_amount_cents),
            opt(l.difference_cents),
            l.app_currency
                .clone()
                .or(l.odoo_currency.clone())
                .unwrap_or_default(),
            l.odoo_invoices.join(" "),
        ]);
    }
    let mut out = format!(
        "reconciliation {} (threshold {} cents): {} matched, {} missing, {} extra, {} different; app {} / Odoo {} cents\n{t}\n",
        r.period,
        r.threshold_cents,
        r.matched,
        r.count(Kind::Missing),
        r.count(Kind::Extra),
        r.count(Kind::Different),
        r.app_total_cents,
        r.odoo_total_cents,
    );
    if r.changes.has_previous {
        out.push_str(&format!(
            "since the previous run: {} new, {} resolved, {} changed\n",
            r.changes.new.len(),
            r.changes.resolved.len(),
            r.changes.changed.len()
        ));
    } else {
        out.push_str("first run for this period\n");
    }
    out
}

/// The `YYYY-MM` period of a date.
pub fn period_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(kind: Kind, sub: &str, app: Option<i64>, odoo: Option<i64>) -> Line {
        Line {
            kind,
            external_customer_id: "c".into(),
            external_subscription_id: Some(sub.into()),
            app_amount_cents: app,
            odoo_amount_cents: odoo,
            app_currency: None,
            odoo_currency: None,
            difference_cents: None,
            odoo_invoices: vec![],
        }
    }

    #[test]
    fn periods_are_calendar_months() {
        let d = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap();
        assert_eq!(period_bounds("2026-12"), Some((d(2026, 12), d(2027, 1))));
        assert_eq!(period_bounds("2026-13"), None);
        assert_eq!(period_bounds("2026-1"), None);
        assert_eq!(period_of(d(2026, 2)), "2026-02");
    }

    #[test]
    fn csv_rows_default_their_period_and_are_validated() {
        let rows = read_csv(
            b"external_customer_id,external_subscription_id,period,amount_cents,currency\n\
              c1,s1,,1000,cad\nc2,,2026-10,250,CAD\n",
            "2026-11",
        )
        .unwrap();
        assert_eq!(rows[0].period, "2026-11");
        assert_eq!(rows[0].currency, "CAD");
        assert_eq!(rows[1].external_subscription_id, None);
        let e = read_csv(
            b"external_customer_id,period,amount_cents,currency\nc1,2026-11,ten,CAD\n",
            "2026-11",
        )
        .unwrap_err();
        assert!(e.starts_with("line 2") && e.contains("amount_cents"), "{e}");
    }

    #[test]
    fn changes_list_new_resolved_and_changed_lines() {
        let before = vec![
            line(Kind::Missing, "a", Some(1), None),
            line(Kind::Different, "b", Some(1), Some(2)),
        ];
        let now = vec![
            line(Kind::Different, "b", Some(1), Some(3)),
            line(Kind::Extra, "c", None, Some(5)),
        ];
        let c = changes(&before, &now);
        let subs = |v: &[Line]| -> Vec<String> {
            v.iter()
                .map(|l| l.external_subscription_id.clone().unwrap())
                .collect()
        };
        assert_eq!(subs(&c.new), vec!["c"]);
        assert_eq!(subs(&c.resolved), vec!["a"]);
        assert_eq!(subs(&c.changed), vec!["b"]);
    }
}
