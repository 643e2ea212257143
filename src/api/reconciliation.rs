//! `/api/v1/reconciliation`: during the dual-run the app reports what it billed
//! (`POST`, one object or a list under `reconciliation`) and reads the comparison with
//! Odoo's invoices for a month (`GET ?period=YYYY-MM[&threshold_cents=N]`). Each app sees
//! only its own amounts and invoices. `GET` does not store a run (the CLI does); its
//! `changes` compare with the last stored run.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::auth::AuthenticatedService;
use super::body::{parse_json, root};
use super::error::ApiError;
use super::state::AppState;
use crate::lago::error_code::FieldCode;
use crate::lago::reconciliation::{parse_reports, ReportsError};
use crate::meter::time::now_micros;
use crate::reconcile;

/// `POST /api/v1/reconciliation`: stores (replaces) the reported amounts; answers them.
pub async fn create(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let reports = match parse_reports(root(parse_json(&body)?, "reconciliation")?) {
        Ok(r) => r,
        Err(ReportsError::NotAnObjectOrList) => {
            return Err(ApiError::BadRequest(
                "param is missing or the value is empty or invalid: reconciliation".into(),
            ))
        }
        Err(ReportsError::Fields(e)) => return Err(ApiError::Validation(e)),
    };
    reconcile::store::upsert_reports(&state.store, auth.id(), &reports, "api", now_micros())
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(json!({ "reconciliation": reports })))
}

/// `GET /api/v1/reconciliation?period=YYYY-MM[&threshold_cents=N]`.
pub async fn show(
    auth: AuthenticatedService,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let period =
        get("period").ok_or_else(|| ApiError::field("period", FieldCode::ValueIsMandatory))?;
    let threshold = match get("threshold_cents") {
        None => 0,
        Some(t) => t
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| ApiError::field("threshold_cents", FieldCode::ValueIsInvalid))?,
    };
    let r = reconcile::compare(&state.bridge, &auth.0, &period, threshold).await?;
    Ok(HttpResponse::Ok().json(json!({ "reconciliation": r })))
}
