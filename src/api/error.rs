//! [`ApiError`]: every failure rendered as Lago's JSON error body
//! (`api:app/controllers/concerns/api_errors.rb`, `api_responses.rb`):
//! `{"status":N,"error":"<reason>","code":"<code>","error_details":{…}}`.
//!
//! [`lago_error_handlers`] rewrites any error response that is not already JSON (actix's
//! own 404/405/413/400 answers, extractor failures) into that shape, and
//! [`catch_panics`] turns a panicking handler into a JSON 500, so a client never sees an
//! empty or HTML error body.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, ResponseError};
use futures::FutureExt;
use serde_json::{json, Map, Value};

/// Field → list of error codes (Lago `error_details`), e.g. `{"code":["value_is_mandatory"]}`.
pub type FieldErrors = Map<String, Value>;

/// A request failure, rendered in Lago's error shape.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `{"status":400,"error":"BadRequest: <msg>"}` (malformed JSON, missing root key).
    #[error("BadRequest: {0}")]
    BadRequest(String),
    /// 401 `{"status":401,"error":"Unauthorized"}` (no `code`, as Lago).
    #[error("Unauthorized")]
    Unauthorized,
    /// 404 with a `<resource>_not_found` code.
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// 405 "not allowed in this state", e.g. `not_voidable`.
    #[error("method not allowed: {0}")]
    MethodNotAllowed(&'static str),
    /// 413: body larger than `server.body_limit_bytes`.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 422 `validation_errors` with per-field codes.
    #[error("validation errors")]
    Validation(FieldErrors),
    /// 429 with `Retry-After` (seconds): the ingest queue is full.
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503 with `Retry-After` (seconds): a dependency (store, Odoo) is unavailable.
    #[error("service unavailable: {code}")]
    Unavailable {
        code: &'static str,
        retry_after_secs: u64,
    },
    /// 422 `third_party_error`: Odoo refused the operation (its message is in
    /// `error_details.odoo`).
    #[error("third party error: {0}")]
    ThirdParty(String),
    /// 500; the cause goes to the log, never to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 422 with one field and one code.
    pub fn field(field: &str, code: &str) -> Self {
        let mut m = Map::new();
        m.insert(field.to_string(), json!([code]));
        ApiError::Validation(m)
    }

    /// A 500 that logs `cause` with its chain.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }
}

/// Lago's reason phrase for a status (`Rack::Utils::HTTP_STATUS_CODES`).
pub fn reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// The default `code` for a status when a response carries none.
fn default_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        404 => "resource_not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "too_many_requests",
        503 => "service_unavailable",
        s if s >= 500 => "internal_error",
        _ => "bad_request",
    }
}

/// Lago's error body for `status`, with an optional code and details.
pub fn error_body(status: StatusCode, code: Option<&str>, details: Option<Value>) -> Value {
    let mut body = json!({"status": status.as_u16(), "error": reason(status)});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    if let Some(details) = details {
        body["error_details"] = details;
    }
    body
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) | ApiError::ThirdParty(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let body = match self {
            ApiError::BadRequest(msg) => {
                json!({"status": 400, "error": format!("BadRequest: {msg}")})
            }
            ApiError::Unauthorized => json!({"status": 401, "error": "Unauthorized"}),
            ApiError::NotFound(code) | ApiError::MethodNotAllowed(code) => {
                error_body(status, Some(code), None)
            }
            ApiError::PayloadTooLarge => error_body(status, Some("payload_too_large"), None),
            ApiError::Validation(details) => error_body(
                status,
                Some("validation_errors"),
                Some(Value::Object(details.clone())),
            ),
            ApiError::TooManyRequests { .. } => error_body(status, Some("too_many_requests"), None),
            ApiError::ThirdParty(msg) => {
                tracing::warn!(error = %msg, "Odoo refused an operation");
                error_body(
                    status,
                    Some("third_party_error"),
                    Some(json!({"odoo": [msg]})),
                )
            }
            ApiError::Unavailable { code, .. } => error_body(status, Some(code), None),
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                error_body(status, Some("internal_error"), None)
            }
        };
        let mut resp = HttpResponse::build(status);
        match self {
            ApiError::TooManyRequests { retry_after_secs }
            | ApiError::Unavailable {
                retry_after_secs, ..
            } => {
                resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        resp.json(body)
    }
}

/// Middleware: any 4xx/5xx response whose body is not JSON gets Lago's error body for
/// its status (keeps headers such as `Allow` and `Retry-After`).
pub fn lago_error_handlers<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let is_json = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if is_json {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        // Extractor and routing errors carry their cause; keep it for 400s as Lago does.
        let cause = res.response().error().map(|e| e.to_string());
        let body = if status == StatusCode::BAD_REQUEST {
            json!({"status": 400, "error": format!("BadRequest: {}", cause.unwrap_or_default())})
        } else {
            error_body(status, Some(default_code(status)), None)
        };
        let (req, mut res) = res.into_parts();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        let res = res.set_body(body.to_string()).map_into_boxed_body();
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, res).map_into_right_body(),
        ))
    })
}

/// Middleware function (`wrap_fn`): a handler that panics answers Lago's JSON 500 (the
/// error is rendered by [`ApiError`]'s `ResponseError`) instead of dropping the connection.
pub fn catch_panics<S>(
    req: ServiceRequest,
    srv: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>>
where
    S: actix_web::dev::Service<
        ServiceRequest,
        Response = ServiceResponse<BoxBody>,
        Error = actix_web::Error,
    >,
{
    std::panic::AssertUnwindSafe(srv.call(req))
        .catch_unwind()
        .map(|r| match r {
            Ok(res) => res,
            Err(_) => Err(ApiError::internal("request handler panicked").into()),
        })
}

impl From<crate::accounts::AccountsError> for ApiError {
    fn from(e: crate::accounts::AccountsError) -> Self {
        use crate::accounts::AccountsError as A;
        match e {
            A::NotFound(code) => ApiError::NotFound(code),
            A::Validation(m) => ApiError::Validation(m),
            A::NotAllowed(code) => ApiError::MethodNotAllowed(code),
            A::OdooUnavailable(msg) => {
                tracing::warn!(error = %msg, "Odoo unavailable");
                ApiError::Unavailable {
                    code: "odoo_unavailable",
                    retry_after_secs: ODOO_RETRY_AFTER_SECS,
                }
            }
            A::OdooRefused(msg) => ApiError::ThirdParty(msg),
            A::Busy(lease) => {
                tracing::warn!(lease = %lease, "intent still held by another request");
                ApiError::Unavailable {
                    code: "operation_in_progress",
                    retry_after_secs: 1,
                }
            }
            A::Overflow(o) => {
                tracing::warn!(error = %o, "usage or amount out of range");
                ApiError::field("base", "value_is_out_of_range")
            }
            A::Store(e) => ApiError::internal(e),
        }
    }
}

/// `Retry-After` (seconds) of a 503 caused by Odoo being unreachable.
pub const ODOO_RETRY_AFTER_SECS: u64 = 10;
