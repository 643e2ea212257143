//! Canadian customers get a province in Odoo, because Odoo picks the fiscal position (and so
//! the sales tax) from it: Lago's `state` becomes `state_id`, and a Canadian customer without
//! one gets the company's province (Ontario in the simulator, as in the real-Odoo kit), not
//! the "International" position and its 0 % tax. Against the Odoo under test (the simulator,
//! or real Odoo with `FUSION_TEST_REAL_ODOO=1`, see `odoo_under_test`).

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};
use crate::odoo_under_test::{unique_suffix, OdooUnderTest};

async fn partner(odoo: &OdooUnderTest, app: &TestApp, id: i64) -> Value {
    odoo.read(app, "res.partner", &[id], &["state_id", "country_id"])
        .await[0]
        .clone()
}

async fn upsert(app: &TestApp, customer: Value) -> i64 {
    let external_id = customer["external_id"].as_str().unwrap().to_string();
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(json!({ "customer": customer })),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    app.store
        .customers()
        .customer_by_external(app.service_id, &external_id)
        .await
        .unwrap()
        .expect("customer row")
        .partner_id
}

/// The fiscal position Odoo picks for an order of this partner, and the tax on 100.00.
async fn order_tax(odoo: &OdooUnderTest, app: &TestApp, partner: i64) -> (Value, Value) {
    let tmpl = odoo
        .create(
            app,
            "product.template",
            json!({"name": "Hosting", "type": "service", "list_price": 100.0}),
        )
        .await;
    let product = odoo
        .read(app, "product.template", &[tmpl], &["product_variant_id"])
        .await[0]["product_variant_id"][0]
        .clone();
    let vals = json!({"partner_id": partner, "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]]});
    let so = odoo.create(app, "sale.order", vals).await;
    let r = odoo
        .read(
            app,
            "sale.order",
            &[so],
            &["fiscal_position_id", "amount_tax"],
        )
        .await[0]
        .clone();
    (r["fiscal_position_id"][1].clone(), r["amount_tax"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canadian_customers_get_a_province_and_their_tax() {
    let (app, odoo) = OdooUnderTest::spawn(Backend::Sqlite, |_| {}).await;
    let x = unique_suffix();
    let id = |s: &str| format!("{s}{x}");

    // A province by name (accents ignored): Quebec's position and GST+QST.
    let qc = upsert(
        &app,
        json!({"external_id": id("qc"), "name": id("Érable Inc."), "country": "CA", "state": "Québec"}),
    )
    .await;
    assert_eq!(partner(&odoo, &app, qc).await["state_id"][1], "Quebec (CA)");
    assert_eq!(
        order_tax(&odoo, &app, qc).await,
        (json!("Quebec (QC)"), json!(14.98))
    );

    // No province: the company's (Ontario), so 13 % HST rather than 0 %.
    let none = upsert(
        &app,
        json!({"external_id": id("no-prov"), "name": id("Nowhere Ltd."), "country": "CA"}),
    )
    .await;
    assert_eq!(
        partner(&odoo, &app, none).await["state_id"][1],
        "Ontario (CA)"
    );
    assert_eq!(
        order_tax(&odoo, &app, none).await,
        (json!("Ontario (ON)"), json!(13.0))
    );

    // A later upsert with a province code moves the customer; one without `state` keeps it.
    upsert(&app, json!({"external_id": id("no-prov"), "state": "AB"})).await;
    assert_eq!(
        partner(&odoo, &app, none).await["state_id"][1],
        "Alberta (CA)"
    );
    upsert(
        &app,
        json!({"external_id": id("no-prov"), "city": "Calgary"}),
    )
    .await;
    assert_eq!(
        partner(&odoo, &app, none).await["state_id"][1],
        "Alberta (CA)"
    );
    assert_eq!(
        order_tax(&odoo, &app, none).await,
        (json!("Alberta (AB)"), json!(5.0))
    );

    // An unknown province falls back to the company's.
    let odd = upsert(
        &app,
        json!({"external_id": id("odd"), "name": id("Odd Co"), "country": "CA", "state": "Atlantis"}),
    )
    .await;
    assert_eq!(
        partner(&odoo, &app, odd).await["state_id"][1],
        "Ontario (CA)"
    );

    // Abroad: no Canadian default; Odoo's International position and 0 %.
    let us = upsert(
        &app,
        json!({"external_id": id("us"), "name": id("Yankee LLC"), "country": "US"}),
    )
    .await;
    assert_eq!(partner(&odoo, &app, us).await["state_id"], json!(false));
    assert_eq!(
        order_tax(&odoo, &app, us).await,
        (json!("International (INTL)"), json!(0.0))
    );
}

/// Current usage shows the tax Odoo will charge: the subscription line's taxes, mapped by the
/// customer's fiscal position (Quebec: GST 5 % + QST 9.975 % on 100.00 = 14.98), not the
/// product's default 13 % HST.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn current_usage_is_taxed_as_the_customers_province() {
    let (app, _odoo) = OdooUnderTest::spawn(Backend::Sqlite, |_| {}).await;
    let x = unique_suffix();
    let sub = format!("qc-sub{x}");
    upsert(
        &app,
        json!({"external_id": format!("cust-{sub}"), "name": format!("Érable {x}"),
               "country": "CA", "state": "QC"}),
    )
    .await;
    app.subscribe(&sub, &format!("gb{x}"), "gb").await;
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/events",
            Some(
                json!({"event": {"transaction_id": format!("t{x}"), "external_subscription_id": sub,
                "code": format!("gb{x}"), "properties": {"gb": 100}}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, u) = app
        .call(
            "GET",
            &format!("/api/v1/customers/cust-{sub}/current_usage?external_subscription_id={sub}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{u}");
    let usage = &u["customer_usage"];
    assert_eq!(usage["amount_cents"], 10000, "{u}");
    assert_eq!(usage["taxes_amount_cents"], 1498, "Quebec's GST + QST: {u}");
    assert_eq!(usage["total_amount_cents"], 11498, "{u}");
}
