//! [`Orm`]: the generic ORM call forms (`execute_kw`, JSON-2, and [`Call`] which works over
//! either; `search_read`, `read`, `create`, `write`, …, `fields_get`) with retries and the
//! concurrency cap. Sealed: only `crate::odoo` reaches it (through `OdooClient::orm`), and the
//! crate's own tests through the `test-support` feature (see the module doc of `crate::odoo`).
//!
//! By job: the call forms and the `fields_get` cache here, `call` (the call's parts),
//! `records` (the record methods: search, read, create, write, unlink).

mod call;
mod records;

pub use call::{Call, FieldInfo, SearchOptions};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

use super::client::Protocol;
use super::error::OdooError;
use super::retry::{with_retry, RetryPolicy};
use super::transport::Transport;
use super::value::odoo_str;

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
