//! [`OdooClient`]: authentication, protocol selection, the generic call forms (`execute_kw`,
//! JSON-2, and [`Call`] which works over either), retries and the concurrency cap.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

use crate::configuration::{OdooProtocol, OdooSettings};

use super::error::OdooError;
use super::retry::{with_retry, RetryPolicy};
use super::transport::{Secret, Transport};
use super::value::{created_ids, odoo_ids, odoo_str, Record, UserId};

/// The protocol a connected client speaks (never `auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `POST /jsonrpc`, `object.execute_kw` (CONTRACT.md §1).
    JsonRpc,
    /// `POST /json/2/<model>/<method>` with a bearer API key (CONTRACT.md §2, Odoo ≥ 19.0).
    Json2,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::JsonRpc => "jsonrpc",
            Protocol::Json2 => "json2",
        })
    }
}

/// The server version as reported by `common.version` (`odoo/service/common.py`) or
/// `GET /web/version` (`addons/rpc/controllers/__init__.py`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    /// `server_version`, e.g. `"19.0+e"` or `"saas~19.1+e"`.
    pub version: String,
    /// Major version (`server_version_info[0]`), e.g. 19.
    pub major: Option<u32>,
    /// Minor version (`server_version_info[1]`), e.g. 0.
    pub minor: Option<u32>,
    /// True for Enterprise (`server_version_info[5] == "e"` or a `+e` suffix).
    pub enterprise: bool,
}

impl ServerVersion {
    fn from_info(version: String, info: Option<&Vec<Value>>) -> ServerVersion {
        let num = |i: usize| {
            info.and_then(|v| v.get(i))
                .and_then(|x| {
                    x.as_u64()
                        .or_else(|| x.as_str().and_then(|s| s.parse().ok()))
                })
                .map(|x| x as u32)
        };
        let mut major = num(0);
        if major.is_none() {
            let digits: String = version
                .trim_start_matches("saas~")
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            major = digits.parse().ok();
        }
        let enterprise = version.ends_with("+e")
            || info.and_then(|v| v.get(5)).and_then(Value::as_str) == Some("e");
        ServerVersion {
            major,
            minor: num(1),
            version,
            enterprise,
        }
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({})",
            self.version,
            if self.enterprise {
                "Enterprise"
            } else {
                "Community"
            }
        )
    }
}

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
/// Not for `create`: use [`OdooClient::create`] (its positional special case, §3.2).
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

struct Inner {
    transport: Transport,
    protocol: Protocol,
    uid: i64,
    database: String,
    login: String,
    semaphore: Semaphore,
    max_concurrency: usize,
    retry: RetryPolicy,
    fields: Mutex<HashMap<String, Arc<BTreeMap<String, FieldInfo>>>>,
    pub(crate) countries: Mutex<HashMap<String, i64>>,
}

/// A connected, authenticated Odoo client. Cheap to clone (shared state); safe to use from many
/// tasks: at most `odoo.max_concurrency` calls are in flight, each with `odoo.timeout_secs`, and
/// transport failures are retried per [`RetryPolicy`]. Its `Debug` never shows the password.
#[derive(Clone)]
pub struct OdooClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for OdooClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OdooClient")
            .field("url", &self.inner.transport.base().as_str())
            .field("database", &self.inner.database)
            .field("login", &self.inner.login)
            .field("password", &self.inner.transport.secret())
            .field("protocol", &self.inner.protocol)
            .field("uid", &self.inner.uid)
            .finish()
    }
}

fn auth_failed(settings: &OdooSettings, detail: &str) -> OdooError {
    OdooError::Config(format!(
        "authentication failed for login {} on database {}{detail}",
        settings.login, settings.database
    ))
}

/// Errors of the JSON-2 probe after which `auto` falls back to JSON-RPC: no JSON-2 route (404/405,
/// HTML), a rejected credential (a password is not an API key), an unexpected body.
fn json2_absent(e: &OdooError) -> bool {
    matches!(
        e,
        OdooError::Http { .. }
            | OdooError::AccessDenied(_)
            | OdooError::Decode(_)
            | OdooError::Server { .. }
    )
}

impl OdooClient {
    /// Connects and authenticates with `settings` and its retry policy
    /// ([`RetryPolicy::from_settings`]).
    ///
    /// - `jsonrpc`: `common.authenticate(db, login, password, {})` → uid; `false` →
    ///   [`OdooError::Config`] "authentication failed for login X on database Y"
    ///   (`odoo/service/common.py`).
    /// - `json2`: `res.users/context_get` with the API key as bearer → uid.
    /// - `auto`: probes JSON-2 and falls back to JSON-RPC when the route is missing or the key is
    ///   refused there (e.g. a password).
    ///
    /// # Errors
    /// [`OdooError::Config`] for unusable settings or failed authentication; transport errors when
    /// Odoo cannot be reached after the retries.
    pub async fn connect(settings: &OdooSettings) -> Result<OdooClient, OdooError> {
        Self::connect_with(settings, RetryPolicy::from_settings(settings)).await
    }

    /// As [`OdooClient::connect`] with an explicit retry policy (tests use short delays).
    ///
    /// # Errors
    /// See [`OdooClient::connect`].
    #[tracing::instrument(skip_all, fields(url = %super::transport::redact_url(&settings.url), database = %settings.database, protocol = ?settings.protocol))]
    pub async fn connect_with(
        settings: &OdooSettings,
        retry: RetryPolicy,
    ) -> Result<OdooClient, OdooError> {
        if !settings.is_configured() {
            return Err(OdooError::Config(
                "odoo.url is empty: set the Odoo base URL".into(),
            ));
        }
        if settings.login.trim().is_empty() {
            return Err(OdooError::Config("odoo.login is empty".into()));
        }
        if settings.password.is_empty() {
            return Err(OdooError::Config(
                "odoo.password is empty: set the user's password or API key".into(),
            ));
        }
        if settings.database.trim().is_empty() && settings.protocol != OdooProtocol::Json2 {
            return Err(OdooError::Config(
                "odoo.database is empty (required by /jsonrpc)".into(),
            ));
        }
        let max_concurrency = settings.max_concurrency.max(1);
        let transport = Transport::new(
            &settings.url,
            settings.database.trim(),
            Secret::new(settings.password.clone()),
            Duration::from_secs(settings.timeout_secs.max(1)),
        )?;
        let mut client = OdooClient {
            inner: Arc::new(Inner {
                transport,
                protocol: Protocol::JsonRpc,
                uid: 0,
                database: settings.database.trim().to_string(),
                login: settings.login.clone(),
                semaphore: Semaphore::new(max_concurrency),
                max_concurrency,
                retry,
                fields: Mutex::new(HashMap::new()),
                countries: Mutex::new(HashMap::new()),
            }),
        };
        let (protocol, uid) = match settings.protocol {
            OdooProtocol::Jsonrpc => (Protocol::JsonRpc, client.authenticate(settings).await?),
            OdooProtocol::Json2 => match client.json2_whoami(settings).await {
                Ok(uid) => (Protocol::Json2, uid),
                Err(OdooError::AccessDenied(m)) => {
                    return Err(auth_failed(settings, &format!(" (JSON-2: {m}; an API key is required)")))
                }
                Err(OdooError::Http { status: 404, .. }) => {
                    return Err(OdooError::Config(
                        "JSON-2 (/json/2) not found: Odoo 19 or later is required for protocol json2; use jsonrpc".into(),
                    ))
                }
                Err(e) => return Err(e),
            },
            OdooProtocol::Auto => match client.json2_whoami(settings).await {
                Ok(uid) => (Protocol::Json2, uid),
                Err(e) if json2_absent(&e) => {
                    tracing::info!(reason = %e, "JSON-2 probe failed, falling back to /jsonrpc");
                    (Protocol::JsonRpc, client.authenticate(settings).await?)
                }
                Err(e) => return Err(e),
            },
        };
        let inner = Arc::get_mut(&mut client.inner).expect("client not shared yet");
        inner.protocol = protocol;
        inner.uid = uid;
        tracing::info!(%protocol, uid, "connected to Odoo");
        Ok(client)
    }

    async fn authenticate(&self, settings: &OdooSettings) -> Result<i64, OdooError> {
        let args = vec![
            json!(settings.database.trim()),
            json!(settings.login),
            json!(self.inner.transport.secret().expose()),
            json!({}),
        ];
        let r = self
            .rpc_with_retry("common", "authenticate", args)
            .await
            .map_err(|e| match e {
                OdooError::Http { status: 404, .. } => OdooError::Config(
                    "/jsonrpc not found: the `rpc` module must be in server_wide_modules (Odoo 19) or use protocol json2".into(),
                ),
                OdooError::AccessDenied(m) => auth_failed(settings, &format!(" ({m})")),
                other => other,
            })?;
        match r {
            Value::Number(n) => n
                .as_i64()
                .filter(|uid| *uid > 0)
                .ok_or_else(|| OdooError::Decode(format!("authenticate returned {n}"))),
            Value::Bool(false) => Err(auth_failed(settings, "")),
            other => Err(OdooError::Decode(format!(
                "authenticate returned {}",
                super::error::truncate(&other.to_string(), 80)
            ))),
        }
    }

    /// JSON-2 `res.users/context_get` → `uid`; when absent, the id of the user with this login.
    async fn json2_whoami(&self, settings: &OdooSettings) -> Result<i64, OdooError> {
        let ctx = self
            .json2_with_retry("res.users", "context_get", &Map::new())
            .await?;
        if let Some(uid) = ctx.get("uid").and_then(Value::as_i64) {
            return Ok(uid);
        }
        if !ctx.is_object() {
            return Err(OdooError::Decode(
                "context_get did not return an object".into(),
            ));
        }
        let mut body = Map::new();
        body.insert("domain".into(), json!([["login", "=", settings.login]]));
        body.insert("limit".into(), json!(1));
        let ids = odoo_ids(&self.json2_with_retry("res.users", "search", &body).await?)?;
        ids.first()
            .copied()
            .ok_or_else(|| auth_failed(settings, " (no user with this login)"))
    }

    async fn rpc_with_retry(
        &self,
        service: &str,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, OdooError> {
        let label = format!("{service}.{method}");
        with_retry(&self.inner.retry, method, &label, || {
            let args = args.clone();
            async move {
                let _permit = self.permit().await?;
                self.inner.transport.jsonrpc(service, method, args).await
            }
        })
        .await
    }

    async fn json2_with_retry(
        &self,
        model: &str,
        method: &str,
        body: &Map<String, Value>,
    ) -> Result<Value, OdooError> {
        let label = format!("{model}.{method}");
        with_retry(&self.inner.retry, method, &label, || async {
            let _permit = self.permit().await?;
            self.inner.transport.json2(model, method, body).await
        })
        .await
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, OdooError> {
        self.inner
            .semaphore
            .acquire()
            .await
            .map_err(|_| OdooError::Config("Odoo client closed".into()))
    }

    /// The protocol in use.
    pub fn protocol(&self) -> Protocol {
        self.inner.protocol
    }

    /// The authenticated user's id.
    pub fn uid(&self) -> UserId {
        UserId(self.inner.uid)
    }

    /// The database name from the settings.
    pub fn database(&self) -> &str {
        &self.inner.database
    }

    /// The login from the settings.
    pub fn login(&self) -> &str {
        &self.inner.login
    }

    /// Most calls in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.inner.max_concurrency
    }

    /// Odoo's base URL (ends with `/`), for turning relative portal URLs into absolute ones.
    pub fn base_url(&self) -> &url::Url {
        self.inner.transport.base()
    }

    /// The server version: `common.version` over JSON-RPC; over JSON-2 `GET /web/version`, then
    /// `common.version` if that fails.
    ///
    /// # Errors
    /// Transport errors, or [`OdooError::Decode`] when neither answer has a version string.
    #[tracing::instrument(skip_all)]
    pub async fn server_version(&self) -> Result<ServerVersion, OdooError> {
        if self.inner.protocol == Protocol::Json2 {
            let web = with_retry(&self.inner.retry, "version", "GET /web/version", || async {
                let _permit = self.permit().await?;
                self.inner.transport.get_json("web/version").await
            })
            .await;
            if let Ok(v) = web {
                if let Some(s) = v.get("version").and_then(Value::as_str) {
                    let info = v.get("version_info").and_then(Value::as_array);
                    return Ok(ServerVersion::from_info(s.to_string(), info));
                }
            }
        }
        let v = self.rpc_with_retry("common", "version", vec![]).await?;
        let s = v
            .get("server_version")
            .and_then(Value::as_str)
            .ok_or_else(|| OdooError::Decode("common.version without server_version".into()))?;
        let info = v.get("server_version_info").and_then(Value::as_array);
        Ok(ServerVersion::from_info(s.to_string(), info))
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
            json!(self.inner.database),
            json!(self.inner.uid),
            json!(self.inner.transport.secret().expose()),
            json!(model),
            json!(method),
            Value::Array(args),
            Value::Object(kwargs),
        ];
        let label = format!("{model}.{method}");
        with_retry(&self.inner.retry, method, &label, || {
            let params = params.clone();
            async move {
                let _permit = self.permit().await?;
                self.inner
                    .transport
                    .jsonrpc("object", "execute_kw", params)
                    .await
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
        match self.inner.protocol {
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
    /// As [`OdooClient::search_read`].
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
    pub async fn create(
        &self,
        model: &str,
        vals_list: Vec<Map<String, Value>>,
        context: Map<String, Value>,
    ) -> Result<Vec<i64>, OdooError> {
        let n = vals_list.len();
        let list: Vec<Value> = vals_list.into_iter().map(Value::Object).collect();
        let v = match self.inner.protocol {
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
    /// As [`OdooClient::create`].
    pub async fn create_one(
        &self,
        model: &str,
        vals: Map<String, Value>,
        context: Map<String, Value>,
    ) -> Result<i64, OdooError> {
        let v = match self.inner.protocol {
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
        if let Some(f) = self.inner.fields.lock().expect("fields cache").get(model) {
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
        self.inner
            .fields
            .lock()
            .expect("fields cache")
            .insert(model.to_string(), out.clone());
        Ok(out)
    }

    /// Forgets the cached field list of `model` (after creating a manual field on it).
    pub fn forget_fields(&self, model: &str) {
        self.inner
            .fields
            .lock()
            .expect("fields cache")
            .remove(model);
    }

    /// True when `model` has `field` (per the cached [`OdooClient::fields`]).
    ///
    /// # Errors
    /// As [`OdooClient::fields`].
    pub async fn has_field(&self, model: &str, field: &str) -> Result<bool, OdooError> {
        Ok(self.fields(model).await?.contains_key(field))
    }

    pub(crate) fn country_cache(&self) -> &Mutex<HashMap<String, i64>> {
        &self.inner.countries
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_parsing() {
        let v = ServerVersion::from_info(
            "19.0+e".into(),
            Some(&vec![
                json!(19),
                json!(0),
                json!(0),
                json!("final"),
                json!(0),
                json!("e"),
            ]),
        );
        assert_eq!((v.major, v.minor, v.enterprise), (Some(19), Some(0), true));
        let v = ServerVersion::from_info("saas~19.1".into(), None);
        assert_eq!(v.major, Some(19));
        assert!(!v.enterprise);
    }
}
