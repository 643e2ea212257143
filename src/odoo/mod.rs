#![warn(missing_docs)]
//! Odoo 19 client: the only module that speaks Odoo's wire formats.
//!
//! - [`client::OdooClient`] connects (JSON-RPC `/jsonrpc` or JSON-2 `/json/2`, or `auto`),
//!   authenticates, retries transport failures, caps concurrency;
//! - [`error::OdooError`] types every failure (Odoo exception class → variant);
//! - [`value`] decodes Odoo's `false`/`[id, name]`/date conventions into `Option`, typed ids,
//!   `rust_decimal` and `chrono`;
//! - typed facades ([`partners`], [`catalogue`], [`subscriptions`], [`invoices`], [`credit_notes`],
//!   [`custom_fields`]) take typed ids and values and return domain structs; nothing above this
//!   module sees raw Odoo JSON, a model name or a field name;
//! - [`check`] verifies an Odoo instance has what the gateway needs (`fusion-billing odoo check`).
//!
//! # The seal
//!
//! The generic ORM methods (`search`, `search_read`, `search_read_all`, `search_count`, `read`,
//! `write`, `create`, `create_one`, `unlink`, `call`, `execute_kw`, `call_json2`, `fields`,
//! `has_field`, `forget_fields`) live on the private `orm::Orm`, which only this module reaches
//! (`OdooClient::orm`, `pub(in crate::odoo)`). A normal `cargo build` therefore rejects any use
//! of them elsewhere: other modules go through a facade method, and a new Odoo call means a new
//! typed facade method here.
//!
//! The crate's own tests inspect Odoo black-box with those methods. The `test-support` cargo
//! feature adds `impl Deref<Target = Orm> for OdooClient`, so `client.search_read(…)` works in
//! tests; the package enables it for its tests only, through a dev-dependency on itself
//! (`Cargo.toml`), so `cargo test` needs no flag and `cargo build` never sees it (resolver 2
//! keeps dev-dependency features out of normal builds). `cargo clippy --all-targets` builds
//! with the feature; `cargo build`/`cargo clippy` check the seal.
//!
//! The wire contract and its Odoo sources: `shared/odoo/CONTRACT.md`.

pub mod automation;
pub mod catalogue;
pub mod check;
pub mod client;
pub mod credit_notes;
pub mod custom_fields;
pub mod error;
pub mod invoices;
mod orm;
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
