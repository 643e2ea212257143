//! Lago invoices on Odoo customer invoices (API-NOTES §6; `api:app/controllers/api/v1/
//! invoices_controller.rb`, `app/services/invoices/*`; CONTRACT.md §4.5, §4.7, §4.8).
//!
//! Odoo's `account.move` (`out_invoice`) is the record: amounts, taxes, state and payment state
//! are always read from it. A service sees
//! - the invoices of its subscriptions: `invoice_origin` = the name of one of its `sale.order`s
//!   (the subscription invoicing cron writes it), found on every list ("discovery");
//! - its one-off invoices (`POST /invoices`), created with `ref` = `fusion-billing <request id>`
//!   so that a retried create finds the move an interrupted attempt wrote.
//!
//! The local `invoices` row gives each (service, move) a stable `lago_id` derived from both, so
//! concurrent discoveries agree. Another service never has a row for a move that is not its
//! own, hence `invoice_not_found` for it.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use super::customer_repo::CustomerRow;
use super::error::AccountsError;
use super::invoice_repo::{fee_lago_id, invoice_lago_id, InvoiceRow};
use super::lease;
use super::plan_repo::PlanRow;
use super::plans::charges_of;
use super::subscription_repo::{SubscriptionFilter, SubscriptionRow};
use super::Accounts;
use crate::billing::checked::{self, Overflow};
use crate::billing::money::Currency;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::services::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::catalogue::ProductValues;
use crate::odoo::invoices::{
    Invoice, InvoiceLine, MoveState, MoveType, NewInvoice, NewInvoiceLine, PaymentState,
    PaymentValues,
};
use crate::odoo::{MoveId, OdooClient, OdooError, PartnerId, ProductId, SaleOrderId};

/// The currency of a move (`currency_id`), by its ISO code; a move without one, or in a
/// currency the gateway does not know, counts as the home currency (CAD), as
/// [`InvoiceView::currency`] shows it.
pub fn move_currency(m: &Invoice) -> Currency {
    Currency::parse_or_home(m.currency.as_ref().map(|c| c.name.as_str()))
}

/// An Odoo move's amounts in its currency's minor unit ([`Currency::to_minor`]: by the
/// currency's exponent, half away from zero), converted once (checked) when its view is built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MoveCents {
    /// `amount_untaxed`.
    pub untaxed: i64,
    /// `amount_tax`.
    pub tax: i64,
    /// `amount_total`.
    pub total: i64,
    /// `amount_residual` (what is still due).
    pub residual: i64,
}

impl MoveCents {
    /// The amounts of `m`, in the minor unit of the move's own currency ([`move_currency`]).
    ///
    /// # Errors
    /// [`Overflow`] when one does not fit an `i64` of minor units.
    pub fn of(m: &Invoice) -> Result<MoveCents, Overflow> {
        let c = move_currency(m);
        Ok(MoveCents {
            untaxed: c.to_minor(m.amount_untaxed)?,
            tax: c.to_minor(m.amount_tax)?,
            total: c.to_minor(m.amount_total)?,
            residual: c.to_minor(m.amount_residual)?,
        })
    }
}

/// A fee line's amounts in the invoice currency's minor unit, converted once (checked) when
/// its view is built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCents {
    /// `price_subtotal` (excluding taxes).
    pub subtotal: i64,
    /// `price_subtotal` in minor units, unrounded (Lago's
    /// `sub_total_excluding_taxes_precise_amount_cents`).
    pub precise_subtotal: Decimal,
    /// `price_total` (including taxes).
    pub total: i64,
    /// `price_unit`.
    pub unit: i64,
}

impl LineCents {
    /// The amounts of `l`, a line of a move in `currency`.
    ///
    /// # Errors
    /// [`Overflow`] when one does not fit in minor units.
    pub fn of(l: &InvoiceLine, currency: Currency) -> Result<LineCents, Overflow> {
        Ok(LineCents {
            subtotal: currency.to_minor(l.price_subtotal)?,
            precise_subtotal: currency.to_precise_minor(l.price_subtotal)?,
            total: currency.to_minor(l.price_total)?,
            unit: currency.to_minor(l.price_unit)?,
        })
    }
}

/// Lago `status` of a move: `draft` → `draft`, `posted` → `finalized`, `cancel` → `voided`.
pub fn lago_status(m: &Invoice) -> &'static str {
    match m.state {
        MoveState::Draft => "draft",
        MoveState::Posted => "finalized",
        MoveState::Cancelled => "voided",
        MoveState::Other(_) => "pending",
    }
}

/// Lago `payment_status`: `paid`/`in_payment`/`reversed` → `succeeded`, anything else
/// (`not_paid`, `partial`, …) → `pending`.
pub fn lago_payment_status(m: &Invoice) -> &'static str {
    match m.payment_state {
        Some(PaymentState::Paid) | Some(PaymentState::InPayment) | Some(PaymentState::Reversed) => {
            "succeeded"
        }
        _ => "pending",
    }
}

/// The fee's name: the first line of the invoice line's label that is not the product's
/// display name. Odoo's sale invoicing labels a line "product display name\nsale line name"
/// (`account.move.line._get_journal_items_full_name`; real Odoo 19, issue 14), and Odoo's
/// subscription invoicing appends the period on a further line; the sale line name (e.g.
/// "API calls 1,001–10,000 @ 0.01") is the fee's name. A label that is only the product's
/// display name keeps it.
fn fee_name(l: &InvoiceLine) -> String {
    let label = l.name.clone().unwrap_or_default();
    let mut lines = label.lines();
    let first = lines.next().unwrap_or_default();
    let product = l.product.as_ref().map(|p| p.name.as_str()).unwrap_or("");
    match lines.next() {
        Some(second) if !product.is_empty() && first == product && !second.is_empty() => {
            second.to_string()
        }
        _ => first.to_string(),
    }
}

/// One fee: an Odoo product line of the invoice.
#[derive(Debug, Clone)]
pub struct FeeView {
    /// Stable fee `lago_id` (derived from the invoice `lago_id` and the line id).
    pub lago_id: String,
    /// The Odoo line.
    pub line: InvoiceLine,
    /// Lago `item.type`: `subscription` (base-fee product), `charge` (usage product) or `add_on`.
    pub item_type: &'static str,
    /// `item.code`: plan code, billable metric code or add-on code.
    pub code: String,
    /// `item.name`.
    pub name: String,
    /// Amount (cents, excluding taxes) already credited by earlier, not voided credit notes.
    pub credited_cents: i64,
    /// Sum of the line's percent tax rates (`account.tax.amount`), e.g. 13 for HST, 14.975
    /// for GST + QST; exact, normalised (no trailing zeros).
    pub tax_rate: Decimal,
    /// The line's amounts in cents.
    pub cents: LineCents,
}

impl FeeView {
    /// Amount excluding taxes, cents.
    pub fn amount_cents(&self) -> i64 {
        self.cents.subtotal
    }

    /// Taxes of the line, cents.
    pub fn taxes_cents(&self) -> i64 {
        self.cents.total - self.cents.subtotal
    }

    /// Tax rate in percent: the sum of the line's percent taxes in Odoo (e.g. 13). Lago's
    /// JSON shows it as a float (`taxes_rate: 13.0`); see `crate::api::invoices`.
    pub fn taxes_rate(&self) -> Decimal {
        self.tax_rate
    }

    /// Amount still creditable (cents, excluding taxes).
    pub fn creditable_cents(&self) -> i64 {
        (self.amount_cents() - self.credited_cents).max(0)
    }
}

/// An invoice with everything its Lago JSON shows.
#[derive(Debug, Clone)]
pub struct InvoiceView {
    /// The local link.
    pub row: InvoiceRow,
    /// The Odoo move.
    pub mv: Invoice,
    /// The move's amounts in cents.
    pub cents: MoveCents,
    /// Its product lines as fees.
    pub fees: Vec<FeeView>,
    /// The customer.
    pub customer: CustomerRow,
    /// The subscription of a subscription invoice.
    pub subscription: Option<SubscriptionRow>,
    /// Its plan.
    pub plan: Option<PlanRow>,
    /// Absolute PDF URL (set by `download`).
    pub file_url: Option<String>,
    /// Today (UTC), for `payment_overdue`.
    pub today: NaiveDate,
}

impl InvoiceView {
    /// `payment_overdue`: posted, not paid, due date passed.
    pub fn payment_overdue(&self) -> bool {
        self.mv.state == MoveState::Posted
            && lago_payment_status(&self.mv) != "succeeded"
            && self.mv.due_date.is_some_and(|d| d < self.today)
    }

    /// `issuing_date`: the invoice date, else the creation date, else today.
    pub fn issuing_date(&self) -> NaiveDate {
        self.mv
            .invoice_date
            .or(self.mv.create_date.map(|d| d.date_naive()))
            .unwrap_or(self.today)
    }

    /// ISO currency code of the move.
    pub fn currency(&self) -> String {
        self.mv
            .currency
            .as_ref()
            .map(|c| c.name.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "CAD".into())
    }
}

/// Filters of `GET /invoices` (API-NOTES §6).
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    /// The customer's `external_id`.
    pub external_customer_id: Option<String>,
    /// Lago statuses (any of); empty = all.
    pub statuses: Vec<String>,
    /// Lago payment statuses (any of); empty = all.
    pub payment_statuses: Vec<String>,
    /// Issuing date at or after.
    pub issuing_date_from: Option<NaiveDate>,
    /// Issuing date at or before.
    pub issuing_date_to: Option<NaiveDate>,
    /// Lago `invoice_type` (`subscription` or `one_off`).
    pub invoice_type: Option<String>,
    /// ISO currency code.
    pub currency: Option<String>,
}

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A non-negative integer field (JSON integer or integer text).
pub(crate) fn int_field(m: &Map<String, Value>, k: &str) -> Result<Option<i64>, ()> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().filter(|v| *v >= 0).map(Some).ok_or(()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|v| *v >= 0)
            .map(Some)
            .ok_or(()),
        _ => Err(()),
    }
}

/// `default_code` of the Odoo service product behind an add-on code of a service.
pub fn addon_product_code(service: &ServiceRef, code: &str) -> String {
    format!("FC-{}-addon-{code}", service.name)
}

/// Reference written on the `ref` of a one-off invoice created for request `request_id`.
pub fn one_off_reference(request_id: &str) -> String {
    format!("fusion-billing {request_id}")
}

impl Accounts {
    /// Every subscription row of a service (all statuses).
    async fn all_subscriptions(
        &self,
        service: &ServiceRef,
    ) -> Result<Vec<SubscriptionRow>, AccountsError> {
        Ok(self
            .store
            .list_subscriptions(service.id, &SubscriptionFilter::default(), 1_000_000, 0)
            .await?
            .0)
    }

    /// Discovery: stores a link for every invoice of the service's subscriptions that Odoo has
    /// and the store does not (`invoice_origin` = one of its sale order names).
    async fn discover_invoices(
        &self,
        service: &ServiceRef,
        c: &OdooClient,
        subs: &[SubscriptionRow],
    ) -> Result<(), AccountsError> {
        let ids: Vec<SaleOrderId> = subs
            .iter()
            .filter_map(|s| s.sale_order_id)
            .map(SaleOrderId)
            .collect();
        if ids.is_empty() {
            return Ok(());
        }
        let orders = c.subscriptions().get_many(&ids).await?;
        let by_name: HashMap<String, &SubscriptionRow> = orders
            .iter()
            .filter_map(|o| {
                subs.iter()
                    .find(|s| s.sale_order_id == Some(o.id.0))
                    .map(|s| (o.name.clone(), s))
            })
            .collect();
        let names: Vec<String> = by_name.keys().cloned().collect();
        let known: HashSet<i64> = self
            .store
            .invoices_of_service(service.id)
            .await?
            .iter()
            .map(|r| r.move_id)
            .collect();
        for m in c.invoices().invoices_of_origins(&names).await? {
            if known.contains(&m.id.0) {
                continue;
            }
            let Some(sub) = m.origin.as_ref().and_then(|o| by_name.get(o)) else {
                continue;
            };
            let now = now_micros();
            self.store
                .upsert_invoice(&InvoiceRow {
                    lago_id: invoice_lago_id(service.id, m.id.0),
                    service_id: service.id,
                    move_id: m.id.0,
                    invoice_type: "subscription".into(),
                    customer_id: sub.customer_id.clone(),
                    subscription_id: Some(sub.lago_id.clone()),
                    metadata: "[]".into(),
                    created_at: now,
                    updated_at: now,
                })
                .await?;
        }
        Ok(())
    }

    /// Builds the views of `rows` from Odoo (moves, lines, product codes) and the store
    /// (customers, subscriptions, plans, earlier credit notes). Rows whose move is gone from
    /// Odoo are skipped.
    pub(crate) async fn invoice_views(
        &self,
        service: &ServiceRef,
        c: &OdooClient,
        rows: Vec<InvoiceRow>,
        subs: Option<&[SubscriptionRow]>,
    ) -> Result<Vec<InvoiceView>, AccountsError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<MoveId> = rows.iter().map(|r| MoveId(r.move_id)).collect();
        let inv = c.invoices();
        let moves = inv.get_many(&ids).await?;
        let lines = inv.product_lines_of(&ids).await?;
        let product_ids: Vec<i64> = {
            let mut v: Vec<i64> = lines
                .iter()
                .filter_map(|l| l.product.as_ref().map(|p| p.id))
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let product_ids: Vec<ProductId> = product_ids.into_iter().map(ProductId).collect();
        let codes: HashMap<i64, String> = c
            .catalogue()
            .default_codes(&product_ids)
            .await?
            .into_iter()
            .map(|(id, code)| (id.0, code))
            .collect();
        let mut rates: HashMap<i64, Decimal> = HashMap::new();
        let tax_ids: Vec<i64> = lines
            .iter()
            .flat_map(|l| l.taxes.iter().map(|t| t.0))
            .collect();
        rates.extend(c.catalogue().percent_tax_rates(&tax_ids).await?);
        let owned_subs;
        let subs = match subs {
            Some(s) => s,
            None => {
                owned_subs = self.all_subscriptions(service).await?;
                &owned_subs
            }
        };
        // Credited per fee: credit notes not voided, plus amounts reserved by credit notes
        // being written (see `super::credit_notes`), except the reservation of a credit
        // note that already has its row.
        let mut credited: HashMap<String, i64> = HashMap::new();
        let notes = self.store.credit_notes_of(service.id, None).await?;
        let mut counted: Vec<(String, String)> = notes
            .iter()
            .filter(|cn| cn.voided_at.is_none())
            .map(|cn| (cn.lago_id.clone(), cn.items.clone()))
            .collect();
        for r in self.store.credit_reservations(service.id).await? {
            if !notes.iter().any(|cn| cn.lago_id == r.lago_id) {
                counted.push((r.lago_id, r.items));
            }
        }
        for (_, items) in counted {
            let items: Vec<Value> = serde_json::from_str(&items).unwrap_or_default();
            for it in items {
                if let (Some(f), Some(a)) = (it["fee_id"].as_str(), it["amount_cents"].as_i64()) {
                    let slot = credited.entry(f.to_string()).or_default();
                    *slot = slot.checked_add(a).ok_or(Overflow("credited amount"))?;
                }
            }
        }
        let mut customers: HashMap<String, CustomerRow> = HashMap::new();
        let mut plans: HashMap<String, PlanRow> = HashMap::new();
        let today = Utc::now().date_naive();
        let prefix = format!("FC-{}-", service.name);
        let addon_prefix = format!("FC-{}-addon-", service.name);
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(mv) = moves.iter().find(|m| m.id.0 == row.move_id).cloned() else {
                tracing::warn!(move_id = row.move_id, "invoice no longer in Odoo; skipped");
                continue;
            };
            if !customers.contains_key(&row.customer_id) {
                if let Some(cu) = self
                    .store
                    .customer_by_id(service.id, &row.customer_id)
                    .await?
                {
                    customers.insert(row.customer_id.clone(), cu);
                }
            }
            let Some(customer) = customers.get(&row.customer_id).cloned() else {
                continue;
            };
            let subscription = row
                .subscription_id
                .as_ref()
                .and_then(|id| subs.iter().find(|s| &s.lago_id == id))
                .cloned();
            let plan = match &subscription {
                Some(s) => {
                    if !plans.contains_key(&s.plan_id) {
                        if let Some(p) = self.store.plan_by_id(&s.plan_id).await? {
                            plans.insert(s.plan_id.clone(), p);
                        }
                    }
                    plans.get(&s.plan_id).cloned()
                }
                None => None,
            };
            let charges = plan.as_ref().map(charges_of).unwrap_or_default();
            let currency = move_currency(&mv);
            let fees = lines
                .iter()
                .filter(|l| l.move_id.0 == row.move_id)
                .map(|l| -> Result<FeeView, Overflow> {
                    let pid = l.product.as_ref().map(|p| p.id);
                    let code = pid.and_then(|p| codes.get(&p)).cloned().unwrap_or_default();
                    let name = fee_name(l);
                    let (item_type, code) = if row.invoice_type == "one_off" {
                        (
                            "add_on",
                            code.strip_prefix(&addon_prefix)
                                .unwrap_or(&code)
                                .to_string(),
                        )
                    } else if let Some(ch) =
                        charges.iter().find(|ch| Some(ch.odoo_product_id) == pid)
                    {
                        ("charge", ch.billable_metric_code.clone())
                    } else if plan
                        .as_ref()
                        .is_some_and(|p| Some(p.odoo_product_id) == pid)
                    {
                        (
                            "subscription",
                            plan.as_ref().map(|p| p.code.clone()).unwrap_or_default(),
                        )
                    } else {
                        (
                            "charge",
                            code.strip_prefix(&prefix).unwrap_or(&code).to_string(),
                        )
                    };
                    let lago_id = fee_lago_id(&row.lago_id, l.id.0);
                    let tax_rate = checked::sum(
                        l.taxes.iter().filter_map(|t| rates.get(&t.0).copied()),
                        "tax rate",
                    )?
                    .normalize();
                    Ok(FeeView {
                        tax_rate,
                        credited_cents: credited.get(&lago_id).copied().unwrap_or(0),
                        cents: LineCents::of(l, currency)?,
                        lago_id,
                        line: l.clone(),
                        item_type,
                        code,
                        name,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            out.push(InvoiceView {
                row,
                cents: MoveCents::of(&mv)?,
                mv,
                fees,
                customer,
                subscription,
                plan,
                file_url: None,
                today,
            });
        }
        Ok(out)
    }

    /// One invoice of `service` by `lago_id`, read from Odoo.
    ///
    /// # Errors
    /// 404 `invoice_not_found` (unknown or another service's); Odoo unavailable (503).
    pub async fn invoice(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, AccountsError> {
        let row = self
            .store
            .invoice_by_id(service.id, lago_id)
            .await?
            .ok_or(AccountsError::NotFound(ErrorCode::InvoiceNotFound))?;
        let c = self.odoo.client().await?;
        self.invoice_views(service, &c, vec![row], None)
            .await?
            .into_iter()
            .next()
            .ok_or(AccountsError::NotFound(ErrorCode::InvoiceNotFound))
    }

    /// `GET /invoices`: discovers the service's subscription invoices, then filters; newest
    /// issuing date first. Returns the page and the total count.
    ///
    /// # Errors
    /// Odoo unavailable (503); store errors.
    pub async fn invoices(
        &self,
        service: &ServiceRef,
        filter: &InvoiceFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<InvoiceView>, i64), AccountsError> {
        let c = self.odoo.client().await?;
        let subs = self.all_subscriptions(service).await?;
        self.discover_invoices(service, &c, &subs).await?;
        let mut rows = self.store.invoices_of_service(service.id).await?;
        if let Some(t) = &filter.invoice_type {
            rows.retain(|r| &r.invoice_type == t);
        }
        if let Some(ext) = &filter.external_customer_id {
            match self.store.customer_by_external(service.id, ext).await? {
                Some(cu) => rows.retain(|r| r.customer_id == cu.lago_id),
                None => rows.clear(),
            }
        }
        let mut views: Vec<InvoiceView> = self
            .invoice_views(service, &c, rows, Some(&subs))
            .await?
            .into_iter()
            .filter(|v| {
                (filter.statuses.is_empty()
                    || filter.statuses.iter().any(|s| s == lago_status(&v.mv)))
                    && (filter.payment_statuses.is_empty()
                        || filter
                            .payment_statuses
                            .iter()
                            .any(|s| s == lago_payment_status(&v.mv)))
                    && filter
                        .issuing_date_from
                        .map_or(true, |d| v.issuing_date() >= d)
                    && filter
                        .issuing_date_to
                        .map_or(true, |d| v.issuing_date() <= d)
                    && filter
                        .currency
                        .as_ref()
                        .map_or(true, |c| c.eq_ignore_ascii_case(&v.currency()))
            })
            .collect();
        views.sort_by(|a, b| {
            b.issuing_date()
                .cmp(&a.issuing_date())
                .then(b.mv.id.0.cmp(&a.mv.id.0))
        });
        let total = views.len() as i64;
        let page = views
            .into_iter()
            .skip(offset.max(0) as usize)
            .take(limit.max(0) as usize)
            .collect();
        Ok((page, total))
    }

    /// `POST /invoices`: a one-off invoice from add-on fees, posted in Odoo with the products'
    /// taxes. `request_id` keys the Odoo `ref`, so a retry with the same id (the
    /// `Idempotency-Key`) resumes instead of creating a second move.
    ///
    /// Input: `{"external_customer_id","currency","fees":[{"add_on_code","unit_amount_cents",
    /// "units","description","invoice_display_name"}]}`; each add-on code maps to the service
    /// product `FC-<service>-addon-<code>`, created on first use.
    ///
    /// # Errors
    /// 404 `customer_not_found`, `fees_not_found` (no fees), `add_on_not_found` (a fee without
    /// code); 422 `unit_amount_cents`/`units` `value_is_invalid`, `currency`
    /// `currencies_does_not_match`; Odoo unavailable or refusing.
    pub async fn create_one_off_invoice(
        &self,
        service: &ServiceRef,
        input: &Map<String, Value>,
        request_id: &str,
    ) -> Result<InvoiceView, AccountsError> {
        let ext = text(input, "external_customer_id")
            .ok_or(AccountsError::NotFound(ErrorCode::CustomerNotFound))?;
        let customer = self
            .store
            .customer_by_external(service.id, &ext)
            .await?
            .ok_or(AccountsError::NotFound(ErrorCode::CustomerNotFound))?;
        let fees = match input.get("fees") {
            Some(Value::Array(a)) if !a.is_empty() => a.clone(),
            _ => return Err(AccountsError::NotFound(ErrorCode::FeesNotFound)),
        };
        struct Fee {
            code: String,
            unit_cents: i64,
            units: Decimal,
            label: String,
            display: Option<String>,
        }
        let mut parsed = Vec::new();
        for f in &fees {
            let Value::Object(f) = f else {
                return Err(AccountsError::NotFound(ErrorCode::AddOnNotFound));
            };
            let code =
                text(f, "add_on_code").ok_or(AccountsError::NotFound(ErrorCode::AddOnNotFound))?;
            let unit_cents = int_field(f, "unit_amount_cents")
                .map_err(|()| AccountsError::field("unit_amount_cents", FieldCode::ValueIsInvalid))?
                .ok_or_else(|| {
                    AccountsError::field("unit_amount_cents", FieldCode::ValueIsMandatory)
                })?;
            let units = match f.get("units") {
                None | Some(Value::Null) => Decimal::ONE,
                Some(Value::Number(n)) => n
                    .to_string()
                    .parse::<Decimal>()
                    .map_err(|_| AccountsError::field("units", FieldCode::ValueIsInvalid))?,
                Some(Value::String(s)) => s
                    .trim()
                    .parse::<Decimal>()
                    .map_err(|_| AccountsError::field("units", FieldCode::ValueIsInvalid))?,
                _ => return Err(AccountsError::field("units", FieldCode::ValueIsInvalid)),
            };
            if units <= Decimal::ZERO {
                return Err(AccountsError::field("units", FieldCode::ValueIsInvalid));
            }
            // The line (and so the invoice, taxes included) must fit the one bound on cents
            // (`crate::limits`) before anything is written to Odoo, whoever calls this flow.
            let line_cents = Decimal::from(unit_cents)
                .checked_mul(units)
                .filter(|c| c.abs() <= Decimal::from(crate::limits::MAX_AMOUNT_CENTS));
            if line_cents.is_none() {
                return Err(AccountsError::field("units", FieldCode::ValueIsOutOfRange));
            }
            let display = text(f, "invoice_display_name");
            let label = text(f, "description")
                .or_else(|| display.clone())
                .unwrap_or_else(|| code.clone());
            parsed.push(Fee {
                code,
                unit_cents,
                units,
                label,
                display,
            });
        }
        let c = self.odoo.client().await?;
        // The move is in the company's currency (`currency: None` below): the add-ons'
        // `unit_amount_cents` are minor units of it.
        let company = c.catalogue().company_currency().await?;
        let currency = Currency::parse_or_home(Some(&company.code));
        if let Some(cur) = text(input, "currency") {
            let customer_cur = super::customers::attributes(&customer)
                .currency
                .map(|c| c.to_uppercase())
                .filter(|s| !s.is_empty());
            if !cur.eq_ignore_ascii_case(&company.code)
                || customer_cur.is_some_and(|cc| !cc.eq_ignore_ascii_case(&cur))
            {
                return Err(AccountsError::field(
                    "currency",
                    FieldCode::CurrenciesDoesNotMatch,
                ));
            }
        }
        let reference = one_off_reference(request_id);
        let inv = c.invoices();
        let existing = inv
            .by_reference(&reference)
            .await?
            .into_iter()
            .find(|m| m.move_type == MoveType::Invoice && m.state != MoveState::Cancelled);
        let move_id = match existing {
            Some(m) => m.id,
            None => {
                let mut lines = Vec::with_capacity(parsed.len());
                for f in &parsed {
                    let product = self
                        .addon_product(
                            service,
                            &c,
                            f.code.as_str(),
                            f.display.as_deref(),
                            currency.from_minor(f.unit_cents),
                        )
                        .await?;
                    lines.push(NewInvoiceLine {
                        product: Some(product),
                        name: Some(f.label.clone()),
                        quantity: f.units,
                        price_unit: currency.from_minor(f.unit_cents),
                        taxes: None,
                    });
                }
                inv.create(&NewInvoice {
                    partner: PartnerId(customer.partner_id),
                    currency: None,
                    invoice_date: None,
                    reference: Some(reference.clone()),
                    origin: None,
                    lines,
                })
                .await?
            }
        };
        if inv
            .get(move_id)
            .await?
            .is_some_and(|m| m.state == MoveState::Draft)
        {
            inv.post(move_id).await?;
        }
        let now = now_micros();
        let row = self
            .store
            .upsert_invoice(&InvoiceRow {
                lago_id: invoice_lago_id(service.id, move_id.0),
                service_id: service.id,
                move_id: move_id.0,
                invoice_type: "one_off".into(),
                customer_id: customer.lago_id.clone(),
                subscription_id: None,
                metadata: "[]".into(),
                created_at: now,
                updated_at: now,
            })
            .await?;
        tracing::info!(service = %service.name, move_id = move_id.0, "one-off invoice posted in Odoo");
        self.invoice_views(service, &c, vec![row], Some(&[][..]))
            .await?
            .into_iter()
            .next()
            .ok_or(AccountsError::NotFound(ErrorCode::InvoiceNotFound))
    }

    /// The service product of an add-on code (found by `default_code`, created on first use
    /// with `list_price`, major units of the company currency).
    async fn addon_product(
        &self,
        service: &ServiceRef,
        c: &OdooClient,
        code: &str,
        display: Option<&str>,
        list_price: Decimal,
    ) -> Result<ProductId, AccountsError> {
        let default_code = addon_product_code(service, code);
        let cat = c.catalogue();
        if let Some(p) = cat
            .find_products_by_code(&default_code)
            .await?
            .into_iter()
            .next()
        {
            return Ok(p.id);
        }
        Ok(cat
            .create_service_product(&ProductValues {
                name: Some(
                    display
                        .map(String::from)
                        .unwrap_or_else(|| format!("{code} ({})", service.name)),
                ),
                default_code: Some(default_code),
                list_price: Some(list_price),
                ..ProductValues::default()
            })
            .await?)
    }

    /// `POST /invoices/{id}/void`: a posted invoice with nothing paid or credited is cancelled
    /// in Odoo with one `button_cancel` call, which resets a posted move to draft itself
    /// (`account_move.py` `button_cancel` → `button_draft`; CONTRACT.md §4.5). One RPC instead of
    /// `button_draft` + `button_cancel`: an outage between the two would leave a draft that a
    /// retry could no longer void.
    ///
    /// # Errors
    /// 404 `invoice_not_found`; 405 `not_voidable` (draft, voided, paid, partly paid or
    /// credited); Odoo unavailable.
    pub async fn void_invoice(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, AccountsError> {
        let lease = lease::names::invoice(service.id, lago_id);
        self.under_lease(lease, || self.void_invoice_locked(service, lago_id))
            .await
    }

    async fn void_invoice_locked(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, AccountsError> {
        let v = self.invoice(service, lago_id).await?;
        let voidable = v.mv.state == MoveState::Posted
            && matches!(v.mv.payment_state, None | Some(PaymentState::NotPaid))
            && v.mv.amount_residual == v.mv.amount_total;
        if !voidable {
            return Err(AccountsError::NotAllowed(ErrorCode::NotVoidable));
        }
        let c = self.odoo.client().await?;
        c.invoices().cancel(v.mv.id).await?;
        tracing::info!(service = %service.name, move_id = v.mv.id.0, "invoice voided in Odoo");
        self.invoice(service, lago_id).await
    }

    /// `PUT /invoices/{id}/finalize`: posts a draft (`action_post`).
    ///
    /// # Errors
    /// 404 `invoice_not_found` (also when it is not a draft, as Lago); Odoo errors.
    pub async fn finalize_invoice(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, AccountsError> {
        let lease = lease::names::invoice(service.id, lago_id);
        self.under_lease(lease, || self.finalize_invoice_locked(service, lago_id))
            .await
    }

    async fn finalize_invoice_locked(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, AccountsError> {
        let v = self.invoice(service, lago_id).await?;
        if v.mv.state != MoveState::Draft {
            return Err(AccountsError::NotFound(ErrorCode::InvoiceNotFound));
        }
        self.odoo.client().await?.invoices().post(v.mv.id).await?;
        self.invoice(service, lago_id).await
    }

    /// `PUT /invoices/{id}`: `payment_status` `succeeded` registers the amount due as a payment
    /// in Odoo (`account.payment.register`; nothing when nothing is due, so a retry is safe);
    /// `pending`/`failed` change nothing in Odoo. `metadata` (`[{"id?","key","value"}]`)
    /// replaces the local metadata (entries keep their `lago_id` when `id` is given).
    ///
    /// # Errors
    /// 404 `invoice_not_found`; 405 `update_on_voided_invoice`, `invalid_status` (payment on a
    /// draft); 422 `payment_status` `value_is_invalid`; Odoo unavailable or refusing.
    pub async fn update_invoice(
        &self,
        service: &ServiceRef,
        lago_id: &str,
        input: &Map<String, Value>,
    ) -> Result<InvoiceView, AccountsError> {
        let lease = lease::names::invoice(service.id, lago_id);
        self.under_lease(lease, || {
            self.update_invoice_locked(service, lago_id, input)
        })
        .await
    }

    async fn update_invoice_locked(
        &self,
        service: &ServiceRef,
        lago_id: &str,
        input: &Map<String, Value>,
    ) -> Result<InvoiceView, AccountsError> {
        let v = self.invoice(service, lago_id).await?;
        if v.mv.state == MoveState::Cancelled {
            return Err(AccountsError::NotAllowed(ErrorCode::UpdateOnVoidedInvoice));
        }
        let payment_status = text(input, "payment_status");
        if let Some(ps) = &payment_status {
            if !matches!(ps.as_str(), "succeeded" | "failed" | "pending") {
                return Err(AccountsError::field(
                    "payment_status",
                    FieldCode::ValueIsInvalid,
                ));
            }
        }
        if let Some(Value::Array(entries)) = input.get("metadata") {
            let old: Vec<Value> = serde_json::from_str(&v.row.metadata).unwrap_or_default();
            let now = now_micros();
            let mut out = Vec::new();
            for e in entries {
                let Value::Object(e) = e else { continue };
                let key = text(e, "key").unwrap_or_default();
                let id = text(e, "id");
                let prev = id
                    .as_ref()
                    .and_then(|id| old.iter().find(|o| o["lago_id"].as_str() == Some(id)));
                out.push(json!({
                    "lago_id": id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
                    "key": key,
                    "value": e.get("value").cloned().unwrap_or(Value::Null),
                    "created_at": prev.map(|p| p["created_at"].clone()).unwrap_or_else(|| json!(crate::meter::time::from_micros(now).to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
                }));
            }
            self.store
                .set_invoice_metadata(service.id, lago_id, &Value::Array(out).to_string(), now)
                .await?;
        }
        if payment_status.as_deref() == Some("succeeded")
            && lago_payment_status(&v.mv) != "succeeded"
        {
            if v.mv.state != MoveState::Posted {
                return Err(AccountsError::NotAllowed(ErrorCode::InvalidStatus));
            }
            if v.mv.amount_residual > Decimal::ZERO {
                let c = self.odoo.client().await?;
                c.invoices()
                    .register_payment(
                        v.mv.id,
                        &PaymentValues {
                            memo: v.mv.number.clone(),
                            ..PaymentValues::default()
                        },
                    )
                    .await?;
                tracing::info!(service = %service.name, move_id = v.mv.id.0, "payment registered in Odoo");
            }
        }
        self.invoice(service, lago_id).await
    }

    /// `POST /invoices/{id}/download`: the invoice with `file_url` = the absolute Odoo portal URL
    /// of its PDF (`get_portal_url(report_type="pdf", download=True)`, CONTRACT.md §4.7).
    ///
    /// # Errors
    /// 404 `invoice_not_found` (also for a draft, as Lago); Odoo unavailable.
    pub async fn download_invoice(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<InvoiceView, AccountsError> {
        let mut v = self.invoice(service, lago_id).await?;
        if v.mv.state == MoveState::Draft {
            return Err(AccountsError::NotFound(ErrorCode::InvoiceNotFound));
        }
        let c = self.odoo.client().await?;
        v.file_url = Some(c.invoices().pdf_url(v.mv.id).await?);
        Ok(v)
    }

    /// `POST /invoices/{id}/retry_payment`: charges the customer's newest saved payment method
    /// (`payment.token` of the invoice partner) for the amount due, through
    /// `account.payment.register` with `payment_token_id`.
    ///
    /// # Errors
    /// 404 `invoice_not_found`; 405 `invalid_status` (draft, voided or paid), 405
    /// `no_payment_method` (no saved token, or Odoo without the `payment` module); Odoo
    /// unavailable or refusing.
    pub async fn retry_invoice_payment(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<(), AccountsError> {
        let lease = lease::names::invoice(service.id, lago_id);
        self.under_lease(lease, || {
            self.retry_invoice_payment_locked(service, lago_id)
        })
        .await
    }

    async fn retry_invoice_payment_locked(
        &self,
        service: &ServiceRef,
        lago_id: &str,
    ) -> Result<(), AccountsError> {
        let v = self.invoice(service, lago_id).await?;
        if v.mv.state != MoveState::Posted || lago_payment_status(&v.mv) == "succeeded" {
            return Err(AccountsError::NotAllowed(ErrorCode::InvalidStatus));
        }
        let c = self.odoo.client().await?;
        let partner =
            v.mv.partner
                .as_ref()
                .map(|p| PartnerId(p.id))
                .unwrap_or(PartnerId(v.customer.partner_id));
        let tokens = match c.invoices().payment_tokens(partner).await {
            Ok(t) => t,
            Err(e) if e.is_unavailable() => return Err(e.into()),
            Err(OdooError::Http { status, .. }) if status >= 500 => {
                return Err(AccountsError::OdooUnavailable(format!("HTTP {status}")))
            }
            Err(e) => {
                tracing::info!(error = %e, "no payment.token model in Odoo; no saved payment method");
                Vec::new()
            }
        };
        let Some(token) = tokens.first() else {
            return Err(AccountsError::NotAllowed(ErrorCode::NoPaymentMethod));
        };
        if v.mv.amount_residual > Decimal::ZERO {
            c.invoices()
                .register_payment(
                    v.mv.id,
                    &PaymentValues {
                        memo: v.mv.number.clone(),
                        payment_token: Some(*token),
                        ..PaymentValues::default()
                    },
                )
                .await?;
        }
        Ok(())
    }
}
