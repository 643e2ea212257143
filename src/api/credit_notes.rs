//! `/api/v1/credit_notes` in Lago's shapes (API-NOTES §7; `api:app/controllers/api/v1/
//! credit_notes_controller.rb`, `app/serializers/v1/credit_note_serializer.rb`,
//! `credit_note_item_serializer.rb`). The logic and the Odoo mapping live in
//! [`crate::bridge::credit_notes`]. Amounts are integer cents of the invoice currency.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::auth::AuthenticatedService;
use super::body::root_object;
use super::error::ApiError;
use super::idempotency::idempotent;
use super::pagination::PageParams;
use super::state::AppState;
use crate::bridge::credit_notes::CreditNoteView;
use crate::lago::credit_note::CreditNote;
use crate::lago::credit_note_request;

fn one(v: &CreditNoteView) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "credit_note": CreditNote::from(v) }))
}

/// `POST /api/v1/credit_notes`: `{"credit_note":{"invoice_id","reason","description",
/// "items":[{"fee_id","amount_cents"}],"credit_amount_cents","refund_amount_cents"}}`;
/// honours `Idempotency-Key`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (svc, st, b) = (auth.0.clone(), state.clone(), body.clone());
    idempotent(&req, &state, &auth.0, &body, move |rid| async move {
        let note = credit_note_request::new_credit_note(&root_object(&b, "credit_note")?)?;
        let v = st.bridge.create_credit_note(&svc, &note, &rid).await?;
        Ok(one(&v))
    })
    .await
}

/// `GET /api/v1/credit_notes/{lago_id}`; 404 `credit_note_not_found`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.bridge.credit_note(&auth.0, &path).await?))
}

/// `GET /api/v1/credit_notes`: filter `external_customer_id`; `page`/`per_page`;
/// `{"credit_notes":[…],"meta":{…}}`, newest first.
pub async fn list(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| q.iter().find(|(a, _)| a == k).map(|(_, v)| v.clone());
    let page = PageParams {
        page: get("page").and_then(|p| p.parse().ok()),
        per_page: get("per_page").and_then(|p| p.parse().ok()),
    };
    let ext = get("external_customer_id").filter(|s| !s.is_empty());
    let (views, total) = state
        .bridge
        .credit_notes(&auth.0, ext.as_deref(), page.limit(), page.offset())
        .await?;
    let notes: Vec<CreditNote> = views.iter().map(CreditNote::from).collect();
    Ok(HttpResponse::Ok().json(json!({ "credit_notes": notes, "meta": page.meta(total) })))
}

/// `PUT /api/v1/credit_notes/{lago_id}/void`: `credit_status` `voided`; 405
/// `no_voidable_amount`.
pub async fn void(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.bridge.void_credit_note(&auth.0, &path).await?))
}
