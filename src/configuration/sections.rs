//! The settings sections other than `[import]`: `[server]`, `[store]`, `[ingest]`, `[auth]`,
//! `[odoo]`, `[rating]`, `[watcher]`, `[customers]`, `[webhooks]`, `[log]`, `[idempotency]`.

use serde::Deserialize;

use super::ConfigError;

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
