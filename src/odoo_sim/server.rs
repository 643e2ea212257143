//! The simulator's HTTP server (actix-web): Odoo routes (`/jsonrpc`, `/json/2/...`,
//! `/web/version`, portal `/my/invoices/<id>`) and the simulator-only control routes under
//! `/__sim/` (clock, cron, call counter, outage, raw record access). The control routes exist
//! only here, so they can never be reached on a real Odoo.

use super::json2::{self, Json2Headers};
use super::portal;
use super::rpc::{self, Reply};
use super::state::{DownMode, Sim};
use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// Shared simulator state.
pub type Shared = Arc<Mutex<Sim>>;

fn respond(r: Reply) -> HttpResponse {
    let mut b = HttpResponse::build(StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK));
    b.content_type(r.content_type);
    for (k, v) in r.headers {
        b.insert_header((k, v));
    }
    b.body(r.body)
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, Sim> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}

fn unavailable() -> HttpResponse {
    respond(Reply::html(503, "Service Unavailable", "The server is temporarily unable to service your request due to maintenance downtime or capacity problems. Please try again later."))
}

async fn jsonrpc(data: web::Data<Shared>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let mut sim = lock(&data);
    sim.calls += 1;
    if sim.down != DownMode::Up {
        return unavailable();
    }
    respond(rpc::handle(
        &mut sim,
        header(&req, "content-type").as_deref(),
        &body,
    ))
}

async fn json2_call(
    data: web::Data<Shared>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let mut sim = lock(&data);
    sim.calls += 1;
    if sim.down != DownMode::Up {
        return unavailable();
    }
    let h = Json2Headers {
        content_type: header(&req, "content-type"),
        authorization: header(&req, "authorization"),
        database: header(&req, "x-odoo-database"),
    };
    respond(json2::handle(&mut sim, &path.0, &path.1, &h, &body))
}

async fn json2_404(data: web::Data<Shared>) -> HttpResponse {
    if lock(&data).down != DownMode::Up {
        return unavailable();
    }
    respond(json2::not_found_route())
}

async fn web_version(data: web::Data<Shared>) -> HttpResponse {
    let sim = lock(&data);
    if sim.down != DownMode::Up {
        return unavailable();
    }
    let v = rpc::version(&sim);
    HttpResponse::Ok()
        .json(json!({"version_info": v["server_version_info"], "version": v["server_version"]}))
}

async fn portal_invoice(
    data: web::Data<Shared>,
    path: web::Path<i64>,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let sim = lock(&data);
    if sim.down != DownMode::Up {
        return unavailable();
    }
    portal::invoice(&sim, *path, &q)
}

async fn portal_order(
    data: web::Data<Shared>,
    path: web::Path<i64>,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let sim = lock(&data);
    if sim.down != DownMode::Up {
        return unavailable();
    }
    portal::order(&sim, *path, &q)
}

async fn sim_stats(data: web::Data<Shared>) -> HttpResponse {
    let sim = lock(&data);
    HttpResponse::Ok().json(json!({
        "rpc_calls": sim.calls, "now": sim.clock.now_str(), "today": sim.clock.today_str(),
        "down": sim.down != DownMode::Up, "database": sim.database, "with_subscriptions": sim.with_subscriptions,
    }))
}

async fn sim_stats_reset(data: web::Data<Shared>) -> HttpResponse {
    lock(&data).calls = 0;
    HttpResponse::Ok().json(json!({"rpc_calls": 0}))
}

async fn sim_clock_advance(data: web::Data<Shared>, body: web::Json<Value>) -> HttpResponse {
    let mut sim = lock(&data);
    let Some(days) = body.get("days").and_then(|d| d.as_i64()) else {
        return HttpResponse::BadRequest()
            .json(json!({"error": "body must be {\"days\": <integer>}"}));
    };
    sim.clock.advance_days(days);
    HttpResponse::Ok().json(json!({"now": sim.clock.now_str(), "today": sim.clock.today_str()}))
}

async fn sim_clock(data: web::Data<Shared>) -> HttpResponse {
    let sim = lock(&data);
    HttpResponse::Ok().json(json!({"now": sim.clock.now_str(), "today": sim.clock.today_str()}))
}

async fn sim_cron(data: web::Data<Shared>) -> HttpResponse {
    let mut sim = lock(&data);
    sim.uid = sim.refs.admin_uid;
    let snapshot = sim.db.clone();
    match super::models::subscription::run_cron(&mut sim) {
        Ok(ids) => HttpResponse::Ok().json(json!({"invoice_ids": ids})),
        Err(e) => {
            sim.db = snapshot;
            HttpResponse::InternalServerError().json(json!({"error": e.message, "name": e.name}))
        }
    }
}

async fn sim_down(data: web::Data<Shared>, body: web::Json<Value>) -> HttpResponse {
    let mut sim = lock(&data);
    let down = body.get("down").and_then(|d| d.as_bool()).unwrap_or(true);
    sim.down = if down {
        DownMode::Unavailable
    } else {
        DownMode::Up
    };
    HttpResponse::Ok().json(json!({"down": down}))
}

async fn sim_records(data: web::Data<Shared>, path: web::Path<String>) -> HttpResponse {
    let sim = lock(&data);
    let ids = sim.db.ids(&path);
    match sim.read(&path, &ids, None, true) {
        Ok(rows) => HttpResponse::Ok().json(rows),
        Err(e) => HttpResponse::NotFound().json(json!({"error": e.message})),
    }
}

/// Starts the server on an already bound listener; returns its handle.
pub fn start(shared: Shared, listener: std::net::TcpListener) -> std::io::Result<ServerHandle> {
    let data = web::Data::new(shared);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
            .app_data(web::JsonConfig::default().limit(1024 * 1024))
            .route("/jsonrpc", web::post().to(jsonrpc))
            .route("/json/2/{model}/{method}", web::post().to(json2_call))
            .route("/json/2", web::route().to(json2_404))
            .route("/json/2/{tail:.*}", web::route().to(json2_404))
            .route("/web/version", web::get().to(web_version))
            .route("/json/version", web::get().to(web_version))
            .route("/my/invoices/{id}", web::get().to(portal_invoice))
            .route("/my/orders/{id}", web::get().to(portal_order))
            .route("/__sim/stats", web::get().to(sim_stats))
            .route("/__sim/stats/reset", web::post().to(sim_stats_reset))
            .route("/__sim/clock", web::get().to(sim_clock))
            .route("/__sim/clock/advance", web::post().to(sim_clock_advance))
            .route("/__sim/cron/recurring_invoicing", web::post().to(sim_cron))
            .route("/__sim/down", web::post().to(sim_down))
            .route("/__sim/records/{model}", web::get().to(sim_records))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Ok(handle)
}
