//! The watcher turns Odoo changes into signed Lago webhooks for the app that owns them:
//! subscription started and terminated, invoice created and paid, credit note created —
//! once each, never to another app.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::webhooks::{Hit, Receiver};

both_backends!(odoo_changes_become_webhooks_once);

fn body(h: &Hit) -> Value {
    serde_json::from_slice(&h.body).unwrap()
}

async fn odoo_changes_become_webhooks_once(b: Backend) {
    let app = TestApp::spawn_with_odoo_and(b, |s| {
        s.webhooks.allowed_networks = "127.0.0.0/8".into();
        s.webhooks.poll_interval_ms = 50;
        s.watcher.interval_secs = 3600;
    })
    .await;
    let receiver = Receiver::start(vec![]);
    let other_receiver = Receiver::start(vec![]);
    let other = app.add_service("chat").await;
    for (key, url) in [
        (&app.api_key, receiver.url()),
        (&other, other_receiver.url()),
    ] {
        let (s, b) = app
            .call_as(
                key,
                "POST",
                "/api/v1/webhook_endpoints",
                Some(json!({"webhook_endpoint": {"webhook_url": url}})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let (s, p) = app
        .call("POST", "/api/v1/plans", Some(json!({"plan": {"name": "Site", "code": "site", "interval": "monthly", "amount_cents": 2000, "amount_currency": "CAD"}})))
        .await;
    assert_eq!(s, 200, "{p}");
    let (s, sub) = app
        .call("POST", "/api/v1/subscriptions", Some(json!({"subscription": {"external_customer_id": "acme", "plan_code": "site", "external_id": "sub-1"}})))
        .await;
    assert_eq!(s, 200, "{sub}");
    let watcher = app.watcher();

    let r = watcher.poll().await.unwrap();
    assert_eq!(r.emitted, 1, "{r:?}");
    let hits = receiver.wait_hits(1, Duration::from_secs(10)).await;
    let started = body(&hits[0]);
    assert_eq!(started["webhook_type"], "subscription.started");
    assert_eq!(started["object_type"], "subscription");
    assert_eq!(started["subscription"]["external_id"], "sub-1");
    assert_eq!(
        started["subscription"]["lago_id"],
        sub["subscription"]["lago_id"]
    );
    // Signed with the app's secret (Lago's HMAC of the raw body).
    let secret = app
        .store
        .services()
        .webhook_secret(app.service_id)
        .await
        .unwrap()
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(&hits[0].body);
    assert_eq!(
        hits[0].headers["x-lago-signature"],
        STANDARD.encode(mac.finalize().into_bytes())
    );

    // Nothing changed: nothing emitted.
    assert_eq!(watcher.poll().await.unwrap().emitted, 0);

    // Odoo's recurring invoicing posts the first invoice (20.00 + 13 % HST).
    let invoices = app.sim().run_recurring_invoicing().unwrap();
    assert_eq!(invoices.len(), 1);
    let r = watcher.poll().await.unwrap();
    assert_eq!(r.emitted, 1, "{r:?}");
    let hits = receiver.wait_hits(2, Duration::from_secs(10)).await;
    let created = body(&hits[1]);
    assert_eq!(created["webhook_type"], "invoice.created");
    assert_eq!(created["invoice"]["total_amount_cents"], 2260);
    assert_eq!(created["invoice"]["payment_status"], "pending");
    let invoice_id = created["invoice"]["lago_id"].as_str().unwrap().to_string();
    let (s, listed) = app
        .call("GET", &format!("/api/v1/invoices/{invoice_id}"), None)
        .await;
    assert_eq!(
        (s, listed["invoice"]["number"].clone()),
        (200, created["invoice"]["number"].clone())
    );

    // Paid through the API (Odoo registers the payment): payment_status_updated.
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/v1/invoices/{invoice_id}"),
            Some(json!({"invoice": {"payment_status": "succeeded"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let r = watcher.poll().await.unwrap();
    assert_eq!(r.emitted, 1, "{r:?}");
    let hits = receiver.wait_hits(3, Duration::from_secs(10)).await;
    let paid = body(&hits[2]);
    assert_eq!(paid["webhook_type"], "invoice.payment_status_updated");
    assert_eq!(paid["invoice"]["payment_status"], "succeeded");

    // A credit note made through the API: credit_note.created.
    let fee = listed["invoice"]["fees"][0]["lago_id"].clone();
    let (s, cn) = app
        .call(
            "POST",
            "/api/v1/credit_notes",
            Some(
                json!({"credit_note": {"invoice_id": invoice_id, "reason": "other",
            "refund_amount_cents": 500, "items": [{"fee_id": fee, "amount_cents": 500}]}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{cn}");
    let r = watcher.poll().await.unwrap();
    assert!(r.emitted >= 1, "{r:?}");
    let hits = receiver.wait_hits(4, Duration::from_secs(10)).await;
    let types: Vec<Value> = hits
        .iter()
        .map(|h| body(h)["webhook_type"].clone())
        .collect();
    assert!(types.contains(&json!("credit_note.created")), "{types:?}");

    // Terminated through the API: subscription.terminated.
    let (s, _) = app
        .call("DELETE", "/api/v1/subscriptions/sub-1", None)
        .await;
    assert_eq!(s, 200);
    watcher.poll().await.unwrap();
    let n = receiver.hits().len() + 1;
    let hits = receiver.wait_hits(n, Duration::from_secs(10)).await;
    let last = body(hits.last().unwrap());
    assert_eq!(last["webhook_type"], "subscription.terminated");
    assert_eq!(last["subscription"]["status"], "terminated");

    // A one-off invoice: created, then voided (unpaid) in Odoo through the API.
    let before = receiver.hits().len();
    let one_off = crate::invoices::one_off(&app, "acme").await;
    let id = one_off["lago_id"].as_str().unwrap().to_string();
    watcher.poll().await.unwrap();
    let (s, v) = app
        .call("POST", &format!("/api/v1/invoices/{id}/void"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    watcher.poll().await.unwrap();
    let hits = receiver
        .wait_hits(before + 2, Duration::from_secs(10))
        .await;
    // Deliveries run concurrently: webhooks are at-least-once and unordered, as Svix's.
    let mut of_one_off: Vec<Value> = hits
        .iter()
        .map(body)
        .filter(|b| b["invoice"]["lago_id"] == json!(id))
        .map(|b| b["webhook_type"].clone())
        .collect();
    of_one_off.sort_by_key(|v| v.to_string());
    assert_eq!(
        of_one_off,
        vec![json!("invoice.created"), json!("invoice.voided")]
    );

    // Each transition once; the other app heard nothing, once the delivery worker has
    // provably attempted everything enqueued so far (markers to this app's receiver).
    assert_eq!(watcher.poll().await.unwrap().emitted, 0);
    crate::webhooks::worker_caught_up(&app, app.service_id).await;
    assert!(other_receiver.hits().is_empty());
}
