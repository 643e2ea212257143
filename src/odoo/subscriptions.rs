//! Subscriptions facade: `sale.order` with a recurring plan (`is_subscription`, `plan_id`,
//! enterprise `sale_subscription`) and its `sale.order.line`s. CONTRACT.md §4.3–§4.4;
//! `addons/sale/models/sale_order.py`, `sale_order_line.py`.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use super::client::{Call, OdooClient, SearchOptions};
use super::custom_fields::PLAN_CODE_FIELD;
use super::error::OdooError;
use super::value::{
    to_odoo_date, to_odoo_datetime, to_odoo_float, to_odoo_str, CloseReasonId, Command, Many2one,
    PartnerId, PlanId, ProductId, Record, SaleOrderId, SaleOrderLineId, TaxId,
};

const ORDER: &str = "sale.order";
const LINE: &str = "sale.order.line";

/// `sale.order.state` (19.0: no `done`; locking is the `locked` flag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderState {
    /// `draft`: quotation.
    Draft,
    /// `sent`: quotation sent.
    Sent,
    /// `sale`: confirmed sales order.
    Sale,
    /// `cancel`: cancelled.
    Cancel,
    /// A key we do not know.
    Other(String),
}

impl OrderState {
    fn parse(s: Option<String>) -> OrderState {
        match s.as_deref() {
            Some("draft") => OrderState::Draft,
            Some("sent") => OrderState::Sent,
            Some("sale") => OrderState::Sale,
            Some("cancel") => OrderState::Cancel,
            other => OrderState::Other(other.unwrap_or_default().to_string()),
        }
    }
}

/// `subscription_state` (enterprise `sale_subscription`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionState {
    /// `1_draft`: quotation.
    Draft,
    /// `2_renewal`: renewal quotation.
    Renewal,
    /// `3_progress`: in progress (active, invoiced by Odoo's cron).
    InProgress,
    /// `4_paused`.
    Paused,
    /// `5_renewed`: replaced by a renewal order.
    Renewed,
    /// `6_churn`: closed.
    Churned,
    /// `7_upsell`: upsell quotation.
    Upsell,
    /// A key we do not know.
    Other(String),
}

impl SubscriptionState {
    /// The Odoo selection key.
    pub fn as_odoo(&self) -> &str {
        match self {
            SubscriptionState::Draft => "1_draft",
            SubscriptionState::Renewal => "2_renewal",
            SubscriptionState::InProgress => "3_progress",
            SubscriptionState::Paused => "4_paused",
            SubscriptionState::Renewed => "5_renewed",
            SubscriptionState::Churned => "6_churn",
            SubscriptionState::Upsell => "7_upsell",
            SubscriptionState::Other(s) => s,
        }
    }

    fn parse(s: &str) -> SubscriptionState {
        match s {
            "1_draft" => SubscriptionState::Draft,
            "2_renewal" => SubscriptionState::Renewal,
            "3_progress" => SubscriptionState::InProgress,
            "4_paused" => SubscriptionState::Paused,
            "5_renewed" => SubscriptionState::Renewed,
            "6_churn" => SubscriptionState::Churned,
            "7_upsell" => SubscriptionState::Upsell,
            other => SubscriptionState::Other(other.to_string()),
        }
    }
}

/// A sale order / subscription header.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleOrder {
    /// Odoo record id.
    pub id: SaleOrderId,
    /// Sequence name, e.g. `S00042` ("New" before the sequence is assigned).
    pub name: String,
    /// Customer (`partner_id`).
    pub partner: Option<Many2one>,
    /// Document state (`state`).
    pub state: OrderState,
    /// True for a subscription (`is_subscription`, set from `plan_id`).
    pub is_subscription: bool,
    /// Recurring plan (`plan_id`).
    pub plan: Option<Many2one>,
    /// `None` for plain orders.
    pub subscription_state: Option<SubscriptionState>,
    /// First day of the subscription (`start_date`).
    pub start_date: Option<NaiveDate>,
    /// Date Odoo's cron invoices next; the end (exclusive) of the current billing window.
    pub next_invoice_date: Option<NaiveDate>,
    /// Last day, when closed or planned to end (`end_date`).
    pub end_date: Option<NaiveDate>,
    /// Date of the last recurring invoice (`last_invoice_date`).
    pub last_invoice_date: Option<NaiveDate>,
    /// Currency (`currency_id`).
    pub currency: Option<Many2one>,
    /// Total without taxes (`amount_untaxed`), document currency.
    pub amount_untaxed: Decimal,
    /// Tax amount (`amount_tax`), document currency.
    pub amount_tax: Decimal,
    /// Total with taxes (`amount_total`), document currency.
    pub amount_total: Decimal,
    /// Customer reference (`client_order_ref`).
    pub client_order_ref: Option<String>,
    /// Source document (`origin`).
    pub origin: Option<String>,
    /// Ids of its lines.
    pub line_ids: Vec<SaleOrderLineId>,
    /// Invoices of the order (`invoice_ids`).
    pub invoice_ids: Vec<super::value::MoveId>,
    /// Last change, UTC (`write_date`).
    pub write_date: Option<DateTime<Utc>>,
}

const ORDER_FIELDS: &[&str] = &[
    "name",
    "partner_id",
    "state",
    "is_subscription",
    "plan_id",
    "subscription_state",
    "start_date",
    "next_invoice_date",
    "end_date",
    "last_invoice_date",
    "currency_id",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "client_order_ref",
    "origin",
    "order_line",
    "invoice_ids",
    "write_date",
];

/// What [`Subscriptions::windows_of`] reads: state and billing-window dates only.
const WINDOW_FIELDS: &[&str] = &[
    "name",
    "state",
    "subscription_state",
    "start_date",
    "next_invoice_date",
    "last_invoice_date",
];

impl SaleOrder {
    /// An order from a [`WINDOW_FIELDS`] read: the other fields are empty (no amounts, no
    /// lines, no partner).
    fn from_window_record(r: &Record) -> Result<SaleOrder, OdooError> {
        Ok(SaleOrder {
            id: SaleOrderId(r.id()?),
            name: r.str("name")?.unwrap_or_default(),
            partner: None,
            state: OrderState::parse(r.str("state")?),
            is_subscription: true,
            plan: None,
            subscription_state: r
                .str("subscription_state")?
                .map(|s| SubscriptionState::parse(&s)),
            start_date: r.date("start_date")?,
            next_invoice_date: r.date("next_invoice_date")?,
            end_date: None,
            last_invoice_date: r.date("last_invoice_date")?,
            currency: None,
            amount_untaxed: Decimal::ZERO,
            amount_tax: Decimal::ZERO,
            amount_total: Decimal::ZERO,
            client_order_ref: None,
            origin: None,
            line_ids: Vec::new(),
            invoice_ids: Vec::new(),
            write_date: None,
        })
    }

    fn from_record(r: &Record) -> Result<SaleOrder, OdooError> {
        Ok(SaleOrder {
            id: SaleOrderId(r.id()?),
            name: r.str("name")?.unwrap_or_default(),
            partner: r.m2o("partner_id")?,
            state: OrderState::parse(r.str("state")?),
            is_subscription: r.bool("is_subscription")?,
            plan: r.m2o("plan_id")?,
            subscription_state: r
                .str("subscription_state")?
                .map(|s| SubscriptionState::parse(&s)),
            start_date: r.date("start_date")?,
            next_invoice_date: r.date("next_invoice_date")?,
            end_date: r.date("end_date")?,
            last_invoice_date: r.date("last_invoice_date")?,
            currency: r.m2o("currency_id")?,
            amount_untaxed: r.decimal("amount_untaxed")?,
            amount_tax: r.decimal("amount_tax")?,
            amount_total: r.decimal("amount_total")?,
            client_order_ref: r.str("client_order_ref")?,
            origin: r.str("origin")?,
            line_ids: r
                .ids("order_line")?
                .into_iter()
                .map(SaleOrderLineId)
                .collect(),
            invoice_ids: r
                .ids("invoice_ids")?
                .into_iter()
                .map(super::value::MoveId)
                .collect(),
            write_date: r.datetime("write_date")?,
        })
    }
}

/// A sale order line.
#[derive(Debug, Clone, PartialEq)]
pub struct SaleOrderLine {
    /// Odoo record id.
    pub id: SaleOrderLineId,
    /// The order this line belongs to (`order_id`).
    pub order_id: SaleOrderId,
    /// Product variant (`product_id`).
    pub product: Option<Many2one>,
    /// Description shown on the invoice.
    pub name: Option<String>,
    /// Ordered quantity (`product_uom_qty`).
    pub quantity: Decimal,
    /// Delivered quantity (`qty_delivered`): what usage products invoice.
    pub qty_delivered: Decimal,
    /// Quantity already invoiced (`qty_invoiced`).
    pub qty_invoiced: Decimal,
    /// Quantity still to invoice (`qty_to_invoice`).
    pub qty_to_invoice: Decimal,
    /// Unit price (`price_unit`) in the document currency.
    pub price_unit: Decimal,
    /// Discount in percent.
    pub discount: Decimal,
    /// Line amount without taxes (`price_subtotal`).
    pub price_subtotal: Decimal,
    /// Line amount with taxes (`price_total`).
    pub price_total: Decimal,
    /// Customer taxes (`tax_ids`).
    pub taxes: Vec<TaxId>,
    /// `line_section | line_subsection | line_note`; `None` for product lines.
    pub display_type: Option<String>,
}

const LINE_FIELDS: &[&str] = &[
    "order_id",
    "product_id",
    "name",
    "product_uom_qty",
    "qty_delivered",
    "qty_invoiced",
    "qty_to_invoice",
    "price_unit",
    "discount",
    "price_subtotal",
    "price_total",
    "tax_ids",
    "display_type",
];

impl SaleOrderLine {
    fn from_record(r: &Record) -> Result<SaleOrderLine, OdooError> {
        Ok(SaleOrderLine {
            id: SaleOrderLineId(r.id()?),
            order_id: SaleOrderId(
                r.m2o("order_id")?
                    .ok_or_else(|| OdooError::Decode(format!("{LINE}.order_id: empty")))?
                    .id,
            ),
            product: r.m2o("product_id")?,
            name: r.str("name")?,
            quantity: r.decimal("product_uom_qty")?,
            qty_delivered: r.decimal("qty_delivered")?,
            qty_invoiced: r.decimal("qty_invoiced")?,
            qty_to_invoice: r.decimal("qty_to_invoice")?,
            price_unit: r.decimal("price_unit")?,
            discount: r.decimal("discount")?,
            price_subtotal: r.decimal("price_subtotal")?,
            price_total: r.decimal("price_total")?,
            taxes: r.ids("tax_ids")?.into_iter().map(TaxId).collect(),
            display_type: r.str("display_type")?,
        })
    }
}

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
    fn vals(&self) -> Map<String, Value> {
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
/// `sale.order` `write` (see [`Subscriptions::write_usage_lines`]).
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
    fn command(&self) -> Command {
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

    fn vals(&self) -> Map<String, Value> {
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

/// Subscription operations; get one with [`OdooClient::subscriptions`].
#[derive(Debug, Clone, Copy)]
pub struct Subscriptions<'a> {
    client: &'a OdooClient,
}

impl OdooClient {
    /// The subscriptions (`sale.order`) facade.
    pub fn subscriptions(&self) -> Subscriptions<'_> {
        Subscriptions { client: self }
    }
}

impl Subscriptions<'_> {
    async fn orders(
        &self,
        domain: Value,
        opts: &SearchOptions,
    ) -> Result<Vec<SaleOrder>, OdooError> {
        self.client
            .orm()
            .search_read(ORDER, domain, ORDER_FIELDS, opts)
            .await?
            .iter()
            .map(SaleOrder::from_record)
            .collect()
    }

    /// Creates a subscription quotation with its lines (`order_line: [[0, 0, vals], …]`).
    ///
    /// # Errors
    /// [`OdooError::Invalid`] without lines; Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "create"))]
    pub async fn create(&self, s: &NewSubscription) -> Result<SaleOrderId, OdooError> {
        if s.lines.is_empty() {
            return Err(OdooError::Invalid(
                "a subscription needs at least one line".into(),
            ));
        }
        let mut vals = Map::new();
        vals.insert("partner_id".into(), json!(s.partner.0));
        vals.insert("plan_id".into(), json!(s.plan.0));
        if let Some(d) = s.start_date {
            vals.insert("start_date".into(), to_odoo_date(d));
        }
        if let Some(d) = s.next_invoice_date {
            vals.insert("next_invoice_date".into(), to_odoo_date(d));
        }
        if let Some(r) = &s.client_order_ref {
            vals.insert("client_order_ref".into(), to_odoo_str(Some(r)));
        }
        if let Some(o) = &s.origin {
            vals.insert("origin".into(), to_odoo_str(Some(o)));
        }
        let cmds: Vec<Command> = s.lines.iter().map(|l| Command::Create(l.vals())).collect();
        vals.insert("order_line".into(), Command::list(&cmds));
        Ok(SaleOrderId(
            self.client
                .orm()
                .create_one(ORDER, vals, Map::new())
                .await?,
        ))
    }

    /// `action_confirm()`: quotation → sales order; a subscription becomes `3_progress`.
    ///
    /// # Errors
    /// [`OdooError::UserError`] when the order is not a draft/sent quotation; Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "action_confirm"))]
    pub async fn confirm(&self, id: SaleOrderId) -> Result<(), OdooError> {
        self.client
            .orm()
            .call(Call::new(ORDER, "action_confirm").ids([id.0]))
            .await
            .map(|_| ())
    }

    /// `set_close(close_reason_id)`: ends the subscription today (`6_churn`).
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "set_close"))]
    pub async fn close(
        &self,
        id: SaleOrderId,
        reason: Option<CloseReasonId>,
    ) -> Result<(), OdooError> {
        let mut call = Call::new(ORDER, "set_close").ids([id.0]);
        if let Some(r) = reason {
            call = call.arg("close_reason_id", r.0);
        }
        self.client.orm().call(call).await.map(|_| ())
    }

    /// `action_cancel()` (19.0 cancels directly; locked orders raise `UserError`).
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "action_cancel"))]
    pub async fn cancel(&self, id: SaleOrderId) -> Result<(), OdooError> {
        self.client
            .orm()
            .call(
                Call::new(ORDER, "action_cancel")
                    .ids([id.0])
                    .context("disable_cancel_warning", true),
            )
            .await
            .map(|_| ())
    }

    /// The order with this id; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "search_read"))]
    pub async fn get(&self, id: SaleOrderId) -> Result<Option<SaleOrder>, OdooError> {
        Ok(self
            .orders(json!([["id", "=", id.0]]), &SearchOptions::default())
            .await?
            .into_iter()
            .next())
    }

    /// The lines of one order, in order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn lines(&self, id: SaleOrderId) -> Result<Vec<SaleOrderLine>, OdooError> {
        self.lines_of(&[id]).await
    }

    /// The lines of many orders in one `search_read` (ordered by order, then sequence).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = LINE, method = "search_read"))]
    pub async fn lines_of(&self, ids: &[SaleOrderId]) -> Result<Vec<SaleOrderLine>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.client
            .orm()
            .search_read(
                LINE,
                json!([["order_id", "in", ids]]),
                LINE_FIELDS,
                &SearchOptions::ordered("order_id asc, sequence asc, id asc"),
            )
            .await?
            .iter()
            .map(SaleOrderLine::from_record)
            .collect()
    }

    /// Subscriptions in the given states (e.g. `[InProgress]` for the rating loop), all of them,
    /// fetched in pages of `page` (keyset on id).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "search_read"))]
    pub async fn in_states(
        &self,
        states: &[SubscriptionState],
        page: u64,
    ) -> Result<Vec<SaleOrder>, OdooError> {
        let keys: Vec<&str> = states.iter().map(SubscriptionState::as_odoo).collect();
        self.client
            .orm()
            .search_read_all(
                ORDER,
                json!([
                    ["is_subscription", "=", true],
                    ["subscription_state", "in", keys]
                ]),
                ORDER_FIELDS,
                page,
                false,
            )
            .await?
            .iter()
            .map(SaleOrder::from_record)
            .collect()
    }

    /// All in-progress subscriptions (`3_progress`), in pages of 200.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn active(&self) -> Result<Vec<SaleOrder>, OdooError> {
        self.in_states(&[SubscriptionState::InProgress], 200).await
    }

    /// Subscriptions of a customer (any state).
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn of_partner(&self, partner: PartnerId) -> Result<Vec<SaleOrder>, OdooError> {
        self.orders(
            json!([
                ["is_subscription", "=", true],
                ["partner_id", "=", partner.0]
            ]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// State and billing-window dates of these orders in one light `search_read` (no
    /// computed amounts, no lines): what the rating push needs for thousands of orders.
    /// The returned orders carry only those fields.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "search_read"))]
    pub async fn windows_of(&self, ids: &[SaleOrderId]) -> Result<Vec<SaleOrder>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.client
            .orm()
            .search_read(
                ORDER,
                json!([["id", "in", ids]]),
                WINDOW_FIELDS,
                &SearchOptions::ordered("id asc"),
            )
            .await?
            .iter()
            .map(SaleOrder::from_window_record)
            .collect()
    }

    /// [`Subscriptions::windows_of`] for one order; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn window_of(&self, id: SaleOrderId) -> Result<Option<SaleOrder>, OdooError> {
        Ok(self.windows_of(&[id]).await?.into_iter().next())
    }

    /// Orders (subscriptions or not, any state) whose source document (`origin`) is `origin`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn find_by_origin(&self, origin: &str) -> Result<Vec<SaleOrder>, OdooError> {
        self.orders(
            json!([["origin", "=", origin]]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// The orders with these ids (missing ones are absent), in one `search_read`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn get_many(&self, ids: &[SaleOrderId]) -> Result<Vec<SaleOrder>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.orders(
            json!([["id", "in", ids]]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Subscriptions whose customer reference (`client_order_ref`) is `reference`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn find_by_reference(&self, reference: &str) -> Result<Vec<SaleOrder>, OdooError> {
        self.orders(
            json!([
                ["is_subscription", "=", true],
                ["client_order_ref", "=", reference]
            ]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Subscriptions changed at or after `since` (UTC, inclusive; poll with an overlap window and
    /// de-duplicate), oldest first, at most `limit`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn changed_since(
        &self,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<SaleOrder>, OdooError> {
        self.orders(
            json!([
                ["is_subscription", "=", true],
                ["write_date", ">=", to_odoo_datetime(since)]
            ]),
            &SearchOptions {
                limit: Some(limit),
                order: Some("write_date asc, id asc".into()),
                ..SearchOptions::default()
            },
        )
        .await
    }

    /// Sets delivered quantities of several lines of one order in a single `write` with x2many
    /// update commands (`order_line: [[1, line_id, {"qty_delivered": q}], …]`). Idempotent.
    ///
    /// # Errors
    /// Odoo's errors (e.g. a line of another order: `MissingError`/`UserError`).
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "write"))]
    pub async fn set_delivered(
        &self,
        order: SaleOrderId,
        quantities: &[DeliveredQty],
    ) -> Result<(), OdooError> {
        if quantities.is_empty() {
            return Ok(());
        }
        let cmds: Vec<Command> = quantities
            .iter()
            .map(|q| {
                let mut v = Map::new();
                v.insert("qty_delivered".into(), to_odoo_float(q.quantity));
                Command::Update(q.line.0, v)
            })
            .collect();
        let mut vals = Map::new();
        vals.insert("order_line".into(), Command::list(&cmds));
        self.client.orm().write(ORDER, &[order.0], vals).await
    }

    /// Adds lines to an existing order in one `write` (`[[0, 0, vals], …]`), e.g. tier or late-usage
    /// lines. Returns the ids of the order's lines afterwards.
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "write"))]
    pub async fn add_lines(
        &self,
        order: SaleOrderId,
        lines: &[NewOrderLine],
    ) -> Result<Vec<SaleOrderLineId>, OdooError> {
        if !lines.is_empty() {
            let cmds: Vec<Command> = lines.iter().map(|l| Command::Create(l.vals())).collect();
            let mut vals = Map::new();
            vals.insert("order_line".into(), Command::list(&cmds));
            self.client.orm().write(ORDER, &[order.0], vals).await?;
        }
        let recs = self
            .client
            .orm()
            .read(ORDER, &[order.0], &["order_line"])
            .await?;
        Ok(recs
            .first()
            .map(|r| r.ids("order_line"))
            .transpose()?
            .unwrap_or_default()
            .into_iter()
            .map(SaleOrderLineId)
            .collect())
    }

    /// Applies `changes` to the usage lines of `order` in one `write`
    /// (`order_line: [[1, id, vals], [0, 0, vals], …]`); no call when empty.
    ///
    /// # Errors
    /// Odoo's errors (e.g. a line of another order).
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "write"))]
    pub async fn write_usage_lines(
        &self,
        order: SaleOrderId,
        changes: &[UsageLineChange],
    ) -> Result<(), OdooError> {
        if changes.is_empty() {
            return Ok(());
        }
        let cmds: Vec<Command> = changes.iter().map(UsageLineChange::command).collect();
        let mut vals = Map::new();
        vals.insert("order_line".into(), Command::list(&cmds));
        self.client.orm().write(ORDER, &[order.0], vals).await
    }

    /// Writes `patch` on the order (one `write`); no call when the patch is empty.
    ///
    /// # Errors
    /// Odoo's errors (a missing [`PLAN_CODE_FIELD`] is an `OdooError` naming it).
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "write"))]
    pub async fn update(&self, id: SaleOrderId, patch: &OrderPatch) -> Result<(), OdooError> {
        if patch.is_empty() {
            return Ok(());
        }
        self.client.orm().write(ORDER, &[id.0], patch.vals()).await
    }

    /// The ids of the orders named (`name`, e.g. `S00042`) in `names`, by name; names without
    /// an order are absent.
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "search_read"))]
    pub async fn ids_by_name(
        &self,
        names: &[String],
    ) -> Result<std::collections::HashMap<String, SaleOrderId>, OdooError> {
        let orders = self
            .client
            .orm()
            .search_read(
                ORDER,
                json!([["name", "in", names]]),
                &["name"],
                &SearchOptions::default(),
            )
            .await?;
        let mut by_name = std::collections::HashMap::new();
        for o in &orders {
            if let (Ok(id), Ok(Some(name))) = (o.id(), o.str("name")) {
                by_name.insert(name, SaleOrderId(id));
            }
        }
        Ok(by_name)
    }

    /// The absolute customer-portal URL of the order (`get_portal_url`,
    /// `addons/portal/models/portal_mixin.py`) joined to the Odoo base URL; the bare path when
    /// it does not join, an empty path when Odoo answers no string.
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = ORDER, method = "get_portal_url"))]
    pub async fn portal_url(&self, id: SaleOrderId) -> Result<String, OdooError> {
        let v = self
            .client
            .orm()
            .call(Call::new(ORDER, "get_portal_url").ids([id.0]))
            .await?;
        let path = v.as_str().unwrap_or_default();
        Ok(self
            .client
            .base_url()
            .join(path)
            .map(|u| u.to_string())
            .unwrap_or_else(|_| path.to_string()))
    }
}
