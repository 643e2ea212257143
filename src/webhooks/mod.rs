//! Outbound webhooks, as Lago sends them (API-NOTES §8,
//! `api:app/services/webhooks/*`, `app/models/webhook.rb`), with Standard Webhooks
//! signatures added.
//!
//! - [`outbox`]: [`outbox::enqueue`], the one call other modules make to emit a webhook
//!   (one durable row per endpoint, written before any attempt).
//! - [`delivery`]: the background worker that sends due rows, retries and disables.
//! - [`signing`]: `X-Lago-Signature` (HMAC or RS256 JWT), `webhook-signature`, the
//!   instance RSA key pair.
//! - [`ssrf`]: which URLs may be registered and which addresses may be connected to.
//! - [`schedule`]: the retry schedule and `Retry-After`.
//! - [`endpoint_service`]: creating, changing and removing endpoints from typed requests.
//! - [`repo`]: the store queries (`migrations/*/0003_webhooks.sql`).
//! - [`replay`]: re-queueing deliveries for `fusion-billing webhooks replay`.

pub mod delivery;
pub mod endpoint_service;
pub mod outbox;
pub mod replay;
pub mod repo;
pub mod schedule;
pub mod signing;
pub mod ssrf;

pub use outbox::enqueue;
