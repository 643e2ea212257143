//! Dual-run reconciliation against the Odoo under test (the simulator, or real Odoo with
//! `FUSION_TEST_REAL_ODOO=1`, see `odoo_under_test`): subscriptions created through the API,
//! invoiced by Odoo, amounts reported by the app with deliberate differences; the API and the
//! CLI report exactly those, a rerun shows what changed, and another app sees nothing of it.

use serde_json::{json, Value};

use crate::both_backends;
use fusion_billing::odoo::invoices::{NewInvoice, NewInvoiceLine};
use fusion_billing::odoo::{OdooClient, PartnerId};
use rust_decimal::Decimal;

use crate::helpers::{binary, Backend, TestApp};
use crate::odoo_under_test::{unique_suffix, OdooUnderTest};

both_backends!(reconciliation_reports_exactly_the_differences);

async fn reconcile_cli(app: &TestApp, args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(binary())
        .arg("reconcile")
        .args(args)
        .env("FUSION__STORE__URL", &app.store_url)
        .env("FUSION__ODOO__URL", &app.settings.odoo.url)
        .env("FUSION__ODOO__DATABASE", &app.settings.odoo.database)
        .env("FUSION__ODOO__LOGIN", &app.settings.odoo.login)
        .env("FUSION__ODOO__PASSWORD", &app.settings.odoo.password)
        .output()
        .await
        .expect("run fusion-billing reconcile");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// (kind, subscription, app, odoo) of each discrepancy.
fn lines(r: &Value) -> Vec<(String, String, Option<i64>, Option<i64>)> {
    r["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["external_subscription_id"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                l["app_amount_cents"].as_i64(),
                l["odoo_amount_cents"].as_i64(),
            )
        })
        .collect()
}

fn report(sub: &str, cents: i64, period: &str) -> Value {
    json!({"external_customer_id": format!("cust-{sub}"), "external_subscription_id": sub,
           "period": period, "amount_cents": cents, "currency": "CAD"})
}

async fn reconciliation_reports_exactly_the_differences(backend: Backend) {
    let (app, under_test) = OdooUnderTest::spawn(backend, |_| {}).await;
    // Subscription ids unique to the run on a real server (s1 → s1-<run>).
    let x = if under_test.is_real() {
        unique_suffix()
    } else {
        String::new()
    };
    let sid = |s: &str| format!("{s}{x}");
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/plans",
            Some(
                json!({"plan": {"name": "Basic", "code": "basic", "interval": "monthly",
                "amount_cents": 1000, "amount_currency": "CAD"}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    for sub in ["s1", "s2", "s3", "s4"].map(sid) {
        let (s, b) = app
            .call(
                "POST",
                "/api/v1/subscriptions",
                Some(json!({"subscription": {"external_id": sub,
                    "external_customer_id": format!("cust-{sub}"), "plan_code": "basic"}})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let invoices = if under_test.is_real() {
        let mut all = Vec::new();
        for sub in ["s1", "s2", "s3", "s4"].map(sid) {
            all.extend(under_test.invoice_period(&app, &sub).await);
        }
        all
    } else {
        app.sim().run_recurring_invoicing().unwrap()
    };
    assert_eq!(invoices.len(), 4, "one invoice of 10.00 per subscription");
    let today = if under_test.is_real() {
        chrono::Utc::now().date_naive()
    } else {
        app.sim().today()
    };
    let period = today.format("%Y-%m").to_string();

    // A one-off invoice of 2.50 for cust-s1 (no subscription origin), posted in Odoo.
    let odoo = OdooClient::connect(&app.settings.odoo).await.unwrap();
    let partner = app
        .store
        .customers()
        .customer_by_external(app.service_id, &format!("cust-{}", sid("s1")))
        .await
        .unwrap()
        .unwrap()
        .partner_id;
    let inv = odoo
        .invoices()
        .create(&NewInvoice {
            partner: PartnerId(partner),
            currency: None,
            invoice_date: Some(today),
            reference: None,
            origin: None,
            lines: vec![NewInvoiceLine {
                product: None,
                name: Some("Setup fee".into()),
                quantity: Decimal::ONE,
                price_unit: Decimal::new(250, 2),
                taxes: Some(vec![]),
            }],
        })
        .await
        .unwrap();
    odoo.invoices().post(inv).await.unwrap();

    // s1 matches; s2 differs by 500; s3 differs by 3 (under the threshold of 5);
    // s4 is not reported (extra); s5 was billed by the app only (missing).
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/reconciliation",
            Some(json!({"reconciliation": [
                report(&sid("s1"), 1000, &period), report(&sid("s2"), 1500, &period),
                report(&sid("s3"), 1003, &period), report(&sid("s5"), 2000, &period)]})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["reconciliation"].as_array().unwrap().len(), 4);
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/reconciliation",
            Some(
                json!({"reconciliation": {"external_customer_id": "x", "period": "2025-13",
                "amount_cents": "ten"}}),
            ),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["error_details"]["period"], json!(["value_is_invalid"]));
    assert_eq!(
        b["error_details"]["amount_cents"],
        json!(["value_is_invalid"])
    );
    assert_eq!(
        b["error_details"]["currency"],
        json!(["value_is_mandatory"])
    );

    let (s, b) = app
        .call(
            "GET",
            &format!("/api/v1/reconciliation?period={period}&threshold_cents=5"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let r = &b["reconciliation"];
    let expected = vec![
        ("extra".to_string(), "".to_string(), None, Some(250)),
        ("different".to_string(), sid("s2"), Some(1500), Some(1000)),
        ("extra".to_string(), sid("s4"), None, Some(1000)),
        ("missing".to_string(), sid("s5"), Some(2000), None),
    ];
    assert_eq!(lines(r), expected, "{r}");
    assert_eq!(r["matched"], 2);
    assert_eq!(
        r["discrepancies"][0]["external_customer_id"],
        format!("cust-{}", sid("s1"))
    );
    assert_eq!(r["discrepancies"][1]["difference_cents"], -500);
    assert_eq!(
        r["discrepancies"][2]["odoo_invoices"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Without the threshold s3 differs too.
    let (_, b) = app
        .call(
            "GET",
            &format!("/api/v1/reconciliation?period={period}"),
            None,
        )
        .await;
    assert_eq!(lines(&b["reconciliation"]).len(), 5);
    let (s, b) = app.call("GET", "/api/v1/reconciliation", None).await;
    assert_eq!(
        (s, b["error_details"]["period"].clone()),
        (422, json!(["value_is_mandatory"]))
    );

    // Tenancy: another app sees neither these amounts nor these invoices.
    let chat = app.add_service("chat").await;
    let (s, b) = app
        .call_as(
            &chat,
            "GET",
            &format!("/api/v1/reconciliation?period={period}"),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["reconciliation"]["discrepancies"], json!([]));
    assert_eq!(b["reconciliation"]["matched"], 0);
    assert_eq!(b["reconciliation"]["odoo_total_cents"], 0);

    // The CLI: same result, stored; exit code 1 when there are discrepancies.
    let args = [
        "--service",
        "app",
        "--period",
        &period,
        "--threshold-cents",
        "5",
        "--format",
        "json",
    ];
    let (code, out) = reconcile_cli(&app, &args).await;
    assert_eq!(code, 1, "{out}");
    let first: Value = serde_json::from_str(&out).expect(&out);
    assert_eq!(lines(&first), expected);
    assert_eq!(first["changes"]["has_previous"], false);

    // The app corrects s2; a CSV reports s4 and the one-off. The rerun shows them resolved.
    let (s, _) = app
        .call(
            "POST",
            "/api/v1/reconciliation",
            Some(json!({"reconciliation": report(&sid("s2"), 1000, &period)})),
        )
        .await;
    assert_eq!(s, 200);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("billed.csv");
    let (s1, s4) = (sid("s1"), sid("s4"));
    std::fs::write(
        &csv,
        format!("external_customer_id,external_subscription_id,period,amount_cents,currency\ncust-{s4},{s4},,1000,CAD\ncust-{s1},,,250,CAD\n"),
    )
    .unwrap();
    let mut args2 = args.to_vec();
    let csv_path = csv.display().to_string();
    args2.extend(["--csv", &csv_path]);
    let (code, out) = reconcile_cli(&app, &args2).await;
    assert_eq!(code, 1, "{out}");
    let second: Value = serde_json::from_str(&out).expect(&out);
    assert_eq!(lines(&second), vec![expected[3].clone()]);
    assert_eq!(second["changes"]["has_previous"], true);
    let resolved: Vec<&str> = second["changes"]["resolved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["external_subscription_id"]
                .as_str()
                .unwrap_or("(one-off)")
        })
        .collect();
    assert_eq!(
        resolved,
        vec!["(one-off)".to_string(), sid("s2"), sid("s4")]
    );
    assert_eq!(second["changes"]["new"], json!([]));

    // Odoo credits s3's invoice in full: s3 now differs (Odoo 0, app 1003), a new line.
    let s3_order = app
        .store
        .subscriptions()
        .live_subscription(app.service_id, &sid("s3"))
        .await
        .unwrap()
        .unwrap()
        .sale_order_id
        .unwrap();
    let name = under_test
        .read(&app, "sale.order", &[s3_order], &["name"])
        .await[0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let s3_invoice = under_test
        .search_read(
            &app,
            "account.move",
            json!([["invoice_origin", "=", name]]),
            &["id"],
        )
        .await[0]["id"]
        .as_i64()
        .unwrap();
    odoo.credit_notes()
        .issue(fusion_billing::odoo::MoveId(s3_invoice), "goodwill", &[])
        .await
        .unwrap();
    let (code, out) = reconcile_cli(&app, &args).await;
    assert_eq!(code, 1, "{out}");
    let third: Value = serde_json::from_str(&out).expect(&out);
    let s3 = ("different".to_string(), sid("s3"), Some(1003), Some(0));
    assert_eq!(lines(&third), vec![s3.clone(), expected[3].clone()]);
    assert_eq!(
        lines(&json!({"discrepancies": third["changes"]["new"]})),
        vec![s3]
    );

    // Table and CSV formats.
    let (_, table) = reconcile_cli(
        &app,
        &[
            "--service",
            "app",
            "--period",
            &period,
            "--threshold-cents",
            "5",
        ],
    )
    .await;
    assert!(
        table.contains("missing") && table.contains(&sid("s5")),
        "{table}"
    );
    assert!(table.contains("since the previous run"), "{table}");
    let (_, csv_out) = reconcile_cli(
        &app,
        &[
            "--service",
            "app",
            "--period",
            &period,
            "--format",
            "csv",
            "--threshold-cents",
            "5",
        ],
    )
    .await;
    assert!(
        csv_out.starts_with("kind,external_customer_id"),
        "{csv_out}"
    );
    let s5 = sid("s5");
    assert!(
        csv_out.contains(&format!("missing,cust-{s5},{s5},2000,,,CAD,")),
        "{csv_out}"
    );
}
