//! What Odoo billed a service in a period, attributed to its customers and subscriptions
//! (see the module doc of [`super`] for the attribution rule).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;

use super::{store, Key};
use crate::billing::money::Currency;
use crate::billing::Overflow;
use crate::bridge::{Bridge, BridgeError};
use crate::meter::tenants::ServiceRef;
use crate::odoo::invoices::{MoveType, PostedMove};
use crate::odoo::{MoveId, OdooClient, PartnerId, SaleOrderId};

/// What Odoo billed for one key.
#[derive(Default)]
pub(super) struct OdooAmount {
    /// Untaxed, credit notes subtracted, in the currency's minor units.
    pub(super) cents: i64,
    pub(super) currency: Option<String>,
    /// Invoice and credit note numbers.
    pub(super) invoices: Vec<String>,
}

/// The service's links, as attribution needs them.
struct Links {
    /// Sale order name → (customer, subscription).
    order_names: HashMap<String, (String, String)>,
    /// Partner → the first customer of the service linked to it.
    partner_customer: HashMap<i64, String>,
    /// Partners linked to customers of other services too.
    shared: HashSet<i64>,
}

/// What Odoo billed `service` in the period, per (customer, subscription).
pub(super) async fn odoo_amounts(
    bridge: &Bridge,
    service: &ServiceRef,
    first: NaiveDate,
    next: NaiveDate,
) -> Result<BTreeMap<Key, OdooAmount>, BridgeError> {
    let st = &bridge.store;
    let customers = store::customers(st, service.id).await?;
    if customers.is_empty() {
        return Ok(BTreeMap::new());
    }
    let c = bridge.odoo.client().await?;
    let links = Links {
        order_names: order_names(&c, store::subscriptions(st, service.id).await?).await?,
        partner_customer: partner_customers(&customers),
        shared: store::shared_partners(st, service.id)
            .await?
            .into_iter()
            .collect(),
    };
    let partner_ids: Vec<PartnerId> = links
        .partner_customer
        .keys()
        .copied()
        .map(PartnerId)
        .collect();
    let moves = c
        .invoices()
        .posted_between(&partner_ids, first, next)
        .await?;
    let origins = origins(&c, &moves).await?;
    let mut out: BTreeMap<Key, OdooAmount> = BTreeMap::new();
    for m in moves {
        if let Some(key) = attribute(&m, &links, &origins) {
            add(out.entry(key).or_default(), m)?;
        }
    }
    Ok(out)
}

/// The names of the sale orders of `subs` (subscription, customer, sale order id), each
/// with its (customer, subscription).
async fn order_names(
    c: &OdooClient,
    subs: Vec<(String, String, i64)>,
) -> Result<HashMap<String, (String, String)>, BridgeError> {
    let mut names = HashMap::new();
    if subs.is_empty() {
        return Ok(names);
    }
    let ids: Vec<SaleOrderId> = subs.iter().map(|s| SaleOrderId(s.2)).collect();
    for o in c.subscriptions().get_many(&ids).await? {
        if let Some((sub, cust, _)) = subs.iter().find(|s| s.2 == o.id.0) {
            names.insert(o.name.clone(), (cust.clone(), sub.clone()));
        }
    }
    Ok(names)
}

/// Partner → the first of `customers` (external id, partner id) linked to it.
fn partner_customers(customers: &[(String, i64)]) -> HashMap<i64, String> {
    let mut out = HashMap::new();
    for (ext, pid) in customers {
        out.entry(*pid).or_insert_with(|| ext.clone());
    }
    out
}

/// The `invoice_origin` of each move and of each move a credit note reverses. Odoo does
/// not copy `invoice_origin` onto a reversal, so a credit note counts where the invoice it
/// reverses (`reversed_entry_id`) counts.
async fn origins(
    c: &OdooClient,
    moves: &[PostedMove],
) -> Result<HashMap<MoveId, String>, BridgeError> {
    let mut origins: HashMap<MoveId, String> = moves
        .iter()
        .map(|m| (m.id, m.origin.clone().unwrap_or_default()))
        .collect();
    let missing: Vec<MoveId> = moves
        .iter()
        .filter_map(|m| m.reversed_entry)
        .filter(|r| !origins.contains_key(r))
        .collect();
    if !missing.is_empty() {
        origins.extend(c.invoices().origins_of(&missing).await?);
    }
    Ok(origins)
}

/// The key a move counts under; `None` when it is not the service's (see the module doc
/// of [`super`]).
fn attribute(m: &PostedMove, links: &Links, origins: &HashMap<MoveId, String>) -> Option<Key> {
    let mut origin = m.origin.clone().unwrap_or_default();
    if !links.order_names.contains_key(&origin) {
        if let Some(r) = m.reversed_entry {
            origin = origins.get(&r).cloned().unwrap_or(origin);
        }
    }
    let partner = m.partner.as_ref().map(|p| p.id).unwrap_or_default();
    match links.order_names.get(&origin) {
        Some((cust, sub)) => Some((cust.clone(), Some(sub.clone()))),
        None if !links.shared.contains(&partner) => links
            .partner_customer
            .get(&partner)
            .map(|cust| (cust.clone(), None)),
        None => None,
    }
}

/// Adds a move's untaxed amount (subtracts a credit note's) to `e`.
///
/// # Errors
/// [`Overflow`] when the amount or the sum leaves the representable range.
fn add(e: &mut OdooAmount, m: PostedMove) -> Result<(), BridgeError> {
    let sign = if m.move_type == MoveType::CreditNote {
        -1
    } else {
        1
    };
    // The one conversion (by the move's currency exponent, half away from zero, checked)
    // for invoices and reconciliation alike.
    let currency = m.currency.map(|c| c.name);
    let amount = Currency::parse_or_home(currency.as_deref()).to_minor(m.amount_untaxed)?;
    e.cents = e
        .cents
        .checked_add(sign * amount)
        .ok_or(Overflow("reconciled amount"))?;
    e.currency = currency.or(e.currency.take());
    e.invoices.push(m.name.unwrap_or_default());
    Ok(())
}
