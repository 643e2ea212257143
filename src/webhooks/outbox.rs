//! The outbox: [`enqueue`] writes one durable delivery row per endpoint before anything
//! is sent; the worker ([`super::delivery`]) sends them.
//!
//! The body is Lago's (`api:app/services/webhooks/base_service.rb`):
//! `{"webhook_type":"invoice.created","object_type":"invoice","organization_id":"<uuid>","invoice":{…}}`
//! in that key order, compact, stored as the exact text that is POSTed and signed, so
//! every retry and replay sends identical bytes.

use sha2::{Digest, Sha256};

use super::repo::DeliveryRow;
use crate::meter::time::now_micros;
use crate::meter::{Store, StoreError};

/// The service's Lago `organization_id` / `lago_organization_id`: a UUID derived from
/// the service's store id (first 16 bytes of SHA-256 of
/// `"fusion-billing/organization/<service_id>"`, marked as a version-8 UUID). Stable for
/// the life of the store; no extra column needed.
pub fn organization_id(service_id: i64) -> String {
    let digest = Sha256::digest(format!("fusion-billing/organization/{service_id}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The exact body of a delivery: Lago's key order, compact JSON.
///
/// # Panics
/// Never: strings and `serde_json::Value` always serialise.
pub fn delivery_body(
    webhook_type: &str,
    object_type: &str,
    organization_id: &str,
    object: &serde_json::Value,
) -> String {
    let s = |v: &str| serde_json::to_string(v).expect("string serialises");
    format!(
        "{{\"webhook_type\":{},\"object_type\":{},\"organization_id\":{},{}:{}}}",
        s(webhook_type),
        s(object_type),
        s(organization_id),
        s(object_type),
        serde_json::to_string(object).expect("value serialises"),
    )
}

/// Emits a webhook for a service: writes one `pending` delivery per endpoint of
/// `service_id` that wants `webhook_type` (all in one transaction), due now. Endpoints
/// that are disabled get a `failed` row ("endpoint disabled") instead, so the message
/// is never dropped silently and `webhooks replay` can send it once the endpoint is
/// enabled again. Returns the delivery ids written (empty when the service has no
/// endpoint for the type).
///
/// `object_type` is Lago's object key (`invoice`, `subscription`, `credit_note`, …, see
/// API-NOTES §8); `object` is the serializer output that goes under that key.
///
/// # Errors
/// Store errors: then nothing was written and the caller should retry.
pub async fn enqueue(
    store: &Store,
    service_id: i64,
    webhook_type: &str,
    object_type: &str,
    object: serde_json::Value,
) -> Result<Vec<String>, StoreError> {
    let endpoints = store
        .webhook_endpoints()
        .webhook_endpoints_of(service_id)
        .await?;
    let body = delivery_body(
        webhook_type,
        object_type,
        &organization_id(service_id),
        &object,
    );
    let now = now_micros();
    let rows: Vec<DeliveryRow> = endpoints
        .iter()
        .filter(|e| e.wants(webhook_type))
        .map(|e| {
            let disabled = e.disabled_at.is_some();
            DeliveryRow {
                id: uuid::Uuid::new_v4().to_string(),
                service_id,
                endpoint_id: e.id.clone(),
                webhook_type: webhook_type.to_string(),
                object_type: object_type.to_string(),
                body: body.clone(),
                status: if disabled { "failed" } else { "pending" }.to_string(),
                attempts: 0,
                next_attempt_at: now,
                last_status_code: None,
                last_error: disabled.then(|| "endpoint disabled".to_string()),
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    if rows.is_empty() {
        tracing::debug!(
            service_id,
            webhook_type,
            "no webhook endpoint wants this type"
        );
        return Ok(Vec::new());
    }
    store
        .webhook_deliveries()
        .insert_webhook_deliveries(&rows)
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_keeps_lago_key_order() {
        let b = delivery_body(
            "invoice.created",
            "invoice",
            "org",
            &serde_json::json!({"lago_id": "x", "amount_cents": 5}),
        );
        assert_eq!(
            b,
            r#"{"webhook_type":"invoice.created","object_type":"invoice","organization_id":"org","invoice":{"amount_cents":5,"lago_id":"x"}}"#
        );
        let v: serde_json::Value = serde_json::from_str(&b).unwrap();
        assert_eq!(v["invoice"]["lago_id"], "x");
    }

    #[test]
    fn organization_id_is_a_stable_uuid_per_service() {
        assert_eq!(organization_id(1), organization_id(1));
        assert_ne!(organization_id(1), organization_id(2));
        assert!(uuid::Uuid::parse_str(&organization_id(7)).is_ok());
    }
}
