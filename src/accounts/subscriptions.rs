//! Lago subscriptions on Odoo subscriptions (API-NOTES §2; `api:app/services/subscriptions/
//! create_service.rb`, `plan_upgrade_service.rb`, `plan_downgrade_service.rb`,
//! `terminate_service.rb`; CONTRACT.md §4.3–§4.4).
//!
//! Each Lago subscription is one confirmed `sale.order` with `plan_id`, the base-fee line and
//! one usage line per charge, so each app's usage lands on its own Odoo invoice. The local
//! row is claimed first (`incomplete`, partial unique index on the live `external_id`), the
//! order is found again by its `origin` (`fusion-billing <lago_id>`) on a retry, and only
//! then confirmed: a create interrupted anywhere resumes on the next identical POST.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use super::customer_repo::{CustomerRow, Inserted};
use super::customers::{attributes, CustomerChanges, CustomerUpsert, Patch};
use super::error::AccountsError;
use super::lease;
use super::plan_repo::PlanRow;
use super::plans::{charges_of, yearly_amount_cents};
use super::subscription_repo::{SubscriptionFilter, SubscriptionRow};
use super::Accounts;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::services::ServiceRef;
use crate::meter::time::{from_micros, now_micros, to_micros};
use crate::odoo::subscriptions::{
    NewOrderLine, NewSubscription, OrderPatch, OrderState, SaleOrder, SubscriptionState,
};
use crate::odoo::{PlanId, ProductId, SaleOrderId};

/// The Lago status of an Odoo order: `cancel` → `canceled`; `subscription_state`
/// `1_draft`/`2_renewal` → `pending`, `3_progress`/`4_paused`/`7_upsell` → `active`,
/// `5_renewed`/`6_churn` → `terminated`.
pub fn lago_status(order: &SaleOrder) -> &'static str {
    if order.state == OrderState::Cancel {
        return "canceled";
    }
    match order.subscription_state {
        Some(SubscriptionState::InProgress)
        | Some(SubscriptionState::Paused)
        | Some(SubscriptionState::Upsell) => "active",
        Some(SubscriptionState::Renewed) | Some(SubscriptionState::Churned) => "terminated",
        _ => "pending",
    }
}

/// The order's current billing window `[last_invoice_date or start_date, next_invoice_date)`
/// as UTC midnights. Before the first invoice Odoo's `next_invoice_date` equals the start;
/// the window is then one plan period from the start. `None` without a start date.
pub fn billing_window(order: &SaleOrder, interval: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let from = order.last_invoice_date.or(order.start_date)?;
    let mut to = order.next_invoice_date.unwrap_or(from);
    if to <= from {
        to = add_interval(from, interval);
    }
    Some((midnight(from), midnight(to)))
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// `d` plus one Lago interval.
pub fn add_interval(d: NaiveDate, interval: &str) -> NaiveDate {
    use chrono::Months;
    match interval {
        "weekly" => d + chrono::Duration::days(7),
        "quarterly" => d.checked_add_months(Months::new(3)).unwrap_or(d),
        "semiannual" => d.checked_add_months(Months::new(6)).unwrap_or(d),
        "yearly" => d.checked_add_months(Months::new(12)).unwrap_or(d),
        _ => d.checked_add_months(Months::new(1)).unwrap_or(d),
    }
}

/// The row that replaces `current` on `plan` from now (plan change): same app, customer
/// and `external_id`, a new `lago_id`, `incomplete` until its order is written.
fn successor(current: &SubscriptionRow, plan: &PlanRow) -> SubscriptionRow {
    let now = now_micros();
    SubscriptionRow {
        lago_id: uuid::Uuid::new_v4().to_string(),
        plan_id: plan.lago_id.clone(),
        sale_order_id: None,
        status: "incomplete".into(),
        subscription_at: now,
        started_at: None,
        terminated_at: None,
        canceled_at: None,
        previous_plan_id: Some(current.plan_id.clone()),
        next_plan_id: None,
        downgrade_plan_date: None,
        created_at: now,
        updated_at: now,
        ..current.clone()
    }
}

fn origin_of(lago_id: &str) -> String {
    format!("fusion-billing {lago_id}")
}

fn parse_time(v: &Value) -> Result<i64, ()> {
    let s = v.as_str().ok_or(())?;
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(to_micros(t.with_timezone(&Utc)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(to_micros(midnight(d)));
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S") {
        return Ok(to_micros(t.and_utc()));
    }
    Err(())
}

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    match m.get(k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A subscription with what its JSON needs.
#[derive(Debug, Clone)]
pub struct SubscriptionView {
    pub row: SubscriptionRow,
    pub customer: CustomerRow,
    pub plan: PlanRow,
    pub previous_plan_code: Option<String>,
    pub next_plan_code: Option<String>,
    /// The current billing window from Odoo, when known.
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Accounts {
    /// `POST /subscriptions` (see the module doc and API-NOTES §2 for the cases).
    ///
    /// # Errors
    /// `plan_not_found`; 422 `external_id`/`external_customer_id`/`plan_code`
    /// `value_is_mandatory`, `billing_time` `value_is_invalid`, `subscription_at`
    /// `invalid_date`, `external_id` `value_already_exist` (live under another customer),
    /// `currency` `currencies_does_not_match`; Odoo unavailable (retry is safe).
    pub async fn create_subscription(
        &self,
        service: &ServiceRef,
        input: &Map<String, Value>,
    ) -> Result<SubscriptionView, AccountsError> {
        let mut errors = Map::new();
        let mut add = |f: &str, c: FieldCode| {
            errors.insert(f.into(), json!([c]));
        };
        let external_customer_id = text(input, "external_customer_id");
        let plan_code = text(input, "plan_code");
        let external_id = text(input, "external_id");
        if external_customer_id.is_none() {
            add("external_customer_id", FieldCode::ValueIsMandatory);
        }
        if plan_code.is_none() {
            add("plan_code", FieldCode::ValueIsMandatory);
        }
        if external_id.is_none() {
            add("external_id", FieldCode::ValueIsMandatory);
        }
        let billing_time = text(input, "billing_time").unwrap_or_else(|| "calendar".into());
        if !matches!(billing_time.as_str(), "calendar" | "anniversary") {
            add("billing_time", FieldCode::ValueIsInvalid);
        }
        let now = now_micros();
        let subscription_at = match input.get("subscription_at") {
            None | Some(Value::Null) => now,
            Some(v) => parse_time(v).unwrap_or_else(|()| {
                add("subscription_at", FieldCode::InvalidDate);
                now
            }),
        };
        let ending_at = match input.get("ending_at") {
            None | Some(Value::Null) => None,
            Some(v) => match parse_time(v) {
                Ok(t) => Some(t),
                Err(()) => {
                    add("ending_at", FieldCode::InvalidDate);
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(AccountsError::Validation(errors));
        }
        let (ext_customer, plan_code, external_id) = (
            external_customer_id.unwrap_or_default(),
            plan_code.unwrap_or_default(),
            external_id.unwrap_or_default(),
        );
        let plan = self.plan(service, &plan_code).await?;
        let customer = self
            .customer_for_subscription(service, &ext_customer, &plan)
            .await?;
        // One holder per external_id: thirty identical POSTs at once are served in turn, the
        // first writes the order, the others find it live (see `super::lease`).
        let lease_name = lease::names::subscription(service.id, &external_id);
        self.under_lease(lease_name, || async {
            // Cut-over of an imported shadow copy (see `super::shadow`).
            self.claim_shadow(service, &external_id, &customer, &plan)
                .await?;
            self.create_locked(
                service,
                input,
                &customer,
                &plan,
                &external_id,
                &billing_time,
                subscription_at,
                ending_at,
                now,
            )
            .await
        })
        .await
    }

    /// The part of [`Accounts::create_subscription`] that runs under the subscription's lease.
    #[allow(clippy::too_many_arguments)]
    async fn create_locked(
        &self,
        service: &ServiceRef,
        input: &Map<String, Value>,
        customer: &CustomerRow,
        plan: &PlanRow,
        external_id: &str,
        billing_time: &str,
        subscription_at: i64,
        ending_at: Option<i64>,
        now: i64,
    ) -> Result<SubscriptionView, AccountsError> {
        loop {
            let live = self
                .store
                .live_subscription(service.id, external_id)
                .await?;
            let row = match live {
                Some(l) if l.customer_id != customer.lago_id => {
                    return Err(AccountsError::field(
                        "external_id",
                        FieldCode::ValueAlreadyExist,
                    ));
                }
                Some(l) if l.plan_id == plan.lago_id => {
                    if l.status == "incomplete" {
                        self.materialize(service, l, customer, plan).await?
                    } else {
                        l
                    }
                }
                Some(l) => self.change_plan(service, l, customer, plan).await?,
                None => {
                    let row = SubscriptionRow {
                        lago_id: uuid::Uuid::new_v4().to_string(),
                        service_id: service.id,
                        external_id: external_id.to_string(),
                        customer_id: customer.lago_id.clone(),
                        plan_id: plan.lago_id.clone(),
                        sale_order_id: None,
                        status: "incomplete".into(),
                        name: text(input, "name"),
                        billing_time: billing_time.to_string(),
                        subscription_at,
                        started_at: None,
                        ending_at,
                        terminated_at: None,
                        canceled_at: None,
                        previous_plan_id: None,
                        next_plan_id: None,
                        downgrade_plan_date: None,
                        created_at: now,
                        updated_at: now,
                    };
                    match self.store.insert_subscription(&row).await? {
                        Inserted::Yes => self.materialize(service, row, customer, plan).await?,
                        Inserted::Conflict => continue,
                    }
                }
            };
            return self.view(service, row, None).await;
        }
    }

    /// The customer a subscription is created for: the existing one, or a bare one (Lago
    /// creates it from the `external_customer_id`), with the plan's currency.
    async fn customer_for_subscription(
        &self,
        service: &ServiceRef,
        external_id: &str,
        plan: &PlanRow,
    ) -> Result<CustomerRow, AccountsError> {
        let existing = self
            .store
            .customer_by_external(service.id, external_id)
            .await?;
        let currency = existing
            .as_ref()
            .and_then(|c| attributes(c).currency)
            .filter(|c| !c.is_empty());
        match (&existing, currency) {
            (Some(_), Some(c)) if !c.eq_ignore_ascii_case(&plan.amount_currency) => Err(
                AccountsError::field("currency", FieldCode::CurrenciesDoesNotMatch),
            ),
            (Some(c), Some(_)) => Ok(c.clone()),
            _ => {
                let cmd = CustomerUpsert {
                    external_id: external_id.trim().to_string(),
                    changes: CustomerChanges {
                        currency: Patch::Set(plan.amount_currency.trim().to_string()),
                        ..CustomerChanges::default()
                    },
                };
                Ok(self.upsert_customer(service, &cmd).await?.0)
            }
        }
    }

    /// Writes the Odoo order of an `incomplete` row (found again by `origin` if a previous
    /// attempt created it), confirms it when it starts now or earlier, and stores the result.
    async fn materialize(
        &self,
        service: &ServiceRef,
        mut row: SubscriptionRow,
        customer: &CustomerRow,
        plan: &PlanRow,
    ) -> Result<SubscriptionRow, AccountsError> {
        let c = self.odoo.client_with_fields().await?;
        let subs = c.subscriptions();
        let origin = origin_of(&row.lago_id);
        let order_id =
            match row.sale_order_id {
                Some(id) => SaleOrderId(id),
                None => match subs.find_by_origin(&origin).await?.into_iter().next() {
                    Some(o) => o.id,
                    None => {
                        let mut lines = vec![NewOrderLine {
                            product: ProductId(plan.odoo_product_id),
                            quantity: Decimal::ONE,
                            price_unit: Some(
                                crate::billing::money::Currency::parse_or_home(Some(
                                    &plan.amount_currency,
                                ))
                                .from_minor(plan.amount_cents),
                            ),
                            name: Some(format!("{} – {}", plan.name, service.name)),
                            taxes: None,
                        }];
                        for ch in charges_of(plan) {
                            lines.push(NewOrderLine {
                                product: ProductId(ch.odoo_product_id),
                                quantity: Decimal::ZERO,
                                price_unit: Some(Decimal::ZERO),
                                name: Some(ch.invoice_display_name.clone().unwrap_or_else(|| {
                                    format!("{} usage", ch.billable_metric_code)
                                })),
                                taxes: None,
                            });
                        }
                        let start = from_micros(row.subscription_at).date_naive();
                        let id = subs
                            .create(&NewSubscription {
                                partner: crate::odoo::PartnerId(customer.partner_id),
                                plan: PlanId(plan.odoo_plan_id),
                                start_date: Some(start),
                                next_invoice_date: None,
                                client_order_ref: Some(row.external_id.clone()),
                                origin: Some(origin.clone()),
                                lines,
                            })
                            .await?;
                        let patch = OrderPatch {
                            plan_code: Some(plan.code.clone()),
                            end_date: row.ending_at.map(|end| Some(from_micros(end).date_naive())),
                            ..OrderPatch::default()
                        };
                        subs.update(id, &patch).await?;
                        id
                    }
                },
            };
        row.sale_order_id = Some(order_id.0);
        row.updated_at = now_micros();
        self.store.update_subscription(&row).await?;
        if row.subscription_at <= now_micros() {
            let order = subs.window_of(order_id).await?;
            if order.as_ref().is_some_and(|o| lago_status(o) == "pending") {
                subs.confirm(order_id).await?;
            }
            row.status = "active".into();
            row.started_at = Some(row.started_at.unwrap_or_else(now_micros));
        } else {
            row.status = "pending".into();
        }
        row.updated_at = now_micros();
        self.store.update_subscription(&row).await?;
        tracing::info!(service = %service.name, sale_order_id = order_id.0, status = %row.status, "subscription written to Odoo");
        Ok(row)
    }

    /// A different plan for a live subscription: upgrade (yearly amount ≥ current) ends the
    /// current one now and starts a new one; downgrade waits for the end of the current
    /// billing period (`next_plan_code`, `downgrade_plan_date`).
    async fn change_plan(
        &self,
        service: &ServiceRef,
        mut current: SubscriptionRow,
        customer: &CustomerRow,
        plan: &PlanRow,
    ) -> Result<SubscriptionRow, AccountsError> {
        let current_plan = self.plan_of(&current).await?;
        let upgrade = current.status != "active"
            || yearly_amount_cents(plan) >= yearly_amount_cents(&current_plan);
        if !upgrade {
            let c = self.odoo.client().await?;
            let order = match current.sale_order_id {
                Some(id) => c.subscriptions().window_of(SaleOrderId(id)).await?,
                None => None,
            };
            let end = order
                .as_ref()
                .and_then(|o| billing_window(o, &current_plan.interval))
                .map(|(_, to)| to.date_naive())
                .unwrap_or_else(|| Utc::now().date_naive());
            current.next_plan_id = Some(plan.lago_id.clone());
            current.downgrade_plan_date = Some(end.format("%Y-%m-%d").to_string());
            current.updated_at = now_micros();
            self.store.update_subscription(&current).await?;
            return Ok(current);
        }
        self.end_subscription(&mut current).await?;
        let row = successor(&current, plan);
        match self.store.insert_subscription(&row).await? {
            Inserted::Yes => self.materialize(service, row, customer, plan).await,
            Inserted::Conflict => Err(AccountsError::field(
                "external_id",
                FieldCode::ValueAlreadyExist,
            )),
        }
    }

    /// Ends a live subscription in Odoo and locally: an active one is closed (`set_close` →
    /// `6_churn`, `terminated`), a pending one cancelled (`action_cancel`, `canceled`).
    async fn end_subscription(&self, row: &mut SubscriptionRow) -> Result<(), AccountsError> {
        let now = now_micros();
        if let Some(id) = row.sale_order_id {
            let c = self.odoo.client().await?;
            let subs = c.subscriptions();
            let order = subs.window_of(SaleOrderId(id)).await?;
            match order.as_ref().map(lago_status) {
                Some("active") => subs.close(SaleOrderId(id), None).await?,
                Some("pending") => subs.cancel(SaleOrderId(id)).await?,
                _ => {}
            }
        }
        if row.status == "active" {
            row.status = "terminated".into();
            row.terminated_at = Some(now);
        } else {
            row.status = "canceled".into();
            row.canceled_at = Some(now);
        }
        row.next_plan_id = None;
        row.downgrade_plan_date = None;
        row.updated_at = now;
        self.store.update_subscription(row).await?;
        Ok(())
    }

    /// `DELETE /subscriptions/{external_id}`: terminates the active subscription (or, with
    /// `status=pending`, cancels the pending one).
    ///
    /// # Errors
    /// `subscription_not_found`; Odoo unavailable (nothing changes locally then).
    pub async fn terminate_subscription(
        &self,
        service: &ServiceRef,
        external_id: &str,
        status: Option<&str>,
    ) -> Result<SubscriptionView, AccountsError> {
        let name = lease::names::subscription(service.id, external_id);
        self.under_lease(name, || self.terminate_locked(service, external_id, status))
            .await
    }

    async fn terminate_locked(
        &self,
        service: &ServiceRef,
        external_id: &str,
        status: Option<&str>,
    ) -> Result<SubscriptionView, AccountsError> {
        let wanted = status.unwrap_or("active");
        let mut row = self
            .store
            .live_subscription(service.id, external_id)
            .await?
            .filter(|r| r.status == wanted)
            .ok_or(AccountsError::NotFound(ErrorCode::SubscriptionNotFound))?;
        self.end_subscription(&mut row).await?;
        self.view(service, row, None).await
    }

    /// `PUT /subscriptions/{external_id}`: `name`, `ending_at` (written to the order's
    /// `end_date`, so Odoo closes it then), and `subscription_at` of a pending one.
    ///
    /// # Errors
    /// `subscription_not_found`; 422 `invalid_date`; Odoo unavailable.
    pub async fn update_subscription(
        &self,
        service: &ServiceRef,
        external_id: &str,
        status: Option<&str>,
        input: &Map<String, Value>,
    ) -> Result<SubscriptionView, AccountsError> {
        let name = lease::names::subscription(service.id, external_id);
        self.under_lease(name, || {
            self.update_locked(service, external_id, status, input)
        })
        .await
    }

    async fn update_locked(
        &self,
        service: &ServiceRef,
        external_id: &str,
        status: Option<&str>,
        input: &Map<String, Value>,
    ) -> Result<SubscriptionView, AccountsError> {
        let mut row = match status {
            Some(s) => {
                self.store
                    .subscription_in_status(service.id, external_id, s)
                    .await?
            }
            None => {
                self.store
                    .live_subscription(service.id, external_id)
                    .await?
            }
        }
        .ok_or(AccountsError::NotFound(ErrorCode::SubscriptionNotFound))?;
        let mut patch = OrderPatch::default();
        if input.contains_key("name") {
            row.name = text(input, "name");
        }
        if let Some(v) = input.get("ending_at") {
            row.ending_at = match v {
                Value::Null => None,
                v => Some(
                    parse_time(v)
                        .map_err(|()| AccountsError::field("ending_at", FieldCode::InvalidDate))?,
                ),
            };
            patch.end_date = Some(row.ending_at.map(|t| from_micros(t).date_naive()));
        }
        if let Some(v) = input.get("subscription_at") {
            if row.status == "pending" {
                row.subscription_at = parse_time(v).map_err(|()| {
                    AccountsError::field("subscription_at", FieldCode::InvalidDate)
                })?;
                patch.start_date = Some(from_micros(row.subscription_at).date_naive());
            }
        }
        if let (Some(id), false) = (row.sale_order_id, patch.is_empty()) {
            self.odoo
                .client()
                .await?
                .subscriptions()
                .update(SaleOrderId(id), &patch)
                .await?;
        }
        row.updated_at = now_micros();
        self.store.update_subscription(&row).await?;
        self.view(service, row, None).await
    }

    /// `GET /subscriptions/{external_id}`: the live one, or the newest in `status`.
    ///
    /// # Errors
    /// `subscription_not_found`; store errors.
    pub async fn subscription(
        &self,
        service: &ServiceRef,
        external_id: &str,
        status: Option<&str>,
    ) -> Result<SubscriptionView, AccountsError> {
        let row = match status {
            Some(s) => {
                self.store
                    .subscription_in_status(service.id, external_id, s)
                    .await?
            }
            None => self
                .store
                .live_subscription(service.id, external_id)
                .await?
                .filter(|r| r.status != "incomplete"),
        }
        .ok_or(AccountsError::NotFound(ErrorCode::SubscriptionNotFound))?;
        let (row, order) = self.refresh(row).await;
        self.view(service, row, order).await
    }

    /// `GET /subscriptions`: a page of `service`'s subscriptions (default status `active`).
    ///
    /// # Errors
    /// Store errors.
    pub async fn subscriptions(
        &self,
        service: &ServiceRef,
        filter: SubscriptionFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<SubscriptionView>, i64), AccountsError> {
        let (rows, total) = self
            .store
            .list_subscriptions(service.id, &filter, limit, offset)
            .await?;
        let ids: Vec<SaleOrderId> = rows
            .iter()
            .filter_map(|r| r.sale_order_id)
            .map(SaleOrderId)
            .collect();
        let orders = match self.odoo.client().await {
            Ok(c) => c.subscriptions().windows_of(&ids).await.unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let order = row
                .sale_order_id
                .and_then(|id| orders.iter().find(|o| o.id.0 == id))
                .cloned();
            out.push(self.view(service, row, order).await?);
        }
        Ok((out, total))
    }

    /// Brings a row's status in line with its Odoo order (finance may close a subscription
    /// in Odoo), returning the order read (state and window only) for the view. Keeps the
    /// stored status when Odoo cannot be reached.
    async fn refresh(&self, row: SubscriptionRow) -> (SubscriptionRow, Option<SaleOrder>) {
        let Some(id) = row.sale_order_id else {
            return (row, None);
        };
        let Ok(c) = self.odoo.client().await else {
            return (row, None);
        };
        match c.subscriptions().window_of(SaleOrderId(id)).await {
            Ok(Some(o)) => (self.follow_order(row, &o).await, Some(o)),
            _ => (row, None),
        }
    }

    /// Applies the status of `order` (read from Odoo) to its row and stores it when it
    /// changed. An `incomplete` row is left to its create flow.
    pub(crate) async fn follow_order(
        &self,
        mut row: SubscriptionRow,
        order: &SaleOrder,
    ) -> SubscriptionRow {
        let status = lago_status(order);
        if status != row.status
            && row.status != "incomplete"
            && !(row.status == "active" && status == "pending")
        {
            let now = now_micros();
            match status {
                "terminated" => row.terminated_at = Some(row.terminated_at.unwrap_or(now)),
                "canceled" => row.canceled_at = Some(row.canceled_at.unwrap_or(now)),
                "active" => row.started_at = Some(row.started_at.unwrap_or(now)),
                _ => {}
            }
            row.status = status.into();
            row.updated_at = now;
            if let Err(e) = self.store.update_subscription(&row).await {
                tracing::warn!(error = %e, "cannot store refreshed subscription status");
            }
        }
        row
    }

    /// The plan of a subscription.
    pub(crate) async fn plan_of(&self, row: &SubscriptionRow) -> Result<PlanRow, AccountsError> {
        self.store
            .plan_by_id(&row.plan_id)
            .await?
            .ok_or(AccountsError::NotFound(ErrorCode::PlanNotFound))
    }

    /// Gathers what the subscription JSON shows; reads the order from Odoo for the billing
    /// period unless given (best effort: the period is omitted when Odoo is down).
    pub(crate) async fn view(
        &self,
        service: &ServiceRef,
        row: SubscriptionRow,
        order: Option<SaleOrder>,
    ) -> Result<SubscriptionView, AccountsError> {
        let plan = self.plan_of(&row).await?;
        let customer = self
            .store
            .customer_by_id(service.id, &row.customer_id)
            .await?
            .ok_or(AccountsError::NotFound(ErrorCode::CustomerNotFound))?;
        let code_of = |id: &Option<String>| {
            let id = id.clone();
            async move {
                match id {
                    Some(id) => self
                        .store
                        .plan_by_id(&id)
                        .await
                        .ok()
                        .flatten()
                        .map(|p| p.code),
                    None => None,
                }
            }
        };
        let previous_plan_code = code_of(&row.previous_plan_id).await;
        let next_plan_code = code_of(&row.next_plan_id).await;
        let order = match (order, row.sale_order_id) {
            (Some(o), _) => Some(o),
            (None, Some(id)) if row.status == "active" => match self.odoo.client().await {
                Ok(c) => c
                    .subscriptions()
                    .window_of(SaleOrderId(id))
                    .await
                    .ok()
                    .flatten(),
                Err(_) => None,
            },
            _ => None,
        };
        let period = order
            .as_ref()
            .and_then(|o| billing_window(o, &plan.interval));
        Ok(SubscriptionView {
            row,
            customer,
            plan,
            previous_plan_code,
            next_plan_code,
            period,
        })
    }

    /// Terminates every live subscription of a customer (customer deletion).
    pub(crate) async fn terminate_customer_subscriptions(
        &self,
        service: &ServiceRef,
        customer: &CustomerRow,
    ) -> Result<(), AccountsError> {
        self.end_live(
            service,
            SubscriptionFilter {
                customer_id: Some(customer.lago_id.clone()),
                ..SubscriptionFilter::default()
            },
        )
        .await
    }

    /// Terminates every live subscription on a plan (plan deletion).
    pub(crate) async fn terminate_plan_subscriptions(
        &self,
        service: &ServiceRef,
        plan: &PlanRow,
    ) -> Result<(), AccountsError> {
        self.end_live(
            service,
            SubscriptionFilter {
                plan_id: Some(plan.lago_id.clone()),
                ..SubscriptionFilter::default()
            },
        )
        .await
    }

    /// Ends every live subscription of `service` matching `filter` (its statuses are
    /// replaced by the live ones), page by page until none is left.
    async fn end_live(
        &self,
        service: &ServiceRef,
        mut filter: SubscriptionFilter,
    ) -> Result<(), AccountsError> {
        filter.statuses = super::subscription_repo::LIVE
            .iter()
            .map(|s| s.to_string())
            .collect();
        loop {
            let (rows, _) = self
                .store
                .list_subscriptions(service.id, &filter, 500, 0)
                .await?;
            if rows.is_empty() {
                return Ok(());
            }
            for row in rows {
                let name = lease::names::subscription(service.id, &row.external_id);
                self.under_lease(name, || async {
                    // Re-read under the lease: another request may have ended or replaced it.
                    match self
                        .store
                        .live_subscription(service.id, &row.external_id)
                        .await?
                    {
                        Some(mut live) if live.lago_id == row.lago_id => {
                            self.end_subscription(&mut live).await
                        }
                        _ => Ok(()),
                    }
                })
                .await?;
            }
        }
    }

    /// Scheduler step: starts pending subscriptions whose `subscription_at` has come
    /// (confirming their order) and applies downgrades whose date has come (ending the
    /// current subscription and starting the next plan). Returns how many changed.
    ///
    /// # Errors
    /// Store errors; Odoo errors stop the step (it is retried on the next one).
    pub async fn apply_due(&self) -> Result<usize, AccountsError> {
        let now = now_micros();
        let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
        let due = self.store.subscriptions_due(now, &today).await?;
        let mut changed = 0;
        for row in due {
            let name = lease::names::subscription(row.service_id, &row.external_id);
            let (lago_id, service_id) = (row.lago_id.clone(), row.service_id);
            let step =
                std::panic::AssertUnwindSafe(self.under_lease(name, || self.apply_due_one(row)));
            match futures::FutureExt::catch_unwind(step).await {
                Ok(Ok(true)) => changed += 1,
                Ok(Ok(false)) => {}
                Ok(Err(e)) => {
                    self.health.item_failed("scheduler");
                    tracing::warn!(subscription = %lago_id, service_id, error = %e, "scheduled subscription change failed; retried next step");
                }
                Err(_) => {
                    self.health.item_failed("scheduler");
                    tracing::error!(subscription = %lago_id, service_id, "scheduled subscription change panicked; retried next step");
                }
            }
        }
        Ok(changed)
    }

    /// One due subscription, re-read under its lease; whether it changed.
    async fn apply_due_one(&self, row: SubscriptionRow) -> Result<bool, AccountsError> {
        let Some(row) = self
            .store
            .live_subscription(row.service_id, &row.external_id)
            .await?
            .filter(|live| live.lago_id == row.lago_id)
        else {
            return Ok(false);
        };
        {
            let Some(service) = self.store.service_by_id(row.service_id).await? else {
                return Ok(false);
            };
            let customer = match self
                .store
                .customer_by_id(row.service_id, &row.customer_id)
                .await?
            {
                Some(c) => c,
                None => return Ok(false),
            };
            if row.status == "pending" {
                let plan = self.plan_of(&row).await?;
                let mut r = row.clone();
                r.status = "incomplete".into();
                self.materialize(&service, r, &customer, &plan).await?;
            } else if let Some(next) = row.next_plan_id.clone() {
                let Some(plan) = self.store.plan_by_id(&next).await? else {
                    return Ok(false);
                };
                let mut current = row.clone();
                self.end_subscription(&mut current).await?;
                let new = successor(&row, &plan);
                if self.store.insert_subscription(&new).await? == Inserted::Yes {
                    self.materialize(&service, new, &customer, &plan).await?;
                }
            }
            Ok(true)
        }
    }
}
