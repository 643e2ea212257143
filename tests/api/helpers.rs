//! Test harness: the real gateway on 127.0.0.1:0 against a fresh SQLite file or a fresh
//! PostgreSQL database (from `FUSION_TEST_POSTGRES_URL`), in-process or as a child process.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fusion_billing::configuration::Settings;
use fusion_billing::meter::Store;
use fusion_billing::startup::Application;
use serde_json::Value;
use sqlx::Connection;

/// Which store backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `NAME::sqlite` and `NAME::postgres` tests from `async fn NAME(Backend)`.
/// The PostgreSQL variant needs `FUSION_TEST_POSTGRES_URL` (a [`prerequisite`]: it fails
/// without it under CI, and says `SKIPPED` locally).
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::helpers::postgres_url().is_none() {
                    return;
                }
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}

/// Whether a missing prerequisite fails the test instead of skipping it: under CI (`CI` set
/// to anything but `false` or `0`; `.ci/run` sets `CI=true`) or when `FUSION_REQUIRE_{flag}`
/// is set (e.g. `FUSION_REQUIRE_CLIENTS`).
pub fn prerequisites_required(flag: &str) -> bool {
    let set =
        |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    set("CI") || set(&format!("FUSION_REQUIRE_{flag}"))
}

/// The current test's path (`module::name`), as libtest names its thread.
pub fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed test")
        .to_string()
}

/// `found` when the test's prerequisite is there. When it is missing (`None`): a panic naming
/// `what` is missing and `how` to provide it when [`prerequisites_required`]`(flag)` (CI);
/// otherwise a `SKIPPED: <test> needs <what> (<how>)` line, visible without `--nocapture`,
/// and `None` (the test must return: it skipped).
///
/// # Panics
/// When the prerequisite is missing and required.
pub fn prerequisite<T>(found: Option<T>, what: &str, how: &str, flag: &str) -> Option<T> {
    if found.is_some() {
        return found;
    }
    let test = test_name();
    if prerequisites_required(flag) {
        panic!(
            "{test} needs {what}, which is missing ({how}); required under CI or \
             FUSION_REQUIRE_{flag}"
        );
    }
    // Straight to stderr: libtest's capture (print macros only) would hide it on a pass.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test} needs {what} ({how})");
    None
}

/// The PostgreSQL server URL for tests (`FUSION_TEST_POSTGRES_URL`), a [`prerequisite`]
/// (flag `FUSION_REQUIRE_POSTGRES`).
///
/// # Panics
/// When it is not set and required (CI): the PostgreSQL suite must run there.
pub fn postgres_url() -> Option<String> {
    prerequisite(
        std::env::var("FUSION_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty()),
        "PostgreSQL",
        "set FUSION_TEST_POSTGRES_URL, e.g. postgres://postgres@127.0.0.1:5432/test",
        "POSTGRES",
    )
}

/// A fresh, empty store location for `backend`: a SQLite file in a temp dir, or a new
/// PostgreSQL database. Keep the returned guard alive for the test.
pub async fn fresh_store_url(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}/fusion.db", dir.path().display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            let base = postgres_url().expect("postgres url");
            let name = format!("fb_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&base)
                .await
                .expect("connect to FUSION_TEST_POSTGRES_URL");
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let mut url = url::Url::parse(&base).expect("postgres url");
            url.set_path(&format!("/{name}"));
            (url.to_string(), None)
        }
    }
}

/// Settings for a test gateway on `store_url`, port 0, quiet logs.
pub fn test_settings(store_url: &str) -> Settings {
    let env = vec![
        ("FUSION__STORE__URL".to_string(), store_url.to_string()),
        (
            "FUSION__SERVER__BIND".to_string(),
            "127.0.0.1:0".to_string(),
        ),
        ("FUSION__SERVER__WORKERS".to_string(), "2".to_string()),
        ("FUSION__LOG__LEVEL".to_string(), "off".to_string()),
    ];
    Settings::load_from(None, env).expect("test settings")
}

/// A running in-process gateway with one service and its key.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub api_key: String,
    pub service_id: i64,
    pub store_url: String,
    /// The Odoo simulator the gateway talks to, when started with one.
    pub odoo: Option<fusion_billing::odoo_sim::SimHandle>,
    /// The settings the gateway runs with.
    pub settings: Settings,
    _dir: Option<tempfile::TempDir>,
}

/// Starts an Odoo simulator (admin/admin on database `odoo`, Subscriptions installed).
pub async fn spawn_sim() -> fusion_billing::odoo_sim::SimHandle {
    fusion_billing::odoo_sim::spawn(fusion_billing::odoo_sim::SimOptions::default())
        .await
        .expect("odoo simulator")
}

/// Points `settings` at `sim` over JSON-RPC with fast retries.
pub fn use_sim(settings: &mut Settings, sim: &fusion_billing::odoo_sim::SimHandle) {
    settings.odoo.url = sim.base_url();
    settings.odoo.database = "odoo".into();
    settings.odoo.login = "admin".into();
    settings.odoo.password = "admin".into();
    settings.odoo.max_retries = 0;
    settings.odoo.timeout_secs = 5;
}

impl TestApp {
    /// Starts the gateway and creates the service `app` with a key.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// As [`TestApp::spawn`], against a fresh Odoo simulator (kept in `odoo`).
    pub async fn spawn_with_odoo(backend: Backend) -> TestApp {
        let sim = spawn_sim().await;
        let mut app = Self::spawn_with(backend, |s| use_sim(s, &sim)).await;
        app.odoo = Some(sim);
        app
    }

    /// Creates (through the API) a `sum_agg` metric `code` on field `field` if absent, a plan
    /// `plan-<code>` charging it, and an active subscription `external_id` for customer
    /// `cust-<external_id>`. Needs [`TestApp::spawn_with_odoo`].
    pub async fn subscribe(&self, external_id: &str, code: &str, field: &str) {
        let (s, m) = self
            .call("GET", &format!("/api/v1/billable_metrics/{code}"), None)
            .await;
        let metric_id = if s == 200 {
            m["billable_metric"]["lago_id"].clone()
        } else {
            let (s, m) = self
                .call("POST", "/api/v1/billable_metrics", Some(serde_json::json!({"billable_metric": {
                    "name": code, "code": code, "aggregation_type": "sum_agg", "field_name": field}})))
                .await;
            assert_eq!(s, 200, "{m}");
            m["billable_metric"]["lago_id"].clone()
        };
        let plan = format!("plan-{code}");
        let (s, _) = self
            .call("GET", &format!("/api/v1/plans/{plan}"), None)
            .await;
        if s != 200 {
            let (s, p) = self
                .call(
                    "POST",
                    "/api/v1/plans",
                    Some(serde_json::json!({"plan": {
                    "name": plan, "code": plan, "interval": "monthly", "amount_cents": 0,
                    "amount_currency": "CAD", "charges": [{"billable_metric_id": metric_id,
                    "charge_model": "standard", "properties": {"amount": "1"}}]}})),
                )
                .await;
            assert_eq!(s, 200, "{p}");
        }
        let (s, b) = self
            .call(
                "POST",
                "/api/v1/subscriptions",
                Some(serde_json::json!({"subscription": {
                "external_customer_id": format!("cust-{external_id}"), "plan_code": plan,
                "external_id": external_id}})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    /// A rating push over this gateway's store and Odoo (tests run cycles by hand).
    pub fn rating_push(&self) -> fusion_billing::sync::RatingPush {
        fusion_billing::sync::RatingPush::new(fusion_billing::bridge::Bridge::new(
            &self.settings,
            self.store.clone(),
        ))
    }

    /// As [`TestApp::spawn_with_odoo`], letting the test adjust settings too.
    pub async fn spawn_with_odoo_and(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
    ) -> TestApp {
        let sim = spawn_sim().await;
        let mut app = Self::spawn_with(backend, |s| {
            use_sim(s, &sim);
            adjust(s);
        })
        .await;
        app.odoo = Some(sim);
        app
    }

    /// A watcher over this gateway's store and Odoo (tests poll by hand).
    pub fn watcher(&self) -> fusion_billing::sync::Watcher {
        fusion_billing::sync::Watcher::new(
            fusion_billing::bridge::Bridge::new(&self.settings, self.store.clone()),
            &self.settings.watcher,
        )
    }

    /// The simulator (panics when the app has none).
    pub fn sim(&self) -> &fusion_billing::odoo_sim::SimHandle {
        self.odoo.as_ref().expect("started with spawn_with_odoo")
    }

    /// As [`TestApp::spawn`], letting the test adjust settings first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let (store_url, dir) = fresh_store_url(backend).await;
        let mut settings = test_settings(&store_url);
        adjust(&mut settings);
        let kept = settings.clone();
        let store = Store::connect(&settings.store).await.expect("store");
        store.migrate().await.expect("migrate");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let app = Application::with_listener(settings, store.clone(), listener).expect("app");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let creds = store.services().add_service("app").await.expect("service");
        let service_id = store
            .services()
            .service_for_key(&creds.api_key)
            .await
            .unwrap()
            .unwrap()
            .id;
        TestApp {
            address,
            client: reqwest::Client::new(),
            store,
            api_key: creds.api_key,
            service_id,
            store_url,
            odoo: None,
            settings: kept,
            _dir: dir,
        }
    }

    /// A second gateway replica on the same store and the same Odoo (its own connection
    /// pool, background loops and HTTP server); returns its base address.
    pub async fn replica(&self) -> String {
        let store = Store::connect(&self.settings.store).await.expect("store");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let app =
            Application::with_listener(self.settings.clone(), store, listener).expect("replica");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// `n` copies of `METHOD path` with `body` sent at once, spread over `addresses` (one
    /// replica each, in turn), each with this app's key and the given `Idempotency-Key`
    /// (`keys(i)`, or none); returns every (status, JSON body) in request order.
    pub async fn burst(
        &self,
        addresses: &[String],
        n: usize,
        method: &str,
        path: &str,
        body: Option<Value>,
        keys: impl Fn(usize) -> Option<String>,
    ) -> Vec<(u16, Value)> {
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
        let mut tasks = Vec::new();
        for i in 0..n {
            let mut req = self
                .client
                .request(
                    method.parse().unwrap(),
                    format!("{}{}", addresses[i % addresses.len()], path),
                )
                .bearer_auth(&self.api_key);
            if let Some(b) = &body {
                req = req.json(b);
            }
            if let Some(k) = keys(i) {
                req = req.header("Idempotency-Key", k);
            }
            let barrier = barrier.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let resp = req.send().await.expect("request");
                let status = resp.status().as_u16();
                let text = resp.text().await.unwrap();
                (
                    status,
                    serde_json::from_str(&text).unwrap_or(Value::String(text)),
                )
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("request task"));
        }
        out
    }

    /// Another service (app) on the same gateway; returns its key.
    pub async fn add_service(&self, name: &str) -> String {
        self.store
            .services()
            .add_service(name)
            .await
            .expect("service")
            .api_key
    }

    /// `METHOD /path` with this app's key and a JSON body; returns (status, JSON body).
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call_as(&self.api_key, method, path, body).await
    }

    /// As [`TestApp::call`] with another key.
    pub async fn call_as(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{}", self.address, path))
            .bearer_auth(key);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("non-JSON body for {method} {path} ({status}): {text:?}"));
        (status, json)
    }
}

/// A gateway running as a child process (`fusion-billing serve`), for crash and CLI tests.
pub struct ServerProcess {
    pub child: Child,
    pub address: String,
}

/// Path of the built `fusion-billing` binary.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_fusion-billing")
}

/// Runs `fusion-billing ARGS` against `store_url` and returns stdout (asserts success).
pub fn cli(store_url: &str, args: &[&str]) -> String {
    let out = Command::new(binary())
        .args(args)
        .env("FUSION__STORE__URL", store_url)
        .output()
        .expect("run fusion-billing");
    assert!(
        out.status.success(),
        "fusion-billing {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

impl ServerProcess {
    /// Starts `fusion-billing serve --odoo-sim` on port 0 and waits for its "listening" log
    /// line.
    pub fn start(store_url: &str) -> ServerProcess {
        Self::start_with(store_url, &["--odoo-sim"], |_| {})
    }

    /// As [`ServerProcess::start`] with extra `serve` arguments; `on_line` sees every
    /// stdout line (JSON logs).
    pub fn start_with(
        store_url: &str,
        args: &[&str],
        on_line: impl Fn(&str) + Send + 'static,
    ) -> ServerProcess {
        let mut child = Command::new(binary())
            .arg("serve")
            .args(args)
            .env("FUSION__STORE__URL", store_url)
            .env("FUSION__SERVER__BIND", "127.0.0.1:0")
            .env("FUSION__LOG__FORMAT", "json")
            .env("FUSION__LOG__LEVEL", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn fusion-billing serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                on_line(&line);
                if !sent {
                    if let Ok(v) = serde_json::from_str::<Value>(&line) {
                        if let Some(port) = v["fields"]["port"].as_u64() {
                            let _ = tx.send(port);
                            sent = true;
                        }
                    }
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("gateway did not report its port");
        ServerProcess {
            child,
            address: format!("http://127.0.0.1:{port}"),
        }
    }

    /// `kill -9`.
    pub fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Lago event body.
pub fn event(tx: &str, sub: &str, code: &str, props: Value) -> Value {
    serde_json::json!({"transaction_id": tx, "external_subscription_id": sub, "code": code,
                       "timestamp": 1_700_000_000, "properties": props})
}
