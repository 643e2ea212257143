//! The durable local usage store and everything that writes to it.
//!
//! - [`store`]: the [`Store`] handle over SQLite (embedded default, WAL) or PostgreSQL,
//!   migrations for both.
//! - [`tenants`]: services (apps, the tenant boundary) and their API keys.
//! - [`billable_metric_repo`]: Lago billable metrics per service.
//! - [`metric_service`]: creating, changing and removing them from typed requests.
//! - [`events`]: raw events and pushed counters: types, reads, and the batch insert.
//! - [`writer`]: the group-commit writer that all ingestion goes through.

pub mod billable_metric_repo;
pub mod events;
pub mod group_insert;
pub mod metric_service;
pub mod store;
pub mod tenants;
pub mod time;
pub mod usage;
pub mod usage_cache;
pub mod writer;

pub use store::{BeginWrite, Store, StoreError};
