//! Webhooks: `/api/v1/webhook_endpoints` CRUD and tenancy, SSRF refusals at
//! registration, the public key routes, and delivery to a local receiver (signatures,
//! retries, Retry-After, 410, 3xx, durability, replay CLI).
//!
//! Messages are emitted through the library call `fusion_billing::webhooks::enqueue`
//! against the test gateway's store (the Odoo watcher that emits them in production
//! comes later).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::both_backends;
use crate::helpers::{cli, prerequisite, test_settings, Backend, TestApp};
use fusion_billing::webhooks::enqueue;

both_backends!(
    endpoint_crud_and_tenancy,
    registration_refuses_internal_and_insecure_urls,
    public_key_routes,
    delivery_is_signed_hmac_and_standard_webhooks,
    jwt_delivery_verifies_with_the_public_key,
    retries_keep_the_id_and_honour_retry_after,
    gone_disables_the_endpoint,
    redirect_is_a_failure_and_sustained_failure_disables,
    delivery_survives_a_receiver_outage,
    replay_cli_requeues_with_the_same_id,
    concurrent_workers_never_send_twice,
    host_names_are_resolved_and_checked_at_delivery,
    deleting_an_endpoint_fails_its_pending_deliveries,
    a_slow_receiver_times_out_and_is_retried,
);

// ---------------------------------------------------------------- receiver

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub(crate) path: String,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
    pub(crate) at: Instant,
}

/// In a [`Reply`]'s headers: milliseconds to wait before answering.
const DELAY: &str = "x-test-delay-ms";

/// A scripted answer: status and extra headers.
#[derive(Debug, Clone)]
pub(crate) struct Reply(u16, Vec<(&'static str, String)>);

#[derive(Default)]
struct ReceiverState {
    hits: Mutex<Vec<Hit>>,
    script: Mutex<VecDeque<Reply>>,
}

/// A tiny actix receiver on 127.0.0.1; answers the scripted replies in order, then 200.
pub(crate) struct Receiver {
    port: u16,
    state: Arc<ReceiverState>,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<ReceiverState>,
) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    state.hits.lock().unwrap().push(Hit {
        path: req.path().to_string(),
        headers,
        body: body.to_vec(),
        at: Instant::now(),
    });
    let reply = state
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Reply(200, vec![]));
    let mut resp = HttpResponse::build(actix_web::http::StatusCode::from_u16(reply.0).unwrap());
    for (k, v) in reply.1 {
        if k == DELAY {
            // Not a header: answer late (to trip the gateway's timeout).
            tokio::time::sleep(Duration::from_millis(v.parse().unwrap())).await;
            continue;
        }
        resp.insert_header((k, v));
    }
    resp.body("ok")
}

impl Receiver {
    pub(crate) fn start(script: Vec<Reply>) -> Receiver {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        Self::start_on(listener, script)
    }

    fn start_on(listener: std::net::TcpListener, script: Vec<Reply>) -> Receiver {
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(ReceiverState {
            hits: Mutex::new(Vec::new()),
            script: Mutex::new(script.into()),
        });
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(receive))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        Receiver { port, state }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub(crate) fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }

    pub(crate) async fn wait_hits(&self, n: usize, within: Duration) -> Vec<Hit> {
        let deadline = Instant::now() + within;
        loop {
            let hits = self.hits();
            if hits.len() >= n || Instant::now() > deadline {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

// ---------------------------------------------------------------- helpers

/// A gateway whose worker polls every 50 ms, with loopback allowed over http and a
/// short retry schedule.
async fn webhook_app(b: Backend, schedule: &str) -> TestApp {
    let schedule = schedule.to_string();
    TestApp::spawn_with(b, move |s| {
        s.webhooks.allowed_networks = "127.0.0.0/8".into();
        s.webhooks.retry_schedule = schedule;
        s.webhooks.poll_interval_ms = 50;
        s.webhooks.timeout_secs = 3;
        s.webhooks.lease_secs = 10;
        s.webhooks.disable_after_failed_deliveries = 1;
        s.webhooks.jwt_issuer = "https://gateway.test".into();
    })
    .await
}

async fn register(app: &TestApp, url: &str, algo: &str) -> String {
    let (s, body) = app
        .call(
            "POST",
            "/api/v1/webhook_endpoints",
            Some(json!({"webhook_endpoint": {"webhook_url": url, "signature_algo": algo}})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body["webhook_endpoint"]["lago_id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn emit(app: &TestApp) -> String {
    let ids = enqueue(
        &app.store,
        app.service_id,
        "invoice.created",
        "invoice",
        json!({"lago_id": "inv-1", "number": "INV-001", "total_amount_cents": 1234, "note": "<&>"}),
    )
    .await
    .expect("enqueue");
    assert_eq!(ids.len(), 1, "one row per endpoint");
    ids.into_iter().next().unwrap()
}

async fn wait_status(app: &TestApp, id: &str, status: &str, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        let d = app
            .store
            .webhook_deliveries()
            .webhook_delivery(id)
            .await
            .unwrap()
            .expect("delivery row");
        if d.status == status || Instant::now() > deadline {
            return d.status;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Returns once the gateway's delivery worker has finished a whole pass that began after
/// this call: every delivery due before the call has then been attempted and its attempt
/// has ended, so an absence checked afterwards is proven, not waited for. How: a marker
/// message (`invoice.created`, `lago_id` `marker-…`) to every endpoint of `service_id`
/// (one of them must be deliverable) is claimed by some pass P; once it is delivered a
/// second marker is enqueued, which only a pass after P can claim, and passes run one after
/// another (a pass waits for all its attempts). The markers reach the endpoints' receivers.
pub(crate) async fn worker_caught_up(app: &TestApp, service_id: i64) {
    for n in 1..=2 {
        let ids = enqueue(
            &app.store,
            service_id,
            "invoice.created",
            "invoice",
            json!({"lago_id": format!("marker-{n}")}),
        )
        .await
        .expect("enqueue marker");
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut delivered = false;
        while !delivered {
            assert!(Instant::now() < deadline, "marker {n} not delivered");
            tokio::time::sleep(Duration::from_millis(25)).await;
            let mut statuses = Vec::new();
            for id in &ids {
                let row = app
                    .store
                    .webhook_deliveries()
                    .webhook_delivery(id)
                    .await
                    .unwrap()
                    .unwrap();
                statuses.push(row.status);
            }
            // Rows to disabled endpoints are failed from the start, never claimed.
            assert!(
                statuses.iter().any(|s| s != "failed"),
                "no deliverable endpoint"
            );
            delivered = statuses.iter().all(|s| s == "delivered" || s == "failed");
        }
    }
}

/// The endpoint once it is disabled (the worker disables it just after it marks the
/// delivery failed), or as it is after `within`.
async fn wait_disabled(
    app: &TestApp,
    endpoint: &str,
    within: Duration,
) -> fusion_billing::webhooks::repo::EndpointRow {
    let deadline = Instant::now() + within;
    loop {
        let e = app
            .store
            .webhook_endpoints()
            .webhook_endpoint(app.service_id, endpoint)
            .await
            .unwrap()
            .unwrap();
        if e.disabled_at.is_some() || Instant::now() > deadline {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn hmac_b64(key: &[u8], msg: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(msg);
    STANDARD.encode(mac.finalize().into_bytes())
}

// ---------------------------------------------------------------- tests

async fn endpoint_crud_and_tenancy(b: Backend) {
    let app = webhook_app(b, "1s").await;
    let (s, created) = app
        .call(
            "POST",
            "/api/v1/webhook_endpoints",
            Some(
                json!({"webhook_endpoint": {"webhook_url": "https://hooks.example.com/lago",
                                             "name": "main", "unknown": 1}}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{created}");
    let e = &created["webhook_endpoint"];
    assert_eq!(e["webhook_url"], "https://hooks.example.com/lago");
    assert_eq!(e["signature_algo"], "hmac", "default algorithm");
    assert_eq!(e["name"], "main");
    assert_eq!(e["event_types"], Value::Null);
    for k in ["lago_id", "lago_organization_id", "created_at"] {
        assert!(e[k].is_string(), "{k}: {e}");
    }
    let id = e["lago_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/webhook_endpoints/{id}");

    let (s, shown) = app.call("GET", &path, None).await;
    assert_eq!((s, &shown["webhook_endpoint"]), (200, e));

    let (s, updated) = app
        .call(
            "PUT",
            &path,
            Some(json!({"webhook_endpoint": {"signature_algo": "jwt",
                                             "event_types": ["invoice.created"]}})),
        )
        .await;
    assert_eq!(s, 200, "{updated}");
    assert_eq!(updated["webhook_endpoint"]["signature_algo"], "jwt");
    assert_eq!(
        updated["webhook_endpoint"]["event_types"],
        json!(["invoice.created"])
    );
    assert_eq!(updated["webhook_endpoint"]["webhook_url"], e["webhook_url"]);

    let (s, list) = app.call("GET", "/api/v1/webhook_endpoints", None).await;
    assert_eq!(s, 200);
    assert_eq!(list["webhook_endpoints"].as_array().unwrap().len(), 1);
    assert_eq!(list["meta"]["total_count"], 1);

    // Validation.
    let (s, dup) = app
        .call(
            "POST",
            "/api/v1/webhook_endpoints",
            Some(json!({"webhook_endpoint": {"webhook_url": "https://hooks.example.com/lago"}})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        dup["error_details"],
        json!({"webhook_url": ["value_already_exist"]})
    );
    let (s, missing) = app
        .call(
            "POST",
            "/api/v1/webhook_endpoints",
            Some(json!({"webhook_endpoint": {"name": "x"}})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        missing["error_details"],
        json!({"webhook_url": ["value_is_mandatory"]})
    );
    let (s, bad) = app
        .call(
            "POST",
            "/api/v1/webhook_endpoints",
            Some(
                json!({"webhook_endpoint": {"webhook_url": "https://a.example.com",
                        "signature_algo": "md5", "event_types": "invoice.created"}}),
            ),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        bad["error_details"],
        json!({"signature_algo": ["value_is_invalid"], "event_types": ["must_be_array"]})
    );
    let (s, no_root) = app
        .call(
            "POST",
            "/api/v1/webhook_endpoints",
            Some(json!({"webhook_url": "https://a.example.com"})),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        no_root["error"],
        "BadRequest: param is missing or the value is empty or invalid: webhook_endpoint"
    );

    // Tenancy: another app sees nothing and changes nothing.
    let other = app.add_service("other").await;
    for (method, body) in [
        ("GET", None),
        (
            "PUT",
            Some(json!({"webhook_endpoint": {"webhook_url": "https://evil.example.com"}})),
        ),
        ("DELETE", None),
    ] {
        let (s, err) = app.call_as(&other, method, &path, body).await;
        assert_eq!(s, 404, "{method}: {err}");
        assert_eq!(err["code"], "webhook_endpoint_not_found");
    }
    let (_, theirs) = app
        .call_as(&other, "GET", "/api/v1/webhook_endpoints", None)
        .await;
    assert_eq!(theirs["webhook_endpoints"], json!([]));
    let (s, still) = app.call("GET", &path, None).await;
    assert_eq!(s, 200);
    assert_eq!(
        still["webhook_endpoint"]["webhook_url"],
        "https://hooks.example.com/lago"
    );
    // The other app may register the same URL for itself.
    let (s, _) = app
        .call_as(
            &other,
            "POST",
            "/api/v1/webhook_endpoints",
            Some(json!({"webhook_endpoint": {"webhook_url": "https://hooks.example.com/lago"}})),
        )
        .await;
    assert_eq!(s, 200);

    // Limit of 10 per app.
    for i in 1..10 {
        let url = format!("https://hooks{i}.example.com/");
        let (s, body) = app
            .call(
                "POST",
                "/api/v1/webhook_endpoints",
                Some(json!({"webhook_endpoint": {"webhook_url": url}})),
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let (s, over) = app
        .call(
            "POST",
            "/api/v1/webhook_endpoints",
            Some(json!({"webhook_endpoint": {"webhook_url": "https://eleven.example.com/"}})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(over["error_details"], json!({"base": ["exceeded_limit"]}));

    let (s, deleted) = app.call("DELETE", &path, None).await;
    assert_eq!(s, 200);
    assert_eq!(deleted["webhook_endpoint"]["lago_id"], id.as_str());
    let (s, gone) = app.call("GET", &path, None).await;
    assert_eq!(
        (s, gone["code"].as_str()),
        (404, Some("webhook_endpoint_not_found"))
    );
}

async fn registration_refuses_internal_and_insecure_urls(b: Backend) {
    // Default settings: no allowed networks.
    let app = TestApp::spawn(b).await;
    for url in [
        "http://hooks.example.com/",
        "https://127.0.0.1/hook",
        "https://127.0.0.1:8443/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "https://[fd12:3456::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[64:ff9b::a9fe:a9fe]/hook",
        "https://2130706433/hook",
        "https://localhost/hook",
        "ftp://hooks.example.com/",
        "not a url",
    ] {
        let (s, body) = app
            .call(
                "POST",
                "/api/v1/webhook_endpoints",
                Some(json!({"webhook_endpoint": {"webhook_url": url}})),
            )
            .await;
        assert_eq!(s, 422, "{url}: {body}");
        assert_eq!(
            body["error_details"],
            json!({"webhook_url": ["url_is_invalid"]}),
            "{url}"
        );
    }
    // A public literal and a host name (not resolved at registration) are accepted.
    for url in ["https://8.8.8.8/hook", "https://no-such-host.invalid/hook"] {
        let (s, body) = app
            .call(
                "POST",
                "/api/v1/webhook_endpoints",
                Some(json!({"webhook_endpoint": {"webhook_url": url}})),
            )
            .await;
        assert_eq!(s, 200, "{url}: {body}");
    }
    // PUT is checked the same way.
    let (_, list) = app.call("GET", "/api/v1/webhook_endpoints", None).await;
    let id = list["webhook_endpoints"][0]["lago_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, body) = app
        .call(
            "PUT",
            &format!("/api/v1/webhook_endpoints/{id}"),
            Some(json!({"webhook_endpoint": {"webhook_url": "https://[::1]/x"}})),
        )
        .await;
    assert_eq!(s, 422, "{body}");

    // Inside webhooks.allowed_networks, loopback over http is fine.
    let allowed = webhook_app(b, "1s").await;
    let (s, body) = allowed
        .call(
            "POST",
            "/api/v1/webhook_endpoints",
            Some(json!({"webhook_endpoint": {"webhook_url": "http://127.0.0.1:9/hook"}})),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = allowed
        .call(
            "POST",
            "/api/v1/webhook_endpoints",
            Some(json!({"webhook_endpoint": {"webhook_url": "http://10.0.0.1/hook"}})),
        )
        .await;
    assert_eq!(s, 422, "10/8 is not in the allowlist");
}

async fn public_key_routes(b: Backend) {
    let app = TestApp::spawn(b).await;
    let (s, json_key) = app
        .call("GET", "/api/v1/webhooks/json_public_key", None)
        .await;
    assert_eq!(s, 200, "{json_key}");
    let pem = String::from_utf8(
        STANDARD
            .decode(json_key["webhook"]["public_key"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
    let resp = app
        .client
        .get(format!("{}/api/v1/webhooks/public_key", app.address))
        .bearer_auth(&app.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    assert!(
        text.lines().all(|l| l.len() <= 60) && text.ends_with('\n'),
        "Ruby encode64 lines"
    );
    let decoded = STANDARD.decode(text.replace('\n', "")).unwrap();
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        pem,
        "one key, both routes"
    );
    let unauth = app
        .client
        .get(format!("{}/api/v1/webhooks/public_key", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(unauth.status(), 401);
}

async fn delivery_is_signed_hmac_and_standard_webhooks(b: Backend) {
    let app = webhook_app(b, "1s").await;
    let rx = Receiver::start(vec![]);
    register(&app, &rx.url(), "hmac").await;
    let id = emit(&app).await;
    let hits = rx.wait_hits(1, Duration::from_secs(10)).await;
    assert_eq!(hits.len(), 1, "one delivery");
    let hit = &hits[0];
    let h = &hit.headers;
    let secret = app
        .store
        .services()
        .webhook_secret(app.service_id)
        .await
        .unwrap()
        .unwrap();
    let body = hit.body.as_slice();

    // Lago's body shape.
    let v: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["webhook_type"], "invoice.created");
    assert_eq!(v["object_type"], "invoice");
    assert_eq!(v["invoice"]["number"], "INV-001");
    let (_, ep) = app.call("GET", "/api/v1/webhook_endpoints", None).await;
    assert_eq!(
        v["organization_id"],
        ep["webhook_endpoints"][0]["lago_organization_id"]
    );
    assert!(std::str::from_utf8(body).unwrap().starts_with(
        r#"{"webhook_type":"invoice.created","object_type":"invoice","organization_id":"#
    ));

    // Lago HMAC: Base64 HMAC-SHA256 of the raw body keyed with the secret string.
    assert_eq!(h["x-lago-signature-algorithm"], "hmac");
    assert_eq!(h["x-lago-signature"], hmac_b64(secret.as_bytes(), body));
    assert_eq!(h["x-lago-unique-key"], id);

    // Standard Webhooks: key = Base64-decoded part after whsec_; content id.ts.body.
    assert_eq!(h["webhook-id"], id);
    let ts: i64 = h["webhook-timestamp"].parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 60);
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut signed = format!("{id}.{ts}.").into_bytes();
    signed.extend_from_slice(body);
    assert_eq!(
        h["webhook-signature"],
        format!("v1,{}", hmac_b64(&key, &signed))
    );

    assert!(h["content-type"].starts_with("application/json"));
    assert!(h["user-agent"].starts_with("fusion-billing-webhooks/"));
    assert_eq!(hit.path, "/hook");
    assert_eq!(
        wait_status(&app, &id, "delivered", Duration::from_secs(5)).await,
        "delivered"
    );
    let attempts = app
        .store
        .webhook_deliveries()
        .webhook_attempts(&id)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].status_code, Some(200));

    let (_, metrics) = metrics_text(&app).await;
    assert!(
        metrics.contains("fusion_webhook_deliveries_total{outcome=\"delivered\"} 1"),
        "{metrics}"
    );
}

async fn metrics_text(app: &TestApp) -> (u16, String) {
    let resp = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

async fn jwt_delivery_verifies_with_the_public_key(b: Backend) {
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;

    let app = webhook_app(b, "1s").await;
    let rx = Receiver::start(vec![]);
    register(&app, &rx.url(), "jwt").await;
    let id = emit(&app).await;
    let hits = rx.wait_hits(1, Duration::from_secs(30)).await;
    assert_eq!(hits.len(), 1);
    let h = &hits[0].headers;
    assert_eq!(h["x-lago-signature-algorithm"], "jwt");
    assert_eq!(h["x-lago-unique-key"], id);

    let (_, key) = app
        .call("GET", "/api/v1/webhooks/json_public_key", None)
        .await;
    let pem = String::from_utf8(
        STANDARD
            .decode(key["webhook"]["public_key"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    let public = rsa::RsaPublicKey::from_public_key_pem(&pem).unwrap();
    let token = &h["x-lago-signature"];
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    let pkcs1 = public.to_pkcs1_der().unwrap();
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        pkcs1.as_bytes(),
    )
    .verify(
        format!("{}.{}", parts[0], parts[1]).as_bytes(),
        &URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
    )
    .expect("RS256 signature verifies with the served public key");
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(
        claims["data"].as_str().unwrap().as_bytes(),
        hits[0].body.as_slice()
    );
    assert_eq!(claims["iss"], "https://gateway.test");
    // Standard Webhooks headers are there for JWT endpoints too.
    assert_eq!(h["webhook-id"], id);
    assert!(h["webhook-signature"].starts_with("v1,"));
}

async fn retries_keep_the_id_and_honour_retry_after(b: Backend) {
    let app = webhook_app(b, "100ms,100ms,3s").await;
    let rx = Receiver::start(vec![
        Reply(500, vec![]),
        Reply(503, vec![("Retry-After", "1".into())]),
        Reply(200, vec![]),
    ]);
    register(&app, &rx.url(), "hmac").await;
    let id = emit(&app).await;
    let hits = rx.wait_hits(3, Duration::from_secs(15)).await;
    assert_eq!(hits.len(), 3, "500, 503, then 200");
    for hit in &hits {
        assert_eq!(hit.headers["webhook-id"], id, "same id on every retry");
        assert_eq!(hit.headers["x-lago-unique-key"], id);
        assert_eq!(hit.body, hits[0].body, "same bytes on every retry");
    }
    let first_gap = hits[1].at - hits[0].at;
    let second_gap = hits[2].at - hits[1].at;
    assert!(
        first_gap < Duration::from_millis(900),
        "scheduled 100 ms step: {first_gap:?}"
    );
    assert!(
        second_gap >= Duration::from_millis(950),
        "Retry-After: 1 honoured: {second_gap:?}"
    );
    assert!(
        second_gap < Duration::from_millis(2900),
        "not the 3 s step: {second_gap:?}"
    );
    assert_eq!(
        wait_status(&app, &id, "delivered", Duration::from_secs(5)).await,
        "delivered"
    );
    let attempts = app
        .store
        .webhook_deliveries()
        .webhook_attempts(&id)
        .await
        .unwrap();
    let codes: Vec<_> = attempts.iter().map(|a| a.status_code).collect();
    assert_eq!(codes, vec![Some(500), Some(503), Some(200)]);
    assert_eq!(attempts[0].error.as_deref(), Some("HTTP 500"));
    assert_eq!(
        attempts.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

async fn gone_disables_the_endpoint(b: Backend) {
    let app = webhook_app(b, "100ms,100ms").await;
    let rx = Receiver::start(vec![Reply(410, vec![])]);
    let endpoint = register(&app, &rx.url(), "hmac").await;
    let id = emit(&app).await;
    assert_eq!(
        wait_status(&app, &id, "failed", Duration::from_secs(10)).await,
        "failed"
    );
    assert_eq!(rx.hits().len(), 1, "no retry after 410");
    let e = wait_disabled(&app, &endpoint, Duration::from_secs(5)).await;
    assert!(e.disabled_at.is_some(), "410 disables the endpoint");
    let (_, metrics) = metrics_text(&app).await;
    assert!(
        metrics.contains("fusion_webhook_endpoints_disabled_total{reason=\"gone\"} 1"),
        "{metrics}"
    );

    // Later messages are kept (failed, replayable), not sent.
    let later = emit(&app).await;
    let row = app
        .store
        .webhook_deliveries()
        .webhook_delivery(&later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "failed");
    assert_eq!(row.last_error.as_deref(), Some("endpoint disabled"));
    // The worker has run past it (markers to a second, healthy endpoint): still one hit.
    let marker_rx = Receiver::start(vec![]);
    register(&app, &marker_rx.url(), "hmac").await;
    worker_caught_up(&app, app.service_id).await;
    assert_eq!(marker_rx.hits().len(), 2);
    assert_eq!(rx.hits().len(), 1);
    assert!(app
        .store
        .webhook_deliveries()
        .webhook_attempts(&later)
        .await
        .unwrap()
        .is_empty());
}

async fn redirect_is_a_failure_and_sustained_failure_disables(b: Backend) {
    let app = webhook_app(b, "100ms").await;
    let rx = Receiver::start(vec![]);
    let location = format!("http://127.0.0.1:{}/elsewhere", rx.port);
    rx.state.script.lock().unwrap().extend([
        Reply(302, vec![("Location", location.clone())]),
        Reply(307, vec![("Location", location)]),
    ]);
    let endpoint = register(&app, &rx.url(), "hmac").await;
    let id = emit(&app).await;
    assert_eq!(
        wait_status(&app, &id, "failed", Duration::from_secs(10)).await,
        "failed"
    );
    let hits = rx.hits();
    assert_eq!(hits.len(), 2, "two attempts, redirects not followed");
    assert!(hits.iter().all(|h| h.path == "/hook"));
    let attempts = app
        .store
        .webhook_deliveries()
        .webhook_attempts(&id)
        .await
        .unwrap();
    assert_eq!(
        attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(),
        vec![Some(302), Some(307)]
    );
    // disable_after_failed_deliveries = 1 in these tests.
    let e = wait_disabled(&app, &endpoint, Duration::from_secs(5)).await;
    assert!(e.disabled_at.is_some());
    assert!(e.disabled_reason.unwrap().contains("consecutive"));
    let (_, metrics) = metrics_text(&app).await;
    assert!(
        metrics.contains("fusion_webhook_endpoints_disabled_total{reason=\"failures\"} 1"),
        "{metrics}"
    );
}

async fn delivery_survives_a_receiver_outage(b: Backend) {
    let app = webhook_app(b, "300ms,300ms,300ms,300ms,300ms,300ms,300ms,300ms").await;
    // Reserve a port, then free it: the receiver is down.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    register(&app, &format!("http://127.0.0.1:{port}/hook"), "hmac").await;
    let id = emit(&app).await;
    // The row exists as soon as enqueue returns, before any attempt.
    let row = app
        .store
        .webhook_deliveries()
        .webhook_delivery(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.service_id, app.service_id);
    let v: Value = serde_json::from_str(&row.body).unwrap();
    assert_eq!(v["invoice"]["lago_id"], "inv-1");
    // Wait for a failed attempt.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app
        .store
        .webhook_deliveries()
        .webhook_attempts(&id)
        .await
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "no attempt made");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let first = &app
        .store
        .webhook_deliveries()
        .webhook_attempts(&id)
        .await
        .unwrap()[0];
    assert_eq!(first.status_code, None);
    assert!(first.error.is_some());
    // The receiver comes up on that port; the delivery arrives.
    let rx = Receiver::start_on(
        std::net::TcpListener::bind(("127.0.0.1", port)).unwrap(),
        vec![],
    );
    let hits = rx.wait_hits(1, Duration::from_secs(10)).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].headers["webhook-id"], id);
    assert_eq!(
        wait_status(&app, &id, "delivered", Duration::from_secs(5)).await,
        "delivered"
    );
}

async fn replay_cli_requeues_with_the_same_id(b: Backend) {
    let app = webhook_app(b, "100ms").await;
    let rx = Receiver::start(vec![]);
    register(&app, &rx.url(), "hmac").await;
    let id = emit(&app).await;
    assert_eq!(
        wait_status(&app, &id, "delivered", Duration::from_secs(10)).await,
        "delivered"
    );

    let out = cli(
        &app.store_url,
        &["webhooks", "replay", "--service", "app", "--id", &id],
    );
    assert!(out.contains("re-queued 1 delivery"), "{out}");
    let hits = rx.wait_hits(2, Duration::from_secs(10)).await;
    assert_eq!(hits.len(), 2, "replayed");
    assert_eq!(hits[1].headers["webhook-id"], id, "same id");
    assert_eq!(hits[1].body, hits[0].body);
    assert_eq!(
        wait_status(&app, &id, "delivered", Duration::from_secs(5)).await,
        "delivered"
    );

    // --since replays failed ones only (none here), --include-delivered all.
    let out = cli(
        &app.store_url,
        &[
            "webhooks",
            "replay",
            "--service",
            "app",
            "--since",
            "2000-01-01T00:00:00Z",
            "--json",
        ],
    );
    let report: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(report["requeued"], 0);
    let out = cli(
        &app.store_url,
        &[
            "webhooks",
            "replay",
            "--service",
            "app",
            "--since",
            "2000-01-01T00:00:00Z",
            "--include-delivered",
        ],
    );
    assert!(out.contains("re-queued 1 delivery"), "{out}");
    assert_eq!(rx.wait_hits(3, Duration::from_secs(10)).await.len(), 3);

    let listing = cli(
        &app.store_url,
        &["webhooks", "list", "--service", "app", "--json"],
    );
    let listing: Value = serde_json::from_str(listing.trim()).unwrap();
    assert_eq!(listing["deliveries"][0]["id"], id.as_str());
}

/// Two replicas (two pools on one store) claiming at once send each delivery exactly
/// once (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one writer at a time).
async fn concurrent_workers_never_send_twice(b: Backend) {
    use fusion_billing::webhooks::delivery::{run_once, DeliveryConfig};

    let app = TestApp::spawn_with(b, |s| {
        s.webhooks.allowed_networks = "127.0.0.0/8".into();
        s.webhooks.worker_enabled = false;
    })
    .await;
    let rx = Receiver::start(vec![]);
    register(&app, &rx.url(), "hmac").await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(emit(&app).await);
    }
    let mut settings = test_settings(&app.store_url);
    settings.webhooks.allowed_networks = "127.0.0.0/8".into();
    settings.webhooks.batch_size = 3;
    let config = DeliveryConfig::from_settings(&settings.webhooks).unwrap();
    let metrics = fusion_billing::telemetry::metrics::Metrics::new().webhooks;
    let other = fusion_billing::meter::Store::connect(&settings.store)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (x, y) = tokio::join!(
            run_once(&app.store, &config, &metrics),
            run_once(&other, &config, &metrics)
        );
        if x.unwrap() + y.unwrap() == 0 || Instant::now() > deadline {
            break;
        }
    }
    let hits = rx.hits();
    let mut seen: Vec<String> = hits
        .iter()
        .map(|h| h.headers["webhook-id"].clone())
        .collect();
    seen.sort();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(seen, expected, "every delivery exactly once");
    for id in &ids {
        let d = app
            .store
            .webhook_deliveries()
            .webhook_delivery(id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((d.status.as_str(), d.attempts), ("delivered", 1));
    }
}

async fn host_names_are_resolved_and_checked_at_delivery(b: Backend) {
    // Allowed: `localhost` resolves to 127.0.0.1, inside the allowlist; the client is
    // pinned to that address.
    let app = webhook_app(b, "100ms").await;
    let rx = Receiver::start(vec![]);
    register(&app, &format!("http://localhost:{}/hook", rx.port), "hmac").await;
    let id = emit(&app).await;
    let hits = rx.wait_hits(1, Duration::from_secs(10)).await;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].headers["webhook-id"], id);
    assert_eq!(hits[0].headers["host"], format!("localhost:{}", rx.port));

    // Refused: a name (accepted at registration: no DNS then) that resolves to loopback,
    // with no allowlist.
    let mut loopback_name = None;
    for name in ["vm", "runsc", "ip6-localhost", "ip6-loopback"] {
        if let Ok(mut addrs) = tokio::net::lookup_host((name, 443)).await {
            if addrs.all(|a| a.ip().is_loopback()) {
                loopback_name = Some(name);
                break;
            }
        }
    }
    let Some(name) = prerequisite(
        loopback_name,
        "a host name other than localhost resolving only to loopback",
        "e.g. `127.0.0.1 vm` in /etc/hosts",
        "LOOPBACK_NAME",
    ) else {
        return;
    };
    let strict = TestApp::spawn_with(b, |s| {
        s.webhooks.retry_schedule = "100ms".into();
        s.webhooks.poll_interval_ms = 50;
    })
    .await;
    let rx2 = Receiver::start(vec![]);
    register(
        &strict,
        &format!("https://{name}:{}/hook", rx2.port),
        "hmac",
    )
    .await;
    let id = emit(&strict).await;
    assert_eq!(
        wait_status(&strict, &id, "failed", Duration::from_secs(10)).await,
        "failed"
    );
    let attempts = strict
        .store
        .webhook_deliveries()
        .webhook_attempts(&id)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 2);
    for a in &attempts {
        assert_eq!(a.status_code, None);
        assert!(a.error.as_deref().unwrap().starts_with("refused:"), "{a:?}");
    }
    assert!(rx2.hits().is_empty(), "never connected");
}

async fn deleting_an_endpoint_fails_its_pending_deliveries(b: Backend) {
    let app = TestApp::spawn_with(b, |s| s.webhooks.worker_enabled = false).await;
    let endpoint = register(&app, "https://hooks.example.com/x", "hmac").await;
    let id = emit(&app).await;
    assert_eq!(
        app.store
            .webhook_deliveries()
            .webhook_delivery(&id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "pending"
    );
    let (s, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/webhook_endpoints/{endpoint}"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let row = app
        .store
        .webhook_deliveries()
        .webhook_delivery(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, "failed");
    assert_eq!(row.last_error.as_deref(), Some("endpoint deleted"));
    // No endpoint left: enqueue writes nothing and says so.
    let none = enqueue(
        &app.store,
        app.service_id,
        "invoice.created",
        "invoice",
        json!({}),
    )
    .await
    .unwrap();
    assert!(none.is_empty());
}

async fn a_slow_receiver_times_out_and_is_retried(b: Backend) {
    let app = TestApp::spawn_with(b, |s| {
        s.webhooks.allowed_networks = "127.0.0.0/8".into();
        s.webhooks.retry_schedule = "100ms".into();
        s.webhooks.poll_interval_ms = 50;
        s.webhooks.timeout_secs = 1;
    })
    .await;
    let rx = Receiver::start(vec![Reply(200, vec![(DELAY, "2500".into())])]);
    register(&app, &rx.url(), "hmac").await;
    let id = emit(&app).await;
    assert_eq!(
        wait_status(&app, &id, "delivered", Duration::from_secs(15)).await,
        "delivered"
    );
    let attempts = app
        .store
        .webhook_deliveries()
        .webhook_attempts(&id)
        .await
        .unwrap();
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0].status_code, None);
    assert_eq!(attempts[0].error.as_deref(), Some("timeout"));
    assert!(
        attempts[0].duration_ms >= 900 && attempts[0].duration_ms < 2400,
        "{attempts:?}"
    );
    assert_eq!(attempts[1].status_code, Some(200));
    let hits = rx.hits();
    assert!(hits.iter().all(|h| h.headers["webhook-id"] == id));
}
