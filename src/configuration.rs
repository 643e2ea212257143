//! Settings: `config/default.toml` (embedded at build time) overridden by an optional file
//! and by `FUSION__SECTION__KEY` environment variables (the `config` crate).
//!
//! Invalid settings fail at start with an error that names the offending key.

use std::net::SocketAddr;

use serde::Deserialize;

/// The defaults, compiled in so the binary runs from any directory.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// All settings of the gateway. Field docs live in `config/default.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub ingest: IngestSettings,
    pub auth: AuthSettings,
    pub odoo: OdooSettings,
    pub rating: RatingSettings,
    pub watcher: WatcherSettings,
    pub webhooks: WebhookSettings,
    pub customers: CustomerSettings,
    pub log: LogSettings,
    /// `[import]`: the NexaCloud importer (`fusion-billing import nexacloud`).
    #[serde(default)]
    pub import: ImportSettings,
    /// `[idempotency]`: money-moving POSTs sent without an `Idempotency-Key`.
    #[serde(default)]
    pub idempotency: IdempotencySettings,
}

/// `[idempotency]`: how money-moving POSTs without an `Idempotency-Key` header are made
/// exactly-once (see `crate::api::idempotency`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IdempotencySettings {
    /// Identical requests (same app, method, path and JSON body) without the header within
    /// this many seconds of the first are one intent: they wait for the first and get its
    /// answer. 0 turns this off (each such request is a new intent).
    /// `FUSION__IDEMPOTENCY__IMPLICIT_WINDOW_SECS`.
    pub implicit_window_secs: u64,
}

impl Default for IdempotencySettings {
    fn default() -> Self {
        IdempotencySettings {
            implicit_window_secs: 10,
        }
    }
}

/// `[server]`: the HTTP listener.
#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    /// `host:port`; `FUSION__SERVER__BIND`.
    pub bind: String,
    /// Worker threads; 0 = one per core.
    pub workers: usize,
    /// Largest accepted body, bytes.
    pub body_limit_bytes: usize,
    /// Grace period on SIGTERM, seconds.
    pub shutdown_timeout_secs: u64,
}

/// `[store]`: where usage, links and state live.
#[derive(Debug, Clone, Deserialize)]
pub struct StoreSettings {
    /// `sqlite://PATH` or `postgres://…`; `FUSION__STORE__URL`.
    pub url: String,
    pub max_connections: u32,
    /// `full` or `normal` (SQLite only).
    pub sqlite_synchronous: SqliteSynchronous,
}

/// SQLite `PRAGMA synchronous` level for WAL commits.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Full,
    Normal,
}

/// `[ingest]`: the group-commit writer.
#[derive(Debug, Clone, Deserialize)]
pub struct IngestSettings {
    pub channel_capacity: usize,
    pub max_events_per_commit: usize,
    pub batch_max_events: usize,
    pub usage_max_counters: usize,
    pub retry_after_secs: u64,
}

/// `[auth]`: API keys.
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// Seconds an old key keeps working after rotation.
    pub rotation_grace_secs: i64,
    /// Seconds a verified key is cached.
    pub cache_ttl_secs: u64,
}

/// `[odoo]`: the Odoo instance that is the system of record.
#[derive(Clone, Deserialize)]
pub struct OdooSettings {
    /// Base URL; empty = not configured.
    pub url: String,
    pub database: String,
    pub login: String,
    /// Password or API key; never printed (see the `Debug` impl).
    pub password: String,
    pub protocol: OdooProtocol,
    pub timeout_secs: u64,
    pub max_concurrency: usize,
    pub max_retries: u32,
}

impl std::fmt::Debug for OdooSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OdooSettings")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("login", &self.login)
            .field("password", &"<redacted>")
            .field("protocol", &self.protocol)
            .field("timeout_secs", &self.timeout_secs)
            .field("max_concurrency", &self.max_concurrency)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

impl OdooSettings {
    /// True when an Odoo URL is set.
    pub fn is_configured(&self) -> bool {
        !self.url.trim().is_empty()
    }
}

/// Which Odoo RPC protocol to speak.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OdooProtocol {
    /// `POST /jsonrpc` with `service`/`method`/`args` (all Odoo versions).
    Jsonrpc,
    /// `POST /json/2/<model>/<method>` with a bearer API key (Odoo 19+).
    Json2,
    /// Probe JSON-2, fall back to JSON-RPC.
    Auto,
}

/// `[rating]`: the usage push loop.
#[derive(Debug, Clone, Deserialize)]
pub struct RatingSettings {
    pub interval_secs: u64,
}

/// `[watcher]`: the Odoo change poller.
#[derive(Debug, Clone, Deserialize)]
pub struct WatcherSettings {
    /// Seconds between polls; `FUSION__WATCHER__INTERVAL_SECS`.
    pub interval_secs: u64,
    /// Seconds each poll looks back before the last `write_date` seen (Odoo's `write_date`
    /// has second precision and is the transaction's start time).
    pub overlap_secs: u64,
    /// Shared secret an Odoo automation rule puts in the nudge URL
    /// (`POST /odoo/nudge?token=…`); empty disables the nudge route.
    pub nudge_token: String,
    /// URL at which Odoo reaches this gateway (for `odoo setup-automation`), e.g.
    /// `http://fusion-billing:8080`.
    pub public_url: String,
}

/// `[customers]`: how a new Lago customer is matched to an existing `res.partner`.
#[derive(Debug, Clone, Deserialize)]
pub struct CustomerSettings {
    /// Comma-separated keys tried in order after this app's own link: `vat` (same Tax ID),
    /// `email` (same email, case-insensitive). Empty: always a new partner.
    /// `FUSION__CUSTOMERS__PARTNER_MATCH`.
    pub partner_match: String,
}

/// A key [`CustomerSettings::partner_match`] may list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartnerMatch {
    /// Same `vat` (Tax ID).
    Vat,
    /// Same `email`, case-insensitive.
    Email,
}

impl CustomerSettings {
    /// The match keys in order.
    ///
    /// # Errors
    /// A [`ConfigError`] naming an unknown key.
    pub fn keys(&self) -> Result<Vec<PartnerMatch>, ConfigError> {
        self.partner_match
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| match k {
                "vat" => Ok(PartnerMatch::Vat),
                "email" => Ok(PartnerMatch::Email),
                other => Err(ConfigError(format!(
                    "customers.partner_match: unknown key {other:?} (expected vat, email)"
                ))),
            })
            .collect()
    }
}

/// `[webhooks]`: outbound delivery (see `crate::webhooks`).
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookSettings {
    /// Comma-separated CIDRs allowed over http (SSRF allowlist).
    pub allowed_networks: String,
    /// Waits between attempts, comma-separated durations (`ms`, `s`, `m`, `h`), e.g.
    /// `"5s,5m,30m,2h,5h,10h,10h"`: attempts = steps + 1.
    pub retry_schedule: String,
    /// Seconds one delivery attempt may take (connect, send, read the answer).
    pub timeout_secs: u64,
    /// Most bytes of a receiver's answer that are read.
    pub max_response_bytes: usize,
    /// Milliseconds between polls of the outbox for due deliveries.
    pub poll_interval_ms: u64,
    /// Most deliveries claimed (and attempted concurrently) per poll.
    pub batch_size: i64,
    /// Seconds a claimed delivery stays invisible to other workers (must exceed
    /// `timeout_secs`).
    pub lease_secs: u64,
    /// Consecutive deliveries that exhaust every attempt before the endpoint is disabled.
    pub disable_after_failed_deliveries: i64,
    /// `iss` claim of JWT signatures (Lago puts its `LAGO_API_URL` there).
    pub jwt_issuer: String,
    /// Run the delivery worker in this process (`serve`).
    pub worker_enabled: bool,
}

/// `[import]`: the legacy NexaCloud importer. Field docs live in `config/default.toml`.
#[derive(Clone, Deserialize)]
#[serde(default)]
pub struct ImportSettings {
    /// libpq URL of the read-only NexaCloud PostgreSQL (`postgresql+asyncpg://` accepted);
    /// `FUSION__IMPORT__NEXACLOUD_DSN`. Never printed (see the `Debug` impl).
    pub nexacloud_dsn: String,
    /// Comma-separated `legacy_plan=lago_plan_code` pairs; a legacy plan not listed keeps its
    /// own code. `FUSION__IMPORT__PLAN_MAP`.
    pub plan_map: String,
    /// Comma-separated legacy subscription statuses imported as shadow subscriptions; any
    /// other status is skipped.
    pub live_statuses: String,
    /// Table and column names of the source (defaults: `fixtures/nexacloud/schema.sql`).
    pub columns: ImportColumns,
}

impl Default for ImportSettings {
    fn default() -> Self {
        ImportSettings {
            nexacloud_dsn: String::new(),
            plan_map: String::new(),
            live_statuses: "active,trialing,past_due".into(),
            columns: ImportColumns::default(),
        }
    }
}

impl std::fmt::Debug for ImportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportSettings")
            .field(
                "nexacloud_dsn",
                &if self.nexacloud_dsn.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("plan_map", &self.plan_map)
            .field("live_statuses", &self.live_statuses)
            .field("columns", &self.columns)
            .finish()
    }
}

impl ImportSettings {
    /// The plan map as (legacy code, Lago plan code) pairs.
    ///
    /// # Errors
    /// A [`ConfigError`] naming a pair without `=`.
    pub fn plan_pairs(&self) -> Result<Vec<(String, String)>, ConfigError> {
        self.plan_map
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
                    Ok((a.trim().to_string(), b.trim().to_string()))
                }
                _ => Err(ConfigError(format!(
                    "import.plan_map: {p:?} is not legacy_plan=lago_plan_code"
                ))),
            })
            .collect()
    }

    /// The statuses of [`ImportSettings::live_statuses`], lower-cased.
    pub fn live_status_list(&self) -> Vec<String> {
        self.live_statuses
            .split(',')
            .map(|s| s.trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// `[import.columns]`: where the importer finds each field in the NexaCloud database.
/// Every value is an SQL identifier (`[A-Za-z_][A-Za-z0-9_]*`, tables may be `schema.table`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ImportColumns {
    /// Users table.
    pub users_table: String,
    /// User primary key (becomes the Lago `external_customer_id`).
    pub user_id: String,
    /// User email (may be NULL).
    pub user_email: String,
    /// User display name.
    pub user_name: String,
    /// User company name (may be NULL; preferred over the name when set).
    pub user_company: String,
    /// User ISO country code (may be NULL).
    pub user_country: String,
    /// Soft-deletion time of a user (NULL = live).
    pub user_deleted_at: String,
    /// Plans table.
    pub plans_table: String,
    /// Plan primary key.
    pub plan_id: String,
    /// Plan code (mapped through `import.plan_map`).
    pub plan_code: String,
    /// Plan price in cents.
    pub plan_price_cents: String,
    /// Subscriptions table.
    pub subscriptions_table: String,
    /// Subscription primary key (becomes the Lago `external_id`).
    pub subscription_id: String,
    /// Owner (users primary key).
    pub subscription_user_id: String,
    /// Plan (plans primary key).
    pub subscription_plan_id: String,
    /// Status text (`active`, `trialing`, `past_due`, `cancelled`, …).
    pub subscription_status: String,
    /// ISO currency code of the subscription.
    pub subscription_currency: String,
    /// Start time.
    pub subscription_started_at: String,
    /// End of the period NexaCloud billed last (the next billing date), may be NULL.
    pub subscription_period_end: String,
    /// Deployments table.
    pub deployments_table: String,
    /// Deployment primary key.
    pub deployment_id: String,
    /// Owner (users primary key).
    pub deployment_user_id: String,
    /// Soft-deletion time of a deployment (NULL = live).
    pub deployment_deleted_at: String,
}

impl Default for ImportColumns {
    fn default() -> Self {
        let s = |v: &str| v.to_string();
        ImportColumns {
            users_table: s("users"),
            user_id: s("id"),
            user_email: s("email"),
            user_name: s("full_name"),
            user_company: s("company_name"),
            user_country: s("country"),
            user_deleted_at: s("deleted_at"),
            plans_table: s("plans"),
            plan_id: s("id"),
            plan_code: s("slug"),
            plan_price_cents: s("price_cents"),
            subscriptions_table: s("subscriptions"),
            subscription_id: s("id"),
            subscription_user_id: s("user_id"),
            subscription_plan_id: s("plan_id"),
            subscription_status: s("status"),
            subscription_currency: s("currency"),
            subscription_started_at: s("started_at"),
            subscription_period_end: s("current_period_end"),
            deployments_table: s("deployments"),
            deployment_id: s("id"),
            deployment_user_id: s("user_id"),
            deployment_deleted_at: s("deleted_at"),
        }
    }
}

/// `[log]`: tracing output.
#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

/// Log line format.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

impl Settings {
    /// Loads defaults, then `file` (if any), then `FUSION__*` variables from the process
    /// environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the key whose value is missing or of the wrong type, or
    /// whose value fails validation (e.g. `server.bind` not an address).
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// As [`Settings::load`], with the environment given explicitly (for tests).
    ///
    /// # Errors
    /// See [`Settings::load`].
    pub fn load_from(
        file: Option<&std::path::Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let env_map: std::collections::HashMap<String, String> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("FUSION__"))
            .collect();
        let mut builder = config::Config::builder().add_source(config::File::from_str(
            DEFAULT_TOML,
            config::FileFormat::Toml,
        ));
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("FUSION")
                .prefix_separator("__")
                .separator("__")
                .source(Some(env_map)),
        );
        let raw = builder.build().map_err(|e| ConfigError(e.to_string()))?;
        let settings: Settings = raw
            .try_deserialize()
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.server.bind.parse::<SocketAddr>().is_err() && !self.server.bind.contains(':') {
            return Err(ConfigError(format!(
                "server.bind: {:?} is not host:port",
                self.server.bind
            )));
        }
        let url = self.store.url.as_str();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError(format!(
                "store.url: {url:?} must start with sqlite:// or postgres://"
            )));
        }
        if self.store.max_connections < 2 {
            return Err(ConfigError(
                "store.max_connections: must be at least 2 (the writer holds one)".into(),
            ));
        }
        if self.ingest.channel_capacity == 0 {
            return Err(ConfigError("ingest.channel_capacity: must be > 0".into()));
        }
        if self.ingest.max_events_per_commit == 0 {
            return Err(ConfigError(
                "ingest.max_events_per_commit: must be > 0".into(),
            ));
        }
        if self.ingest.batch_max_events == 0 {
            return Err(ConfigError("ingest.batch_max_events: must be > 0".into()));
        }
        if self.odoo.is_configured() && url::Url::parse(&self.odoo.url).is_err() {
            return Err(ConfigError(format!(
                "odoo.url: {:?} is not a URL",
                self.odoo.url
            )));
        }
        self.customers.keys()?;
        self.import.plan_pairs()?;
        if self.odoo.max_concurrency == 0 {
            return Err(ConfigError("odoo.max_concurrency: must be > 0".into()));
        }
        if self.rating.interval_secs == 0 {
            return Err(ConfigError("rating.interval_secs: must be > 0".into()));
        }
        if self.watcher.interval_secs == 0 {
            return Err(ConfigError("watcher.interval_secs: must be > 0".into()));
        }
        crate::webhooks::schedule::RetrySchedule::parse(&self.webhooks.retry_schedule)
            .map_err(|e| ConfigError(format!("webhooks.retry_schedule: {e}")))?;
        crate::webhooks::ssrf::AllowedNetworks::parse(&self.webhooks.allowed_networks)
            .map_err(|e| ConfigError(format!("webhooks.allowed_networks: {e}")))?;
        if self.webhooks.timeout_secs == 0 {
            return Err(ConfigError("webhooks.timeout_secs: must be > 0".into()));
        }
        if self.webhooks.lease_secs <= self.webhooks.timeout_secs {
            return Err(ConfigError(
                "webhooks.lease_secs: must be greater than webhooks.timeout_secs".into(),
            ));
        }
        if self.webhooks.batch_size < 1 || self.webhooks.poll_interval_ms == 0 {
            return Err(ConfigError(
                "webhooks.batch_size and webhooks.poll_interval_ms: must be > 0".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_load() {
        let s = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.store.url, "sqlite://data/fusion.db");
        assert!(!s.odoo.is_configured());
    }

    #[test]
    fn env_overrides_nested_keys() {
        let s = Settings::load_from(
            None,
            env(&[
                ("FUSION__SERVER__BIND", "0.0.0.0:9000"),
                ("FUSION__RATING__INTERVAL_SECS", "7"),
                ("FUSION__ODOO__PROTOCOL", "json2"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.bind, "0.0.0.0:9000");
        assert_eq!(s.rating.interval_secs, 7);
        assert_eq!(s.odoo.protocol, OdooProtocol::Json2);
    }

    #[test]
    fn bad_value_names_the_key() {
        let e = Settings::load_from(None, env(&[("FUSION__RATING__INTERVAL_SECS", "soon")]))
            .unwrap_err();
        assert!(e.to_string().contains("interval_secs"), "{e}");
        let e = Settings::load_from(None, env(&[("FUSION__STORE__URL", "mysql://x")])).unwrap_err();
        assert!(e.to_string().contains("store.url"), "{e}");
        let e = Settings::load_from(None, env(&[("FUSION__ODOO__PROTOCOL", "soap")])).unwrap_err();
        assert!(e.to_string().contains("protocol"), "{e}");
    }

    #[test]
    fn webhook_settings_are_checked() {
        let s = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(s.webhooks.retry_schedule, "5s,5m,30m,2h,5h,10h,10h");
        assert_eq!(s.webhooks.timeout_secs, 15);
        let s = Settings::load_from(
            None,
            env(&[(
                "FUSION__WEBHOOKS__ALLOWED_NETWORKS",
                "127.0.0.0/8,10.0.0.0/8",
            )]),
        )
        .unwrap();
        assert_eq!(s.webhooks.allowed_networks, "127.0.0.0/8,10.0.0.0/8");
        for (key, value, named) in [
            (
                "FUSION__WEBHOOKS__RETRY_SCHEDULE",
                "5s,soon",
                "webhooks.retry_schedule",
            ),
            (
                "FUSION__WEBHOOKS__ALLOWED_NETWORKS",
                "10.0.0.0/99",
                "webhooks.allowed_networks",
            ),
            ("FUSION__WEBHOOKS__LEASE_SECS", "10", "webhooks.lease_secs"),
        ] {
            let e = Settings::load_from(None, env(&[(key, value)])).unwrap_err();
            assert!(e.to_string().contains(named), "{e}");
        }
    }

    #[test]
    fn password_is_not_debug_printed() {
        let s = Settings::load_from(None, env(&[("FUSION__ODOO__PASSWORD", "hunter2")])).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
