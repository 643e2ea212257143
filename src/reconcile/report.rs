//! The result of a reconciliation: its discrepancies, what changed since the previous
//! run, and the CSV and table the CLI prints.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::Key;

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
