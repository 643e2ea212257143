//! Exactly one effect per intent: every route that writes to Odoo or moves money gets the
//! same request thirty times at once — spread over two gateway replicas on one store — and
//! leaves exactly one effect in Odoo. Limits (creditable amounts, one live subscription per
//! `external_id`) hold under the burst.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::invoices::{odoo_rpc, one_off};

both_backends!(
    subscription_create_race_makes_one_order,
    subscription_terminate_race_closes_once,
    customer_upsert_race_makes_one_partner,
    plan_create_race_makes_one_product,
    one_off_invoice_race_posts_one_invoice,
    one_off_invoice_race_with_one_key_posts_one_invoice,
    credit_note_race_without_key_credits_once,
    credit_note_race_with_distinct_keys_never_over_credits,
    payment_race_registers_one_payment,
    void_race_voids_once,
    finalize_race_posts_once,
    customer_and_plan_delete_races_end_once,
);

const N: usize = 30;

/// The app and its two replicas' addresses.
async fn two_replicas(backend: Backend) -> (TestApp, Vec<String>) {
    let app = TestApp::spawn_with_odoo(backend).await;
    let second = app.replica().await;
    let addresses = vec![app.address.clone(), second];
    (app, addresses)
}

fn statuses(answers: &[(u16, Value)]) -> Vec<u16> {
    let mut s: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    s.sort_unstable();
    s
}

fn count(app: &TestApp, model: &str, domain: Value) -> usize {
    app.sim().search(model, domain).unwrap().len()
}

async fn plan(app: &TestApp, code: &str, amount_cents: i64) {
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
}

async fn subscription_create_race_makes_one_order(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    plan(&app, "pro", 4900).await;
    let body = json!({"subscription": {"external_customer_id": "acme", "plan_code": "pro",
        "external_id": "sub-race"}});
    let answers = app
        .burst(
            &addrs,
            N,
            "POST",
            "/api/v1/subscriptions",
            Some(body),
            |_| None,
        )
        .await;
    assert_eq!(statuses(&answers), vec![200; N], "{answers:?}");
    let ids: std::collections::HashSet<&str> = answers
        .iter()
        .map(|(_, b)| b["subscription"]["lago_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "one Lago subscription: {ids:?}");
    assert_eq!(
        count(
            &app,
            "sale.order",
            json!([["client_order_ref", "=", "sub-race"]])
        ),
        1,
        "exactly one sale.order in Odoo"
    );
    // Odoo's recurring invoicing then bills it once.
    let invoices = app.sim().run_recurring_invoicing().unwrap();
    assert_eq!(invoices.len(), 1);
    assert_eq!(
        count(
            &app,
            "res.partner",
            json!([["ref", "=", "fusion:app:acme"]])
        ),
        1,
        "one partner for the customer created on the way"
    );
}

async fn subscription_terminate_race_closes_once(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    plan(&app, "pro", 4900).await;
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/subscriptions",
            Some(
                json!({"subscription": {"external_customer_id": "acme", "plan_code": "pro",
                "external_id": "sub-t"}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let answers = app
        .burst(
            &addrs,
            N,
            "DELETE",
            "/api/v1/subscriptions/sub-t",
            None,
            |_| None,
        )
        .await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let gone = answers.iter().filter(|(s, _)| *s == 404).count();
    assert_eq!((ok, gone), (1, N - 1), "{answers:?}");
    assert_eq!(
        answers.iter().find(|(s, _)| *s == 200).unwrap().1["subscription"]["status"],
        "terminated"
    );
}

async fn customer_upsert_race_makes_one_partner(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    let body = json!({"customer": {"external_id": "c-race", "name": "Race Ltd",
        "email": "race@example.ca", "currency": "CAD"}});
    let answers = app
        .burst(&addrs, N, "POST", "/api/v1/customers", Some(body), |_| None)
        .await;
    assert_eq!(statuses(&answers), vec![200; N], "{answers:?}");
    assert_eq!(
        count(
            &app,
            "res.partner",
            json!([["email", "=", "race@example.ca"]])
        ),
        1,
        "one res.partner"
    );
    let ids: std::collections::HashSet<&str> = answers
        .iter()
        .map(|(_, b)| b["customer"]["lago_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1);
}

async fn plan_create_race_makes_one_product(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    let body = json!({"plan": {"name": "Race", "code": "race", "interval": "monthly",
        "amount_cents": 1000, "amount_currency": "CAD"}});
    let answers = app
        .burst(&addrs, N, "POST", "/api/v1/plans", Some(body), |_| None)
        .await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let taken = answers
        .iter()
        .filter(|(s, b)| *s == 422 && b["error_details"]["code"] == json!(["value_already_exist"]))
        .count();
    assert_eq!((ok, taken), (1, N - 1), "{answers:?}");
    assert_eq!(
        count(
            &app,
            "product.template",
            json!([["default_code", "=", "FC-app-race"]])
        ),
        1,
        "one base-fee product"
    );
}

fn one_off_body() -> Value {
    json!({"invoice": {"external_customer_id": "bob", "currency": "CAD", "fees": [
        {"add_on_code": "tokens", "unit_amount_cents": 1000, "units": "3"}]}})
}

async fn bob(app: &TestApp) {
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/customers",
            Some(json!({"customer": {"external_id": "bob", "name": "Bob", "currency": "CAD"}})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

fn out_invoices(app: &TestApp) -> usize {
    count(
        app,
        "account.move",
        json!([["move_type", "=", "out_invoice"]]),
    )
}

async fn one_off_invoice_race_posts_one_invoice(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    bob(&app).await;
    let answers = app
        .burst(
            &addrs,
            N,
            "POST",
            "/api/v1/invoices",
            Some(one_off_body()),
            |_| None,
        )
        .await;
    assert_eq!(statuses(&answers), vec![200; N], "{answers:?}");
    let ids: std::collections::HashSet<&str> = answers
        .iter()
        .map(|(_, b)| b["invoice"]["lago_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1, "every copy answers the same invoice");
    assert_eq!(out_invoices(&app), 1, "one posted invoice in Odoo");
}

async fn one_off_invoice_race_with_one_key_posts_one_invoice(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    bob(&app).await;
    let answers = app
        .burst(
            &addrs,
            N,
            "POST",
            "/api/v1/invoices",
            Some(one_off_body()),
            |_| Some("tokens-order-1".into()),
        )
        .await;
    // Copies that arrive while the first runs are told to retry (409); none creates anything.
    assert!(
        answers.iter().all(|(s, _)| *s == 200 || *s == 409),
        "{answers:?}"
    );
    assert!(answers.iter().any(|(s, _)| *s == 200));
    assert_eq!(out_invoices(&app), 1, "one posted invoice in Odoo");
    // A retry of the key now replays the one invoice.
    let (s, b) = app
        .burst(
            &addrs,
            1,
            "POST",
            "/api/v1/invoices",
            Some(one_off_body()),
            |_| Some("tokens-order-1".into()),
        )
        .await
        .remove(0);
    assert_eq!(s, 200, "{b}");
    assert_eq!(out_invoices(&app), 1);
}

fn refunds(app: &TestApp) -> Vec<i64> {
    app.sim()
        .search("account.move", json!([["move_type", "=", "out_refund"]]))
        .unwrap()
}

/// Ten credit notes of 40.00 + 13 % at once on a one-off invoice of 50.00 + 13 % for
/// customer `ext`, each with `keys(i)` as its `Idempotency-Key`.
async fn credit_burst(
    app: &TestApp,
    addrs: &[String],
    ext: &str,
    keys: impl Fn(usize) -> Option<String>,
) -> Vec<(u16, Value)> {
    let inv = one_off(app, ext).await;
    let body = json!({"credit_note": {"invoice_id": inv["lago_id"], "reason": "other",
        "credit_amount_cents": 4520, "refund_amount_cents": 0,
        "items": [{"fee_id": inv["fees"][0]["lago_id"], "amount_cents": 4000}]}});
    app.burst(addrs, 10, "POST", "/api/v1/credit_notes", Some(body), keys)
        .await
}

async fn credit_note_race_without_key_credits_once(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    let answers = credit_burst(&app, &addrs, "cn-race", |_| None).await;
    assert_eq!(statuses(&answers), vec![200; 10], "{answers:?}");
    assert_eq!(refunds(&app).len(), 1, "one posted out_refund");
}

async fn credit_note_race_with_distinct_keys_never_over_credits(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    let answers = credit_burst(&app, &addrs, "cn-keys", |i| Some(format!("cn-{i}"))).await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let refused = answers
        .iter()
        .filter(|(s, b)| {
            *s == 422
                && b["error_details"]["amount_cents"] == json!(["higher_than_remaining_fee_amount"])
        })
        .count();
    assert_eq!((ok, refused), (1, 9), "{answers:?}");
    assert_eq!(
        refunds(&app).len(),
        1,
        "one posted out_refund, never more than the fee"
    );
    let total: f64 = app
        .sim()
        .read("account.move", &refunds(&app), &["amount_total"])
        .unwrap()
        .iter()
        .map(|m| m["amount_total"].as_f64().unwrap())
        .sum();
    assert_eq!(total, 45.2);
}

async fn payment_race_registers_one_payment(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    let inv = one_off(&app, "pay-race").await;
    let id = inv["lago_id"].as_str().unwrap();
    let answers = app
        .burst(
            &addrs,
            N,
            "PUT",
            &format!("/api/v1/invoices/{id}"),
            Some(json!({"invoice": {"payment_status": "succeeded"}})),
            |_| None,
        )
        .await;
    assert_eq!(statuses(&answers), vec![200; N], "{answers:?}");
    let payments = {
        let state = app.sim().state();
        let sim = state.lock().unwrap();
        sim.db.ids("account.payment").len()
    };
    assert_eq!(payments, 1, "one payment registered in Odoo");
}

async fn void_race_voids_once(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    let inv = one_off(&app, "void-race").await;
    let id = inv["lago_id"].as_str().unwrap();
    let answers = app
        .burst(
            &addrs,
            N,
            "POST",
            &format!("/api/v1/invoices/{id}/void"),
            None,
            |_| None,
        )
        .await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let refused = answers
        .iter()
        .filter(|(s, b)| *s == 405 && b["code"] == "not_voidable")
        .count();
    assert_eq!((ok, refused), (1, N - 1), "{answers:?}");
    assert_eq!(
        count(&app, "account.move", json!([["state", "=", "cancel"]])),
        1
    );
}

async fn finalize_race_posts_once(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    plan(&app, "std", 1000).await;
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/subscriptions",
            Some(
                json!({"subscription": {"external_customer_id": "dr", "plan_code": "std",
                "external_id": "sub-dr"}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let created = app.sim().run_recurring_invoicing().unwrap();
    // Finance resets the invoice to draft in Odoo; thirty finalize calls post it once.
    odoo_rpc(&app, "account.move", "button_draft", json!([[created[0]]])).await;
    let (_, l) = app.call("GET", "/api/v1/customers/dr/invoices", None).await;
    let id = l["invoices"][0]["lago_id"].as_str().unwrap().to_string();
    let answers = app
        .burst(
            &addrs,
            N,
            "PUT",
            &format!("/api/v1/invoices/{id}/finalize"),
            None,
            |_| None,
        )
        .await;
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let gone = answers
        .iter()
        .filter(|(s, b)| *s == 404 && b["code"] == "invoice_not_found")
        .count();
    assert_eq!((ok, gone), (1, N - 1), "{answers:?}");
    let posted = app
        .sim()
        .read("account.move", &created, &["state", "name"])
        .unwrap();
    assert_eq!(posted[0]["state"], "posted", "{posted:?}");
}

async fn customer_and_plan_delete_races_end_once(backend: Backend) {
    let (app, addrs) = two_replicas(backend).await;
    plan(&app, "gone", 1000).await;
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/subscriptions",
            Some(
                json!({"subscription": {"external_customer_id": "leaver", "plan_code": "gone",
                "external_id": "sub-leaver"}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    for path in ["/api/v1/customers/leaver", "/api/v1/plans/gone"] {
        let answers = app.burst(&addrs, N, "DELETE", path, None, |_| None).await;
        let ok = answers.iter().filter(|(s, _)| *s == 200).count();
        let gone = answers.iter().filter(|(s, _)| *s == 404).count();
        assert_eq!((ok, gone), (1, N - 1), "{path}: {answers:?}");
    }
    assert_eq!(
        count(
            &app,
            "sale.order",
            json!([["subscription_state", "=", "6_churn"]])
        ),
        1,
        "the subscription was closed once"
    );
}
