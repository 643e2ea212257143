//! An Odoo 19 simulator that answers the external API exactly as Odoo 19 would (CONTRACT.md in
//! `/work/shared/odoo`): `POST /jsonrpc` (`common`, `object`), `POST /json/2/<model>/<method>`,
//! the ORM methods over RPC, and the billing objects fusion-billing drives (partners, products,
//! sale orders and subscriptions, invoices, credit notes, payments, portal PDFs).
//!
//! The schema (`fixtures/odoo/models-19.0.json`) decides which models, fields and methods exist.
//! State lives in memory; every call is one transaction (rolled back on error).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use fusion_billing::odoo_sim::{spawn, SimOptions};
//! let sim = spawn(SimOptions::default()).await?;
//! println!("Odoo at {}", sim.base_url());
//! sim.advance_clock(31);
//! let invoices = sim.run_recurring_invoicing().expect("cron");
//! # let _ = invoices; Ok(()) }
//! ```

pub mod call;
pub mod clock;
pub mod domain;
pub mod error;
pub mod json2;
pub mod models;
pub mod money;
pub mod orm;
pub mod pdf;
pub mod portal;
pub mod rpc;
pub mod schema;
pub mod search;
pub mod seed;
pub mod server;
pub mod state;
pub mod value;

pub use error::OdooError;
pub use state::{DownMode, Sim};

use actix_web::dev::ServerHandle;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};

/// Options of a simulated Odoo server.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Database name (`odoo`).
    pub database: String,
    /// Admin login (`admin`).
    pub login: String,
    /// Admin password (`admin`).
    pub password: String,
    /// API key accepted as bearer token on `/json/2` and as password on `/jsonrpc`;
    /// `None` = same as the password.
    pub api_key: Option<String>,
    /// `sale_subscription` installed (false: its models, fields and methods are absent).
    pub with_subscriptions: bool,
    /// Seed a small demo catalogue (two customers, four products).
    pub seed_demo: bool,
    /// Address to bind (`127.0.0.1:0` picks a free port).
    pub bind: SocketAddr,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            database: "odoo".into(),
            login: "admin".into(),
            password: "admin".into(),
            api_key: None,
            with_subscriptions: true,
            seed_demo: false,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        }
    }
}

/// Builds a seeded simulator state without HTTP (for in-process use and unit tests).
pub fn build(opts: &SimOptions, base_url: &str) -> Sim {
    let mut sim = Sim {
        schema: schema::Schema::load(opts.with_subscriptions),
        db: state::Db::default(),
        clock: clock::SimClock::default(),
        database: opts.database.clone(),
        login: opts.login.clone(),
        password: opts.password.clone(),
        api_key: opts
            .api_key
            .clone()
            .unwrap_or_else(|| opts.password.clone()),
        refs: state::Refs::default(),
        calls: 0,
        down: DownMode::Up,
        uid: 1,
        with_subscriptions: opts.with_subscriptions,
        web_base_url: base_url.to_string(),
    };
    seed::seed(&mut sim, opts.seed_demo).expect("seed data is valid");
    sim
}

/// A running simulator: address, controls and direct access to its state.
pub struct SimHandle {
    state: Arc<Mutex<Sim>>,
    addr: SocketAddr,
    server: Mutex<Option<ServerHandle>>,
}

/// Starts a simulator on `opts.bind` (port 0 = any free port) inside the current tokio runtime.
pub async fn spawn(opts: SimOptions) -> std::io::Result<SimHandle> {
    let listener = TcpListener::bind(opts.bind)?;
    let addr = listener.local_addr()?;
    let state = Arc::new(Mutex::new(build(&opts, &format!("http://{addr}"))));
    let handle = server::start(state.clone(), listener)?;
    Ok(SimHandle {
        state,
        addr,
        server: Mutex::new(Some(handle)),
    })
}

impl SimHandle {
    fn sim(&self) -> std::sync::MutexGuard<'_, Sim> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// Bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    /// The shared state, for direct reads/writes (lock it briefly).
    pub fn state(&self) -> Arc<Mutex<Sim>> {
        self.state.clone()
    }
    /// Moves the simulated clock forward by `days` (negative moves back).
    pub fn advance_clock(&self, days: i64) {
        self.sim().clock.advance_days(days);
    }
    /// Simulated now (UTC).
    pub fn now(&self) -> DateTime<Utc> {
        self.sim().clock.now()
    }
    /// Simulated today (UTC).
    pub fn today(&self) -> NaiveDate {
        self.sim().clock.today()
    }
    /// Runs the subscription invoicing cron once (all due periods); returns the invoice ids.
    /// Errors roll the cron back.
    pub fn run_recurring_invoicing(&self) -> Result<Vec<i64>, OdooError> {
        let mut sim = self.sim();
        sim.uid = sim.refs.admin_uid;
        let snapshot = sim.db.clone();
        let out = models::subscription::run_cron(&mut sim);
        if out.is_err() {
            sim.db = snapshot;
        }
        out
    }
    /// Requests received on `/jsonrpc` and `/json/2` since start or the last reset.
    pub fn rpc_call_count(&self) -> u64 {
        self.sim().calls
    }
    /// Resets the call counter to 0.
    pub fn reset_call_count(&self) {
        self.sim().calls = 0;
    }
    /// `true`: every Odoo route answers HTTP 503 (as a proxy in front of a dead Odoo);
    /// `false`: normal service.
    pub fn set_down(&self, down: bool) {
        self.sim().down = if down {
            DownMode::Unavailable
        } else {
            DownMode::Up
        };
    }
    /// `true`: stops listening so connections are refused; `false`: listens again on the same
    /// address (state is kept).
    pub async fn set_refusing(&self, refusing: bool) -> std::io::Result<()> {
        if refusing {
            let h = self.server.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(h) = h {
                h.stop(false).await;
            }
            self.sim().down = DownMode::Refuse;
        } else {
            self.sim().down = DownMode::Up;
            let mut slot = self.server.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                let listener = TcpListener::bind(self.addr)?;
                *slot = Some(server::start(self.state.clone(), listener)?);
            }
        }
        Ok(())
    }
    /// Reads records like `read(ids, fields)` (wire form), bypassing HTTP and the call counter.
    pub fn read(&self, model: &str, ids: &[i64], fields: &[&str]) -> Result<Vec<Value>, OdooError> {
        let f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        self.sim().read(model, ids, Some(&f), true)
    }
    /// Searches ids with a domain (archived records included).
    pub fn search(&self, model: &str, domain: Value) -> Result<Vec<i64>, OdooError> {
        let mut ctx = state::Ctx::new();
        ctx.insert("active_test".into(), Value::Bool(false));
        self.sim().search(model, &domain, &ctx, 0, None, Some("id"))
    }
    /// Stops the server.
    pub async fn stop(&self) {
        let h = self.server.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = h {
            h.stop(false).await;
        }
    }
}
