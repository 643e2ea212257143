//! `fusion-billing import nexacloud` as a child process against a real PostgreSQL source
//! (a fresh database per test, loaded from fixtures/nexacloud/schema.sql + seed.sql), a
//! gateway store and the Odoo simulator: test connection, dry run (nothing written), two
//! real runs (the second creates nothing), the records in Odoo, and the cut-over.
//!
//! Expected numbers come from the fixture (see the comment at the top of seed.sql):
//! - customers: 210 users, 1 deleted → 209 created, 1 skipped;
//! - subscriptions: 209; skipped 11 cancelled + 1 of the deleted user = 12; failed 2 (USD,
//!   unknown plan); created 195;
//! - deployments: 209; skipped 20 deleted + 1 of the deleted user = 21; created 188.
//!
//! The importer reads only PostgreSQL (`src/import/source.rs`), so every test here, the
//! SQLite-store variant too, needs `FUSION_TEST_POSTGRES_URL` for the source: a
//! [`crate::helpers::prerequisite`] (a failure under CI, `SKIPPED` locally).

use std::process::Output;

use serde_json::{json, Value};
use sqlx::Connection;

use crate::both_backends;
use crate::helpers::{binary, postgres_url, Backend, TestApp};

both_backends!(import_dry_run_then_two_idempotent_runs_then_cut_over);

/// A fresh PostgreSQL database loaded with the NexaCloud fixture; its URL.
pub async fn nexacloud_db(base: &str) -> String {
    // `fb_test_` so CI cleans it up with the other test databases.
    let name = format!("fb_test_nexa_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(base).await.expect("connect");
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .expect("create database");
    let mut url = url::Url::parse(base).unwrap();
    url.set_path(&format!("/{name}"));
    let url = url.to_string();
    let mut db = sqlx::PgConnection::connect(&url).await.expect("connect");
    for f in [
        "fixtures/nexacloud/schema.sql",
        "fixtures/nexacloud/seed.sql",
    ] {
        let sql = std::fs::read_to_string(f).expect(f);
        sqlx::raw_sql(&sql).execute(&mut db).await.expect(f);
    }
    url
}

const PLAN_MAP: &str = "starter=hosting-starter,pro=hosting-pro,business=hosting-business";

async fn import(app: &TestApp, dsn: &str, args: &[&str]) -> (i32, Value, String) {
    let mut cmd = tokio::process::Command::new(binary());
    cmd.args(["import", "nexacloud", "--service", "hosting", "--json"])
        .args(args)
        .env("FUSION__STORE__URL", &app.store_url)
        .env("FUSION__IMPORT__NEXACLOUD_DSN", dsn)
        .env("FUSION__IMPORT__PLAN_MAP", PLAN_MAP);
    if let Some(sim) = &app.odoo {
        cmd.env("FUSION__ODOO__URL", sim.base_url())
            .env("FUSION__ODOO__DATABASE", "odoo")
            .env("FUSION__ODOO__LOGIN", "admin")
            .env("FUSION__ODOO__PASSWORD", "admin");
    }
    let out: Output = cmd.output().await.expect("run fusion-billing import");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v = serde_json::from_str(&stdout)
        .unwrap_or_else(|_| panic!("not JSON: {stdout}\nstderr: {stderr}"));
    (out.status.code().unwrap_or(-1), v, stderr)
}

fn counts(report: &Value, entity: &str) -> [u64; 5] {
    let c = &report["counts"][entity];
    ["created", "updated", "unchanged", "skipped", "failed"].map(|k| c[k].as_u64().unwrap())
}

fn count(app: &TestApp, model: &str, domain: Value) -> usize {
    app.sim().search(model, domain).unwrap().len()
}

async fn hosting_with_plans(app: &TestApp) -> String {
    let key = app.add_service("hosting").await;
    for (code, cents) in [
        ("hosting-starter", 900),
        ("hosting-pro", 2900),
        ("hosting-business", 9900),
    ] {
        let (s, b) = app
            .call_as(
                &key,
                "POST",
                "/api/v1/plans",
                Some(
                    json!({"plan": {"name": code, "code": code, "interval": "monthly",
                    "amount_cents": cents, "amount_currency": "CAD"}}),
                ),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    key
}

async fn hosting_id(app: &TestApp) -> i64 {
    app.store
        .services()
        .list_services()
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.name == "hosting")
        .unwrap()
        .id
}

async fn import_dry_run_then_two_idempotent_runs_then_cut_over(backend: Backend) {
    let Some(pg) = postgres_url() else { return };
    let source = nexacloud_db(&pg).await;
    let app = TestApp::spawn_with_odoo(backend).await;
    let key = hosting_with_plans(&app).await;
    let hosting = hosting_id(&app).await;

    // Test connection, with a SQLAlchemy URL: the driver suffix is dropped with a notice.
    let alchemy = source.replacen("postgres://", "postgresql+asyncpg://", 1);
    let (code, r, stderr) = import(&app, &alchemy, &["--test-connection"]).await;
    assert_eq!(code, 0, "{r}");
    assert!(stderr.contains("+asyncpg"), "{stderr}");
    let rows: Vec<(String, i64)> = r["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_string(),
                t["rows"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("users".into(), 210),
            ("plans".into(), 4),
            ("subscriptions".into(), 209),
            ("deployments".into(), 209)
        ]
    );

    // Dry run: the whole report, and nothing written anywhere.
    let partners_before = count(&app, "res.partner", json!([]));
    let orders_before = count(&app, "sale.order", json!([]));
    assert_eq!(orders_before, 0);
    app.sim().reset_call_count();
    let (code, dry, _) = import(&app, &source, &["--dry-run"]).await;
    assert_eq!(code, 1, "two subscriptions fail: {dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(counts(&dry, "customer"), [209, 0, 0, 1, 0]);
    assert_eq!(counts(&dry, "subscription"), [195, 0, 0, 12, 2]);
    assert_eq!(counts(&dry, "deployment"), [188, 0, 0, 21, 0]);
    let failed: Vec<(String, String)> = dry["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"] == "failed")
        .map(|i| {
            (
                i["source_id"].as_str().unwrap().into(),
                i["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    let notes: Vec<(&str, &str)> = dry["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["entity"] == "customer" && i["outcome"] == "created")
        .map(|i| {
            (
                i["source_id"].as_str().unwrap(),
                i["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        notes.len(),
        6,
        "4 without email, 2 sharing an email: {notes:?}"
    );
    assert!(notes
        .iter()
        .any(|(id, n)| *id == "202" && n.contains("same email as user 201")));
    assert!(notes
        .iter()
        .any(|(id, n)| *id == "7" && n.contains("no email")));
    assert_eq!(failed[0].0, "1150");
    assert!(failed[0].1.contains("currency mismatch"), "{failed:?}");
    assert_eq!(failed[1].0, "1160");
    assert!(failed[1].1.contains("unknown plan") && failed[1].1.contains("legacy-reseller"));
    assert_eq!(
        app.sim().rpc_call_count(),
        0,
        "a dry run does not even call Odoo"
    );
    assert_eq!(count(&app, "res.partner", json!([])), partners_before);
    assert_eq!(count(&app, "sale.order", json!([])), 0);
    let (_, n) = app
        .store
        .customers()
        .list_customers(hosting, None, 10, 0)
        .await
        .unwrap();
    assert_eq!(n, 0, "no local customers after a dry run");

    // First real run: what the dry run announced.
    let (code, first, _) = import(&app, &source, &[]).await;
    assert_eq!(code, 1, "{first}");
    assert_eq!(first["dry_run"], false);
    assert_eq!(counts(&first, "customer"), [209, 0, 0, 1, 0]);
    assert_eq!(counts(&first, "subscription"), [195, 0, 0, 12, 2]);
    assert_eq!(counts(&first, "deployment"), [188, 0, 0, 21, 0]);
    // Shadow-safe: 195 draft subscription quotations, nothing confirmed, nothing invoiced.
    let orders = app.sim().search("sale.order", json!([])).unwrap();
    assert_eq!(orders.len(), 195);
    let states = app
        .sim()
        .read(
            "sale.order",
            &orders,
            &["state", "subscription_state", "is_subscription"],
        )
        .unwrap();
    assert!(states.iter().all(|o| o["state"] == "draft"
        && o["subscription_state"] == "1_draft"
        && o["is_subscription"] == true));
    assert_eq!(count(&app, "account.move", json!([])), 0);
    // Partners deduplicated by email: two pairs of users differing only in case share one.
    assert_eq!(count(&app, "res.partner", json!([])), partners_before + 207);
    for email in ["dup.case@example.com", "twin@maple.ca"] {
        assert_eq!(
            count(&app, "res.partner", json!([["email", "=ilike", email]])),
            1,
            "{email}"
        );
    }
    let c201 = app
        .store
        .customers()
        .customer_by_external(hosting, "201")
        .await
        .unwrap()
        .unwrap();
    let c202 = app
        .store
        .customers()
        .customer_by_external(hosting, "202")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c201.partner_id, c202.partner_id);
    // Links: the app's API finds the imported customer; the shadow is not a live subscription.
    let (s, b) = app.call_as(&key, "GET", "/api/v1/customers/1", None).await;
    assert_eq!(
        (s, b["customer"]["email"].clone()),
        (200, json!("user1@example.com"))
    );
    let (s, _) = app
        .call_as(&key, "GET", "/api/v1/subscriptions/1001", None)
        .await;
    assert_eq!(s, 404, "a shadow copy is not live");
    let shadow = app
        .store
        .subscriptions()
        .subscription_in_status(hosting, "1001", "shadow")
        .await
        .unwrap()
        .expect("shadow row");
    let order_id = shadow.sale_order_id.expect("order");

    // Second run: nothing new.
    let (code, second, _) = import(&app, &source, &[]).await;
    assert_eq!(code, 1);
    assert_eq!(counts(&second, "customer"), [0, 0, 209, 1, 0]);
    assert_eq!(counts(&second, "subscription"), [0, 0, 195, 12, 2]);
    assert_eq!(counts(&second, "deployment"), [0, 0, 188, 21, 0]);
    assert_eq!(count(&app, "sale.order", json!([])), 195);
    assert_eq!(count(&app, "res.partner", json!([])), partners_before + 207);

    // The text report: the summary table and the reasons.
    let out = tokio::process::Command::new(binary())
        .args(["import", "nexacloud", "--service", "hosting", "--dry-run"])
        .env("FUSION__STORE__URL", &app.store_url)
        .env("FUSION__IMPORT__NEXACLOUD_DSN", &source)
        .env("FUSION__IMPORT__PLAN_MAP", PLAN_MAP)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for want in [
        "DRY RUN",
        "would create",
        "subscription",
        "unknown plan",
        "currency mismatch",
        "status \"cancelled\"",
    ] {
        assert!(text.contains(want), "{want} in {text}");
    }

    // Fix the source: the failures import, a changed name updates; exit code 0.
    let mut db = sqlx::PgConnection::connect(&source).await.unwrap();
    sqlx::raw_sql(
        "UPDATE subscriptions SET currency = 'CAD' WHERE id = 1150; \
         UPDATE subscriptions SET plan_id = 1 WHERE id = 1160; \
         UPDATE users SET full_name = 'User One Renamed' WHERE id = 1;",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let (code, third, _) = import(&app, &source, &[]).await;
    assert_eq!(code, 0, "{third}");
    assert_eq!(counts(&third, "customer"), [0, 1, 208, 1, 0]);
    assert_eq!(counts(&third, "subscription"), [2, 0, 195, 12, 0]);
    assert_eq!(count(&app, "sale.order", json!([])), 197);
    let c1 = app
        .store
        .customers()
        .customer_by_external(hosting, "1")
        .await
        .unwrap()
        .unwrap();
    let p = app
        .sim()
        .read("res.partner", &[c1.partner_id], &["name"])
        .unwrap();
    assert_eq!(p[0]["name"], "User One Renamed");

    // Cut-over: the app creates subscription 1001 (user 1, legacy pro) through the API. The
    // shadow quotation is confirmed; no second sale.order.
    let (s, b) = app
        .call_as(
            &key,
            "POST",
            "/api/v1/subscriptions",
            Some(
                json!({"subscription": {"external_id": "1001", "external_customer_id": "1",
                "plan_code": "hosting-pro"}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["subscription"]["status"], "active");
    assert_eq!(
        count(&app, "sale.order", json!([])),
        197,
        "no duplicate order"
    );
    let live = app
        .store
        .subscriptions()
        .live_subscription(hosting, "1001")
        .await
        .unwrap()
        .expect("live");
    assert_eq!(live.sale_order_id, Some(order_id));
    assert_eq!(live.lago_id, shadow.lago_id);
    let o = app
        .sim()
        .read("sale.order", &[order_id], &["state", "subscription_state"])
        .unwrap();
    assert_eq!(
        (o[0]["state"].clone(), o[0]["subscription_state"].clone()),
        (json!("sale"), json!("3_progress"))
    );
    // Cut-over on another plan: the shadow quotation is cancelled, a new order is made.
    let old = app
        .store
        .subscriptions()
        .subscription_in_status(hosting, "1002", "shadow")
        .await
        .unwrap()
        .expect("shadow 1002")
        .sale_order_id
        .unwrap();
    let (s, b) = app
        .call_as(
            &key,
            "POST",
            "/api/v1/subscriptions",
            Some(
                json!({"subscription": {"external_id": "1002", "external_customer_id": "2",
                "plan_code": "hosting-starter"}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(count(&app, "sale.order", json!([])), 198);
    let o = app.sim().read("sale.order", &[old], &["state"]).unwrap();
    assert_eq!(o[0]["state"], "cancel");
    let live = app
        .store
        .subscriptions()
        .live_subscription(hosting, "1002")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(live.sale_order_id, Some(old));

    // A later import leaves the cut-over subscriptions alone.
    let (_, fourth, _) = import(&app, &source, &[]).await;
    assert_eq!(counts(&fourth, "subscription"), [0, 0, 195, 14, 0]);
    assert_eq!(count(&app, "sale.order", json!([])), 198);
}

/// The README's least-privilege role is enough for the test connection, and it cannot write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn least_privilege_role_passes_the_test_connection() {
    let Some(pg) = postgres_url() else { return };
    let source = nexacloud_db(&pg).await;
    let db_name = url::Url::parse(&source)
        .unwrap()
        .path()
        .trim_start_matches('/')
        .to_string();
    let role = format!("ro_{}", &db_name[db_name.len() - 12..]);
    let mut db = sqlx::PgConnection::connect(&source).await.unwrap();
    sqlx::raw_sql(&format!(
        "CREATE ROLE {role} WITH LOGIN PASSWORD 'pw'; \
         GRANT CONNECT ON DATABASE \"{db_name}\" TO {role}; \
         GRANT USAGE ON SCHEMA public TO {role}; \
         GRANT SELECT ON users, plans, subscriptions, deployments TO {role};"
    ))
    .execute(&mut db)
    .await
    .unwrap();
    let mut ro = url::Url::parse(&source).unwrap();
    ro.set_username(&role).unwrap();
    ro.set_password(Some("pw")).unwrap();
    let out = tokio::process::Command::new(binary())
        .args([
            "import",
            "nexacloud",
            "--service",
            "hosting",
            "--test-connection",
            "--json",
        ])
        .env("FUSION__IMPORT__NEXACLOUD_DSN", ro.to_string())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(r["role"], json!(role));
    assert!(
        r["tables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["writable"] == false),
        "{r}"
    );

    // A missing column is named, and nothing is imported.
    sqlx::raw_sql("ALTER TABLE users RENAME COLUMN full_name TO display_name")
        .execute(&mut db)
        .await
        .unwrap();
    let out = tokio::process::Command::new(binary())
        .args([
            "import",
            "nexacloud",
            "--service",
            "hosting",
            "--test-connection",
        ])
        .env("FUSION__IMPORT__NEXACLOUD_DSN", ro.to_string())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("missing columns: full_name"), "{stdout}");
    // The mapping fixes it.
    let out = tokio::process::Command::new(binary())
        .args([
            "import",
            "nexacloud",
            "--service",
            "hosting",
            "--test-connection",
        ])
        .env("FUSION__IMPORT__NEXACLOUD_DSN", ro.to_string())
        .env("FUSION__IMPORT__COLUMNS__USER_NAME", "display_name")
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    sqlx::raw_sql(&format!("DROP OWNED BY {role}; DROP ROLE {role};"))
        .execute(&mut db)
        .await
        .unwrap();
}
