//! Test target selection and raw-JSON helpers. With `ODOO_TEST_URL`, `ODOO_TEST_DB`,
//! `ODOO_TEST_LOGIN`, `ODOO_TEST_PASSWORD` set the tests run against that Odoo; otherwise each
//! test spawns its own simulator on port 0.

use fusion_billing::odoo_sim::{spawn, SimHandle, SimOptions};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the tests send their requests.
pub struct Target {
    pub url: String,
    pub db: String,
    pub login: String,
    pub password: String,
    pub uid: i64,
    pub sim: Option<SimHandle>,
    pub http: reqwest::Client,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A unique suffix for record names (tests may share a real database).
pub fn uniq(prefix: &str) -> String {
    format!(
        "{prefix} {}-{}",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    )
}

/// Contract tests that need an Odoo Enterprise module, by test path, with the module. Against
/// a server without the module they are not run, and say so; any other test that finds a module
/// missing fails (see [`Target::enterprise_module`]).
pub const ENTERPRISE_ONLY: &[(&str, &str)] = &[
    (
        "subscriptions::subscription_state_transitions",
        "sale_subscription",
    ),
    (
        "subscriptions::invoicing_advances_next_invoice_date_and_bills_usage",
        "sale_subscription",
    ),
    (
        "subscriptions::yearly_plan_advances_one_year",
        "sale_subscription",
    ),
];

/// The current test's path (`module::name`), as libtest names its thread.
pub fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("unnamed")
        .to_string()
}

/// Prints the visible `SKIPPED: <test> needs <what>` line of a test that cannot run against
/// this target and returns (the caller returns next). Only for what the target is by design
/// (simulator controls against a real Odoo, a server with or without a module); a missing
/// server is never a skip: `ODOO_TEST_REAL` without `ODOO_TEST_URL` fails (see
/// [`Target::with`]). `.ci/real-odoo-contract` lists these lines.
pub fn skipped(what: &str) {
    use std::io::Write;
    // Straight to stderr: libtest's capture (print macros only) would hide it on a pass.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {} needs {what}", test_name());
}

/// Skips the current test when it needs simulator-only controls and the target is a real Odoo.
#[macro_export]
macro_rules! sim_only {
    ($t:expr) => {
        match $t.sim.as_ref() {
            Some(s) => s,
            None => {
                $crate::harness::skipped("simulator controls");
                return;
            }
        }
    };
}

impl Target {
    /// The configured real Odoo, or a fresh simulator.
    pub async fn new() -> Target {
        Self::with(SimOptions::default()).await
    }

    /// Like [`Target::new`] with custom simulator options (ignored against a real Odoo).
    pub async fn with(opts: SimOptions) -> Target {
        let http = reqwest::Client::new();
        let url = std::env::var("ODOO_TEST_URL")
            .ok()
            .filter(|u| !u.is_empty());
        if url.is_none() && std::env::var_os("ODOO_TEST_REAL").is_some() {
            panic!(
                "ODOO_TEST_REAL is set (the real-Odoo run) but ODOO_TEST_URL is not: \
                 start the server (../shared/odoo/real/start.sh) and export ODOO_TEST_URL, \
                 ODOO_TEST_DB, ODOO_TEST_LOGIN, ODOO_TEST_PASSWORD"
            );
        }
        let mut t = match url {
            Some(url) => Target {
                url: url.trim_end_matches('/').to_string(),
                db: std::env::var("ODOO_TEST_DB").expect("ODOO_TEST_DB"),
                login: std::env::var("ODOO_TEST_LOGIN").expect("ODOO_TEST_LOGIN"),
                password: std::env::var("ODOO_TEST_PASSWORD").expect("ODOO_TEST_PASSWORD"),
                uid: 0,
                sim: None,
                http,
            },
            None => {
                let sim = spawn(opts.clone()).await.expect("simulator starts");
                Target {
                    url: sim.base_url(),
                    db: opts.database,
                    login: opts.login,
                    password: opts.password,
                    uid: 0,
                    sim: Some(sim),
                    http,
                }
            }
        };
        let uid = t
            .rpc(
                "common",
                "authenticate",
                json!([t.db, t.login, t.password, {}]),
            )
            .await;
        t.uid = uid["result"]
            .as_i64()
            .expect("valid credentials authenticate");
        t
    }

    /// True when `model` exists on the target (`ir.model`).
    pub async fn has_model(&self, model: &str) -> bool {
        let n = self
            .ok(
                "ir.model",
                "search_count",
                json!([[["model", "=", model]]]),
                json!({}),
            )
            .await;
        n.as_u64().unwrap_or(0) > 0
    }

    /// Whether the current test can run: true when the target has `model`, which Enterprise's
    /// `module` provides. When it lacks it, a test listed in [`ENTERPRISE_ONLY`] with that
    /// module prints that it was not run and gets false (it must return); any other test fails.
    pub async fn enterprise_module(&self, module: &str, model: &str) -> bool {
        if self.has_model(model).await {
            return true;
        }
        let name = test_name();
        let listed = ENTERPRISE_ONLY
            .iter()
            .any(|(t, m)| name.ends_with(t) && *m == module);
        assert!(
            listed,
            "{name}: the server lacks {model} (Enterprise module {module}) and the test is not \
             declared in ENTERPRISE_ONLY"
        );
        eprintln!(
            "NOT RUN (Enterprise-only): {name} needs Odoo Enterprise module {module} \
             ({model} is missing on {})",
            self.url
        );
        false
    }

    /// True when running against the simulator.
    pub fn is_sim(&self) -> bool {
        self.sim.is_some()
    }

    /// Raw POST of a JSON body to `path`; returns (status, content-type, body text).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (u16, String, String, reqwest::header::HeaderMap) {
        let mut rb = self
            .http
            .post(format!("{}{}", self.url, path))
            .header("Content-Type", content_type)
            .body(body.to_string());
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let resp = rb.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let hdrs = resp.headers().clone();
        let ct = hdrs
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, ct, resp.text().await.unwrap_or_default(), hdrs)
    }

    /// A JSON-RPC call on `/jsonrpc`; returns the whole envelope (asserts HTTP 200).
    pub async fn rpc(&self, service: &str, method: &str, args: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "method": "call", "id": 7, "params": {"service": service, "method": method, "args": args}});
        let (status, _, text, _) = self
            .post_raw("/jsonrpc", "application/json", &body.to_string(), &[])
            .await;
        assert_eq!(status, 200, "JSON-RPC answers 200: {text}");
        let v: Value = serde_json::from_str(&text).expect("JSON-RPC body is JSON");
        assert_eq!(v["jsonrpc"], "2.0");
        assert_eq!(v["id"], 7);
        v
    }

    /// `execute_kw` envelope.
    pub async fn kw(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        self.rpc(
            "object",
            "execute_kw",
            json!([
                self.db,
                self.uid,
                self.password,
                model,
                method,
                args,
                kwargs
            ]),
        )
        .await
    }

    /// A call that must succeed: returns its result (panics on an error). Sent with
    /// `execute_kw` over JSON-RPC, or, when `ODOO_TEST_PROTOCOL=json2`, as the same call over
    /// JSON-2 (see [`json2_body`]), so the business flows run over both protocols. Wire-level
    /// tests use [`Target::kw`], [`Target::err`] and [`Target::json2`], which never switch.
    pub async fn ok(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        if protocol_is_json2() {
            let (body, single) = json2_body(method, &args, &kwargs);
            let (s, _, v) = self.json2(model, method, body).await;
            assert_eq!(s, 200, "{model}.{method} failed over JSON-2: {v}");
            return match single {
                true => v[0].clone(),
                false => v,
            };
        }
        let v = self.kw(model, method, args, kwargs).await;
        assert!(v.get("error").is_none(), "{model}.{method} failed: {v}");
        v.get("result").cloned().unwrap_or(Value::Null)
    }

    /// `execute_kw` that must fail: returns `error` after checking the envelope shape.
    pub async fn err(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        let v = self.kw(model, method, args, kwargs).await;
        assert_error_envelope(&v);
        v["error"].clone()
    }

    /// `POST /json/2/<model>/<method>` with the bearer key; returns (status, content-type, body).
    pub async fn json2(&self, model: &str, method: &str, body: Value) -> (u16, String, Value) {
        let auth = format!("bearer {}", self.password);
        let (s, ct, text, _) = self
            .post_raw(
                &format!("/json/2/{model}/{method}"),
                "application/json",
                &body.to_string(),
                &[("Authorization", &auth), ("X-Odoo-Database", &self.db)],
            )
            .await;
        (
            s,
            ct,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Reads one record's fields.
    pub async fn read1(&self, model: &str, id: i64, fields: &[&str]) -> Value {
        let r = self
            .ok(model, "read", json!([[id], fields]), json!({}))
            .await;
        r[0].clone()
    }

    /// Id of the 13 % sale tax (searched by amount, not by translated name).
    pub async fn hst(&self) -> i64 {
        let r = self
            .ok(
                "account.tax",
                "search",
                json!([[
                    ["type_tax_use", "=", "sale"],
                    ["amount", "=", 13],
                    ["amount_type", "=", "percent"]
                ]]),
                json!({"limit": 1}),
            )
            .await;
        r[0].as_i64().expect("a 13% sale tax exists")
    }

    /// Creates a customer and returns its id.
    pub async fn partner(&self) -> i64 {
        self.ok(
            "res.partner",
            "create",
            json!([{"name": uniq("Customer"), "is_company": true, "email": "ap@example.ca"}]),
            json!({}),
        )
        .await
        .as_i64()
        .unwrap()
    }

    /// Creates a service product (template) and returns `(template id, variant id)`.
    pub async fn product(&self, price: f64, policy: &str, recurring: bool) -> (i64, i64) {
        let mut vals = json!({"name": uniq("Product"), "type": "service", "list_price": price, "invoice_policy": policy});
        if recurring {
            vals["recurring_invoice"] = json!(true);
        }
        let tmpl = self
            .ok("product.template", "create", json!([vals]), json!({}))
            .await
            .as_i64()
            .unwrap();
        let variant = self
            .read1("product.template", tmpl, &["product_variant_id"])
            .await["product_variant_id"][0]
            .as_i64()
            .unwrap();
        (tmpl, variant)
    }

    /// A posted invoice of `qty` × `price` with the 13 % tax; returns its id.
    pub async fn posted_invoice(&self, qty: f64, price: f64) -> i64 {
        let inv = self.draft_invoice(qty, price).await;
        assert_eq!(
            self.ok("account.move", "action_post", json!([[inv]]), json!({}))
                .await,
            json!(false)
        );
        inv
    }

    /// A draft invoice of `qty` × `price` with the 13 % tax; returns its id.
    pub async fn draft_invoice(&self, qty: f64, price: f64) -> i64 {
        let partner = self.partner().await;
        let (_, product) = self.product(price, "order", false).await;
        let tax = self.hst().await;
        let vals = json!({"move_type": "out_invoice", "partner_id": partner, "invoice_line_ids": [[0, 0, {"product_id": product, "quantity": qty, "price_unit": price, "tax_ids": [[6, 0, [tax]]]}]]});
        self.ok("account.move", "create", json!([vals]), json!({}))
            .await
            .as_i64()
            .unwrap()
    }
}

/// True when `ODOO_TEST_PROTOCOL` is `json2`: [`Target::ok`] calls go over JSON-2.
pub fn protocol_is_json2() -> bool {
    match std::env::var("ODOO_TEST_PROTOCOL").as_deref() {
        Ok("json2") => true,
        Ok("jsonrpc") | Ok("") | Err(_) => false,
        Ok(other) => panic!("ODOO_TEST_PROTOCOL must be jsonrpc or json2, not {other:?}"),
    }
}

/// The JSON-2 body of an `execute_kw(model, method, args, kwargs)` call: positional arguments
/// named after the method's parameters (ids first for record methods), keyword arguments and
/// `context` as they are. Returns the body and whether JSON-RPC would have answered one id
/// where JSON-2 answers a list (`create` with one dict). Panics on a method whose positional
/// parameters it does not know, so a new test says what to add.
pub fn json2_body(method: &str, args: &Value, kwargs: &Value) -> (Value, bool) {
    let model_params: Option<&[&str]> = match method {
        "create" => Some(&["vals_list"]),
        "search" => Some(&["domain", "offset", "limit", "order"]),
        "search_read" => Some(&["domain", "fields", "offset", "limit", "order"]),
        "search_count" => Some(&["domain", "limit"]),
        "fields_get" => Some(&["allfields", "attributes"]),
        "name_search" => Some(&["name", "domain", "operator", "limit"]),
        "name_create" => Some(&["name"]),
        "default_get" => Some(&["fields"]),
        _ => None,
    };
    let record_params: &[&str] = match method {
        "read" => &["fields", "load"],
        "write" => &["vals"],
        "copy" => &["default"],
        _ => &[],
    };
    let mut body = kwargs.as_object().cloned().unwrap_or_default();
    let mut pos = args.as_array().cloned().unwrap_or_default().into_iter();
    let names: &[&str] = match model_params {
        Some(p) => p,
        None => {
            body.insert("ids".into(), pos.next().unwrap_or(json!([])));
            record_params
        }
    };
    let mut single = false;
    for (i, v) in pos.enumerate() {
        let name = names.get(i).unwrap_or_else(|| {
            panic!("json2_body: positional argument {i} of {method} has no known name")
        });
        let v = if *name == "vals_list" && v.is_object() {
            single = true;
            json!([v])
        } else {
            v
        };
        body.insert((*name).to_string(), v);
    }
    (Value::Object(body), single)
}

/// Asserts the exact JSON-RPC error envelope of CONTRACT.md §1.4.
pub fn assert_error_envelope(v: &Value) {
    assert!(v.get("result").is_none(), "no result with an error: {v}");
    let e = &v["error"];
    assert_eq!(e["code"], 0, "error.code is 0 in 19.0: {v}");
    assert_eq!(e["message"], "Odoo Server Error");
    let keys: Vec<&str> = e["data"]
        .as_object()
        .expect("data object")
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec!["arguments", "context", "debug", "message", "name"],
        "data keys: {v}"
    );
    assert!(e["data"]["debug"].is_string());
    assert!(e["data"]["arguments"].is_array());
}
