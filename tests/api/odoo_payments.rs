//! A payment recorded in Odoo shows as paid through the API, against the Odoo under test (the
//! simulator, or real Odoo with `FUSION_TEST_REAL_ODOO=1`, see `odoo_under_test`). Real Odoo
//! 19 says `paid` after the payment wizard on the kit (Community, no bank reconciliation) and
//! `in_payment` where payments wait for the bank; both are Lago's `succeeded`.

use fusion_billing::odoo::invoices::PaymentValues;
use fusion_billing::odoo::{MoveId, OdooClient};
use serde_json::json;

use crate::helpers::Backend;
use crate::odoo_under_test::{unique_suffix, OdooUnderTest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_in_odoo_reads_succeeded() {
    let (app, odoo) = OdooUnderTest::spawn(Backend::Sqlite, |s| {
        s.watcher.interval_secs = 3600;
        s.rating.interval_secs = 3600;
    })
    .await;
    let sfx = unique_suffix();
    let (plan, sub, cust) = (
        format!("plan-pay{sfx}"),
        format!("sub-pay{sfx}"),
        format!("cust-pay{sfx}"),
    );
    let body = json!({"plan": {"name": "Paid", "code": plan, "interval": "monthly",
        "amount_cents": 2000, "amount_currency": "CAD", "pay_in_advance": true}});
    let (s, p) = app.call("POST", "/api/v1/plans", Some(body)).await;
    assert_eq!(s, 200, "{p}");
    let body = json!({"customer": {"external_id": cust, "name": "Payer Ltd",
        "email": format!("ap{sfx}@payer.ca"), "country": "CA", "currency": "CAD"}});
    let (s, c) = app.call("POST", "/api/v1/customers", Some(body)).await;
    assert_eq!(s, 200, "{c}");
    let body = json!({"subscription": {"external_customer_id": cust, "plan_code": plan,
        "external_id": sub}});
    let (s, b) = app.call("POST", "/api/v1/subscriptions", Some(body)).await;
    assert_eq!(s, 200, "{b}");

    let inv = odoo.invoice_period(&app, &sub).await;
    assert_eq!(inv.len(), 1);
    let client = OdooClient::connect(&app.settings.odoo).await.unwrap();
    client
        .invoices()
        .register_payment(MoveId(inv[0]), &PaymentValues::default())
        .await
        .unwrap();
    let m = odoo
        .read(
            &app,
            "account.move",
            &inv,
            &["payment_state", "amount_residual"],
        )
        .await;
    let state = m[0]["payment_state"].as_str().unwrap();
    assert!(matches!(state, "paid" | "in_payment"), "{m:?}");
    assert_eq!(m[0]["amount_residual"].as_f64(), Some(0.0), "{m:?}");

    app.watcher().poll().await.unwrap();
    let (s, list) = app
        .call(
            "GET",
            &format!("/api/v1/invoices?external_customer_id={cust}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{list}");
    let invoices = list["invoices"].as_array().unwrap();
    assert_eq!(invoices.len(), 1, "{list}");
    assert_eq!(invoices[0]["total_amount_cents"], 2260, "{list}");
    assert_eq!(invoices[0]["payment_status"], "succeeded", "{list}");
    assert_eq!(invoices[0]["total_due_amount_cents"], 0, "{list}");
}
