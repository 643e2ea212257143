//! Method dispatch shared by `/jsonrpc` (`execute_kw`) and `/json/2`: public-method check
//! (`odoo/service/model.py` `get_public_method`), ids/argument binding (`call_kw`), the generic ORM
//! methods, one transaction per call (rolled back on error), and the model-specific methods.

use super::error::{OResult, OdooError};
use super::models;
use super::state::{Ctx, Sim};
use super::value::{as_ids, truthy};
use serde_json::{json, Map, Value};

/// One method call after transport decoding.
#[derive(Debug, Clone)]
pub struct Call {
    /// Model name.
    pub model: String,
    /// Method name.
    pub method: String,
    /// Positional arguments (JSON-RPC; ids already removed for record methods).
    pub args: Vec<Value>,
    /// Named arguments (without `context`).
    pub kwargs: Map<String, Value>,
    /// Record ids (`None` for `@api.model` methods).
    pub ids: Vec<i64>,
    /// Call context.
    pub ctx: Ctx,
    /// True for JSON-2 (`create` returns a list, argument errors are 422).
    pub json2: bool,
}

/// Parameter list `(name, required)` of a method, from the ORM table or the schema signature.
pub fn params(sim: &Sim, model: &str, method: &str) -> Vec<(String, bool)> {
    let p = |v: &[(&str, bool)]| v.iter().map(|(n, r)| (n.to_string(), *r)).collect();
    match method {
        "search" => p(&[
            ("domain", true),
            ("offset", false),
            ("limit", false),
            ("order", false),
        ]),
        "search_count" => p(&[("domain", true), ("limit", false)]),
        "search_read" => p(&[
            ("domain", false),
            ("fields", false),
            ("offset", false),
            ("limit", false),
            ("order", false),
        ]),
        "read" => p(&[("fields", false), ("load", false)]),
        "create" => p(&[("vals_list", true)]),
        "write" => p(&[("vals", true)]),
        "unlink" | "action_archive" | "action_unarchive" | "toggle_active" | "get_metadata" => {
            vec![]
        }
        "fields_get" => p(&[("allfields", false), ("attributes", false)]),
        "name_search" => p(&[
            ("name", false),
            ("domain", false),
            ("operator", false),
            ("limit", false),
        ]),
        "name_create" => p(&[("name", true)]),
        "default_get" => p(&[("fields", true)]),
        "copy" => p(&[("default", false)]),
        _ => {
            let sig = sim
                .schema
                .models
                .get(model)
                .and_then(|m| m.signatures.get(method))
                .map(|s| s.trim_start_matches('(').trim_end_matches(')').to_string())
                .unwrap_or_default();
            sig.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty() && *s != "*" && !s.starts_with("**"))
                .map(|s| match s.split_once('=') {
                    Some((n, _)) => (n.trim().to_string(), false),
                    None => (s.to_string(), true),
                })
                .collect()
        }
    }
}

/// Methods that do not write (no snapshot/rollback needed).
pub fn is_readonly(method: &str) -> bool {
    matches!(
        method,
        "search"
            | "search_count"
            | "search_read"
            | "read"
            | "fields_get"
            | "name_search"
            | "default_get"
            | "context_get"
            | "get_metadata"
    )
}

/// Checks the method is public and exists. Errors: private → AccessError, unknown →
/// AttributeError (`The method 'model.name' does not exist`).
pub fn check_method(sim: &Sim, model: &str, method: &str) -> OResult<()> {
    if method.starts_with('_') || sim.schema.orm_private.contains(method) {
        return Err(OdooError::access(format!(
            "Private methods (such as '{model}.{method}') cannot be called remotely."
        )));
    }
    let m = sim.model_def(model)?;
    if !m.methods.contains(method) && !sim.schema.orm_methods.contains_key(method) {
        return Err(OdooError::attribute(format!(
            "The method '{model}.{method}' does not exist"
        )));
    }
    Ok(())
}

fn bind(sim: &Sim, c: &Call) -> OResult<Map<String, Value>> {
    let ps = params(sim, &c.model, &c.method);
    let mut out = Map::new();
    let qual = format!("{}.{}", c.model, c.method);
    if c.args.len() > ps.len() {
        return Err(OdooError::type_error(format!(
            "{qual}() takes {} positional arguments but {} were given",
            ps.len() + 1,
            c.args.len() + 1
        )));
    }
    for (i, a) in c.args.iter().enumerate() {
        out.insert(ps[i].0.clone(), a.clone());
    }
    for (k, v) in &c.kwargs {
        if !ps.iter().any(|(n, _)| n == k) {
            let msg = format!("got an unexpected keyword argument '{k}'");
            return Err(arg_error(c, &qual, msg));
        }
        if out.contains_key(k) {
            return Err(arg_error(
                c,
                &qual,
                format!("got multiple values for argument '{k}'"),
            ));
        }
        out.insert(k.clone(), v.clone());
    }
    for (n, req) in &ps {
        if *req && !out.contains_key(n) {
            let msg = if c.json2 {
                format!("missing a required argument: '{n}'")
            } else {
                format!("missing 1 required positional argument: '{n}'")
            };
            return Err(arg_error(c, &qual, msg));
        }
    }
    Ok(out)
}

fn arg_error(c: &Call, qual: &str, msg: String) -> OdooError {
    if c.json2 {
        OdooError::werkzeug("UnprocessableEntity", msg, 422)
    } else {
        OdooError::type_error(format!("{qual}() {msg}"))
    }
}

/// Runs one call in its own transaction. `Ok(None)` is Python `None` (JSON-RPC omits `result`).
pub fn execute(sim: &mut Sim, c: &Call) -> OResult<Option<Value>> {
    check_method(sim, &c.model, &c.method)?;
    let kw = bind(sim, c)?;
    if is_readonly(&c.method) {
        return dispatch(sim, c, &kw);
    }
    let snapshot = (sim.db.clone(), sim.schema.clone());
    let out = dispatch(sim, c, &kw);
    if out.is_err() {
        sim.db = snapshot.0;
        sim.schema = snapshot.1;
    }
    out
}

fn opt_usize(v: Option<&Value>) -> Option<usize> {
    v.and_then(|x| x.as_u64()).map(|x| x as usize)
}

fn str_list(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(|x| x.as_array()).map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect()
    })
}

fn dispatch(sim: &mut Sim, c: &Call, kw: &Map<String, Value>) -> OResult<Option<Value>> {
    let (model, ids, ctx) = (c.model.as_str(), &c.ids, &c.ctx);
    let empty = json!([]);
    let domain = kw.get("domain").filter(|d| !d.is_null()).unwrap_or(&empty);
    let order = kw.get("order").and_then(|o| o.as_str());
    let offset = opt_usize(kw.get("offset")).unwrap_or(0);
    let limit = opt_usize(kw.get("limit")).filter(|l| *l > 0);
    let out = match c.method.as_str() {
        "search" => json!(sim.search(model, domain, ctx, offset, limit, order)?),
        "search_count" => json!(sim.search(model, domain, ctx, 0, limit, None)?.len()),
        "search_read" => {
            let found = sim.search(model, domain, ctx, offset, limit, order)?;
            json!(sim.read(model, &found, str_list(kw.get("fields")).as_deref(), true)?)
        }
        "read" => {
            let load = kw
                .get("load")
                .map(|l| !l.is_null() && l != &json!(false))
                .unwrap_or(true);
            json!(sim.read(model, ids, str_list(kw.get("fields")).as_deref(), load)?)
        }
        "create" => return create(sim, c, kw).map(Some),
        "write" => {
            let vals = kw["vals"]
                .as_object()
                .cloned()
                .ok_or_else(|| OdooError::value("write() expects a dict of values"))?;
            sim.write(model, ids, &vals, ctx)?;
            json!(true)
        }
        "unlink" => {
            sim.unlink(model, ids, ctx)?;
            json!(true)
        }
        "fields_get" => sim.fields_get(
            model,
            str_list(kw.get("allfields")).as_deref(),
            str_list(kw.get("attributes")).as_deref(),
        )?,
        "name_search" => {
            let name = kw.get("name").and_then(|n| n.as_str()).unwrap_or("");
            let op = kw
                .get("operator")
                .and_then(|n| n.as_str())
                .unwrap_or("ilike");
            sim.name_search(
                model,
                name,
                kw.get("domain").unwrap_or(&empty),
                op,
                limit.or(Some(100)),
                ctx,
            )?
        }
        "name_create" => {
            let name = kw.get("name").cloned().unwrap_or(json!(false));
            let vals: Map<String, Value> = [(models::rec_name(model).to_string(), name)]
                .into_iter()
                .collect();
            let id = sim.create(model, &vals, ctx)?;
            json!([id, sim.display_name(model, id)])
        }
        "default_get" => {
            sim.default_get(model, &str_list(kw.get("fields")).unwrap_or_default(), ctx)?
        }
        "action_archive" | "action_unarchive" => {
            let vals: Map<String, Value> =
                [("active".to_string(), json!(c.method == "action_unarchive"))]
                    .into_iter()
                    .collect();
            sim.write(model, ids, &vals, ctx)?;
            // `action_archive`/`action_unarchive` return None in 19.0 (JSON-RPC omits `result`,
            // JSON-2 answers `null`); checked on the real server, DIVERGENCES.md.
            return Ok(None);
        }
        "copy" => {
            let mut out = vec![];
            for id in ids {
                out.push(models::copy(sim, model, *id, kw.get("default"), ctx)?);
            }
            json!(out)
        }
        _ => return models::call_method(sim, model, &c.method, ids, kw, ctx),
    };
    Ok(Some(out))
}

fn create(sim: &mut Sim, c: &Call, kw: &Map<String, Value>) -> OResult<Value> {
    let vl = &kw["vals_list"];
    let list: Vec<Map<String, Value>> = match vl {
        Value::Object(o) => vec![o.clone()],
        Value::Array(a) => a
            .iter()
            .map(|v| v.as_object().cloned().unwrap_or_default())
            .collect(),
        _ => {
            return Err(OdooError::value(
                "create() expects a dict or a list of dicts",
            ))
        }
    };
    let mut ids = vec![];
    for vals in &list {
        ids.push(sim.create(&c.model, vals, &c.ctx)?);
    }
    if c.json2 {
        return Ok(json!(ids));
    }
    // odoo/service/model.py call_kw: `result.id if isinstance(args[0], Mapping) else result.ids`
    match c.args.first() {
        Some(Value::Object(_)) => Ok(json!(ids[0])),
        Some(_) => Ok(json!(ids)),
        None => Err(OdooError::new_index_error()),
    }
}

impl OdooError {
    /// `builtins.IndexError: list index out of range` (execute_kw `create` with `vals_list` passed
    /// as keyword: `args[0]` does not exist).
    pub fn new_index_error() -> Self {
        let mut e = OdooError::value("list index out of range");
        e.name = "builtins.IndexError".into();
        e
    }
}

/// Ids from a JSON value (`[1,2]` or `1`).
pub fn ids_of(v: &Value) -> Vec<i64> {
    match v {
        Value::Number(n) => n.as_i64().into_iter().collect(),
        other => as_ids(other),
    }
}

/// Truthiness of an optional kwarg.
pub fn flag(kw: &Map<String, Value>, k: &str) -> bool {
    kw.get(k).is_some_and(truthy)
}
