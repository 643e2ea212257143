//! One HTTP attempt of each Odoo protocol; no retries, no concurrency control (see `client.rs`).
//!
//! - JSON-RPC: `POST <base>/jsonrpc` with `{"jsonrpc":"2.0","method":"call","id":n,"params":
//!   {"service","method","args"}}`, always HTTP 200 for method errors, `result` omitted when the
//!   method returned `None` (CONTRACT.md §1; `addons/rpc/controllers/jsonrpc.py`, `odoo/http.py`
//!   `JsonRPCDispatcher`).
//! - JSON-2: `POST <base>/json/2/<model>/<method>` with `Authorization: bearer <key>`,
//!   `X-Odoo-Database`, a JSON object body of named arguments; the bare result on 200, an error object
//!   (or pre-19 bare string) with a 4xx/5xx status otherwise (CONTRACT.md §2;
//!   `addons/rpc/controllers/json2.py`).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Map, Value};
use url::Url;

use super::error::{truncate, OdooError, TransportKind};

/// A password or API key. Its `Debug`/`Display` never show the value.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret string.
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The value, for building a request body or header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `url` without user info (`https://user:pw@host` → `https://host/`), for logs and reports;
/// an unparsable URL is returned as `<invalid url>`.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url.trim()) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => "<invalid url>".to_string(),
    }
}

/// HTTP plumbing shared by both protocols.
pub(crate) struct Transport {
    http: reqwest::Client,
    base: Url,
    database: String,
    secret: Secret,
    next_id: AtomicU64,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("base", &self.base.as_str())
            .field("database", &self.database)
            .field("secret", &self.secret)
            .finish()
    }
}

impl Transport {
    /// Builds the HTTP client. `base` must not end with a path that matters (Odoo routes are
    /// absolute); user info in the URL is dropped so it never shows in errors.
    pub(crate) fn new(
        base: &str,
        database: &str,
        secret: Secret,
        timeout: Duration,
    ) -> Result<Transport, OdooError> {
        let mut base = Url::parse(base.trim())
            .map_err(|e| OdooError::Config(format!("odoo.url {base:?} is not a URL: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(OdooError::Config(format!(
                "odoo.url must be http:// or https://, got {}",
                base.scheme()
            )));
        }
        let _ = base.set_username("");
        let _ = base.set_password(None);
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("fusion-billing/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| OdooError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Transport {
            http,
            base,
            database: database.to_string(),
            secret,
            next_id: AtomicU64::new(1),
        })
    }

    /// The base URL (ends with `/`), without credentials.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    pub(crate) fn secret(&self) -> &Secret {
        &self.secret
    }

    fn url(&self, path: &str) -> Result<Url, OdooError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| OdooError::Config(format!("bad Odoo path {path}: {e}")))
    }

    fn transport_error(&self, url: &Url, e: reqwest::Error) -> OdooError {
        let kind = if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_connect() {
            TransportKind::Connect
        } else {
            TransportKind::Io
        };
        // The URL is ours (no credentials); the message never contains the body or headers.
        let mut chain = Vec::new();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            chain.push(s.to_string());
            source = s.source();
        }
        let mut message = e.without_url().to_string();
        for c in chain {
            message.push_str(": ");
            message.push_str(&c);
        }
        OdooError::Transport {
            kind,
            url: url.to_string(),
            message,
        }
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<(StatusCode, String), OdooError> {
        let resp = req.send().await.map_err(|e| self.transport_error(url, e))?;
        let status = resp.status();
        let body = resp
            .text()
            .await
            .map_err(|e| self.transport_error(url, e))?;
        if matches!(status.as_u16(), 502..=504) {
            return Err(OdooError::Unavailable {
                status: status.as_u16(),
            });
        }
        Ok((status, body))
    }

    /// One JSON-RPC call of `service.method(*args)`; returns `result` (`Null` when omitted).
    pub(crate) async fn jsonrpc(
        &self,
        service: &str,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, OdooError> {
        let url = self.url("jsonrpc")?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({
            "jsonrpc": "2.0",
            "method": "call",
            "id": id,
            "params": {"service": service, "method": method, "args": args},
        });
        let req = self.http.post(url.clone()).json(&body);
        let (status, text) = self.send(req, &url).await?;
        if !status.is_success() {
            return Err(OdooError::Http {
                status: status.as_u16(),
                body: truncate(&text, 300),
            });
        }
        decode_jsonrpc(&text)
    }

    /// One JSON-2 call: `body` holds `ids`, `context` and the named arguments.
    pub(crate) async fn json2(
        &self,
        model: &str,
        method: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, OdooError> {
        let url = self.url(&format!("json/2/{model}/{method}"))?;
        let mut req = self
            .http
            .post(url.clone())
            .header(
                reqwest::header::AUTHORIZATION,
                format!("bearer {}", self.secret.expose()),
            )
            .json(body);
        if !self.database.is_empty() {
            req = req.header("X-Odoo-Database", &self.database);
        }
        let (status, text) = self.send(req, &url).await?;
        decode_json2(status, &text)
    }

    /// A plain `GET` returning JSON (e.g. `/web/version`).
    pub(crate) async fn get_json(&self, path: &str) -> Result<Value, OdooError> {
        let url = self.url(path)?;
        let (status, text) = self.send(self.http.get(url.clone()), &url).await?;
        if !status.is_success() {
            return Err(OdooError::Http {
                status: status.as_u16(),
                body: truncate(&text, 300),
            });
        }
        serde_json::from_str(&text)
            .map_err(|e| OdooError::Decode(format!("GET {path}: body is not JSON: {e}")))
    }
}

/// Decodes a JSON-RPC response body (HTTP 200).
pub(crate) fn decode_jsonrpc(text: &str) -> Result<Value, OdooError> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        OdooError::Decode(format!(
            "JSON-RPC body is not JSON ({e}): {}",
            truncate(text, 120)
        ))
    })?;
    let Value::Object(mut obj) = v else {
        return Err(OdooError::Decode("JSON-RPC body is not an object".into()));
    };
    if let Some(err) = obj.remove("error") {
        return Err(jsonrpc_error(&err));
    }
    // `result` is omitted when the method returned None (odoo/http.py `_response`).
    Ok(obj.remove("result").unwrap_or(Value::Null))
}

fn jsonrpc_error(err: &Value) -> OdooError {
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("Odoo Server Error");
    match err.get("data") {
        Some(data) => {
            let name = data.get("name").and_then(Value::as_str).unwrap_or("");
            let msg = data
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or(message);
            OdooError::from_server(name, msg)
        }
        None => OdooError::Server {
            name: format!(
                "jsonrpc.error.{}",
                err.get("code").map(Value::to_string).unwrap_or_default()
            ),
            message: message.to_string(),
        },
    }
}

/// Decodes a JSON-2 response (status already known not to be 502/503/504).
pub(crate) fn decode_json2(status: StatusCode, text: &str) -> Result<Value, OdooError> {
    let parsed: Option<Value> = serde_json::from_str(text).ok();
    if status.is_success() {
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        return parsed.ok_or_else(|| {
            OdooError::Decode(format!("JSON-2 body is not JSON: {}", truncate(text, 120)))
        });
    }
    match parsed {
        Some(Value::Object(o)) if o.get("name").and_then(Value::as_str).is_some() => {
            let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
            let msg = o.get("message").and_then(Value::as_str).unwrap_or_default();
            Err(OdooError::from_server(name, msg))
        }
        // 18.4 / early 19 builds: a bare JSON string.
        Some(Value::String(msg)) => Err(match status.as_u16() {
            401 => OdooError::AccessDenied(msg),
            403 => OdooError::AccessError(msg),
            422 => OdooError::UserError(msg),
            s => OdooError::Server {
                name: format!("HTTP {s}"),
                message: msg,
            },
        }),
        _ => Err(OdooError::Http {
            status: status.as_u16(),
            body: truncate(text, 300),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_result_is_null() {
        assert_eq!(
            decode_jsonrpc(r#"{"jsonrpc":"2.0","id":1}"#).unwrap(),
            Value::Null
        );
        assert_eq!(
            decode_jsonrpc(r#"{"jsonrpc":"2.0","id":1,"result":false}"#).unwrap(),
            Value::Bool(false)
        );
    }

    #[test]
    fn jsonrpc_error_by_name() {
        let body = r#"{"jsonrpc":"2.0","id":1,"error":{"code":0,"message":"Odoo Server Error",
            "data":{"name":"odoo.exceptions.MissingError","message":"gone","arguments":["gone"],"context":{},"debug":""}}}"#;
        assert!(matches!(decode_jsonrpc(body), Err(OdooError::MissingError(m)) if m == "gone"));
        assert!(matches!(
            decode_jsonrpc("<html>"),
            Err(OdooError::Decode(_))
        ));
    }

    #[test]
    fn json2_error_shapes() {
        let e = decode_json2(
            StatusCode::UNAUTHORIZED,
            r#"{"name":"werkzeug.exceptions.Unauthorized","message":"Invalid apikey","arguments":["Invalid apikey",401],"context":{},"debug":""}"#,
        );
        assert!(matches!(e, Err(OdooError::AccessDenied(_))));
        let e = decode_json2(
            StatusCode::UNPROCESSABLE_ENTITY,
            r#""missing a required argument: 'domain'""#,
        );
        assert!(matches!(e, Err(OdooError::UserError(_))));
        let e = decode_json2(StatusCode::NOT_FOUND, "<html>not found</html>");
        assert!(matches!(e, Err(OdooError::Http { status: 404, .. })));
        assert_eq!(decode_json2(StatusCode::OK, "null").unwrap(), Value::Null);
    }

    #[test]
    fn secret_is_redacted() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "<redacted>");
    }
}
