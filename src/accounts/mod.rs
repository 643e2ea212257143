//! Customers, plans and subscriptions: the Lago objects an app manages, kept as native Odoo
//! records (`res.partner`, `sale.subscription.plan` + products, `sale.order` subscriptions)
//! with local links (external ids → Odoo ids) and the Lago attributes Odoo has no field for.
//! Rating and current usage price the local usage with the plans' charges.
//!
//! Every flow writes Odoo in a way a retry finds again (partner `ref`, product
//! `default_code`, order `origin`) and stores the local link last, so an Odoo outage in the
//! middle leaves nothing half-created that a retry would duplicate.

pub mod credit_notes;
pub mod current_usage;
pub mod customer_repo;
pub mod customers;
pub mod error;
pub mod idempotency_repo;
pub mod identity;
pub mod invoice_repo;
pub mod invoices;
pub mod odoo_link;
pub mod plan_odoo;
pub mod plan_repo;
pub mod plans;
pub mod rating;
pub mod shadow;
pub mod subscription_repo;
pub mod subscriptions;

use std::sync::Arc;
use std::time::Duration;

use crate::configuration::{PartnerMatch, Settings};
use crate::meter::usage_cache::UsageCache;
use crate::meter::Store;

pub use error::AccountsError;
pub use odoo_link::OdooLink;

/// The accounts flows: the store, the shared Odoo link and the identity rule.
#[derive(Clone)]
pub struct Accounts {
    /// Local store (links, usage).
    pub store: Store,
    /// Lazily connected Odoo.
    pub odoo: Arc<OdooLink>,
    /// Partner match keys, in order (`customers.partner_match`).
    pub partner_match: Vec<PartnerMatch>,
    /// Running usage totals (see [`UsageCache`]).
    pub usage_cache: UsageCache,
}

impl Accounts {
    /// Flows over `store` and the Odoo of `settings`.
    pub fn new(settings: &Settings, store: Store) -> Accounts {
        Accounts {
            store,
            odoo: Arc::new(OdooLink::new(settings.odoo.clone())),
            partner_match: settings.customers.keys().unwrap_or_default(),
            usage_cache: UsageCache::new(100_000, Duration::from_secs(5)),
        }
    }

    /// Runs [`Accounts::apply_due`] every `every` until `stop` turns true; a step in
    /// progress finishes first (its Odoo calls are not cut).
    pub fn spawn_scheduler(
        &self,
        every: Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
                match this.apply_due().await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(changed = n, "pending subscriptions and downgrades applied")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "subscription scheduler step failed; retried next tick")
                    }
                }
            }
        })
    }
}
