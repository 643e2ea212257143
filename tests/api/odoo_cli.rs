//! `fusion-billing odoo check` and `serve --odoo-sim` against the built-in simulator.

use std::process::Command;
use std::sync::{Arc, Mutex};

use fusion_billing::odoo_sim::{spawn, SimOptions};

use crate::helpers::{binary, fresh_store_url, Backend, ServerProcess};

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
