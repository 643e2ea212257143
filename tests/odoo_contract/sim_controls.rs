//! Simulator-only controls (`/__sim/*` and `SimHandle`); skipped against a real Odoo.

use crate::harness::Target;
use crate::sim_only;
use serde_json::{json, Value};

#[tokio::test]
async fn call_counter_counts_rpc_requests() {
    let t = Target::new().await;
    let sim = sim_only!(t);
    sim.reset_call_count();
    t.ok("res.partner", "search", json!([[]]), json!({})).await;
    t.json2("res.partner", "search_count", json!({"domain": []}))
        .await;
    assert_eq!(sim.rpc_call_count(), 2);
    let stats: Value = t
        .http
        .get(format!("{}/__sim/stats", t.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["rpc_calls"], 2, "control routes are not counted");
    t.http
        .post(format!("{}/__sim/stats/reset", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(sim.rpc_call_count(), 0);
}

#[tokio::test]
async fn clock_advances_over_http() {
    let t = Target::new().await;
    let sim = sim_only!(t);
    let before = sim.today();
    let v: Value = t
        .http
        .post(format!("{}/__sim/clock/advance", t.url))
        .json(&json!({"days": 10}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sim.today() - before, chrono::Duration::days(10));
    assert_eq!(v["today"], sim.today().format("%Y-%m-%d").to_string());
    let inv = t.posted_invoice(1.0, 1.0).await;
    let d = t.read1("account.move", inv, &["invoice_date"]).await;
    assert_eq!(
        d["invoice_date"], v["today"],
        "business dates follow the simulated clock"
    );
}

#[tokio::test]
async fn cron_over_http() {
    let t = Target::new().await;
    let _ = sim_only!(t);
    let v: Value = t
        .http
        .post(format!("{}/__sim/cron/recurring_invoicing", t.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["invoice_ids"], json!([]));
}

#[tokio::test]
async fn outage_answers_503_then_recovers() {
    let t = Target::new().await;
    let sim = sim_only!(t);
    sim.set_down(true);
    let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "common", "method": "version", "args": []}});
    let (s, _, _, _) = t
        .post_raw("/jsonrpc", "application/json", &body.to_string(), &[])
        .await;
    assert_eq!(s, 503);
    t.http
        .post(format!("{}/__sim/down", t.url))
        .json(&json!({"down": false}))
        .send()
        .await
        .unwrap();
    let (s, _, _, _) = t
        .post_raw("/jsonrpc", "application/json", &body.to_string(), &[])
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn refusing_connections_then_listening_again() {
    let t = Target::new().await;
    let sim = sim_only!(t);
    sim.set_refusing(true).await.unwrap();
    let r = reqwest::Client::new()
        .get(format!("{}/web/version", t.url))
        .send()
        .await;
    assert!(r.is_err(), "connection refused");
    sim.set_refusing(false).await.unwrap();
    let r = reqwest::Client::new()
        .get(format!("{}/web/version", t.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn direct_record_access() {
    let t = Target::new().await;
    let sim = sim_only!(t);
    let id = t.partner().await;
    let rows = sim.read("res.partner", &[id], &["name", "email"]).unwrap();
    assert_eq!(rows[0]["email"], "ap@example.ca");
    let plans = sim.search("sale.subscription.plan", json!([])).unwrap();
    assert_eq!(plans.len(), 2);
    let all: Value = t
        .http
        .get(format!("{}/__sim/records/sale.subscription.plan", t.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Monthly", "Yearly"]);
}
