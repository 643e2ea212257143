//! Customers, plans, subscriptions and current usage against the Odoo simulator: the Lago
//! shapes, the Odoo records behind them (read back over the simulator), tenancy and Odoo
//! outages. Expected amounts are computed by hand in the comments.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(
    customer_upsert_writes_the_partner,
    apps_share_a_partner_by_email_but_not_customers,
    subscription_lifecycle_on_odoo,
    current_usage_prices_every_charge_model,
    plan_changes_upgrade_now_and_downgrade_later,
    other_apps_get_404_everywhere,
    odoo_down_answers_503_and_retry_is_safe,
);

/// Reads one record of the simulator as JSON.
fn read(app: &TestApp, model: &str, id: i64, fields: &[&str]) -> Value {
    app.sim().read(model, &[id], fields).expect("sim read")[0].clone()
}

async fn customer_row_partner(app: &TestApp, external_id: &str) -> i64 {
    app.store
        .customers()
        .customer_by_external(app.service_id, external_id)
        .await
        .unwrap()
        .expect("customer row")
        .partner_id
}

async fn customer_upsert_writes_the_partner(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(json!({"customer": {
                "external_id": "cust-1", "name": "Maple Hosting Inc.", "email": "Billing@Maple.ca",
                "country": "CA", "city": "Toronto", "zipcode": "M5V 2T6",
                "address_line1": "1 King St W", "tax_identification_number": "123456789RT0001",
                "currency": "CAD", "customer_type": "company",
                "billing_configuration": {"document_locale": "fr"}
            }})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let c = &b["customer"];
    for k in [
        "lago_id",
        "external_id",
        "created_at",
        "updated_at",
        "applicable_timezone",
    ] {
        assert!(!c[k].is_null(), "{k} must be set: {c}");
    }
    assert_eq!(c["applicable_timezone"], "UTC");
    assert_eq!(c["country"], "CA");
    assert_eq!(c["taxes"], json!([]));
    let pid = customer_row_partner(&app, "cust-1").await;
    let p = read(
        &app,
        "res.partner",
        pid,
        &[
            "name",
            "email",
            "city",
            "zip",
            "vat",
            "street",
            "country_id",
            "is_company",
            "lang",
            "ref",
        ],
    );
    assert_eq!(p["name"], "Maple Hosting Inc.");
    assert_eq!(p["email"], "Billing@Maple.ca");
    assert_eq!(p["city"], "Toronto");
    assert_eq!(p["zip"], "M5V 2T6");
    assert_eq!(p["street"], "1 King St W");
    assert_eq!(p["vat"], "123456789RT0001");
    assert_eq!(p["is_company"], true);
    assert_eq!(p["lang"], "fr_CA");
    assert_eq!(p["country_id"][1], "Canada");
    assert_eq!(p["ref"], "fusion:app:cust-1");

    // A later upsert changes only what it sends, on the same partner.
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(json!({"customer": {"external_id": "cust-1", "city": "Ottawa"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["customer"]["lago_id"], c["lago_id"]);
    assert_eq!(b["customer"]["name"], "Maple Hosting Inc.");
    assert_eq!(customer_row_partner(&app, "cust-1").await, pid);
    let p = read(&app, "res.partner", pid, &["city", "name"]);
    assert_eq!(p["city"], "Ottawa");
    assert_eq!(p["name"], "Maple Hosting Inc.");

    let (s, b) = app.call("GET", "/api/v1/customers/cust-1", None).await;
    assert_eq!((s, b["customer"]["city"].clone()), (200, json!("Ottawa")));
    let (s, b) = app.call("GET", "/api/v1/customers?per_page=10", None).await;
    assert_eq!(s, 200);
    assert_eq!(b["customers"].as_array().unwrap().len(), 1);
    assert_eq!(b["meta"]["total_count"], 1);

    let (s, b) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(json!({"customer": {"name": "no id", "country": "Canada", "email": "x"}})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        b["error_details"]["external_id"],
        json!(["value_is_mandatory"])
    );
    assert_eq!(
        b["error_details"]["country"],
        json!(["country_code_invalid"])
    );
    assert_eq!(b["error_details"]["email"], json!(["invalid_email_format"]));

    let (s, b) = app.call("DELETE", "/api/v1/customers/cust-1", None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["customer"]["external_id"], "cust-1");
    let (s, b) = app.call("GET", "/api/v1/customers/cust-1", None).await;
    assert_eq!((s, b["code"].clone()), (404, json!("customer_not_found")));
    // The partner stays: it is the accounting record.
    assert_eq!(
        read(&app, "res.partner", pid, &["name"])["name"],
        "Maple Hosting Inc."
    );
}

async fn apps_share_a_partner_by_email_but_not_customers(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let chat = app.add_service("chat").await;
    let (s, a) = app
        .call("POST", "/api/v1/customers", Some(json!({"customer": {"external_id": "u-1", "name": "Jane Roe", "email": "jane@example.ca"}})))
        .await;
    assert_eq!(s, 200, "{a}");
    let (s, b) = app
        .call_as(&chat, "POST", "/api/v1/customers", Some(json!({"customer": {"external_id": "chat-9", "name": "J. Roe", "email": "JANE@EXAMPLE.CA", "city": "Halifax"}})))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_ne!(a["customer"]["lago_id"], b["customer"]["lago_id"]);
    let ids = app
        .sim()
        .search(
            "res.partner",
            json!([["email", "=ilike", "jane@example.ca"]]),
        )
        .unwrap();
    assert_eq!(ids.len(), 1, "one res.partner for the real client");
    // The second app filled the empty city, but did not rename the partner.
    let p = read(&app, "res.partner", ids[0], &["name", "city"]);
    assert_eq!(
        (p["name"].clone(), p["city"].clone()),
        (json!("Jane Roe"), json!("Halifax"))
    );
    // Neither app sees the other's customer.
    let (s, _) = app
        .call_as(&chat, "GET", "/api/v1/customers/u-1", None)
        .await;
    assert_eq!(s, 404);
    let (s, _) = app.call("GET", "/api/v1/customers/chat-9", None).await;
    assert_eq!(s, 404);
    let (_, l) = app.call_as(&chat, "GET", "/api/v1/customers", None).await;
    assert_eq!(l["meta"]["total_count"], 1);
    assert_eq!(l["customers"][0]["external_id"], "chat-9");
    // Same VAT matches before email.
    let (_, v1) = app
        .call("POST", "/api/v1/customers", Some(json!({"customer": {"external_id": "org-1", "name": "Org", "tax_identification_number": "999"}})))
        .await;
    let (_, v2) = app
        .call_as(&chat, "POST", "/api/v1/customers", Some(json!({"customer": {"external_id": "org-x", "name": "Org Ltd", "email": "jane@example.ca", "tax_identification_number": "999"}})))
        .await;
    let p1 = customer_row_partner(&app, "org-1").await;
    let chat_id = app
        .store
        .services()
        .service_for_key(&chat)
        .await
        .unwrap()
        .unwrap()
        .id;
    let p2 = app
        .store
        .customers()
        .customer_by_external(chat_id, "org-x")
        .await
        .unwrap()
        .unwrap()
        .partner_id;
    assert_eq!(p1, p2, "{v1} {v2}");
}

/// Creates the metrics and a plan with every charge model; returns the plan JSON.
async fn every_model_plan(app: &TestApp) -> Value {
    let metric = |code: &str, agg: &str, field: Option<&str>| json!({"billable_metric": {"name": code.replace('_', " "), "code": code, "aggregation_type": agg, "field_name": field}});
    let mut ids = std::collections::HashMap::new();
    for (code, agg, field) in [
        ("api_calls", "count_agg", None),
        ("storage_gb", "sum_agg", Some("gb")),
        ("messages", "sum_agg", Some("count")),
        ("seats", "max_agg", Some("n")),
        ("payments", "sum_agg", Some("amount")),
    ] {
        let (s, b) = app
            .call(
                "POST",
                "/api/v1/billable_metrics",
                Some(metric(code, agg, field)),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        ids.insert(
            code,
            b["billable_metric"]["lago_id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/plans",
            Some(json!({"plan": {
                "name": "Pro", "code": "pro", "interval": "monthly", "amount_cents": 4900,
                "amount_currency": "CAD", "pay_in_advance": true,
                "charges": [
                    {"billable_metric_id": ids["api_calls"], "charge_model": "standard",
                     "properties": {"amount": "0.05", "included_units": "2"}},
                    {"billable_metric_id": ids["storage_gb"], "charge_model": "package",
                     "properties": {"amount": "10", "package_size": 100, "free_units": 0}},
                    {"billable_metric_id": ids["messages"], "charge_model": "graduated",
                     "properties": {"graduated_ranges": [
                        {"from_value": 0, "to_value": 100, "per_unit_amount": "0.01", "flat_amount": "0"},
                        {"from_value": 101, "to_value": null, "per_unit_amount": "0.005", "flat_amount": "1"}]}},
                    {"billable_metric_id": ids["seats"], "charge_model": "volume",
                     "properties": {"volume_ranges": [
                        {"from_value": 0, "to_value": 10, "per_unit_amount": "5", "flat_amount": "0"},
                        {"from_value": 11, "to_value": null, "per_unit_amount": "4", "flat_amount": "10"}]}},
                    {"billable_metric_id": ids["payments"], "charge_model": "percentage",
                     "properties": {"rate": "2.5", "fixed_amount": "0.30"}}
                ]
            }})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["plan"].clone()
}

async fn subscribe(
    app: &TestApp,
    key: &str,
    customer: &str,
    sub: &str,
    plan: &str,
) -> (u16, Value) {
    app.call_as(
        key,
        "POST",
        "/api/v1/subscriptions",
        Some(json!({"subscription": {"external_customer_id": customer, "plan_code": plan, "external_id": sub}})),
    )
    .await
}

async fn subscription_lifecycle_on_odoo(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let plan = every_model_plan(&app).await;
    assert_eq!(plan["charges"].as_array().unwrap().len(), 5);
    assert_eq!(plan["amount_cents"], 4900);
    // Odoo side of the plan: base product at 49.00, five usage products, plan code on all.
    let row = app
        .store
        .plans()
        .plan_by_code(app.service_id, "pro")
        .await
        .unwrap()
        .unwrap();
    let base = read(
        &app,
        "product.product",
        row.odoo_product_id,
        &[
            "list_price",
            "invoice_policy",
            "recurring_invoice",
            "default_code",
            "product_tmpl_id",
        ],
    );
    assert_eq!(base["list_price"].as_f64(), Some(49.0));
    assert_eq!(base["invoice_policy"], "order");
    assert_eq!(base["recurring_invoice"], true);
    assert_eq!(base["default_code"], "FC-app-pro");
    let tmpl = base["product_tmpl_id"][0].as_i64().unwrap();
    assert_eq!(
        read(&app, "product.template", tmpl, &["x_fc_plan_code"])["x_fc_plan_code"],
        "pro"
    );
    let usage = app
        .sim()
        .search(
            "product.product",
            json!([["default_code", "=like", "FC-app-pro-%"]]),
        )
        .unwrap();
    assert_eq!(usage.len(), 5);
    for id in &usage {
        assert_eq!(
            read(&app, "product.product", *id, &["invoice_policy"])["invoice_policy"],
            "delivery"
        );
    }

    // A subscription for an unknown customer creates the customer, as Lago does.
    let (s, b) = subscribe(&app, &app.api_key, "acme", "sub-1", "pro").await;
    assert_eq!(s, 200, "{b}");
    let sub = &b["subscription"];
    assert_eq!(sub["status"], "active");
    assert_eq!(sub["plan_code"], "pro");
    assert_eq!(sub["external_customer_id"], "acme");
    assert!(
        sub["current_billing_period_started_at"].is_string(),
        "{sub}"
    );
    let (s, c) = app.call("GET", "/api/v1/customers/acme", None).await;
    assert_eq!((s, c["customer"]["currency"].clone()), (200, json!("CAD")));

    let srow = app
        .store
        .subscriptions()
        .live_subscription(app.service_id, "sub-1")
        .await
        .unwrap()
        .unwrap();
    let so = srow.sale_order_id.unwrap();
    let order = read(
        &app,
        "sale.order",
        so,
        &[
            "state",
            "subscription_state",
            "is_subscription",
            "plan_id",
            "partner_id",
            "x_fc_plan_code",
            "order_line",
            "client_order_ref",
        ],
    );
    assert_eq!(order["state"], "sale");
    assert_eq!(order["subscription_state"], "3_progress");
    assert_eq!(order["is_subscription"], true);
    assert_eq!(order["x_fc_plan_code"], "pro");
    assert_eq!(order["client_order_ref"], "sub-1");
    assert_eq!(order["plan_id"][0].as_i64(), Some(row.odoo_plan_id));
    assert_eq!(
        order["partner_id"][0].as_i64(),
        Some(customer_row_partner(&app, "acme").await)
    );
    assert_eq!(
        order["order_line"].as_array().unwrap().len(),
        6,
        "base fee + one line per charge"
    );

    // Same plan again: the same subscription.
    let (s, again) = subscribe(&app, &app.api_key, "acme", "sub-1", "pro").await;
    assert_eq!(
        (s, again["subscription"]["lago_id"].clone()),
        (200, sub["lago_id"].clone())
    );
    // Same external_id under another customer: refused.
    let (s, e) = subscribe(&app, &app.api_key, "other", "sub-1", "pro").await;
    assert_eq!(
        (s, e["error_details"]["external_id"].clone()),
        (422, json!(["value_already_exist"]))
    );
    let (s, e) = subscribe(&app, &app.api_key, "acme", "sub-2", "nope").await;
    assert_eq!((s, e["code"].clone()), (404, json!("plan_not_found")));

    let (s, l) = app
        .call(
            "GET",
            "/api/v1/subscriptions?external_customer_id=acme",
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(l["meta"]["total_count"], 1);
    let (_, l) = app
        .call(
            "GET",
            "/api/v1/subscriptions?plan_code=pro&status[]=terminated",
            None,
        )
        .await;
    assert_eq!(l["meta"]["total_count"], 0);

    let (s, u) = app
        .call(
            "PUT",
            "/api/v1/subscriptions/sub-1",
            Some(json!({"subscription": {"name": "Main site"}})),
        )
        .await;
    assert_eq!(
        (s, u["subscription"]["name"].clone()),
        (200, json!("Main site"))
    );

    let (s, t) = app
        .call("DELETE", "/api/v1/subscriptions/sub-1", None)
        .await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["subscription"]["status"], "terminated");
    assert!(t["subscription"]["terminated_at"].is_string());
    assert_eq!(
        read(&app, "sale.order", so, &["subscription_state"])["subscription_state"],
        "6_churn"
    );
    let (s, g) = app
        .call("GET", "/api/v1/subscriptions/sub-1?status=terminated", None)
        .await;
    assert_eq!(
        (s, g["subscription"]["status"].clone()),
        (200, json!("terminated"))
    );
    let (s, _) = app.call("GET", "/api/v1/subscriptions/sub-1", None).await;
    assert_eq!(s, 404);
    let (s, _) = app
        .call("DELETE", "/api/v1/subscriptions/sub-1", None)
        .await;
    assert_eq!(s, 404);
}

async fn send_events(app: &TestApp, sub: &str, events: Vec<(&str, Value)>) {
    let now = chrono::Utc::now().timestamp();
    let body: Vec<Value> = events
        .into_iter()
        .enumerate()
        .map(|(i, (code, props))| {
            json!({"transaction_id": format!("{sub}-{i}"), "external_subscription_id": sub,
                   "code": code, "timestamp": now - 60, "properties": props})
        })
        .collect();
    for chunk in body.chunks(100) {
        let (s, b) = app
            .call(
                "POST",
                "/api/v1/events/batch",
                Some(json!({"events": chunk})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
}

async fn current_usage_prices_every_charge_model(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    every_model_plan(&app).await;
    let (s, b) = subscribe(&app, &app.api_key, "acme", "sub-u", "pro").await;
    assert_eq!(s, 200, "{b}");
    let mut events: Vec<(&str, Value)> = Vec::new();
    for _ in 0..5 {
        events.push(("api_calls", json!({})));
    }
    events.push(("storage_gb", json!({"gb": 200})));
    events.push(("storage_gb", json!({"gb": "50"})));
    events.push(("messages", json!({"count": 1000})));
    events.push(("seats", json!({"n": 7})));
    events.push(("seats", json!({"n": 12})));
    events.push(("payments", json!({"amount": 100})));
    events.push(("payments", json!({"amount": 40})));
    // Another subscription's usage never counts here.
    events.push(("api_calls", json!({})));
    send_events(&app, "sub-u", events[..events.len() - 1].to_vec()).await;
    send_events(&app, "sub-other", events[events.len() - 1..].to_vec()).await;

    let (s, b) = app
        .call(
            "GET",
            "/api/v1/customers/acme/current_usage?external_subscription_id=sub-u",
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let u = &b["customer_usage"];
    let by_code = |code: &str| -> Value {
        u["charges_usage"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["billable_metric"]["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no {code} in {u}"))
    };
    // standard: 5 calls, 2 included, 3 × 0.05 = 0.15
    assert_eq!(by_code("api_calls")["amount_cents"], 15);
    assert_eq!(by_code("api_calls")["units"], "5");
    assert_eq!(by_code("api_calls")["events_count"], 5);
    // package: 250 GB → ceil(250 / 100) = 3 packages × 10.00 = 30.00
    assert_eq!(by_code("storage_gb")["amount_cents"], 3000);
    assert_eq!(by_code("storage_gb")["units"], "250");
    // graduated: 100 × 0.01 + 900 × 0.005 + flat 1 = 1.00 + 4.50 + 1.00 = 6.50
    assert_eq!(by_code("messages")["amount_cents"], 650);
    // volume: max 12 seats → all 12 in the second range: 12 × 4 + 10 = 58.00
    assert_eq!(by_code("seats")["amount_cents"], 5800);
    assert_eq!(by_code("seats")["units"], "12");
    // percentage: 140 × 2.5 % + 2 × 0.30 = 3.50 + 0.60 = 4.10
    assert_eq!(by_code("payments")["amount_cents"], 410);
    assert_eq!(u["amount_cents"], 15 + 3000 + 650 + 5800 + 410);
    assert_eq!(u["currency"], "CAD");
    // 13 % HST on each charge (Odoo's default sale tax on the products), rounded per charge:
    // 1.95 → 2, 390, 84.5 → 85, 754, 53.3 → 53
    assert_eq!(u["taxes_amount_cents"], 2 + 390 + 85 + 754 + 53);
    assert_eq!(u["total_amount_cents"], 9875 + 1284);
    for c in u["charges_usage"].as_array().unwrap() {
        assert_eq!(c["filters"], json!([]));
        assert!(c["charge"]["lago_id"].is_string());
    }
    assert!(u["from_datetime"].as_str().unwrap().ends_with("T00:00:00Z"));
    assert!(u["to_datetime"].as_str().unwrap().ends_with("T23:59:59Z"));

    // Zero usage prices to zero.
    let (_, b) = subscribe(&app, &app.api_key, "acme2", "sub-z", "pro").await;
    assert_eq!(b["subscription"]["status"], "active");
    let (s, z) = app
        .call(
            "GET",
            "/api/v1/customers/acme2/current_usage?external_subscription_id=sub-z",
            None,
        )
        .await;
    assert_eq!(s, 200, "{z}");
    assert_eq!(z["customer_usage"]["amount_cents"], 0);
    assert_eq!(
        z["customer_usage"]["charges_usage"]
            .as_array()
            .unwrap()
            .len(),
        5
    );

    // Not this customer's subscription, or no subscription: 405 no_active_subscription.
    let (s, e) = app
        .call(
            "GET",
            "/api/v1/customers/acme2/current_usage?external_subscription_id=sub-u",
            None,
        )
        .await;
    assert_eq!(
        (s, e["code"].clone()),
        (405, json!("no_active_subscription"))
    );
    let (s, e) = app
        .call(
            "GET",
            "/api/v1/customers/ghost/current_usage?external_subscription_id=sub-u",
            None,
        )
        .await;
    assert_eq!((s, e["code"].clone()), (404, json!("customer_not_found")));
}

async fn plan_changes_upgrade_now_and_downgrade_later(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    for (code, cents) in [("basic", 1000), ("pro", 5000), ("max", 9000)] {
        let (s, b) = app
            .call("POST", "/api/v1/plans", Some(json!({"plan": {"name": code, "code": code, "interval": "monthly", "amount_cents": cents, "amount_currency": "CAD"}})))
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let (_, first) = subscribe(&app, &app.api_key, "c", "s", "pro").await;
    let first_so = app
        .store
        .subscriptions()
        .live_subscription(app.service_id, "s")
        .await
        .unwrap()
        .unwrap()
        .sale_order_id
        .unwrap();
    // Upgrade: the current one ends now, a new one (new lago_id, same external_id) starts.
    let (s, up) = subscribe(&app, &app.api_key, "c", "s", "max").await;
    assert_eq!(s, 200, "{up}");
    assert_eq!(up["subscription"]["plan_code"], "max");
    assert_eq!(up["subscription"]["previous_plan_code"], "pro");
    assert_ne!(
        up["subscription"]["lago_id"],
        first["subscription"]["lago_id"]
    );
    assert_eq!(
        read(&app, "sale.order", first_so, &["subscription_state"])["subscription_state"],
        "6_churn"
    );
    // Downgrade: stays on max until the end of the period.
    let (s, down) = subscribe(&app, &app.api_key, "c", "s", "basic").await;
    assert_eq!(s, 200, "{down}");
    assert_eq!(down["subscription"]["plan_code"], "max");
    assert_eq!(down["subscription"]["next_plan_code"], "basic");
    assert!(down["subscription"]["downgrade_plan_date"].is_string());
    assert_eq!(
        down["subscription"]["lago_id"],
        up["subscription"]["lago_id"]
    );
}

async fn other_apps_get_404_everywhere(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    every_model_plan(&app).await;
    let (s, _) = subscribe(&app, &app.api_key, "acme", "sub-1", "pro").await;
    assert_eq!(s, 200);
    let other = app.add_service("maps").await;
    for (method, path, body) in [
        ("GET", "/api/v1/customers/acme", None),
        ("DELETE", "/api/v1/customers/acme", None),
        ("POST", "/api/v1/customers/acme/checkout_url", None),
        (
            "GET",
            "/api/v1/customers/acme/current_usage?external_subscription_id=sub-1",
            None,
        ),
        ("GET", "/api/v1/plans/pro", None),
        (
            "PUT",
            "/api/v1/plans/pro",
            Some(json!({"plan": {"name": "hacked"}})),
        ),
        ("DELETE", "/api/v1/plans/pro", None),
        ("GET", "/api/v1/subscriptions/sub-1", None),
        (
            "PUT",
            "/api/v1/subscriptions/sub-1",
            Some(json!({"subscription": {"name": "x"}})),
        ),
        ("DELETE", "/api/v1/subscriptions/sub-1", None),
    ] {
        let (s, b) = app.call_as(&other, method, path, body).await;
        assert_eq!(s, 404, "{method} {path}: {b}");
    }
    // Its subscription under the same external ids is its own.
    let (s, b) = subscribe(&app, &other, "acme", "sub-1", "pro").await;
    assert_eq!((s, b["code"].clone()), (404, json!("plan_not_found")));
    for path in [
        "/api/v1/customers",
        "/api/v1/plans",
        "/api/v1/subscriptions",
    ] {
        let (s, b) = app.call_as(&other, "GET", path, None).await;
        assert_eq!(
            (s, b["meta"]["total_count"].clone()),
            (200, json!(0)),
            "{path}"
        );
    }
    // Nothing changed for the owner.
    let (_, p) = app.call("GET", "/api/v1/plans/pro", None).await;
    assert_eq!(p["plan"]["name"], "Pro");
    let (_, sub) = app.call("GET", "/api/v1/subscriptions/sub-1", None).await;
    assert_eq!(sub["subscription"]["status"], "active");
    // The owner gets a checkout URL on the Odoo portal.
    let (s, c) = app
        .call("POST", "/api/v1/customers/acme/checkout_url", None)
        .await;
    assert_eq!(s, 200, "{c}");
    let url = c["customer"]["checkout_url"].as_str().unwrap();
    assert!(
        url.starts_with(&app.sim().base_url()) && url.contains("access_token="),
        "{url}"
    );
}

async fn odoo_down_answers_503_and_retry_is_safe(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let (s, _) = app
        .call("POST", "/api/v1/plans", Some(json!({"plan": {"name": "Basic", "code": "basic", "interval": "monthly", "amount_cents": 1000, "amount_currency": "CAD"}})))
        .await;
    assert_eq!(s, 200);
    app.sim().set_down(true);
    let resp = app
        .client
        .post(format!("{}/api/v1/customers", app.address))
        .bearer_auth(&app.api_key)
        .json(
            &json!({"customer": {"external_id": "c-1", "name": "Down Co", "email": "down@co.ca"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    assert!(resp.headers().get("retry-after").is_some());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], 503);
    let (s, _) = subscribe(&app, &app.api_key, "c-2", "s-2", "basic").await;
    assert_eq!(s, 503);
    // Nothing half-written: no customer is visible.
    let (_, l) = app.call("GET", "/api/v1/customers", None).await;
    assert_eq!(l["meta"]["total_count"], 0);
    app.sim().set_down(false);
    let (s, _) = app
        .call("POST", "/api/v1/customers", Some(json!({"customer": {"external_id": "c-1", "name": "Down Co", "email": "down@co.ca"}})))
        .await;
    assert_eq!(s, 200);
    let (s, b) = subscribe(&app, &app.api_key, "c-2", "s-2", "basic").await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["subscription"]["status"], "active");
    let partners = app
        .sim()
        .search("res.partner", json!([["email", "=", "down@co.ca"]]))
        .unwrap();
    assert_eq!(partners.len(), 1);
    let orders = app
        .sim()
        .search("sale.order", json!([["client_order_ref", "=", "s-2"]]))
        .unwrap();
    assert_eq!(orders.len(), 1, "one subscription in Odoo after the retry");
}
