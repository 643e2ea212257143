//! Amounts in the currency's minor unit (issue 15, "Money"): with Odoo's company in JPY
//! (exponent 0), every `*_amount_cents` the gateway reads from or shows to Lago is in yen —
//! not yen × 100 — as Lago's `amount_cents` (RubyMoney `subunit_to_unit` = 1 for JPY).
//! Expected amounts are computed by hand; Odoo rounds JPY taxes to 1 yen (`rounding` = 1).

use serde_json::{json, Map, Value};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(jpy_plans_invoices_credit_notes_and_usage_are_in_yen);

/// Makes the simulator's company (and so every new order and move) use JPY, rounding 1.
fn company_in_yen(app: &TestApp) {
    let state = app.sim().state();
    let mut sim = state.lock().unwrap();
    let ctx = Map::new();
    let vals = |pairs: Vec<(&str, Value)>| -> Map<String, Value> {
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    };
    let jpy = sim
        .create(
            "res.currency",
            &vals(vec![
                ("name", json!("JPY")),
                ("symbol", json!("¥")),
                ("rounding", json!("1")),
                ("active", json!(true)),
            ]),
            &ctx,
        )
        .expect("create JPY");
    let company = sim.refs.company;
    sim.write(
        "res.company",
        &[company],
        &vals(vec![("currency_id", json!(jpy))]),
        &ctx,
    )
    .expect("company in JPY");
    sim.refs.currency = jpy;
}

async fn jpy_plans_invoices_credit_notes_and_usage_are_in_yen(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    company_in_yen(&app);
    let (s, m) = app
        .call(
            "POST",
            "/api/v1/billable_metrics",
            Some(json!({"billable_metric": {
            "name": "calls", "code": "calls", "aggregation_type": "sum_agg", "field_name": "n"}})),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    // ¥1,234 a month (Tokyo); ¥3 a call (Osaka).
    let plan = |code: &str, amount: i64, charges: Value| {
        json!({"plan": {"name": code, "code": code, "interval": "monthly",
            "amount_cents": amount, "amount_currency": "JPY", "charges": charges}})
    };
    let (s, p) = app
        .call("POST", "/api/v1/plans", Some(plan("yen", 1234, json!([]))))
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["plan"]["amount_cents"], 1234);
    let charges = json!([{"billable_metric_id": m["billable_metric"]["lago_id"],
        "charge_model": "standard", "properties": {"amount": "3"}}]);
    let (s, p) = app
        .call("POST", "/api/v1/plans", Some(plan("yen-usage", 0, charges)))
        .await;
    assert_eq!(s, 200, "{p}");
    for (cust, code, sub) in [
        ("tokyo", "yen", "sub-yen"),
        ("osaka", "yen-usage", "sub-use"),
    ] {
        let (s, c) = app
            .call(
                "POST",
                "/api/v1/customers",
                Some(json!({"customer": {
                "external_id": cust, "name": cust, "email": format!("ap@{cust}.example"),
                "currency": "JPY"}})),
            )
            .await;
        assert_eq!(s, 200, "{c}");
        let (s, b) = app
            .call(
                "POST",
                "/api/v1/subscriptions",
                Some(json!({"subscription": {
                "external_customer_id": cust, "plan_code": code, "external_id": sub}})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    // Current usage: 5 calls × ¥3 = ¥15; 13 % HST = 1.95 → ¥2.
    let now = chrono::Utc::now().timestamp();
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": {
            "transaction_id": "yen-1", "external_subscription_id": "sub-use", "code": "calls",
            "timestamp": now - 60, "properties": {"n": 5}}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .call(
            "GET",
            "/api/v1/customers/osaka/current_usage?external_subscription_id=sub-use",
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let u = &b["customer_usage"];
    assert_eq!(u["currency"], "JPY", "{u}");
    assert_eq!(u["amount_cents"], 15, "{u}");
    assert_eq!(u["taxes_amount_cents"], 2, "{u}");
    assert_eq!(u["total_amount_cents"], 17, "{u}");

    // The subscription invoice: ¥1,234 + 13 % (160.42 → ¥160) = ¥1,394.
    assert!(!app.sim().run_recurring_invoicing().unwrap().is_empty());
    let (s, l) = app
        .call("GET", "/api/v1/invoices?external_customer_id=tokyo", None)
        .await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["meta"]["total_count"], 1, "{l}");
    let inv = &l["invoices"][0];
    assert_eq!(inv["currency"], "JPY", "{inv}");
    assert_eq!(inv["fees_amount_cents"], 1234, "{inv}");
    assert_eq!(inv["taxes_amount_cents"], 160);
    assert_eq!(inv["total_amount_cents"], 1394);
    assert_eq!(inv["total_due_amount_cents"], 1394);
    let fee = &inv["fees"][0];
    assert_eq!(fee["item"]["type"], "subscription", "{inv}");
    assert_eq!(fee["amount_cents"], 1234);
    assert_eq!(fee["unit_amount_cents"], 1234);
    assert_eq!(
        fee["sub_total_excluding_taxes_precise_amount_cents"],
        "1234"
    );
    assert_eq!(fee["precise_amount"], "1234");
    assert_eq!(fee["taxes_amount_cents"], 160);
    assert_eq!(fee["total_amount_cents"], 1394);
    assert_eq!(fee["taxes_rate"], json!(13.0));
    assert_eq!(inv["applied_taxes"][0]["tax_rate"], json!(13.0));
    assert_eq!(inv["applied_taxes"][0]["amount_cents"], 160);

    // A credit note of ¥1,000 of that fee: 13 % → ¥130, ¥1,130 in all.
    let (s, n) = app
        .call(
            "POST",
            "/api/v1/credit_notes",
            Some(json!({"credit_note": {
            "invoice_id": inv["lago_id"], "reason": "other",
            "items": [{"fee_id": fee["lago_id"], "amount_cents": 1000}]}})),
        )
        .await;
    assert_eq!(s, 200, "{n}");
    let n = &n["credit_note"];
    assert_eq!(n["currency"], "JPY");
    assert_eq!(n["sub_total_excluding_taxes_amount_cents"], 1000, "{n}");
    assert_eq!(n["taxes_amount_cents"], 130, "{n}");
    assert_eq!(n["total_amount_cents"], 1130, "{n}");
    assert_eq!(n["credit_amount_cents"], 1130, "{n}");

    // A one-off invoice: 2 × ¥2,500 = ¥5,000 + 13 % = ¥5,650.
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/invoices",
            Some(json!({"invoice": {
            "external_customer_id": "tokyo", "currency": "JPY", "fees": [{
                "add_on_code": "setup", "unit_amount_cents": 2500, "units": "2"}]}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let inv = &b["invoice"];
    assert_eq!(inv["currency"], "JPY");
    assert_eq!(inv["fees_amount_cents"], 5000, "{inv}");
    assert_eq!(inv["taxes_amount_cents"], 650);
    assert_eq!(inv["total_amount_cents"], 5650);
    assert_eq!(inv["fees"][0]["unit_amount_cents"], 2500);
}
