//! A plan's Odoo side (CONTRACT.md §4.2, §4.4): the recurrence (`sale.subscription.plan`,
//! reused when one with the same period exists), a recurring base-fee service product at
//! `amount_cents` (`invoice_policy = order`) and one recurring usage product per charge
//! (`invoice_policy = delivery`, price set by the rating push). Products are keyed by
//! `default_code` (`FC-<service>-<plan code>[-<charge code>]`, the Internal Reference finance
//! sees) and carry the plan code in `x_fc_plan_code` on their template.

use super::error::BridgeError;
use super::plan_repo::PlanRow;
use super::plans::{charges_of, StoredCharge};
use super::Bridge;
use crate::billing::money::{Currency, Money};
use crate::lago::error_code::FieldCode;
use crate::meter::tenants::ServiceRef;
use crate::odoo::catalogue::{BillingPeriodUnit, InvoicePolicy, ProductValues};
use crate::odoo::{OdooClient, ProductId};

/// Odoo period for a Lago interval, and the recurrence's display name.
fn period(interval: &str) -> (i64, BillingPeriodUnit, &'static str) {
    match interval {
        "weekly" => (1, BillingPeriodUnit::Week, "Weekly"),
        "quarterly" => (3, BillingPeriodUnit::Month, "Quarterly"),
        "semiannual" => (6, BillingPeriodUnit::Month, "Semiannual"),
        "yearly" => (1, BillingPeriodUnit::Year, "Yearly"),
        _ => (1, BillingPeriodUnit::Month, "Monthly"),
    }
}

/// `default_code` of a plan's base-fee product.
pub fn base_product_code(service: &ServiceRef, plan_code: &str) -> String {
    format!("FC-{}-{plan_code}", service.name)
}

/// `default_code` of a charge's usage product.
pub fn charge_product_code(service: &ServiceRef, plan_code: &str, charge_code: &str) -> String {
    format!("FC-{}-{plan_code}-{charge_code}", service.name)
}

/// Creates the product keyed `values.default_code`, or updates the existing one; sets the
/// plan code on its template. Returns its variant id.
async fn upsert_product(
    c: &OdooClient,
    values: &ProductValues,
    plan_code: &str,
) -> Result<ProductId, BridgeError> {
    let cat = c.catalogue();
    let code = values.default_code.clone().unwrap_or_default();
    let existing = cat.find_products_by_code(&code).await?.into_iter().next();
    let (id, template) = match existing {
        Some(p) => {
            let mut v = values.clone();
            if !p.active {
                cat.set_products_active(&[p.id], true).await?;
            }
            v.default_code = None;
            cat.update_product(p.id, &v).await?;
            (p.id, p.template_id)
        }
        None => {
            let id = cat.create_service_product(values).await?;
            let p = cat
                .get_product(id)
                .await?
                .ok_or_else(|| BridgeError::OdooRefused(format!("product {id} vanished")))?;
            (id, p.template_id)
        }
    };
    cat.set_template_plan_code(template, plan_code).await?;
    Ok(id)
}

impl Bridge {
    /// Creates or updates the Odoo records of `row` and its `charges`, filling in their ids.
    ///
    /// # Errors
    /// 422 `{"amount_currency":["currency_not_supported"]}` when the plan's currency is not the
    /// Odoo company's (sale orders are priced in it); Odoo unavailable or refusing.
    pub async fn sync_plan_to_odoo(
        &self,
        service: &ServiceRef,
        row: &mut PlanRow,
        charges: &mut [StoredCharge],
    ) -> Result<(), BridgeError> {
        let c = self.odoo.client_with_fields().await?;
        let cat = c.catalogue();
        let company_currency = cat.company_currency().await?;
        if !company_currency
            .code
            .eq_ignore_ascii_case(&row.amount_currency)
        {
            return Err(BridgeError::field(
                "amount_currency",
                FieldCode::CurrencyNotSupported,
            ));
        }
        let currency = Currency::parse(&row.amount_currency)
            .map_err(|_| BridgeError::field("amount_currency", FieldCode::ValueIsInvalid))?;
        let (value, unit, label) = period(&row.interval);
        let plan = match cat
            .find_plans_by_interval(value, unit)
            .await?
            .into_iter()
            .next()
        {
            Some(p) => p.id,
            None => cat.create_plan(label, value, unit).await?,
        };
        row.odoo_plan_id = plan.0;
        let base = ProductValues {
            name: Some(format!("{} (subscription)", row.name)),
            default_code: Some(base_product_code(service, &row.code)),
            list_price: Some(Money::from_cents(row.amount_cents, currency).amount),
            invoice_policy: Some(InvoicePolicy::Order),
            recurring_invoice: Some(true),
            ..ProductValues::default()
        };
        row.odoo_product_id = upsert_product(&c, &base, &row.code).await?.0;
        for ch in charges.iter_mut() {
            let metric_name = self
                .store
                .billable_metrics()
                .metric_by_id(service.id, &ch.billable_metric_id)
                .await?
                .map(|m| m.name)
                .unwrap_or_else(|| ch.billable_metric_code.clone());
            let values = ProductValues {
                name: Some(
                    ch.invoice_display_name
                        .clone()
                        .unwrap_or_else(|| format!("{} – {metric_name}", row.name)),
                ),
                default_code: Some(charge_product_code(service, &row.code, &ch.code)),
                list_price: Some(rust_decimal::Decimal::ZERO),
                invoice_policy: Some(InvoicePolicy::Delivery),
                recurring_invoice: Some(true),
                ..ProductValues::default()
            };
            ch.odoo_product_id = upsert_product(&c, &values, &row.code).await?.0;
        }
        Ok(())
    }

    /// Archives the products of a deleted plan (`active = false`); they stay on past
    /// invoices.
    ///
    /// # Errors
    /// Odoo unavailable or refusing.
    pub async fn archive_plan_products(&self, row: &PlanRow) -> Result<(), BridgeError> {
        let c = self.odoo.client().await?;
        let mut ids = vec![row.odoo_product_id];
        ids.extend(charges_of(row).iter().map(|ch| ch.odoo_product_id));
        ids.retain(|i| *i > 0);
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<ProductId> = ids.into_iter().map(ProductId).collect();
        c.catalogue().set_products_active(&ids, false).await?;
        Ok(())
    }
}
