#![warn(missing_docs)]
//! Odoo 19 client: the only module that speaks Odoo's wire formats.
//!
//! - [`client::OdooClient`] connects (JSON-RPC `/jsonrpc` or JSON-2 `/json/2`, or `auto`),
//!   authenticates, retries transport failures, caps concurrency;
//! - [`error::OdooError`] types every failure (Odoo exception class → variant);
//! - [`value`] decodes Odoo's `false`/`[id, name]`/date conventions into `Option`, typed ids,
//!   `rust_decimal` and `chrono`;
//! - typed facades ([`partners`], [`catalogue`], [`subscriptions`], [`invoices`], [`credit_notes`])
//!   return domain structs; nothing above this module sees raw Odoo JSON;
//! - [`check`] verifies an Odoo instance has what the gateway needs (`fusion-billing odoo check`).
//!
//! The wire contract and its Odoo sources: `shared/odoo/CONTRACT.md`.

pub mod automation;
pub mod catalogue;
pub mod check;
pub mod client;
pub mod credit_notes;
pub mod error;
pub mod invoices;
pub mod partners;
pub mod retry;
pub mod subscriptions;
pub mod transport;
pub mod value;

pub use check::{check, CheckItem, CheckReport, CheckStatus};
pub use client::{Call, FieldInfo, OdooClient, Protocol, SearchOptions, ServerVersion};
pub use error::{OdooError, TransportKind};
pub use retry::RetryPolicy;
pub use value::*;
