//! Current usage shows the tax Odoo will invoice, against the Odoo under test (the simulator,
//! or real Odoo with `FUSION_TEST_REAL_ODOO=1`, see `odoo_under_test`). Odoo 19 companies round
//! taxes globally by default (`tax_calculation_rounding_method = round_globally`: 13 % of the
//! sum of the lines, rounded once), as the kit's real server and the simulator do: two usage
//! charges of 0.05 each are 0.01 of tax, not 0.02 (a company that rounds per line gets 0.02,
//! and the test expects what the server's method gives).

use serde_json::json;

use crate::helpers::Backend;
use crate::odoo_under_test::{unique_suffix, OdooUnderTest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_usage_taxes_match_the_invoice() {
    let (app, odoo) = OdooUnderTest::spawn(Backend::Sqlite, |s| {
        s.watcher.interval_secs = 3600;
        s.rating.interval_secs = 3600;
    })
    .await;
    let sfx = unique_suffix();
    let (plan, sub, cust) = (
        format!("plan-tax{sfx}"),
        format!("sub-tax{sfx}"),
        format!("cust-tax{sfx}"),
    );
    let mut charges = Vec::new();
    for code in ["reads", "writes"] {
        let (s, m) = app
            .call(
                "POST",
                "/api/v1/billable_metrics",
                Some(json!({"billable_metric": {"name": code, "code": code,
                    "aggregation_type": "sum_agg", "field_name": "n"}})),
            )
            .await;
        assert_eq!(s, 200, "{m}");
        charges.push(
            json!({"billable_metric_id": m["billable_metric"]["lago_id"],
            "charge_model": "standard", "properties": {"amount": "0.05"}}),
        );
    }
    let body = json!({"plan": {"name": "Tax rounding", "code": plan, "interval": "monthly",
        "amount_cents": 100, "amount_currency": "CAD", "pay_in_advance": true,
        "charges": charges}});
    let (s, p) = app.call("POST", "/api/v1/plans", Some(body)).await;
    assert_eq!(s, 200, "{p}");
    let body = json!({"customer": {"external_id": cust, "name": "Rounding Ltd",
        "email": format!("ap{sfx}@rounding.ca"), "country": "CA", "currency": "CAD"}});
    let (s, c) = app.call("POST", "/api/v1/customers", Some(body)).await;
    assert_eq!(s, 200, "{c}");
    let body = json!({"subscription": {"external_customer_id": cust, "plan_code": plan,
        "external_id": sub}});
    let (s, b) = app.call("POST", "/api/v1/subscriptions", Some(body)).await;
    assert_eq!(s, 200, "{b}");
    let ts = chrono::Utc::now().timestamp() - 60;
    for code in ["reads", "writes"] {
        let body = json!({"event": {"transaction_id": format!("{code}{sfx}"),
            "external_subscription_id": sub, "code": code, "timestamp": ts,
            "properties": {"n": 1}}});
        let (s, e) = app.call("POST", "/api/v1/events", Some(body)).await;
        assert_eq!(s, 200, "{e}");
    }

    assert_eq!(odoo.invoice_period(&app, &sub).await.len(), 1, "base fee");
    let (s, u) = app
        .call(
            "GET",
            &format!("/api/v1/customers/{cust}/current_usage?external_subscription_id={sub}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{u}");
    let usage = &u["customer_usage"];
    assert_eq!(usage["amount_cents"], 10, "{u}");
    let r = app.rating_push().cycle().await.unwrap();
    assert_eq!(r.written, 1, "{r:?}");
    odoo.next_period(&app);
    let inv = odoo.invoice_period(&app, &sub).await;
    let lines = odoo
        .search_read(
            &app,
            "account.move.line",
            json!([
                ["move_id", "in", inv],
                ["display_type", "=", "product"],
                ["price_subtotal", "=", 0.05]
            ]),
            &["price_subtotal"],
        )
        .await;
    assert_eq!(lines.len(), 2, "two usage lines of 0.05: {lines:?}");
    // The invoice: base fee 1.00 (0.13 of tax) and the two usage lines.
    let m = odoo
        .read(
            &app,
            "account.move",
            &inv,
            &["amount_untaxed", "amount_tax"],
        )
        .await;
    assert_eq!(m[0]["amount_untaxed"].as_f64(), Some(1.1), "{m:?}");
    let invoiced_cents = (m[0]["amount_tax"].as_f64().unwrap() * 100.0).round() as i64;
    let company = odoo
        .search_read(
            &app,
            "res.company",
            json!([]),
            &["tax_calculation_rounding_method"],
        )
        .await;
    let globally = company[0]["tax_calculation_rounding_method"] == "round_globally";
    let expected = if globally { 14 } else { 15 };
    assert_eq!(
        invoiced_cents, expected,
        "1.10 × 13 % rounded by Odoo: {m:?}"
    );
    assert_eq!(
        usage["taxes_amount_cents"].as_i64().unwrap() + 13,
        invoiced_cents,
        "current usage shows the tax Odoo invoices: {u}"
    );
}
