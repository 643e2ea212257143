//! Invoices against the Odoo simulator: subscription invoices found by discovery with exact
//! cents (13 % HST, the seeded default sale tax), one-off invoices, PDF download, void,
//! payment, idempotency, tenancy and Odoo outages. Expected amounts are computed by hand.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(
    subscription_invoice_shows_up_with_exact_cents,
    one_off_invoice_is_posted_with_tax,
    download_returns_a_pdf_url,
    void_unpaid_and_refuse_paid,
    idempotency_replays_and_conflicts,
    other_apps_get_404_on_every_invoice_route,
    odoo_down_answers_503_and_the_retry_resumes,
    draft_invoice_is_finalized_and_customer_route_lists,
);

/// Reads one record of the simulator as JSON.
pub fn read(app: &TestApp, model: &str, id: i64, fields: &[&str]) -> Value {
    app.sim().read(model, &[id], fields).expect("sim read")[0].clone()
}

/// A CAD plan `code` at `amount_cents` a month and an active subscription `sub` for customer
/// `cust`.
pub async fn subscribe_paid_plan(
    app: &TestApp,
    code: &str,
    amount_cents: i64,
    cust: &str,
    sub: &str,
) {
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/plans",
            Some(
                json!({"plan": {"name": code, "code": code, "interval": "monthly",
            "amount_cents": amount_cents, "amount_currency": "CAD"}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
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

/// A customer `ext` and a one-off invoice of 2 × 25.00 "setup" for it; returns the invoice JSON.
pub async fn one_off(app: &TestApp, ext: &str) -> Value {
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(json!({"customer": {"external_id": ext, "name": ext,
            "email": format!("{ext}@example.ca"), "currency": "CAD"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/invoices",
            Some(json!({"invoice": {"external_customer_id": ext,
            "currency": "CAD", "fees": [{"add_on_code": "setup", "unit_amount_cents": 2500,
            "units": "2", "description": "Onboarding", "invoice_display_name": "Setup fee"}]}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b["invoice"].clone()
}

async fn subscription_invoice_shows_up_with_exact_cents(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    subscribe_paid_plan(&app, "pro", 4999, "acme", "sub-acme").await;
    let (s, l) = app.call("GET", "/api/v1/invoices", None).await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["invoices"], json!([]));
    assert_eq!(l["meta"]["total_count"], 0);
    let created = app.sim().run_recurring_invoicing().unwrap();
    assert_eq!(created.len(), 1);
    let (s, l) = app.call("GET", "/api/v1/invoices", None).await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["meta"]["total_count"], 1, "{l}");
    let inv = &l["invoices"][0];
    // 49.99 + 13 % HST (6.4987 → 6.50) = 56.49
    assert_eq!(inv["fees_amount_cents"], 4999);
    assert_eq!(inv["taxes_amount_cents"], 650);
    assert_eq!(inv["total_amount_cents"], 5649);
    assert_eq!(inv["total_due_amount_cents"], 5649);
    assert_eq!(inv["sub_total_excluding_taxes_amount_cents"], 4999);
    assert_eq!(inv["sub_total_including_taxes_amount_cents"], 5649);
    assert_eq!(inv["status"], "finalized");
    assert_eq!(inv["payment_status"], "pending");
    assert_eq!(inv["invoice_type"], "subscription");
    assert_eq!(inv["currency"], "CAD");
    assert_eq!(inv["version_number"], 4);
    assert_eq!(inv["payment_overdue"], false);
    assert_eq!(inv["customer"]["external_id"], "acme");
    assert_eq!(inv["customer"]["applicable_timezone"], "UTC");
    let odoo = read(
        &app,
        "account.move",
        created[0],
        &["name", "invoice_origin"],
    );
    assert_eq!(inv["number"], odoo["name"]);
    assert_eq!(inv["fees"].as_array().unwrap().len(), 1);
    let fee = &inv["fees"][0];
    assert_eq!(fee["item"]["type"], "subscription");
    assert_eq!(fee["item"]["code"], "pro");
    assert_eq!(fee["amount_cents"], 4999);
    assert_eq!(fee["taxes_amount_cents"], 650);
    assert_eq!(fee["taxes_rate"], 13.0);
    assert_eq!(fee["units"], "1");
    assert_eq!(fee["external_subscription_id"], "sub-acme");
    let bp = &inv["billing_periods"][0];
    assert_eq!(bp["external_subscription_id"], "sub-acme");
    assert_eq!(bp["invoicing_reason"], "subscription_periodic");
    assert_eq!(inv["subscriptions"][0]["external_id"], "sub-acme");
    // Stable ids: the same lago_id and fee id on every read.
    let id = inv["lago_id"].as_str().unwrap().to_string();
    let (s, one) = app
        .call("GET", &format!("/api/v1/invoices/{id}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(one["invoice"]["lago_id"], id.as_str());
    assert_eq!(one["invoice"]["fees"][0]["lago_id"], fee["lago_id"]);
    // Filters.
    for (q, n) in [
        ("external_customer_id=acme", 1),
        ("external_customer_id=nobody", 0),
        ("status=finalized", 1),
        ("status=draft", 0),
        ("payment_status=pending", 1),
        ("payment_status=succeeded", 0),
        ("issuing_date_from=2000-01-01", 1),
        ("issuing_date_to=2000-01-01", 0),
    ] {
        let (s, l) = app
            .call("GET", &format!("/api/v1/invoices?{q}"), None)
            .await;
        assert_eq!(s, 200, "{q}: {l}");
        assert_eq!(l["meta"]["total_count"], n, "{q}");
    }
    // Payment registered in Odoo.
    let (s, p) = app
        .call(
            "PUT",
            &format!("/api/v1/invoices/{id}"),
            Some(json!({"invoice": {"payment_status": "succeeded",
            "metadata": [{"key": "po", "value": "123"}]}})),
        )
        .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["invoice"]["payment_status"], "succeeded");
    assert_eq!(p["invoice"]["total_due_amount_cents"], 0);
    assert_eq!(p["invoice"]["metadata"][0]["key"], "po");
    let odoo = read(&app, "account.move", created[0], &["payment_state"]);
    assert_eq!(odoo["payment_state"], "paid");
    // A second identical PUT changes nothing (nothing left to pay).
    let (s, _) = app
        .call(
            "PUT",
            &format!("/api/v1/invoices/{id}"),
            Some(json!({"invoice": {"payment_status": "succeeded"}})),
        )
        .await;
    assert_eq!(s, 200);
}

async fn one_off_invoice_is_posted_with_tax(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let inv = one_off(&app, "bob").await;
    // 2 × 25.00 = 50.00 + 13 % = 6.50 → 56.50
    assert_eq!(inv["invoice_type"], "one_off");
    assert_eq!(inv["status"], "finalized");
    assert_eq!(inv["fees_amount_cents"], 5000);
    assert_eq!(inv["taxes_amount_cents"], 650);
    assert_eq!(inv["total_amount_cents"], 5650);
    let fee = &inv["fees"][0];
    assert_eq!(fee["item"]["type"], "add_on");
    assert_eq!(fee["item"]["code"], "setup");
    assert_eq!(fee["units"], "2");
    assert_eq!(fee["unit_amount_cents"], 2500);
    let moves = app
        .sim()
        .search("account.move", json!([["move_type", "=", "out_invoice"]]))
        .unwrap();
    assert_eq!(moves.len(), 1);
    let m = read(
        &app,
        "account.move",
        moves[0],
        &["state", "amount_total", "amount_tax", "name"],
    );
    assert_eq!(m["state"], "posted");
    assert_eq!(inv["number"], m["name"]);
    let products = app
        .sim()
        .search(
            "product.product",
            json!([["default_code", "=", "FC-app-addon-setup"]]),
        )
        .unwrap();
    assert_eq!(products.len(), 1, "add-on product created on first use");
    // Reused on the next invoice.
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/invoices",
            Some(json!({"invoice": {"external_customer_id": "bob",
            "fees": [{"add_on_code": "setup", "unit_amount_cents": 100}]}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["invoice"]["total_amount_cents"], 113);
    let products = app
        .sim()
        .search(
            "product.product",
            json!([["default_code", "=", "FC-app-addon-setup"]]),
        )
        .unwrap();
    assert_eq!(products.len(), 1);
    // Errors.
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/invoices",
            Some(json!({"invoice": {"external_customer_id": "nobody",
            "fees": [{"add_on_code": "setup", "unit_amount_cents": 100}]}})),
        )
        .await;
    assert_eq!((s, b["code"].clone()), (404, json!("customer_not_found")));
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/invoices",
            Some(json!({"invoice": {"external_customer_id": "bob", "fees": []}})),
        )
        .await;
    assert_eq!((s, b["code"].clone()), (404, json!("fees_not_found")));
    let (s, b) = app
        .call("POST", "/api/v1/invoices", Some(json!({"customer": {}})))
        .await;
    assert_eq!(s, 400, "{b}");
    let (s, l) = app
        .call("GET", "/api/v1/invoices?external_customer_id=bob", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(l["meta"]["total_count"], 2);
    // Pagination: newest first, one per page.
    let (s, p2) = app
        .call("GET", "/api/v1/invoices?per_page=1&page=2", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        p2["meta"],
        json!({"current_page": 2, "next_page": null, "prev_page": 1, "total_pages": 2, "total_count": 2})
    );
    assert_eq!(p2["invoices"][0]["lago_id"], inv["lago_id"]);
}

async fn download_returns_a_pdf_url(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let inv = one_off(&app, "pdf").await;
    let id = inv["lago_id"].as_str().unwrap();
    let resp = app
        .client
        .post(format!("{}/api/v1/invoices/{id}/download", app.address))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let b: Value = resp.json().await.unwrap();
    let url = b["invoice"]["file_url"]
        .as_str()
        .expect("file_url")
        .to_string();
    assert!(url.starts_with(&app.sim().base_url()), "{url}");
    assert!(url.contains("report_type=pdf"), "{url}");
    let pdf = reqwest::get(&url).await.unwrap();
    assert_eq!(pdf.status().as_u16(), 200);
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
}

async fn void_unpaid_and_refuse_paid(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let inv = one_off(&app, "v1").await;
    let id = inv["lago_id"].as_str().unwrap();
    let resp = app
        .client
        .post(format!("{}/api/v1/invoices/{id}/void", app.address))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["invoice"]["status"], "voided");
    let moves = app
        .sim()
        .search("account.move", json!([["move_type", "=", "out_invoice"]]))
        .unwrap();
    assert_eq!(
        read(&app, "account.move", moves[0], &["state"])["state"],
        "cancel"
    );
    // Voided again: not voidable; a voided invoice cannot be updated.
    let (s, b) = app
        .call("POST", &format!("/api/v1/invoices/{id}/void"), None)
        .await;
    assert_eq!((s, b["code"].clone()), (405, json!("not_voidable")));
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/v1/invoices/{id}"),
            Some(json!({"invoice": {"payment_status": "succeeded"}})),
        )
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (405, json!("update_on_voided_invoice"))
    );
    // A paid one is not voidable.
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/invoices",
            Some(json!({"invoice": {"external_customer_id": "v1",
            "fees": [{"add_on_code": "setup", "unit_amount_cents": 1000}]}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let id2 = b["invoice"]["lago_id"].as_str().unwrap().to_string();
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/v1/invoices/{id2}"),
            Some(json!({"invoice": {"payment_status": "succeeded"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = app
        .call("POST", &format!("/api/v1/invoices/{id2}/void"), None)
        .await;
    assert_eq!((s, b["code"].clone()), (405, json!("not_voidable")));
    // retry_payment: paid → invalid_status; unpaid without a saved method → no_payment_method.
    let (s, b) = app
        .call(
            "POST",
            &format!("/api/v1/invoices/{id2}/retry_payment"),
            None,
        )
        .await;
    assert_eq!((s, b["code"].clone()), (405, json!("invalid_status")));
    let inv3 = one_off(&app, "v3").await;
    let id3 = inv3["lago_id"].as_str().unwrap();
    let (s, b) = app
        .call(
            "POST",
            &format!("/api/v1/invoices/{id3}/retry_payment"),
            None,
        )
        .await;
    assert_eq!((s, b["code"].clone()), (405, json!("no_payment_method")));
    // finalize on a posted invoice: 404 as Lago; refresh returns it.
    let (s, b) = app
        .call("PUT", &format!("/api/v1/invoices/{id3}/finalize"), None)
        .await;
    assert_eq!((s, b["code"].clone()), (404, json!("invoice_not_found")));
    let (s, b) = app
        .call("PUT", &format!("/api/v1/invoices/{id3}/refresh"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["invoice"]["lago_id"], id3);
}

async fn idempotency_replays_and_conflicts(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    one_off(&app, "idem").await;
    let body = json!({"invoice": {"external_customer_id": "idem",
        "fees": [{"add_on_code": "support", "unit_amount_cents": 10000}]}});
    let post = |b: Value, key: &'static str| {
        app.client
            .post(format!("{}/api/v1/invoices", app.address))
            .bearer_auth(&app.api_key)
            .header("Idempotency-Key", key)
            .json(&b)
            .send()
    };
    let r1 = post(body.clone(), "k-1").await.unwrap();
    assert_eq!(r1.status().as_u16(), 200);
    let b1: Value = r1.json().await.unwrap();
    let r2 = post(body.clone(), "k-1").await.unwrap();
    assert_eq!(r2.status().as_u16(), 200);
    let b2: Value = r2.json().await.unwrap();
    assert_eq!(b1, b2, "replayed");
    let count = app
        .sim()
        .search("account.move", json!([["move_type", "=", "out_invoice"]]))
        .unwrap()
        .len();
    assert_eq!(count, 2, "one one-off from the helper, one under the key");
    let mut other = body.clone();
    other["invoice"]["fees"][0]["unit_amount_cents"] = json!(1);
    let r3 = post(other, "k-1").await.unwrap();
    assert_eq!(r3.status().as_u16(), 422);
    let b3: Value = r3.json().await.unwrap();
    assert_eq!(
        b3["error_details"],
        json!({"idempotency_key": ["value_already_exist"]})
    );
    // A 4xx answer is replayed too.
    let bad = json!({"invoice": {"external_customer_id": "nobody", "fees": [{"add_on_code": "x", "unit_amount_cents": 1}]}});
    let r4 = post(bad.clone(), "k-2").await.unwrap();
    assert_eq!(r4.status().as_u16(), 404);
    let r5 = post(bad, "k-2").await.unwrap();
    assert_eq!(r5.status().as_u16(), 404);
    // Concurrent requests under one key: one runs, the other is replayed or told 409.
    let body2 = json!({"invoice": {"external_customer_id": "idem",
        "fees": [{"add_on_code": "support", "unit_amount_cents": 700}]}});
    let (a, b) = tokio::join!(post(body2.clone(), "k-3"), post(body2.clone(), "k-3"));
    let mut statuses = vec![a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort_unstable();
    assert!(
        statuses == vec![200, 200] || statuses == vec![200, 409],
        "{statuses:?}"
    );
    let count = app
        .sim()
        .search("account.move", json!([["move_type", "=", "out_invoice"]]))
        .unwrap()
        .len();
    assert_eq!(count, 3, "one invoice for the concurrent pair");
    // retry_payment under a key: the 405 is replayed; the key cannot move to another route.
    let inv_id = b1["invoice"]["lago_id"].as_str().unwrap().to_string();
    let retry = |key: &'static str| {
        app.client
            .post(format!(
                "{}/api/v1/invoices/{inv_id}/retry_payment",
                app.address
            ))
            .bearer_auth(&app.api_key)
            .header("Idempotency-Key", key)
            .send()
    };
    for _ in 0..2 {
        let r = retry("r-1").await.unwrap();
        assert_eq!(r.status().as_u16(), 405);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["code"], "no_payment_method");
    }
    let r = retry("k-1").await.unwrap();
    assert_eq!(r.status().as_u16(), 422);
    // Another app may use the same key for its own request.
    let other_key = app.add_service("other").await;
    let r6 = app
        .client
        .post(format!("{}/api/v1/invoices", app.address))
        .bearer_auth(&other_key)
        .header("Idempotency-Key", "k-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r6.status().as_u16(),
        404,
        "its own customer lookup, not a replay"
    );
}

async fn other_apps_get_404_on_every_invoice_route(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    subscribe_paid_plan(&app, "pro", 1000, "t-cust", "t-sub").await;
    app.sim().run_recurring_invoicing().unwrap();
    let inv = one_off(&app, "t-one").await;
    let (_, l) = app.call("GET", "/api/v1/invoices", None).await;
    assert_eq!(l["meta"]["total_count"], 2);
    let other = app.add_service("intruder").await;
    let (s, l) = app.call_as(&other, "GET", "/api/v1/invoices", None).await;
    assert_eq!(s, 200);
    assert_eq!(l["meta"]["total_count"], 0, "{l}");
    assert_eq!(l["invoices"], json!([]), "another app's invoices visible");
    let mut ids = vec![inv["lago_id"].as_str().unwrap().to_string()];
    ids.extend(
        app.call("GET", "/api/v1/invoices?invoice_type=subscription", None)
            .await
            .1["invoices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["lago_id"].as_str().unwrap().to_string()),
    );
    for id in ids {
        for (method, path, body) in [
            ("GET", format!("/api/v1/invoices/{id}"), None),
            (
                "PUT",
                format!("/api/v1/invoices/{id}"),
                Some(json!({"invoice": {"payment_status": "succeeded"}})),
            ),
            ("POST", format!("/api/v1/invoices/{id}/download"), None),
            ("POST", format!("/api/v1/invoices/{id}/retry_payment"), None),
            ("POST", format!("/api/v1/invoices/{id}/void"), None),
            ("PUT", format!("/api/v1/invoices/{id}/finalize"), None),
            ("PUT", format!("/api/v1/invoices/{id}/refresh"), None),
        ] {
            let (s, b) = app.call_as(&other, method, &path, body).await;
            assert_eq!(
                (s, b["code"].clone()),
                (404, json!("invoice_not_found")),
                "{method} {path}"
            );
        }
    }
    // Still untouched for the owner.
    let (s, b) = app
        .call(
            "GET",
            &format!("/api/v1/invoices/{}", inv["lago_id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["invoice"]["status"], "finalized");
    assert_eq!(b["invoice"]["payment_status"], "pending");
}

async fn odoo_down_answers_503_and_the_retry_resumes(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let inv = one_off(&app, "down").await;
    let id = inv["lago_id"].as_str().unwrap().to_string();
    app.sim().set_down(true);
    let body = json!({"invoice": {"external_customer_id": "down", "fees": [{"add_on_code": "setup", "unit_amount_cents": 500}]}});
    let post = || {
        app.client
            .post(format!("{}/api/v1/invoices", app.address))
            .bearer_auth(&app.api_key)
            .header("Idempotency-Key", "down-1")
            .json(&body)
            .send()
    };
    let r = post().await.unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert!(r.headers().get("retry-after").is_some());
    for (method, path) in [
        ("GET", "/api/v1/invoices".to_string()),
        ("GET", format!("/api/v1/invoices/{id}")),
        ("POST", format!("/api/v1/invoices/{id}/download")),
        ("POST", format!("/api/v1/invoices/{id}/void")),
        ("POST", format!("/api/v1/invoices/{id}/retry_payment")),
        ("PUT", format!("/api/v1/invoices/{id}/finalize")),
        ("PUT", format!("/api/v1/invoices/{id}/refresh")),
        ("GET", "/api/v1/customers/down/invoices".to_string()),
    ] {
        let (s, b) = app.call(method, &path, None).await;
        assert_eq!(s, 503, "{method} {path}: {b}");
        assert_eq!(b["status"], 503);
    }
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/v1/invoices/{id}"),
            Some(json!({"invoice": {"payment_status": "succeeded"}})),
        )
        .await;
    assert_eq!(s, 503, "{b}");
    app.sim().set_down(false);
    // The key was not burnt: the retry creates the invoice once.
    let r = post().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["invoice"]["total_amount_cents"], 565);
    let r = post().await.unwrap();
    let b2: Value = r.json().await.unwrap();
    assert_eq!(b, b2);
    let n = app
        .sim()
        .search("account.move", json!([["move_type", "=", "out_invoice"]]))
        .unwrap()
        .len();
    assert_eq!(n, 2);
}

/// `execute_kw` on the simulator over JSON-RPC as admin (uid 2).
pub async fn odoo_rpc(app: &TestApp, model: &str, method: &str, args: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw",
        "args": ["odoo", 2, "admin", model, method, args, {}]}});
    let r: Value = app
        .client
        .post(format!("{}/jsonrpc", app.sim().base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r.get("error").is_none(), "{r}");
    r
}

async fn draft_invoice_is_finalized_and_customer_route_lists(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    subscribe_paid_plan(&app, "std", 1000, "dr", "sub-dr").await;
    let created = app.sim().run_recurring_invoicing().unwrap();
    // Finance resets the invoice to draft in Odoo.
    odoo_rpc(&app, "account.move", "button_draft", json!([[created[0]]])).await;
    let (s, l) = app.call("GET", "/api/v1/customers/dr/invoices", None).await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["meta"]["total_count"], 1);
    let inv = &l["invoices"][0];
    assert_eq!(inv["status"], "draft");
    let id = inv["lago_id"].as_str().unwrap();
    let (s, b) = app
        .call("PUT", &format!("/api/v1/invoices/{id}/refresh"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["invoice"]["status"], "draft");
    assert_eq!(b["invoice"]["total_amount_cents"], 1130);
    let (s, b) = app
        .call("POST", &format!("/api/v1/invoices/{id}/download"), None)
        .await;
    assert_eq!((s, b["code"].clone()), (404, json!("invoice_not_found")));
    let (s, b) = app
        .call("POST", &format!("/api/v1/invoices/{id}/void"), None)
        .await;
    assert_eq!((s, b["code"].clone()), (405, json!("not_voidable")));
    let (s, b) = app
        .call("PUT", &format!("/api/v1/invoices/{id}/finalize"), None)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["invoice"]["status"], "finalized");
    assert_eq!(
        read(&app, "account.move", created[0], &["state"])["state"],
        "posted"
    );
    let (s, b) = app
        .call("GET", "/api/v1/customers/nobody/invoices", None)
        .await;
    assert_eq!((s, b["code"].clone()), (404, json!("customer_not_found")));
    one_off(&app, "dr2").await;
    for (q, n) in [
        ("invoice_type=one_off", 1),
        ("invoice_type=subscription", 1),
        ("currency=CAD", 2),
        ("currency=USD", 0),
    ] {
        let (s, l) = app
            .call("GET", &format!("/api/v1/invoices?{q}"), None)
            .await;
        assert_eq!(s, 200);
        assert_eq!(l["meta"]["total_count"], n, "{q}");
    }
}
