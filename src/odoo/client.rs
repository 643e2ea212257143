//! [`OdooClient`]: authentication, protocol selection and the server's identity. The generic
//! call forms live in `super::orm`, reachable only inside `crate::odoo`; the typed facades
//! (`partners()`, `catalogue()`, …) are the client's public surface.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

use crate::configuration::{OdooProtocol, OdooSettings};

use super::error::OdooError;
use super::orm::Orm;
pub use super::orm::{Call, FieldInfo, SearchOptions};
use super::retry::{with_retry, RetryPolicy};
use super::transport::{Secret, Transport};
use super::value::{odoo_ids, UserId};

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

/// A connected, authenticated Odoo client. Cheap to clone (shared state); safe to use from many
/// tasks: at most `odoo.max_concurrency` calls are in flight, each with `odoo.timeout_secs`, and
/// transport failures are retried per [`RetryPolicy`]. Its `Debug` never shows the password.
#[derive(Clone)]
pub struct OdooClient {
    inner: Arc<Orm>,
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
            inner: Arc::new(Orm {
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
            .inner
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
            .inner
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
        let ids = odoo_ids(
            &self
                .inner
                .json2_with_retry("res.users", "search", &body)
                .await?,
        )?;
        ids.first()
            .copied()
            .ok_or_else(|| auth_failed(settings, " (no user with this login)"))
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
                let _permit = self.inner.permit().await?;
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
        let v = self
            .inner
            .rpc_with_retry("common", "version", vec![])
            .await?;
        let s = v
            .get("server_version")
            .and_then(Value::as_str)
            .ok_or_else(|| OdooError::Decode("common.version without server_version".into()))?;
        let info = v.get("server_version_info").and_then(Value::as_array);
        Ok(ServerVersion::from_info(s.to_string(), info))
    }

    /// The generic ORM methods, for the typed facades of `crate::odoo` only.
    pub(in crate::odoo) fn orm(&self) -> &Orm {
        &self.inner
    }

    pub(in crate::odoo) fn country_cache(&self) -> &Mutex<HashMap<String, i64>> {
        &self.inner.countries
    }
}

/// With the `test-support` feature (the crate's own tests), the generic ORM methods are public
/// through `Deref`, so a test inspects Odoo black-box with `client.search_read(…)`.
#[cfg(feature = "test-support")]
impl std::ops::Deref for OdooClient {
    type Target = Orm;

    fn deref(&self) -> &Orm {
        &self.inner
    }
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
