//! fusion-billing: a Lago-compatible metering gateway that makes one Odoo 19 instance the
//! billing system of record.
//!
//! Module map (see `DESIGN.md` in the shared folder and the README):
//! - [`api`]: Lago-compatible HTTP API (actix-web), auth extractor, Lago error body.
//! - [`meter`]: durable local usage store (SQLite / PostgreSQL) and the group-commit writer.
//! - [`billing`]: pure domain: aggregations, billing windows, money, charge models.
//! - [`lago`]: Lago's wire vocabulary (the error-code catalogue).
//! - [`limits`]: every bound on client input (lengths, magnitudes, metadata), in one place.
//! - [`odoo`]: the Odoo 19 client (JSON-RPC / JSON-2), typed facades and `odoo check`.
//! - [`accounts`]: customers, plans and subscriptions as native Odoo records, rating and
//!   current usage.
//! - [`odoo_sim`]: an in-memory Odoo 19 that answers the wire contract, for tests and demos.
//! - [`sync`]: the rating push (usage onto Odoo subscription lines).
//! - [`import`]: the NexaCloud importer (shadow copy); [`reconcile`]: dual-run reconciliation.
//! - [`background`]: the supervisor of the periodic loops and their health.
//! - [`configuration`], [`telemetry`], [`startup`], [`cli`]: the process around them.

#![recursion_limit = "256"]

pub mod accounts;
pub mod api;
pub mod background;
pub mod billing;
pub mod cli;
pub mod configuration;
pub mod import;
pub mod lago;
pub mod limits;
pub mod meter;
pub mod metrics;
pub mod odoo;
pub mod odoo_sim;
pub mod reconcile;
pub mod startup;
pub mod sync;
pub mod telemetry;
pub mod webhooks;
