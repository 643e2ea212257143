//! The lines a subscription should carry, compared with what Odoo has: the desired lines by
//! usage product, their fingerprint (written only when it changes), and the usage-line
//! changes that turn Odoo's lines into them (see [`super`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::billing::window::BillingWindow;
use crate::bridge::rating::RatedCharge;
use crate::odoo::subscriptions::{SaleOrderLine, UsageLineChange};
use crate::odoo::ProductId;
use crate::sync::lines::LineSpec;

/// Late usage of an invoiced window `[from, to)` billed on the current one: `cents` of
/// charge `charge` (its `lago_id`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(super) struct LatePart {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) charge: String,
    pub(super) cents: i64,
}

/// Desired lines of one subscription, by usage product, in charge order.
pub(super) type Desired = Vec<(i64, Vec<LineSpec>)>;

/// A stored window bound (`YYYY-MM-DD`).
pub(super) fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// The billing window `[from, to)` at midnight UTC; `None` when [`BillingWindow::new`]
/// refuses it.
pub(super) fn window_of(from: NaiveDate, to: NaiveDate) -> Option<BillingWindow> {
    BillingWindow::new(
        from.and_hms_opt(0, 0, 0)?.and_utc(),
        to.and_hms_opt(0, 0, 0)?.and_utc(),
    )
    .ok()
}

/// The name of a charge on its lines: its invoice display name, else its metric's
/// name, else the metric code.
pub(super) fn label(r: &RatedCharge) -> String {
    r.charge.invoice_display_name.clone().unwrap_or_else(|| {
        r.metric
            .as_ref()
            .map(|m| m.name.clone())
            .unwrap_or_else(|| r.charge.billable_metric_code.clone())
    })
}

/// SHA-256 (hex) of the desired lines: a window is written again only when it changes.
pub(super) fn fingerprint(d: &Desired) -> String {
    let v: Vec<Value> = d
        .iter()
        .map(|(p, lines)| {
            json!([
                p,
                lines
                    .iter()
                    .map(|l| json!([
                        l.name,
                        l.quantity.normalize().to_string(),
                        l.price_unit.normalize().to_string()
                    ]))
                    .collect::<Vec<_>>()
            ])
        })
        .collect();
    hex::encode(Sha256::digest(Value::Array(v).to_string().as_bytes()))
}

/// A stored `{charge lago_id: cents}` map; empty when unreadable.
pub(super) fn json_map(s: &str) -> BTreeMap<String, i64> {
    serde_json::from_str(s).unwrap_or_default()
}

/// The usage-line changes turning `existing` lines into `desired` (see module doc):
/// matching lines of each product are rewritten in id order, missing ones created, surplus
/// ones set to zero delivered.
pub(super) fn commands(desired: &Desired, existing: &[SaleOrderLine]) -> Vec<UsageLineChange> {
    let mut out = Vec::new();
    for (product, specs) in desired {
        let mut mine: Vec<&SaleOrderLine> = existing
            .iter()
            .filter(|l| {
                l.product.as_ref().is_some_and(|p| p.id == *product) && l.display_type.is_none()
            })
            .collect();
        mine.sort_by_key(|l| l.id.0);
        for i in 0..specs.len().max(mine.len()) {
            match (specs.get(i), mine.get(i)) {
                (Some(s), Some(l))
                    if l.name.as_deref() != Some(s.name.as_str())
                        || l.qty_delivered != s.quantity
                        || l.price_unit != s.price_unit =>
                {
                    out.push(UsageLineChange::Rewrite {
                        line: l.id,
                        name: s.name.clone(),
                        delivered: s.quantity,
                        price_unit: s.price_unit,
                    });
                }
                (Some(_), Some(_)) => {}
                (Some(s), None) => out.push(UsageLineChange::Add {
                    product: ProductId(*product),
                    name: s.name.clone(),
                    delivered: s.quantity,
                    price_unit: s.price_unit,
                }),
                (None, Some(l)) if !l.qty_delivered.is_zero() => {
                    out.push(UsageLineChange::ClearDelivered(l.id));
                }
                _ => {}
            }
        }
    }
    out
}
