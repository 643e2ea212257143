//! Invoices facade: customer invoices and credit notes (`account.move`), their lines, posting,
//! reset/cancel, payment state, PDF and payment links, payment registration. CONTRACT.md §4.5,
//! §4.7, §4.8; `addons/account/models/account_move.py`, `addons/portal/models/portal_mixin.py`,
//! `addons/account/wizard/account_payment_register.py`, `addons/account_payment/wizards/payment_link_wizard.py`.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use super::client::{Call, OdooClient, SearchOptions};
use super::error::OdooError;
use super::value::{
    action_record_ids, odoo_decimal, odoo_str, to_odoo_date, to_odoo_datetime, to_odoo_float,
    to_odoo_str, Command, CurrencyId, JournalId, Many2one, MoveId, MoveLineId, PartnerId,
    PaymentId, ProductId, Record, TaxId,
};

const MOVE: &str = "account.move";
const LINE: &str = "account.move.line";

/// `move_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveType {
    /// `out_invoice`: customer invoice.
    Invoice,
    /// `out_refund`: customer credit note.
    CreditNote,
    /// Anything else (`entry`, vendor bills, receipts).
    Other(String),
}

impl MoveType {
    fn parse(s: &str) -> MoveType {
        match s {
            "out_invoice" => MoveType::Invoice,
            "out_refund" => MoveType::CreditNote,
            other => MoveType::Other(other.to_string()),
        }
    }
}

/// `state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveState {
    /// `draft`.
    Draft,
    /// `posted`: validated, numbered.
    Posted,
    /// `cancel`.
    Cancelled,
    /// A key this client does not know.
    Other(String),
}

/// `payment_state` (19.0 adds `blocked`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentState {
    /// `not_paid`.
    NotPaid,
    /// `in_payment`: paid, not yet reconciled with the bank.
    InPayment,
    /// `paid`.
    Paid,
    /// `partial`: partly paid or credited.
    Partial,
    /// `reversed`: fully offset by a credit note.
    Reversed,
    /// `blocked`: payment blocked (19.0).
    Blocked,
    /// `invoicing_legacy`: from before Accounting was installed.
    InvoicingLegacy,
    /// A key this client does not know.
    Other(String),
}

impl PaymentState {
    fn parse(s: &str) -> PaymentState {
        match s {
            "not_paid" => PaymentState::NotPaid,
            "in_payment" => PaymentState::InPayment,
            "paid" => PaymentState::Paid,
            "partial" => PaymentState::Partial,
            "reversed" => PaymentState::Reversed,
            "blocked" => PaymentState::Blocked,
            "invoicing_legacy" => PaymentState::InvoicingLegacy,
            other => PaymentState::Other(other.to_string()),
        }
    }
}

/// A customer invoice or credit note header.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoice {
    /// Odoo record id.
    pub id: MoveId,
    /// Sequence number once posted (`INV/2025/00042`); `None` while draft (`false` or `/`).
    pub number: Option<String>,
    /// Kind of move (`move_type`).
    pub move_type: MoveType,
    /// Document state (`state`).
    pub state: MoveState,
    /// Payment state (`payment_state`); `None` when Odoo reports none.
    pub payment_state: Option<PaymentState>,
    /// Customer (`partner_id`).
    pub partner: Option<Many2one>,
    /// Currency (`currency_id`).
    pub currency: Option<Many2one>,
    /// Invoice date (`invoice_date`); `None` until set or posted.
    pub invoice_date: Option<NaiveDate>,
    /// Due date (`invoice_date_due`).
    pub due_date: Option<NaiveDate>,
    /// Source document, e.g. the sale order name (`invoice_origin`).
    pub origin: Option<String>,
    /// Customer reference (`ref`).
    pub reference: Option<String>,
    /// Total without taxes (`amount_untaxed`), document currency.
    pub amount_untaxed: Decimal,
    /// Tax amount (`amount_tax`), document currency.
    pub amount_tax: Decimal,
    /// Total with taxes (`amount_total`), document currency.
    pub amount_total: Decimal,
    /// Amount still due.
    pub amount_residual: Decimal,
    /// For a credit note: the invoice it reverses (`reversed_entry_id`).
    pub reversed_entry: Option<MoveId>,
    /// Ids of its lines.
    pub line_ids: Vec<MoveLineId>,
    /// Creation time, UTC (`create_date`).
    pub create_date: Option<DateTime<Utc>>,
    /// Last change, UTC (`write_date`).
    pub write_date: Option<DateTime<Utc>>,
}

const MOVE_FIELDS: &[&str] = &[
    "name",
    "move_type",
    "state",
    "payment_state",
    "partner_id",
    "currency_id",
    "invoice_date",
    "invoice_date_due",
    "invoice_origin",
    "ref",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "amount_residual",
    "reversed_entry_id",
    "invoice_line_ids",
    "create_date",
    "write_date",
];

impl Invoice {
    fn from_record(r: &Record) -> Result<Invoice, OdooError> {
        Ok(Invoice {
            id: MoveId(r.id()?),
            number: r.str("name")?.filter(|n| n != "/" && !n.is_empty()),
            move_type: MoveType::parse(r.str("move_type")?.as_deref().unwrap_or("")),
            state: match r.str("state")?.as_deref() {
                Some("draft") => MoveState::Draft,
                Some("posted") => MoveState::Posted,
                Some("cancel") => MoveState::Cancelled,
                other => MoveState::Other(other.unwrap_or_default().to_string()),
            },
            payment_state: r.str("payment_state")?.map(|s| PaymentState::parse(&s)),
            partner: r.m2o("partner_id")?,
            currency: r.m2o("currency_id")?,
            invoice_date: r.date("invoice_date")?,
            due_date: r.date("invoice_date_due")?,
            origin: r.str("invoice_origin")?,
            reference: r.str("ref")?,
            amount_untaxed: r.decimal("amount_untaxed")?,
            amount_tax: r.decimal("amount_tax")?,
            amount_total: r.decimal("amount_total")?,
            amount_residual: r.decimal("amount_residual")?,
            reversed_entry: r.m2o("reversed_entry_id")?.map(|m| MoveId(m.id)),
            line_ids: r
                .ids("invoice_line_ids")?
                .into_iter()
                .map(MoveLineId)
                .collect(),
            create_date: r.datetime("create_date")?,
            write_date: r.datetime("write_date")?,
        })
    }
}

/// A posted customer invoice or credit note as the monthly reconciliation reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedMove {
    /// Odoo record id.
    pub id: MoveId,
    /// Its number (`name`), as Odoo answers it.
    pub name: Option<String>,
    /// [`MoveType::Invoice`] or [`MoveType::CreditNote`].
    pub move_type: MoveType,
    /// Customer (`partner_id`).
    pub partner: Option<Many2one>,
    /// Source document, e.g. the sale order name (`invoice_origin`); Odoo does not copy it onto
    /// a reversal.
    pub origin: Option<String>,
    /// Total without taxes (`amount_untaxed`), document currency.
    pub amount_untaxed: Decimal,
    /// Currency (`currency_id`).
    pub currency: Option<Many2one>,
    /// For a credit note: the invoice it reverses (`reversed_entry_id`).
    pub reversed_entry: Option<MoveId>,
}

const POSTED_FIELDS: &[&str] = &[
    "name",
    "move_type",
    "partner_id",
    "invoice_origin",
    "amount_untaxed",
    "currency_id",
    "reversed_entry_id",
];

impl PostedMove {
    fn from_record(r: &Record) -> Result<PostedMove, OdooError> {
        Ok(PostedMove {
            id: MoveId(r.id()?),
            name: r.str("name")?,
            move_type: MoveType::parse(r.str("move_type")?.as_deref().unwrap_or("")),
            partner: r.m2o("partner_id")?,
            origin: r.str("invoice_origin")?,
            amount_untaxed: r.decimal("amount_untaxed")?,
            currency: r.m2o("currency_id")?,
            reversed_entry: r.m2o("reversed_entry_id")?.map(|m| MoveId(m.id)),
        })
    }
}

/// An invoice line (product, section or note; tax and receivable lines excluded).
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceLine {
    /// Odoo record id.
    pub id: MoveLineId,
    /// The move this line belongs to (`move_id`).
    pub move_id: MoveId,
    /// Product variant (`product_id`).
    pub product: Option<Many2one>,
    /// Label (`name`).
    pub name: Option<String>,
    /// Quantity (`quantity`).
    pub quantity: Decimal,
    /// Unit price (`price_unit`) in the document currency.
    pub price_unit: Decimal,
    /// Discount in percent.
    pub discount: Decimal,
    /// Amount without taxes.
    pub price_subtotal: Decimal,
    /// Amount with taxes.
    pub price_total: Decimal,
    /// Customer taxes (`tax_ids`).
    pub taxes: Vec<TaxId>,
    /// `product | line_section | line_subsection | line_note`.
    pub display_type: Option<String>,
}

const LINE_FIELDS: &[&str] = &[
    "move_id",
    "product_id",
    "name",
    "quantity",
    "price_unit",
    "discount",
    "price_subtotal",
    "price_total",
    "tax_ids",
    "display_type",
];

impl InvoiceLine {
    fn from_record(r: &Record) -> Result<InvoiceLine, OdooError> {
        Ok(InvoiceLine {
            id: MoveLineId(r.id()?),
            move_id: MoveId(
                r.m2o("move_id")?
                    .ok_or_else(|| OdooError::Decode(format!("{LINE}.move_id: empty")))?
                    .id,
            ),
            product: r.m2o("product_id")?,
            name: r.str("name")?,
            quantity: r.decimal("quantity")?,
            price_unit: r.decimal("price_unit")?,
            discount: r.decimal("discount")?,
            price_subtotal: r.decimal("price_subtotal")?,
            price_total: r.decimal("price_total")?,
            taxes: r.ids("tax_ids")?.into_iter().map(TaxId).collect(),
            display_type: r.str("display_type")?,
        })
    }
}

/// Tax amounts of one tax group (e.g. "HST 13%").
#[derive(Debug, Clone, PartialEq)]
pub struct TaxGroupTotal {
    /// Tax group name (`group_name`), e.g. "HST 13%".
    pub name: String,
    /// Taxable base.
    pub base: Decimal,
    /// Tax amount.
    pub amount: Decimal,
}

/// Totals of an invoice with the tax breakdown by group (from `tax_totals`; the groups are empty
/// when the server does not provide it).
#[derive(Debug, Clone, PartialEq)]
pub struct TaxTotals {
    /// Total without taxes, document currency.
    pub untaxed: Decimal,
    /// Total of taxes, document currency.
    pub tax: Decimal,
    /// Total with taxes, document currency.
    pub total: Decimal,
    /// Tax groups with base and amount.
    pub groups: Vec<TaxGroupTotal>,
}

/// A line of a new invoice or credit note.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvoiceLine {
    /// Product variant to sell.
    pub product: Option<ProductId>,
    /// Label; required when there is no product.
    pub name: Option<String>,
    /// Quantity (`quantity`).
    pub quantity: Decimal,
    /// Unit price (`price_unit`) in the document currency.
    pub price_unit: Decimal,
    /// Customer taxes; `None` lets Odoo apply the product's taxes.
    pub taxes: Option<Vec<TaxId>>,
}

impl NewInvoiceLine {
    fn vals(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if let Some(p) = self.product {
            m.insert("product_id".into(), json!(p.0));
        }
        if let Some(n) = &self.name {
            m.insert("name".into(), json!(n));
        }
        m.insert("quantity".into(), to_odoo_float(self.quantity));
        m.insert("price_unit".into(), to_odoo_float(self.price_unit));
        if let Some(t) = &self.taxes {
            m.insert(
                "tax_ids".into(),
                Command::list(&[Command::Set(t.iter().map(|t| t.0).collect())]),
            );
        }
        m
    }
}

/// A one-off customer invoice to create (draft `out_invoice`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewInvoice {
    /// Customer.
    pub partner: PartnerId,
    /// `None` = the company currency.
    pub currency: Option<CurrencyId>,
    /// `None` = set to today by Odoo when posted.
    pub invoice_date: Option<NaiveDate>,
    /// Customer reference (`ref`).
    pub reference: Option<String>,
    /// Source document (`invoice_origin`).
    pub origin: Option<String>,
    /// Lines, in order.
    pub lines: Vec<NewInvoiceLine>,
}

/// A change to the lines of a draft invoice or credit note.
#[derive(Debug, Clone, PartialEq)]
pub enum LineChange {
    /// Add a line.
    Add(NewInvoiceLine),
    /// Change quantity and/or unit price of a line.
    Update {
        /// The line to change.
        line: MoveLineId,
        /// New quantity; `None` leaves it.
        quantity: Option<Decimal>,
        /// New unit price; `None` leaves it.
        price_unit: Option<Decimal>,
    },
    /// Delete a line.
    Remove(MoveLineId),
}

/// A payment to record against an invoice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PaymentValues {
    /// `None` = the amount due.
    pub amount: Option<Decimal>,
    /// `None` = today.
    pub date: Option<NaiveDate>,
    /// Bank/cash journal; `None` = Odoo's default.
    pub journal: Option<JournalId>,
    /// Memo (`communication`).
    pub memo: Option<String>,
    /// A saved `payment.token` to charge (`payment_token_id`, `account_payment` module); `None`
    /// records a manual payment.
    pub payment_token: Option<i64>,
}

/// Invoice operations; get one with [`OdooClient::invoices`].
#[derive(Debug, Clone, Copy)]
pub struct Invoices<'a> {
    client: &'a OdooClient,
}

impl OdooClient {
    /// The invoices (`account.move`) facade.
    pub fn invoices(&self) -> Invoices<'_> {
        Invoices { client: self }
    }
}

fn customer_types() -> Value {
    json!(["move_type", "in", ["out_invoice", "out_refund"]])
}

impl Invoices<'_> {
    async fn moves(&self, domain: Value, opts: &SearchOptions) -> Result<Vec<Invoice>, OdooError> {
        self.client
            .orm()
            .search_read(MOVE, domain, MOVE_FIELDS, opts)
            .await?
            .iter()
            .map(Invoice::from_record)
            .collect()
    }

    /// The move with this id; `None` when it does not exist.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn get(&self, id: MoveId) -> Result<Option<Invoice>, OdooError> {
        Ok(self
            .moves(json!([["id", "=", id.0]]), &SearchOptions::default())
            .await?
            .into_iter()
            .next())
    }

    /// Customer invoices and credit notes of a partner, newest first.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn of_partner(
        &self,
        partner: PartnerId,
        limit: Option<u64>,
    ) -> Result<Vec<Invoice>, OdooError> {
        self.moves(
            json!([["partner_id", "=", partner.0], customer_types()]),
            &SearchOptions {
                limit,
                order: Some("id desc".into()),
                ..SearchOptions::default()
            },
        )
        .await
    }

    /// Customer invoices and credit notes whose `invoice_origin` is `origin` (e.g. a sale order name).
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn by_origin(&self, origin: &str) -> Result<Vec<Invoice>, OdooError> {
        self.moves(
            json!([["invoice_origin", "=", origin], customer_types()]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Customer invoices and credit notes changed at or after `since` (UTC, inclusive; Odoo stores
    /// second precision and the transaction start, so poll with an overlap and de-duplicate),
    /// ordered `write_date asc, id asc`, at most `limit`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn changed_since(
        &self,
        since: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<Invoice>, OdooError> {
        self.moves(
            json!([
                ["write_date", ">=", to_odoo_datetime(since)],
                customer_types()
            ]),
            &SearchOptions {
                limit: Some(limit),
                order: Some("write_date asc, id asc".into()),
                ..SearchOptions::default()
            },
        )
        .await
    }

    /// The moves with these ids (missing ones are skipped), in id order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn get_many(&self, ids: &[MoveId]) -> Result<Vec<Invoice>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.moves(
            json!([["id", "in", ids]]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Customer invoices (`out_invoice`) whose `invoice_origin` is one of `origins` (sale order
    /// names), in id order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn invoices_of_origins(&self, origins: &[String]) -> Result<Vec<Invoice>, OdooError> {
        if origins.is_empty() {
            return Ok(Vec::new());
        }
        self.moves(
            json!([
                ["invoice_origin", "in", origins],
                ["move_type", "=", "out_invoice"]
            ]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Customer invoices and credit notes whose `ref` is exactly `reference` (how a retried
    /// create finds the move an interrupted attempt wrote), in id order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn by_reference(&self, reference: &str) -> Result<Vec<Invoice>, OdooError> {
        self.moves(
            json!([["ref", "=", reference], customer_types()]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Credit notes (`out_refund`) reversing any of `ids` (`reversed_entry_id`), in id order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn refunds_of(&self, ids: &[MoveId]) -> Result<Vec<Invoice>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.moves(
            json!([
                ["reversed_entry_id", "in", ids],
                ["move_type", "=", "out_refund"]
            ]),
            &SearchOptions::ordered("id asc"),
        )
        .await
    }

    /// Product lines of several moves (sections, notes, tax and receivable lines excluded),
    /// ordered by move, sequence, id.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = LINE, method = "search_read"))]
    pub async fn product_lines_of(&self, ids: &[MoveId]) -> Result<Vec<InvoiceLine>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        self.client
            .orm()
            .search_read(
                LINE,
                json!([["move_id", "in", ids], ["display_type", "=", "product"]]),
                LINE_FIELDS,
                &SearchOptions::ordered("move_id asc, sequence asc, id asc"),
            )
            .await?
            .iter()
            .map(InvoiceLine::from_record)
            .collect()
    }

    /// Active saved payment methods (`payment.token`, `addons/payment/models/payment_token.py`)
    /// of a partner, newest first. A server without the `payment` module answers an error,
    /// which the caller may treat as "none".
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = "payment.token", method = "search"))]
    pub async fn payment_tokens(&self, partner: PartnerId) -> Result<Vec<i64>, OdooError> {
        self.client
            .orm()
            .search(
                "payment.token",
                json!([["partner_id", "=", partner.0], ["active", "=", true]]),
                &SearchOptions::ordered("id desc"),
            )
            .await
    }

    /// Product, section and note lines of a move, in order.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = LINE, method = "search_read"))]
    pub async fn lines(&self, id: MoveId) -> Result<Vec<InvoiceLine>, OdooError> {
        self.client
            .orm()
            .search_read(
                LINE,
                json!([
                    ["move_id", "=", id.0],
                    [
                        "display_type",
                        "in",
                        ["product", "line_section", "line_subsection", "line_note"]
                    ]
                ]),
                LINE_FIELDS,
                &SearchOptions::ordered("sequence asc, id asc"),
            )
            .await?
            .iter()
            .map(InvoiceLine::from_record)
            .collect()
    }

    /// Totals and tax groups, from the computed `tax_totals` (19.0 keys `base_amount_currency`,
    /// `tax_amount_currency`, `total_amount_currency`, `subtotals[].tax_groups[]`; ≤17 keys
    /// `amount_untaxed`, `amount_total`, `groups_by_subtotal` are accepted too). Falls back to the
    /// header amounts when `tax_totals` is empty.
    ///
    /// # Errors
    /// Any [`OdooError`]; [`OdooError::MissingError`]-like `None` is reported as `Decode`.
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "read"))]
    pub async fn tax_totals(&self, id: MoveId) -> Result<TaxTotals, OdooError> {
        let recs = self
            .client
            .orm()
            .read(
                MOVE,
                &[id.0],
                &["amount_untaxed", "amount_tax", "amount_total", "tax_totals"],
            )
            .await?;
        let r = recs
            .first()
            .ok_or_else(|| OdooError::Decode(format!("{MOVE} {id} not returned by read")))?;
        let mut totals = TaxTotals {
            untaxed: r.decimal("amount_untaxed")?,
            tax: r.decimal("amount_tax")?,
            total: r.decimal("amount_total")?,
            groups: Vec::new(),
        };
        if r.has("tax_totals") {
            totals.groups = parse_tax_groups(&r.raw_value("tax_totals"))?;
        }
        Ok(totals)
    }

    /// `action_post()`: validates a draft (assigns the number, sets today as invoice date when
    /// empty; a credit note with `reversed_entry_id` is reconciled with its invoice). Odoo answers
    /// `false`.
    ///
    /// # Errors
    /// [`OdooError::UserError`] listing every problem (not draft, no lines, inactive currency, …).
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "action_post"))]
    pub async fn post(&self, id: MoveId) -> Result<(), OdooError> {
        self.client
            .orm()
            .call(Call::new(MOVE, "action_post").ids([id.0]))
            .await
            .map(|_| ())
    }

    /// `button_draft()`: posted/cancelled → draft (unreconciles). Odoo returns `None`.
    ///
    /// # Errors
    /// Odoo's errors (e.g. a locked period).
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "button_draft"))]
    pub async fn reset_to_draft(&self, id: MoveId) -> Result<(), OdooError> {
        self.client
            .orm()
            .call(Call::new(MOVE, "button_draft").ids([id.0]))
            .await
            .map(|_| ())
    }

    /// `button_cancel()`: cancels (a posted move is reset to draft first). Odoo returns `None`.
    ///
    /// # Errors
    /// Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "button_cancel"))]
    pub async fn cancel(&self, id: MoveId) -> Result<(), OdooError> {
        self.client
            .orm()
            .call(Call::new(MOVE, "button_cancel").ids([id.0]))
            .await
            .map(|_| ())
    }

    /// The payment state of a move (`None` when the move does not exist or has none).
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn payment_state(&self, id: MoveId) -> Result<Option<PaymentState>, OdooError> {
        Ok(self.get(id).await?.and_then(|i| i.payment_state))
    }

    async fn portal_url(&self, id: MoveId, pdf: bool) -> Result<String, OdooError> {
        let mut call = Call::new(MOVE, "get_portal_url").ids([id.0]);
        if pdf {
            call = call.arg("report_type", "pdf").arg("download", true);
        }
        let v = self.client.orm().call(call).await?;
        let rel = odoo_str(&v)?
            .ok_or_else(|| OdooError::Decode("get_portal_url returned false".into()))?;
        self.client
            .base_url()
            .join(rel.trim_start_matches('/'))
            .map(|u| u.to_string())
            .map_err(|e| OdooError::Decode(format!("get_portal_url returned a bad URL: {e}")))
    }

    /// Absolute URL that downloads the invoice PDF without a session:
    /// `get_portal_url(report_type="pdf", download=True)` (creates the access token if missing),
    /// joined to the base URL.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "get_portal_url"))]
    pub async fn pdf_url(&self, id: MoveId) -> Result<String, OdooError> {
        self.portal_url(id, true).await
    }

    /// Absolute URL of the invoice's customer portal page (view and "Pay Now").
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "get_portal_url"))]
    pub async fn portal_page_url(&self, id: MoveId) -> Result<String, OdooError> {
        self.portal_url(id, false).await
    }

    /// A payment link for the amount due: creates a `payment.link.wizard` with context
    /// `active_model = account.move`, `active_id` and reads its computed `link` (opaque URL).
    ///
    /// # Errors
    /// Any [`OdooError`]; [`OdooError::Decode`] when the link is empty.
    #[tracing::instrument(skip_all, fields(model = "payment.link.wizard", method = "create"))]
    pub async fn payment_link(&self, id: MoveId) -> Result<String, OdooError> {
        let mut ctx = Map::new();
        ctx.insert("active_model".into(), json!(MOVE));
        ctx.insert("active_id".into(), json!(id.0));
        ctx.insert("active_ids".into(), json!([id.0]));
        let wiz = self
            .client
            .orm()
            .create_one("payment.link.wizard", Map::new(), ctx)
            .await?;
        let recs = self
            .client
            .orm()
            .read("payment.link.wizard", &[wiz], &["link"])
            .await?;
        recs.first()
            .map(|r| r.str("link"))
            .transpose()?
            .flatten()
            .ok_or_else(|| OdooError::Decode("payment.link.wizard.link is empty".into()))
    }

    /// Records a payment through the `account.payment.register` wizard (context `active_model =
    /// account.move`, `active_ids`), then `action_create_payments()`. Returns the payment id when
    /// the returned action names exactly one.
    ///
    /// # Errors
    /// Odoo's errors (e.g. `UserError` when nothing is due).
    #[tracing::instrument(
        skip_all,
        fields(model = "account.payment.register", method = "action_create_payments")
    )]
    pub async fn register_payment(
        &self,
        id: MoveId,
        p: &PaymentValues,
    ) -> Result<Option<PaymentId>, OdooError> {
        let mut ctx = Map::new();
        ctx.insert("active_model".into(), json!(MOVE));
        ctx.insert("active_ids".into(), json!([id.0]));
        let mut vals = Map::new();
        if let Some(a) = p.amount {
            vals.insert("amount".into(), to_odoo_float(a));
        }
        if let Some(d) = p.date {
            vals.insert("payment_date".into(), to_odoo_date(d));
        }
        if let Some(j) = p.journal {
            vals.insert("journal_id".into(), json!(j.0));
        }
        if let Some(m) = &p.memo {
            vals.insert("communication".into(), to_odoo_str(Some(m)));
        }
        if let Some(t) = p.payment_token {
            vals.insert("payment_token_id".into(), json!(t));
        }
        let wiz = self
            .client
            .orm()
            .create_one("account.payment.register", vals, ctx.clone())
            .await?;
        let mut call = Call::new("account.payment.register", "action_create_payments").ids([wiz]);
        for (k, v) in ctx {
            call = call.context(&k, v);
        }
        let action = self.client.orm().call(call).await?;
        let ids = action_record_ids(&action)?;
        Ok(match ids.as_slice() {
            [one] => Some(PaymentId(*one)),
            _ => None,
        })
    }

    /// Creates a draft customer invoice (`out_invoice`) with its lines; taxes and receivable lines
    /// are generated by Odoo.
    ///
    /// # Errors
    /// [`OdooError::Invalid`] without lines; Odoo's errors.
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "create"))]
    pub async fn create(&self, inv: &NewInvoice) -> Result<MoveId, OdooError> {
        if inv.lines.is_empty() {
            return Err(OdooError::Invalid(
                "an invoice needs at least one line".into(),
            ));
        }
        let mut vals = Map::new();
        vals.insert("move_type".into(), json!("out_invoice"));
        vals.insert("partner_id".into(), json!(inv.partner.0));
        if let Some(c) = inv.currency {
            vals.insert("currency_id".into(), json!(c.0));
        }
        if let Some(d) = inv.invoice_date {
            vals.insert("invoice_date".into(), to_odoo_date(d));
        }
        if let Some(r) = &inv.reference {
            vals.insert("ref".into(), to_odoo_str(Some(r)));
        }
        if let Some(o) = &inv.origin {
            vals.insert("invoice_origin".into(), to_odoo_str(Some(o)));
        }
        let cmds: Vec<Command> = inv
            .lines
            .iter()
            .map(|l| Command::Create(l.vals()))
            .collect();
        vals.insert("invoice_line_ids".into(), Command::list(&cmds));
        let mut ctx = Map::new();
        ctx.insert("default_move_type".into(), json!("out_invoice"));
        Ok(MoveId(self.client.orm().create_one(MOVE, vals, ctx).await?))
    }

    /// Applies line changes to a draft move in one `write` on `invoice_line_ids`.
    ///
    /// # Errors
    /// Odoo's errors (e.g. `UserError` on a posted move).
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "write"))]
    pub async fn change_lines(&self, id: MoveId, changes: &[LineChange]) -> Result<(), OdooError> {
        if changes.is_empty() {
            return Ok(());
        }
        let cmds: Vec<Command> = changes
            .iter()
            .map(|c| match c {
                LineChange::Add(l) => Command::Create(l.vals()),
                LineChange::Update {
                    line,
                    quantity,
                    price_unit,
                } => {
                    let mut v = Map::new();
                    if let Some(q) = quantity {
                        v.insert("quantity".into(), to_odoo_float(*q));
                    }
                    if let Some(p) = price_unit {
                        v.insert("price_unit".into(), to_odoo_float(*p));
                    }
                    Command::Update(line.0, v)
                }
                LineChange::Remove(line) => Command::Delete(line.0),
            })
            .collect();
        let mut vals = Map::new();
        vals.insert("invoice_line_ids".into(), Command::list(&cmds));
        self.client.orm().write(MOVE, &[id.0], vals).await
    }

    /// Ids of posted customer invoices (`out_invoice`) not or partly paid whose due date is
    /// before `today`, at most `limit`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search"))]
    pub async fn overdue_ids(
        &self,
        today: NaiveDate,
        limit: u64,
    ) -> Result<Vec<MoveId>, OdooError> {
        let ids = self
            .client
            .orm()
            .search(
                MOVE,
                json!([
                    ["move_type", "=", "out_invoice"],
                    ["state", "=", "posted"],
                    ["payment_state", "in", ["not_paid", "partial"]],
                    ["invoice_date_due", "<", to_odoo_date(today)]
                ]),
                &SearchOptions {
                    limit: Some(limit),
                    ..SearchOptions::default()
                },
            )
            .await?;
        Ok(ids.into_iter().map(MoveId).collect())
    }

    /// Every posted customer invoice and credit note of `partners` dated (`invoice_date`) from
    /// `from` to before `until`, read in pages of 500 by id.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn posted_between(
        &self,
        partners: &[PartnerId],
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<PostedMove>, OdooError> {
        let partner_ids: Vec<i64> = partners.iter().map(|p| p.0).collect();
        let domain = json!([
            ["move_type", "in", ["out_invoice", "out_refund"]],
            ["state", "=", "posted"],
            ["invoice_date", ">=", to_odoo_date(from)],
            ["invoice_date", "<", to_odoo_date(until)],
            ["partner_id", "in", partner_ids]
        ]);
        self.client
            .orm()
            .search_read_all(MOVE, domain, POSTED_FIELDS, 500, false)
            .await?
            .iter()
            .map(PostedMove::from_record)
            .collect()
    }

    /// The source document (`invoice_origin`, empty when unset) of each move among `ids`;
    /// no call when `ids` is empty.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "search_read"))]
    pub async fn origins_of(
        &self,
        ids: &[MoveId],
    ) -> Result<std::collections::HashMap<MoveId, String>, OdooError> {
        let mut origins = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(origins);
        }
        let ids: Vec<i64> = ids.iter().map(|i| i.0).collect();
        for r in self
            .client
            .orm()
            .search_read(
                MOVE,
                json!([["id", "in", ids]]),
                &["invoice_origin"],
                &SearchOptions::default(),
            )
            .await?
        {
            origins.insert(
                MoveId(r.id()?),
                r.str("invoice_origin")?.unwrap_or_default(),
            );
        }
        Ok(origins)
    }

    /// Sets the customer reference (`ref`) of a move.
    ///
    /// # Errors
    /// Any [`OdooError`].
    #[tracing::instrument(skip_all, fields(model = MOVE, method = "write"))]
    pub async fn set_reference(&self, id: MoveId, reference: &str) -> Result<(), OdooError> {
        let mut vals = Map::new();
        vals.insert("ref".into(), json!(reference));
        self.client.orm().write(MOVE, &[id.0], vals).await
    }
}

fn num(o: &Map<String, Value>, keys: &[&str]) -> Result<Option<Decimal>, OdooError> {
    for k in keys {
        if let Some(v) = o.get(*k) {
            return odoo_decimal(v);
        }
    }
    Ok(None)
}

/// Tax groups from a `tax_totals` value (19.0 and ≤17 shapes); `false`/unknown shapes → none.
fn parse_tax_groups(v: &Value) -> Result<Vec<TaxGroupTotal>, OdooError> {
    let Value::Object(o) = v else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    // 18.0+ (`account_tax.py` `_get_tax_totals_summary`): subtotals[].tax_groups[].
    if let Some(Value::Array(subtotals)) = o.get("subtotals") {
        for st in subtotals {
            if let Some(Value::Array(groups)) = st.get("tax_groups") {
                for g in groups {
                    if let Value::Object(g) = g {
                        out.push(TaxGroupTotal {
                            name: g
                                .get("group_name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            base: num(g, &["base_amount_currency", "base_amount"])?
                                .unwrap_or_default(),
                            amount: num(g, &["tax_amount_currency", "tax_amount"])?
                                .unwrap_or_default(),
                        });
                    }
                }
            }
        }
        return Ok(out);
    }
    // ≤17: groups_by_subtotal: {subtotal name: [{tax_group_name, tax_group_amount, tax_group_base_amount}]}.
    if let Some(Value::Object(by_sub)) = o.get("groups_by_subtotal") {
        for groups in by_sub.values() {
            if let Value::Array(groups) = groups {
                for g in groups {
                    if let Value::Object(g) = g {
                        out.push(TaxGroupTotal {
                            name: g
                                .get("tax_group_name")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            base: num(g, &["tax_group_base_amount"])?.unwrap_or_default(),
                            amount: num(g, &["tax_group_amount"])?.unwrap_or_default(),
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn tax_groups_19_shape() {
        let v = json!({"base_amount_currency": 100.0, "tax_amount_currency": 13.0, "total_amount_currency": 113.0,
            "subtotals": [{"name": "Untaxed Amount", "tax_groups": [
                {"id": 3, "group_name": "HST 13%", "base_amount_currency": 100.0, "tax_amount_currency": 13.0}]}]});
        let g = parse_tax_groups(&v).unwrap();
        assert_eq!(
            g,
            vec![TaxGroupTotal {
                name: "HST 13%".into(),
                base: dec!(100),
                amount: dec!(13)
            }]
        );
        assert!(parse_tax_groups(&json!(false)).unwrap().is_empty());
    }
}
