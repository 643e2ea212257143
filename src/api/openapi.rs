//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of what the gateway implements.
//!
//! The document is Lago's own description of every route in [`IMPLEMENTED`] (copied from
//! Lago's spec with every component those operations reference), plus our additions in
//! [`EXTRAS`], described here in JSON.
//!
//! # Adding a route
//! 1. Add its `(METHOD, Lago path template)` to [`IMPLEMENTED`] (one line; the path is
//!    spelt exactly as in Lago's spec, e.g. `/customers/{external_customer_id}`).
//! 2. Re-run `python3 tools/openapi_subset.py /path/to/lago/openapi.yaml`: it reads
//!    [`IMPLEMENTED`] from this file and rewrites `fixtures/openapi/lago-subset.json`
//!    (served here, compiled in with `include_str!`) and `fixtures/openapi/lago-paths.json`;
//!    `--readme` prints the coverage table for the README.
//! 3. Add one successful call of the route to the drift test in `tests/api/openapi.rs`
//!    (the test fails until every implemented operation is exercised).
//!
//! The route needs no API key, like Lago's published documentation.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use serde_json::{json, Value};

/// The Lago operations the gateway implements, as `(METHOD, path template)` with Lago's
/// path templates (relative to `/api/v1`). The single source of truth for the OpenAPI
/// document, the fixture script and the coverage list.
pub const IMPLEMENTED: &[(&str, &str)] = &[
    ("POST", "/events"),
    ("GET", "/events"),
    ("POST", "/events/batch"),
    ("GET", "/events/{transaction_id}"),
    ("POST", "/billable_metrics"),
    ("GET", "/billable_metrics"),
    ("GET", "/billable_metrics/{code}"),
    ("PUT", "/billable_metrics/{code}"),
    ("DELETE", "/billable_metrics/{code}"),
    ("POST", "/customers"),
    ("GET", "/customers"),
    ("GET", "/customers/{external_customer_id}"),
    ("DELETE", "/customers/{external_customer_id}"),
    ("GET", "/customers/{external_customer_id}/current_usage"),
    ("POST", "/customers/{external_customer_id}/checkout_url"),
    ("POST", "/plans"),
    ("GET", "/plans"),
    ("GET", "/plans/{code}"),
    ("PUT", "/plans/{code}"),
    ("DELETE", "/plans/{code}"),
    ("POST", "/subscriptions"),
    ("GET", "/subscriptions"),
    ("GET", "/subscriptions/{external_id}"),
    ("PUT", "/subscriptions/{external_id}"),
    ("DELETE", "/subscriptions/{external_id}"),
    ("POST", "/webhook_endpoints"),
    ("GET", "/webhook_endpoints"),
    ("GET", "/webhook_endpoints/{lago_id}"),
    ("PUT", "/webhook_endpoints/{lago_id}"),
    ("DELETE", "/webhook_endpoints/{lago_id}"),
    ("GET", "/webhooks/public_key"),
    ("GET", "/webhooks/json_public_key"),
    ("POST", "/invoices"),
    ("GET", "/invoices"),
    ("GET", "/invoices/{lago_id}"),
    ("PUT", "/invoices/{lago_id}"),
    ("POST", "/invoices/{lago_id}/download"),
    ("POST", "/invoices/{lago_id}/void"),
    ("GET", "/customers/{external_customer_id}/invoices"),
    ("POST", "/credit_notes"),
    ("GET", "/credit_notes"),
    ("GET", "/credit_notes/{lago_id}"),
    ("PUT", "/credit_notes/{lago_id}/void"),
];

/// Routes the gateway serves under `/api/v1` that are not Lago's, described in
/// [`extra_paths`]: the aggregate usage push, `PATCH` as an alias of
/// `PUT /subscriptions/{external_id}`, and this document.
pub const EXTRAS: &[(&str, &str)] = &[
    ("POST", "/usage"),
    ("PATCH", "/subscriptions/{external_id}"),
    ("GET", "/openapi.json"),
];

/// Lago's description of the [`IMPLEMENTED`] operations and their components, written by
/// `tools/openapi_subset.py` (kept in [`crate::lago::openapi`]).
pub use crate::lago::openapi::LAGO_SUBSET;

/// The served document, built once.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build_document)
}

/// `GET /api/v1/openapi.json` (no API key).
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

fn build_document() -> Value {
    let mut doc: Value = serde_json::from_str(LAGO_SUBSET).expect("lago-subset.json is JSON");
    let source = doc["x-lago-source"].clone();
    doc["info"] = json!({
        "title": "fusion-billing API (Lago-compatible)",
        "version": env!("CARGO_PKG_VERSION"),
        "description": format!(
            "fusion-billing's implementation of Lago's API: the operations below are \
             described with Lago's own schemas (Lago API {}, lago-openapi commit {}), and \
             the gateway answers them with Lago's JSON shapes while Odoo stays the system \
             of record. Routes of Lago's API not listed here are not implemented (404). \
             Additions of fusion-billing: `POST /usage` (aggregate usage push, also served \
             at `/api/billing/v1/usage`), `PATCH /subscriptions/{{external_id}}` (alias of \
             `PUT`) and `GET /openapi.json` (this document). Lago's operation \
             descriptions and schemas are copied from github.com/getlago/lago-openapi \
             (AGPLv3).",
            source["version"].as_str().unwrap_or("?"),
            source["commit"].as_str().unwrap_or("?"),
        ),
    });
    doc["servers"] = json!([{"url": "/api/v1", "description": "This gateway"}]);
    if let Some(tags) = doc["tags"].as_array_mut() {
        tags.push(json!({"name": "fusion-billing",
                         "description": "fusion-billing additions to Lago's API"}));
    }
    let paths = doc["paths"].as_object_mut().expect("paths");
    for (path, item) in extra_paths(paths) {
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        for (method, op) in item.as_object().expect("path item") {
            entry[method] = op.clone();
        }
    }
    describe_as_served(&mut doc);
    doc
}

/// Adjusts Lago's schemas to what the gateway (like Lago's own serializers) answers, so that
/// every response validates against the served document:
/// - an optional property (not `required` by its object or an inline `allOf` sibling) may
///   be `null`: Lago's serializers emit every attribute, `null` when unset, while its spec
///   types many of them without `null`;
/// - a schema whose `type` allows `null` but whose `enum` omits it accepts `null`;
/// - a `oneOf` of bare `{"type": …}` branches is an `anyOf` (an integer is also a number);
/// - every operation lists the error statuses the gateway may answer with Lago's error
///   body: 400, 401, 404, 405, 413, 422, 429, 503 (see [`super::error::ApiError`]).
fn describe_as_served(doc: &mut Value) {
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        schemas
            .values_mut()
            .for_each(|s| nullable_optionals(s, &[]));
    }
    doc["components"]["schemas"]["ApiError"] = json!({
        "type": "object", "required": ["status", "error"],
        "properties": {
            "status": {"type": "integer"}, "error": {"type": "string"},
            "code": {"type": "string"}, "error_details": {"type": "object"}}});
    doc["components"]["responses"]["ApiError"] = json!({
        "description": "Lago's error body",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}});
    let errors = [
        ("400", "BadRequest"),
        ("401", "Unauthorized"),
        ("404", "NotFound"),
        ("405", "NotAllowed"),
        ("413", "ApiError"),
        ("422", "UnprocessableEntity"),
        ("429", "ApiError"),
        ("503", "ApiError"),
    ];
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (_, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            for key in ["requestBody", "responses"] {
                if let Some(v) = op.get_mut(key) {
                    content_schemas(v);
                }
            }
            if path == "/openapi.json" {
                continue;
            }
            if let Some(Value::Object(responses)) = op.get_mut("responses") {
                for (status, name) in errors {
                    responses.entry(status).or_insert_with(
                        || json!({"$ref": format!("#/components/responses/{name}")}),
                    );
                }
            }
        }
    }
}

/// Applies [`nullable_optionals`] to every `content.*.schema` under `node` (a request
/// body or a responses object).
fn content_schemas(node: &mut Value) {
    match node {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "schema" {
                    nullable_optionals(v, &[]);
                } else {
                    content_schemas(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(content_schemas),
        _ => {}
    }
}

/// The schema rules of [`describe_as_served`] on one schema and its sub-schemas.
fn nullable_optionals(schema: &mut Value, inherited_required: &[String]) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    let nullable = match obj.get("type") {
        Some(Value::Array(t)) => t.iter().any(|t| t == "null"),
        Some(t) => t == "null",
        None => false,
    };
    if let (true, Some(Value::Array(values))) = (nullable, obj.get_mut("enum")) {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
    }
    let bare_types = match obj.get("oneOf") {
        Some(Value::Array(branches)) => branches.iter().all(|b| {
            b.as_object()
                .is_some_and(|o| o.len() == 1 && o.contains_key("type"))
        }),
        _ => false,
    };
    if bare_types {
        if let Some(branches) = obj.remove("oneOf") {
            obj.insert("anyOf".into(), branches);
        }
    }
    let mut required: Vec<String> = inherited_required.to_vec();
    let mut collect = |v: Option<&Value>| {
        for r in v.and_then(Value::as_array).into_iter().flatten() {
            required.extend(r.as_str().map(str::to_string));
        }
    };
    collect(obj.get("required"));
    for branch in obj
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect(branch.get("required"));
    }
    if let Some(Value::Object(props)) = obj.get_mut("properties") {
        for (name, p) in props.iter_mut() {
            nullable_optionals(p, &[]);
            if !required.contains(name) && !accepts_null(p) {
                let inner = p.take();
                *p = json!({"anyOf": [{"type": "null"}, inner]});
            }
        }
    }
    for key in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        if let Some(Value::Array(list)) = obj.get_mut(key) {
            let inherited = if key == "allOf" {
                required.clone()
            } else {
                Vec::new()
            };
            list.iter_mut()
                .for_each(|s| nullable_optionals(s, &inherited));
        }
    }
    for key in ["items", "additionalProperties", "not", "if", "then", "else"] {
        if let Some(s) = obj.get_mut(key) {
            nullable_optionals(s, &[]);
        }
    }
}

/// Whether a schema already says `null` is fine (a `type` including `null`).
fn accepts_null(schema: &Value) -> bool {
    match schema.get("type") {
        Some(Value::Array(t)) => t.iter().any(|t| t == "null"),
        Some(t) => t == "null",
        None => false,
    }
}

/// The [`EXTRAS`] as OpenAPI path items (`PATCH` copies Lago's `PUT` subscription update).
fn extra_paths(lago: &serde_json::Map<String, Value>) -> Vec<(String, Value)> {
    let counter_props = json!({
        "external_subscription_id": {"type": "string", "example": "sub_1"},
        "code": {"type": "string", "description": "Billable metric code.", "example": "api_calls"},
        "period_start": {"type": ["string", "integer"], "description": "ISO 8601 date-time or Unix seconds; the period is `[start, end)`.", "example": "2026-11-01T00:00:00Z"},
        "period_end": {"type": ["string", "integer"], "example": "2026-11-02T00:00:00Z"},
        "quantity": {"type": ["string", "number"], "description": "Non-negative decimal.", "example": "1250"},
        "idempotency_key": {"type": "string", "description": "Unique per subscription and metric code; a resend with the same content returns the stored counter.", "example": "sub_1/api_calls/2026-11-01"}
    });
    let required = json!([
        "external_subscription_id",
        "code",
        "period_start",
        "period_end",
        "quantity",
        "idempotency_key"
    ]);
    let mut stored_props = counter_props.clone();
    stored_props["lago_id"] = json!({"type": "string", "format": "uuid"});
    stored_props["period_start"] = json!({"type": "string", "format": "date-time"});
    stored_props["period_end"] = json!({"type": "string", "format": "date-time"});
    stored_props["quantity"] = json!({"type": "string"});
    stored_props["created_at"] = json!({"type": "string", "format": "date-time"});
    let error = |name: &str| json!({"$ref": format!("#/components/responses/{name}")});
    let mut usage_responses = serde_json::Map::new();
    usage_responses.insert("400".into(), error("BadRequest"));
    usage_responses.insert("401".into(), error("Unauthorized"));
    usage_responses.insert("422".into(), error("UnprocessableEntity"));
    usage_responses.insert(
        "200".into(),
        json!({
            "description": "The stored counters, in request order.",
            "content": {"application/json": {"schema": {
                "type": "object", "required": ["usage"],
                "properties": {"usage": {"type": "array", "items": {
                    "type": "object", "properties": stored_props,
                    "required": ["lago_id", "external_subscription_id", "code", "period_start",
                                 "period_end", "quantity", "idempotency_key", "created_at"]}}}}}}
        }),
    );
    let usage = json!({"post": {
        "tags": ["fusion-billing"],
        "summary": "Push aggregated usage counters",
        "description": "fusion-billing addition. Apps send periodic counters instead of raw \
            events; each counter is idempotent per (subscription, metric code, \
            `idempotency_key`). All-or-nothing: errors are keyed by index like \
            `POST /events/batch`. Also served at `/api/billing/v1/usage`.",
        "operationId": "pushUsage",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "required": ["usage"],
            "properties": {"usage": {"type": "array", "items": {
                "type": "object", "required": required, "properties": counter_props}}}}}}},
        "responses": usage_responses,
    }});
    let mut patch = lago
        .get("/subscriptions/{external_id}")
        .and_then(|item| item.get("put"))
        .cloned()
        .unwrap_or_else(|| json!({"responses": {}}));
    patch["operationId"] = json!("patchSubscription");
    patch["summary"] = json!("Update a subscription (PATCH alias of PUT)");
    patch["tags"] = json!(["subscriptions", "fusion-billing"]);
    let openapi = json!({"get": {
        "tags": ["fusion-billing"],
        "summary": "This OpenAPI document",
        "description": "fusion-billing addition. No API key needed.",
        "operationId": "openapiDocument",
        "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1 document",
            "content": {"application/json": {"schema": {"type": "object"}}}}},
    }});
    vec![
        ("/usage".into(), usage),
        (
            "/subscriptions/{external_id}".into(),
            json!({"patch": patch}),
        ),
        ("/openapi.json".into(), openapi),
    ]
}
