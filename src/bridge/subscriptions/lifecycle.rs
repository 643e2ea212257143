//! Changes of a subscription after its creation: update, termination (one, a customer's,
//! a plan's) and the scheduled plan changes and endings that fall due.

use chrono::Utc;

use super::{lago_status, successor, InvalidDate, SubscriptionChange, SubscriptionView};
use crate::bridge::customer_repo::{CustomerRow, Inserted};
use crate::bridge::error::BridgeError;
use crate::bridge::lease;
use crate::bridge::plan_repo::PlanRow;
use crate::bridge::subscription_repo::{SubscriptionFilter, SubscriptionRow};
use crate::bridge::Bridge;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::tenants::ServiceRef;
use crate::meter::time::{from_micros, now_micros};
use crate::odoo::subscriptions::OrderPatch;
use crate::odoo::SaleOrderId;

impl Bridge {
    /// Ends a live subscription in Odoo and locally: an active one is closed (`set_close` →
    /// `6_churn`, `terminated`), a pending one cancelled (`action_cancel`, `canceled`).
    pub(super) async fn end_subscription(
        &self,
        row: &mut SubscriptionRow,
    ) -> Result<(), BridgeError> {
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
        self.store.subscriptions().update_subscription(row).await?;
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
    ) -> Result<SubscriptionView, BridgeError> {
        let name = lease::names::subscription(service.id, external_id);
        self.under_lease(name, || self.terminate_locked(service, external_id, status))
            .await
    }

    async fn terminate_locked(
        &self,
        service: &ServiceRef,
        external_id: &str,
        status: Option<&str>,
    ) -> Result<SubscriptionView, BridgeError> {
        let wanted = status.unwrap_or("active");
        let mut row = self
            .store
            .subscriptions()
            .live_subscription(service.id, external_id)
            .await?
            .filter(|r| r.status == wanted)
            .ok_or(BridgeError::NotFound(ErrorCode::SubscriptionNotFound))?;
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
        change: &SubscriptionChange,
    ) -> Result<SubscriptionView, BridgeError> {
        let name = lease::names::subscription(service.id, external_id);
        self.under_lease(name, || {
            self.update_locked(service, external_id, status, change)
        })
        .await
    }

    async fn update_locked(
        &self,
        service: &ServiceRef,
        external_id: &str,
        status: Option<&str>,
        change: &SubscriptionChange,
    ) -> Result<SubscriptionView, BridgeError> {
        let mut row = match status {
            Some(s) => {
                self.store
                    .subscriptions()
                    .subscription_in_status(service.id, external_id, s)
                    .await?
            }
            None => {
                self.store
                    .subscriptions()
                    .live_subscription(service.id, external_id)
                    .await?
            }
        }
        .ok_or(BridgeError::NotFound(ErrorCode::SubscriptionNotFound))?;
        let mut patch = OrderPatch::default();
        if let Some(name) = &change.name {
            row.name = name.clone();
        }
        if let Some(ending_at) = change.ending_at {
            row.ending_at = ending_at;
            patch.end_date = Some(row.ending_at.map(|t| from_micros(t).date_naive()));
        }
        if let (Some(at), "pending") = (change.subscription_at, row.status.as_str()) {
            row.subscription_at = at.map_err(|InvalidDate| {
                BridgeError::field("subscription_at", FieldCode::InvalidDate)
            })?;
            patch.start_date = Some(from_micros(row.subscription_at).date_naive());
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
        self.store.subscriptions().update_subscription(&row).await?;
        self.view(service, row, None).await
    }

    /// Terminates every live subscription of a customer (customer deletion).
    pub(crate) async fn terminate_customer_subscriptions(
        &self,
        service: &ServiceRef,
        customer: &CustomerRow,
    ) -> Result<(), BridgeError> {
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
    ) -> Result<(), BridgeError> {
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
    ) -> Result<(), BridgeError> {
        filter.statuses = crate::bridge::subscription_repo::LIVE
            .iter()
            .map(|s| s.to_string())
            .collect();
        loop {
            let (rows, _) = self
                .store
                .subscriptions()
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
                        .subscriptions()
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
    pub async fn apply_due(&self) -> Result<usize, BridgeError> {
        let now = now_micros();
        let today = Utc::now().date_naive().format("%Y-%m-%d").to_string();
        let due = self
            .store
            .subscriptions()
            .subscriptions_due(now, &today)
            .await?;
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
    async fn apply_due_one(&self, row: SubscriptionRow) -> Result<bool, BridgeError> {
        let Some(row) = self
            .store
            .subscriptions()
            .live_subscription(row.service_id, &row.external_id)
            .await?
            .filter(|live| live.lago_id == row.lago_id)
        else {
            return Ok(false);
        };
        {
            let Some(service) = self.store.services().service_by_id(row.service_id).await? else {
                return Ok(false);
            };
            let customer = match self
                .store
                .customers()
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
                let Some(plan) = self.store.plans().plan_by_id(&next).await? else {
                    return Ok(false);
                };
                let mut current = row.clone();
                self.end_subscription(&mut current).await?;
                let new = successor(&row, &plan);
                if self.store.subscriptions().insert_subscription(&new).await? == Inserted::Yes {
                    self.materialize(&service, new, &customer, &plan).await?;
                }
            }
            Ok(true)
        }
    }
}
