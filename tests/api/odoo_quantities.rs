//! Fractional usage against the Odoo under test (the simulator, or real Odoo with
//! `FUSION_TEST_REAL_ODOO=1`, see `odoo_under_test`). Real Odoo stores quantities at the unit
//! of measure's precision (2 decimals: 2.555 → 2.56), so a usage line must never carry more
//! decimals than that: what Odoo bills must equal what was rated, and a push must not find
//! its own line changed and write it again.

use serde_json::{json, Value};

use crate::helpers::Backend;
use crate::odoo_under_test::{unique_suffix, OdooUnderTest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fractional_usage_is_billed_as_rated_and_pushed_once() {
    let (app, odoo) = OdooUnderTest::spawn(Backend::Sqlite, |s| {
        s.watcher.interval_secs = 3600;
        s.rating.interval_secs = 3600;
    })
    .await;
    let sfx = unique_suffix();
    let (plan, sub, cust) = (
        format!("plan-gb{sfx}"),
        format!("sub-gb{sfx}"),
        format!("cust-gb{sfx}"),
    );
    let (s, m) = app
        .call(
            "POST",
            "/api/v1/billable_metrics",
            Some(json!({"billable_metric": {"name": "Storage", "code": "gb",
                "aggregation_type": "sum_agg", "field_name": "gb"}})),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    let (s, p) = app
        .call(
            "POST",
            "/api/v1/plans",
            Some(
                json!({"plan": {"name": "Storage", "code": plan, "interval": "monthly",
                "amount_cents": 500, "amount_currency": "CAD", "pay_in_advance": true,
                "charges": [{"billable_metric_id": m["billable_metric"]["lago_id"],
                    "charge_model": "standard", "properties": {"amount": "10"}}]}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let (s, c) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(
                json!({"customer": {"external_id": cust, "name": "Fractional Storage Inc",
                "email": format!("ap{sfx}@fractional.ca"), "country": "CA", "currency": "CAD"}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{c}");
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/subscriptions",
            Some(
                json!({"subscription": {"external_customer_id": cust, "plan_code": plan,
                "external_id": sub}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let ts = chrono::Utc::now().timestamp() - 60;
    for (tx, gb) in [("gb1", "1.2"), ("gb2", "1.355")] {
        let (s, e) = app
            .call(
                "POST",
                "/api/v1/events",
                Some(json!({"event": {"transaction_id": format!("{tx}{sfx}"),
                    "external_subscription_id": sub, "code": "gb", "timestamp": ts,
                    "properties": {"gb": gb}}})),
            )
            .await;
        assert_eq!(s, 200, "{e}");
    }

    assert_eq!(odoo.invoice_period(&app, &sub).await.len(), 1, "base fee");
    let push = app.rating_push();
    let r = push.cycle().await.unwrap();
    assert_eq!(r.written, 1, "{r:?}");
    let orders = odoo
        .search_read(
            &app,
            "sale.order",
            json!([["client_order_ref", "=", sub]]),
            &["order_line"],
        )
        .await;
    let lines = odoo
        .search_read(
            &app,
            "sale.order.line",
            json!([
                ["order_id", "=", orders[0]["id"]],
                ["qty_delivered", "!=", 0]
            ]),
            &["name", "qty_delivered", "price_unit"],
        )
        .await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line: &Value = &lines[0];
    assert!(
        line["name"].as_str().unwrap().contains("2.555"),
        "the rated quantity is in the name: {line}"
    );
    let billed = line["qty_delivered"].as_f64().unwrap() * line["price_unit"].as_f64().unwrap();
    assert!(
        (billed - 25.55).abs() < 1e-9,
        "2.555 GB × 10.00 = 25.55: {line}"
    );

    // Nothing new: the next push leaves the line alone.
    let id = line["id"].as_i64().unwrap();
    let before = odoo
        .read(&app, "sale.order.line", &[id], &["write_date"])
        .await;
    let r = push.cycle().await.unwrap();
    assert_eq!(r.written, 0, "{r:?}");
    let after = odoo
        .read(&app, "sale.order.line", &[id], &["write_date"])
        .await;
    assert_eq!(after, before);

    odoo.next_period(&app);
    let usage = odoo.invoice_period(&app, &sub).await;
    assert_eq!(usage.len(), 1);
    let inv = odoo
        .read(&app, "account.move", &usage, &["amount_untaxed", "state"])
        .await;
    assert_eq!(inv[0]["state"], "posted");
    assert_eq!(
        inv[0]["amount_untaxed"].as_f64(),
        Some(30.55),
        "base fee 5.00 + 25.55 rated"
    );
}
