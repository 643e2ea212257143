//! `ingest-bench`: drives a running `fusion-billing serve` over loopback HTTP and reports
//! (a) batched ingest events/s (100 events/request, 64 concurrent), (b) single-event
//! requests/s with p50/p99 latency at 64 connections, (c) the store's raw batched insert
//! rate at the same durability (the ceiling), and (d) the gateway's peak RSS.
//!
//! It starts the gateway itself (the `fusion-billing` binary next to this one) on a fresh
//! store: `--store sqlite` (temp file) or `--store postgres://…` (a fresh database is
//! created there). Build and run with:
//!
//! ```text
//! cargo build --profile production --bins
//! target/production/ingest-bench --store sqlite --seconds 10
//! target/production/ingest-bench --store postgres://postgres@127.0.0.1:5432/test --seconds 10
//! ```
//!
//! Load generator and gateway share the machine: the numbers are for both on one box.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use fusion_billing::configuration::Settings;
use fusion_billing::meter::events::NewEvent;
use fusion_billing::meter::writer::raw_insert;
use fusion_billing::meter::Store;
use hdrhistogram::Histogram;
use sqlx::Connection;

#[derive(Parser, Debug)]
#[command(about = "Ingest benchmark of fusion-billing over loopback HTTP")]
struct Args {
    /// `sqlite` (a temp file) or a PostgreSQL server URL (a fresh database is created).
    #[arg(long, default_value = "sqlite")]
    store: String,
    /// Seconds per HTTP phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent requests.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Events per batch request.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Events for the raw insert ceiling.
    #[arg(long, default_value_t = 500_000)]
    raw_events: usize,
    /// Rows per transaction for the raw insert ceiling.
    #[arg(long, default_value_t = 5000)]
    raw_per_commit: usize,
}

struct Gateway {
    child: Child,
    address: String,
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sibling(name: &str) -> std::path::PathBuf {
    std::env::current_exe()
        .expect("current exe")
        .parent()
        .expect("exe dir")
        .join(name)
}

fn start_gateway(store_url: &str) -> Gateway {
    let mut child = Command::new(sibling("fusion-billing"))
        .args(["serve", "--odoo-sim"])
        .env("FUSION__STORE__URL", store_url)
        .env("FUSION__SERVER__BIND", "127.0.0.1:0")
        .env("FUSION__LOG__LEVEL", "warn,fusion_billing::cli=info")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start fusion-billing (build it with cargo build --profile production --bins)");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                if let Some(port) = v["fields"]["port"].as_u64() {
                    let _ = tx.send(port);
                }
            }
        }
    });
    let port = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("gateway port");
    Gateway {
        child,
        address: format!("http://127.0.0.1:{port}"),
    }
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn event_json(id: &str, i: usize) -> String {
    format!(
        r#"{{"transaction_id":"{id}","external_subscription_id":"sub-{}","code":"api_calls","timestamp":{},"properties":{{"calls":{}}}}}"#,
        i % 1000,
        1_700_000_000 + (i % 86_400),
        i % 17
    )
}

async fn phase_batched(a: &Args, gw: &Gateway, key: &str) -> (f64, u64) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let events = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..a.concurrency {
        let (client, stop, events, errors) =
            (client.clone(), stop.clone(), events.clone(), errors.clone());
        let (url, key, batch) = (
            format!("{}/api/v1/events/batch", gw.address),
            key.to_string(),
            a.batch,
        );
        tasks.push(tokio::spawn(async move {
            let mut r = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let mut body = String::with_capacity(batch * 160);
                body.push_str(r#"{"events":["#);
                for i in 0..batch {
                    if i > 0 {
                        body.push(',');
                    }
                    body.push_str(&event_json(&format!("b{w}-{r}-{i}"), r * batch + i));
                }
                body.push_str("]}");
                r += 1;
                match client
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                {
                    Ok(resp) if resp.status() == 200 => {
                        let _ = resp.bytes().await;
                        events.fetch_add(batch as u64, Ordering::Relaxed);
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(a.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let secs = start.elapsed().as_secs_f64();
    (
        events.load(Ordering::Relaxed) as f64 / secs,
        errors.load(Ordering::Relaxed),
    )
}

async fn phase_single(a: &Args, gw: &Gateway, key: &str) -> (f64, u64, u64, u64) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.concurrency)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let hist = Arc::new(Mutex::new(Histogram::<u64>::new(3).unwrap()));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..a.concurrency {
        let (client, stop, hist, errors) =
            (client.clone(), stop.clone(), hist.clone(), errors.clone());
        let (url, key) = (format!("{}/api/v1/events", gw.address), key.to_string());
        tasks.push(tokio::spawn(async move {
            let mut local = Histogram::<u64>::new(3).unwrap();
            let mut r = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let body = format!(r#"{{"event":{}}}"#, event_json(&format!("s{w}-{r}"), r));
                r += 1;
                let t = Instant::now();
                match client
                    .post(&url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                {
                    Ok(resp) if resp.status() == 200 => {
                        let _ = resp.bytes().await;
                        local.record(t.elapsed().as_micros() as u64).unwrap();
                    }
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            hist.lock().unwrap().add(local).unwrap();
        }));
    }
    tokio::time::sleep(Duration::from_secs(a.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let h = hist.lock().unwrap();
    (
        h.len() as f64 / secs,
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        errors.load(Ordering::Relaxed),
    )
}

async fn raw_ceiling(a: &Args, store_url: &str) -> f64 {
    let mut settings = Settings::load_from(None, Vec::new()).unwrap();
    settings.store.url = store_url.to_string();
    let store = Store::connect(&settings.store).await.unwrap();
    let creds = store.services().add_service("raw-ceiling").await.unwrap();
    let service_id = store
        .services()
        .service_for_key(&creds.api_key)
        .await
        .unwrap()
        .unwrap()
        .id;
    let now = fusion_billing::meter::time::now_micros();
    let events: Vec<NewEvent> = (0..a.raw_events)
        .map(|i| NewEvent {
            lago_id: uuid::Uuid::new_v4().to_string(),
            external_subscription_id: format!("sub-{}", i % 1000),
            transaction_id: format!("raw-{i}"),
            code: "api_calls".into(),
            timestamp: (1_700_000_000 + (i % 86_400) as i64) * 1_000_000,
            properties: format!(r#"{{"calls":{}}}"#, i % 17),
            precise_total_amount_cents: None,
            fingerprint: format!("{:064x}", i),
            created_at: now,
        })
        .collect();
    let start = Instant::now();
    raw_insert(&store, service_id, &events, a.raw_per_commit)
        .await
        .unwrap();
    let rate = a.raw_events as f64 / start.elapsed().as_secs_f64();
    store.close().await;
    rate
}

#[tokio::main]
async fn main() {
    let a = Args::parse();
    let _dir;
    let store_url = if a.store == "sqlite" {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/bench.db", dir.path().display());
        _dir = Some(dir);
        url
    } else {
        _dir = None;
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
        u.to_string()
    };
    let out = Command::new(sibling("fusion-billing"))
        .args(["service", "add", "bench", "--json"])
        .env("FUSION__STORE__URL", &store_url)
        .output()
        .expect("service add");
    let creds: serde_json::Value = serde_json::from_slice(&out.stdout).expect("service add --json");
    let key = creds["api_key"].as_str().unwrap().to_string();

    let gw = start_gateway(&store_url);
    let pid = gw.child.id();
    eprintln!(
        "gateway {} (pid {pid}), store {}",
        gw.address,
        if a.store == "sqlite" {
            "sqlite"
        } else {
            "postgres"
        }
    );
    let (batched, berr) = phase_batched(&a, &gw, &key).await;
    eprintln!("batched done");
    let (rps, p50, p99, serr) = phase_single(&a, &gw, &key).await;
    eprintln!("single done");
    let rss_mib = peak_rss_kib(pid) as f64 / 1024.0;
    drop(gw);
    let raw = raw_ceiling(&a, &store_url).await;

    println!(
        "store                         {}",
        if a.store == "sqlite" {
            "sqlite (WAL, synchronous=full)"
        } else {
            "postgres"
        }
    );
    println!("(a) batched ingest            {batched:>10.0} events/s  ({} events/request, {} concurrent, {berr} errors)", a.batch, a.concurrency);
    println!("(b) single-event requests     {rps:>10.0} req/s     p50 {:.2} ms, p99 {:.2} ms ({serr} errors)", p50 as f64 / 1000.0, p99 as f64 / 1000.0);
    println!("(c) raw batched insert        {raw:>10.0} events/s  ({} rows/commit); gateway = {:.0} % of it", a.raw_per_commit, batched / raw * 100.0);
    println!("(d) gateway peak RSS          {rss_mib:>10.1} MiB");
    println!(
        "{}",
        serde_json::json!({"store": a.store.split(':').next(), "batched_events_per_sec": batched.round(),
            "single_requests_per_sec": rps.round(), "single_p50_ms": p50 as f64 / 1000.0,
            "single_p99_ms": p99 as f64 / 1000.0, "raw_insert_events_per_sec": raw.round(),
            "share_of_ceiling": batched / raw, "peak_rss_mib": rss_mib})
    );
}
