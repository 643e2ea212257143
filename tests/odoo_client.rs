//! Black-box tests of the Odoo client against a mock Odoo (actix-web on 127.0.0.1:0) that answers
//! canned envelopes exactly as `shared/odoo/CONTRACT.md` describes and counts requests.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::NaiveDate;
use rust_decimal_macros::dec;
use serde_json::{json, Map, Value};

use fusion_billing::configuration::{OdooProtocol, OdooSettings};
use fusion_billing::odoo::invoices::{MoveState, MoveType, PaymentState};
use fusion_billing::odoo::partners::PartnerValues;
use fusion_billing::odoo::subscriptions::{DeliveredQty, SubscriptionState};
use fusion_billing::odoo::{
    check, Call, MoveId, OdooClient, OdooError, PartnerId, Protocol, RetryPolicy, SaleOrderId,
    SaleOrderLineId, TransportKind,
};

const PASSWORD: &str = "s3cret-Pa55word";

/// One request as the mock saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    body: Value,
    auth: Option<String>,
    database: Option<String>,
}

impl Seen {
    /// `(service, method)` of a JSON-RPC call.
    fn rpc(&self) -> (String, String) {
        let p = &self.body["params"];
        (
            p["service"].as_str().unwrap_or_default().to_string(),
            p["method"].as_str().unwrap_or_default().to_string(),
        )
    }

    /// `(model, method)` of an `execute_kw` call, or of a JSON-2 path.
    fn call(&self) -> (String, String) {
        if let Some(rest) = self.path.strip_prefix("/json/2/") {
            let mut it = rest.splitn(2, '/');
            return (
                it.next().unwrap_or_default().to_string(),
                it.next().unwrap_or_default().to_string(),
            );
        }
        let a = &self.body["params"]["args"];
        (
            a[3].as_str().unwrap_or_default().to_string(),
            a[4].as_str().unwrap_or_default().to_string(),
        )
    }

    fn args(&self) -> &Value {
        &self.body["params"]["args"][5]
    }

    fn kwargs(&self) -> &Value {
        &self.body["params"]["args"][6]
    }
}

/// A canned HTTP answer.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
}

fn result(v: Value) -> Reply {
    Reply {
        status: 200,
        content_type: "application/json",
        body: json!({"jsonrpc": "2.0", "id": 1, "result": v}).to_string(),
    }
}

fn no_result() -> Reply {
    Reply {
        status: 200,
        content_type: "application/json",
        body: json!({"jsonrpc": "2.0", "id": 1}).to_string(),
    }
}

fn rpc_error(name: &str, message: &str) -> Reply {
    Reply {
        status: 200,
        content_type: "application/json",
        body:
            json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 0, "message": "Odoo Server Error",
            "data": {"name": name, "message": message, "arguments": [message], "context": {},
                     "debug": "Traceback (most recent call last):\n ..."}}})
            .to_string(),
    }
}

fn status(code: u16, body: &str) -> Reply {
    Reply {
        status: code,
        content_type: "text/html",
        body: body.to_string(),
    }
}

fn json2(code: u16, v: Value) -> Reply {
    Reply {
        status: code,
        content_type: "application/json; charset=utf-8",
        body: v.to_string(),
    }
}

fn json2_error(code: u16, name: &str, message: &str) -> Reply {
    json2(
        code,
        json!({"name": name, "message": message, "arguments": [message], "context": {}, "debug": ""}),
    )
}

type Handler = Box<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

struct MockState {
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
    delay: Duration,
    handler: Handler,
}

/// A running mock Odoo.
struct Mock {
    url: String,
    state: Arc<MockState>,
}

impl Mock {
    fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Requests other than authentication/probing.
    fn calls(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| {
                s.path == "/jsonrpc" && s.rpc().0 == "object"
                    || s.path.starts_with("/json/2/") && s.path != "/json/2/res.users/context_get"
            })
            .collect()
    }

    fn settings(&self, protocol: OdooProtocol) -> OdooSettings {
        OdooSettings {
            url: self.url.clone(),
            database: "db".into(),
            login: "admin".into(),
            password: PASSWORD.into(),
            protocol,
            timeout_secs: 5,
            max_concurrency: 4,
            max_retries: 3,
        }
    }
}

async fn handle(req: HttpRequest, body: web::Bytes, state: web::Data<MockState>) -> HttpResponse {
    let n = state.requests.fetch_add(1, Ordering::SeqCst) + 1;
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let header = |h: &str| {
        req.headers()
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let seen = Seen {
        path: req.path().to_string(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        auth: header("authorization"),
        database: header("x-odoo-database"),
    };
    state.seen.lock().unwrap().push(seen.clone());
    if !state.delay.is_zero() {
        tokio::time::sleep(state.delay).await;
    }
    let reply = (state.handler)(&seen, n);
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    HttpResponse::build(actix_web::http::StatusCode::from_u16(reply.status).unwrap())
        .content_type(reply.content_type)
        .body(reply.body)
}

/// Answers authentication like Odoo 19 with only /jsonrpc reachable: JSON-2 probe → 404 HTML.
fn base_reply(s: &Seen) -> Option<Reply> {
    if s.path.starts_with("/json/2/") {
        return Some(status(404, "<html><body>Not Found</body></html>"));
    }
    if s.path == "/jsonrpc" {
        let (service, method) = s.rpc();
        if service == "common" && method == "authenticate" {
            let args = &s.body["params"]["args"];
            let good = args[0] == "db" && args[1] == "admin" && args[2] == PASSWORD;
            return Some(result(if good { json!(2) } else { json!(false) }));
        }
        if service == "common" && method == "version" {
            return Some(result(json!({"server_version": "19.0+e",
                "server_version_info": [19, 0, 0, "final", 0, "e"], "server_serie": "19.0", "protocol_version": 1})));
        }
    }
    None
}

async fn spawn_mock_with_delay(
    delay: Duration,
    handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static,
) -> Mock {
    let state = Arc::new(MockState {
        requests: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        max_in_flight: AtomicUsize::new(0),
        seen: Mutex::new(Vec::new()),
        delay,
        handler: Box::new(handler),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let data = web::Data::from(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(handle))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    Mock {
        url: format!("http://127.0.0.1:{port}"),
        state,
    }
}

async fn spawn_mock(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Mock {
    spawn_mock_with_delay(Duration::ZERO, handler).await
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        min_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    }
}

async fn connect(mock: &Mock) -> OdooClient {
    OdooClient::connect_with(&mock.settings(OdooProtocol::Jsonrpc), fast())
        .await
        .expect("connect")
}

// ---------------------------------------------------------------------------------------------
// Authentication, version, protocol selection

#[tokio::test]
async fn connect_authenticates_over_jsonrpc() {
    let mock = spawn_mock(|s, _| base_reply(s).unwrap()).await;
    let client = connect(&mock).await;
    assert_eq!(client.protocol(), Protocol::JsonRpc);
    assert_eq!(client.uid().0, 2);
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].body["params"]["service"], "common");
    assert_eq!(seen[0].body["params"]["args"][3], json!({}));
    let v = client.server_version().await.unwrap();
    assert_eq!(v.version, "19.0+e");
    assert_eq!(v.major, Some(19));
    assert!(v.enterprise);
}

#[tokio::test]
async fn authenticate_false_is_a_clear_config_error() {
    let mock = spawn_mock(|s, _| base_reply(s).unwrap()).await;
    let mut settings = mock.settings(OdooProtocol::Jsonrpc);
    settings.password = "wrong".into();
    let err = OdooClient::connect_with(&settings, fast())
        .await
        .unwrap_err();
    match &err {
        OdooError::Config(m) => {
            assert_eq!(m, "authentication failed for login admin on database db")
        }
        other => panic!("expected Config, got {other:?}"),
    }
    assert_eq!(mock.requests(), 1, "a refused login is not retried");
}

#[tokio::test]
async fn auto_falls_back_to_jsonrpc_when_json2_is_absent() {
    let mock = spawn_mock(|s, _| base_reply(s).unwrap()).await;
    let client = OdooClient::connect_with(&mock.settings(OdooProtocol::Auto), fast())
        .await
        .unwrap();
    assert_eq!(client.protocol(), Protocol::JsonRpc);
    let paths: Vec<String> = mock.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(paths, vec!["/json/2/res.users/context_get", "/jsonrpc"]);
}

fn json2_server(s: &Seen) -> Reply {
    if s.auth.as_deref() != Some(&format!("bearer {PASSWORD}")) {
        return json2_error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey");
    }
    match s.call() {
        (m, f) if m == "res.users" && f == "context_get" => json2(
            200,
            json!({"lang": "en_US", "tz": "America/Toronto", "uid": 7}),
        ),
        (m, f) if m == "res.partner" && f == "search_read" => json2(
            200,
            json!([{"id": 3, "name": "Acme", "email": false, "vat": false, "ref": false,
                "is_company": true, "street": false, "street2": false, "city": "Toronto", "zip": false,
                "country_id": [38, "Canada"], "country_code": "CA", "state_id": [541, "Ontario (CA)"],
                "lang": "en_CA", "phone": false,
                "active": true, "write_date": "2025-06-01 14:03:22"}]),
        ),
        (m, f) if m == "res.partner" && f == "create" => json2(200, json!([41])),
        (m, _) if m == "x.y" => json2_error(
            404,
            "werkzeug.exceptions.NotFound",
            "the model 'x.y' does not exist",
        ),
        (_, f) if f == "action_post" => json2_error(
            422,
            "odoo.exceptions.UserError",
            "Even magicians can't post nothing!",
        ),
        _ => json2(
            500,
            json!({"name": "builtins.ValueError", "message": "unexpected"}),
        ),
    }
}

#[tokio::test]
async fn auto_prefers_json2_and_sends_named_arguments() {
    let mock = spawn_mock(|s, _| json2_server(s)).await;
    let client = OdooClient::connect_with(&mock.settings(OdooProtocol::Auto), fast())
        .await
        .unwrap();
    assert_eq!(client.protocol(), Protocol::Json2);
    assert_eq!(client.uid().0, 7);

    let p = client.partners().get(PartnerId(3)).await.unwrap().unwrap();
    assert_eq!(p.name.as_deref(), Some("Acme"));
    assert_eq!(p.country.unwrap().name, "Canada");
    assert_eq!(p.state.unwrap().name, "Ontario (CA)");
    let last = mock.seen().pop().unwrap();
    assert_eq!(last.path, "/json/2/res.partner/search_read");
    assert_eq!(last.database.as_deref(), Some("db"));
    assert_eq!(last.body["domain"], json!([["id", "=", 3]]));
    assert_eq!(last.body["context"], json!({"active_test": false}));
    assert!(
        last.body.get("ids").is_none(),
        "no ids for an @api.model method"
    );

    // JSON-2 create always answers a list.
    let id = client
        .partners()
        .create(&PartnerValues {
            name: Some("New Co".into()),
            ..PartnerValues::default()
        })
        .await
        .unwrap();
    assert_eq!(id, PartnerId(41));
    let last = mock.seen().pop().unwrap();
    assert_eq!(last.body["vals_list"], json!([{"name": "New Co"}]));

    // JSON-2 errors: status + {name, message}.
    let e = client.invoices().post(MoveId(9)).await.unwrap_err();
    assert!(
        matches!(e, OdooError::UserError(ref m) if m.contains("magicians")),
        "{e:?}"
    );
    let e = client.call(Call::new("x.y", "search")).await.unwrap_err();
    assert!(
        matches!(e, OdooError::Server { ref name, .. } if name == "werkzeug.exceptions.NotFound"),
        "{e:?}"
    );
    let last = mock.seen().pop().unwrap();
    assert_eq!(last.path, "/json/2/x.y/search");
}

#[tokio::test]
async fn json2_with_a_rejected_key_is_an_authentication_error() {
    let mock = spawn_mock(|s, _| json2_server(s)).await;
    let mut settings = mock.settings(OdooProtocol::Json2);
    settings.password = "not-the-key".into();
    let e = OdooClient::connect_with(&settings, fast())
        .await
        .unwrap_err();
    assert!(
        matches!(e, OdooError::Config(ref m) if m.starts_with("authentication failed for login admin on database db")),
        "{e:?}"
    );
    assert_eq!(mock.requests(), 1);
}

// ---------------------------------------------------------------------------------------------
// Error classes

#[tokio::test]
async fn every_error_name_maps_to_its_variant_and_is_not_retried() {
    let mock = spawn_mock(|s, _| {
        if let Some(r) = base_reply(s) {
            return r;
        }
        let (_, method) = s.call();
        let name = match method.as_str() {
            "m_denied" => "odoo.exceptions.AccessDenied",
            "m_access" => "odoo.exceptions.AccessError",
            "m_user" => "odoo.exceptions.UserError",
            "m_validation" => "odoo.exceptions.ValidationError",
            "m_missing" => "odoo.exceptions.MissingError",
            _ => "builtins.AttributeError",
        };
        rpc_error(name, &format!("message of {method}"))
    })
    .await;
    let client = connect(&mock).await;
    let run = |m: &'static str| {
        let client = client.clone();
        async move {
            client
                .execute_kw("res.partner", m, vec![json!([1])], Map::new())
                .await
                .unwrap_err()
        }
    };
    assert!(
        matches!(run("m_denied").await, OdooError::AccessDenied(m) if m == "message of m_denied")
    );
    assert!(
        matches!(run("m_access").await, OdooError::AccessError(m) if m == "message of m_access")
    );
    assert!(matches!(run("m_user").await, OdooError::UserError(m) if m == "message of m_user"));
    assert!(
        matches!(run("m_validation").await, OdooError::ValidationError(m) if m == "message of m_validation")
    );
    assert!(
        matches!(run("m_missing").await, OdooError::MissingError(m) if m == "message of m_missing")
    );
    match run("m_other").await {
        OdooError::Server { name, message } => {
            assert_eq!(name, "builtins.AttributeError");
            assert_eq!(message, "message of m_other");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(mock.calls().len(), 6, "business errors are never retried");
}

#[tokio::test]
async fn gateway_errors_are_retried_then_succeed() {
    for code in [502u16, 503, 504] {
        let mock = spawn_mock(move |s, _| {
            if let Some(r) = base_reply(s) {
                return r;
            }
            status(code, "<html>Bad Gateway</html>")
        })
        .await;
        let client = connect(&mock).await;
        let e = client
            .search("res.partner", json!([]), &Default::default())
            .await
            .unwrap_err();
        assert!(
            matches!(e, OdooError::Unavailable { status } if status == code),
            "{e:?}"
        );
        assert_eq!(
            mock.calls().len(),
            4,
            "1 attempt + max_retries (3) for HTTP {code}"
        );
    }

    let mock = spawn_mock(|s, n| {
        if let Some(r) = base_reply(s) {
            return r;
        }
        if n <= 3 {
            status(if n == 2 { 502 } else { 504 }, "busy")
        } else {
            result(json!([4, 5]))
        }
    })
    .await;
    let client = connect(&mock).await;
    let ids = client
        .search("res.partner", json!([]), &Default::default())
        .await
        .unwrap();
    assert_eq!(ids, vec![4, 5]);
    assert_eq!(mock.calls().len(), 3, "two failures then success");
}

#[tokio::test]
async fn http_500_and_bad_json_are_not_retried() {
    let mock = spawn_mock(|s, _| {
        if let Some(r) = base_reply(s) {
            return r;
        }
        match s.call().1.as_str() {
            "boom" => status(500, "<html>Internal Server Error</html>"),
            _ => Reply {
                status: 200,
                content_type: "text/html",
                body: "<html>login</html>".into(),
            },
        }
    })
    .await;
    let client = connect(&mock).await;
    let e = client
        .execute_kw("res.partner", "boom", vec![], Map::new())
        .await
        .unwrap_err();
    assert!(matches!(e, OdooError::Http { status: 500, .. }), "{e:?}");
    assert!(!e.is_retryable());
    let e = client
        .execute_kw("res.partner", "html", vec![], Map::new())
        .await
        .unwrap_err();
    assert!(matches!(e, OdooError::Decode(_)), "{e:?}");
    assert_eq!(mock.calls().len(), 2);
}

#[tokio::test]
async fn create_is_not_resent_after_an_ambiguous_failure() {
    let mock = spawn_mock(|s, _| {
        if let Some(r) = base_reply(s) {
            return r;
        }
        match s.call().0.as_str() {
            "res.partner" => status(504, "gateway timeout"),
            _ => status(503, "maintenance"),
        }
    })
    .await;
    let client = connect(&mock).await;
    let e = client
        .create_one("res.partner", Map::new(), Map::new())
        .await
        .unwrap_err();
    assert!(matches!(e, OdooError::Unavailable { status: 504 }));
    assert_eq!(
        mock.calls().len(),
        1,
        "504 on create: may have run, not resent"
    );
    let e = client
        .create_one("product.product", Map::new(), Map::new())
        .await
        .unwrap_err();
    assert!(matches!(e, OdooError::Unavailable { status: 503 }));
    assert_eq!(mock.calls().len(), 1 + 4, "503: never ran, resent");
}

#[tokio::test]
async fn connection_refused_is_a_retryable_transport_error() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let settings = OdooSettings {
        url: format!("http://127.0.0.1:{port}"),
        database: "db".into(),
        login: "admin".into(),
        password: PASSWORD.into(),
        protocol: OdooProtocol::Jsonrpc,
        timeout_secs: 2,
        max_concurrency: 1,
        max_retries: 1,
    };
    let e = OdooClient::connect_with(&settings, fast())
        .await
        .unwrap_err();
    match &e {
        OdooError::Transport { kind, .. } => assert_eq!(*kind, TransportKind::Connect),
        other => panic!("{other:?}"),
    }
    assert!(e.is_retryable());
    assert!(!e.to_string().contains(PASSWORD));
}

#[tokio::test]
async fn timeouts_are_transport_errors_and_retried() {
    let mock = spawn_mock_with_delay(Duration::from_millis(1500), |s, _| {
        base_reply(s).unwrap_or_else(|| result(json!([])))
    })
    .await;
    let mut settings = mock.settings(OdooProtocol::Jsonrpc);
    settings.timeout_secs = 3;
    let client = OdooClient::connect_with(
        &settings,
        RetryPolicy {
            max_retries: 1,
            ..fast()
        },
    )
    .await
    .unwrap();
    drop(client);
    settings.timeout_secs = 1;
    // Authentication itself times out: 1 attempt + 1 retry.
    let before = mock.requests();
    let e = OdooClient::connect_with(
        &settings,
        RetryPolicy {
            max_retries: 1,
            ..fast()
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            OdooError::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{e:?}"
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(mock.requests() - before, 2);
}

// ---------------------------------------------------------------------------------------------
// Decoding

fn invoice_record() -> Value {
    json!({"id": 42, "name": "INV/2025/00042", "move_type": "out_invoice", "state": "posted",
        "payment_state": "not_paid", "partner_id": [3, "Acme"], "currency_id": [4, "CAD"],
        "invoice_date": "2025-06-01", "invoice_date_due": "2025-07-01", "invoice_origin": "S00012",
        "ref": false, "amount_untaxed": 100.0, "amount_tax": 13.0, "amount_total": 113.0,
        "amount_residual": 113.0, "reversed_entry_id": false, "invoice_line_ids": [7, 8],
        "create_date": "2025-06-01 14:00:00", "write_date": "2025-06-01 14:03:22"})
}

#[tokio::test]
async fn records_decode_false_m2o_dates_and_money() {
    let mock = spawn_mock(|s, _| {
        if let Some(r) = base_reply(s) {
            return r;
        }
        match s.call() {
            (m, f) if m == "account.move" && f == "search_read" => {
                let mut draft = invoice_record();
                draft["id"] = json!(43);
                draft["name"] = json!("/");
                draft["state"] = json!("draft");
                draft["move_type"] = json!("out_refund");
                draft["payment_state"] = json!(false);
                draft["invoice_date"] = json!(false);
                draft["partner_id"] = json!(false);
                draft["reversed_entry_id"] = json!([42, "INV/2025/00042"]);
                draft["amount_total"] = json!(0.30000000000000004);
                draft["amount_untaxed"] = json!(0.1);
                result(json!([invoice_record(), draft]))
            }
            (m, f) if m == "sale.order.line" && f == "search_read" => result(json!([
                {"id": 5, "order_id": [12, "S00012"], "product_id": [9, "[API] API calls"],
                 "name": "API calls", "product_uom_qty": 1.0, "qty_delivered": 1234.5,
                 "qty_invoiced": 0.0, "qty_to_invoice": 1234.5, "price_unit": 0.002,
                 "discount": 0.0, "price_subtotal": 2.47, "price_total": 2.79, "tax_ids": [21],
                 "display_type": false}])),
            _ => result(json!([])),
        }
    })
    .await;
    let client = connect(&mock).await;
    let moves = client.invoices().by_origin("S00012").await.unwrap();
    let inv = &moves[0];
    assert_eq!(inv.id, MoveId(42));
    assert_eq!(inv.number.as_deref(), Some("INV/2025/00042"));
    assert_eq!(inv.move_type, MoveType::Invoice);
    assert_eq!(inv.state, MoveState::Posted);
    assert_eq!(inv.payment_state, Some(PaymentState::NotPaid));
    assert_eq!(inv.partner.as_ref().unwrap().id, 3);
    assert_eq!(inv.partner.as_ref().unwrap().name, "Acme");
    assert_eq!(inv.invoice_date, NaiveDate::from_ymd_opt(2025, 6, 1));
    assert_eq!(inv.amount_total, dec!(113));
    assert_eq!(inv.amount_tax, dec!(13));
    assert_eq!(inv.reference, None);
    assert_eq!(
        inv.write_date.unwrap().to_rfc3339(),
        "2025-06-01T14:03:22+00:00"
    );
    let cn = &moves[1];
    assert_eq!(cn.number, None, "'/' is no number");
    assert_eq!(cn.move_type, MoveType::CreditNote);
    assert_eq!(cn.payment_state, None);
    assert_eq!(cn.partner, None);
    assert_eq!(cn.invoice_date, None);
    assert_eq!(cn.reversed_entry, Some(MoveId(42)));
    assert_eq!(cn.amount_untaxed, dec!(0.1));
    assert_eq!(cn.amount_total, dec!(0.30000000000000004));

    let sent = mock.calls().pop().unwrap();
    assert_eq!(
        sent.kwargs()["domain"],
        json!([
            ["invoice_origin", "=", "S00012"],
            ["move_type", "in", ["out_invoice", "out_refund"]]
        ])
    );
    assert_eq!(sent.args(), &json!([]));

    let lines = client.subscriptions().lines(SaleOrderId(12)).await.unwrap();
    assert_eq!(lines[0].qty_delivered, dec!(1234.5));
    assert_eq!(lines[0].price_unit, dec!(0.002));
    assert_eq!(lines[0].display_type, None);
    assert_eq!(lines[0].order_id, SaleOrderId(12));
}

#[tokio::test]
async fn a_wrong_shape_is_a_decode_error_naming_the_field() {
    let mock = spawn_mock(|s, _| {
        base_reply(s).unwrap_or_else(|| {
            let mut r = invoice_record();
            r["invoice_date"] = json!("06/01/2025");
            result(json!([r]))
        })
    })
    .await;
    let client = connect(&mock).await;
    let e = client.invoices().get(MoveId(42)).await.unwrap_err();
    assert!(
        matches!(e, OdooError::Decode(ref m) if m.contains("account.move.invoice_date")),
        "{e:?}"
    );
}

#[tokio::test]
async fn missing_result_means_none() {
    let mock = spawn_mock(|s, _| {
        base_reply(s).unwrap_or_else(|| match s.call().1.as_str() {
            "button_draft" | "button_cancel" => no_result(),
            "action_post" => result(json!(false)),
            _ => result(json!(true)),
        })
    })
    .await;
    let client = connect(&mock).await;
    let v = client
        .execute_kw(
            "account.move",
            "button_draft",
            vec![json!([42])],
            Map::new(),
        )
        .await
        .unwrap();
    assert_eq!(v, Value::Null);
    client.invoices().reset_to_draft(MoveId(42)).await.unwrap();
    client.invoices().cancel(MoveId(42)).await.unwrap();
    client.invoices().post(MoveId(42)).await.unwrap();
    let sent = mock.calls().pop().unwrap();
    assert_eq!(sent.call(), ("account.move".into(), "action_post".into()));
    assert_eq!(sent.args(), &json!([[42]]), "record methods get ids first");
}

#[tokio::test]
async fn create_returns_an_int_or_a_list() {
    let mock = spawn_mock(|s, _| {
        base_reply(s).unwrap_or_else(|| match s.args().get(0) {
            Some(Value::Object(_)) => result(json!(17)),
            Some(Value::Array(l)) if l.len() == 1 && s.call().0 == "res.partner" => {
                result(json!([18]))
            }
            Some(Value::Array(l)) => {
                result(json!((0..l.len()).map(|i| 20 + i).collect::<Vec<_>>()))
            }
            _ => rpc_error("builtins.IndexError", "tuple index out of range"),
        })
    })
    .await;
    let client = connect(&mock).await;
    let one = client
        .create_one("product.product", Map::new(), Map::new())
        .await
        .unwrap();
    assert_eq!(one, 17);
    let sent = mock.calls().pop().unwrap();
    assert_eq!(sent.args(), &json!([{}]), "vals passed positionally");
    let many = client
        .create("product.product", vec![Map::new(), Map::new()], Map::new())
        .await
        .unwrap();
    assert_eq!(many, vec![20, 21]);
    let sent = mock.calls().pop().unwrap();
    assert_eq!(sent.args(), &json!([[{}, {}]]));
    // A list answer for a single create (JSON-2 style) is accepted too.
    let mut vals = Map::new();
    vals.insert("name".into(), json!("x"));
    let ids = client
        .create("res.partner", vec![vals], Map::new())
        .await
        .unwrap();
    assert_eq!(ids, vec![18]);
}

// ---------------------------------------------------------------------------------------------
// Facades: wire forms

#[tokio::test]
async fn partner_lookup_by_email_is_case_insensitive_and_exact() {
    let mock = spawn_mock(|s, _| {
        base_reply(s).unwrap_or_else(|| match s.call() {
            (m, _) if m == "res.country" => result(json!([38])),
            (m, _) if m == "res.users" => result(json!([{"id": 2, "company_id": [1, "My Company"]}])),
            (m, _) if m == "res.company" => result(json!([
                {"id": 1, "country_id": [38, "Canada"], "state_id": [541, "Ontario (CA)"]}])),
            (_, f) if f == "search_read" => result(json!([
                {"id": 1, "name": "A", "email": "Jane_Doe@Example.com", "vat": false, "ref": false,
                 "is_company": false, "street": false, "street2": false, "city": false, "zip": false,
                 "country_id": false, "country_code": false, "state_id": false, "lang": false,
                 "phone": false, "active": true, "write_date": false},
                {"id": 2, "name": "B", "email": "janeXdoe@example.com", "vat": false, "ref": false,
                 "is_company": false, "street": false, "street2": false, "city": false, "zip": false,
                 "country_id": false, "country_code": false, "state_id": false, "lang": false,
                 "phone": false, "active": true, "write_date": false}])),
            (_, f) if f == "write" => result(json!(true)),
            _ => result(json!(99)),
        })
    })
    .await;
    let client = connect(&mock).await;
    let found = client
        .partners()
        .find_by_email("jane_doe@example.com")
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "the '_' wildcard match is filtered out");
    assert_eq!(found[0].id, PartnerId(1));
    assert_eq!(found[0].email.as_deref(), Some("Jane_Doe@Example.com"));
    let sent = mock.calls().pop().unwrap();
    assert_eq!(
        sent.kwargs()["domain"][0],
        json!(["email", "=ilike", "jane_doe@example.com"])
    );

    client
        .partners()
        .update(
            PartnerId(1),
            &PartnerValues {
                city: Some("Ottawa".into()),
                country_code: Some("ca".into()),
                vat: Some(String::new()),
                ..PartnerValues::default()
            },
        )
        .await
        .unwrap();
    let calls = mock.calls();
    let country = calls
        .iter()
        .find(|c| c.call().0 == "res.country")
        .expect("country looked up");
    assert_eq!(country.kwargs()["domain"], json!([["code", "=", "CA"]]));
    let write = calls.last().unwrap();
    assert_eq!(write.args(), &json!([[1]]));
    assert_eq!(
        write.kwargs()["vals"],
        json!({"city": "Ottawa", "country_id": 38, "vat": false, "state_id": 541}),
        "a Canadian partner without a province gets the company's (Ontario)"
    );
    // The country id is cached.
    client
        .partners()
        .update(
            PartnerId(1),
            &PartnerValues {
                country_code: Some("CA".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        !mock.calls()[calls.len()..]
            .iter()
            .any(|c| c.call().0 == "res.country"),
        "the country id is not looked up again"
    );
}

#[tokio::test]
async fn subscriptions_write_delivered_quantities_in_one_call() {
    let mock = spawn_mock(|s, _| {
        base_reply(s).unwrap_or_else(|| match s.call().1.as_str() {
            "search_read" => {
                let kw = s.kwargs();
                assert_eq!(kw["order"], "id asc");
                if kw["domain"].as_array().unwrap().last().unwrap()[2] == 0 {
                    result(json!([{"id": 12, "name": "S00012", "partner_id": [3, "Acme"], "state": "sale",
                        "is_subscription": true, "plan_id": [1, "Monthly"], "subscription_state": "3_progress",
                        "start_date": "2025-06-01", "next_invoice_date": "2025-07-01", "end_date": false,
                        "last_invoice_date": false, "currency_id": [4, "CAD"], "amount_untaxed": 49.0,
                        "amount_tax": 6.37, "amount_total": 55.37, "client_order_ref": "sub_ext_1",
                        "origin": false, "order_line": [5, 6], "invoice_ids": [], "write_date": "2025-06-01 10:00:00"}]))
                } else {
                    result(json!([]))
                }
            }
            _ => result(json!(true)),
        })
    })
    .await;
    let client = connect(&mock).await;
    let active = client
        .subscriptions()
        .in_states(&[SubscriptionState::InProgress], 1)
        .await
        .unwrap();
    assert_eq!(active.len(), 1);
    let s = &active[0];
    assert_eq!(s.subscription_state, Some(SubscriptionState::InProgress));
    assert_eq!(s.next_invoice_date, NaiveDate::from_ymd_opt(2025, 7, 1));
    assert_eq!(s.end_date, None);
    assert_eq!(s.amount_total, dec!(55.37));
    assert_eq!(s.line_ids, vec![SaleOrderLineId(5), SaleOrderLineId(6)]);
    let pages = mock.calls();
    assert_eq!(pages.len(), 2, "page size 1: a second page proves the end");
    assert_eq!(
        pages[0].kwargs()["domain"],
        json!([
            ["is_subscription", "=", true],
            ["subscription_state", "in", ["3_progress"]],
            ["id", ">", 0]
        ])
    );
    assert_eq!(pages[1].kwargs()["domain"][2], json!(["id", ">", 12]));

    client
        .subscriptions()
        .set_delivered(
            SaleOrderId(12),
            &[
                DeliveredQty {
                    line: SaleOrderLineId(5),
                    quantity: dec!(1234.5),
                },
                DeliveredQty {
                    line: SaleOrderLineId(6),
                    quantity: dec!(0),
                },
            ],
        )
        .await
        .unwrap();
    let write = mock.calls().pop().unwrap();
    assert_eq!(write.call(), ("sale.order".into(), "write".into()));
    assert_eq!(write.args(), &json!([[12]]));
    assert_eq!(
        write.kwargs()["vals"],
        json!({"order_line": [[1, 5, {"qty_delivered": 1234.5}], [1, 6, {"qty_delivered": 0.0}]]})
    );
    client
        .subscriptions()
        .close(SaleOrderId(12), None)
        .await
        .unwrap();
    assert_eq!(mock.calls().pop().unwrap().call().1, "set_close");
}

#[tokio::test]
async fn credit_note_and_pdf_url_flows() {
    let mock = spawn_mock(|s, _| {
        base_reply(s).unwrap_or_else(|| match s.call() {
            (m, f) if m == "account.move" && f == "read" => {
                result(json!([{"id": 42, "journal_id": [3, "Sales"]}]))
            }
            (m, f) if m == "account.move.reversal" && f == "create" => result(json!(77)),
            (m, f) if m == "account.move.reversal" && f == "refund_moves" => result(json!({
                "name": "Reverse Moves", "type": "ir.actions.act_window", "res_model": "account.move",
                "view_mode": "form", "res_id": 88})),
            (_, f) if f == "get_portal_url" => {
                result(json!("/my/invoices/42?access_token=abc&report_type=pdf&download=true"))
            }
            _ => result(json!(true)),
        })
    })
    .await;
    let client = connect(&mock).await;
    let cn = client
        .credit_notes()
        .create_draft(
            MoveId(42),
            "Refund of unused usage",
            NaiveDate::from_ymd_opt(2025, 6, 2),
        )
        .await
        .unwrap();
    assert_eq!(cn, MoveId(88));
    let calls = mock.calls();
    assert_eq!(calls[0].call(), ("account.move".into(), "read".into()));
    let create = &calls[1];
    assert_eq!(create.args()[0]["move_ids"], json!([[6, 0, [42]]]));
    assert_eq!(
        create.args()[0]["journal_id"],
        json!(3),
        "the reversed invoice's journal: Odoo 19 requires journal_id"
    );
    assert_eq!(create.args()[0]["date"], json!("2025-06-02"));
    assert_eq!(
        create.kwargs()["context"],
        json!({"active_model": "account.move", "active_ids": [42]})
    );
    assert_eq!(calls[2].args(), &json!([[77]]));

    let url = client.invoices().pdf_url(MoveId(42)).await.unwrap();
    assert_eq!(
        url,
        format!(
            "{}/my/invoices/42?access_token=abc&report_type=pdf&download=true",
            mock.url
        )
    );
    let sent = mock.calls().pop().unwrap();
    assert_eq!(
        sent.kwargs(),
        &json!({"report_type": "pdf", "download": true})
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrency and secrets

#[tokio::test]
async fn concurrency_cap_is_respected() {
    let mock = spawn_mock_with_delay(Duration::from_millis(100), |s, _| {
        base_reply(s).unwrap_or_else(|| result(json!([])))
    })
    .await;
    let mut settings = mock.settings(OdooProtocol::Jsonrpc);
    settings.max_concurrency = 3;
    let client = OdooClient::connect_with(&settings, fast()).await.unwrap();
    let calls = (0..12).map(|_| {
        let c = client.clone();
        async move {
            c.search("res.partner", json!([]), &Default::default())
                .await
        }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    let max = mock.state.max_in_flight.load(Ordering::SeqCst);
    assert!(max <= 3, "at most 3 in flight, saw {max}");
    assert!(max >= 2, "calls do run concurrently, saw {max}");
}

#[tokio::test]
async fn password_never_shows_in_debug_or_errors() {
    let mock = spawn_mock(|s, _| {
        base_reply(s).unwrap_or_else(|| rpc_error("odoo.exceptions.AccessDenied", "Access Denied"))
    })
    .await;
    let settings = mock.settings(OdooProtocol::Jsonrpc);
    let client = OdooClient::connect_with(&settings, fast()).await.unwrap();
    let debug = format!("{client:?} {settings:?}");
    assert!(!debug.contains(PASSWORD), "{debug}");
    assert!(debug.contains("<redacted>"));
    let e = client
        .search("res.partner", json!([]), &Default::default())
        .await
        .unwrap_err();
    assert!(!format!("{e:?} {e}").contains(PASSWORD));
}

// ---------------------------------------------------------------------------------------------
// odoo check

const ALL_FIELDS: &[&str] = &[
    "name",
    "email",
    "vat",
    "street",
    "city",
    "zip",
    "country_id",
    "lang",
    "ref",
    "default_code",
    "list_price",
    "type",
    "taxes_id",
    "invoice_policy",
    "recurring_invoice",
    "partner_id",
    "order_line",
    "state",
    "client_order_ref",
    "invoice_ids",
    "is_subscription",
    "plan_id",
    "subscription_state",
    "next_invoice_date",
    "start_date",
    "end_date",
    "product_id",
    "product_uom_qty",
    "qty_delivered",
    "price_unit",
    "tax_ids",
    "billing_period_value",
    "billing_period_unit",
    "move_type",
    "payment_state",
    "amount_total",
    "amount_residual",
    "reversed_entry_id",
    "invoice_date",
    "invoice_origin",
    "invoice_line_ids",
    "move_id",
    "quantity",
    "display_type",
    "move_ids",
    "reason",
    "date",
    "journal_id",
    "amount",
    "payment_date",
    "link",
    "amount_type",
    "type_tax_use",
    "company_id",
    "active",
    "rounding",
];

fn odoo_for_check(with_subscriptions: bool, cad_active: bool) -> impl Fn(&Seen, usize) -> Reply {
    move |s, _| {
        if let Some(r) = base_reply(s) {
            return r;
        }
        match s.call() {
            (m, f) if f == "fields_get" => {
                if m == "sale.subscription.plan" && !with_subscriptions {
                    return rpc_error(
                        "odoo.exceptions.UserError",
                        "Object sale.subscription.plan doesn't exist",
                    );
                }
                let mut out = Map::new();
                for f in ALL_FIELDS {
                    let sub = [
                        "is_subscription",
                        "plan_id",
                        "subscription_state",
                        "recurring_invoice",
                    ];
                    if !with_subscriptions && sub.contains(f) {
                        continue;
                    }
                    out.insert(
                        f.to_string(),
                        json!({"type": "char", "string": f, "required": false}),
                    );
                }
                result(Value::Object(out))
            }
            (m, _) if m == "res.users" => {
                result(json!([{"id": 2, "company_id": [1, "Fusion Inc."]}]))
            }
            (m, _) if m == "res.company" => {
                result(json!([{"id": 1, "name": "Fusion Inc.", "currency_id": [4, "CAD"]}]))
            }
            (m, _) if m == "res.currency" => result(json!([{"id": 4, "name": "CAD", "symbol": "$",
                "rounding": 0.01, "decimal_places": 2, "active": cad_active}])),
            (m, _) if m == "account.tax" => {
                let d = &s.kwargs()["domain"];
                assert!(d
                    .as_array()
                    .unwrap()
                    .contains(&json!(["amount_type", "=", "percent"])));
                assert!(d
                    .as_array()
                    .unwrap()
                    .contains(&json!(["type_tax_use", "=", "sale"])));
                result(
                    json!([{"id": 21, "name": "13% TVH", "amount": 13.0, "amount_type": "percent",
                    "type_tax_use": "sale", "active": true, "company_id": [1, "Fusion Inc."]}]),
                )
            }
            _ => result(json!([])),
        }
    }
}

#[tokio::test]
async fn check_passes_on_a_complete_odoo() {
    let mock = spawn_mock(odoo_for_check(true, true)).await;
    let report = check(&mock.settings(OdooProtocol::Auto)).await;
    assert!(report.is_ok(), "{report}");
    assert_eq!(report.protocol.as_deref(), Some("jsonrpc"));
    assert!(report
        .server_version
        .as_deref()
        .unwrap()
        .starts_with("19.0+e"));
    let text = report.to_string();
    assert!(text.contains("13% TVH"), "{text}");
    assert!(text.contains("Result: OK"), "{text}");
}

#[tokio::test]
async fn check_explains_what_is_missing() {
    let mock = spawn_mock(odoo_for_check(false, false)).await;
    let report = check(&mock.settings(OdooProtocol::Jsonrpc)).await;
    assert!(!report.is_ok());
    let text = report.to_string();
    assert!(
        text.contains("install the Subscriptions app (sale_subscription)"),
        "{text}"
    );
    assert!(
        text.contains("missing is_subscription, plan_id, subscription_state"),
        "{text}"
    );
    assert!(text.contains("activate CAD in Accounting"), "{text}");

    let mut settings = mock.settings(OdooProtocol::Jsonrpc);
    settings.password = "nope".into();
    let report = check(&settings).await;
    assert!(!report.is_ok());
    assert!(report
        .to_string()
        .contains("authentication failed for login admin on database db"));
}

#[tokio::test]
async fn json2_version_and_pre_19_string_errors() {
    let mock = spawn_mock(|s, _| {
        if s.path == "/web/version" {
            return json2(
                200,
                json!({"version_info": [19, 0, 0, "final", 0, "e"], "version": "19.0+e"}),
            );
        }
        match s.call() {
            (m, f) if m == "res.users" && f == "context_get" => json2(200, json!({"uid": 5})),
            (_, f) if f == "search" => json2(422, json!("missing a required argument: 'domain'")),
            (_, f) if f == "action_create_payments" => json2(
                200,
                json!({"type": "ir.actions.act_window", "res_model": "account.payment", "res_id": 61}),
            ),
            (m, f) if m == "account.payment.register" && f == "create" => json2(200, json!([60])),
            _ => json2(200, json!(null)),
        }
    })
    .await;
    let client = OdooClient::connect_with(&mock.settings(OdooProtocol::Json2), fast())
        .await
        .unwrap();
    let v = client.server_version().await.unwrap();
    assert_eq!((v.version.as_str(), v.major), ("19.0+e", Some(19)));
    let e = client
        .search("res.partner", json!([]), &Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(e, OdooError::UserError(ref m) if m.contains("'domain'")),
        "{e:?}"
    );

    let payment = client
        .invoices()
        .register_payment(
            MoveId(42),
            &fusion_billing::odoo::invoices::PaymentValues {
                amount: Some(dec!(113.00)),
                date: NaiveDate::from_ymd_opt(2025, 6, 3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(payment.map(|p| p.0), Some(61));
    let seen = mock.seen();
    let create = &seen[seen.len() - 2];
    assert_eq!(create.path, "/json/2/account.payment.register/create");
    assert_eq!(
        create.body["vals_list"],
        json!([{"amount": 113.0, "payment_date": "2025-06-03"}])
    );
    assert_eq!(
        create.body["context"],
        json!({"active_model": "account.move", "active_ids": [42]})
    );
    assert_eq!(seen.last().unwrap().body["ids"], json!([60]));
}
