//! Money safety against hostile or merely unlucky input: usage beyond any range poisons one
//! subscription only (the others are still rated, the loop lives on and says so), shared
//! partners change only through the app that owns them, and a one-off fee that cannot be
//! represented in cents is refused before Odoo is touched.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(
    poisoned_subscription_does_not_stop_the_others,
    the_rating_loop_survives_and_reports_a_poisoned_subscription,
    shared_partner_changes_only_through_its_owner,
    one_off_fee_beyond_cents_is_refused_before_odoo,
    odoo_recreated_empty_is_rechecked,
    charge_options_that_are_not_priced_are_refused,
);

/// `Decimal::MAX`: what two 200-answered usage pushes once stored.
const HUGE: &str = "79228162514264337593543950335";

/// Metric `calls` (sum of `n`), plan `api` at 1.00 per call, and subscription `sub` for
/// customer `cust` of the app with `key`.
async fn subscribed(app: &TestApp, key: &str, cust: &str, sub: &str) {
    let (s, m) = app
        .call_as(
            key,
            "POST",
            "/api/v1/billable_metrics",
            Some(json!({"billable_metric": {
            "name": "Calls", "code": "calls", "aggregation_type": "sum_agg", "field_name": "n"}})),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    let (s, p) = app
        .call_as(
            key,
            "POST",
            "/api/v1/plans",
            Some(json!({"plan": {"name": "API", "code": "api",
            "interval": "monthly", "amount_cents": 1000, "amount_currency": "CAD", "charges": [
            {"billable_metric_id": m["billable_metric"]["lago_id"], "charge_model": "standard",
             "properties": {"amount": "1"}}]}})),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let (s, b) = app
        .call_as(
            key,
            "POST",
            "/api/v1/subscriptions",
            Some(json!({"subscription": {
            "external_customer_id": cust, "plan_code": "api", "external_id": sub}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

/// Stores two counters of `Decimal::MAX` calls for `sub` of service `service_id` directly in
/// the store (as data accepted before inputs were bounded would be).
async fn poison(app: &TestApp, service_id: i64, sub: &str) {
    let now = chrono::Utc::now().timestamp_micros();
    for key in ["p1", "p2"] {
        let sql = "INSERT INTO usage_counters (lago_id, service_id, external_subscription_id, \
                   code, period_start, period_end, quantity, idempotency_key, fingerprint, created_at) \
                   VALUES ($1, $2, $3, 'calls', $4, $5, $6, $7, 'x', $8)";
        let lago_id = uuid::Uuid::new_v4().to_string();
        fusion_billing::dispatch!(&app.store, |p| sqlx::query(sql)
            .bind(&lago_id)
            .bind(service_id)
            .bind(sub)
            .bind(now - 60_000_000)
            .bind(now - 30_000_000)
            .bind(HUGE)
            .bind(key)
            .bind(now - 20_000_000)
            .execute(p)
            .await
            .map(|_| ())
            .unwrap());
    }
}

async fn send(app: &TestApp, key: &str, sub: &str, id: &str, n: i64) {
    let ts = chrono::Utc::now().timestamp() - 30;
    let (s, b) = app
        .call_as(key, "POST", "/api/v1/events", Some(json!({"event": {"transaction_id": id,
            "external_subscription_id": sub, "code": "calls", "timestamp": ts, "properties": {"n": n}}})))
        .await;
    assert_eq!(s, 200, "{b}");
}

/// Delivered quantities on the usage lines of `sub`'s order.
async fn delivered(app: &TestApp, service_id: i64, sub: &str) -> Vec<f64> {
    let order = app
        .store
        .subscriptions()
        .live_subscription(service_id, sub)
        .await
        .unwrap()
        .unwrap()
        .sale_order_id
        .unwrap();
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
    app.sim()
        .read("sale.order.line", &ids, &["qty_delivered"])
        .unwrap()
        .iter()
        .map(|l| l["qty_delivered"].as_f64().unwrap_or(0.0))
        .filter(|q| *q != 0.0)
        .collect()
}

/// Two apps, each with a subscription that Odoo has invoiced once (its base fee); app A's
/// usage is poisoned, app B's is 5 calls. Returns B's key and service id.
async fn two_tenants(app: &TestApp) -> (String, i64) {
    subscribed(app, &app.api_key, "alice", "sub-a").await;
    let b_key = app.add_service("other").await;
    subscribed(app, &b_key, "bob", "sub-b").await;
    let b_id = app
        .store
        .services()
        .service_for_key(&b_key)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(app.sim().run_recurring_invoicing().unwrap().len(), 2);
    poison(app, app.service_id, "sub-a").await;
    send(app, &b_key, "sub-b", "b1", 5).await;
    (b_key, b_id)
}

async fn poisoned_subscription_does_not_stop_the_others(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let (b_key, b_id) = two_tenants(&app).await;
    let push = app.rating_push();
    let r = push.cycle().await.expect("the cycle itself succeeds");
    assert_eq!((r.rated, r.written, r.failed), (2, 1, 1), "{r:?}");
    assert_eq!(delivered(&app, b_id, "sub-b").await, vec![5.0]);
    assert!(delivered(&app, app.service_id, "sub-a").await.is_empty());
    // The poisoned one is retried every cycle (and fails again); the other goes on.
    send(&app, &b_key, "sub-b", "b2", 2).await;
    let r = push.cycle().await.unwrap();
    assert_eq!((r.written, r.failed), (1, 1), "{r:?}");
    assert_eq!(delivered(&app, b_id, "sub-b").await, vec![7.0]);
    // Its current usage is refused in Lago's error shape, not a 500.
    let (s, b) = app
        .call(
            "GET",
            "/api/v1/customers/alice/current_usage?external_subscription_id=sub-a",
            None,
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error_details"],
        json!({"base": ["value_is_out_of_range"]})
    );
    // Odoo's recurring invoice of B bills exactly B's usage.
    app.sim().advance_clock(32);
    let invoices = app.sim().run_recurring_invoicing().unwrap();
    assert_eq!(invoices.len(), 2, "both tenants invoiced by Odoo");
}

async fn the_rating_loop_survives_and_reports_a_poisoned_subscription(backend: Backend) {
    let app = TestApp::spawn_with_odoo_and(backend, |s| s.rating.interval_secs = 1).await;
    let (_, b_id) = two_tenants(&app).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = app
            .client
            .get(format!("{}/metrics", app.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let failures = metrics
            .lines()
            .find(|l| l.starts_with("fusion_background_item_failures_total{loop=\"rating\"}"))
            .and_then(|l| l.split_whitespace().last())
            .and_then(|n| n.parse::<f64>().ok())
            .unwrap_or(0.0);
        let b = delivered(&app, b_id, "sub-b").await;
        if failures >= 2.0 && b == vec![5.0] {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "failures {failures}, B delivered {b:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = app
        .client
        .get(format!("{}/ready", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let rating = &body["background"]["rating"];
    assert_eq!(rating["running"], true, "{body}");
    assert_eq!(rating["last_outcome"], "ok", "the cycle goes on: {body}");
    assert_eq!(rating["failed_items"], 1, "{body}");
}

async fn partner(app: &TestApp, id: i64) -> Value {
    app.sim()
        .read(
            "res.partner",
            &[id],
            &["name", "email", "vat", "street", "zip", "ref"],
        )
        .unwrap()[0]
        .clone()
}

async fn shared_partner_changes_only_through_its_owner(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let (s, a) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(
                json!({"customer": {"external_id": "acme", "name": "Acme Inc",
            "email": "billing@acme.ca", "tax_identification_number": "CA123",
            "address_line1": "1 King St W", "country": "CA"}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{a}");
    let d_key = app.add_service("dating").await;
    // App D signs up the same client (e-mail in upper case) under another name: linked to
    // A's partner, which keeps A's values; D's empty-field fill (zip) is written.
    let (s, d) = app
        .call_as(
            &d_key,
            "POST",
            "/api/v1/customers",
            Some(json!({"customer": {"external_id": "d-1", "name": "Mallory",
            "email": "BILLING@ACME.CA", "zipcode": "M5H 1A1"}})),
        )
        .await;
    assert_eq!(s, 200, "{d}");
    let a_row = app
        .store
        .customers()
        .customer_by_external(app.service_id, "acme")
        .await
        .unwrap()
        .unwrap();
    let p = partner(&app, a_row.partner_id).await;
    assert_eq!(p["name"], "Acme Inc", "{p}");
    assert_eq!(p["zip"], "M5H 1A1", "{p}");
    assert_eq!(
        d["customer"]["name"], "Acme Inc",
        "D sees what Odoo holds: {d}"
    );
    // D's later attempt to change A's data is refused, nothing is written.
    let (s, b) = app
        .call_as(
            &d_key,
            "POST",
            "/api/v1/customers",
            Some(
                json!({"customer": {"external_id": "d-1", "name": "Mallory Ltd",
            "tax_identification_number": "XX999", "address_line1": "666 Evil Rd"}}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error_details"],
        json!({"name": ["value_owned_by_another_app"],
               "tax_identification_number": ["value_owned_by_another_app"],
               "address_line1": ["value_owned_by_another_app"]})
    );
    let after = partner(&app, a_row.partner_id).await;
    assert_eq!(
        (&after["name"], &after["vat"], &after["street"]),
        (&json!("Acme Inc"), &json!("CA123"), &json!("1 King St W")),
        "{after}"
    );
    // Re-sending what D sent before is not a change: accepted, nothing written.
    let (s, b) = app
        .call_as(
            &d_key,
            "POST",
            "/api/v1/customers",
            Some(json!({"customer": {"external_id": "d-1", "name": "Mallory",
            "email": "BILLING@ACME.CA"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, g) = app
        .call_as(&d_key, "GET", "/api/v1/customers/d-1", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        (
            &g["customer"]["name"],
            &g["customer"]["tax_identification_number"]
        ),
        (&json!("Acme Inc"), &json!("CA123"))
    );
    // The owner still changes its partner.
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(json!({"customer": {"external_id": "acme", "address_line1": "2 Bay St"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(partner(&app, a_row.partner_id).await["street"], "2 Bay St");
    let (_, g) = app
        .call_as(&d_key, "GET", "/api/v1/customers?external_id=d-1", None)
        .await;
    assert_eq!(g["customers"][0]["address_line1"], "2 Bay St", "{g}");
}

async fn one_off_fee_beyond_cents_is_refused_before_odoo(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(json!({"customer": {"external_id": "big", "name": "Big", "currency": "CAD"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/invoices",
            Some(
                json!({"invoice": {"external_customer_id": "big", "currency": "CAD",
            "fees": [{"add_on_code": "tokens", "unit_amount_cents": 100, "units": "1e20"}]}}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert!(
        b["error_details"]["units"].is_array(),
        "the field is named: {b}"
    );
    assert!(
        app.sim()
            .search("account.move", json!([["move_type", "=", "out_invoice"]]))
            .unwrap()
            .is_empty(),
        "nothing posted in Odoo"
    );
}

async fn odoo_recreated_empty_is_rechecked(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let plan = |code: &str| {
        json!({"plan": {"name": code, "code": code, "interval": "monthly",
            "amount_cents": 1000, "amount_currency": "CAD"}})
    };
    let (s, b) = app.call("POST", "/api/v1/plans", Some(plan("one"))).await;
    assert_eq!(s, 200, "{b}");
    // Odoo comes back empty (restored from an older backup) while the gateway runs.
    {
        let state = app.sim().state();
        let mut sim = state.lock().unwrap();
        *sim = fusion_billing::odoo_sim::build(
            &fusion_billing::odoo_sim::SimOptions::default(),
            &app.sim().base_url(),
        );
    }
    // The first attempt may find the field gone (503, retryable); the gateway checks again
    // and the retry creates the plan — no restart needed.
    let (s, b) = app.call("POST", "/api/v1/plans", Some(plan("two"))).await;
    if s != 200 {
        assert_eq!((s, &b["code"]), (503, &json!("odoo_unavailable")), "{b}");
        let (s, b) = app.call("POST", "/api/v1/plans", Some(plan("two"))).await;
        assert_eq!(s, 200, "{b}");
    }
    assert_eq!(
        app.sim()
            .search("ir.model.fields", json!([["name", "=", "x_fc_plan_code"]]))
            .unwrap()
            .len(),
        2,
        "the field exists again on product.template and sale.order"
    );
}

async fn charge_options_that_are_not_priced_are_refused(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let (s, m) = app
        .call("POST", "/api/v1/billable_metrics", Some(json!({"billable_metric": {
            "name": "Tokens", "code": "tokens", "aggregation_type": "sum_agg", "field_name": "n"}})))
        .await;
    assert_eq!(s, 200, "{m}");
    // Filters priced per model, a minimum and pay-in-advance: none of it is applied by the
    // rating, so none of it may be stored and silently billed at the default price.
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/plans",
            Some(json!({"plan": {"name": "LLM", "code": "llm",
            "interval": "monthly", "amount_cents": 0, "amount_currency": "CAD", "charges": [
            {"billable_metric_id": m["billable_metric"]["lago_id"], "charge_model": "standard",
             "properties": {"amount": "0.001"}, "min_amount_cents": 500, "pay_in_advance": true,
             "filters": [{"invoice_display_name": "GPT", "properties": {"amount": "0.01"},
                          "values": {"model": ["gpt"]}}]}]}})),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    for field in ["filters", "min_amount_cents", "pay_in_advance"] {
        assert_eq!(b["error_details"][field], json!(["not_supported"]), "{b}");
    }
    let (s, _) = app.call("GET", "/api/v1/plans/llm", None).await;
    assert_eq!(s, 404, "nothing stored");
    assert!(
        app.sim()
            .search(
                "product.template",
                json!([["default_code", "like", "FC-app-llm"]])
            )
            .unwrap()
            .is_empty(),
        "nothing created in Odoo"
    );
}
