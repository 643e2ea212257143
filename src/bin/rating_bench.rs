//! `rating-bench`: Odoo calls of one rating-push cycle for `--subscriptions` active
//! subscriptions (default 10,000) of which `--changed-percent` (default 5) received new usage,
//! counted by the in-process Odoo simulator; also the cycle's duration.
//!
//! ```text
//! cargo build --profile production --bins
//! target/production/rating-bench
//! target/production/rating-bench --store postgres://postgres@127.0.0.1:5432/test
//! ```

use std::time::Instant;

use clap::Parser;
use fusion_billing::bridge::Bridge;
use fusion_billing::configuration::Settings;
use fusion_billing::meter::events::NewEvent;
use fusion_billing::meter::time::now_micros;
use fusion_billing::meter::writer::raw_insert;
use fusion_billing::meter::Store;
use fusion_billing::startup::Application;
use fusion_billing::sync::RatingPush;
use futures::StreamExt;
use serde_json::{json, Value};
use sqlx::Connection;

#[derive(Parser, Debug)]
#[command(about = "Odoo calls per rating-push cycle")]
struct Args {
    /// `sqlite` (a temp file) or a PostgreSQL server URL (a fresh database is created).
    #[arg(long, default_value = "sqlite")]
    store: String,
    /// Active subscriptions.
    #[arg(long, default_value_t = 10_000)]
    subscriptions: usize,
    /// Share of subscriptions with new usage before the measured cycle, percent.
    #[arg(long, default_value_t = 5)]
    changed_percent: usize,
}

async fn call(c: &reqwest::Client, base: &str, key: &str, path: &str, body: Value) -> Value {
    let r = c
        .post(format!("{base}{path}"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

fn events(service_subs: &[usize], round: &str) -> Vec<NewEvent> {
    let now = now_micros();
    service_subs
        .iter()
        .map(|i| NewEvent {
            lago_id: uuid::Uuid::new_v4().to_string(),
            external_subscription_id: format!("sub-{i}"),
            transaction_id: format!("{round}-{i}"),
            code: "calls".into(),
            timestamp: now - 60_000_000,
            properties: format!(r#"{{"n":{}}}"#, 1500 + i),
            precise_total_amount_cents: None,
            fingerprint: format!("{round}-{i:060}"),
            created_at: now - 60_000_000,
        })
        .collect()
}

/// A store URL for `--store`: a temp SQLite file (kept alive by the returned dir) or a fresh
/// PostgreSQL database.
async fn store_url(store: &str) -> (String, Option<tempfile::TempDir>) {
    if store == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        (
            format!("sqlite://{}/bench.db", dir.path().display()),
            Some(dir),
        )
    } else {
        let name = format!("fb_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(store).await.expect("postgres");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut u = url::Url::parse(store).unwrap();
        u.set_path(&format!("/{name}"));
        (u.to_string(), None)
    }
}

/// The gateway with its settings, on a simulator, with one app.
struct Gateway {
    settings: Settings,
    store: Store,
    base: String,
    key: String,
    service_id: i64,
    c: reqwest::Client,
}

async fn start(url: String, sim: &fusion_billing::odoo_sim::SimHandle) -> Gateway {
    let mut settings = Settings::load_from(None, Vec::new()).unwrap();
    settings.store.url = url;
    settings.log.level = "off".into();
    settings.odoo.url = sim.base_url();
    settings.odoo.database = "odoo".into();
    settings.odoo.login = "admin".into();
    settings.odoo.password = "admin".into();
    settings.rating.interval_secs = 86_400;
    let store = Store::connect(&settings.store).await.unwrap();
    store.migrate().await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app = Application::with_listener(settings.clone(), store.clone(), listener).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let key = store.services().add_service("bench").await.unwrap().api_key;
    let service_id = store
        .services()
        .service_for_key(&key)
        .await
        .unwrap()
        .unwrap()
        .id;
    Gateway {
        settings,
        store,
        base,
        key,
        service_id,
        c: reqwest::Client::new(),
    }
}

/// A metric and a graduated plan, then `subscriptions` subscriptions to it (8 at a time).
async fn seed(g: &Gateway, subscriptions: usize) {
    let (c, base, key) = (&g.c, g.base.as_str(), g.key.as_str());
    let m = call(
        c,
        base,
        key,
        "/api/v1/billable_metrics",
        json!({"billable_metric": {
        "name": "API calls", "code": "calls", "aggregation_type": "sum_agg", "field_name": "n"}}),
    )
    .await;
    call(c, base, key, "/api/v1/plans", json!({"plan": {"name": "API", "code": "api",
        "interval": "monthly", "amount_cents": 1000, "amount_currency": "CAD", "charges": [
        {"billable_metric_id": m["billable_metric"]["lago_id"], "charge_model": "graduated",
         "properties": {"graduated_ranges": [
            {"from_value": 0, "to_value": 1000, "per_unit_amount": "0", "flat_amount": "0"},
            {"from_value": 1001, "to_value": null, "per_unit_amount": "0.01", "flat_amount": "0"}]}}]}})).await;
    let t = Instant::now();
    futures::stream::iter(0..subscriptions)
        .for_each_concurrent(8, |i| async move {
            call(
                c,
                base,
                key,
                "/api/v1/subscriptions",
                json!({"subscription": {
                "external_customer_id": format!("cust-{i}"), "plan_code": "api",
                "external_id": format!("sub-{i}")}}),
            )
            .await;
        })
        .await;
    eprintln!(
        "{subscriptions} subscriptions created in {:.0} s",
        t.elapsed().as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let a = Args::parse();
    let (url, _dir) = store_url(&a.store).await;
    let sim = fusion_billing::odoo_sim::spawn(Default::default())
        .await
        .unwrap();
    let g = start(url, &sim).await;
    seed(&g, a.subscriptions).await;
    sim.run_recurring_invoicing().unwrap();
    let (store, service_id) = (&g.store, g.service_id);
    let all: Vec<usize> = (0..a.subscriptions).collect();
    raw_insert(store, service_id, &events(&all, "r1"), 5000)
        .await
        .unwrap();
    let push = RatingPush::new(Bridge::new(&g.settings, store.clone()));
    let t = Instant::now();
    let first = push.cycle().await.unwrap();
    let first_s = t.elapsed().as_secs_f64();
    let changed: Vec<usize> = (0..a.subscriptions)
        .step_by(100 / a.changed_percent.max(1))
        .collect();
    raw_insert(store, service_id, &events(&changed, "r2"), 5000)
        .await
        .unwrap();
    sim.reset_call_count();
    let t = Instant::now();
    let r = push.cycle().await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    let calls = sim.rpc_call_count();
    println!("store: {}", a.store.split(':').next().unwrap_or(""));
    println!(
        "first cycle (all {} subscriptions with usage): {first:?} in {first_s:.1} s",
        a.subscriptions
    );
    println!(
        "measured cycle: {} of {} subscriptions changed: {r:?} in {secs:.2} s",
        changed.len(),
        a.subscriptions
    );
    println!("Odoo calls in the measured cycle: {calls} (target ≤ 600)");
}
