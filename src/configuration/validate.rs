//! The checks a loaded [`Settings`] must pass, each naming the offending key.

use std::net::SocketAddr;

use super::{ConfigError, Settings};

impl Settings {
    /// Checks values the types do not: addresses, URLs, non-zero counts, parsable schedules.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first offending key.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
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
