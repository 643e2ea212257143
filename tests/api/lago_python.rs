//! The official `lago-python-client` (pinned in `tests/clients/python/requirements.txt`)
//! creates billable metrics and sends single and batch events without raising.
//!
//! The interpreter is `FUSION_TEST_PYTHON` (default `python3`). Without the package the
//! test fails under CI or `FUSION_REQUIRE_CLIENTS`, and says `SKIPPED` otherwise (see
//! [`crate::helpers::prerequisite`]).

use std::process::Command;

use crate::helpers::{prerequisite, Backend, TestApp};

/// The Python interpreter with `lago-python-client`: a [`prerequisite`] (flag
/// `FUSION_REQUIRE_CLIENTS`), `None` when the test must skip.
pub(crate) fn python() -> Option<String> {
    let py = std::env::var("FUSION_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import lago_python_client"])
        .output()
        .is_ok_and(|o| o.status.success());
    prerequisite(
        ok.then(|| py.clone()),
        &format!("lago-python-client importable by {py}"),
        "set FUSION_TEST_PYTHON to a Python with tests/clients/python/requirements.txt installed",
        "CLIENTS",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_ingests_events() {
    let Some(py) = python() else { return };
    let app = TestApp::spawn(Backend::Sqlite).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/python/ingest.py"
    );
    let (address, key) = (app.address.clone(), app.api_key.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(script)
            .env("LAGO_API_URL", address)
            .env("LAGO_API_KEY", key)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "python client failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["metric_code"], "api_calls");
    assert_eq!(r["metric_filters"], serde_json::json!([]));
    assert_eq!(r["counted_aggregation"], "count_agg");
    assert_eq!(r["found_field_name"], "calls");
    assert_eq!(r["single"]["transaction_id"], "py-1");
    assert_eq!(r["single"]["external_subscription_id"], "sub-py");
    assert_eq!(r["single"]["timestamp"], "2023-11-14T22:13:20.000Z");
    assert_eq!(r["replay_lago_id"], r["single"]["lago_id"]);
    assert_eq!(r["no_timestamp_code"], "logins");
    assert_eq!(r["fetched_properties"], serde_json::json!({"calls": 10}));
    assert_eq!(r["conflict_status"], 422);
    assert_eq!(
        r["conflict_body"]["error_details"],
        serde_json::json!({"transaction_id": ["value_already_exist"]})
    );
    assert_eq!(r["metrics_count"], 2);
    assert_eq!(
        app.store
            .events()
            .count_events(app.service_id)
            .await
            .unwrap(),
        52
    );
}

/// Issue 4's flow with the official client: metrics → plan with every charge model →
/// customer → subscription → events → current usage with exact amounts → termination,
/// each checked on the Odoo side (the script asserts; see `accounts_flow.py`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_drives_customers_plans_subscriptions() {
    let Some(py) = python() else { return };
    let app = TestApp::spawn_with_odoo(Backend::Sqlite).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/python/accounts_flow.py"
    );
    let (address, key, odoo) = (
        app.address.clone(),
        app.api_key.clone(),
        app.sim().base_url(),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(script)
            .env("LAGO_API_URL", address)
            .env("LAGO_API_KEY", key)
            .env("ODOO_URL", odoo)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "python flow failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["amount_cents"], 9875);
    assert_eq!(r["status"], "terminated");
}

/// Issue 5's flow with the official client: a recurring invoice created by Odoo is listed and
/// found, downloaded as a PDF, a one-off invoice is created, credited and another voided;
/// every response parses into the client's pydantic models (see `invoices_flow.py`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_drives_invoices_and_credit_notes() {
    let Some(py) = python() else { return };
    let app = TestApp::spawn_with_odoo(Backend::Sqlite).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/clients/python/invoices_flow.py"
    );
    let (address, key, odoo) = (
        app.address.clone(),
        app.api_key.clone(),
        app.sim().base_url(),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(script)
            .env("LAGO_API_URL", address)
            .env("LAGO_API_KEY", key)
            .env("ODOO_URL", odoo)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "python flow failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["subscription_total"], 2260);
    assert_eq!(r["one_off_total"], 5650);
    assert_eq!(r["credit_note_total"], 1130);
    assert_eq!(r["voided_status"], "voided");
}
