//! `usage-bench`: latency of `GET /api/v1/customers/{id}/current_usage` on a subscription
//! holding `--events` stored events (default 1,000,000), against the in-process Odoo
//! simulator. Reports the first (cold) request, then p50/p99/max of `--requests` sequential
//! requests and of the same number spread over `--concurrency` clients, and the time of one
//! full (uncached) aggregation of the window for comparison.
//!
//! ```text
//! cargo build --profile production --bins
//! target/production/usage-bench --store sqlite
//! target/production/usage-bench --store postgres://postgres@127.0.0.1:5432/test
//! ```

use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use fusion_billing::billing::metric::{AggregationType, MetricSpec};
use fusion_billing::billing::window::BillingWindow;
use fusion_billing::configuration::Settings;
use fusion_billing::meter::events::NewEvent;
use fusion_billing::meter::time::{now_micros, to_micros};
use fusion_billing::meter::writer::raw_insert;
use fusion_billing::meter::Store;
use fusion_billing::startup::Application;
use hdrhistogram::Histogram;
use serde_json::{json, Value};
use sqlx::Connection;

#[derive(Parser, Debug)]
#[command(about = "current_usage latency benchmark of fusion-billing")]
struct Args {
    /// `sqlite` (a temp file) or a PostgreSQL server URL (a fresh database is created).
    #[arg(long, default_value = "sqlite")]
    store: String,
    /// Events stored on the subscription.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Requests per phase.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Clients of the concurrent phase.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

async fn store_url(a: &Args) -> (String, Option<tempfile::TempDir>) {
    if a.store == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        (
            format!("sqlite://{}/bench.db", dir.path().display()),
            Some(dir),
        )
    } else {
        let name = format!("fb_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&a.store)
            .await
            .expect("postgres");
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await
            .unwrap();
        let mut u = url::Url::parse(&a.store).unwrap();
        u.set_path(&format!("/{name}"));
        (u.to_string(), None)
    }
}

async fn call(
    c: &reqwest::Client,
    base: &str,
    key: &str,
    method: &str,
    path: &str,
    body: Value,
) -> Value {
    let r = c
        .request(
            reqwest::Method::from_str(method).unwrap(),
            format!("{base}{path}"),
        )
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{method} {path}: {status} {v}");
    v
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// The gateway on an Odoo simulator and a fresh store, with one app.
struct Gateway {
    base: String,
    key: String,
    service_id: i64,
    store: Store,
    c: reqwest::Client,
    _sim: fusion_billing::odoo_sim::SimHandle,
}

async fn start(a: &Args) -> (Gateway, Option<tempfile::TempDir>) {
    let (url, dir) = store_url(a).await;
    let sim = fusion_billing::odoo_sim::spawn(Default::default())
        .await
        .unwrap();
    let mut settings = Settings::load_from(None, Vec::new()).unwrap();
    settings.store.url = url;
    settings.log.level = "off".into();
    settings.odoo.url = sim.base_url();
    settings.odoo.database = "odoo".into();
    settings.odoo.login = "admin".into();
    settings.odoo.password = "admin".into();
    let store = Store::connect(&settings.store).await.unwrap();
    store.migrate().await.unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let app = Application::with_listener(settings, store.clone(), listener).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let creds = store.services().add_service("bench").await.unwrap();
    let key = creds.api_key.clone();
    let service_id = store
        .services()
        .service_for_key(&key)
        .await
        .unwrap()
        .unwrap()
        .id;
    let g = Gateway {
        base,
        key,
        service_id,
        store,
        c: reqwest::Client::new(),
        _sim: sim,
    };
    (g, dir)
}

/// A metric, a graduated plan and a subscription, through the API.
async fn seed_catalogue(g: &Gateway) {
    let (c, base, key) = (&g.c, g.base.as_str(), g.key.as_str());
    let m = call(c, base, key, "POST", "/api/v1/billable_metrics",
        json!({"billable_metric": {"name": "API calls", "code": "api_calls", "aggregation_type": "sum_agg", "field_name": "calls"}})).await;
    call(c, base, key, "POST", "/api/v1/plans", json!({"plan": {"name": "Bench", "code": "bench",
        "interval": "monthly", "amount_cents": 1000, "amount_currency": "CAD", "charges": [
            {"billable_metric_id": m["billable_metric"]["lago_id"], "charge_model": "graduated",
             "properties": {"graduated_ranges": [
                {"from_value": 0, "to_value": 1000, "per_unit_amount": "0.01", "flat_amount": "0"},
                {"from_value": 1001, "to_value": null, "per_unit_amount": "0.001", "flat_amount": "0"}]}}]}})).await;
    call(c, base, key, "POST", "/api/v1/subscriptions", json!({"subscription": {
        "external_customer_id": "bench-customer", "plan_code": "bench", "external_id": "bench-sub"}})).await;
}

/// Stores `n` events spread from `today` 00:00 UTC to now, straight into the store.
async fn store_events(g: &Gateway, n: usize, today: chrono::DateTime<chrono::Utc>) {
    let now = now_micros();
    let span = (now - to_micros(today) - 1_000_000).max(1);
    let events: Vec<NewEvent> = (0..n)
        .map(|i| NewEvent {
            lago_id: uuid::Uuid::new_v4().to_string(),
            external_subscription_id: "bench-sub".into(),
            transaction_id: format!("b-{i}"),
            code: "api_calls".into(),
            timestamp: to_micros(today) + (i as i64 * 7919) % span,
            properties: format!(r#"{{"calls":{}}}"#, i % 5 + 1),
            precise_total_amount_cents: None,
            fingerprint: format!("{i:064x}"),
            created_at: now - 60_000_000,
        })
        .collect();
    let t = Instant::now();
    raw_insert(&g.store, g.service_id, &events, 10_000)
        .await
        .unwrap();
    eprintln!("stored {n} events in {:.1} s", t.elapsed().as_secs_f64());
}

const USAGE_PATH: &str =
    "/api/v1/customers/bench-customer/current_usage?external_subscription_id=bench-sub";

/// `requests` current-usage requests one after the other.
async fn sequential(g: &Gateway, requests: usize) -> Histogram<u64> {
    let mut seq = Histogram::<u64>::new(3).unwrap();
    for _ in 0..requests {
        let t = Instant::now();
        call(&g.c, &g.base, &g.key, "GET", USAGE_PATH, json!(null)).await;
        seq.record(t.elapsed().as_micros() as u64).unwrap();
    }
    seq
}

/// `per` current-usage requests from each of `concurrency` clients at once: the latencies and
/// the rate (requests per second).
async fn concurrent(g: &Gateway, concurrency: usize, per: usize) -> (Histogram<u64>, f64) {
    let conc = Arc::new(std::sync::Mutex::new(Histogram::<u64>::new(3).unwrap()));
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (c, base, key, conc) = (g.c.clone(), g.base.clone(), g.key.clone(), conc.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..per {
                let t = Instant::now();
                call(&c, &base, &key, "GET", USAGE_PATH, json!(null)).await;
                conc.lock()
                    .unwrap()
                    .record(t.elapsed().as_micros() as u64)
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rps = (per * concurrency) as f64 / t.elapsed().as_secs_f64();
    let conc = conc.lock().unwrap().clone();
    (conc, rps)
}

#[tokio::main]
async fn main() {
    let a = Args::parse();
    let (g, _dir) = start(&a).await;
    seed_catalogue(&g).await;
    // The window starts today 00:00 UTC: spread the events from there to now.
    let today = chrono::Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    store_events(&g, a.events, today).await;

    let spec = MetricSpec {
        aggregation: AggregationType::Sum,
        field_name: Some("calls".into()),
        recurring: false,
    };
    let window = BillingWindow::new(today, today + chrono::Duration::days(28)).unwrap();
    let t = Instant::now();
    let full = g
        .store
        .usage()
        .aggregate_usage(g.service_id, "bench-sub", "api_calls", &spec, &window)
        .await
        .unwrap();
    let full_ms = t.elapsed().as_secs_f64() * 1000.0;

    let t = Instant::now();
    let first = call(&g.c, &g.base, &g.key, "GET", USAGE_PATH, json!(null)).await;
    let cold_ms = t.elapsed().as_secs_f64() * 1000.0;
    let units = first["customer_usage"]["charges_usage"][0]["units"].clone();

    let seq = sequential(&g, a.requests).await;
    let per = a.requests / a.concurrency.max(1);
    let (conc, conc_rps) = concurrent(&g, a.concurrency, per).await;
    println!(
        "store: {}, events on the subscription: {}, units: {units}",
        a.store.split(':').next().unwrap_or(""),
        a.events
    );
    println!(
        "full (uncached) window aggregation: {full_ms:.0} ms ({} events)",
        full.events_count
    );
    println!("first current_usage request (cold cache): {cold_ms:.0} ms");
    println!(
        "sequential {} requests: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        a.requests,
        ms(seq.value_at_quantile(0.5)),
        ms(seq.value_at_quantile(0.99)),
        ms(seq.max())
    );
    println!(
        "{} clients, {} requests: {conc_rps:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        a.concurrency,
        per * a.concurrency,
        ms(conc.value_at_quantile(0.5)),
        ms(conc.value_at_quantile(0.99)),
        ms(conc.max())
    );
}
