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
pub mod invoice_facts;
pub mod invoice_repo;
pub mod invoices;
pub mod lease;
pub mod odoo_link;
pub mod partner_ownership;
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

pub use error::BridgeError;
pub use odoo_link::OdooLink;

/// The bridge flows: the store, the shared Odoo link and the identity rule.
#[derive(Clone)]
pub struct Bridge {
    /// Local store (links, usage).
    pub store: Store,
    /// Lazily connected Odoo.
    pub odoo: Arc<OdooLink>,
    /// Partner match keys, in order (`customers.partner_match`).
    pub partner_match: Vec<PartnerMatch>,
    /// Running usage totals (see [`UsageCache`]).
    pub usage_cache: UsageCache,
    /// Health of the background loops working on these flows (failed items counted).
    pub health: crate::background::LoopHealth,
}

impl Bridge {
    /// Runs `work` holding the intent lease `name` (see [`lease`]): waits for another holder
    /// to finish, releases when `work` ends (error paths included). An error that shows Odoo
    /// lost the gateway's schema is turned into a retryable 503 ([`OdooLink::recheck_after`]).
    ///
    /// # Errors
    /// [`BridgeError::Busy`] when the lease stays held past [`lease::WAIT`]; `work`'s errors.
    pub async fn under_lease<T, F, Fut>(&self, name: String, work: F) -> Result<T, BridgeError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, BridgeError>>,
    {
        let guard = self.store.leases().lease(name).await?;
        let out = work().await;
        guard.release().await;
        match out {
            Ok(v) => Ok(v),
            Err(e) => Err(self.odoo.recheck_after(e).await),
        }
    }

    /// Flows over `store` and the Odoo of `settings`.
    pub fn new(settings: &Settings, store: Store) -> Bridge {
        Bridge {
            store,
            odoo: Arc::new(OdooLink::new(settings.odoo.clone())),
            partner_match: settings.customers.keys().unwrap_or_default(),
            usage_cache: UsageCache::new(100_000, Duration::from_secs(5)),
            health: crate::background::LoopHealth::new(),
        }
    }

    /// Runs [`Bridge::apply_due`] every `every` until `stop` turns true, supervised (see
    /// [`crate::background`]): a step in progress finishes first (its Odoo calls are not cut).
    pub fn spawn_scheduler(
        &self,
        every: Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        crate::background::spawn_loop(
            crate::background::LoopSpec {
                name: "scheduler",
                every,
                first_after: Duration::ZERO,
                wake: None,
            },
            self.health.clone(),
            stop,
            move || {
                let this = this.clone();
                async move { this.apply_due().await }
            },
            |changed| *changed > 0,
        )
    }
}
