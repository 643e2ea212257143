//! The Lago-compatible HTTP API (actix-web).
//!
//! Every route under `/api/v1` takes an [`auth::AuthenticatedService`]; every failure is
//! Lago's JSON error body ([`error::ApiError`]), including unknown routes (404
//! `resource_not_found`), 405, 413 and panics.

use crate::lago::error_code::ErrorCode;

pub mod auth;
pub mod batch;
pub mod billable_metrics;
pub mod body;
pub mod credit_notes;
pub mod customers;
pub mod error;
pub mod events;
pub mod head_guard;
pub mod health;
pub mod idempotency;
pub mod invoices;
pub mod nudge;
pub mod openapi;
pub mod pagination;
pub mod plans;
pub mod reconciliation;
pub mod state;
pub mod subscriptions;
pub mod usage;
pub mod webhook_endpoints;

use actix_web::web;

use error::ApiError;

/// Registers every route on `cfg`; the `/api/v1` resources are grouped by resource in
/// `v1`, in matching order (a literal segment before `{id}`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health::health))
        .route("/ready", web::get().to(health::ready))
        .route("/metrics", web::get().to(health::metrics))
        .route("/odoo/nudge", web::post().to(nudge::nudge))
        .service(web::resource("/api/billing/v1/usage").route(web::post().to(usage::push)))
        .service(
            v1::GROUPS
                .iter()
                .fold(web::scope("/api/v1"), |scope, group| group(scope)),
        );
}

/// The `/api/v1` route table by resource.
mod v1 {
    use actix_web::{web, Scope};

    use super::{
        billable_metrics, credit_notes, customers, events, invoices, openapi, plans,
        reconciliation, subscriptions, usage, webhook_endpoints,
    };

    /// Every group, in registration order (the first matching resource answers).
    pub const GROUPS: [fn(Scope) -> Scope; 11] = [
        openapi,
        events,
        billable_metrics,
        usage,
        customers,
        plans,
        reconciliation,
        subscriptions,
        webhooks,
        invoices,
        credit_notes,
    ];

    /// `/openapi.json`: the OpenAPI document.
    fn openapi(scope: Scope) -> Scope {
        scope.service(web::resource("/openapi.json").route(web::get().to(openapi::serve)))
    }

    /// Events: batch, create, list, show.
    fn events(scope: Scope) -> Scope {
        scope
            .service(web::resource("/events/batch").route(web::post().to(events::create_batch)))
            .service(
                web::resource("/events")
                    .route(web::post().to(events::create))
                    .route(web::get().to(events::list)),
            )
            .service(web::resource("/events/{transaction_id}").route(web::get().to(events::show)))
    }

    /// Billable metrics: CRUD by `code`.
    fn billable_metrics(scope: Scope) -> Scope {
        scope
            .service(
                web::resource("/billable_metrics")
                    .route(web::post().to(billable_metrics::create))
                    .route(web::get().to(billable_metrics::list)),
            )
            .service(
                web::resource("/billable_metrics/{code}")
                    .route(web::get().to(billable_metrics::show))
                    .route(web::put().to(billable_metrics::update))
                    .route(web::delete().to(billable_metrics::delete)),
            )
    }

    /// `/usage`: pushed usage counters.
    fn usage(scope: Scope) -> Scope {
        scope.service(web::resource("/usage").route(web::post().to(usage::push)))
    }

    /// Customers: create, list, show, delete, current usage, invoices, checkout URL.
    fn customers(scope: Scope) -> Scope {
        scope
            .service(
                web::resource("/customers")
                    .route(web::post().to(customers::create))
                    .route(web::get().to(customers::list)),
            )
            .service(
                web::resource("/customers/{external_id}/current_usage")
                    .route(web::get().to(customers::current_usage)),
            )
            .service(
                web::resource("/customers/{external_id}/invoices")
                    .route(web::get().to(invoices::list_of_customer)),
            )
            .service(
                web::resource("/customers/{external_id}/checkout_url")
                    .route(web::post().to(customers::checkout_url)),
            )
            .service(
                web::resource("/customers/{external_id}")
                    .route(web::get().to(customers::show))
                    .route(web::delete().to(customers::delete)),
            )
    }

    /// Plans: CRUD by `code`.
    fn plans(scope: Scope) -> Scope {
        scope
            .service(
                web::resource("/plans")
                    .route(web::post().to(plans::create))
                    .route(web::get().to(plans::list)),
            )
            .service(
                web::resource("/plans/{code}")
                    .route(web::get().to(plans::show))
                    .route(web::put().to(plans::update))
                    .route(web::delete().to(plans::delete)),
            )
    }

    /// Reconciliation runs.
    fn reconciliation(scope: Scope) -> Scope {
        scope.service(
            web::resource("/reconciliation")
                .route(web::post().to(reconciliation::create))
                .route(web::get().to(reconciliation::show)),
        )
    }

    /// Subscriptions by `external_id`.
    fn subscriptions(scope: Scope) -> Scope {
        scope
            .service(
                web::resource("/subscriptions")
                    .route(web::post().to(subscriptions::create))
                    .route(web::get().to(subscriptions::list)),
            )
            .service(
                web::resource("/subscriptions/{external_id}")
                    .route(web::get().to(subscriptions::show))
                    .route(web::put().to(subscriptions::update))
                    .route(web::patch().to(subscriptions::update))
                    .route(web::delete().to(subscriptions::delete)),
            )
    }

    /// Webhook endpoints and the webhook signing public key.
    fn webhooks(scope: Scope) -> Scope {
        scope
            .service(
                web::resource("/webhook_endpoints")
                    .route(web::post().to(webhook_endpoints::create))
                    .route(web::get().to(webhook_endpoints::list)),
            )
            .service(
                web::resource("/webhook_endpoints/{lago_id}")
                    .route(web::get().to(webhook_endpoints::show))
                    .route(web::put().to(webhook_endpoints::update))
                    .route(web::delete().to(webhook_endpoints::delete)),
            )
            .service(
                web::resource("/webhooks/public_key")
                    .route(web::get().to(webhook_endpoints::public_key)),
            )
            .service(
                web::resource("/webhooks/json_public_key")
                    .route(web::get().to(webhook_endpoints::json_public_key)),
            )
    }

    /// Invoices and their actions (download, retry payment, void, finalize, refresh).
    fn invoices(scope: Scope) -> Scope {
        scope
            .service(
                web::resource("/invoices")
                    .route(web::post().to(invoices::create))
                    .route(web::get().to(invoices::list)),
            )
            .service(
                web::resource("/invoices/{lago_id}/download")
                    .route(web::post().to(invoices::download)),
            )
            .service(
                web::resource("/invoices/{lago_id}/download_pdf")
                    .route(web::post().to(invoices::download)),
            )
            .service(
                web::resource("/invoices/{lago_id}/retry_payment")
                    .route(web::post().to(invoices::retry_payment)),
            )
            .service(
                web::resource("/invoices/{lago_id}/void").route(web::post().to(invoices::void)),
            )
            .service(
                web::resource("/invoices/{lago_id}/finalize")
                    .route(web::put().to(invoices::finalize)),
            )
            .service(
                web::resource("/invoices/{lago_id}/refresh")
                    .route(web::put().to(invoices::refresh)),
            )
            .service(
                web::resource("/invoices/{lago_id}")
                    .route(web::get().to(invoices::show))
                    .route(web::put().to(invoices::update)),
            )
    }

    /// Credit notes: create, list, show, void.
    fn credit_notes(scope: Scope) -> Scope {
        scope
            .service(
                web::resource("/credit_notes")
                    .route(web::post().to(credit_notes::create))
                    .route(web::get().to(credit_notes::list)),
            )
            .service(
                web::resource("/credit_notes/{lago_id}/void")
                    .route(web::put().to(credit_notes::void)),
            )
            .service(
                web::resource("/credit_notes/{lago_id}").route(web::get().to(credit_notes::show)),
            )
    }
}

/// The answer to any route that does not exist: 404 `resource_not_found`.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound(ErrorCode::ResourceNotFound))
}
