//! Logging: `tracing` with JSON lines (or pretty) on stdout, filtered by `log.level`
//! (or `RUST_LOG` when set). Request logs come from `tracing-actix-web` with a request id
//! and the [`RedactedRootSpan`]: they carry method, route, path, the query string with its
//! values redacted ([`redact_target`]) and status, never headers or bodies, so keys and
//! secrets (`?token=…`) are not logged.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::{fmt, EnvFilter};

use crate::configuration::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls are ignored (tests call it often).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.level.clone()));
    let result = match settings.format {
        LogFormat::Json => fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(std::io::stdout)
            .try_init(),
        LogFormat::Pretty => fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stdout)
            .try_init(),
    };
    let _ = result;
}

/// Query parameters whose values are shown in request logs (paging only); every other
/// value is replaced by `[redacted]`.
const VISIBLE_QUERY_PARAMS: &[&str] = &["page", "per_page"];

/// The request target for logs: the path, and the query string with every value except
/// [`VISIBLE_QUERY_PARAMS`] replaced by `[redacted]` (`/x?token=abc&page=2` →
/// `/x?token=[redacted]&page=2`). Keys are kept as sent (percent-encoded), cut to 64 bytes.
pub fn redact_target(path: &str, query: &str) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (key, value) = match pair.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (pair, None),
            };
            let key: String = key.chars().take(64).collect();
            match value {
                Some(v) if VISIBLE_QUERY_PARAMS.contains(&key.as_str()) && v.len() <= 16 => {
                    format!("{key}={v}")
                }
                Some(_) => format!("{key}=[redacted]"),
                None => key,
            }
        })
        .collect();
    format!("{path}?{}", pairs.join("&"))
}

/// `tracing-actix-web` root span with the fields of its default span (method, route,
/// flavor, scheme, host, client IP, user agent, request id, status, exception), but with
/// `http.target` from [`redact_target`] instead of the raw path and query.
pub struct RedactedRootSpan;

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let user_agent = request
            .headers()
            .get("User-Agent")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "default".to_string());
        let method = request.method().as_str().to_string();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        let info = request.connection_info().clone();
        let flavor = format!("{:?}", request.version());
        tracing::info_span!(
            "HTTP request",
            http.method = %method,
            http.route = %route,
            http.flavor = %flavor,
            http.scheme = %info.scheme(),
            http.host = %info.host(),
            http.client_ip = %info.realip_remote_addr().unwrap_or(""),
            http.user_agent = %user_agent,
            http.target = %redact_target(request.path(), request.query_string()),
            http.status_code = tracing::field::Empty,
            otel.name = %format!("{method} {route}"),
            otel.kind = "server",
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::redact_target;

    #[test]
    fn query_values_are_redacted() {
        assert_eq!(redact_target("/a", ""), "/a");
        assert_eq!(
            redact_target("/api/v1/plans", "token=s3cr3t&page=2&per_page=10&flag"),
            "/api/v1/plans?token=[redacted]&page=2&per_page=10&flag"
        );
        assert_eq!(
            redact_target("/x", "api_key=abc&page=secretsecretsecretsecret"),
            "/x?api_key=[redacted]&page=[redacted]"
        );
        assert!(!redact_target("/x", "a=1&&b=%20secret").contains("secret"));
    }
}

pub mod metrics;
