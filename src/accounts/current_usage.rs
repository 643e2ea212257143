//! Current usage of a subscription (API-NOTES §1 `current_usage`;
//! `api:app/services/invoices/customer_usage_service.rb`): its charges rated over the real
//! Odoo billing window `[last_invoice_date or start_date, next_invoice_date)`, with the taxes
//! Odoo would apply (the usage products' customer taxes, percent taxes only).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::json;

use super::error::AccountsError;
use super::plan_repo::PlanRow;
use super::rating::RatedCharge;
use super::subscriptions::{billing_window, lago_status};
use super::Accounts;
use crate::billing::money::{Currency, Money};
use crate::billing::window::BillingWindow;
use crate::meter::services::ServiceRef;
use crate::odoo::{OdooClient, SaleOrderId, SearchOptions};

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
}

impl CurrentUsage {
    /// Σ charge amounts, minor units.
    pub fn amount_cents(&self) -> i64 {
        self.charges.iter().map(|(c, _)| c.amount_cents).sum()
    }

    /// Σ taxes, minor units.
    pub fn taxes_amount_cents(&self) -> i64 {
        self.charges.iter().map(|(_, t)| t).sum()
    }
}

/// Percent tax rate (e.g. 13 for 13 %) of each product's customer taxes.
async fn product_tax_rates(
    c: &OdooClient,
    products: &[i64],
) -> Result<HashMap<i64, Decimal>, AccountsError> {
    let ids: Vec<i64> = products.iter().copied().filter(|p| *p > 0).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let opts = SearchOptions {
        include_archived: true,
        ..SearchOptions::default()
    };
    let recs = c
        .search_read(
            "product.product",
            json!([["id", "in", ids]]),
            &["taxes_id"],
            &opts,
        )
        .await?;
    let mut taxes_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in &recs {
        taxes_of.insert(r.id()?, r.ids("taxes_id")?);
    }
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

impl Accounts {
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
    ) -> Result<CurrentUsage, AccountsError> {
        let customer = self.customer(service, external_customer_id).await?;
        let row = self
            .store
            .live_subscription(service.id, external_subscription_id)
            .await?
            .filter(|r| r.customer_id == customer.lago_id && r.status == "active")
            .ok_or(AccountsError::NotAllowed("no_active_subscription"))?;
        let order_id = row
            .sale_order_id
            .ok_or(AccountsError::NotAllowed("no_active_subscription"))?;
        let plan = self.plan_of(&row).await?;
        let c = self.odoo.client().await?;
        let order = c
            .subscriptions()
            .window_of(SaleOrderId(order_id))
            .await?
            .filter(|o| lago_status(o) == "active")
            .ok_or(AccountsError::NotAllowed("no_active_subscription"))?;
        let (from, to) = billing_window(&order, &plan.interval)
            .ok_or(AccountsError::NotAllowed("no_active_subscription"))?;
        let window = BillingWindow::new(from, to)
            .map_err(|_| AccountsError::NotAllowed("no_active_subscription"))?;
        let rated = self
            .rate(service.id, external_subscription_id, &plan, &window)
            .await?;
        let products: Vec<i64> = rated.iter().map(|r| r.charge.odoo_product_id).collect();
        let rates = product_tax_rates(&c, &products).await?;
        let currency = Currency::parse(&plan.amount_currency).unwrap_or(Currency::CAD);
        let charges = rated
            .into_iter()
            .map(|r| {
                let rate = rates
                    .get(&r.charge.odoo_product_id)
                    .copied()
                    .unwrap_or_default();
                let base = Money::from_cents(r.amount_cents, currency).amount;
                let tax = Money::new(base * rate / Decimal::ONE_HUNDRED, currency)
                    .to_cents()
                    .unwrap_or(0);
                (r, tax)
            })
            .collect();
        Ok(CurrentUsage {
            from,
            to,
            plan,
            charges,
        })
    }
}
