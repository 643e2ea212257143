//! Inputs are bounded (`fusion_billing::limits`): numbers out of range, over-long strings,
//! oversized metadata and wrongly typed fields are 422s naming the field; oversized request
//! heads get Lago's JSON body; query-string values never reach the request logs.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{fresh_store_url, Backend, ServerProcess, TestApp};

both_backends!(
    numbers_out_of_range_are_refused,
    strings_metadata_and_types_are_bounded,
    oversized_request_heads_answer_lago_json
);

fn details(body: &Value) -> &Value {
    assert_eq!(body["code"], "validation_errors", "{body}");
    assert_eq!(body["status"], 422, "{body}");
    &body["error_details"]
}

async fn metric(app: &TestApp) -> Value {
    let (s, m) = app
        .call(
            "POST",
            "/api/v1/billable_metrics",
            Some(json!({"billable_metric": {"name": "Calls", "code": "calls",
                "aggregation_type": "sum_agg", "field_name": "v"}})),
        )
        .await;
    assert_eq!(s, 200, "{m}");
    m["billable_metric"]["lago_id"].clone()
}

fn plan(code: &str, metric_id: &Value, model: &str, properties: Value) -> Value {
    json!({"plan": {"name": code, "code": code, "interval": "monthly", "amount_cents": 100,
        "amount_currency": "CAD", "charges": [{"billable_metric_id": metric_id,
        "charge_model": model, "properties": properties}]}})
}

async fn numbers_out_of_range_are_refused(b: Backend) {
    let app = TestApp::spawn_with_odoo(b).await;
    let metric_id = metric(&app).await;

    // Charge properties: package_size 2^63−1, an amount of 1e-28, Decimal's maximum.
    let cases = [
        (
            "package",
            json!({"amount": "1", "package_size": 9_223_372_036_854_775_807_i64, "free_units": 0}),
            "package_size",
        ),
        ("standard", json!({"amount": "1e-28"}), "amount"),
        (
            "standard",
            json!({"amount": "79228162514264337593543950335"}),
            "amount",
        ),
        ("standard", json!({"amount": "1e40"}), "amount"),
        ("percentage", json!({"rate": "100000"}), "rate"),
        (
            "graduated",
            json!({"graduated_ranges": [
                {"from_value": 0, "to_value": 9_000_000_000_000_000_000_u64, "per_unit_amount": "1", "flat_amount": "0"},
                {"from_value": 9_000_000_000_000_000_001_u64, "to_value": null, "per_unit_amount": "1", "flat_amount": "0"}]}),
            "graduated_ranges",
        ),
    ];
    for (i, (model, props, field)) in cases.into_iter().enumerate() {
        let (s, body) = app
            .call(
                "POST",
                "/api/v1/plans",
                Some(plan(&format!("p{i}"), &metric_id, model, props)),
            )
            .await;
        assert_eq!(s, 422, "{model} {body}");
        assert_eq!(
            details(&body)[field],
            json!(["value_is_out_of_range"]),
            "{body}"
        );
    }
    // Plan amount_cents beyond the bound.
    let mut p = plan("big", &metric_id, "standard", json!({"amount": "1"}));
    p["plan"]["amount_cents"] = json!(9_000_000_000_000_000_000_i64);
    let (s, body) = app.call("POST", "/api/v1/plans", Some(p)).await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        details(&body)["amount_cents"],
        json!(["value_is_out_of_range"])
    );
    // Values within the bounds still pass.
    let ok = plan(
        "ok",
        &metric_id,
        "package",
        json!({"amount": "0.000000000001", "package_size": 1_000_000_000_000_000_u64, "free_units": 0}),
    );
    let (s, body) = app.call("POST", "/api/v1/plans", Some(ok)).await;
    assert_eq!(s, 200, "{body}");

    // A usage counter at Decimal's maximum.
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/usage",
            Some(
                json!({"usage": [{"external_subscription_id": "s1", "code": "calls",
                "period_start": "2026-11-01T00:00:00Z", "period_end": "2026-11-02T00:00:00Z",
                "quantity": "79228162514264337593543950335", "idempotency_key": "k1"}]}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        details(&body)["0"]["quantity"],
        json!(["value_is_out_of_range"])
    );
    // A numeric text is an id as often as a quantity (a snowflake for unique_count_agg):
    // accepted; a metric summing it is checked where it sums (tests/api/money_safety.rs).
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(
                json!({"event": {"transaction_id": "t-id", "external_subscription_id": "s1",
                "code": "calls", "properties": {"user_id": "1234567890123456789012"}}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    // An event whose property an aggregation would sum is beyond the bound.
    for v in [json!(1e20), json!(-2e15)] {
        let (s, body) = app
            .call(
                "POST",
                "/api/v1/events",
                Some(
                    json!({"event": {"transaction_id": "t1", "external_subscription_id": "s1",
                    "code": "calls", "properties": {"v": v}}}),
                ),
            )
            .await;
        assert_eq!(s, 422, "{body}");
        assert_eq!(
            details(&body)["properties"],
            json!(["value_is_out_of_range"])
        );
    }

    // A timestamp that overflows once scaled to microseconds (was a 500).
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(
                json!({"event": {"transaction_id": "t2", "external_subscription_id": "s1",
                "code": "calls", "timestamp": 143030884259980115968000_f64}}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(details(&body)["timestamp"], json!(["invalid_format"]));
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/usage",
            Some(
                json!({"usage": [{"external_subscription_id": "s1", "code": "calls",
                "period_start": 143030884259980115968000_f64, "period_end": "2026-11-02T00:00:00Z",
                "quantity": "1", "idempotency_key": "k2"}]}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(details(&body)["0"]["period_start"], json!(["invalid_date"]));

    // A one-off invoice of 1e20 units is refused before anything reaches Odoo.
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(json!({"customer": {"external_id": "c1", "name": "C", "currency": "CAD"}})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let moves_before = app.sim().search("account.move", json!([])).unwrap().len();
    for (units, cents, field) in [
        (json!("100000000000000000000"), json!(100), "units"),
        (json!("1000000000000"), json!(1_000_000), "fees"),
        (
            json!("1"),
            json!(9_000_000_000_000_000_000_i64),
            "unit_amount_cents",
        ),
    ] {
        let (s, body) = app
            .call(
                "POST",
                "/api/v1/invoices",
                Some(json!({"invoice": {"external_customer_id": "c1", "currency": "CAD",
                    "fees": [{"add_on_code": "setup", "units": units, "unit_amount_cents": cents}]}})),
            )
            .await;
        assert_eq!(s, 422, "{body}");
        assert_eq!(
            details(&body)[field],
            json!(["value_is_out_of_range"]),
            "{body}"
        );
    }
    assert_eq!(
        app.sim().search("account.move", json!([])).unwrap().len(),
        moves_before
    );

    // Credit note amounts beyond the bound.
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/credit_notes",
            Some(json!({"credit_note": {"invoice_id": "x", "reason": "other",
                "items": [{"fee_id": "f", "amount_cents": 9_000_000_000_000_000_000_i64}]}})),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        details(&body)["amount_cents"],
        json!(["value_is_out_of_range"])
    );
}

async fn strings_metadata_and_types_are_bounded(b: Backend) {
    let app = TestApp::spawn_with_odoo(b).await;
    let partners_before = app.sim().search("res.partner", json!([])).unwrap().len();
    let mega = "x".repeat(1024 * 1024);
    let cases = [
        (
            json!({"external_id": "c1", "name": mega}),
            "name",
            "value_is_too_long",
        ),
        (
            json!({"external_id": "c".repeat(256), "name": "n"}),
            "external_id",
            "value_is_too_long",
        ),
        (
            json!({"external_id": "c1", "metadata": [{"key": "k", "value": mega}]}),
            "metadata",
            "value_too_long",
        ),
        (
            json!({"external_id": "c1", "metadata": (0..6).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect::<Vec<_>>()}),
            "metadata",
            "too_many_keys",
        ),
        (
            json!({"external_id": "c1", "metadata": [{"key": "k", "value": {"nested": 1}}]}),
            "metadata",
            "nested_structure_not_allowed",
        ),
        (
            json!({"external_id": "c1", "metadata": "a string"}),
            "metadata",
            "value_is_invalid",
        ),
        (
            json!({"external_id": "c1", "shipping_address": {"city": {"a": 1}}}),
            "shipping_address",
            "nested_structure_not_allowed",
        ),
        (
            json!({"external_id": "c1", "email": {"a": "b"}}),
            "email",
            "value_is_invalid",
        ),
        (
            json!({"external_id": "c1", "shipping_address": {"zipcode": false}}),
            "shipping_address.zipcode",
            "value_is_invalid",
        ),
        (
            json!({"external_id": "c1", "billing_configuration": {"payment_provider": "paypal"}}),
            "billing_configuration.payment_provider",
            "value_is_invalid",
        ),
        (
            json!({"external_id": "c1", "country": "ZZ"}),
            "country",
            "country_code_invalid",
        ),
        (
            json!({"external_id": "c1", "timezone": "-58800"}),
            "timezone",
            "value_is_invalid",
        ),
        (
            json!({"external_id": "c1", "shipping_address": {"country": "AAA", "zipcode": false}}),
            "shipping_address.country",
            "value_is_invalid",
        ),
        (
            json!({"external_id": "c1", "metadata": [{"key": "k", "value": null}]}),
            "metadata",
            "invalid_key_value_pair",
        ),
    ];
    for (customer, field, code) in cases {
        let (s, body) = app
            .call(
                "POST",
                "/api/v1/customers",
                Some(json!({ "customer": customer })),
            )
            .await;
        assert_eq!(
            s,
            422,
            "{field}: {}",
            &body.to_string()[..body.to_string().len().min(300)]
        );
        assert_eq!(details(&body)[field], json!([code]), "{field}");
    }
    assert_eq!(
        app.sim().search("res.partner", json!([])).unwrap().len(),
        partners_before
    );

    // An object where a string id is expected, a name too long, a description object.
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/subscriptions",
            Some(
                json!({"subscription": {"external_customer_id": {"id": "c1"},
                "plan_code": "p", "external_id": "s1"}}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        details(&body)["external_customer_id"],
        json!(["value_is_invalid"])
    );
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/plans",
            Some(
                json!({"plan": {"name": "P", "code": "p", "interval": "monthly",
                "amount_cents": 0, "amount_currency": "CAD", "description": {"a": 1}}}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(details(&body)["description"], json!(["value_is_invalid"]));
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/billable_metrics",
            Some(
                json!({"billable_metric": {"name": "n".repeat(300), "code": "c",
                "aggregation_type": "count_agg"}}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(details(&body)["name"], json!(["value_is_too_long"]));
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(json!({"event": {"transaction_id": "t".repeat(256),
                "external_subscription_id": "s1", "code": "calls"}})),
        )
        .await;
    assert_eq!(s, 422, "{body}");
    assert_eq!(
        details(&body)["transaction_id"],
        json!(["value_is_too_long"])
    );
}

/// Sends `head` on a raw TCP connection and returns (status, JSON body).
fn raw_request(address: &str, head: &[u8]) -> (u16, Value) {
    let addr = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The server may answer (and stop reading) before the whole head is written.
    let _ = stream.write_all(head);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let status: u16 = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let (headers, body) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        headers
            .to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{headers}"
    );
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|_| panic!("{body:?}")),
    )
}

async fn oversized_request_heads_answer_lago_json(b: Backend) {
    let app = TestApp::spawn(b).await;
    let address = app.address.clone();
    let key = app.api_key.clone();
    let long = "a".repeat(100 * 1024);
    let path_head = format!("GET /api/v1/customers/{long} HTTP/1.1\r\nHost: x\r\n\r\n");
    let query_head =
        format!("GET /api/v1/customers?external_id={long} HTTP/1.1\r\nHost: x\r\n\r\n");
    let header_head = format!(
        "GET /api/v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nX-Big: {}\r\n\r\n",
        "b".repeat(40 * 1024)
    );
    let (path, query, header, bad) = tokio::task::spawn_blocking(move || {
        (
            raw_request(&address, path_head.as_bytes()),
            raw_request(&address, query_head.as_bytes()),
            raw_request(&address, header_head.as_bytes()),
            raw_request(&address, b"GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n"),
        )
    })
    .await
    .unwrap();
    let uri_too_long = json!({"status": 414, "error": "URI Too Long", "code": "uri_too_long"});
    assert_eq!(path, (414, uri_too_long.clone()));
    assert_eq!(query, (414, uri_too_long));
    assert_eq!(
        header,
        (
            431,
            json!({"status": 431, "error": "Request Header Fields Too Large",
                   "code": "request_header_fields_too_large"})
        )
    );
    assert_eq!(bad.0, 400);
    assert!(bad.1["error"].as_str().unwrap().starts_with("BadRequest: "));
    // Ordinary requests still work on the same server.
    let (s, _) = app.call("GET", "/api/v1/customers", None).await;
    assert_eq!(s, 200);
}

/// A failing request's query string reaches the logs with its values redacted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_string_secrets_are_not_logged() {
    let (url, _dir) = fresh_store_url(Backend::Sqlite).await;
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let server = ServerProcess::start_with(&url, &["--odoo-sim"], move |l| {
        sink.lock().unwrap().push(l.to_string());
    });
    let client = reqwest::Client::new();
    for path in [
        "/api/v1/customers?token=s3cr3t-t0ken&page=2",
        "/api/v1/nowhere?api_key=s3cr3t-t0ken",
    ] {
        let resp = client
            .get(format!("{}{path}", server.address))
            .bearer_auth("not-a-key")
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_client_error());
    }
    // Wait for the request logs.
    let mut seen = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let logged = lines.lock().unwrap().join("\n");
        if logged.contains("/api/v1/nowhere") {
            seen = true;
            break;
        }
    }
    let logged = lines.lock().unwrap().join("\n");
    assert!(seen, "no request log line: {logged}");
    assert!(!logged.contains("s3cr3t-t0ken"), "{logged}");
    assert!(logged.contains("token=[redacted]"), "{logged}");
}
