//! Typed errors of the Odoo client.
//!
//! Odoo reports method failures in two shapes:
//! - JSON-RPC (`POST /jsonrpc`): HTTP 200 with `{"error": {"code": 0, "message": "Odoo Server Error",
//!   "data": {"name": "odoo.exceptions.UserError", "message": "...", ...}}}`
//!   (`odoo/http.py` `JsonRPCDispatcher.handle_error` / `serialize_exception`);
//! - JSON-2 (`POST /json/2/<model>/<method>`): an HTTP status (401/403/404/422/500) with the body
//!   `{"name": "...", "message": "...", ...}`, or a bare JSON string before 19.0
//!   (`addons/rpc/controllers/json2.py`, `odoo/http.py` `Json2Dispatcher.handle_error`).
//!
//! Both are mapped by [`OdooError::from_server`] on the exception class name so callers never branch
//! on strings. Transport failures (connect, timeout, reset, 502/503/504) are separate variants and are
//! the only retryable ones.

use std::fmt;

/// Why a transport-level failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The TCP/TLS connection could not be opened: the request never reached Odoo.
    Connect,
    /// No complete answer within `odoo.timeout_secs`: Odoo may or may not have run the call.
    Timeout,
    /// The connection broke while sending or receiving: Odoo may or may not have run the call.
    Io,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "connection failed",
            TransportKind::Timeout => "timed out",
            TransportKind::Io => "connection broken",
        })
    }
}

/// Every failure of a call to Odoo.
///
/// Business errors (`AccessDenied`, `AccessError`, `UserError`, `ValidationError`, `MissingError`,
/// `Server`) come from Odoo's exception classes (`odoo/exceptions.py`) and are never retried.
/// `Transport` and `Unavailable` are infrastructure failures; see [`OdooError::is_retryable`].
#[derive(Debug, Clone, thiserror::Error)]
pub enum OdooError {
    /// Odoo could not be reached or did not answer (connect error, timeout, reset). `url` never
    /// contains credentials.
    #[error("Odoo unreachable at {url}: {kind}: {message}")]
    Transport {
        /// Connect, timeout or broken connection.
        kind: TransportKind,
        /// The URL called, without credentials.
        url: String,
        /// The HTTP library's description of the failure.
        message: String,
    },
    /// HTTP 502, 503 or 504 from Odoo or its proxy (worker killed, restarting, overloaded).
    #[error("Odoo unavailable (HTTP {status})")]
    Unavailable {
        /// 502, 503 or 504.
        status: u16,
    },
    /// Any other non-success HTTP status that carries no Odoo error (400 bad body, 404 missing route,
    /// 415 wrong content type, 500 HTML page). `body` is truncated to 300 characters.
    #[error("unexpected HTTP {status} from Odoo: {body}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// Start of the response body.
        body: String,
    },
    /// `odoo.exceptions.AccessDenied` (bad login/password/API key on a call) or JSON-2's
    /// `werkzeug.exceptions.Unauthorized` (HTTP 401).
    #[error("Odoo access denied: {0}")]
    AccessDenied(String),
    /// `odoo.exceptions.AccessError`: the user lacks rights, or the method is private.
    #[error("Odoo access error: {0}")]
    AccessError(String),
    /// `odoo.exceptions.UserError` (and `RedirectWarning`): a business rule refused the call.
    #[error("Odoo refused: {0}")]
    UserError(String),
    /// `odoo.exceptions.ValidationError`: a constraint failed (including SQL unique/check violations).
    #[error("Odoo validation error: {0}")]
    ValidationError(String),
    /// `odoo.exceptions.MissingError`: a record does not exist (deleted).
    #[error("Odoo record missing: {0}")]
    MissingError(String),
    /// Any other server exception, e.g. `builtins.ValueError`, `builtins.AttributeError`
    /// (unknown method), `werkzeug.exceptions.NotFound` (JSON-2 unknown model).
    #[error("Odoo server error {name}: {message}")]
    Server {
        /// Exception class, `module.ClassName`.
        name: String,
        /// The exception message.
        message: String,
    },
    /// The settings cannot work: missing URL, authentication failed, protocol unsupported.
    #[error("Odoo configuration: {0}")]
    Config(String),
    /// Odoo answered, but not in the shape the contract promises (bad JSON, wrong value type).
    #[error("unexpected answer from Odoo: {0}")]
    Decode(String),
    /// The client refused to send a value (e.g. an unknown country code) before calling Odoo.
    #[error("invalid value for Odoo: {0}")]
    Invalid(String),
}

impl OdooError {
    /// Maps an Odoo exception class name (`error.data.name` in JSON-RPC, `name` in JSON-2) and its
    /// message to a variant. Source: `odoo/exceptions.py` (class names), `odoo/http.py`
    /// `serialize_exception` (name = `module.ClassName`).
    pub fn from_server(name: &str, message: impl Into<String>) -> OdooError {
        let message = message.into();
        match name {
            "odoo.exceptions.AccessDenied" | "werkzeug.exceptions.Unauthorized" => {
                OdooError::AccessDenied(message)
            }
            "odoo.exceptions.AccessError" => OdooError::AccessError(message),
            "odoo.exceptions.UserError"
            | "odoo.exceptions.RedirectWarning"
            | "odoo.exceptions.except_orm"
            | "odoo.exceptions.Warning" => OdooError::UserError(message),
            "odoo.exceptions.ValidationError" => OdooError::ValidationError(message),
            "odoo.exceptions.MissingError" => OdooError::MissingError(message),
            _ => OdooError::Server {
                name: name.to_string(),
                message,
            },
        }
    }

    /// True for failures worth retrying: transport failures and HTTP 502/503/504.
    /// Business errors, HTTP 4xx/500, decode and configuration errors are never retried.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            OdooError::Transport { .. } | OdooError::Unavailable { .. }
        )
    }

    /// True when the request certainly did not run in Odoo (connection refused, HTTP 503), so even a
    /// call that creates records can be sent again. Timeouts, resets, 502 and 504 are ambiguous.
    pub fn certainly_not_executed(&self) -> bool {
        matches!(
            self,
            OdooError::Transport {
                kind: TransportKind::Connect,
                ..
            } | OdooError::Unavailable { status: 503 }
        )
    }

    /// True for Odoo being down or unreachable (maps to a 503 for apps), as opposed to a refusal.
    pub fn is_unavailable(&self) -> bool {
        self.is_retryable()
    }
}

/// Keeps at most `max` characters of a response body for an error message.
pub(crate) fn truncate(body: &str, max: usize) -> String {
    let mut out: String = body.chars().take(max).collect();
    if body.chars().count() > max {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_variants() {
        assert!(matches!(
            OdooError::from_server("odoo.exceptions.ValidationError", "x"),
            OdooError::ValidationError(m) if m == "x"
        ));
        assert!(matches!(
            OdooError::from_server("werkzeug.exceptions.Unauthorized", "Invalid apikey"),
            OdooError::AccessDenied(_)
        ));
        assert!(matches!(
            OdooError::from_server("builtins.ValueError", "bad"),
            OdooError::Server { name, .. } if name == "builtins.ValueError"
        ));
    }

    #[test]
    fn only_transport_is_retryable() {
        assert!(OdooError::Unavailable { status: 502 }.is_retryable());
        assert!(!OdooError::UserError("no".into()).is_retryable());
        assert!(!OdooError::Http {
            status: 500,
            body: String::new()
        }
        .is_retryable());
        assert!(OdooError::Unavailable { status: 503 }.certainly_not_executed());
        assert!(!OdooError::Unavailable { status: 504 }.certainly_not_executed());
    }
}
