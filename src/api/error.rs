//! [`ApiError`]: every failure rendered as Lago's JSON error body
//! (`api:app/controllers/concerns/api_errors.rb`, `api_responses.rb`):
//! `{"status":N,"error":"<reason>","code":"<code>","error_details":{…}}`.
//!
//! [`lago_error_handlers`] rewrites any error response that is not already JSON (actix's
//! own 404/405/413/400 answers, extractor failures) into that shape, and
//! [`catch_panics`] turns a panicking handler into a JSON 500, so a client never sees an
//! empty or HTML error body.
//!
//! Every `code` and `error_details` code is a variant of the catalogue in
//! [`crate::lago::error_code`] ([`ErrorCode`], [`FieldCode`]).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpResponse, ResponseError};
use futures::FutureExt;
use serde_json::{json, Map, Value};

pub use crate::lago::error_code::{ErrorCode, FieldCode};

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
    NotFound(ErrorCode),
    /// 405 "not allowed in this state", e.g. `not_voidable`.
    #[error("method not allowed: {0}")]
    MethodNotAllowed(ErrorCode),
    /// 409 with `Retry-After` (seconds): the resource is busy with another request
    /// (`idempotency_key_in_use`).
    #[error("conflict: {code}")]
    Conflict {
        code: ErrorCode,
        retry_after_secs: u64,
    },
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
        code: ErrorCode,
        retry_after_secs: u64,
    },
    /// 422 `third_party_error`: Odoo refused the operation (its message is in
    /// `error_details.odoo`).
    #[error("third party error: {0}")]
    ThirdParty(String),
    /// 500; the cause (with its whole `source()` chain, see [`cause_chain`]) goes to the
    /// log, never to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 422 with one field and one code.
    pub fn field(field: &str, code: FieldCode) -> Self {
        let mut m = Map::new();
        m.insert(field.to_string(), json!([code]));
        ApiError::Validation(m)
    }

    /// A 500 that logs `cause` with its chain of sources.
    pub fn internal(cause: impl std::error::Error) -> Self {
        ApiError::Internal(cause_chain(&cause))
    }

    /// A 500 that logs `message` (a failure that is not an error value).
    pub fn internal_msg(message: impl std::fmt::Display) -> Self {
        ApiError::Internal(message.to_string())
    }

    /// The catalogue code this error answers with; `None` for 400 and 401, whose Lago
    /// bodies carry no `code`.
    pub fn code(&self) -> Option<ErrorCode> {
        Some(match self {
            ApiError::BadRequest(_) | ApiError::Unauthorized => return None,
            ApiError::NotFound(code)
            | ApiError::MethodNotAllowed(code)
            | ApiError::Conflict { code, .. }
            | ApiError::Unavailable { code, .. } => *code,
            ApiError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            ApiError::Validation(_) => ErrorCode::ValidationErrors,
            ApiError::TooManyRequests { .. } => ErrorCode::TooManyRequests,
            ApiError::ThirdParty(_) => ErrorCode::ThirdPartyError,
            ApiError::Internal(_) => ErrorCode::InternalError,
        })
    }
}

/// `error`'s message followed by each of its `source()`s (`outer: inner: root`), skipping a
/// source whose message the text already holds (thiserror's `#[error("…: {0}")]` with
/// `#[from]` prints its source itself).
pub fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
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

/// Lago's error body for `status`, with an optional code and details.
pub fn error_body(status: StatusCode, code: Option<ErrorCode>, details: Option<Value>) -> Value {
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
            // The catalogue decides the status of every coded answer.
            other => other
                .code()
                .map_or(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::status),
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let body = match self {
            ApiError::BadRequest(msg) => {
                json!({"status": 400, "error": format!("BadRequest: {msg}")})
            }
            ApiError::Unauthorized => json!({"status": 401, "error": "Unauthorized"}),
            ApiError::Validation(details) => {
                error_body(status, self.code(), Some(Value::Object(details.clone())))
            }
            ApiError::ThirdParty(msg) => {
                tracing::warn!(error = %msg, "Odoo refused an operation");
                error_body(status, self.code(), Some(json!({"odoo": [msg]})))
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                error_body(status, self.code(), None)
            }
            _ => error_body(status, self.code(), None),
        };
        let mut resp = HttpResponse::build(status);
        match self {
            ApiError::TooManyRequests { retry_after_secs }
            | ApiError::Conflict {
                retry_after_secs, ..
            }
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
            error_body(status, Some(ErrorCode::for_status(status)), None)
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
            Err(_) => Err(ApiError::internal_msg("request handler panicked").into()),
        })
}

impl From<crate::bridge::BridgeError> for ApiError {
    fn from(e: crate::bridge::BridgeError) -> Self {
        use crate::bridge::BridgeError as A;
        match e {
            A::NotFound(code) => ApiError::NotFound(code),
            A::Validation(m) => ApiError::Validation(m),
            A::NotAllowed(code) => ApiError::MethodNotAllowed(code),
            A::OdooUnavailable(msg) => {
                tracing::warn!(error = %msg, "Odoo unavailable");
                ApiError::Unavailable {
                    code: ErrorCode::OdooUnavailable,
                    retry_after_secs: ODOO_RETRY_AFTER_SECS,
                }
            }
            A::OdooRefused(msg) => ApiError::ThirdParty(msg),
            A::Busy(lease) => {
                tracing::warn!(lease = %lease, "intent still held by another request");
                ApiError::Unavailable {
                    code: ErrorCode::OperationInProgress,
                    retry_after_secs: 1,
                }
            }
            A::Overflow(o) => {
                tracing::warn!(error = %o, "usage or amount out of range");
                ApiError::field("base", FieldCode::ValueIsOutOfRange)
            }
            A::Store(e) => ApiError::internal(e),
        }
    }
}

/// `Retry-After` (seconds) of a 503 caused by Odoo being unreachable.
pub const ODOO_RETRY_AFTER_SECS: u64 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_chain_walks_sources_without_repeating_them() {
        #[derive(Debug, thiserror::Error)]
        #[error("root cause")]
        struct Root;
        #[derive(Debug, thiserror::Error)]
        #[error("middle")]
        struct Middle(#[source] Root);
        #[derive(Debug, thiserror::Error)]
        #[error("outer: {0}")]
        struct Outer(#[from] Middle);
        assert_eq!(
            cause_chain(&Outer(Middle(Root))),
            "outer: middle: root cause"
        );
    }

    #[tokio::test]
    async fn idempotency_conflict_body_is_lagos() {
        let resp = ApiError::Conflict {
            code: ErrorCode::IdempotencyKeyInUse,
            retry_after_secs: 1,
        }
        .error_response();
        assert_eq!(resp.status(), StatusCode::CONFLICT);
        assert_eq!(resp.headers().get(header::RETRY_AFTER).unwrap(), "1");
        let body = actix_web::body::to_bytes(resp.into_body()).await.unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap(),
            json!({"status": 409, "error": "Conflict", "code": "idempotency_key_in_use"})
        );
    }
}
