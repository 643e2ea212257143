//! What the catalogue facade reads and writes: plans, products, the company, currencies, taxes.

use std::collections::BTreeMap;
use std::fmt;

use rust_decimal::Decimal;

use super::PLAN;
use crate::odoo::error::OdooError;
use crate::odoo::value::{
    CompanyId, CurrencyId, Many2one, PlanId, ProductId, ProductTemplateId, Record, TaxId,
};

/// Unit of a plan's billing period (`billing_period_unit`: `week|month|year`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BillingPeriodUnit {
    /// `week`.
    Week,
    /// `month`.
    Month,
    /// `year`.
    Year,
}

impl BillingPeriodUnit {
    /// The Odoo selection key.
    pub fn as_odoo(&self) -> &'static str {
        match self {
            BillingPeriodUnit::Week => "week",
            BillingPeriodUnit::Month => "month",
            BillingPeriodUnit::Year => "year",
        }
    }

    pub(super) fn parse(s: &str) -> Result<BillingPeriodUnit, OdooError> {
        match s {
            "week" => Ok(BillingPeriodUnit::Week),
            "month" => Ok(BillingPeriodUnit::Month),
            "year" => Ok(BillingPeriodUnit::Year),
            other => Err(OdooError::Decode(format!(
                "{PLAN}.billing_period_unit: unknown key {other:?}"
            ))),
        }
    }
}

impl fmt::Display for BillingPeriodUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_odoo())
    }
}

/// A recurring plan ("Recurring Plans" in Subscriptions → Configuration).
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionPlan {
    /// Odoo record id.
    pub id: PlanId,
    /// Name (`name`).
    pub name: String,
    /// Number of units per period (`billing_period_value`, ≥ 1).
    pub billing_period_value: i64,
    /// Unit of the billing period (`billing_period_unit`).
    pub billing_period_unit: BillingPeriodUnit,
    /// Days after which unpaid subscriptions close (`auto_close_limit`).
    pub auto_close_limit: Option<i64>,
    /// False when archived (`active`).
    pub active: bool,
    /// Company (`company_id`); `None` = shared by all companies.
    pub company: Option<Many2one>,
}

pub(super) const PLAN_FIELDS: &[&str] = &[
    "name",
    "billing_period_value",
    "billing_period_unit",
    "auto_close_limit",
    "active",
    "company_id",
];

impl SubscriptionPlan {
    pub(super) fn from_record(r: &Record) -> Result<SubscriptionPlan, OdooError> {
        Ok(SubscriptionPlan {
            id: PlanId(r.id()?),
            name: r.string("name")?,
            billing_period_value: r.int("billing_period_value")?.unwrap_or(1),
            billing_period_unit: BillingPeriodUnit::parse(
                r.str("billing_period_unit")?.as_deref().unwrap_or("month"),
            )?,
            auto_close_limit: r.int("auto_close_limit")?,
            active: r.bool("active")?,
            company: r.m2o("company_id")?,
        })
    }
}

/// `type` of a product (19.0: `consu | service | combo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductType {
    /// `consu`: goods.
    Goods,
    /// `service`.
    Service,
    /// `combo`.
    Combo,
    /// A key added by a module we do not know.
    Other(String),
}

/// `invoice_policy` (`sale`): invoice ordered quantities, or delivered ones (usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoicePolicy {
    /// `order`: invoice what was ordered (fixed fees).
    Order,
    /// `delivery`: invoice `qty_delivered` (metered usage, postpaid subscription lines).
    Delivery,
}

impl InvoicePolicy {
    /// The Odoo selection key.
    pub fn as_odoo(&self) -> &'static str {
        match self {
            InvoicePolicy::Order => "order",
            InvoicePolicy::Delivery => "delivery",
        }
    }
}

/// A sellable product (variant).
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    /// Odoo record id.
    pub id: ProductId,
    /// Its `product.template` (`product_tmpl_id`).
    pub template_id: ProductTemplateId,
    /// Name (`name`).
    pub name: String,
    /// Internal reference (`default_code`), our stable product key.
    pub default_code: Option<String>,
    /// Sales price (`list_price`) in the company currency.
    pub list_price: Decimal,
    /// Product type (`type`).
    pub product_type: ProductType,
    /// Invoicing policy (`invoice_policy`).
    pub invoice_policy: Option<InvoicePolicy>,
    /// `recurring_invoice` (subscription product); false when `sale_subscription` is absent.
    pub recurring_invoice: bool,
    /// Customer taxes (`taxes_id`).
    pub taxes: Vec<TaxId>,
    /// False when archived (`active`).
    pub active: bool,
    /// Custom (`x_…`) fields requested and present on the server, as text (`None` when empty).
    pub custom: BTreeMap<String, Option<String>>,
}

/// Values to create or update a service product. `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductValues {
    /// Name (`name`).
    pub name: Option<String>,
    /// Internal reference (`default_code`).
    pub default_code: Option<String>,
    /// Sales price (`list_price`) in the company currency.
    pub list_price: Option<Decimal>,
    /// Invoicing policy (`invoice_policy`).
    pub invoice_policy: Option<InvoicePolicy>,
    /// Written only when the server has `recurring_invoice` (Subscriptions installed).
    pub recurring_invoice: Option<bool>,
    /// Replaces the customer taxes.
    pub taxes: Option<Vec<TaxId>>,
    /// Custom text fields (names must start with `x_`), written only when the server has them;
    /// absent ones are skipped with a warning.
    pub custom: BTreeMap<String, String>,
}

/// A company.
#[derive(Debug, Clone, PartialEq)]
pub struct Company {
    /// Odoo record id.
    pub id: CompanyId,
    /// Name (`name`).
    pub name: String,
    /// Company currency (`currency_id`).
    pub currency: Many2one,
}

/// A currency (`res.currency`).
#[derive(Debug, Clone, PartialEq)]
pub struct Currency {
    /// Odoo record id.
    pub id: CurrencyId,
    /// ISO 4217 code (`name`), e.g. `CAD`.
    pub code: String,
    /// Currency symbol (`symbol`), e.g. `$`.
    pub symbol: Option<String>,
    /// Smallest amount (`rounding`, e.g. 0.01).
    pub rounding: Decimal,
    /// Digits after the decimal point (`decimal_places`).
    pub decimal_places: Option<i64>,
    /// False when archived (`active`).
    pub active: bool,
}

pub(super) const CURRENCY_FIELDS: &[&str] =
    &["name", "symbol", "rounding", "decimal_places", "active"];

impl Currency {
    pub(super) fn from_record(r: &Record) -> Result<Currency, OdooError> {
        Ok(Currency {
            id: CurrencyId(r.id()?),
            code: r.string("name")?,
            symbol: r.str("symbol")?,
            rounding: r.decimal("rounding")?,
            decimal_places: r.int("decimal_places")?,
            active: r.bool("active")?,
        })
    }
}

/// A tax (`account.tax`).
#[derive(Debug, Clone, PartialEq)]
pub struct Tax {
    /// Odoo record id.
    pub id: TaxId,
    /// Translated name, e.g. "13% HST" / "13% TVH": display only, never a key.
    pub name: String,
    /// Rate in percent for `amount_type = percent` (13 for 13 %).
    pub amount: Decimal,
    /// `group | fixed | percent | division`.
    pub amount_type: String,
    /// `sale | purchase | none`.
    pub type_tax_use: String,
    /// False when archived (`active`).
    pub active: bool,
    /// Company (`company_id`); `None` = shared by all companies.
    pub company: Option<Many2one>,
}

pub(super) const TAX_FIELDS: &[&str] = &[
    "name",
    "amount",
    "amount_type",
    "type_tax_use",
    "active",
    "company_id",
];

impl Tax {
    pub(super) fn from_record(r: &Record) -> Result<Tax, OdooError> {
        Ok(Tax {
            id: TaxId(r.id()?),
            name: r.str("name")?.unwrap_or_default(),
            amount: r.decimal("amount")?,
            amount_type: r.str("amount_type")?.unwrap_or_default(),
            type_tax_use: r.str("type_tax_use")?.unwrap_or_default(),
            active: r.bool("active")?,
            company: r.m2o("company_id")?,
        })
    }
}
