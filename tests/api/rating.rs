//! The rating push against the simulator: usage lines written onto the Odoo subscription,
//! billed by the simulator's own recurring invoicing with 13 % HST, unchanged subscriptions
//! left alone, late usage on a labelled line of the next window, and an Odoo outage in the
//! middle of a cycle.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(
    usage_lands_on_odoo_recurring_invoice,
    late_usage_is_billed_once_in_the_next_window,
    odoo_outage_mid_cycle_loses_nothing,
);

/// Metric `calls` (sum of `n`) on plan `api` (10.00/month) with a graduated charge:
/// 0–1,000 free, 1,001–10,000 at 0.01, 10,001+ at 0.005 (written as one unit at its amount);
/// and customer `acme` subscribed as `sub-1`, first invoice (base fee) done by Odoo.
async fn setup(app: &TestApp) -> i64 {
    let (s, m) = app
        .call("POST", "/api/v1/billable_metrics", Some(json!({"billable_metric": {
            "name": "API calls", "code": "calls", "aggregation_type": "sum_agg", "field_name": "n"}})))
        .await;
    assert_eq!(s, 200, "{m}");
    let (s, p) = app
        .call("POST", "/api/v1/plans", Some(json!({"plan": {"name": "API", "code": "api",
            "interval": "monthly", "amount_cents": 1000, "amount_currency": "CAD", "charges": [
            {"billable_metric_id": m["billable_metric"]["lago_id"], "charge_model": "graduated",
             "properties": {"graduated_ranges": [
                {"from_value": 0, "to_value": 1000, "per_unit_amount": "0", "flat_amount": "0"},
                {"from_value": 1001, "to_value": 10000, "per_unit_amount": "0.01", "flat_amount": "0"},
                {"from_value": 10001, "to_value": null, "per_unit_amount": "0.005", "flat_amount": "0"}]}}]}})))
        .await;
    assert_eq!(s, 200, "{p}");
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/subscriptions",
            Some(json!({"subscription": {
            "external_customer_id": "acme", "plan_code": "api", "external_id": "sub-1"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let invoices = app.sim().run_recurring_invoicing().unwrap();
    assert_eq!(invoices.len(), 1, "the base fee is invoiced at the start");
    app.store
        .subscriptions()
        .live_subscription(app.service_id, "sub-1")
        .await
        .unwrap()
        .unwrap()
        .sale_order_id
        .unwrap()
}

async fn send(app: &TestApp, id: &str, ts: i64, n: i64) {
    let (s, b) = app
        .call("POST", "/api/v1/events", Some(json!({"event": {"transaction_id": id,
            "external_subscription_id": "sub-1", "code": "calls", "timestamp": ts, "properties": {"n": n}}})))
        .await;
    assert_eq!(s, 200, "{b}");
}

/// Usage lines of the order with a delivered quantity: (name, qty, price).
fn usage_lines(app: &TestApp, order: i64) -> Vec<(String, f64, f64)> {
    let o = app
        .sim()
        .read("sale.order", &[order], &["order_line"])
        .unwrap();
    let ids: Vec<i64> = o[0]["order_line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let mut out: Vec<(String, f64, f64)> = app
        .sim()
        .read(
            "sale.order.line",
            &ids,
            &["name", "qty_delivered", "price_unit"],
        )
        .unwrap()
        .iter()
        .filter(|l| l["qty_delivered"].as_f64().unwrap_or(0.0) != 0.0)
        .map(|l| {
            (
                l["name"].as_str().unwrap().to_string(),
                l["qty_delivered"].as_f64().unwrap(),
                l["price_unit"].as_f64().unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn invoice(app: &TestApp, id: i64) -> (Value, Vec<(String, f64, f64)>) {
    let inv = app
        .sim()
        .read(
            "account.move",
            &[id],
            &[
                "move_type",
                "state",
                "amount_untaxed",
                "amount_tax",
                "amount_total",
                "invoice_line_ids",
            ],
        )
        .unwrap()[0]
        .clone();
    let ids: Vec<i64> = inv["invoice_line_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let mut lines: Vec<(String, f64, f64)> = app
        .sim()
        .read(
            "account.move.line",
            &ids,
            &["name", "quantity", "price_unit"],
        )
        .unwrap()
        .iter()
        .map(|l| {
            (
                // "product display name\nsale line name\nperiod", as real Odoo 19.
                l["name"]
                    .as_str()
                    .unwrap_or("")
                    .lines()
                    .nth(1)
                    .unwrap_or("")
                    .to_string(),
                l["quantity"].as_f64().unwrap(),
                l["price_unit"].as_f64().unwrap(),
            )
        })
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    (inv, lines)
}

async fn usage_lands_on_odoo_recurring_invoice(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let order = setup(&app).await;
    let push = app.rating_push();
    let now = chrono::Utc::now().timestamp();
    send(&app, "e1", now - 30, 9_000).await;
    send(&app, "e2", now - 20, 3_500).await;
    let r = push.cycle().await.unwrap();
    assert_eq!((r.rated, r.written, r.failed), (1, 1, 0), "{r:?}");
    // 12,500 calls: 1,000 free; 9,000 × 0.01 = 90.00; 2,500 × 0.005 = 12.50 (one unit).
    assert_eq!(
        usage_lines(&app, order),
        vec![
            ("API calls 1,001–10,000 @ 0.01".to_string(), 9000.0, 0.01),
            ("API calls 10,001+: 2,500 @ 0.005".to_string(), 1.0, 12.5),
        ]
    );
    // Nothing new: no write (only the batched read of the orders; events younger than the
    // settling time are rated again, to the same lines).
    app.sim().reset_call_count();
    let r = push.cycle().await.unwrap();
    assert_eq!(r.written, 0, "{r:?}");
    assert_eq!(app.sim().rpc_call_count(), 1, "one search_read, no write");
    // More usage: the same lines are rewritten with absolute quantities.
    send(&app, "e3", now - 10, 500).await;
    let r = push.cycle().await.unwrap();
    assert_eq!(r.written, 1, "{r:?}");
    // 13,000: 90.00 + 3,000 × 0.005 = 15.00
    assert_eq!(
        usage_lines(&app, order)[1],
        ("API calls 10,001+: 3,000 @ 0.005".to_string(), 1.0, 15.0)
    );

    // Odoo's own recurring invoice a month later bills the usage and the next base fee.
    app.sim().advance_clock(32);
    let invoices = app.sim().run_recurring_invoicing().unwrap();
    assert_eq!(invoices.len(), 1);
    let (inv, lines) = invoice(&app, invoices[0]);
    assert_eq!(inv["move_type"], "out_invoice");
    assert_eq!(inv["state"], "posted");
    // 10.00 base + 90.00 + 15.00 = 115.00; 13 % HST = 14.95
    assert_eq!(inv["amount_untaxed"].as_f64(), Some(115.0));
    assert_eq!(inv["amount_tax"].as_f64(), Some(14.95));
    assert_eq!(inv["amount_total"].as_f64(), Some(129.95));
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.0 == "API calls 1,001–10,000 @ 0.01" && l.1 == 9000.0 && l.2 == 0.01),
        "{lines:?}"
    );
    assert!(
        usage_lines(&app, order).is_empty(),
        "Odoo reset the delivered quantities"
    );
    // The rolled-over window has no usage yet: nothing written.
    let r = push.cycle().await.unwrap();
    assert_eq!((r.rolled_over, r.written), (1, 0), "{r:?}");
}

async fn late_usage_is_billed_once_in_the_next_window(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let order = setup(&app).await;
    let push = app.rating_push();
    let now = chrono::Utc::now().timestamp();
    send(&app, "e1", now - 30, 2_000).await;
    push.cycle().await.unwrap();
    app.sim().advance_clock(32);
    let first = app.sim().run_recurring_invoicing().unwrap();
    // 1,000 × 0.01 = 10.00 usage + 10.00 base.
    assert_eq!(
        invoice(&app, first[0]).0["amount_untaxed"].as_f64(),
        Some(20.0)
    );
    push.cycle().await.unwrap();
    // An event of the invoiced window arrives late: 500 more calls = 5.00.
    send(&app, "late-1", now - 25, 500).await;
    let r = push.cycle().await.unwrap();
    assert_eq!((r.written, r.late_lines), (1, 1), "{r:?}");
    let lines = usage_lines(&app, order);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].0.starts_with("Late usage ") && lines[0].0.ends_with(": API calls"),
        "{lines:?}"
    );
    assert_eq!((lines[0].1, lines[0].2), (1.0, 5.0));
    app.sim().advance_clock(31);
    let second = app.sim().run_recurring_invoicing().unwrap();
    let (inv, _) = invoice(&app, second[0]);
    assert_eq!(
        inv["amount_untaxed"].as_f64(),
        Some(15.0),
        "base 10.00 + late 5.00"
    );
    // Billed once: the next cycles add no late line for it again.
    let r = push.cycle().await.unwrap();
    assert_eq!((r.written, r.late_lines), (0, 0), "{r:?}");
    assert!(usage_lines(&app, order).is_empty());
    app.sim().advance_clock(31);
    let third = app.sim().run_recurring_invoicing().unwrap();
    assert_eq!(
        invoice(&app, third[0]).0["amount_untaxed"].as_f64(),
        Some(10.0),
        "base fee only"
    );
}

async fn odoo_outage_mid_cycle_loses_nothing(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let order = setup(&app).await;
    let push = app.rating_push();
    let now = chrono::Utc::now().timestamp();
    send(&app, "e1", now - 30, 1_500).await;
    app.sim().set_down(true);
    assert!(push.cycle().await.is_err(), "Odoo down: the cycle fails");
    // Usage keeps coming while Odoo is down.
    send(&app, "e2", now - 20, 1_000).await;
    app.sim().set_down(false);
    let r = push.cycle().await.unwrap();
    assert_eq!((r.written, r.failed), (1, 0), "{r:?}");
    // 2,500 calls → 1,500 × 0.01 = 15.00
    assert_eq!(
        usage_lines(&app, order),
        vec![("API calls 1,001–10,000 @ 0.01".to_string(), 1500.0, 0.01)]
    );
}
