//! Rounding as real Odoo 19 does it (DIVERGENCES.md): quantities at the "Product Unit"
//! precision, taxes rounded globally per document.

use crate::harness::Target;
use serde_json::json;

/// Quantities are stored at the "Product Unit" precision (2 decimals), rounded half-up: the
/// gateway must not write finer ones (real Odoo 19: 2.555 → 2.56; DIVERGENCES.md).
#[tokio::test]
async fn quantities_are_stored_at_the_unit_precision() {
    let t = Target::new().await;
    let partner = t.partner().await;
    let (_, product) = t.product(10.0, "delivery", false).await;
    let so = t
        .ok(
            "sale.order",
            "create",
            json!([{"partner_id": partner, "order_line": [[0, 0, {"product_id": product, "product_uom_qty": 1.234}]]}]),
            json!({}),
        )
        .await
        .as_i64()
        .unwrap();
    let line = t.read1("sale.order", so, &["order_line"]).await["order_line"][0]
        .as_i64()
        .unwrap();
    t.ok(
        "sale.order.line",
        "write",
        json!([[line], {"qty_delivered": 2.555}]),
        json!({}),
    )
    .await;
    let r = t
        .read1(
            "sale.order.line",
            line,
            &["product_uom_qty", "qty_delivered"],
        )
        .await;
    assert_eq!(r["product_uom_qty"], json!(1.23), "{r}");
    assert_eq!(r["qty_delivered"], json!(2.56), "{r}");
}

/// The company rounds taxes globally (`round_globally`, Odoo 19's default and the kit's): an
/// invoice of 1.00 + 0.05 + 0.05 at 13 % HST has 0.14 of tax (13 % of 1.10), not 0.15 (0.13 +
/// 0.01 + 0.01 rounded per line). DIVERGENCES.md.
#[tokio::test]
async fn taxes_are_rounded_globally() {
    let t = Target::new().await;
    let company = t
        .ok(
            "res.company",
            "search_read",
            json!([[], ["tax_calculation_rounding_method"]]),
            json!({"limit": 1}),
        )
        .await;
    assert_eq!(
        company[0]["tax_calculation_rounding_method"],
        "round_globally"
    );
    let partner = t.partner().await;
    let hst = t.hst().await;
    let line = |price: f64| json!([0, 0, {"name": "Usage", "quantity": 1, "price_unit": price, "tax_ids": [[6, 0, [hst]]]}]);
    let inv = t
        .ok(
            "account.move",
            "create",
            json!([{"move_type": "out_invoice", "partner_id": partner,
                "invoice_line_ids": [line(1.0), line(0.05), line(0.05)]}]),
            json!({}),
        )
        .await
        .as_i64()
        .unwrap();
    let r = t
        .read1(
            "account.move",
            inv,
            &["amount_untaxed", "amount_tax", "amount_total"],
        )
        .await;
    assert_eq!(r["amount_untaxed"], json!(1.1), "{r}");
    assert_eq!(r["amount_tax"], json!(0.14), "{r}");
    assert_eq!(r["amount_total"], json!(1.24), "{r}");
}
