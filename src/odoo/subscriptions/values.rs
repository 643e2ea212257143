//! What the subscriptions facade writes: new orders and lines, delivered quantities, usage
//! line changes, header patches.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use crate::odoo::custom_fields::PLAN_CODE_FIELD;
use crate::odoo::value::{
    to_odoo_date, to_odoo_float, Command, PartnerId, PlanId, ProductId, SaleOrderLineId, TaxId,
};

/// A line to add to an order.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrderLine {
    /// Product variant to sell.
    pub product: ProductId,
    /// Ordered quantity (`product_uom_qty`).
    pub quantity: Decimal,
    /// Unit price; `None` lets Odoo price it from the pricelist/plan.
    pub price_unit: Option<Decimal>,
    /// Description; `None` lets Odoo use the product's.
    pub name: Option<String>,
    /// Customer taxes; `None` lets Odoo apply the product's taxes (fiscal position mapped).
    pub taxes: Option<Vec<TaxId>>,
}

impl NewOrderLine {
    pub(super) fn vals(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("product_id".into(), json!(self.product.0));
        m.insert("product_uom_qty".into(), to_odoo_float(self.quantity));
        if let Some(p) = self.price_unit {
            m.insert("price_unit".into(), to_odoo_float(p));
        }
        if let Some(n) = &self.name {
            m.insert("name".into(), json!(n));
        }
        if let Some(t) = &self.taxes {
            m.insert(
                "tax_ids".into(),
                Command::list(&[Command::Set(t.iter().map(|t| t.0).collect())]),
            );
        }
        m
    }
}

/// A subscription to create (a `sale.order` with `plan_id`, in quotation state).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubscription {
    /// Customer.
    pub partner: PartnerId,
    /// Recurring plan.
    pub plan: PlanId,
    /// First day of the subscription; `None` = Odoo's default (today at confirmation).
    pub start_date: Option<NaiveDate>,
    /// First invoice date; `None` = Odoo's default (the start date).
    pub next_invoice_date: Option<NaiveDate>,
    /// Customer reference (e.g. the app's external subscription id).
    pub client_order_ref: Option<String>,
    /// Source document (`origin`).
    pub origin: Option<String>,
    /// Lines, in order.
    pub lines: Vec<NewOrderLine>,
}

/// A change of delivered quantity on a subscription line (usage).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeliveredQty {
    /// The line to change.
    pub line: SaleOrderLineId,
    /// The new absolute `qty_delivered` (not an increment: a resend writes the same value).
    pub quantity: Decimal,
}

/// One change to a subscription order's usage lines, sent as an `order_line` command of one
/// `sale.order` `write` (see [`super::Subscriptions::write_usage_lines`]).
#[derive(Debug, Clone, PartialEq)]
pub enum UsageLineChange {
    /// Rewrites an existing line: `[1, line, {name, qty_delivered, price_unit}]`.
    Rewrite {
        /// The line.
        line: SaleOrderLineId,
        /// Description.
        name: String,
        /// New absolute `qty_delivered`.
        delivered: Decimal,
        /// Unit price.
        price_unit: Decimal,
    },
    /// Adds a line of `product` ordered 0, delivered `delivered`:
    /// `[0, 0, {product_id, name, product_uom_qty: 0.0, qty_delivered, price_unit}]`.
    Add {
        /// Product variant.
        product: ProductId,
        /// Description.
        name: String,
        /// `qty_delivered`.
        delivered: Decimal,
        /// Unit price.
        price_unit: Decimal,
    },
    /// Sets a surplus line's delivered quantity to zero: `[1, line, {qty_delivered: 0.0}]`.
    ClearDelivered(SaleOrderLineId),
}

impl UsageLineChange {
    pub(super) fn command(&self) -> Command {
        let mut v = Map::new();
        match self {
            UsageLineChange::Rewrite {
                line,
                name,
                delivered,
                price_unit,
            } => {
                v.insert("name".into(), json!(name));
                v.insert("qty_delivered".into(), to_odoo_float(*delivered));
                v.insert("price_unit".into(), to_odoo_float(*price_unit));
                Command::Update(line.0, v)
            }
            UsageLineChange::Add {
                product,
                name,
                delivered,
                price_unit,
            } => {
                v.insert("product_id".into(), json!(product.0));
                v.insert("name".into(), json!(name));
                v.insert("product_uom_qty".into(), json!(0.0));
                v.insert("qty_delivered".into(), to_odoo_float(*delivered));
                v.insert("price_unit".into(), to_odoo_float(*price_unit));
                Command::Create(v)
            }
            UsageLineChange::ClearDelivered(line) => {
                v.insert("qty_delivered".into(), json!(0.0));
                Command::Update(line.0, v)
            }
        }
    }
}

/// Changes to a subscription order's header, written in one `sale.order` `write`; `None`
/// leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderPatch {
    /// The Lago plan code ([`PLAN_CODE_FIELD`]).
    pub plan_code: Option<String>,
    /// `start_date`.
    pub start_date: Option<NaiveDate>,
    /// `end_date`; `Some(None)` clears it (`false`).
    pub end_date: Option<Option<NaiveDate>>,
    /// `next_invoice_date`; `Some(None)` clears it (`false`).
    pub next_invoice_date: Option<Option<NaiveDate>>,
}

impl OrderPatch {
    /// True when the patch changes nothing (no `write` is sent).
    pub fn is_empty(&self) -> bool {
        self == &OrderPatch::default()
    }

    pub(super) fn vals(&self) -> Map<String, Value> {
        let date_or_false = |d: Option<NaiveDate>| d.map(to_odoo_date).unwrap_or(json!(false));
        let mut m = Map::new();
        if let Some(code) = &self.plan_code {
            m.insert(PLAN_CODE_FIELD.into(), json!(code));
        }
        if let Some(d) = self.start_date {
            m.insert("start_date".into(), to_odoo_date(d));
        }
        if let Some(d) = self.end_date {
            m.insert("end_date".into(), date_or_false(d));
        }
        if let Some(d) = self.next_invoice_date {
            m.insert("next_invoice_date".into(), date_or_false(d));
        }
        m
    }
}
