//! The Odoo an end-to-end test runs against: the in-process simulator (default), or a real
//! Odoo 19 with `FUSION_TEST_REAL_ODOO=1` and the kit's variables (`ODOO_URL`, `ODOO_DB`,
//! `ODOO_LOGIN`, `ODOO_API_KEY`: `eval "$(.ci/real-odoo-contract start)"`). A real server needs
//! `sale_subscription`, Enterprise's or the test double `tests/odoo_addons/sale_subscription_double`
//! (`.ci/real-odoo-addon`). With `FUSION_TEST_REAL_ODOO=1` a missing variable fails the test.
//!
//! On a real server the simulator's clock is not there: "the next period" is billed by
//! `action_invoice_subscription`, which invoices the period starting at `next_invoice_date`
//! whatever today is.

use fusion_billing::configuration::{OdooProtocol, Settings};
use fusion_billing::odoo::{Call, OdooClient};
use serde_json::{json, Value};

use crate::helpers::{spawn_sim, use_sim, Backend, TestApp};

/// Which Odoo the test talks to.
pub enum OdooUnderTest {
    /// The simulator of this app (`TestApp::odoo`).
    Sim,
    /// A real Odoo, through the gateway's own client.
    Real(OdooClient),
}

/// True when `FUSION_TEST_REAL_ODOO=1`.
pub fn real_wanted() -> bool {
    std::env::var("FUSION_TEST_REAL_ODOO").is_ok_and(|v| v == "1")
}

fn var(name: &str) -> String {
    std::env::var(name)
        .unwrap_or_else(|_| panic!("FUSION_TEST_REAL_ODOO=1 needs {name} (the kit's exports)"))
}

/// Points `settings` at the real Odoo of the kit's variables (API key as the password), over
/// JSON-RPC or, with `ODOO_TEST_PROTOCOL=json2`, JSON-2.
fn use_real(settings: &mut Settings) {
    settings.odoo.url = var("ODOO_URL");
    settings.odoo.database = var("ODOO_DB");
    settings.odoo.login = var("ODOO_LOGIN");
    settings.odoo.password = var("ODOO_API_KEY");
    settings.odoo.timeout_secs = 60;
    if std::env::var("ODOO_TEST_PROTOCOL").is_ok_and(|p| p == "json2") {
        settings.odoo.protocol = OdooProtocol::Json2;
    }
}

/// A suffix unique to this run, for ids that end up in a shared Odoo.
pub fn unique_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

impl OdooUnderTest {
    /// Starts the gateway against the simulator, or the real Odoo when [`real_wanted`].
    pub async fn spawn(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
    ) -> (TestApp, OdooUnderTest) {
        if !real_wanted() {
            let sim = spawn_sim().await;
            let mut app = TestApp::spawn_with(backend, |s| {
                use_sim(s, &sim);
                adjust(s);
            })
            .await;
            app.odoo = Some(sim);
            return (app, OdooUnderTest::Sim);
        }
        let app = TestApp::spawn_with(backend, |s| {
            use_real(s);
            adjust(s);
        })
        .await;
        let client = OdooClient::connect(&app.settings.odoo)
            .await
            .expect("real Odoo: connect with the kit's variables");
        (app, OdooUnderTest::Real(client))
    }

    /// True for a real server.
    pub fn is_real(&self) -> bool {
        matches!(self, OdooUnderTest::Real(_))
    }

    /// `search_read` of `model` (all records matching `domain`, by id).
    pub async fn search_read(
        &self,
        app: &TestApp,
        model: &str,
        domain: Value,
        fields: &[&str],
    ) -> Vec<Value> {
        match self {
            OdooUnderTest::Sim => {
                let ids = app.sim().search(model, domain).unwrap();
                app.sim().read(model, &ids, fields).unwrap()
            }
            OdooUnderTest::Real(c) => {
                let v = c
                    .call(
                        Call::new(model, "search_read")
                            .arg("domain", domain)
                            .arg("fields", json!(fields))
                            .arg("order", "id asc"),
                    )
                    .await
                    .unwrap();
                v.as_array().cloned().unwrap_or_default()
            }
        }
    }

    /// Creates one `model` record with `vals` over RPC (the simulator answers RPC too).
    pub async fn create(&self, app: &TestApp, model: &str, vals: Value) -> i64 {
        let client = OdooClient::connect(&app.settings.odoo).await.unwrap();
        let vals = vals.as_object().cloned().expect("vals is an object");
        client
            .create_one(model, vals, serde_json::Map::new())
            .await
            .unwrap()
    }

    /// Reads these ids of `model`.
    pub async fn read(
        &self,
        app: &TestApp,
        model: &str,
        ids: &[i64],
        fields: &[&str],
    ) -> Vec<Value> {
        self.search_read(app, model, json!([["id", "in", ids]]), fields)
            .await
    }

    /// Bills the due period of the subscription whose customer reference is `reference`: the
    /// simulator's cron (due today), or `action_invoice_subscription` on a real server.
    /// Returns the invoices made.
    pub async fn invoice_period(&self, app: &TestApp, reference: &str) -> Vec<i64> {
        match self {
            OdooUnderTest::Sim => app.sim().run_recurring_invoicing().unwrap(),
            OdooUnderTest::Real(c) => {
                let orders = self
                    .search_read(
                        app,
                        "sale.order",
                        json!([["client_order_ref", "=", reference]]),
                        &["id"],
                    )
                    .await;
                assert_eq!(orders.len(), 1, "one order {reference}: {orders:?}");
                let id = orders[0]["id"].as_i64().unwrap();
                let action = c
                    .call(Call::new("sale.order", "action_invoice_subscription").ids([id]))
                    .await
                    .unwrap();
                vec![action["res_id"].as_i64().expect("one invoice")]
            }
        }
    }

    /// Moves to the next billing period: the simulator's clock a month on; nothing on a real
    /// server (see the module doc).
    pub fn next_period(&self, app: &TestApp) {
        if let OdooUnderTest::Sim = self {
            app.sim().advance_clock(32);
        }
    }
}
