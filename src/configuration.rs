//! Settings: `config/default.toml` (embedded at build time) overridden by an optional file
//! and by `FUSION__SECTION__KEY` environment variables (the `config` crate).
//!
//! Invalid settings fail at start with an error that names the offending key.
//!
//! This file holds [`Settings`] and its loading; the sections are in `configuration/sections.rs`
//! and `configuration/import.rs`, the checks in `configuration/validate.rs`.

use serde::Deserialize;

mod import;
mod sections;
mod validate;

pub use import::{ImportColumns, ImportSettings};
pub use sections::{
    AuthSettings, CustomerSettings, IdempotencySettings, IngestSettings, LogFormat, LogSettings,
    OdooProtocol, OdooSettings, PartnerMatch, RatingSettings, ServerSettings, SqliteSynchronous,
    StoreSettings, WatcherSettings, WebhookSettings,
};

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
