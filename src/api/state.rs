//! [`AppState`]: what every handler can reach (shared through `web::Data`).

use std::sync::Arc;

use super::auth::KeyCache;
use crate::bridge::Bridge;
use crate::configuration::Settings;
use crate::meter::writer::IngestHandle;
use crate::meter::Store;
use crate::telemetry::metrics::Metrics;

/// Shared application state.
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub ingest: IngestHandle,
    pub keys: KeyCache,
    pub metrics: Metrics,
    /// Customers, plans and subscriptions on Odoo.
    pub bridge: Bridge,
    /// The Odoo change watcher (the nudge route wakes it).
    pub watcher: crate::sync::Watcher,
}
