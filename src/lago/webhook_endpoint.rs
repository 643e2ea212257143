//! Lago's webhook endpoint object (`api:app/serializers/v1/webhook_endpoint_serializer.rb`;
//! the Python client's `WebhookEndpointResponse` requires `lago_id`,
//! `lago_organization_id`, `webhook_url`, `created_at`).

use serde::Serialize;
use serde_json::{json, Value};

use super::time::iso_seconds;
use crate::webhooks::outbox::organization_id;
use crate::webhooks::repo::EndpointRow;

/// `webhook_endpoint`. `event_types` null = every type.
#[derive(Debug, Clone, Serialize)]
pub struct WebhookEndpoint {
    pub lago_id: String,
    /// The app's stable organization id (what webhook bodies carry).
    pub lago_organization_id: String,
    pub webhook_url: String,
    /// `hmac | jwt`.
    pub signature_algo: String,
    pub name: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub created_at: String,
}

impl From<&EndpointRow> for WebhookEndpoint {
    fn from(e: &EndpointRow) -> WebhookEndpoint {
        WebhookEndpoint {
            lago_id: e.id.clone(),
            lago_organization_id: organization_id(e.service_id),
            webhook_url: e.webhook_url.clone(),
            signature_algo: e.signature_algo.clone(),
            name: e.name.clone(),
            event_types: e
                .event_types
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok()),
            created_at: iso_seconds(e.created_at),
        }
    }
}

impl WebhookEndpoint {
    /// `{"webhook_endpoint": …}`.
    pub fn envelope(&self) -> Value {
        json!({ "webhook_endpoint": self })
    }
}
