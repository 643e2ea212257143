//! `/api/v1/invoices` in Lago's shapes (API-NOTES §6; `api:app/controllers/api/v1/
//! invoices_controller.rb`, `app/controllers/concerns/invoice_index.rb`,
//! `app/serializers/v1/invoice_serializer.rb`, `fee_serializer.rb`). The logic and the Odoo
//! mapping live in [`crate::bridge::invoices`].
//!
//! Every amount is an integer `*_amount_cents` in the invoice currency's minor unit;
//! `units` and `precise_*` values are decimal strings; `taxes_rate` is a float percentage.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde_json::json;

use super::auth::AuthenticatedService;
use super::body::{parse_json, root_object};
use super::error::ApiError;
use super::idempotency::idempotent;
use super::pagination::PageParams;
use super::state::AppState;
use crate::bridge::invoices::{InvoiceFilter, InvoiceView};
use crate::lago::error_code::FieldCode;
use crate::lago::invoice::Invoice;
use crate::lago::invoice_request;

fn one(v: &InvoiceView) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "invoice": Invoice::from(v) }))
}

fn query_values(req: &HttpRequest, key: &str) -> Vec<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == key || *k == format!("{key}[]"))
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

fn query_date(req: &HttpRequest, key: &str) -> Result<Option<NaiveDate>, ApiError> {
    match query_values(req, key).first() {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ApiError::field(key, FieldCode::InvalidDate)),
    }
}

/// `GET /api/v1/invoices`: filters `external_customer_id`, `invoice_type`, `currency`, `status`/`statuses[]`,
/// `payment_status`/`payment_statuses[]`, `issuing_date_from`/`issuing_date_to`
/// (`YYYY-MM-DD`, else 422 `invalid_date`); `page`/`per_page`. Answers
/// `{"invoices":[…],"meta":{…}}`, newest issuing date first.
pub async fn list(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    list_filtered(auth, state, req, None).await
}

async fn list_filtered(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    req: HttpRequest,
    customer: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let page = PageParams {
        page: query_values(&req, "page")
            .first()
            .and_then(|p| p.parse().ok()),
        per_page: query_values(&req, "per_page")
            .first()
            .and_then(|p| p.parse().ok()),
    };
    let filter = InvoiceFilter {
        external_customer_id: customer.or_else(|| {
            query_values(&req, "external_customer_id")
                .into_iter()
                .next()
        }),
        statuses: [query_values(&req, "status"), query_values(&req, "statuses")].concat(),
        payment_statuses: [
            query_values(&req, "payment_status"),
            query_values(&req, "payment_statuses"),
        ]
        .concat(),
        issuing_date_from: query_date(&req, "issuing_date_from")?,
        issuing_date_to: query_date(&req, "issuing_date_to")?,
        invoice_type: query_values(&req, "invoice_type").into_iter().next(),
        currency: query_values(&req, "currency").into_iter().next(),
    };
    let (views, total) = state
        .bridge
        .invoices(&auth.0, &filter, page.limit(), page.offset())
        .await?;
    let invoices: Vec<Invoice> = views.iter().map(Invoice::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "invoices": invoices, "meta": page.meta(total) })))
}

/// `GET /api/v1/customers/{external_id}/invoices`: as `GET /invoices` with
/// `external_customer_id` = the path's id (404 `customer_not_found` when unknown).
pub async fn list_of_customer(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let ext = path.into_inner();
    state.bridge.customer(&auth.0, &ext).await?;
    list_filtered(auth, state, req, Some(ext)).await
}

/// `GET /api/v1/invoices/{lago_id}`: `{"invoice":…}`; 404 `invoice_not_found`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.bridge.invoice(&auth.0, &path).await?))
}

/// `POST /api/v1/invoices`: a one-off invoice (see
/// [`crate::bridge::Bridge::create_one_off_invoice`]); honours `Idempotency-Key`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (svc, st, b) = (auth.0.clone(), state.clone(), body.clone());
    idempotent(&req, &state, &auth.0, &body, move |rid| async move {
        let invoice = invoice_request::one_off_invoice(&root_object(&b, "invoice")?)?;
        let v = st
            .bridge
            .create_one_off_invoice(&svc, &invoice, &rid)
            .await?;
        Ok(one(&v))
    })
    .await
}

/// `PUT /api/v1/invoices/{lago_id}`: `{"invoice":{"payment_status","metadata"}}`.
pub async fn update(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let change = invoice_request::invoice_update(&root_object(&body, "invoice")?)?;
    Ok(one(&state
        .bridge
        .update_invoice(&auth.0, &path, &change)
        .await?))
}

/// `POST /api/v1/invoices/{lago_id}/download`: `{"invoice":{…,"file_url"}}` with the absolute
/// Odoo portal URL of the PDF; 404 for a draft.
pub async fn download(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.bridge.download_invoice(&auth.0, &path).await?))
}

/// `POST /api/v1/invoices/{lago_id}/retry_payment`: 200 with an empty body (as Lago);
/// 405 `invalid_status` / `no_payment_method`; honours `Idempotency-Key`.
pub async fn retry_payment(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    parse_json(&body)?;
    let (svc, st, id) = (auth.0.clone(), state.clone(), path.into_inner());
    idempotent(&req, &state, &auth.0, &body, move |_rid| async move {
        st.bridge.retry_invoice_payment(&svc, &id).await?;
        Ok(HttpResponse::Ok().finish())
    })
    .await
}

/// `POST /api/v1/invoices/{lago_id}/void`: `status` `voided`; 405 `not_voidable`.
pub async fn void(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.bridge.void_invoice(&auth.0, &path).await?))
}

/// `PUT /api/v1/invoices/{lago_id}/finalize`: posts a draft; 404 otherwise.
pub async fn finalize(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.bridge.finalize_invoice(&auth.0, &path).await?))
}

/// `PUT /api/v1/invoices/{lago_id}/refresh`: the invoice as Odoo computes it now.
pub async fn refresh(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.bridge.invoice(&auth.0, &path).await?))
}
