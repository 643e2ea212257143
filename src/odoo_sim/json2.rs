//! `POST /json/2/<model>/<method>` (`addons/rpc/controllers/json2.py`, 19.0), CONTRACT.md §2:
//! bearer API key, named arguments only, bare JSON bodies, errors as objects with the HTTP status
//! of the exception class.

use super::call::{check_method, execute, Call};
use super::error::OdooError;
use super::rpc::{is_json, unsupported_media, Reply};
use super::state::Sim;
use serde_json::{Map, Value};

/// Request headers JSON-2 looks at.
#[derive(Debug, Clone, Default)]
pub struct Json2Headers {
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `Authorization`.
    pub authorization: Option<String>,
    /// `X-Odoo-Database`.
    pub database: Option<String>,
}

fn error(e: &OdooError) -> Reply {
    let mut r = Reply::json(e.data_json());
    r.status = e.status;
    r.content_type = "application/json; charset=utf-8";
    if e.status == 401 {
        // Odoo 19.0 sends `WWW-Authenticate: Bearer ` (werkzeug's `WWWAuthenticate('bearer')`).
        r.headers.push(("WWW-Authenticate", "Bearer".into()));
    }
    r
}

/// The request's database, mimetype and API key, checked as 19.0's `Json2Dispatcher` does.
fn admit(sim: &Sim, h: &Json2Headers, body: &[u8]) -> Result<(), Reply> {
    if let Some(db) = &h.database {
        if db != &sim.database {
            return Err(Reply::html(404, "Not Found", "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again."));
        }
    }
    // `Json2Dispatcher.is_compatible_with`: a JSON mimetype, or no body at all.
    if !body.is_empty() && !is_json(h.content_type.as_deref()) {
        return Err(unsupported_media("json2"));
    }
    let key = h.authorization.as_deref().and_then(|a| {
        let (scheme, key) = a.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| key.trim().to_string())
    });
    match key {
        None => Err(error(&OdooError::werkzeug(
            "Unauthorized",
            "User not authenticated, use an API Key with a Bearer Authorization header.",
            401,
        ))),
        Some(k) if k != sim.api_key || k.is_empty() => Err(error(&OdooError::werkzeug(
            "Unauthorized",
            "Invalid apikey",
            401,
        ))),
        Some(_) => Ok(()),
    }
}

/// The body's named arguments.
///
/// A JSON body that is not an object (`null`, a list, a number) is not refused: 19.0's
/// `Json2Dispatcher.dispatch` does `self.jsonrequest | args`, catches the TypeError and calls
/// the method with no arguments (real server: `null` to `search` → 422 "missing a required
/// argument: 'domain'", to `context_get` → 200; DIVERGENCES.md).
fn arguments(body: &[u8]) -> Result<Map<String, Value>, Reply> {
    let parsed: Value = match serde_json::from_slice(body) {
        _ if body.is_empty() => Value::Null,
        Ok(v) => v,
        Err(e) => {
            let msg = format!(
                "could not parse the body as json: {}",
                py_json_error(&e, body)
            );
            return Err(error(&OdooError::werkzeug("BadRequest", msg, 400)));
        }
    };
    Ok(match parsed {
        Value::Object(m) => m,
        _ => Map::new(),
    })
}

/// The call `args` name on `model.method`, refused as 19.0 refuses it (unknown model or
/// method: 404; ids on an `@api.model` method: 422).
fn resolve(
    sim: &mut Sim,
    model: &str,
    method: &str,
    mut args: Map<String, Value>,
) -> Result<Call, Reply> {
    if sim.schema.model(model).is_none() {
        return Err(error(&OdooError::werkzeug(
            "NotFound",
            format!("the model '{model}' does not exist"),
            404,
        )));
    }
    sim.uid = sim.refs.admin_uid;
    if let Err(mut e) = check_method(sim, model, method) {
        if e.name == "builtins.AttributeError" {
            e = OdooError::werkzeug("NotFound", e.message.clone(), 404);
        }
        return Err(error(&e));
    }
    let ids_v = args.remove("ids");
    let ctx = match args.remove("context") {
        Some(Value::Object(c)) => c,
        _ => Map::new(),
    };
    let ids = ids_v.as_ref().map(super::call::ids_of).unwrap_or_default();
    if sim.schema.is_api_model(model, method)
        && ids_v
            .as_ref()
            .is_some_and(|v| v.as_array().map_or(true, |a| !a.is_empty()))
    {
        return Err(error(&OdooError::werkzeug(
            "UnprocessableEntity",
            format!("cannot call {model}.{method} with ids"),
            422,
        )));
    }
    Ok(Call {
        model: model.into(),
        method: method.into(),
        args: vec![],
        kwargs: args,
        ids,
        ctx,
        json2: true,
    })
}

/// Handles `/json/2/<model>/<method>`.
pub fn handle(sim: &mut Sim, model: &str, method: &str, h: &Json2Headers, body: &[u8]) -> Reply {
    let call = match admit(sim, h, body)
        .and_then(|()| arguments(body))
        .and_then(|args| resolve(sim, model, method, args))
    {
        Ok(call) => call,
        Err(reply) => return reply,
    };
    match execute(sim, &call) {
        Ok(v) => {
            let mut r = Reply::json(v.unwrap_or(Value::Null).to_string());
            r.content_type = "application/json; charset=utf-8";
            r
        }
        Err(e) => error(&e),
    }
}

/// The catch-all `/json/2/<path>` answer (`web_json_2_404`).
pub fn not_found_route() -> Reply {
    error(&OdooError::werkzeug(
        "NotFound",
        "Did you mean POST /json/2/<model>/<method>?",
        404,
    ))
}

/// Python's `json.JSONDecodeError` text for the common cases.
fn py_json_error(e: &serde_json::Error, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let first = text.char_indices().find(|(_, c)| !c.is_whitespace());
    match first {
        None => "Expecting value: line 1 column 1 (char 0)".into(),
        Some((i, c))
            if !"{[\"-0123456789".contains(c)
                && !["true", "false", "null"]
                    .iter()
                    .any(|l| text[i..].starts_with(l)) =>
        {
            format!("Expecting value: line 1 column {} (char {i})", i + 1)
        }
        _ => format!(
            "Expecting value: line {} column {} (char {})",
            e.line(),
            e.column(),
            e.column().saturating_sub(1)
        ),
    }
}
