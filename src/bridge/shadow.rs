//! Shadow subscriptions: the imported copy of a legacy subscription during the dual-run.
//!
//! A shadow subscription is a local row in status [`SHADOW`] and an Odoo `sale.order`
//! quotation (draft, `subscription_state` `1_draft`) that is never confirmed, so Odoo's
//! invoicing cron never bills it and nothing is posted. Its order carries the Lago plan's
//! lines, `start_date` = the legacy start and `next_invoice_date` = the next date the legacy
//! app would bill.
//!
//! Cut-over: the app's first `POST /api/v1/subscriptions` with the same `external_id`,
//! customer and plan claims the shadow row ([`Bridge::claim_shadow`]): it becomes
//! `incomplete`, and the usual create flow confirms the existing quotation instead of
//! creating a second `sale.order`. A POST with another plan or customer cancels the draft
//! quotation and creates a new subscription as usual.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::customer_repo::{CustomerRow, Inserted};
use super::error::BridgeError;
use super::plan_repo::PlanRow;
use super::plans::charges_of;
use super::subscription_repo::SubscriptionRow;
use super::Bridge;
use crate::lago::error_code::FieldCode;
use crate::meter::tenants::ServiceRef;
use crate::meter::time::{from_micros, now_micros};
use crate::odoo::subscriptions::{NewOrderLine, NewSubscription, OrderPatch, OrderState};
use crate::odoo::{PartnerId, PlanId, ProductId, SaleOrderId};

/// Local status of an imported, not yet cut-over subscription. Not a live status: the
/// subscription API, the scheduler and the rating push ignore it.
pub const SHADOW: &str = "shadow";

/// What the importer wants a shadow subscription to be.
#[derive(Debug, Clone)]
pub struct ShadowSpec {
    /// The app's subscription id (legacy primary key).
    pub external_id: String,
    /// Its customer (already linked).
    pub customer: CustomerRow,
    /// Its Lago plan.
    pub plan: PlanRow,
    /// Legacy start, Unix microseconds UTC.
    pub subscription_at: i64,
    /// The next date the legacy app bills (the order's `next_invoice_date`).
    pub next_invoice_date: Option<NaiveDate>,
}

/// What [`Bridge::upsert_shadow`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShadowOutcome {
    /// A new row and draft order.
    Created,
    /// The existing shadow changed (plan, customer or dates).
    Updated,
    /// Already as wanted.
    Unchanged,
    /// The app already has a live subscription with this `external_id` (cut over):
    /// left alone.
    AlreadyLive,
}

/// `sale.order` `origin` of a gateway subscription (as `subscriptions::materialize`).
fn origin_of(lago_id: &str) -> String {
    format!("fusion-billing {lago_id}")
}

fn date_of(micros: i64) -> NaiveDate {
    from_micros(micros).date_naive()
}

impl Bridge {
    /// The newest shadow row of `external_id`, if any.
    ///
    /// # Errors
    /// Store errors.
    pub async fn shadow_subscription(
        &self,
        service: &ServiceRef,
        external_id: &str,
    ) -> Result<Option<SubscriptionRow>, BridgeError> {
        Ok(self
            .store
            .subscriptions()
            .subscription_in_status(service.id, external_id, SHADOW)
            .await?)
    }

    /// What [`Bridge::upsert_shadow`] would do, without writing anything.
    ///
    /// # Errors
    /// Store errors.
    pub async fn shadow_outcome(
        &self,
        service: &ServiceRef,
        spec: &ShadowSpec,
    ) -> Result<ShadowOutcome, BridgeError> {
        if self
            .store
            .subscriptions()
            .live_subscription(service.id, &spec.external_id)
            .await?
            .is_some()
        {
            return Ok(ShadowOutcome::AlreadyLive);
        }
        Ok(
            match self.shadow_subscription(service, &spec.external_id).await? {
                None => ShadowOutcome::Created,
                Some(r) if r.sale_order_id.is_none() => ShadowOutcome::Created,
                Some(r) if same(&r, spec) => ShadowOutcome::Unchanged,
                Some(_) => ShadowOutcome::Updated,
            },
        )
    }

    /// Creates or brings up to date the shadow subscription of `spec` (see the module doc).
    /// Idempotent: the row is stored first and the order found again by its `origin`, so an
    /// interrupted run resumes without a second order.
    ///
    /// # Errors
    /// Odoo unavailable or refusing; store errors.
    pub async fn upsert_shadow(
        &self,
        service: &ServiceRef,
        spec: &ShadowSpec,
    ) -> Result<(Option<SubscriptionRow>, ShadowOutcome), BridgeError> {
        let outcome = self.shadow_outcome(service, spec).await?;
        let existing = self.shadow_subscription(service, &spec.external_id).await?;
        match (outcome, existing) {
            (ShadowOutcome::AlreadyLive, _) => Ok((None, outcome)),
            (ShadowOutcome::Unchanged, row) => Ok((row, outcome)),
            (ShadowOutcome::Created, Some(row)) => {
                let row = self.write_shadow_order(service, row, spec).await?;
                Ok((Some(row), outcome))
            }
            (ShadowOutcome::Updated, Some(mut old))
                if old.customer_id == spec.customer.lago_id && old.plan_id == spec.plan.lago_id =>
            {
                // Only the dates changed: rewrite them on the draft quotation.
                let c = self.odoo.client().await?;
                let patch = OrderPatch {
                    start_date: Some(date_of(spec.subscription_at)),
                    next_invoice_date: Some(spec.next_invoice_date),
                    ..OrderPatch::default()
                };
                if let Some(id) = old.sale_order_id {
                    c.subscriptions().update(SaleOrderId(id), &patch).await?;
                }
                old.subscription_at = spec.subscription_at;
                old.downgrade_plan_date = next_date_text(spec);
                old.updated_at = now_micros();
                self.store.subscriptions().update_subscription(&old).await?;
                Ok((Some(old), outcome))
            }
            (ShadowOutcome::Updated, Some(mut old)) => {
                // Plan or customer changed: retire the old quotation, start afresh.
                self.cancel_shadow(&mut old).await?;
                let row = self.insert_shadow(service, spec).await?;
                Ok((Some(row), outcome))
            }
            (_, _) => {
                let row = self.insert_shadow(service, spec).await?;
                Ok((Some(row), ShadowOutcome::Created))
            }
        }
    }

    async fn insert_shadow(
        &self,
        service: &ServiceRef,
        spec: &ShadowSpec,
    ) -> Result<SubscriptionRow, BridgeError> {
        let now = now_micros();
        let row = SubscriptionRow {
            lago_id: uuid::Uuid::new_v4().to_string(),
            service_id: service.id,
            external_id: spec.external_id.clone(),
            customer_id: spec.customer.lago_id.clone(),
            plan_id: spec.plan.lago_id.clone(),
            sale_order_id: None,
            status: SHADOW.into(),
            name: None,
            billing_time: "anniversary".into(),
            subscription_at: spec.subscription_at,
            started_at: None,
            ending_at: None,
            terminated_at: None,
            canceled_at: None,
            previous_plan_id: None,
            next_plan_id: None,
            downgrade_plan_date: next_date_text(spec),
            created_at: now,
            updated_at: now,
        };
        if self.store.subscriptions().insert_subscription(&row).await? == Inserted::Conflict {
            return Err(BridgeError::field(
                "external_id",
                FieldCode::ValueAlreadyExist,
            ));
        }
        self.write_shadow_order(service, row, spec).await
    }

    /// Finds (by `origin`) or creates the draft order of a shadow row and stores its id.
    async fn write_shadow_order(
        &self,
        service: &ServiceRef,
        mut row: SubscriptionRow,
        spec: &ShadowSpec,
    ) -> Result<SubscriptionRow, BridgeError> {
        let c = self.odoo.client_with_fields().await?;
        let subs = c.subscriptions();
        let origin = origin_of(&row.lago_id);
        let id = match subs.find_by_origin(&origin).await?.into_iter().next() {
            Some(o) => o.id,
            None => {
                let plan = &spec.plan;
                let mut lines = vec![plan.base_fee_line(&service.name)];
                for ch in charges_of(plan) {
                    lines.push(NewOrderLine {
                        product: ProductId(ch.odoo_product_id),
                        quantity: Decimal::ZERO,
                        price_unit: Some(Decimal::ZERO),
                        name: Some(
                            ch.invoice_display_name
                                .clone()
                                .unwrap_or_else(|| format!("{} usage", ch.billable_metric_code)),
                        ),
                        taxes: None,
                    });
                }
                let id = subs
                    .create(&NewSubscription {
                        partner: PartnerId(spec.customer.partner_id),
                        plan: PlanId(plan.odoo_plan_id),
                        start_date: Some(date_of(spec.subscription_at)),
                        next_invoice_date: spec.next_invoice_date,
                        client_order_ref: Some(row.external_id.clone()),
                        origin: Some(origin.clone()),
                        lines,
                    })
                    .await?;
                let patch = OrderPatch {
                    plan_code: Some(plan.code.clone()),
                    ..OrderPatch::default()
                };
                subs.update(id, &patch).await?;
                id
            }
        };
        row.sale_order_id = Some(id.0);
        row.updated_at = now_micros();
        self.store.subscriptions().update_subscription(&row).await?;
        tracing::info!(service = %service.name, sale_order_id = id.0, "shadow subscription written to Odoo (draft)");
        Ok(row)
    }

    /// Cancels a shadow's draft quotation and marks the row `canceled`.
    async fn cancel_shadow(&self, row: &mut SubscriptionRow) -> Result<(), BridgeError> {
        if let Some(id) = row.sale_order_id {
            let c = self.odoo.client().await?;
            let subs = c.subscriptions();
            if let Some(o) = subs.get(SaleOrderId(id)).await? {
                if matches!(o.state, OrderState::Draft | OrderState::Sent) {
                    subs.cancel(SaleOrderId(id)).await?;
                }
            }
        }
        let now = now_micros();
        row.status = "canceled".into();
        row.canceled_at = Some(now);
        row.updated_at = now;
        self.store.subscriptions().update_subscription(row).await?;
        Ok(())
    }

    /// Cut-over hook of `POST /subscriptions`: when no live subscription holds
    /// `external_id` and a shadow does, the shadow becomes `incomplete` (so the create flow
    /// confirms its existing quotation) if it has the same customer and plan; otherwise its
    /// quotation is cancelled. A shadow without `next_invoice_date` gets today, so Odoo does
    /// not bill the legacy periods again.
    ///
    /// # Errors
    /// Odoo unavailable or refusing; store errors.
    pub async fn claim_shadow(
        &self,
        service: &ServiceRef,
        external_id: &str,
        customer: &CustomerRow,
        plan: &PlanRow,
    ) -> Result<(), BridgeError> {
        if self
            .store
            .subscriptions()
            .live_subscription(service.id, external_id)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let Some(mut row) = self.shadow_subscription(service, external_id).await? else {
            return Ok(());
        };
        if row.customer_id != customer.lago_id || row.plan_id != plan.lago_id {
            return self.cancel_shadow(&mut row).await;
        }
        if let Some(id) = row.sale_order_id {
            let c = self.odoo.client().await?;
            match c.subscriptions().get(SaleOrderId(id)).await? {
                Some(o) if matches!(o.state, OrderState::Draft | OrderState::Sent) => {
                    if o.next_invoice_date.is_none() {
                        let patch = OrderPatch {
                            next_invoice_date: Some(Some(chrono::Utc::now().date_naive())),
                            ..OrderPatch::default()
                        };
                        c.subscriptions().update(SaleOrderId(id), &patch).await?;
                    }
                }
                // The quotation was cancelled or changed in Odoo: start afresh.
                _ => row.sale_order_id = None,
            }
        }
        row.status = "incomplete".into();
        row.downgrade_plan_date = None;
        row.updated_at = now_micros();
        if let Err(e) = self.store.subscriptions().update_subscription(&row).await {
            // A concurrent create went live first: it wins, the shadow stays.
            if !matches!(&e, crate::meter::StoreError::Database(d) if d.as_database_error().is_some_and(|d| d.is_unique_violation()))
            {
                return Err(e.into());
            }
        }
        Ok(())
    }
}

/// A shadow row keeps its order's `next_invoice_date` in `downgrade_plan_date` (unused by
/// shadows otherwise; cleared when the shadow is claimed).
fn next_date_text(spec: &ShadowSpec) -> Option<String> {
    spec.next_invoice_date
        .map(|d| d.format("%Y-%m-%d").to_string())
}

fn same(row: &SubscriptionRow, spec: &ShadowSpec) -> bool {
    row.customer_id == spec.customer.lago_id
        && row.plan_id == spec.plan.lago_id
        && date_of(row.subscription_at) == date_of(spec.subscription_at)
        && row.downgrade_plan_date == next_date_text(spec)
}
