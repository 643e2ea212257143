//! `watch_seen`: the last state the watcher saw of each Odoo object an app owns.

use crate::dispatch;
use crate::meter::{Store, StoreError};

impl WatchRepo<'_> {
    /// The state last seen of (`object_type`, Odoo id), as stored JSON text.
    ///
    /// # Errors
    /// Store errors.
    pub async fn seen(
        &self,
        object_type: &str,
        odoo_id: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(dispatch!(self.0, |p| sqlx::query_scalar(
            "SELECT state FROM watch_seen WHERE object_type = $1 AND odoo_id = $2"
        )
        .bind(object_type)
        .bind(odoo_id)
        .fetch_optional(p)
        .await?))
    }

    /// Records the state seen of an object.
    ///
    /// # Errors
    /// Store errors.
    pub async fn put_seen(
        &self,
        object_type: &str,
        odoo_id: i64,
        service_id: i64,
        state: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self.0, |p| sqlx::query(
            "INSERT INTO watch_seen (object_type, odoo_id, service_id, state, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (object_type, odoo_id) \
             DO UPDATE SET service_id = $3, state = $4, updated_at = $5"
        )
        .bind(object_type)
        .bind(odoo_id)
        .bind(service_id)
        .bind(state)
        .bind(at)
        .execute(p)
        .await
        .map(|_| ())?);
        Ok(())
    }
}

/// Repository of what the Odoo watcher last saw of each record: a borrowed view of the [`Store`], one per aggregate.
#[derive(Debug, Clone, Copy)]
pub struct WatchRepo<'s>(pub(crate) &'s Store);

impl Store {
    /// The repository of what the Odoo watcher last saw of each record.
    pub fn watch(&self) -> WatchRepo<'_> {
        WatchRepo(self)
    }
}
