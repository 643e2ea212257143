//! fusion-billing: a Lago-compatible metering gateway that makes one Odoo 19 instance the
//! billing system of record.
//!
//! Module map (the README's "Architecture" has the dependency rules):
//! - [`api`]: the HTTP API (actix-web): routes, auth extractor, Lago error body,
//!   `Idempotency-Key`; each handler parses with [`lago`] and makes one service call.
//! - [`lago`]: Lago's wire vocabulary: request parsers into typed commands, response objects
//!   (HTTP answers and webhook bodies), the one error-code catalogue, time formats.
//! - [`bridge`]: the Lago resources on native Odoo records (customers, plans, subscriptions,
//!   invoices, credit notes), rating and current usage, intent leases, one repository per
//!   aggregate.
//! - [`odoo`]: the Odoo 19 client (JSON-RPC / JSON-2): the sealed ORM, typed facades,
//!   `odoo check`.
//! - [`meter`]: the store (SQLite / PostgreSQL), tenants and keys, events, billable metrics,
//!   usage, the group-commit ingest writer.
//! - [`billing`]: pure domain: aggregations, billing windows, money, charge models.
//! - [`limits`]: every bound on client input (lengths, magnitudes, metadata), in one place.
//! - [`odoo_sim`]: an in-memory Odoo 19 that answers the wire contract, for tests and demos.
//! - [`sync`]: the rating push (usage onto Odoo subscription lines) and the watcher (Odoo
//!   changes → webhooks); [`webhooks`]: outbox, signing, delivery.
//! - [`import`]: the NexaCloud importer (shadow copy); [`reconcile`]: dual-run reconciliation.
//! - [`background`]: the supervisor of the periodic loops and their health.
//! - [`configuration`], [`telemetry`] (tracing, Prometheus metrics), [`startup`], [`cli`]:
//!   the process around them.

#![recursion_limit = "256"]

pub mod api;
pub mod background;
pub mod billing;
pub mod bridge;
pub mod cli;
pub mod configuration;
pub mod import;
pub mod lago;
pub mod limits;
pub mod meter;
pub mod odoo;
pub mod odoo_sim;
pub mod reconcile;
pub mod startup;
pub mod sync;
pub mod telemetry;
pub mod webhooks;
