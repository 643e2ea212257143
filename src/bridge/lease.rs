//! Intent leases (`intent_leases`, migration 0010): exactly one holder at a time per intent,
//! across every request and every replica sharing the store.
//!
//! Every flow that writes to Odoo or moves money runs its check-then-write under the lease of
//! the object it changes — a Lago subscription's `external_id`, a customer's `external_id`,
//! a plan's `code`, an invoice (credit notes, void, payment, finalize) — so thirty identical
//! requests at once are served one after another: the first writes, the others find what it
//! wrote (an active subscription, a posted credit note using up the creditable amount) and
//! answer from that. Limits are therefore checked atomically with the write.
//!
//! - **Claim**: one `INSERT … ON CONFLICT (name) DO UPDATE … WHERE expires_at < now` —
//!   atomic on SQLite and PostgreSQL alike; it takes a free or expired lease only.
//! - **Wait**: a request that finds the lease held polls (10 ms, doubling to 100 ms) for up to
//!   [`WAIT`], then answers 503 with `Retry-After` ([`BridgeError::Busy`]); the retry is
//!   safe.
//! - **Expiry**: a holder that died (process killed) blocks for at most [`TTL`]; the flows
//!   are written to resume what a dead holder left (Odoo references derived from ids), so a
//!   later holder completes instead of duplicating. [`TTL`] is far above one flow's Odoo
//!   budget (`odoo.timeout_secs` × attempts), so a live holder never loses its lease.
//! - **Release**: [`LeaseGuard::release`] deletes the row (holder-checked); a guard dropped
//!   without it (an error path, a panic, a cancelled request) releases in a spawned task.

use std::time::Duration;

use super::error::BridgeError;
use crate::dispatch;
use crate::meter::time::now_micros;
use crate::meter::{Store, StoreError};

/// How long a lease lives without release (a dead holder blocks this long): 5 minutes.
pub const TTL: Duration = Duration::from_secs(300);
/// How long a request waits for a held lease before answering 503: 60 seconds.
pub const WAIT: Duration = Duration::from_secs(60);

/// A held lease; released by [`LeaseGuard::release`] or, failing that, on drop.
#[must_use = "the lease is released when the guard is dropped"]
pub struct LeaseGuard {
    store: Store,
    name: String,
    holder: String,
    released: bool,
}

impl LeaseGuard {
    /// Releases the lease now.
    pub async fn release(mut self) {
        self.released = true;
        if let Err(e) = self
            .store
            .leases()
            .release_lease(&self.name, &self.holder)
            .await
        {
            tracing::warn!(lease = %self.name, error = %e, "cannot release a lease; it expires by itself");
        }
    }
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        let (store, name, holder) = (
            self.store.clone(),
            std::mem::take(&mut self.name),
            std::mem::take(&mut self.holder),
        );
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store.leases().release_lease(&name, &holder).await {
                    tracing::warn!(lease = %name, error = %e, "cannot release a lease; it expires by itself");
                }
            });
        }
    }
}

impl LeaseRepo<'_> {
    /// Takes the lease `name` for `holder` until `expires_at` (Unix µs) if it is free or
    /// expired at `now`; returns whether this call holds it.
    ///
    /// # Errors
    /// Store errors.
    pub async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        Ok(dispatch!(self.0, |p| sqlx::query(
            "INSERT INTO intent_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at WHERE intent_leases.expires_at < $4"
        )
        .bind(name)
        .bind(holder)
        .bind(expires_at)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected() == 1)?))
    }

    /// Releases the lease `name` if `holder` still holds it.
    ///
    /// # Errors
    /// Store errors.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "DELETE FROM intent_leases WHERE name = $1 AND holder = $2"
        )
        .bind(name)
        .bind(holder)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// Waits (up to [`WAIT`]) for the lease `name` and holds it until the guard goes.
    ///
    /// # Errors
    /// [`BridgeError::Busy`] after [`WAIT`]; store errors.
    pub async fn lease(&self, name: String) -> Result<LeaseGuard, BridgeError> {
        let holder = uuid::Uuid::new_v4().to_string();
        let deadline = tokio::time::Instant::now() + WAIT;
        let mut pause = Duration::from_millis(10);
        loop {
            let now = now_micros();
            let ttl = i64::try_from(TTL.as_micros()).unwrap_or(i64::MAX);
            if self
                .try_lease(&name, &holder, now, now.saturating_add(ttl))
                .await?
            {
                return Ok(LeaseGuard {
                    store: self.0.clone(),
                    name,
                    holder,
                    released: false,
                });
            }
            if tokio::time::Instant::now() + pause > deadline {
                return Err(BridgeError::Busy(name));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }
}

/// Lease names, one per kind of intent; the service id keeps apps apart.
pub mod names {
    /// A Lago subscription of `service` by its `external_id` (create, change, terminate).
    pub fn subscription(service: i64, external_id: &str) -> String {
        format!("subscription:{service}:{external_id}")
    }
    /// A customer of `service` by its `external_id` (upsert, delete).
    pub fn customer(service: i64, external_id: &str) -> String {
        format!("customer:{service}:{external_id}")
    }
    /// A plan of `service` by its `code` (create, update, delete).
    pub fn plan(service: i64, code: &str) -> String {
        format!("plan:{service}:{code}")
    }
    /// An invoice by its `lago_id` (credit notes, void, payment, finalize, retry payment).
    pub fn invoice(service: i64, lago_id: &str) -> String {
        format!("invoice:{service}:{lago_id}")
    }
    /// A request without `Idempotency-Key`, by the hash of its route and body.
    pub fn request(service: i64, hash: &str) -> String {
        format!("request:{service}:{hash}")
    }
}

/// Repository of intent leases (table `intent_leases`): a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct LeaseRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of intent leases.
    pub fn leases(&self) -> LeaseRepo<'_> {
        LeaseRepo(self)
    }
}
