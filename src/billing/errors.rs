//! Field-level validation errors in Lago's `error_details` shape.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::lago::error_code::FieldCode;

/// Field → list of error codes, exactly Lago's `error_details` object of a 422
/// `validation_errors` body, e.g. `{"field_name":["value_is_mandatory"]}`.
///
/// Codes are Lago's (`api:config/locales/en.yml` and the charge validators in
/// `app/services/charges/validators/*.rb`). A field's codes keep insertion order and are
/// never repeated. Serialises as that JSON object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(BTreeMap<String, Vec<FieldCode>>);

impl ValidationErrors {
    /// An empty set of errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `code` against `field` (once).
    pub fn add(&mut self, field: &str, code: FieldCode) {
        let codes = self.0.entry(field.to_owned()).or_default();
        if !codes.contains(&code) {
            codes.push(code);
        }
    }

    /// True when no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The codes recorded for `field` (empty when none).
    pub fn codes(&self, field: &str) -> &[FieldCode] {
        self.0.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    /// All `(field, codes)` pairs, fields in alphabetical order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[FieldCode])> {
        self.0.iter().map(|(f, c)| (f.as_str(), c.as_slice()))
    }

    /// `Ok(())` when empty, otherwise `Err(self)`.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .iter()
            .map(|(field, codes)| {
                let codes: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
                format!("{field}: {}", codes.join(", "))
            })
            .collect();
        write!(f, "validation errors: {}", parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}
