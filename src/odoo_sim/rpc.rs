//! `POST /jsonrpc` (`addons/rpc/controllers/jsonrpc.py` → `odoo/http.py` `dispatch_rpc`,
//! `odoo/service/common.py`, `odoo/service/model.py`), CONTRACT.md §1.

use super::call::{execute, Call};
use super::error::{OResult, OdooError};
use super::state::Sim;
use serde_json::{json, Map, Value};

/// A transport-level answer: status, content type, body, extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type` header value.
    pub content_type: &'static str,
    /// Body bytes.
    pub body: String,
    /// Additional headers.
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A JSON body with status 200.
    pub fn json(body: String) -> Reply {
        Reply {
            status: 200,
            content_type: "application/json",
            body,
            headers: vec![],
        }
    }
    /// A plain-text body.
    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.to_string(),
            headers: vec![],
        }
    }
    /// werkzeug's HTML error page.
    pub fn html(status: u16, title: &str, msg: &str) -> Reply {
        let body = format!("<!doctype html>\n<html lang=en>\n<title>{status} {title}</title>\n<h1>{title}</h1>\n<p>{msg}</p>\n");
        Reply {
            status,
            content_type: "text/html; charset=utf-8",
            body,
            headers: vec![],
        }
    }
}

/// The 415 page for a wrong Content-Type (`odoo/http.py` `Request._get_dispatcher`).
pub fn unsupported_media(kind: &str) -> Reply {
    Reply::html(
        415,
        "Unsupported Media Type",
        &format!("Request inferred type is compatible with [&#x27;http&#x27;] but [&#x27;{kind}&#x27;] was requested. Please verify the Content-Type request header and try again."),
    )
}

/// True for `application/json` / `application/json-rpc` (parameters ignored).
pub fn is_json(content_type: Option<&str>) -> bool {
    let ct = content_type
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_lowercase();
    ct == "application/json" || ct == "application/json-rpc"
}

/// `common.version()`.
pub fn version(sim: &Sim) -> Value {
    let e = if sim.with_subscriptions { "e" } else { "" };
    json!({
        "server_version": format!("19.0{}", if e.is_empty() { "" } else { "+e" }),
        "server_version_info": [19, 0, 0, "final", 0, e],
        "server_serie": "19.0",
        "protocol_version": 1,
    })
}

/// Handles one `/jsonrpc` request body.
pub fn handle(sim: &mut Sim, content_type: Option<&str>, body: &[u8]) -> Reply {
    if !is_json(content_type) {
        return unsupported_media("jsonrpc");
    }
    let req: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => return Reply::text(400, "Invalid JSON data"),
    };
    let Some(obj) = req.as_object() else {
        return Reply::text(400, "Invalid JSON-RPC data");
    };
    let id = obj.get("id").cloned().unwrap_or(Value::Null);
    let params = obj.get("params").cloned().unwrap_or(json!({}));
    match dispatch(sim, &params) {
        Ok(Some(v)) => Reply::json(format!(
            "{{\"jsonrpc\": \"2.0\", \"id\": {id}, \"result\": {v}}}"
        )),
        Ok(None) => Reply::json(format!("{{\"jsonrpc\": \"2.0\", \"id\": {id}}}")),
        Err(e) => Reply::json(e.jsonrpc_body(&id)),
    }
}

fn arg(args: &[Value], i: usize) -> OResult<Value> {
    args.get(i).cloned().ok_or_else(|| {
        let mut e = OdooError::value("list index out of range");
        e.name = "builtins.IndexError".into();
        e
    })
}

fn dispatch(sim: &mut Sim, params: &Value) -> OResult<Option<Value>> {
    let Some(p) = params.as_object() else {
        return Err(OdooError::type_error(
            "jsonrpc() argument after ** must be a mapping",
        ));
    };
    let service = p.get("service").and_then(|s| s.as_str()).unwrap_or("");
    let method = p.get("method").and_then(|s| s.as_str()).unwrap_or("");
    let args: Vec<Value> = p
        .get("args")
        .and_then(|a| a.as_array())
        .cloned()
        .unwrap_or_default();
    match service {
        "common" => common(sim, method, &args).map(Some),
        "object" => object(sim, method, &args),
        "db" => match method {
            "list" => Ok(Some(json!([sim.database]))),
            "server_version" => Ok(Some(json!(version(sim)["server_version"]))),
            other => Err(OdooError::exception(format!("Method not found: {other}"))),
        },
        other => Err(OdooError::exception(format!("Service {other} not found"))),
    }
}

/// Checks login/password (or API key) against the admin user; `Some(uid)` when valid.
pub fn authenticate(
    sim: &Sim,
    db: &Value,
    login: &Value,
    password: &Value,
) -> OResult<Option<i64>> {
    check_db(sim, db)?;
    let ok = login.as_str() == Some(sim.login.as_str())
        && password
            .as_str()
            .is_some_and(|p| !p.is_empty() && (p == sim.password || p == sim.api_key));
    Ok(ok.then_some(sim.refs.admin_uid))
}

fn check_db(sim: &Sim, db: &Value) -> OResult<()> {
    if db.as_str() != Some(sim.database.as_str()) {
        let mut e = OdooError::value(format!(
            "connection to server on socket \"/var/run/postgresql/.s.PGSQL.5432\" failed: FATAL:  database \"{}\" does not exist\n",
            db.as_str().unwrap_or("")
        ));
        e.name = "psycopg2.OperationalError".into();
        return Err(e);
    }
    Ok(())
}

fn common(sim: &mut Sim, method: &str, args: &[Value]) -> OResult<Value> {
    match method {
        "version" => Ok(version(sim)),
        "login" | "authenticate" => {
            let uid = authenticate(sim, &arg(args, 0)?, &arg(args, 1)?, &arg(args, 2)?)?;
            Ok(uid.map(|u| json!(u)).unwrap_or(json!(false)))
        }
        "about" => Ok(json!("See http://openerp.com")),
        other => Err(OdooError::exception(format!("Method not found: {other}"))),
    }
}

fn object(sim: &mut Sim, method: &str, args: &[Value]) -> OResult<Option<Value>> {
    let (db, uid, pw) = (arg(args, 0)?, arg(args, 1)?, arg(args, 2)?);
    check_db(sim, &db)?;
    let uid_ok = uid
        .as_i64()
        .or_else(|| uid.as_str().and_then(|s| s.parse().ok()))
        == Some(sim.refs.admin_uid);
    let pw_ok = pw
        .as_str()
        .is_some_and(|p| !p.is_empty() && (p == sim.password || p == sim.api_key));
    if !uid_ok || !pw_ok {
        return Err(OdooError::access_denied());
    }
    sim.uid = sim.refs.admin_uid;
    let (model, meth, rest, kwargs) = match method {
        "execute_kw" => {
            let kw = args
                .get(6)
                .and_then(|k| k.as_object())
                .cloned()
                .unwrap_or_default();
            let pos = args
                .get(5)
                .and_then(|a| a.as_array())
                .cloned()
                .unwrap_or_default();
            (arg(args, 3)?, arg(args, 4)?, pos, kw)
        }
        "execute" => (
            arg(args, 3)?,
            arg(args, 4)?,
            args.get(5..).map(|s| s.to_vec()).unwrap_or_default(),
            Map::new(),
        ),
        other => {
            return Err(OdooError::name_error(format!(
                "Method not available {other}"
            )))
        }
    };
    let model = model.as_str().unwrap_or("").to_string();
    let meth = meth.as_str().unwrap_or("").to_string();
    sim.model_def(&model)?;
    super::call::check_method(sim, &model, &meth)?;
    let mut kwargs = kwargs;
    let ctx = match kwargs.remove("context") {
        Some(Value::Object(c)) => c,
        _ => Map::new(),
    };
    let (ids, args) = if sim.schema.is_api_model(&model, &meth) {
        (vec![], rest)
    } else {
        let first = arg(&rest, 0)?;
        (super::call::ids_of(&first), rest[1..].to_vec())
    };
    execute(
        sim,
        &Call {
            model,
            method: meth,
            args,
            kwargs,
            ids,
            ctx,
            json2: false,
        },
    )
}
