//! Lago's subscription object (`api:app/serializers/v1/subscription_serializer.rb`).

use serde::Serialize;
use serde_json::{json, Value};

use super::plan::Plan;
use super::time::{iso_millis, iso_seconds};
use crate::bridge::subscriptions::SubscriptionView;
use crate::meter::time::to_micros;

/// `subscription` with its `plan`. Times are ISO-8601 UTC; `started_at` has milliseconds
/// (as Lago's serializer); the current billing period ends one second before the next one
/// starts.
#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub lago_id: String,
    pub external_id: String,
    pub lago_customer_id: String,
    pub external_customer_id: String,
    pub name: Option<String>,
    pub plan_code: String,
    /// Minor units of `plan_amount_currency`.
    pub plan_amount_cents: i64,
    pub plan_amount_currency: String,
    /// `pending | active | terminated | canceled` (a subscription whose Odoo order is not
    /// written yet is `pending`).
    pub status: String,
    /// `calendar | anniversary`.
    pub billing_time: String,
    pub subscription_at: String,
    pub started_at: Option<String>,
    pub trial_ended_at: Option<String>,
    pub ending_at: Option<String>,
    pub terminated_at: Option<String>,
    pub canceled_at: Option<String>,
    pub created_at: String,
    pub previous_plan_code: Option<String>,
    pub next_plan_code: Option<String>,
    /// `YYYY-MM-DD`.
    pub downgrade_plan_date: Option<String>,
    pub current_billing_period_started_at: Option<String>,
    pub current_billing_period_ending_at: Option<String>,
    pub on_termination_credit_note: Option<String>,
    pub on_termination_invoice: &'static str,
    pub progressive_billing_disabled: bool,
    pub consolidate_invoice: bool,
    pub purchase_order_number: Option<String>,
    pub cancellation_reason: Option<String>,
    pub activated_at: Option<String>,
    pub payment_method: PaymentMethod,
    pub activation_rules: Vec<Value>,
    pub plan: Plan,
}

/// `subscription.payment_method`: the customer's provider default.
#[derive(Debug, Clone, Serialize)]
pub struct PaymentMethod {
    pub payment_method_type: &'static str,
    pub payment_method_id: Option<String>,
}

impl From<&SubscriptionView> for Subscription {
    fn from(v: &SubscriptionView) -> Subscription {
        let r = &v.row;
        let status = if r.status == "incomplete" {
            "pending".to_string()
        } else {
            r.status.clone()
        };
        let (period_from, period_to) = match v.period {
            Some((f, t)) => (
                Some(iso_seconds(to_micros(f))),
                Some(iso_seconds(to_micros(t) - 1_000_000)),
            ),
            None => (None, None),
        };
        Subscription {
            lago_id: r.lago_id.clone(),
            external_id: r.external_id.clone(),
            lago_customer_id: v.customer.lago_id.clone(),
            external_customer_id: v.customer.external_id.clone(),
            name: r.name.clone(),
            plan_code: v.plan.code.clone(),
            plan_amount_cents: v.plan.amount_cents,
            plan_amount_currency: v.plan.amount_currency.clone(),
            status,
            billing_time: r.billing_time.clone(),
            subscription_at: iso_seconds(r.subscription_at),
            started_at: r.started_at.map(iso_millis),
            trial_ended_at: None,
            ending_at: r.ending_at.map(iso_seconds),
            terminated_at: r.terminated_at.map(iso_seconds),
            canceled_at: r.canceled_at.map(iso_seconds),
            created_at: iso_seconds(r.created_at),
            previous_plan_code: v.previous_plan_code.clone(),
            next_plan_code: v.next_plan_code.clone(),
            downgrade_plan_date: r.downgrade_plan_date.clone(),
            current_billing_period_started_at: period_from,
            current_billing_period_ending_at: period_to,
            on_termination_credit_note: None,
            on_termination_invoice: "generate",
            progressive_billing_disabled: false,
            consolidate_invoice: false,
            purchase_order_number: None,
            cancellation_reason: None,
            activated_at: r.started_at.map(iso_seconds),
            payment_method: PaymentMethod {
                payment_method_type: "provider",
                payment_method_id: None,
            },
            activation_rules: Vec::new(),
            plan: Plan::from(&v.plan),
        }
    }
}

impl Subscription {
    /// `{"subscription": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "subscription": self })
    }
}
