//! [`Orm`]: the generic ORM call forms (`execute_kw`, JSON-2, and [`Call`] which works over
//! either; `search_read`, `read`, `create`, `write`, …, `fields_get`) with retries and the
//! concurrency cap. Sealed: only `crate::odoo` reaches it (through `OdooClient::orm`), and the
//! crate's own tests through the `test-support` feature (see the module doc of `crate::odoo`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

use super::client::Protocol;
use super::error::OdooError;
use super::retry::{with_retry, RetryPolicy};
use super::transport::Transport;
use super::value::{created_ids, odoo_ids, odoo_str, Record};

/// What `fields_get` says about one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// Field type: `char`, `many2one`, `monetary`, …
    pub ftype: String,
    /// Comodel of relational fields.
    pub relation: Option<String>,
    /// Required on create.
    pub required: bool,
    /// Label in the request language.
    pub label: Option<String>,
}

/// Paging and ordering of `search`/`search_read`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchOptions {
    /// Records to skip.
    pub offset: Option<u64>,
    /// At most this many records.
    pub limit: Option<u64>,
    /// SQL-like order, e.g. `"write_date asc, id asc"`.
    pub order: Option<String>,
    /// Include archived records (`context.active_test = false`).
    pub include_archived: bool,
}

impl SearchOptions {
    /// Order by `order`, no limit.
    pub fn ordered(order: &str) -> SearchOptions {
        SearchOptions {
            order: Some(order.to_string()),
            ..SearchOptions::default()
        }
    }
}

/// A protocol-neutral call: `ids` (for record methods; `None` for `@api.model` methods), named
/// arguments and a context. Sent as `execute_kw(model, method, [ids], {named…, context})` over
/// JSON-RPC and as `{"ids", "context", named…}` over JSON-2 (CONTRACT.md §3.1, §3.5).
///
/// Not for `create`: use `Orm::create` (its positional special case, §3.2).
#[derive(Debug, Clone)]
pub struct Call {
    model: String,
    method: String,
    ids: Option<Vec<i64>>,
    args: Map<String, Value>,
    context: Map<String, Value>,
}

impl Call {
    /// A call of `model.method` with no ids (an `@api.model` method).
    pub fn new(model: &str, method: &str) -> Call {
        Call {
            model: model.to_string(),
            method: method.to_string(),
            ids: None,
            args: Map::new(),
            context: Map::new(),
        }
    }

    /// The records the method runs on.
    pub fn ids(mut self, ids: impl IntoIterator<Item = i64>) -> Call {
        self.ids = Some(ids.into_iter().collect());
        self
    }

    /// A named argument.
    pub fn arg(mut self, name: &str, value: impl Into<Value>) -> Call {
        self.args.insert(name.to_string(), value.into());
        self
    }

    /// A context key (`lang`, `active_test`, `active_model`, `active_ids`, …).
    pub fn context(mut self, key: &str, value: impl Into<Value>) -> Call {
        self.context.insert(key.to_string(), value.into());
        self
    }

    /// The model.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }
}

/// The connection state behind an [`OdooClient`](super::OdooClient) and its generic ORM
/// methods. Reachable only inside `crate::odoo` (and, with the `test-support` feature, from the
/// crate's tests through `Deref`).
pub struct Orm {
    pub(super) transport: Transport,
    pub(super) protocol: Protocol,
    pub(super) uid: i64,
    pub(super) database: String,
    pub(super) login: String,
    pub(super) semaphore: Semaphore,
    pub(super) max_concurrency: usize,
    pub(super) retry: RetryPolicy,
    pub(super) fields: Mutex<HashMap<String, Arc<BTreeMap<String, FieldInfo>>>>,
    pub(super) countries: Mutex<HashMap<String, i64>>,
}

impl Orm {
    pub(super) async fn rpc_with_retry(
        &self,
        service: &str,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, OdooError> {
        let label = format!("{service}.{method}");
        with_retry(&self.retry, method, &label, || {
            let args = args.clone();
            async move {
                let _permit = self.permit().await?;
                self.transport.jsonrpc(service, method, args).await
            }
        })
        .await
    }

    pub(super) async fn json2_with_retry(
        &self,
        model: &str,
        method: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, OdooError> {
        let label = format!("{model}.{method}");
        with_retry(&self.retry, method, &label, || async {
            let _permit = self.permit().await?;
            self.transport.json2(model, method, body).await
        })
        .await
    }

    pub(super) async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, OdooError> {
        self.semaphore
            .acquire()
            .await
            .map_err(|_| OdooError::Config("Odoo client closed".into()))
    }

    /// `object.execute_kw(db, uid, password, model, method, args, kwargs)` over `/jsonrpc`, whatever
    /// the selected protocol (`odoo/service/model.py`). Returns `result`, or `Value::Null` when the
    /// method returned `None` (the key is omitted, CONTRACT.md §1.3).
    ///
    /// # Errors
    /// Any [`OdooError`]; business errors come from `error.data.name`.
    #[tracing::instrument(skip_all, fields(model = %model, method = %method))]
    pub async fn execute_kw(
        &self,
        model: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Map<String, Value>,
    ) -> Result<Value, OdooError> {
        let params = vec![
            json!(self.database),
            json!(self.uid),
            json!(self.transport.secret().expose()),
            json!(model),
            json!(method),
            Value::Array(args),
            Value::Object(kwargs),
        ];
        let label = format!("{model}.{method}");
        with_retry(&self.retry, method, &label, || {
            let params = params.clone();
            async move {
                let _permit = self.permit().await?;
                self.transport.jsonrpc("object", "execute_kw", params).await
            }
        })
        .await
    }

    /// `POST /json/2/<model>/<method>` with `body` (named arguments plus optional `ids`, `context`),
    /// whatever the selected protocol. Returns the bare result (`Null` for `None`).
    ///
    /// # Errors
    /// Any [`OdooError`]; business errors come from the error body's `name`.
    #[tracing::instrument(skip_all, fields(model = %model, method = %method))]
    pub async fn call_json2(
        &self,
        model: &str,
        method: &str,
        body: Map<String, Value>,
    ) -> Result<Value, OdooError> {
        self.json2_with_retry(model, method, &body).await
    }

    /// Runs a [`Call`] over the selected protocol.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn call(&self, call: Call) -> Result<Value, OdooError> {
        tracing::debug!(model = %call.model, method = %call.method, "odoo call");
        match self.protocol {
            Protocol::JsonRpc => {
                let args = match call.ids {
                    Some(ids) => vec![json!(ids)],
                    None => vec![],
                };
                let mut kwargs = call.args;
                if !call.context.is_empty() {
                    kwargs.insert("context".into(), Value::Object(call.context));
                }
                self.execute_kw(&call.model, &call.method, args, kwargs)
                    .await
            }
            Protocol::Json2 => {
                let mut body = call.args;
                if let Some(ids) = call.ids {
                    body.insert("ids".into(), json!(ids));
                }
                if !call.context.is_empty() {
                    body.insert("context".into(), Value::Object(call.context));
                }
                self.call_json2(&call.model, &call.method, body).await
            }
        }
    }

    /// `search_read(domain, fields, offset, limit, order)` → records (`id` always included).
    ///
    /// # Errors
    /// Any [`OdooError`]; [`OdooError::Decode`] when the answer is not a list of objects.
    pub async fn search_read(
        &self,
        model: &'static str,
        domain: Value,
        fields: &[&str],
        opts: &SearchOptions,
    ) -> Result<Vec<Record>, OdooError> {
        let call = with_search_options(
            Call::new(model, "search_read")
                .arg("domain", domain)
                .arg("fields", json!(fields)),
            opts,
        );
        Record::list(model, self.call(call).await?)
    }

    /// Every record matching `domain`, fetched in pages of `page` records ordered by `id`.
    ///
    /// # Errors
    /// As [`Orm::search_read`].
    pub async fn search_read_all(
        &self,
        model: &'static str,
        domain: Value,
        fields: &[&str],
        page: u64,
        include_archived: bool,
    ) -> Result<Vec<Record>, OdooError> {
        let page = page.max(1);
        let mut out = Vec::new();
        let mut last_id = 0i64;
        loop {
            // Keyset paging on id: stable even when records change between pages.
            let mut dom = match &domain {
                Value::Array(a) => a.clone(),
                other => {
                    return Err(OdooError::Invalid(format!(
                        "a domain must be a list, got {}",
                        super::error::truncate(&other.to_string(), 80)
                    )))
                }
            };
            dom.push(json!(["id", ">", last_id]));
            let opts = SearchOptions {
                limit: Some(page),
                order: Some("id asc".into()),
                include_archived,
                ..SearchOptions::default()
            };
            let batch = self
                .search_read(model, Value::Array(dom), fields, &opts)
                .await?;
            let n = batch.len() as u64;
            if let Some(last) = batch.last() {
                last_id = last.id()?;
            }
            out.extend(batch);
            if n < page {
                return Ok(out);
            }
        }
    }

    /// `search(domain, offset, limit, order)` → ids.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn search(
        &self,
        model: &str,
        domain: Value,
        opts: &SearchOptions,
    ) -> Result<Vec<i64>, OdooError> {
        let call = with_search_options(Call::new(model, "search").arg("domain", domain), opts);
        odoo_ids(&self.call(call).await?)
    }

    /// `search_count(domain)`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    // Only the tests call it (through `test-support`); kept with its siblings.
    #[cfg_attr(not(feature = "test-support"), allow(dead_code))]
    pub async fn search_count(&self, model: &str, domain: Value) -> Result<u64, OdooError> {
        let v = self
            .call(Call::new(model, "search_count").arg("domain", domain))
            .await?;
        v.as_u64()
            .ok_or_else(|| OdooError::Decode(format!("search_count returned {v}")))
    }

    /// `read(ids, fields)`; ids that no longer exist raise [`OdooError::MissingError`].
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn read(
        &self,
        model: &'static str,
        ids: &[i64],
        fields: &[&str],
    ) -> Result<Vec<Record>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let call = Call::new(model, "read")
            .ids(ids.iter().copied())
            .arg("fields", json!(fields));
        Record::list(model, self.call(call).await?)
    }

    /// `create(vals_list)` → new ids, in order. JSON-RPC passes the list positionally (the
    /// `call_kw` special case, CONTRACT.md §3.2); JSON-2 sends `vals_list`. Accepts an int or a list
    /// in the answer. Not retried after an ambiguous failure (see `retry.rs`).
    ///
    /// # Errors
    /// Any [`OdooError`]; [`OdooError::Decode`] when the id count differs from `vals_list`.
    // Only the tests call it (through `test-support`); kept with its siblings.
    #[cfg_attr(not(feature = "test-support"), allow(dead_code))]
    pub async fn create(
        &self,
        model: &str,
        vals_list: Vec<Map<String, Value>>,
        context: Map<String, Value>,
    ) -> Result<Vec<i64>, OdooError> {
        let n = vals_list.len();
        let list: Vec<Value> = vals_list.into_iter().map(Value::Object).collect();
        let v = match self.protocol {
            Protocol::JsonRpc => {
                let mut kwargs = Map::new();
                if !context.is_empty() {
                    kwargs.insert("context".into(), Value::Object(context));
                }
                self.execute_kw(model, "create", vec![Value::Array(list)], kwargs)
                    .await?
            }
            Protocol::Json2 => {
                let mut body = Map::new();
                body.insert("vals_list".into(), Value::Array(list));
                if !context.is_empty() {
                    body.insert("context".into(), Value::Object(context));
                }
                self.call_json2(model, "create", body).await?
            }
        };
        let ids = created_ids(&v)?;
        if ids.len() != n {
            return Err(OdooError::Decode(format!(
                "{model}.create returned {} ids for {n} records",
                ids.len()
            )));
        }
        Ok(ids)
    }

    /// `create(vals)` of one record → its id (an int over JSON-RPC, a one-element list over JSON-2).
    ///
    /// # Errors
    /// As [`Orm::create`].
    pub async fn create_one(
        &self,
        model: &str,
        vals: Map<String, Value>,
        context: Map<String, Value>,
    ) -> Result<i64, OdooError> {
        let v = match self.protocol {
            Protocol::JsonRpc => {
                let mut kwargs = Map::new();
                if !context.is_empty() {
                    kwargs.insert("context".into(), Value::Object(context));
                }
                self.execute_kw(model, "create", vec![Value::Object(vals)], kwargs)
                    .await?
            }
            Protocol::Json2 => {
                let mut body = Map::new();
                body.insert("vals_list".into(), json!([vals]));
                if !context.is_empty() {
                    body.insert("context".into(), Value::Object(context));
                }
                self.call_json2(model, "create", body).await?
            }
        };
        created_ids(&v)?
            .first()
            .copied()
            .ok_or_else(|| OdooError::Decode(format!("{model}.create returned no id")))
    }

    /// `write(ids, vals)`; Odoo answers `true`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn write(
        &self,
        model: &str,
        ids: &[i64],
        vals: Map<String, Value>,
    ) -> Result<(), OdooError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.call(
            Call::new(model, "write")
                .ids(ids.iter().copied())
                .arg("vals", Value::Object(vals)),
        )
        .await
        .map(|_| ())
    }

    /// `unlink(ids)`.
    ///
    /// # Errors
    /// Any [`OdooError`].
    // Only the tests call it (through `test-support`); kept with its siblings.
    #[cfg_attr(not(feature = "test-support"), allow(dead_code))]
    pub async fn unlink(&self, model: &str, ids: &[i64]) -> Result<(), OdooError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.call(Call::new(model, "unlink").ids(ids.iter().copied()))
            .await
            .map(|_| ())
    }

    /// `fields_get(attributes=["type","relation","required","string"])` of `model`, cached for the
    /// client's life. Unknown model: [`OdooError::UserError`] ("Object x doesn't exist", JSON-RPC) or
    /// [`OdooError::Server`] `werkzeug.exceptions.NotFound` (JSON-2).
    ///
    /// # Errors
    /// Any [`OdooError`].
    pub async fn fields(&self, model: &str) -> Result<Arc<BTreeMap<String, FieldInfo>>, OdooError> {
        if let Some(f) = self.fields.lock().expect("fields cache").get(model) {
            return Ok(f.clone());
        }
        let v = self
            .call(Call::new(model, "fields_get").arg(
                "attributes",
                json!(["type", "relation", "required", "string"]),
            ))
            .await?;
        let Value::Object(obj) = v else {
            return Err(OdooError::Decode(format!(
                "{model}.fields_get: not an object"
            )));
        };
        let mut out = BTreeMap::new();
        for (name, attrs) in obj {
            let get_str = |k: &str| {
                attrs
                    .get(k)
                    .map(odoo_str)
                    .transpose()
                    .ok()
                    .flatten()
                    .flatten()
            };
            out.insert(
                name,
                FieldInfo {
                    ftype: get_str("type").unwrap_or_default(),
                    relation: get_str("relation"),
                    required: attrs
                        .get("required")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    label: get_str("string"),
                },
            );
        }
        let out = Arc::new(out);
        self.fields
            .lock()
            .expect("fields cache")
            .insert(model.to_string(), out.clone());
        Ok(out)
    }

    /// Forgets the cached field list of `model` (after creating a manual field on it).
    pub fn forget_fields(&self, model: &str) {
        self.fields.lock().expect("fields cache").remove(model);
    }

    /// True when `model` has `field` (per the cached [`Orm::fields`]).
    ///
    /// # Errors
    /// As [`Orm::fields`].
    pub async fn has_field(&self, model: &str, field: &str) -> Result<bool, OdooError> {
        Ok(self.fields(model).await?.contains_key(field))
    }
}

fn with_search_options(mut call: Call, opts: &SearchOptions) -> Call {
    if let Some(o) = opts.offset {
        call = call.arg("offset", o);
    }
    if let Some(l) = opts.limit {
        call = call.arg("limit", l);
    }
    if let Some(o) = &opts.order {
        call = call.arg("order", o.as_str());
    }
    if opts.include_archived {
        call = call.context("active_test", false);
    }
    call
}
