//! One-off invoices against the Odoo under test (the simulator, or real Odoo with
//! `FUSION_TEST_REAL_ODOO=1`, see `odoo_under_test`): posted with 13 % HST, downloaded as a
//! PDF from Odoo's portal, voided (Odoo cancels it), and paid through the API (Odoo records a
//! payment: `paid` or `in_payment`), after which it cannot be voided.

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::odoo_under_test::{unique_suffix, OdooUnderTest};

async fn invoice(app: &TestApp, cust: &str, unit_cents: i64, units: &str) -> Value {
    let body = json!({"invoice": {"external_customer_id": cust, "currency": "CAD",
        "fees": [{"add_on_code": "setup", "unit_amount_cents": unit_cents, "units": units,
            "description": "Onboarding", "invoice_display_name": "Setup fee"}]}});
    let (s, b) = app.call("POST", "/api/v1/invoices", Some(body)).await;
    assert_eq!(s, 200, "{b}");
    b["invoice"].clone()
}

async fn move_of(odoo: &OdooUnderTest, app: &TestApp, number: &Value) -> Value {
    let m = odoo
        .search_read(
            app,
            "account.move",
            json!([["name", "=", number], ["move_type", "=", "out_invoice"]]),
            &["state", "amount_total", "amount_tax", "payment_state"],
        )
        .await;
    assert_eq!(m.len(), 1, "one move {number}: {m:?}");
    m[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_off_invoice_posted_downloaded_voided_and_paid() {
    let (app, odoo) = OdooUnderTest::spawn(Backend::Sqlite, |_| {}).await;
    let sfx = unique_suffix();
    let cust = format!("one-off{sfx}");
    let body = json!({"customer": {"external_id": cust, "name": format!("One-off {sfx}"),
        "email": format!("ap{sfx}@one-off.ca"), "country": "CA", "currency": "CAD"}});
    let (s, c) = app.call("POST", "/api/v1/customers", Some(body)).await;
    assert_eq!(s, 200, "{c}");

    // 2 × 25.00 = 50.00 + 13 % = 6.50 → 56.50, posted in Odoo under the same number.
    let inv = invoice(&app, &cust, 2500, "2").await;
    assert_eq!(inv["invoice_type"], "one_off");
    assert_eq!(inv["status"], "finalized");
    assert_eq!(
        (
            &inv["fees_amount_cents"],
            &inv["taxes_amount_cents"],
            &inv["total_amount_cents"]
        ),
        (&json!(5000), &json!(650), &json!(5650))
    );
    assert_eq!(inv["fees"][0]["item"]["code"], "setup");
    let m = move_of(&odoo, &app, &inv["number"]).await;
    assert_eq!(
        (m["state"].clone(), m["amount_total"].as_f64()),
        (json!("posted"), Some(56.5))
    );

    // The PDF comes from Odoo.
    let id = inv["lago_id"].as_str().unwrap();
    let (s, b) = app
        .call("POST", &format!("/api/v1/invoices/{id}/download"), None)
        .await;
    assert_eq!(s, 200, "{b}");
    let url = b["invoice"]["file_url"].as_str().expect("file_url");
    assert!(
        url.starts_with(app.settings.odoo.url.trim_end_matches('/')),
        "{url}"
    );
    let pdf = reqwest::get(url).await.unwrap();
    assert_eq!(pdf.status().as_u16(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"), "not a PDF");

    // Void: Odoo cancels the move.
    let (s, b) = app
        .call("POST", &format!("/api/v1/invoices/{id}/void"), None)
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["invoice"]["status"], "voided");
    assert_eq!(
        move_of(&odoo, &app, &inv["number"]).await["state"],
        "cancel"
    );

    // Paid through the API: Odoo records the payment; a paid invoice is not voidable.
    let paid = invoice(&app, &cust, 1000, "1").await;
    let id2 = paid["lago_id"].as_str().unwrap();
    let (s, b) = app
        .call(
            "PUT",
            &format!("/api/v1/invoices/{id2}"),
            Some(json!({"invoice": {"payment_status": "succeeded"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["invoice"]["payment_status"], "succeeded", "{b}");
    let m = move_of(&odoo, &app, &paid["number"]).await;
    assert!(
        matches!(m["payment_state"].as_str(), Some("paid" | "in_payment")),
        "{m}"
    );
    let (s, b) = app
        .call("POST", &format!("/api/v1/invoices/{id2}/void"), None)
        .await;
    assert_eq!((s, b["code"].clone()), (405, json!("not_voidable")));
}
