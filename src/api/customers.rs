//! `/api/v1/customers` in Lago's shapes (API-NOTES §1; `api:app/controllers/api/v1/
//! customers_controller.rb`, `app/serializers/v1/customer_serializer.rb`,
//! `customers/usage_controller.rb`, `customers/usage_serializer.rb`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::AuthenticatedService;
use super::body::root_object;
use super::error::ApiError;
use super::pagination::PageParams;
use super::state::AppState;
use super::timefmt::iso_seconds;
use crate::accounts::current_usage::CurrentUsage;
use crate::accounts::customer_repo::CustomerRow;
use crate::accounts::customers::attributes;
use crate::accounts::subscription_repo::SubscriptionFilter;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::time::to_micros;

fn get<'a>(a: &'a Map<String, Value>, k: &str) -> &'a Value {
    a.get(k).unwrap_or(&Value::Null)
}

/// Lago's customer JSON (every field the official clients require is present and non-null:
/// `lago_id`, `external_id`, `created_at`, `updated_at`, `applicable_timezone`).
pub fn customer_json(c: &CustomerRow) -> Value {
    let a = attributes(c);
    let billing = a
        .get("billing_configuration")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let b = |k: &str| billing.get(k).cloned().unwrap_or(Value::Null);
    let shipping = a.get("shipping_address").cloned().unwrap_or_else(|| {
        json!({"address_line1": null, "address_line2": null, "city": null, "zipcode": null, "state": null, "country": null})
    });
    let timezone = get(&a, "timezone").clone();
    json!({
        "lago_id": c.lago_id,
        "external_id": c.external_id,
        "billing_entity_code": get(&a, "billing_entity_code"),
        "account_type": "customer",
        "name": get(&a, "name"),
        "firstname": get(&a, "firstname"),
        "lastname": get(&a, "lastname"),
        "customer_type": get(&a, "customer_type"),
        "sequential_id": c.sequential_id,
        "slug": format!("CUST-{:05}", c.sequential_id),
        "created_at": iso_seconds(c.created_at),
        "updated_at": iso_seconds(c.updated_at),
        "deleted_at": c.deleted_at.map(iso_seconds),
        "country": get(&a, "country").as_str().map(str::to_uppercase),
        "address_line1": get(&a, "address_line1"),
        "address_line2": get(&a, "address_line2"),
        "state": get(&a, "state"),
        "zipcode": get(&a, "zipcode"),
        // A blank e-mail is no e-mail (the document gives it `format: email`).
        "email": get(&a, "email").as_str().filter(|e| !e.is_empty()),
        "city": get(&a, "city"),
        "url": get(&a, "url"),
        "phone": get(&a, "phone"),
        "logo_url": null,
        "legal_name": get(&a, "legal_name"),
        "legal_number": get(&a, "legal_number"),
        "currency": get(&a, "currency"),
        "tax_identification_number": get(&a, "tax_identification_number"),
        "timezone": timezone,
        "applicable_timezone": timezone.as_str().filter(|t| !t.is_empty()).unwrap_or("UTC"),
        "net_payment_term": get(&a, "net_payment_term"),
        "external_salesforce_id": get(&a, "external_salesforce_id"),
        "finalize_zero_amount_invoice": get(&a, "finalize_zero_amount_invoice").as_str().unwrap_or("inherit"),
        "skip_invoice_custom_sections": false,
        "billing_configuration": {
            "invoice_grace_period": b("invoice_grace_period"),
            "payment_provider": b("payment_provider"),
            "payment_provider_code": b("payment_provider_code"),
            "provider_customer_id": b("provider_customer_id"),
            "provider_payment_methods": b("provider_payment_methods"),
            "document_locale": b("document_locale"),
            "subscription_invoice_issuing_date_anchor": "next_period_start",
            "subscription_invoice_issuing_date_adjustment": "keep_anchor",
        },
        "shipping_address": shipping,
        "metadata": a.get("metadata").cloned().unwrap_or_else(|| json!([])),
        "taxes": [],
        "integration_customers": [],
        "applicable_invoice_custom_sections": [],
        "error_details": [],
    })
}

/// `POST /api/v1/customers`: upsert by `external_id`.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = root_object(&body, "customer")?;
    let (row, _) = state.accounts.upsert_customer(&auth.0, &input).await?;
    let shown = state.accounts.shown_customers(&[row]).await;
    Ok(HttpResponse::Ok().json(json!({ "customer": customer_json(&shown[0]) })))
}

/// `GET /api/v1/customers/{external_id}`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = state.accounts.customer(&auth.0, &path).await?;
    let shown = state.accounts.shown_customers(&[row]).await;
    Ok(HttpResponse::Ok().json(json!({ "customer": customer_json(&shown[0]) })))
}

/// `DELETE /api/v1/customers/{external_id}`: returns the deleted customer.
pub async fn delete(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let row = state.accounts.delete_customer(&auth.0, &path).await?;
    Ok(HttpResponse::Ok().json(json!({ "customer": customer_json(&row) })))
}

/// Query of `GET /customers`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    page: PageParams,
    external_id: Option<String>,
}

/// `GET /api/v1/customers`: `{"customers":[…],"meta":{…}}`.
pub async fn list(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let (rows, total) = state
        .store
        .list_customers(
            auth.id(),
            q.external_id.as_deref(),
            q.page.limit(),
            q.page.offset(),
        )
        .await
        .map_err(ApiError::internal)?;
    let customers: Vec<Value> = state
        .accounts
        .shown_customers(&rows)
        .await
        .iter()
        .map(customer_json)
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "customers": customers, "meta": q.page.meta(total) })))
}

/// `POST /api/v1/customers/{external_id}/checkout_url`: the Odoo portal page of the
/// customer's newest subscription with this app, where the customer pays and saves a payment
/// method through Odoo's payment providers (Stripe in production). 422
/// `{"base":["no_linked_payment_provider"]}` when the customer has no subscription yet.
pub async fn checkout_url(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let customer = state.accounts.customer(&auth.0, &path).await?;
    let filter = SubscriptionFilter {
        customer_id: Some(customer.lago_id.clone()),
        statuses: vec!["active".into(), "pending".into()],
        ..SubscriptionFilter::default()
    };
    let (subs, _) = state
        .store
        .list_subscriptions(auth.id(), &filter, 1, 0)
        .await
        .map_err(ApiError::internal)?;
    let order = subs
        .first()
        .and_then(|s| s.sale_order_id)
        .ok_or_else(|| ApiError::field("base", FieldCode::NoLinkedPaymentProvider))?;
    let url = state.accounts.portal_url("sale.order", order).await?;
    let provider = attributes(&customer)
        .get("billing_configuration")
        .and_then(|b| b.get("payment_provider_code"))
        .cloned()
        .unwrap_or(Value::Null);
    Ok(HttpResponse::Ok().json(json!({ "customer": {
        "lago_customer_id": customer.lago_id,
        "external_customer_id": customer.external_id,
        "payment_provider": "stripe",
        "payment_provider_code": provider,
        "checkout_url": url,
    }})))
}

/// Query of `current_usage`.
#[derive(Debug, Deserialize)]
pub struct UsageQuery {
    external_subscription_id: Option<String>,
}

/// Lago's `customer_usage` JSON.
pub fn usage_json(u: &CurrentUsage) -> Value {
    let currency = &u.plan.amount_currency;
    let charges: Vec<Value> = u
        .charges
        .iter()
        .map(|(r, _)| {
            let units = r.aggregate.units.normalize().to_string();
            json!({
                "units": units,
                "total_aggregated_units": units,
                "events_count": r.aggregate.events_count,
                "amount_cents": r.amount_cents,
                "amount_currency": currency,
                "pricing_unit_details": null,
                "charge": {
                    "lago_id": r.charge.lago_id,
                    "code": r.charge.code,
                    "charge_model": r.charge.charge_model,
                    "invoice_display_name": r.charge.invoice_display_name,
                },
                "billable_metric": {
                    "lago_id": r.charge.billable_metric_id,
                    "name": r.metric.as_ref().map(|m| m.name.clone()).unwrap_or_else(|| r.charge.billable_metric_code.clone()),
                    "code": r.charge.billable_metric_code,
                    "aggregation_type": r.metric.as_ref().map(|m| m.aggregation_type.clone()),
                },
                "filters": [],
                "grouped_usage": [],
                "presentation_breakdowns": [],
            })
        })
        .collect();
    let amount = u.amount_cents;
    let taxes = u.taxes_amount_cents;
    let last = to_micros(u.to) - 1_000_000;
    json!({
        "from_datetime": iso_seconds(to_micros(u.from)),
        "to_datetime": iso_seconds(last),
        "issuing_date": u.to.date_naive().format("%Y-%m-%d").to_string(),
        "currency": currency,
        "amount_cents": amount,
        "taxes_amount_cents": taxes,
        "total_amount_cents": u.total_amount_cents,
        "lago_invoice_id": null,
        "charges_usage": charges,
    })
}

/// `GET /api/v1/customers/{external_id}/current_usage?external_subscription_id=…`.
pub async fn current_usage(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, ApiError> {
    let sub = query
        .external_subscription_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::NotFound(ErrorCode::SubscriptionNotFound))?;
    let usage = state.accounts.current_usage(&auth.0, &path, sub).await?;
    Ok(HttpResponse::Ok().json(json!({ "customer_usage": usage_json(&usage) })))
}
