//! `/api/v1/credit_notes` in Lago's shapes (API-NOTES §7; `api:app/controllers/api/v1/
//! credit_notes_controller.rb`, `app/serializers/v1/credit_note_serializer.rb`,
//! `credit_note_item_serializer.rb`). The logic and the Odoo mapping live in
//! [`crate::accounts::credit_notes`]. Amounts are integer cents of the invoice currency.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use crate::lago::customer::Customer;
use super::auth::AuthenticatedService;
use super::body::root_object;
use super::error::ApiError;
use super::idempotency::idempotent;
use super::invoices::fee_json;
use super::pagination::PageParams;
use super::state::AppState;
use crate::lago::time::iso_seconds;
use crate::accounts::credit_notes::CreditNoteView;
use crate::meter::time::to_micros;

/// Lago's credit note JSON (every field `CreditNoteResponse` of the python client requires is
/// present and non-null).
pub fn credit_note_json(v: &CreditNoteView) -> Value {
    let m = &v.mv;
    let currency = v.invoice.currency();
    let items: Vec<Value> = serde_json::from_str::<Vec<Value>>(&v.row.items)
        .unwrap_or_default()
        .into_iter()
        .map(|it| {
            let fee = v
                .invoice
                .fees
                .iter()
                .find(|f| Some(f.lago_id.as_str()) == it["fee_id"].as_str())
                .map(|f| fee_json(&v.invoice, f))
                .unwrap_or(Value::Null);
            json!({
                "lago_id": it["lago_id"],
                "amount_cents": it["amount_cents"],
                "precise_amount_cents": it["amount_cents"].as_i64().unwrap_or(0).to_string(),
                "amount_currency": currency,
                "fee": fee,
            })
        })
        .collect();
    let credited: Vec<String> = serde_json::from_str::<Vec<Value>>(&v.row.items)
        .unwrap_or_default()
        .iter()
        .filter_map(|it| it["fee_id"].as_str().map(String::from))
        .collect();
    let taxes_rate = v
        .invoice
        .fees
        .iter()
        .filter(|f| credited.contains(&f.lago_id))
        .map(|f| f.taxes_rate())
        .fold(rust_decimal::Decimal::ZERO, rust_decimal::Decimal::max);
    let total = v.cents.total;
    json!({
        "lago_id": v.row.lago_id,
        // The gateway has one billing entity per app: Odoo's company.
        "billing_entity_code": "default",
        "sequential_id": m.id.0,
        "number": m.number.clone().unwrap_or_else(|| format!("DRAFT-{}", m.id.0)),
        "lago_invoice_id": v.invoice.row.lago_id,
        "invoice_number": v.invoice.mv.number,
        "issuing_date": m.invoice_date.map(|d| d.format("%Y-%m-%d").to_string()),
        "credit_status": v.credit_status(),
        "refund_status": (v.row.refund_amount_cents > 0).then_some("pending"),
        "reason": v.row.reason,
        "description": v.row.description,
        "currency": currency,
        "total_amount_cents": total,
        "precise_total_amount_cents": total.to_string(),
        "taxes_amount_cents": v.cents.tax,
        "precise_taxes_amount_cents": v.cents.tax.to_string(),
        "taxes_rate": super::invoices::rate_json(taxes_rate),
        "sub_total_excluding_taxes_amount_cents": v.cents.untaxed,
        "balance_amount_cents": v.balance_cents(),
        "credit_amount_cents": v.row.credit_amount_cents,
        "refund_amount_cents": v.row.refund_amount_cents,
        "offset_amount_cents": 0,
        "coupons_adjustment_amount_cents": 0,
        "precise_coupons_adjustment_amount_cents": "0",
        "created_at": iso_seconds(v.row.created_at),
        "updated_at": m.write_date.map(|d| iso_seconds(to_micros(d))).unwrap_or_else(|| iso_seconds(v.row.updated_at)),
        "voided_at": v.row.voided_at.map(iso_seconds),
        "file_url": null,
        "xml_url": null,
        "self_billed": false,
        "items": items,
        "applied_taxes": [],
        "metadata": {},
        "customer": Customer::from(&v.invoice.customer),
    })
}

fn one(v: &CreditNoteView) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "credit_note": credit_note_json(v) }))
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
        let input = root_object(&b, "credit_note")?;
        let v = st.accounts.create_credit_note(&svc, &input, &rid).await?;
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
    Ok(one(&state.accounts.credit_note(&auth.0, &path).await?))
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
        .accounts
        .credit_notes(&auth.0, ext.as_deref(), page.limit(), page.offset())
        .await?;
    let notes: Vec<Value> = views.iter().map(credit_note_json).collect();
    Ok(HttpResponse::Ok().json(json!({ "credit_notes": notes, "meta": page.meta(total) })))
}

/// `PUT /api/v1/credit_notes/{lago_id}/void`: `credit_status` `voided`; 405
/// `no_voidable_amount`.
pub async fn void(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state
        .accounts
        .void_credit_note(&auth.0, &path)
        .await?))
}
