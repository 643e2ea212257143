//! The command line (clap): `serve`, `migrate`, `service add|list|rotate-key|revoke-key`,
//! `webhooks replay|list|enable`; `odoo check`, `import nexacloud`, `reconcile`.
//! `main.rs` parses it and calls [`run`].
//!
//! This file holds the top-level parser and [`run`]; each command group is in its own file
//! under `cli/` (`serve`, `service`, `webhooks`, `odoo`, `import`, `reconcile`).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::configuration::Settings;
use crate::meter::Store;

mod import;
mod odoo;
mod reconcile;
mod serve;
mod service;
mod webhooks;

pub use import::ImportCommand;
pub use odoo::OdooCommand;
pub use reconcile::ReconcileFormat;
pub use service::ServiceCommand;
pub use webhooks::WebhooksCommand;

/// fusion-billing: a Lago-compatible metering gateway with Odoo 19 as the system of record.
#[derive(Debug, Parser)]
#[command(name = "fusion-billing", version, about)]
pub struct Cli {
    /// Settings file read on top of the built-in defaults (FUSION__SECTION__KEY
    /// variables override both).
    #[arg(long, global = true, env = "FUSION_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway (applies pending migrations first).
    Serve {
        /// Start the built-in Odoo simulator in-process and use it as Odoo.
        #[arg(long)]
        odoo_sim: bool,
    },
    /// Apply pending store migrations and exit.
    Migrate,
    /// Probe `GET /health` of the gateway at server.bind (for a container HEALTHCHECK);
    /// exit code 0 when healthy.
    Healthcheck,
    /// Manage services (apps) and their API keys.
    Service {
        #[command(subcommand)]
        command: ServiceCommand,
    },
    /// Talk to the configured Odoo.
    Odoo {
        #[command(subcommand)]
        command: OdooCommand,
    },
    /// Inspect and replay outgoing webhooks.
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
    },
    /// Import a legacy billing system into Odoo as a shadow copy.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Compare what an app billed in a month with Odoo's invoices (dual-run). Exit code 1
    /// when there are discrepancies.
    Reconcile {
        /// The service (app) to reconcile.
        #[arg(long)]
        service: String,
        /// The month, YYYY-MM.
        #[arg(long)]
        period: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: ReconcileFormat,
        /// Differences up to this many cents count as matched.
        #[arg(long, default_value_t = 0)]
        threshold_cents: i64,
        /// Load the app's amounts from this CSV first (header: external_customer_id,
        /// external_subscription_id, period, amount_cents, currency).
        #[arg(long)]
        csv: Option<PathBuf>,
    },
}

/// Runs a parsed command line. Returns the process exit code.
///
/// # Errors
/// Configuration, store and server errors, with a message for the operator.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { odoo_sim } => serve::serve(settings, odoo_sim).await,
        Command::Migrate => {
            let store = Store::connect(&settings.store).await?;
            store.migrate().await?;
            println!("migrations applied ({})", store.backend());
            Ok(0)
        }
        Command::Service { command } => service::service(settings, command).await,
        Command::Healthcheck => serve::healthcheck(&settings).await,
        Command::Webhooks { command } => webhooks::webhooks(settings, command).await,
        Command::Odoo { command } => odoo::odoo(&settings, command).await,
        Command::Import { command } => import::import(&settings, command).await,
        Command::Reconcile {
            service,
            period,
            format,
            threshold_cents,
            csv,
        } => reconcile::reconcile(settings, &service, &period, format, threshold_cents, csv).await,
    }
}

/// Opens the store and applies pending migrations.
async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(&settings.store).await?;
    store.migrate().await?;
    Ok(store)
}
