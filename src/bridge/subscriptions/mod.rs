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

use super::customer_repo::CustomerRow;
use super::error::BridgeError;
use super::plan_repo::PlanRow;
use super::subscription_repo::{SubscriptionFilter, SubscriptionRow};
use super::Bridge;
use crate::lago::error_code::ErrorCode;
use crate::meter::tenants::ServiceRef;
use crate::meter::time::now_micros;
use crate::odoo::subscriptions::{OrderState, SaleOrder, SubscriptionState};
use crate::odoo::SaleOrderId;

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

/// Lago's `billing_time`: when the periods of a subscription start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingTime {
    /// Periods on calendar boundaries (the default).
    Calendar,
    /// Periods from the subscription date.
    Anniversary,
}

impl BillingTime {
    /// The stored and wire value, `calendar` or `anniversary`.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingTime::Calendar => "calendar",
            BillingTime::Anniversary => "anniversary",
        }
    }
}

/// A time field that is not a time Lago accepts (answered `invalid_date`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidDate;

/// A subscription to create (parsed by
/// [`crate::lago::subscription_request::new_subscription`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NewSubscription {
    /// The app's id of the subscription (one live per id).
    pub external_id: String,
    /// The customer's `external_id` (a bare customer is created when unknown).
    pub external_customer_id: String,
    /// The plan's code.
    pub plan_code: String,
    /// Display name.
    pub name: Option<String>,
    /// `billing_time`.
    pub billing_time: BillingTime,
    /// Start, µs since the epoch; `None` = now.
    pub subscription_at: Option<i64>,
    /// Planned end, µs since the epoch.
    pub ending_at: Option<i64>,
}

/// A change of a subscription (parsed by
/// [`crate::lago::subscription_request::subscription_change`]); `None` leaves a field as is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SubscriptionChange {
    /// `name` was sent: the new name (`None` clears it).
    pub name: Option<Option<String>>,
    /// `ending_at` was sent: the new end, µs (`None` clears it).
    pub ending_at: Option<Option<i64>>,
    /// `subscription_at` was sent: applied to a pending subscription only, where an
    /// [`InvalidDate`] is refused (422 `invalid_date`); ignored otherwise, as before.
    pub subscription_at: Option<Result<i64, InvalidDate>>,
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

impl Bridge {
    /// `GET /subscriptions/{external_id}`: the live one, or the newest in `status`.
    ///
    /// # Errors
    /// `subscription_not_found`; store errors.
    pub async fn subscription(
        &self,
        service: &ServiceRef,
        external_id: &str,
        status: Option<&str>,
    ) -> Result<SubscriptionView, BridgeError> {
        let row = match status {
            Some(s) => {
                self.store
                    .subscriptions()
                    .subscription_in_status(service.id, external_id, s)
                    .await?
            }
            None => self
                .store
                .subscriptions()
                .live_subscription(service.id, external_id)
                .await?
                .filter(|r| r.status != "incomplete"),
        }
        .ok_or(BridgeError::NotFound(ErrorCode::SubscriptionNotFound))?;
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
    ) -> Result<(Vec<SubscriptionView>, i64), BridgeError> {
        let (rows, total) = self
            .store
            .subscriptions()
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
            if let Err(e) = self.store.subscriptions().update_subscription(&row).await {
                tracing::warn!(error = %e, "cannot store refreshed subscription status");
            }
        }
        row
    }

    /// The plan of a subscription.
    pub(crate) async fn plan_of(&self, row: &SubscriptionRow) -> Result<PlanRow, BridgeError> {
        self.store
            .plans()
            .plan_by_id(&row.plan_id)
            .await?
            .ok_or(BridgeError::NotFound(ErrorCode::PlanNotFound))
    }

    /// Gathers what the subscription JSON shows; reads the order from Odoo for the billing
    /// period unless given (best effort: the period is omitted when Odoo is down).
    pub(crate) async fn view(
        &self,
        service: &ServiceRef,
        row: SubscriptionRow,
        order: Option<SaleOrder>,
    ) -> Result<SubscriptionView, BridgeError> {
        let plan = self.plan_of(&row).await?;
        let customer = self
            .store
            .customers()
            .customer_by_id(service.id, &row.customer_id)
            .await?
            .ok_or(BridgeError::NotFound(ErrorCode::CustomerNotFound))?;
        let code_of = |id: &Option<String>| {
            let id = id.clone();
            async move {
                match id {
                    Some(id) => self
                        .store
                        .plans()
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
}

mod create;
mod lifecycle;
