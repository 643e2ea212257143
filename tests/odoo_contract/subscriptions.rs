//! CONTRACT.md §4.4 and §6.9 (enterprise `sale_subscription`).

use crate::harness::Target;
use crate::sim_only;
use fusion_billing::odoo_sim::SimOptions;
use serde_json::{json, Value};

/// The Enterprise module these tests need (see `harness::ENTERPRISE_ONLY`).
const MODULE: &str = "sale_subscription";

async fn plan(t: &Target, name: &str) -> i64 {
    t.ok(
        "sale.subscription.plan",
        "search",
        json!([[["name", "=", name]]]),
        json!({"limit": 1}),
    )
    .await[0]
        .as_i64()
        .expect("plan exists")
}

async fn subscription(t: &Target, plan_name: &str) -> (i64, i64, i64) {
    let partner = t.partner().await;
    let (_, rec) = t.product(30.0, "order", true).await;
    let (_, usage) = t.product(0.5, "delivery", false).await;
    let plan = plan(t, plan_name).await;
    let so = t
        .ok("sale.order", "create", json!([{"partner_id": partner, "plan_id": plan, "order_line": [[0, 0, {"product_id": rec, "product_uom_qty": 1}], [0, 0, {"product_id": usage, "product_uom_qty": 0}]]}]), json!({}))
        .await
        .as_i64()
        .unwrap();
    let lines = t.read1("sale.order", so, &["order_line"]).await["order_line"]
        .as_array()
        .unwrap()
        .clone();
    (so, lines[0].as_i64().unwrap(), lines[1].as_i64().unwrap())
}

#[tokio::test]
async fn subscription_state_transitions() {
    let t = Target::new().await;
    if !t.enterprise_module(MODULE, "sale.subscription.plan").await {
        return;
    }
    let (so, _, _) = subscription(&t, "Monthly").await;
    let r = t
        .read1(
            "sale.order",
            so,
            &["is_subscription", "subscription_state", "state"],
        )
        .await;
    assert_eq!(r["is_subscription"], json!(true));
    assert_eq!(r["subscription_state"], "1_draft");
    assert_eq!(
        t.ok("sale.order", "action_confirm", json!([[so]]), json!({}))
            .await,
        json!(true)
    );
    let r = t
        .read1(
            "sale.order",
            so,
            &[
                "subscription_state",
                "start_date",
                "next_invoice_date",
                "end_date",
            ],
        )
        .await;
    assert_eq!(r["subscription_state"], "3_progress");
    assert!(r["start_date"].is_string());
    assert_eq!(r["next_invoice_date"], r["start_date"]);
    assert_eq!(r["end_date"], json!(false));
    assert_eq!(
        t.ok("sale.order", "set_close", json!([[so]]), json!({}))
            .await,
        json!(true)
    );
    let r = t
        .read1("sale.order", so, &["subscription_state", "end_date"])
        .await;
    assert_eq!(r["subscription_state"], "6_churn");
    assert!(r["end_date"].is_string());
}

#[tokio::test]
async fn invoicing_advances_next_invoice_date_and_bills_usage() {
    let t = Target::new().await;
    if !t.enterprise_module(MODULE, "sale.subscription.plan").await {
        return;
    }
    let (so, _, usage_line) = subscription(&t, "Monthly").await;
    t.ok("sale.order", "action_confirm", json!([[so]]), json!({}))
        .await;
    t.ok(
        "sale.order.line",
        "write",
        json!([[usage_line], {"qty_delivered": 1000}]),
        json!({}),
    )
    .await;
    let start = t.read1("sale.order", so, &["next_invoice_date"]).await["next_invoice_date"]
        .as_str()
        .unwrap()
        .to_string();
    let action = t
        .ok(
            "sale.order",
            "action_invoice_subscription",
            json!([[so]]),
            json!({}),
        )
        .await;
    let inv = action["res_id"].as_i64().expect("one invoice");
    let i = t
        .read1(
            "account.move",
            inv,
            &[
                "state",
                "amount_untaxed",
                "amount_total",
                "invoice_line_ids",
            ],
        )
        .await;
    assert_eq!(i["state"], "posted");
    assert_eq!(
        i["amount_untaxed"],
        json!(530.0),
        "30 recurring + 1000 × 0.50 delivered"
    );
    assert_eq!(i["amount_total"], json!(598.9));
    let next = t.read1("sale.order", so, &["next_invoice_date"]).await["next_invoice_date"]
        .as_str()
        .unwrap()
        .to_string();
    let s = chrono::NaiveDate::parse_from_str(&start, "%Y-%m-%d").unwrap();
    let n = chrono::NaiveDate::parse_from_str(&next, "%Y-%m-%d").unwrap();
    assert_eq!(n, s.checked_add_months(chrono::Months::new(1)).unwrap());
    assert_eq!(
        t.read1("sale.order.line", usage_line, &["qty_delivered"])
            .await["qty_delivered"],
        json!(0.0)
    );
}

#[tokio::test]
async fn yearly_plan_advances_one_year() {
    let t = Target::new().await;
    if !t.enterprise_module(MODULE, "sale.subscription.plan").await {
        return;
    }
    let (so, _, _) = subscription(&t, "Yearly").await;
    t.ok("sale.order", "action_confirm", json!([[so]]), json!({}))
        .await;
    let start = t.read1("sale.order", so, &["next_invoice_date"]).await["next_invoice_date"]
        .as_str()
        .unwrap()
        .to_string();
    t.ok(
        "sale.order",
        "action_invoice_subscription",
        json!([[so]]),
        json!({}),
    )
    .await;
    let next = t.read1("sale.order", so, &["next_invoice_date"]).await["next_invoice_date"]
        .as_str()
        .unwrap()
        .to_string();
    let s = chrono::NaiveDate::parse_from_str(&start, "%Y-%m-%d").unwrap();
    assert_eq!(
        chrono::NaiveDate::parse_from_str(&next, "%Y-%m-%d").unwrap(),
        s.checked_add_months(chrono::Months::new(12)).unwrap()
    );
}

#[tokio::test]
async fn cron_invoices_due_subscriptions_on_the_simulated_clock() {
    let t = Target::new().await;
    let sim = sim_only!(t);
    let (so, _, usage_line) = subscription(&t, "Monthly").await;
    t.ok("sale.order", "action_confirm", json!([[so]]), json!({}))
        .await;
    let first = sim.run_recurring_invoicing().unwrap();
    assert_eq!(first.len(), 1, "due today");
    assert!(
        sim.run_recurring_invoicing().unwrap().is_empty(),
        "next period not due yet"
    );
    t.ok(
        "sale.order.line",
        "write",
        json!([[usage_line], {"qty_delivered": 10}]),
        json!({}),
    )
    .await;
    sim.advance_clock(31);
    let second = sim.run_recurring_invoicing().unwrap();
    assert_eq!(second.len(), 1);
    let i = t
        .read1(
            "account.move",
            second[0],
            &["amount_untaxed", "invoice_date", "state"],
        )
        .await;
    assert_eq!(i["amount_untaxed"], json!(35.0));
    assert_eq!(i["state"], "posted");
    let r = t
        .read1("sale.order", so, &["next_invoice_date", "invoice_count"])
        .await;
    assert!(
        r["next_invoice_date"].as_str().unwrap()
            > sim.today().format("%Y-%m-%d").to_string().as_str()
    );
    assert_eq!(r["invoice_count"], 2);
}

#[tokio::test]
async fn without_subscriptions_the_module_is_absent() {
    let t = Target::with(SimOptions {
        with_subscriptions: false,
        ..SimOptions::default()
    })
    .await;
    // On a real server this runs where the module is absent (Community); with Enterprise's
    // sale_subscription installed there is nothing to check.
    if !t.is_sim() && t.has_model("sale.subscription.plan").await {
        crate::harness::skipped(&format!(
            "a server without sale_subscription ({} has it)",
            t.url
        ));
        return;
    }
    let e = t
        .err("sale.subscription.plan", "search", json!([[]]), json!({}))
        .await;
    assert_eq!(
        e["data"]["message"],
        "Object sale.subscription.plan doesn't exist"
    );
    let e = t
        .err(
            "sale.order",
            "search",
            json!([[["plan_id", "!=", false]]]),
            json!({}),
        )
        .await;
    assert_eq!(
        e["data"]["message"],
        "Invalid field sale.order.plan_id in condition ('plan_id', '!=', False)"
    );
    let e = t
        .err("sale.order", "set_close", json!([[1]]), json!({}))
        .await;
    assert_eq!(e["data"]["name"], "builtins.AttributeError");
    let v: Value = t.rpc("common", "version", json!([])).await;
    assert_eq!(v["result"]["server_version"], "19.0");
}
