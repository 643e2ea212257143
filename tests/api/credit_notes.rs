//! Credit notes against the Odoo simulator: a posted, reconciled `out_refund` with the
//! requested amounts, over-credit and mismatch refusals, void, idempotency, tenancy and Odoo
//! outages. Expected amounts are computed by hand in the comments.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::invoices::{one_off, read};

both_backends!(
    credit_note_posts_a_reconciled_refund,
    over_credit_and_mismatch_are_refused,
    void_credit_note_of_a_paid_invoice,
    credit_note_idempotency_and_tenancy,
    credit_note_odoo_down_answers_503,
);

async fn post_cn(app: &TestApp, key: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = app
        .client
        .post(format!("{}/api/v1/credit_notes", app.address))
        .bearer_auth(&app.api_key)
        .json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

fn refunds(app: &TestApp) -> Vec<i64> {
    app.sim()
        .search("account.move", json!([["move_type", "=", "out_refund"]]))
        .unwrap()
}

async fn credit_note_posts_a_reconciled_refund(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let inv = one_off(&app, "cn").await; // 2 × 25.00 + 13 % = 56.50
    let fee_id = inv["fees"][0]["lago_id"].as_str().unwrap().to_string();
    let inv_id = inv["lago_id"].as_str().unwrap().to_string();
    // Credit 20.00 of the fee: + 2.60 tax = 22.60.
    let (s, b) = post_cn(
        &app,
        None,
        json!({"credit_note": {"invoice_id": inv_id, "reason": "other",
        "description": "goodwill", "credit_amount_cents": 2260, "refund_amount_cents": 0,
        "items": [{"fee_id": fee_id, "amount_cents": 2000}]}}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let cn = &b["credit_note"];
    assert_eq!(cn["total_amount_cents"], 2260);
    assert_eq!(cn["taxes_amount_cents"], 260);
    assert_eq!(cn["sub_total_excluding_taxes_amount_cents"], 2000);
    assert_eq!(cn["credit_amount_cents"], 2260);
    assert_eq!(cn["refund_amount_cents"], 0);
    assert_eq!(cn["taxes_rate"], 13.0);
    assert_eq!(cn["lago_invoice_id"], inv_id.as_str());
    assert_eq!(cn["invoice_number"], inv["number"]);
    assert_eq!(cn["reason"], "other");
    assert_eq!(cn["items"][0]["amount_cents"], 2000);
    assert_eq!(cn["items"][0]["fee"]["lago_id"], fee_id.as_str());
    // Reconciled with the unpaid invoice at once: the credit is consumed.
    assert_eq!(cn["credit_status"], "consumed");
    assert_eq!(cn["balance_amount_cents"], 0);
    let r = refunds(&app);
    assert_eq!(r.len(), 1);
    let m = read(
        &app,
        "account.move",
        r[0],
        &["state", "amount_total", "reversed_entry_id", "name"],
    );
    assert_eq!(m["state"], "posted");
    assert_eq!(cn["number"], m["name"]);
    let (s, i) = app
        .call("GET", &format!("/api/v1/invoices/{inv_id}"), None)
        .await;
    assert_eq!(s, 200);
    // 56.50 − 22.60 = 33.90 still due; Odoo: partial.
    assert_eq!(i["invoice"]["total_due_amount_cents"], 3390);
    let origin = app
        .sim()
        .read("account.move", &[r[0]], &["reversed_entry_id"])
        .unwrap()[0]["reversed_entry_id"]
        .clone();
    assert_eq!(origin[0], inv["sequential_id"]);
    // Readable and listed.
    let cn_id = cn["lago_id"].as_str().unwrap();
    let (s, g) = app
        .call("GET", &format!("/api/v1/credit_notes/{cn_id}"), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(g["credit_note"]["total_amount_cents"], 2260);
    let (s, l) = app
        .call("GET", "/api/v1/credit_notes?external_customer_id=cn", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(l["meta"]["total_count"], 1);
    let (_, l) = app
        .call(
            "GET",
            "/api/v1/credit_notes?external_customer_id=else",
            None,
        )
        .await;
    assert_eq!(l["meta"]["total_count"], 0);
    // Consumed: nothing to void.
    let (s, v) = app
        .call("PUT", &format!("/api/v1/credit_notes/{cn_id}/void"), None)
        .await;
    assert_eq!((s, v["code"].clone()), (405, json!("no_voidable_amount")));
    // The remaining 30.00 of the fee can still be credited (items total without tax accepted).
    let (s, b) = post_cn(
        &app,
        None,
        json!({"credit_note": {"invoice_id": inv_id, "reason": "order_change",
        "credit_amount_cents": 3000, "items": [{"fee_id": fee_id, "amount_cents": 3000}]}}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["credit_note"]["total_amount_cents"], 3390);
    let (_, i) = app
        .call("GET", &format!("/api/v1/invoices/{inv_id}"), None)
        .await;
    assert_eq!(i["invoice"]["total_due_amount_cents"], 0);
    assert_eq!(
        i["invoice"]["payment_status"], "succeeded",
        "Odoo: reversed"
    );
}

async fn over_credit_and_mismatch_are_refused(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let inv = one_off(&app, "oc").await;
    let fee_id = inv["fees"][0]["lago_id"].as_str().unwrap().to_string();
    let inv_id = inv["lago_id"].as_str().unwrap().to_string();
    let cn = |amount: i64, credit: i64, refund: i64| {
        json!({"credit_note": {"invoice_id": inv_id, "reason": "other", "credit_amount_cents": credit,
            "refund_amount_cents": refund, "items": [{"fee_id": fee_id, "amount_cents": amount}]}})
    };
    let (s, b) = post_cn(&app, None, cn(5001, 5651, 0)).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error_details"],
        json!({"amount_cents": ["higher_than_remaining_fee_amount"]})
    );
    let (s, b) = post_cn(&app, None, cn(1000, 5000, 0)).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error_details"],
        json!({"base": ["does_not_match_item_amounts"]})
    );
    let (s, b) = post_cn(&app, None, cn(1000, 0, 1130)).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error_details"],
        json!({"refund_amount_cents": ["cannot_refund_unpaid_invoice"]})
    );
    let (s, b) = post_cn(
        &app,
        None,
        json!({"credit_note": {"invoice_id": inv_id, "reason": "other",
        "items": [{"fee_id": "nope", "amount_cents": 1}]}}),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (404, json!("fee_not_found")));
    let (s, b) = post_cn(
        &app,
        None,
        json!({"credit_note": {"invoice_id": "nope", "reason": "other",
        "items": [{"fee_id": fee_id, "amount_cents": 1}]}}),
    )
    .await;
    assert_eq!((s, b["code"].clone()), (404, json!("invoice_not_found")));
    assert!(refunds(&app).is_empty(), "nothing written in Odoo");
    // After crediting 40.00, only 10.00 remain.
    let (s, b) = post_cn(&app, None, cn(4000, 4520, 0)).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = post_cn(&app, None, cn(1001, 1131, 0)).await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["error_details"],
        json!({"amount_cents": ["higher_than_remaining_fee_amount"]})
    );
    assert_eq!(refunds(&app).len(), 1);
}

async fn void_credit_note_of_a_paid_invoice(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let inv = one_off(&app, "paid").await;
    let fee_id = inv["fees"][0]["lago_id"].as_str().unwrap().to_string();
    let inv_id = inv["lago_id"].as_str().unwrap().to_string();
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/v1/invoices/{inv_id}"),
            Some(json!({"invoice": {"payment_status": "succeeded"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // Credit 10.00 + 1.30 on a paid invoice: stays available as credit.
    let (s, b) = post_cn(&app, None, json!({"credit_note": {"invoice_id": inv_id, "reason": "duplicated_charge",
        "credit_amount_cents": 1130, "refund_amount_cents": 0, "items": [{"fee_id": fee_id, "amount_cents": 1000}]}}))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["credit_note"]["credit_status"], "available");
    assert_eq!(b["credit_note"]["balance_amount_cents"], 1130);
    let cn_id = b["credit_note"]["lago_id"].as_str().unwrap().to_string();
    let (s, v) = app
        .call("PUT", &format!("/api/v1/credit_notes/{cn_id}/void"), None)
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["credit_note"]["credit_status"], "voided");
    assert_eq!(v["credit_note"]["balance_amount_cents"], 0);
    let r = refunds(&app);
    assert_eq!(
        read(&app, "account.move", r[0], &["state"])["state"],
        "cancel"
    );
    let (s, v) = app
        .call("PUT", &format!("/api/v1/credit_notes/{cn_id}/void"), None)
        .await;
    assert_eq!((s, v["code"].clone()), (405, json!("no_voidable_amount")));
    // A refund is allowed on a paid invoice; the voided 10.00 is creditable again.
    let (s, b) = post_cn(&app, None, json!({"credit_note": {"invoice_id": inv_id, "reason": "other",
        "credit_amount_cents": 0, "refund_amount_cents": 5650, "items": [{"fee_id": fee_id, "amount_cents": 5000}]}}))
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["credit_note"]["refund_status"], "pending");
    assert_eq!(b["credit_note"]["total_amount_cents"], 5650);
}

async fn credit_note_idempotency_and_tenancy(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let inv = one_off(&app, "ci").await;
    let fee_id = inv["fees"][0]["lago_id"].as_str().unwrap().to_string();
    let inv_id = inv["lago_id"].as_str().unwrap().to_string();
    let body = json!({"credit_note": {"invoice_id": inv_id, "reason": "other", "credit_amount_cents": 1130,
        "items": [{"fee_id": fee_id, "amount_cents": 1000}]}});
    let (s1, b1) = post_cn(&app, Some("cn-1"), body.clone()).await;
    assert_eq!(s1, 200, "{b1}");
    let (s2, b2) = post_cn(&app, Some("cn-1"), body.clone()).await;
    assert_eq!((s2, &b2), (200, &b1));
    assert_eq!(refunds(&app).len(), 1);
    let mut other = body.clone();
    other["credit_note"]["reason"] = json!("fraudulent_charge");
    let (s, b) = post_cn(&app, Some("cn-1"), other).await;
    assert_eq!(s, 422);
    assert_eq!(
        b["error_details"],
        json!({"idempotency_key": ["value_already_exist"]})
    );
    // Another app: 404 everywhere, no credit note in Odoo.
    let intruder = app.add_service("intruder").await;
    let cn_id = b1["credit_note"]["lago_id"].as_str().unwrap();
    let (s, b) = app
        .call_as(
            &intruder,
            "POST",
            "/api/v1/credit_notes",
            Some(body.clone()),
        )
        .await;
    assert_eq!((s, b["code"].clone()), (404, json!("invoice_not_found")));
    let (s, b) = app
        .call_as(
            &intruder,
            "GET",
            &format!("/api/v1/credit_notes/{cn_id}"),
            None,
        )
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (404, json!("credit_note_not_found"))
    );
    let (s, b) = app
        .call_as(
            &intruder,
            "PUT",
            &format!("/api/v1/credit_notes/{cn_id}/void"),
            None,
        )
        .await;
    assert_eq!(
        (s, b["code"].clone()),
        (404, json!("credit_note_not_found"))
    );
    let (s, l) = app
        .call_as(&intruder, "GET", "/api/v1/credit_notes", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(l["meta"]["total_count"], 0);
    assert_eq!(refunds(&app).len(), 1);
}

async fn credit_note_odoo_down_answers_503(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let inv = one_off(&app, "cd").await;
    let fee_id = inv["fees"][0]["lago_id"].as_str().unwrap().to_string();
    let inv_id = inv["lago_id"].as_str().unwrap().to_string();
    let body = json!({"credit_note": {"invoice_id": inv_id, "reason": "other", "credit_amount_cents": 1130,
        "items": [{"fee_id": fee_id, "amount_cents": 1000}]}});
    let (s1, b1) = post_cn(&app, Some("cd-1"), body.clone()).await;
    assert_eq!(s1, 200, "{b1}");
    let cn_id = b1["credit_note"]["lago_id"].as_str().unwrap().to_string();
    app.sim().set_down(true);
    let (s, b) = post_cn(&app, Some("cd-2"), body.clone()).await;
    assert_eq!(s, 503, "{b}");
    for (m, p) in [
        ("GET", format!("/api/v1/credit_notes/{cn_id}")),
        ("GET", "/api/v1/credit_notes".to_string()),
        ("PUT", format!("/api/v1/credit_notes/{cn_id}/void")),
    ] {
        let (s, b) = app.call(m, &p, None).await;
        assert_eq!(s, 503, "{m} {p}: {b}");
    }
    app.sim().set_down(false);
    let (s, b) = post_cn(&app, Some("cd-2"), body).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(refunds(&app).len(), 2);
}
