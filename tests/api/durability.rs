//! Acknowledged means durable: `kill -9` right after acknowledgements, or SIGTERM under
//! load, then a restart on the same store: every acknowledged event is there exactly once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fusion_billing::configuration::Settings;
use fusion_billing::meter::Store;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{cli, fresh_store_url, Backend, ServerProcess};

both_backends!(
    kill_9_loses_no_acknowledged_event,
    sigterm_drains_in_flight_requests
);

/// Sends batches of 20 unique events from 16 tasks until `stop`; returns the acked ids.
async fn load(
    address: String,
    key: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Vec<String> {
    let acked = Arc::new(Mutex::new(Vec::new()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut tasks = Vec::new();
    for worker in 0..16 {
        let (client, address, key, acked, stop) = (
            client.clone(),
            address.clone(),
            key.clone(),
            acked.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let ids: Vec<String> = (0..20).map(|i| format!("w{worker}-r{n}-e{i}")).collect();
                n += 1;
                let events: Vec<_> = ids
                    .iter()
                    .map(|id| {
                        json!({"transaction_id": id, "external_subscription_id": "sub", "code": "c",
                                     "timestamp": 1_700_000_000, "properties": {"v": 1}})
                    })
                    .collect();
                let resp = client
                    .post(format!("{address}/api/v1/events/batch"))
                    .bearer_auth(&key)
                    .json(&json!({"events": events}))
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status() == 200 => acked.lock().unwrap().extend(ids),
                    Ok(r) if r.status() == 429 || r.status() == 503 => {
                        tokio::time::sleep(Duration::from_millis(10)).await
                    }
                    Ok(r) => panic!("unexpected status {}", r.status()),
                    Err(_) => break, // the gateway went away: not acknowledged
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    Arc::try_unwrap(acked).unwrap().into_inner().unwrap()
}

async fn stored_ids(store_url: &str) -> (HashSet<String>, i64) {
    let mut settings = Settings::load_from(None, Vec::new()).unwrap();
    settings.store.url = store_url.to_string();
    let store = Store::connect(&settings.store).await.unwrap();
    let rows: Vec<(String,)> = fusion_billing::dispatch!(&store, |p| sqlx::query_as(
        "SELECT transaction_id FROM events"
    )
    .fetch_all(p)
    .await
    .unwrap());
    let total = rows.len() as i64;
    store.close().await;
    (rows.into_iter().map(|r| r.0).collect(), total)
}

fn key_for(store_url: &str) -> String {
    let out = cli(store_url, &["service", "add", "app", "--json"]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    v["api_key"].as_str().unwrap().to_string()
}

async fn kill_9_loses_no_acknowledged_event(b: Backend) {
    let (url, _dir) = fresh_store_url(b).await;
    let key = key_for(&url);
    let mut server = ServerProcess::start(&url);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loader = tokio::spawn(load(server.address.clone(), key.clone(), stop.clone()));
    let started = Instant::now();
    // Kill while requests are in flight, right after acknowledgements have been sent.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill_hard();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acked = loader.await.unwrap();
    assert!(
        !acked.is_empty(),
        "no event was acknowledged in {:?}",
        started.elapsed()
    );

    // Restart on the same store: it opens, and every acknowledged event is there once.
    let restarted = ServerProcess::start(&url);
    let (stored, total) = stored_ids(&url).await;
    assert_eq!(stored.len() as i64, total, "no transaction_id stored twice");
    let missing: Vec<_> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/events/{}", restarted.address, acked[0]))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

async fn sigterm_drains_in_flight_requests(b: Backend) {
    let (url, _dir) = fresh_store_url(b).await;
    let key = key_for(&url);
    let mut server = ServerProcess::start(&url);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loader = tokio::spawn(load(server.address.clone(), key, stop.clone()));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let status = tokio::task::spawn_blocking(move || server.terminate())
        .await
        .unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acked = loader.await.unwrap();
    assert!(status.success(), "graceful exit, got {status:?}");
    assert!(!acked.is_empty());
    let (stored, _) = stored_ids(&url).await;
    let missing = acked.iter().filter(|id| !stored.contains(*id)).count();
    assert_eq!(missing, 0, "acknowledged events lost on SIGTERM");
}
