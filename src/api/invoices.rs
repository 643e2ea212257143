//! `/api/v1/invoices` in Lago's shapes (API-NOTES §6; `api:app/controllers/api/v1/
//! invoices_controller.rb`, `app/controllers/concerns/invoice_index.rb`,
//! `app/serializers/v1/invoice_serializer.rb`, `fee_serializer.rb`). The logic and the Odoo
//! mapping live in [`crate::accounts::invoices`].
//!
//! Every amount is an integer `*_amount_cents` in the invoice currency's minor unit;
//! `units` and `precise_*` values are decimal strings; `taxes_rate` is a float percentage.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde_json::{json, Value};

use super::auth::AuthenticatedService;
use super::body::{parse_json, root_object};
use super::customers::customer_json;
use super::error::ApiError;
use super::idempotency::idempotent;
use super::pagination::PageParams;
use super::state::AppState;
use super::subscriptions::subscription_json;
use super::timefmt::iso_seconds;
use crate::accounts::invoice_repo::stable_uuid;
use crate::accounts::invoices::{
    lago_payment_status, lago_status, FeeView, InvoiceFilter, InvoiceView,
};
use crate::accounts::subscriptions::{add_interval, SubscriptionView};
use crate::lago::error_code::FieldCode;
use crate::meter::time::to_micros;

fn date_time(d: NaiveDate) -> String {
    format!("{}T00:00:00Z", d.format("%Y-%m-%d"))
}

fn end_of(d: NaiveDate) -> String {
    let end = d.and_hms_opt(0, 0, 0).expect("midnight").and_utc() - chrono::Duration::seconds(1);
    iso_seconds(to_micros(end))
}

/// The billing period of a subscription invoice: `[issuing date, + one plan interval)`.
fn period(v: &InvoiceView) -> Option<(NaiveDate, NaiveDate)> {
    let plan = v.plan.as_ref()?;
    let from = v.issuing_date();
    Some((from, add_interval(from, &plan.interval)))
}

/// Lago's fee JSON for one line of `v` (`api:app/serializers/v1/fee_serializer.rb`).
pub fn fee_json(v: &InvoiceView, f: &FeeView) -> Value {
    let currency = v.currency();
    let (item_type_class, lago_item_id) = match f.item_type {
        "subscription" => (
            "Subscription",
            v.subscription.as_ref().map(|s| s.lago_id.clone()),
        ),
        "charge" => (
            "BillableMetric",
            Some(stable_uuid(&[
                "item",
                &v.row.service_id.to_string(),
                &f.code,
            ])),
        ),
        _ => (
            "AddOn",
            Some(stable_uuid(&[
                "add_on",
                &v.row.service_id.to_string(),
                &f.code,
            ])),
        ),
    };
    let (from_date, to_date) = match period(v) {
        Some((a, b)) => (Some(date_time(a)), Some(end_of(b))),
        None => (None, None),
    };
    let sub = v.subscription.as_ref();
    json!({
        "lago_id": f.lago_id,
        "lago_charge_id": null,
        "lago_charge_filter_id": null,
        "lago_fixed_charge_id": null,
        "lago_invoice_id": v.row.lago_id,
        "lago_true_up_fee_id": null,
        "lago_true_up_parent_fee_id": null,
        "lago_subscription_id": sub.map(|s| s.lago_id.clone()),
        "external_subscription_id": sub.map(|s| s.external_id.clone()),
        "lago_customer_id": v.customer.lago_id,
        "external_customer_id": v.customer.external_id,
        "invoice_display_name": f.name,
        "amount_cents": f.amount_cents(),
        "sub_total_excluding_taxes_amount_cents": f.amount_cents(),
        "sub_total_excluding_taxes_precise_amount_cents":
            (f.line.price_subtotal * rust_decimal::Decimal::ONE_HUNDRED).normalize().to_string(),
        "precise_amount": f.line.price_subtotal.normalize().to_string(),
        "precise_total_amount": f.line.price_total.normalize().to_string(),
        "amount_currency": currency,
        "taxes_amount_cents": f.taxes_cents(),
        "taxes_precise_amount": (f.line.price_total - f.line.price_subtotal).normalize().to_string(),
        "taxes_rate": f.taxes_rate(),
        "units": f.line.quantity.normalize().to_string(),
        "precise_unit_amount": f.line.price_unit.normalize().to_string(),
        "unit_amount_cents": f.cents.unit,
        "total_amount_cents": f.cents.total,
        "total_amount_currency": currency,
        "total_aggregated_units": f.line.quantity.normalize().to_string(),
        "events_count": 0,
        "pay_in_advance": false,
        "invoiceable": true,
        "from_date": from_date,
        "to_date": to_date,
        "payment_status": lago_payment_status(&v.mv),
        "created_at": iso_seconds(v.row.created_at),
        "succeeded_at": null,
        "failed_at": null,
        "refunded_at": null,
        "amount_details": {},
        "self_billed": false,
        "item": {
            "type": f.item_type,
            "code": f.code,
            "name": f.name,
            "description": f.line.name,
            "invoice_display_name": f.name,
            "filter_invoice_display_name": null,
            "filters": null,
            "lago_item_id": lago_item_id,
            "item_type": item_type_class,
            "grouped_by": {},
        },
        "applied_taxes": [],
    })
}

/// Lago's invoice JSON (every field `InvoiceResponse` of the python client requires is
/// present and non-null: `lago_id`, `number`, `payment_overdue`, `net_payment_term`,
/// `invoice_type`, `version_number`, `status`, `payment_status`, `currency` and the amounts).
pub fn invoice_json(v: &InvoiceView) -> Value {
    let m = &v.mv;
    let currency = v.currency();
    let fees: Vec<Value> = v.fees.iter().map(|f| fee_json(v, f)).collect();
    let fees_cents = v.cents.untaxed;
    let taxes_cents = v.cents.tax;
    let total_cents = v.cents.total;
    let due_cents = if m.state == crate::odoo::invoices::MoveState::Posted {
        v.cents.residual
    } else {
        0
    };
    let paid_cents = if lago_payment_status(m) == "succeeded" {
        total_cents - due_cents
    } else {
        0
    };
    let issuing = v.issuing_date();
    let net_payment_term = crate::accounts::customers::attributes(&v.customer)
        .get("net_payment_term")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let mut applied_taxes: Vec<Value> = Vec::new();
    let mut rates: Vec<(String, i64, i64)> = Vec::new();
    for f in &v.fees {
        if f.taxes_cents() == 0 {
            continue;
        }
        let rate = format!("{}", f.taxes_rate());
        match rates.iter_mut().find(|(r, _, _)| *r == rate) {
            Some((_, amount, base)) => {
                *amount += f.taxes_cents();
                *base += f.amount_cents();
            }
            None => rates.push((rate, f.taxes_cents(), f.amount_cents())),
        }
    }
    for (rate, amount, base) in rates {
        let r: f64 = rate.parse().unwrap_or(0.0);
        applied_taxes.push(json!({
            "lago_id": stable_uuid(&["applied_tax", &v.row.lago_id, &rate]),
            "lago_invoice_id": v.row.lago_id,
            "lago_tax_id": stable_uuid(&["tax", &rate]),
            "tax_name": format!("{rate}%"),
            "tax_code": format!("odoo_tax_{}", rate.replace('.', "_")),
            "tax_rate": r,
            "tax_description": null,
            "amount_cents": amount,
            "amount_currency": currency,
            "fees_amount_cents": base,
            "created_at": iso_seconds(v.row.created_at),
        }));
    }
    let subscriptions: Vec<Value> = match (&v.subscription, &v.plan) {
        (Some(s), Some(p)) => vec![subscription_json(&SubscriptionView {
            row: s.clone(),
            customer: v.customer.clone(),
            plan: p.clone(),
            previous_plan_code: None,
            next_plan_code: None,
            period: None,
        })],
        _ => Vec::new(),
    };
    let billing_periods: Vec<Value> = match (&v.subscription, &v.plan, period(v)) {
        (Some(s), Some(p), Some((from, to))) => vec![json!({
            "lago_subscription_id": s.lago_id,
            "external_subscription_id": s.external_id,
            "lago_plan_id": p.lago_id,
            "subscription_from_datetime": date_time(from),
            "subscription_to_datetime": end_of(to),
            "charges_from_datetime": date_time(from),
            "charges_to_datetime": end_of(to),
            "invoicing_reason": "subscription_periodic",
        })],
        _ => Vec::new(),
    };
    let metadata: Value = serde_json::from_str(&v.row.metadata).unwrap_or_else(|_| json!([]));
    let voided_at = (m.state == crate::odoo::invoices::MoveState::Cancelled)
        .then(|| m.write_date.map(|d| iso_seconds(to_micros(d))))
        .flatten();
    json!({
        "lago_id": v.row.lago_id,
        "billing_entity_code": null,
        "sequential_id": m.id.0,
        "number": m.number.clone().unwrap_or_else(|| format!("DRAFT-{}", m.id.0)),
        "purchase_order_number": null,
        "issuing_date": issuing.format("%Y-%m-%d").to_string(),
        "payment_due_date": m.due_date.unwrap_or(issuing).format("%Y-%m-%d").to_string(),
        "net_payment_term": net_payment_term,
        "invoice_type": v.row.invoice_type,
        "status": lago_status(m),
        "payment_status": lago_payment_status(m),
        "payment_dispute_lost_at": null,
        "payment_overdue": v.payment_overdue(),
        "currency": currency,
        "fees_amount_cents": fees_cents,
        "taxes_amount_cents": taxes_cents,
        "progressive_billing_credit_amount_cents": 0,
        "coupons_amount_cents": 0,
        "credit_notes_amount_cents": 0,
        "sub_total_excluding_taxes_amount_cents": fees_cents,
        "sub_total_including_taxes_amount_cents": total_cents,
        "total_amount_cents": total_cents,
        "total_due_amount_cents": due_cents,
        "total_paid_amount_cents": paid_cents,
        "total_offsetted_credit_note_amount_cents": 0,
        "prepaid_credit_amount_cents": 0,
        "prepaid_granted_credit_amount_cents": 0,
        "prepaid_purchased_credit_amount_cents": 0,
        "file_url": v.file_url,
        "xml_url": null,
        "web_url": null,
        "version_number": 4,
        "self_billed": false,
        "created_at": iso_seconds(v.row.created_at),
        "updated_at": m.write_date.map(|d| iso_seconds(to_micros(d))).unwrap_or_else(|| iso_seconds(v.row.updated_at)),
        "voided_at": voided_at,
        "customer": customer_json(&v.customer),
        "subscriptions": subscriptions,
        "fees": fees,
        "credits": [],
        "metadata": metadata,
        "applied_taxes": applied_taxes,
        "billing_periods": billing_periods,
        "applied_usage_thresholds": [],
        "applied_invoice_custom_sections": [],
        "error_details": [],
    })
}

fn one(v: &InvoiceView) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "invoice": invoice_json(v) }))
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
        .accounts
        .invoices(&auth.0, &filter, page.limit(), page.offset())
        .await?;
    let invoices: Vec<Value> = views.iter().map(invoice_json).collect();
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
    state.accounts.customer(&auth.0, &ext).await?;
    list_filtered(auth, state, req, Some(ext)).await
}

/// `GET /api/v1/invoices/{lago_id}`: `{"invoice":…}`; 404 `invoice_not_found`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.accounts.invoice(&auth.0, &path).await?))
}

/// `POST /api/v1/invoices`: a one-off invoice (see
/// [`crate::accounts::Accounts::create_one_off_invoice`]); honours `Idempotency-Key`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (svc, st, b) = (auth.0.clone(), state.clone(), body.clone());
    idempotent(&req, &state, &auth.0, &body, move |rid| async move {
        let input = root_object(&b, "invoice")?;
        let v = st
            .accounts
            .create_one_off_invoice(&svc, &input, &rid)
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
    let input = root_object(&body, "invoice")?;
    Ok(one(&state
        .accounts
        .update_invoice(&auth.0, &path, &input)
        .await?))
}

/// `POST /api/v1/invoices/{lago_id}/download`: `{"invoice":{…,"file_url"}}` with the absolute
/// Odoo portal URL of the PDF; 404 for a draft.
pub async fn download(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state
        .accounts
        .download_invoice(&auth.0, &path)
        .await?))
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
        st.accounts.retry_invoice_payment(&svc, &id).await?;
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
    Ok(one(&state.accounts.void_invoice(&auth.0, &path).await?))
}

/// `PUT /api/v1/invoices/{lago_id}/finalize`: posts a draft; 404 otherwise.
pub async fn finalize(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state
        .accounts
        .finalize_invoice(&auth.0, &path)
        .await?))
}

/// `PUT /api/v1/invoices/{lago_id}/refresh`: the invoice as Odoo computes it now.
pub async fn refresh(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(one(&state.accounts.invoice(&auth.0, &path).await?))
}
