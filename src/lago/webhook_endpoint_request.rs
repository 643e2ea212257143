//! The body of `POST /api/v1/webhook_endpoints` and `PUT /api/v1/webhook_endpoints/{id}`
//! (`{"webhook_endpoint": {"webhook_url", "signature_algo", "name", "event_types"}}`),
//! parsed into a typed change set (`api:app/models/webhook_endpoint.rb`; the gateway's
//! differences are listed in [`crate::api::webhook_endpoints`]).
//!
//! Only the keys present change (on create, onto a blank endpoint with `hmac`). Every
//! error is collected at once.

use serde_json::{Map, Value};

use super::error_code::FieldCode;
use super::fields::{add, opt_string, FieldErrors, InvalidValue};
use crate::webhooks::repo::EndpointRow;
use crate::webhooks::ssrf::{check_registration, AllowedNetworks};

/// The keys of a webhook endpoint request; `None` = absent (unchanged).
#[derive(Debug, Clone, Default)]
pub struct WebhookEndpointRequest {
    /// Present: the URL as given but trimmed, already past the SSRF guard; `""` when null
    /// or blank (then `value_is_mandatory`).
    webhook_url: Option<String>,
    /// Present and not null: `hmac` or `jwt`.
    signature_algo: Option<String>,
    /// Present: the name, null clears it.
    name: Option<Option<String>>,
    /// Present: the JSON array text of the types, null = all types.
    event_types: Option<Option<String>>,
    /// Errors found while parsing.
    errors: FieldErrors,
}

impl WebhookEndpointRequest {
    /// Reads the object under `webhook_endpoint`; `webhook_url` must pass
    /// [`check_registration`] with `allowed`. Never fails: errors are returned by
    /// [`Self::apply`].
    pub fn parse(input: &Map<String, Value>, allowed: &AllowedNetworks) -> Self {
        let mut r = WebhookEndpointRequest::default();
        r.webhook_url = r.webhook_url(input, allowed);
        r.signature_algo = r.signature_algo(input);
        r.name = r.name(input);
        r.event_types = r.event_types(input);
        r
    }

    fn webhook_url(
        &mut self,
        input: &Map<String, Value>,
        allowed: &AllowedNetworks,
    ) -> Option<String> {
        if !input.contains_key("webhook_url") {
            return None;
        }
        match opt_string(input, "webhook_url") {
            Ok(Some(u)) if !u.trim().is_empty() => match check_registration(&u, allowed) {
                // Kept as given (Lago echoes it); delivery parses it the same way.
                Ok(_) => Some(u.trim().to_string()),
                Err(err) => {
                    tracing::info!(reason = %err, "webhook_url refused");
                    add(&mut self.errors, "webhook_url", FieldCode::UrlIsInvalid);
                    None
                }
            },
            Ok(_) => Some(String::new()),
            Err(InvalidValue) => {
                add(&mut self.errors, "webhook_url", FieldCode::UrlIsInvalid);
                None
            }
        }
    }

    fn signature_algo(&mut self, input: &Map<String, Value>) -> Option<String> {
        if !input.contains_key("signature_algo") {
            return None;
        }
        match opt_string(input, "signature_algo") {
            Ok(None) => None,
            Ok(Some(a)) if a == "hmac" || a == "jwt" => Some(a),
            _ => {
                add(
                    &mut self.errors,
                    "signature_algo",
                    FieldCode::ValueIsInvalid,
                );
                None
            }
        }
    }

    fn name(&mut self, input: &Map<String, Value>) -> Option<Option<String>> {
        if !input.contains_key("name") {
            return None;
        }
        match opt_string(input, "name") {
            Ok(n) => Some(n),
            Err(InvalidValue) => {
                add(&mut self.errors, "name", FieldCode::ValueIsInvalid);
                None
            }
        }
    }

    /// An array of non-blank strings (`invalid_types` otherwise), or null;
    /// anything else is `must_be_array`.
    fn event_types(&mut self, input: &Map<String, Value>) -> Option<Option<String>> {
        let v = input.get("event_types")?;
        match v {
            Value::Null => Some(None),
            Value::Array(items) => {
                let ok = items
                    .iter()
                    .all(|t| t.as_str().is_some_and(|s| !s.trim().is_empty()));
                if ok {
                    Some(Some(v.to_string()))
                } else {
                    add(&mut self.errors, "event_types", FieldCode::InvalidTypes);
                    None
                }
            }
            _ => {
                add(&mut self.errors, "event_types", FieldCode::MustBeArray);
                None
            }
        }
    }

    /// Applies the keys present onto `e` (a blank endpoint on create, the stored one on
    /// update).
    ///
    /// # Errors
    /// Field → codes: `webhook_url`: `url_is_invalid` (wrong type, refused by the SSRF
    /// guard), `value_is_mandatory` (none left); `signature_algo`/`name`:
    /// `value_is_invalid`; `event_types`: `invalid_types`, `must_be_array`.
    pub fn apply(self, mut e: EndpointRow) -> Result<EndpointRow, FieldErrors> {
        let mut errors = self.errors;
        if let Some(u) = self.webhook_url {
            e.webhook_url = u;
        }
        if e.webhook_url.is_empty() && !errors.contains_key("webhook_url") {
            add(&mut errors, "webhook_url", FieldCode::ValueIsMandatory);
        }
        if let Some(a) = self.signature_algo {
            e.signature_algo = a;
        }
        if let Some(n) = self.name {
            e.name = n;
        }
        if let Some(t) = self.event_types {
            e.event_types = t;
        }
        if errors.is_empty() {
            Ok(e)
        } else {
            Err(errors)
        }
    }
}
