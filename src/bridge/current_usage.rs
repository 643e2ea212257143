//! Current usage of a subscription (API-NOTES §1 `current_usage`;
//! `api:app/services/invoices/customer_usage_service.rb`): its charges rated over the real
//! Odoo billing window `[last_invoice_date or start_date, next_invoice_date)`, with the taxes
//! Odoo would apply (the usage products' customer taxes, percent taxes only).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::billing::checked::{self, Overflow};

use super::error::BridgeError;
use super::plan_repo::PlanRow;
use super::rating::RatedCharge;
use super::subscriptions::{billing_window, lago_status};
use super::Bridge;
use crate::billing::money::{Currency, Money};
use crate::billing::window::BillingWindow;
use crate::lago::error_code::ErrorCode;
use crate::meter::tenants::ServiceRef;
use crate::odoo::{OdooClient, ProductId, SaleOrderId};

/// A subscription's usage in its current billing window.
#[derive(Debug, Clone)]
pub struct CurrentUsage {
    /// Window start (inclusive), UTC.
    pub from: DateTime<Utc>,
    /// Window end (exclusive), UTC.
    pub to: DateTime<Utc>,
    /// The plan (currency, charges).
    pub plan: PlanRow,
    /// Each charge rated, with its tax in minor units.
    pub charges: Vec<(RatedCharge, i64)>,
    /// Σ charge amounts, minor units (checked when built).
    pub amount_cents: i64,
    /// Σ taxes, minor units (checked when built).
    pub taxes_amount_cents: i64,
    /// `amount_cents + taxes_amount_cents` (checked when built).
    pub total_amount_cents: i64,
}

/// Σ `cents`, checked.
fn sum_cents(mut cents: impl Iterator<Item = i64>) -> Result<i64, Overflow> {
    cents.try_fold(0_i64, |a, c| {
        a.checked_add(c).ok_or(Overflow("current usage total"))
    })
}

/// What an overflow while taxing current usage is reported as.
const WHAT: &str = "current usage taxes";

/// Σ taxes as Odoo's `round_globally` computes them on the invoice: the bases of each rate
/// summed, the rate applied, rounded once per rate (real Odoo 19: two lines of 0.05 at 13 %
/// are 0.01 of tax, not 0.01 + 0.01).
fn taxes_rounded_globally(
    parts: impl Iterator<Item = (i64, Decimal)>,
    currency: Currency,
) -> Result<i64, Overflow> {
    let mut by_rate: BTreeMap<Decimal, Decimal> = BTreeMap::new();
    for (cents, rate) in parts {
        let base = Money::from_cents(cents, currency).amount;
        let sum = by_rate.entry(rate.normalize()).or_default();
        *sum = checked::add(*sum, base, WHAT)?;
    }
    let mut total: i64 = 0;
    for (rate, base) in by_rate {
        let tax = checked::div(checked::mul(base, rate, WHAT)?, Decimal::ONE_HUNDRED, WHAT)?;
        let cents = Money::new(tax, currency)
            .to_cents()
            .map_err(|_| Overflow(WHAT))?;
        total = total.checked_add(cents).ok_or(Overflow(WHAT))?;
    }
    Ok(total)
}

/// Percent tax rate (e.g. 13 for 13 %) of each usage product **as the subscription's order
/// line carries it**: Odoo maps a line's taxes through the customer's fiscal position (a
/// Quebec customer's line has GST + QST, 14.975 %; an international one 0 %), and the
/// recurring invoice copies the line's taxes. A product without a line on the order falls
/// back to its own customer taxes.
async fn order_tax_rates(
    c: &OdooClient,
    order: SaleOrderId,
    products: &[i64],
) -> Result<HashMap<i64, Decimal>, BridgeError> {
    let mut taxes_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for line in c.subscriptions().lines_of(&[order]).await? {
        let Some(p) = line.product.as_ref().map(|p| p.id) else {
            continue;
        };
        if line.display_type.is_none() && products.contains(&p) {
            taxes_of
                .entry(p)
                .or_insert_with(|| line.taxes.iter().map(|t| t.0).collect());
        }
    }
    let missing: Vec<i64> = products
        .iter()
        .copied()
        .filter(|p| !taxes_of.contains_key(p))
        .collect();
    let mut rates = product_tax_rates(c, &missing).await?;
    let all: Vec<i64> = taxes_of.values().flatten().copied().collect();
    let rate_of = c.catalogue().percent_tax_rates(&all).await?;
    for (p, taxes) in taxes_of {
        let rate = checked::sum(taxes.iter().filter_map(|t| rate_of.get(t)).copied(), WHAT)?;
        rates.insert(p, rate);
    }
    Ok(rates)
}

/// Percent tax rate (e.g. 13 for 13 %) of each product's customer taxes.
async fn product_tax_rates(
    c: &OdooClient,
    products: &[i64],
) -> Result<HashMap<i64, Decimal>, BridgeError> {
    let ids: Vec<i64> = products.iter().copied().filter(|p| *p > 0).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<ProductId> = ids.into_iter().map(ProductId).collect();
    let taxes_of: HashMap<i64, Vec<i64>> = c
        .catalogue()
        .customer_taxes(&ids)
        .await?
        .into_iter()
        .map(|(p, taxes)| (p.0, taxes.into_iter().map(|t| t.0).collect()))
        .collect();
    let all: Vec<i64> = taxes_of.values().flatten().copied().collect();
    let rate_of = c.catalogue().percent_tax_rates(&all).await?;
    Ok(taxes_of
        .into_iter()
        .map(|(p, taxes)| {
            (
                p,
                taxes.iter().filter_map(|t| rate_of.get(t)).copied().sum(),
            )
        })
        .collect())
}

impl Bridge {
    /// `GET /customers/{external_customer_id}/current_usage?external_subscription_id=…`.
    ///
    /// # Errors
    /// `customer_not_found`; 405 `no_active_subscription` when the subscription is not active
    /// or not this customer's; Odoo unavailable (the window comes from Odoo); store errors.
    pub async fn current_usage(
        &self,
        service: &ServiceRef,
        external_customer_id: &str,
        external_subscription_id: &str,
    ) -> Result<CurrentUsage, BridgeError> {
        let customer = self.customer(service, external_customer_id).await?;
        let row = self
            .store
            .subscriptions()
            .live_subscription(service.id, external_subscription_id)
            .await?
            .filter(|r| r.customer_id == customer.lago_id && r.status == "active")
            .ok_or(BridgeError::NotAllowed(ErrorCode::NoActiveSubscription))?;
        let order_id = row
            .sale_order_id
            .ok_or(BridgeError::NotAllowed(ErrorCode::NoActiveSubscription))?;
        let plan = self.plan_of(&row).await?;
        let c = self.odoo.client().await?;
        let order = c
            .subscriptions()
            .window_of(SaleOrderId(order_id))
            .await?
            .filter(|o| lago_status(o) == "active")
            .ok_or(BridgeError::NotAllowed(ErrorCode::NoActiveSubscription))?;
        let (from, to) = billing_window(&order, &plan.interval)
            .ok_or(BridgeError::NotAllowed(ErrorCode::NoActiveSubscription))?;
        let window = BillingWindow::new(from, to)
            .map_err(|_| BridgeError::NotAllowed(ErrorCode::NoActiveSubscription))?;
        let rated = self
            .rate(service.id, external_subscription_id, &plan, &window)
            .await?;
        let products: Vec<i64> = rated.iter().map(|r| r.charge.odoo_product_id).collect();
        let rates = order_tax_rates(&c, SaleOrderId(order_id), &products).await?;
        let currency = plan.currency();
        let charges = rated
            .into_iter()
            .map(|r| {
                let rate = rates
                    .get(&r.charge.odoo_product_id)
                    .copied()
                    .unwrap_or_default();
                let base = Money::from_cents(r.amount_cents, currency).amount;
                let tax =
                    checked::div(checked::mul(base, rate, WHAT)?, Decimal::ONE_HUNDRED, WHAT)?;
                let tax = Money::new(tax, currency)
                    .to_cents()
                    .map_err(|_| Overflow(WHAT))?;
                Ok((r, tax))
            })
            .collect::<Result<Vec<_>, Overflow>>()?;
        let amount_cents = sum_cents(charges.iter().map(|(c, _)| c.amount_cents))?;
        let taxes_amount_cents = if c.catalogue().rounds_tax_globally().await? {
            let parts = charges.iter().map(|(r, _)| {
                let rate = rates
                    .get(&r.charge.odoo_product_id)
                    .copied()
                    .unwrap_or_default();
                (r.amount_cents, rate)
            });
            taxes_rounded_globally(parts, currency)?
        } else {
            sum_cents(charges.iter().map(|(_, t)| *t))?
        };
        let total_amount_cents = amount_cents
            .checked_add(taxes_amount_cents)
            .ok_or(Overflow("current usage total"))?;
        Ok(CurrentUsage {
            from,
            to,
            plan,
            charges,
            amount_cents,
            taxes_amount_cents,
            total_amount_cents,
        })
    }
}
