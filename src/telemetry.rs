//! Logging: `tracing` with JSON lines (or pretty) on stdout, filtered by `log.level`
//! (or `RUST_LOG` when set). Request logs come from `tracing-actix-web` with a request id;
//! they carry method, path and status, never headers or bodies, so keys and secrets are
//! not logged.

use tracing_subscriber::{fmt, EnvFilter};

use crate::configuration::{LogFormat, LogSettings};

/// Installs the global subscriber once; later calls are ignored (tests call it often).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.level.clone()));
    let result = match settings.format {
        LogFormat::Json => fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(std::io::stdout)
            .try_init(),
        LogFormat::Pretty => fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stdout)
            .try_init(),
    };
    let _ = result;
}
