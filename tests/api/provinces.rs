//! Canadian customers get a province in Odoo, because Odoo picks the fiscal position (and so
//! the sales tax) from it: Lago's `state` becomes `state_id`, and a Canadian customer without
//! one gets the company's province (Ontario in the simulator, as in the real-Odoo kit), not
//! the "International" position and its 0 % tax.

use serde_json::{json, Value};

use crate::helpers::{Backend, TestApp};

fn partner(app: &TestApp, id: i64) -> Value {
    app.sim()
        .read("res.partner", &[id], &["state_id", "country_id"])
        .expect("sim read")[0]
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
        .customer_by_external(app.service_id, &external_id)
        .await
        .unwrap()
        .expect("customer row")
        .partner_id
}

/// The fiscal position Odoo picks for an order of this partner, and the tax on 100.00.
fn order_tax(app: &TestApp, partner: i64) -> (Value, Value) {
    let state = app.sim().state();
    let mut s = state.lock().expect("sim lock");
    let ctx = Default::default();
    let tmpl = json!({"name": "Hosting", "type": "service", "list_price": 100.0});
    let tmpl = s
        .create("product.template", tmpl.as_object().unwrap(), &ctx)
        .expect("product");
    let product = s.get("product.template", tmpl, "product_variant_id");
    let vals = json!({"partner_id": partner, "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1}]]});
    let so = s
        .create("sale.order", vals.as_object().unwrap(), &ctx)
        .expect("order");
    let r = s
        .read(
            "sale.order",
            &[so],
            Some(&["fiscal_position_id".to_string(), "amount_tax".to_string()]),
            true,
        )
        .unwrap()[0]
        .clone();
    (r["fiscal_position_id"][1].clone(), r["amount_tax"].clone())
}

#[tokio::test]
async fn canadian_customers_get_a_province_and_their_tax() {
    let app = TestApp::spawn_with_odoo(Backend::Sqlite).await;

    // A province by name (accents ignored): Quebec's position and GST+QST.
    let qc = upsert(
        &app,
        json!({"external_id": "qc", "name": "Érable Inc.", "country": "CA", "state": "Québec"}),
    )
    .await;
    assert_eq!(partner(&app, qc)["state_id"][1], "Quebec (CA)");
    assert_eq!(order_tax(&app, qc), (json!("Quebec (QC)"), json!(14.98)));

    // No province: the company's (Ontario), so 13 % HST rather than 0 %.
    let none = upsert(
        &app,
        json!({"external_id": "no-prov", "name": "Nowhere Ltd.", "country": "CA"}),
    )
    .await;
    assert_eq!(partner(&app, none)["state_id"][1], "Ontario (CA)");
    assert_eq!(order_tax(&app, none), (json!("Ontario (ON)"), json!(13.0)));

    // A later upsert with a province code moves the customer; one without `state` keeps it.
    upsert(&app, json!({"external_id": "no-prov", "state": "AB"})).await;
    assert_eq!(partner(&app, none)["state_id"][1], "Alberta (CA)");
    upsert(&app, json!({"external_id": "no-prov", "city": "Calgary"})).await;
    assert_eq!(partner(&app, none)["state_id"][1], "Alberta (CA)");
    assert_eq!(order_tax(&app, none), (json!("Alberta (AB)"), json!(5.0)));

    // An unknown province falls back to the company's.
    let odd = upsert(
        &app,
        json!({"external_id": "odd", "name": "Odd Co", "country": "CA", "state": "Atlantis"}),
    )
    .await;
    assert_eq!(partner(&app, odd)["state_id"][1], "Ontario (CA)");

    // Abroad: no Canadian default; Odoo's International position and 0 %.
    let us = upsert(
        &app,
        json!({"external_id": "us", "name": "Yankee LLC", "country": "US"}),
    )
    .await;
    assert_eq!(partner(&app, us)["state_id"], json!(false));
    assert_eq!(
        order_tax(&app, us),
        (json!("International (INTL)"), json!(0.0))
    );
}
