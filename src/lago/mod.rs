//! Lago's wire vocabulary: the typed request and response objects of Lago's API
//! (`shared/lago/openapi.yaml`, lago-api `app/serializers/v1/*`), shared by the HTTP handlers
//! ([`crate::api`]) and the webhook bodies ([`crate::sync`], [`crate::webhooks`]).
//!
//! Direction of dependencies: `api` and `sync` → `lago` → the domain (`bridge`, `meter`,
//! `billing`). Nothing below `lago` knows Lago's JSON. Each response type is built from the
//! domain's view with `From`, and every field that Lago's schema or an official client
//! requires is a non-`Option` Rust field, so it can never be sent as `null`.
//!
//! [`error_code`] is the one catalogue of Lago's error codes: every `code` of an error body
//! and every `error_details` code, each with its HTTP status, defined once.

pub mod billable_metric;
pub mod billable_metric_request;
pub mod counter;
pub mod credit_note;
pub mod credit_note_request;
pub mod customer;
pub mod customer_request;
pub mod error_code;
pub mod event;
pub mod event_request;
pub mod fields;
pub mod invoice;
pub mod invoice_request;
pub mod openapi;
pub mod plan;
pub mod plan_request;
pub mod reconciliation;
pub mod subscription;
pub mod subscription_request;
pub mod time;
pub mod usage;
pub mod webhook_endpoint;
pub mod webhook_endpoint_request;
