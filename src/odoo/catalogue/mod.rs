//! Catalogue facade: recurring plans (`sale.subscription.plan`), products (`product.product`),
//! the company and its currency (`res.company`, `res.currency`) and sale taxes (`account.tax`).
//! CONTRACT.md §4.2, §4.4, §4.9; `addons/product/models/product_template.py`,
//! `addons/account/models/account_tax.py`, enterprise `sale_subscription` (plans).
//!
//! By job: `types` (what is read and written), `plans`, `products`, `taxes`, `company` (the
//! company, its currency and tax rounding).

mod company;
mod plans;
mod products;
mod taxes;
mod types;

pub use types::{
    BillingPeriodUnit, Company, Currency, InvoicePolicy, Product, ProductType, ProductValues,
    SubscriptionPlan, Tax,
};

use super::client::OdooClient;

const PLAN: &str = "sale.subscription.plan";
const PRODUCT: &str = "product.product";
const TEMPLATE: &str = "product.template";
const TAX: &str = "account.tax";
const CURRENCY: &str = "res.currency";

/// Catalogue operations; get one with [`OdooClient::catalogue`].
#[derive(Debug, Clone, Copy)]
pub struct Catalogue<'a> {
    client: &'a OdooClient,
}

impl OdooClient {
    /// The catalogue facade.
    pub fn catalogue(&self) -> Catalogue<'_> {
        Catalogue { client: self }
    }
}
