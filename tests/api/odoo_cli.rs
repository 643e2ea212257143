//! `fusion-billing odoo check` and `serve --odoo-sim` against the built-in simulator (and
//! `odoo check` against a real Odoo with `FUSION_TEST_REAL_ODOO=1`, see `odoo_under_test`).

use std::process::Command;
use std::sync::{Arc, Mutex};

use fusion_billing::odoo_sim::{spawn, SimOptions};

use crate::helpers::{binary, fresh_store_url, Backend, ServerProcess};
use crate::odoo_under_test::OdooUnderTest;

fn odoo_check(url: &str) -> (i32, String) {
    odoo_check_with(url, "admin")
}

fn odoo_check_with(url: &str, password: &str) -> (i32, String) {
    let out = Command::new(binary())
        .args(["odoo", "check"])
        .env("FUSION__ODOO__URL", url)
        .env("FUSION__ODOO__DATABASE", "odoo")
        .env("FUSION__ODOO__LOGIN", "admin")
        .env("FUSION__ODOO__PASSWORD", password)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odoo_check_passes_against_the_simulator() {
    let sim = spawn(SimOptions {
        password: "s3cret-pw".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let url = sim.base_url();
    let (code, out) = tokio::task::spawn_blocking(move || odoo_check_with(&url, "s3cret-pw"))
        .await
        .unwrap();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("19.0"), "reports the server version: {out}");
    assert!(out.contains("13 % sale tax"), "{out}");
    assert!(
        !out.contains("s3cret-pw"),
        "the password is never printed: {out}"
    );
}

/// The simulator, or with `FUSION_TEST_REAL_ODOO=1` the kit's Odoo 19 Community with the
/// `sale_subscription` test double: everything the gateway needs is there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odoo_check_passes_against_the_odoo_under_test() {
    let (app, odoo) = OdooUnderTest::spawn(Backend::Sqlite, |_| {}).await;
    let o = app.settings.odoo.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(binary())
            .args(["odoo", "check"])
            .env("FUSION__ODOO__URL", &o.url)
            .env("FUSION__ODOO__DATABASE", &o.database)
            .env("FUSION__ODOO__LOGIN", &o.login)
            .env("FUSION__ODOO__PASSWORD", &o.password)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("19.0"), "{text}");
    for line in [
        "ok      sale.order fields: is_subscription, plan_id, subscription_state",
        "ok      sale.subscription.plan fields",
        "ok      product.product fields: recurring_invoice",
        "ok      13 % sale tax",
    ] {
        assert!(text.contains(line), "{line:?} in:\n{text}");
    }
    if odoo.is_real() {
        assert!(text.contains("(Community)"), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odoo_check_names_what_is_missing() {
    let sim = spawn(SimOptions {
        with_subscriptions: false,
        ..Default::default()
    })
    .await
    .unwrap();
    let url = sim.base_url();
    let (code, out) = tokio::task::spawn_blocking(move || odoo_check(&url))
        .await
        .unwrap();
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("sale_subscription"), "{out}");
    assert!(out.contains("is_subscription"), "{out}");

    let (code, out) = tokio::task::spawn_blocking(|| odoo_check("http://127.0.0.1:9"))
        .await
        .unwrap();
    assert_eq!(code, 1, "an unreachable Odoo fails the check: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_odoo_sim_says_it_uses_the_simulator() {
    let (url, _dir) = fresh_store_url(Backend::Sqlite).await;
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let server = ServerProcess::start_with(&url, &["--odoo-sim"], move |l| {
        sink.lock().unwrap().push(l.to_string())
    });
    let r = reqwest::get(format!("{}/health", server.address))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let logs = lines.lock().unwrap().join("\n");
    assert!(logs.contains("ODOO SIMULATOR"), "{logs}");
}

/// Without `--odoo-sim` and without Odoo settings, `serve` refuses to start and says what
/// to configure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_without_odoo_refuses_and_says_what_to_set() {
    let (url, _dir) = fresh_store_url(Backend::Sqlite).await;
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(crate::helpers::binary())
            .arg("serve")
            .env("FUSION__STORE__URL", &url)
            .env("FUSION__SERVER__BIND", "127.0.0.1:0")
            .env_remove("FUSION__ODOO__URL")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "FUSION__ODOO__URL",
        "FUSION__ODOO__PASSWORD",
        "odoo check",
        "--odoo-sim",
    ] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
}

/// `odoo setup-automation` creates the two nudge rules in Odoo (a second run updates them);
/// the nudge route accepts only the shared token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_automation_creates_the_nudge_rules_once() {
    let sim = crate::helpers::spawn_sim().await;
    let (url, _dir) = fresh_store_url(Backend::Sqlite).await;
    let base = sim.base_url();
    let run = move || {
        std::process::Command::new(crate::helpers::binary())
            .args(["odoo", "setup-automation"])
            .env("FUSION__STORE__URL", &url)
            .env("FUSION__ODOO__URL", &base)
            .env("FUSION__ODOO__DATABASE", "odoo")
            .env("FUSION__ODOO__LOGIN", "admin")
            .env("FUSION__ODOO__PASSWORD", "admin")
            .env("FUSION__WATCHER__PUBLIC_URL", "http://gateway:8080")
            .env("FUSION__WATCHER__NUDGE_TOKEN", "s3cret-token")
            .output()
            .unwrap()
    };
    let first = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8_lossy(&first.stdout);
    assert_eq!(out.matches("created:").count(), 2, "{out}");
    assert!(!out.contains("s3cret-token"), "the token is never printed");
    let second = tokio::task::spawn_blocking(run).await.unwrap();
    assert!(second.status.success());
    assert_eq!(
        String::from_utf8_lossy(&second.stdout)
            .matches("updated:")
            .count(),
        2
    );
    let rules = sim
        .search("base.automation", serde_json::json!([]))
        .unwrap();
    assert_eq!(rules.len(), 2);
    let actions = sim
        .search(
            "ir.actions.server",
            serde_json::json!([["state", "=", "webhook"]]),
        )
        .unwrap();
    let a = sim
        .read("ir.actions.server", &actions, &["webhook_url", "usage"])
        .unwrap();
    assert_eq!(
        a[0]["webhook_url"],
        "http://gateway:8080/odoo/nudge?token=s3cret-token"
    );
    assert_eq!(a[0]["usage"], "base_automation");

    let app = crate::helpers::TestApp::spawn_with(Backend::Sqlite, |s| {
        s.watcher.nudge_token = "s3cret-token".into();
    })
    .await;
    let post = |q: &str| {
        app.client
            .post(format!("{}/odoo/nudge{q}", app.address))
            .json(&serde_json::json!({"_model": "account.move", "_id": 1}))
            .send()
    };
    assert_eq!(
        post("?token=s3cret-token").await.unwrap().status().as_u16(),
        200
    );
    assert_eq!(post("?token=wrong").await.unwrap().status().as_u16(), 401);
    assert_eq!(post("").await.unwrap().status().as_u16(), 401);
    let plain = crate::helpers::TestApp::spawn(Backend::Sqlite).await;
    let r = plain
        .client
        .post(format!("{}/odoo/nudge?token=x", plain.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "disabled without a token");
}
