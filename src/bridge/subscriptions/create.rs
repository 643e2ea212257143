//! `POST /subscriptions`: a new subscription, a plan change, or the resumption of an
//! interrupted create (see the module doc of [`super`]).

use chrono::Utc;
use rust_decimal::Decimal;

use super::{billing_window, lago_status, origin_of, successor, NewSubscription, SubscriptionView};
use crate::bridge::customer_repo::{CustomerRow, Inserted};
use crate::bridge::customers::{attributes, CustomerChanges, CustomerUpsert, Patch};
use crate::bridge::error::BridgeError;
use crate::bridge::lease;
use crate::bridge::plan_repo::PlanRow;
use crate::bridge::plans::{charges_of, yearly_amount_cents};
use crate::bridge::subscription_repo::SubscriptionRow;
use crate::bridge::Bridge;
use crate::lago::error_code::FieldCode;
use crate::meter::tenants::ServiceRef;
use crate::meter::time::{from_micros, now_micros};
use crate::odoo::subscriptions::{NewOrderLine, NewSubscription as NewOrder, OrderPatch};
use crate::odoo::{PlanId, ProductId, SaleOrderId};

impl Bridge {
    /// `POST /subscriptions` (see the module doc and API-NOTES §2 for the cases).
    ///
    /// # Errors
    /// `plan_not_found`; 422 `external_id` `value_already_exist` (live under another customer),
    /// `currency` `currencies_does_not_match`; Odoo unavailable (retry is safe).
    pub async fn create_subscription(
        &self,
        service: &ServiceRef,
        new: &NewSubscription,
    ) -> Result<SubscriptionView, BridgeError> {
        let now = now_micros();
        let plan = self.plan(service, &new.plan_code).await?;
        let customer = self
            .customer_for_subscription(service, &new.external_customer_id, &plan)
            .await?;
        // One holder per external_id: thirty identical POSTs at once are served in turn, the
        // first writes the order, the others find it live (see `super::lease`).
        let lease_name = lease::names::subscription(service.id, &new.external_id);
        self.under_lease(lease_name, || async {
            // Cut-over of an imported shadow copy (see `super::shadow`).
            self.claim_shadow(service, &new.external_id, &customer, &plan)
                .await?;
            self.create_locked(service, new, &customer, &plan, now)
                .await
        })
        .await
    }

    /// The part of [`Bridge::create_subscription`] that runs under the subscription's lease.
    async fn create_locked(
        &self,
        service: &ServiceRef,
        new: &NewSubscription,
        customer: &CustomerRow,
        plan: &PlanRow,
        now: i64,
    ) -> Result<SubscriptionView, BridgeError> {
        let external_id = new.external_id.as_str();
        loop {
            let live = self
                .store
                .subscriptions()
                .live_subscription(service.id, external_id)
                .await?;
            let row = match live {
                Some(l) if l.customer_id != customer.lago_id => {
                    return Err(BridgeError::field(
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
                        name: new.name.clone(),
                        billing_time: new.billing_time.as_str().to_string(),
                        subscription_at: new.subscription_at.unwrap_or(now),
                        started_at: None,
                        ending_at: new.ending_at,
                        terminated_at: None,
                        canceled_at: None,
                        previous_plan_id: None,
                        next_plan_id: None,
                        downgrade_plan_date: None,
                        created_at: now,
                        updated_at: now,
                    };
                    match self.store.subscriptions().insert_subscription(&row).await? {
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
    ) -> Result<CustomerRow, BridgeError> {
        let existing = self
            .store
            .customers()
            .customer_by_external(service.id, external_id)
            .await?;
        let currency = existing
            .as_ref()
            .and_then(|c| attributes(c).currency)
            .filter(|c| !c.is_empty());
        match (&existing, currency) {
            (Some(_), Some(c)) if !c.eq_ignore_ascii_case(&plan.amount_currency) => Err(
                BridgeError::field("currency", FieldCode::CurrenciesDoesNotMatch),
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
    pub(super) async fn materialize(
        &self,
        service: &ServiceRef,
        mut row: SubscriptionRow,
        customer: &CustomerRow,
        plan: &PlanRow,
    ) -> Result<SubscriptionRow, BridgeError> {
        let c = self.odoo.client_with_fields().await?;
        let subs = c.subscriptions();
        let origin = origin_of(&row.lago_id);
        let order_id =
            match row.sale_order_id {
                Some(id) => SaleOrderId(id),
                None => match subs.find_by_origin(&origin).await?.into_iter().next() {
                    Some(o) => o.id,
                    None => {
                        let mut lines = vec![plan.base_fee_line(&service.name)];
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
                            .create(&NewOrder {
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
        self.store.subscriptions().update_subscription(&row).await?;
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
        self.store.subscriptions().update_subscription(&row).await?;
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
    ) -> Result<SubscriptionRow, BridgeError> {
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
            self.store
                .subscriptions()
                .update_subscription(&current)
                .await?;
            return Ok(current);
        }
        self.end_subscription(&mut current).await?;
        let row = successor(&current, plan);
        match self.store.subscriptions().insert_subscription(&row).await? {
            Inserted::Yes => self.materialize(service, row, customer, plan).await,
            Inserted::Conflict => Err(BridgeError::field(
                "external_id",
                FieldCode::ValueAlreadyExist,
            )),
        }
    }
}
