//! The whole life of an app through each official Lago client (Python and JavaScript,
//! pinned): metrics, plan, customer, subscription, events (single, batch, replay), current
//! usage, the rating push, the simulator's recurring invoice, invoice list and download,
//! webhooks received and verified, a credit note and the termination — with exact amounts
//! and the Odoo records checked. The client scripts are `tests/clients/{python,js}/e2e.*`;
//! this test runs the gateway's background steps between their two phases.
//!
//! Interpreters: `FUSION_TEST_PYTHON` (default `python3`) with `lago-python-client`;
//! `FUSION_TEST_NODE` (default `node`) with `tests/clients/js/node_modules` installed by
//! `npm ci`. A missing client fails its test under CI or `FUSION_REQUIRE_CLIENTS`, and skips
//! it (saying `SKIPPED`) otherwise.
//!
//! With `FUSION_TEST_REAL_ODOO=1` the same flow runs against a real Odoo 19 (see
//! `odoo_under_test`), with ids unique to the run and the Odoo records read from that server.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{prerequisite, Backend, TestApp};
use crate::odoo_under_test::{unique_suffix, OdooUnderTest};
use crate::webhooks::Receiver;

fn python() -> Option<Vec<String>> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/python/e2e.py");
    crate::lago_python::python().map(|py| vec![py, script.to_string()])
}

/// `node` with `lago-javascript-client` installed: a [`prerequisite`] (flag
/// `FUSION_REQUIRE_CLIENTS`), `None` when the test must skip.
fn node() -> Option<Vec<String>> {
    let node = std::env::var("FUSION_TEST_NODE").unwrap_or_else(|_| "node".into());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/js");
    let ok = std::path::Path::new(dir)
        .join("node_modules/lago-javascript-client")
        .exists()
        && Command::new(&node)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
    prerequisite(
        ok.then(|| vec![node.clone(), format!("{dir}/e2e.mjs")]),
        &format!("{node} with lago-javascript-client"),
        "run npm ci in tests/clients/js and set FUSION_TEST_NODE",
        "CLIENTS",
    )
}

async fn phase(
    cmd: &[String],
    app: &TestApp,
    webhook_url: &str,
    name: &str,
    suffix: &str,
) -> Value {
    let (cmd, address, key, hook, name, suffix) = (
        cmd.to_vec(),
        app.address.clone(),
        app.api_key.clone(),
        webhook_url.to_string(),
        name.to_string(),
        suffix.to_string(),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new(&cmd[0])
            .args(&cmd[1..])
            .arg(&name)
            .env("LAGO_API_URL", address)
            .env("LAGO_API_KEY", key)
            .env("WEBHOOK_URL", hook)
            .env("E2E_SUFFIX", suffix)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "client phase failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn whole_life(client: Vec<String>) {
    let (app, odoo) = OdooUnderTest::spawn(Backend::Sqlite, |s| {
        s.webhooks.allowed_networks = "127.0.0.0/8".into();
        s.webhooks.poll_interval_ms = 50;
        s.watcher.interval_secs = 3600;
        s.rating.interval_secs = 3600;
    })
    .await;
    let suffix = if odoo.is_real() {
        unique_suffix()
    } else {
        String::new()
    };
    let sub_ref = format!("e2e-sub{suffix}");
    let receiver = Receiver::start(vec![]);
    let (push, watcher) = (app.rating_push(), app.watcher());

    let setup = phase(&client, &app, &receiver.url(), "setup", &suffix).await;
    // 13,000 calls: 1,000 free, 9,000 × 0.01 = 90.00, 3,000 × 0.005 = 15.00 → 105.00;
    // 13 % HST = 13.65.
    assert_eq!(
        setup["usage"],
        json!({"amount_cents": 10500, "taxes_amount_cents": 1365,
        "total_amount_cents": 11865, "units": "13000"})
    );
    watcher.poll().await.unwrap();

    // Odoo bills the base fee at the start, then the usage a period later.
    assert_eq!(odoo.invoice_period(&app, &sub_ref).await.len(), 1);
    let r = push.cycle().await.unwrap();
    assert_eq!(r.written, 1, "{r:?}");
    odoo.next_period(&app);
    let usage_invoice = odoo.invoice_period(&app, &sub_ref).await;
    assert_eq!(usage_invoice.len(), 1);
    let inv = odoo
        .read(
            &app,
            "account.move",
            &usage_invoice,
            &["amount_untaxed", "amount_tax", "amount_total", "partner_id"],
        )
        .await;
    let partner = inv[0]["partner_id"][0].as_i64().unwrap();
    assert_eq!(
        (
            inv[0]["amount_untaxed"].as_f64(),
            inv[0]["amount_tax"].as_f64()
        ),
        (Some(115.0), Some(14.95))
    );
    watcher.poll().await.unwrap();

    let billing = phase(&client, &app, &receiver.url(), "billing", &suffix).await;
    let invoices = billing["invoices"].as_array().unwrap();
    assert_eq!(invoices.len(), 2, "{billing}");
    let usage = invoices
        .iter()
        .find(|i| i["fees_amount_cents"] == 11500)
        .unwrap();
    assert_eq!(
        (
            usage["taxes_amount_cents"].clone(),
            usage["total_amount_cents"].clone()
        ),
        (json!(1495), json!(12995))
    );
    assert_eq!(usage["status"], "finalized");
    // Fee names are the tier lines the push wrote, not the product Odoo puts first on a real
    // invoice line ("product display name\nsale line name\nperiod").
    let (s, body) = app
        .call(
            "GET",
            &format!("/api/v1/invoices/{}", usage["lago_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let mut names: Vec<&str> = body["invoice"]["fees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["item"]["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "API calls 1,001–10,000 @ 0.01",
            "API calls 10,001+: 3,000 @ 0.005",
            "API – app"
        ],
        "{body}"
    );
    assert_eq!(billing["pdf"], "%PDF-");
    assert_eq!(
        billing["credit_note"],
        json!({"total_amount_cents": 2260, "credit_amount_cents": 2260})
    );
    assert_eq!(billing["terminated"], "terminated");

    // Odoo: a posted credit note reversing the usage invoice, reconciled with it; the
    // subscription churned.
    let refunds = odoo
        .search_read(
            &app,
            "account.move",
            json!([
                ["move_type", "=", "out_refund"],
                ["partner_id", "=", partner]
            ]),
            &["state", "amount_total", "reversed_entry_id"],
        )
        .await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["state"], "posted");
    assert_eq!(refunds[0]["amount_total"].as_f64(), Some(22.6));
    assert_eq!(
        refunds[0]["reversed_entry_id"][0].as_i64(),
        Some(usage_invoice[0])
    );
    let paid = odoo
        .read(
            &app,
            "account.move",
            &usage_invoice,
            &["payment_state", "amount_residual"],
        )
        .await;
    assert_eq!(paid[0]["payment_state"], "partial");
    assert_eq!(paid[0]["amount_residual"].as_f64(), Some(107.35));
    let orders = odoo
        .search_read(
            &app,
            "sale.order",
            json!([["client_order_ref", "=", sub_ref]]),
            &["subscription_state"],
        )
        .await;
    assert_eq!(orders[0]["subscription_state"], "6_churn");

    // Webhooks, each signed with the app's secret.
    watcher.poll().await.unwrap();
    let hits = receiver.wait_hits(5, Duration::from_secs(15)).await;
    let secret = app
        .store
        .services()
        .webhook_secret(app.service_id)
        .await
        .unwrap()
        .unwrap();
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    for h in &hits {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(&h.body);
        assert_eq!(
            h.headers["x-lago-signature"],
            STANDARD.encode(mac.finalize().into_bytes())
        );
        let b: Value = serde_json::from_slice(&h.body).unwrap();
        *types
            .entry(b["webhook_type"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("credit_note.created", 1),
        ("invoice.created", 2),
        ("subscription.started", 1),
        ("subscription.terminated", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(types, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_whole_life() {
    if let Some(cmd) = python() {
        whole_life(cmd).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_client_whole_life() {
    if let Some(cmd) = node() {
        whole_life(cmd).await;
    }
}
