//! [`BridgeError`]: why a customer, plan or subscription flow failed, independent of HTTP
//! (the API maps it onto Lago's error bodies).

use serde_json::{json, Map, Value};

use crate::billing::Overflow;
use crate::lago::error_code::{ErrorCode, FieldCode};
use crate::meter::StoreError;
use crate::odoo::OdooError;

/// Failure of a bridge flow.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The object does not exist for this service: Lago's `<resource>_not_found` code.
    #[error("not found: {0}")]
    NotFound(ErrorCode),
    /// Invalid input: field → list of Lago error codes (`value_is_invalid`, …).
    #[error("validation errors: {0:?}")]
    Validation(Map<String, Value>),
    /// Not allowed in the object's state (Lago's 405 codes, e.g. `no_active_subscription`).
    #[error("not allowed: {0}")]
    NotAllowed(ErrorCode),
    /// Odoo is not configured, unreachable or overloaded: retry later (503).
    #[error("Odoo unavailable: {0}")]
    OdooUnavailable(String),
    /// Odoo refused the operation (a business rule or missing rights): `third_party_error`.
    #[error("Odoo refused: {0}")]
    OdooRefused(String),
    /// Another request holds this intent's lease (see [`super::lease`]) and did not finish
    /// within [`super::lease::WAIT`]: retry later (503 `operation_in_progress`). Holds the
    /// lease name.
    #[error("intent busy: {0}")]
    Busy(String),
    /// Usage or an amount left the representable range (see [`crate::billing::checked`]):
    /// 422 `value_is_out_of_range`, never a panic or a 0.
    #[error(transparent)]
    Overflow(#[from] Overflow),
    /// The local store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for BridgeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Overflow(o) => BridgeError::Overflow(o),
            other => BridgeError::Store(other),
        }
    }
}

impl BridgeError {
    /// A validation error with one field and one code.
    pub fn field(field: &str, code: FieldCode) -> BridgeError {
        let mut m = Map::new();
        m.insert(field.to_string(), json!([code]));
        BridgeError::Validation(m)
    }
}

impl From<OdooError> for BridgeError {
    fn from(e: OdooError) -> Self {
        match e {
            e if e.is_unavailable() => BridgeError::OdooUnavailable(e.to_string()),
            OdooError::Config(m) => {
                BridgeError::OdooUnavailable(format!("Odoo configuration: {m}"))
            }
            OdooError::AccessDenied(m) => {
                BridgeError::OdooUnavailable(format!("Odoo access denied: {m}"))
            }
            OdooError::Http { status, .. } if status >= 500 => {
                BridgeError::OdooUnavailable(e.to_string())
            }
            other => BridgeError::OdooRefused(other.to_string()),
        }
    }
}

impl From<sqlx::Error> for BridgeError {
    fn from(e: sqlx::Error) -> Self {
        BridgeError::Store(StoreError::Database(e))
    }
}
