//! The command line (clap): `serve`, `migrate`, `service add|list|rotate-key|revoke-key`,
//! `odoo check`, `import nexacloud`, `reconcile`.
//! `main.rs` parses it and calls [`run`].

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::configuration::Settings;
use crate::meter::Store;
use crate::startup::Application;

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

/// Output formats of `reconcile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReconcileFormat {
    /// A table with a summary.
    Table,
    /// One CSV line per discrepancy.
    Csv,
    /// The whole result as JSON.
    Json,
}

/// `import …` commands.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import NexaCloud's users, subscriptions and deployments (import.nexacloud_dsn) as
    /// customers and draft shadow subscriptions. Exit code 1 when a record failed.
    Nexacloud {
        /// The service (app) the customers belong to, e.g. hosting.
        #[arg(long)]
        service: String,
        /// Check reachability, tables, columns and row counts; import nothing.
        #[arg(long, conflicts_with = "dry_run")]
        test_connection: bool,
        /// Compute and report everything; write nothing (neither Odoo nor the store).
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// `odoo …` commands.
#[derive(Debug, Subcommand)]
pub enum OdooCommand {
    /// Connect, authenticate, and verify that Odoo has what the gateway needs
    /// (modules, models and fields, CAD, a 13 % sale tax). Exit code 1 when not.
    Check,
}

/// `service …` commands.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Create a service; prints its API key and webhook signing secret once.
    Add {
        /// Unique name of the app (letters, digits, '-', '_', '.').
        name: String,
        /// Print exactly {"api_key": "...", "webhook_secret": "..."}.
        #[arg(long)]
        json: bool,
    },
    /// List services and how many keys of each work now.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Issue a new API key; older keys keep working for auth.rotation_grace_secs.
    RotateKey {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke keys at once: all of the service's, or the one starting with --key-prefix.
    RevokeKey {
        name: String,
        /// The first characters of the key to revoke (as shown when it was issued).
        #[arg(long)]
        key_prefix: Option<String>,
    },
}

/// Runs a parsed command line. Returns the process exit code.
///
/// # Errors
/// Configuration, store and server errors, with a message for the operator.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { odoo_sim } => serve(settings, odoo_sim).await,
        Command::Migrate => {
            let store = Store::connect(&settings.store).await?;
            store.migrate().await?;
            println!("migrations applied ({})", store.backend());
            Ok(0)
        }
        Command::Service { command } => service(settings, command).await,
        Command::Healthcheck => healthcheck(&settings).await,
        Command::Odoo {
            command: OdooCommand::Check,
        } => {
            if !settings.odoo.is_configured() {
                eprintln!(
                    "no Odoo configured: set odoo.url, odoo.database, odoo.login and odoo.password \
                     (FUSION__ODOO__URL, FUSION__ODOO__DATABASE, FUSION__ODOO__LOGIN, FUSION__ODOO__PASSWORD)"
                );
                return Ok(2);
            }
            let report = crate::odoo::check::check(&settings.odoo).await;
            println!("{report}");
            Ok(if report.is_ok() { 0 } else { 1 })
        }
        Command::Import {
            command:
                ImportCommand::Nexacloud {
                    service,
                    test_connection,
                    dry_run,
                    json,
                },
        } => {
            let mode = if test_connection {
                crate::import::Mode::TestConnection
            } else if dry_run {
                crate::import::Mode::DryRun
            } else {
                crate::import::Mode::Run
            };
            crate::import::nexacloud(&settings, &service, mode, json).await
        }
        Command::Reconcile {
            service,
            period,
            format,
            threshold_cents,
            csv,
        } => reconcile(settings, &service, &period, format, threshold_cents, csv).await,
    }
}

async fn reconcile(
    settings: Settings,
    service: &str,
    period: &str,
    format: ReconcileFormat,
    threshold_cents: i64,
    csv: Option<PathBuf>,
) -> anyhow::Result<i32> {
    use crate::reconcile;
    if reconcile::period_bounds(period).is_none() {
        eprintln!("error: --period {period:?} is not YYYY-MM");
        return Ok(2);
    }
    let store = open_store(&settings).await?;
    let Some(svc) = store
        .list_services()
        .await?
        .into_iter()
        .find(|s| s.name == service)
    else {
        eprintln!("error: no service {service:?}");
        return Ok(2);
    };
    let service = crate::meter::services::ServiceRef {
        id: svc.id,
        name: svc.name,
    };
    if let Some(path) = csv {
        let data = std::fs::read(&path)?;
        let rows = match reconcile::read_csv(&data, period) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return Ok(2);
            }
        };
        reconcile::store::upsert_reports(
            &store,
            service.id,
            &rows,
            "csv",
            crate::meter::time::now_micros(),
        )
        .await?;
    }
    let accounts = crate::accounts::Accounts::new(&settings, store.clone());
    let r = match reconcile::run_and_store(&accounts, &service, period, threshold_cents).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(2);
        }
    };
    match format {
        ReconcileFormat::Table => print!("{}", reconcile::to_table(&r)),
        ReconcileFormat::Csv => print!("{}", reconcile::to_csv(&r)),
        ReconcileFormat::Json => println!("{}", serde_json::to_string_pretty(&r)?),
    }
    store.close().await;
    Ok(if r.discrepancies.is_empty() { 0 } else { 1 })
}

async fn serve(mut settings: Settings, odoo_sim: bool) -> anyhow::Result<i32> {
    crate::telemetry::init(&settings.log);
    // Kept alive for the life of the gateway.
    let _simulator = if odoo_sim {
        if settings.odoo.is_configured() {
            anyhow::bail!("--odoo-sim and odoo.url are both set: use one or the other");
        }
        let sim = crate::odoo_sim::spawn(crate::odoo_sim::SimOptions {
            seed_demo: true,
            ..Default::default()
        })
        .await?;
        settings.odoo.url = sim.base_url();
        settings.odoo.database = "odoo".into();
        settings.odoo.login = "admin".into();
        settings.odoo.password = "admin".into();
        tracing::warn!(
            odoo_url = %settings.odoo.url,
            "USING THE BUILT-IN ODOO SIMULATOR: in-memory, demo data, forgotten on exit; \
             nothing here reaches a real Odoo"
        );
        Some(sim)
    } else {
        if !settings.odoo.is_configured() {
            tracing::warn!(
                "no Odoo configured (odoo.url): usage is metered and stored, but nothing reaches \
                 Odoo; set FUSION__ODOO__URL, __DATABASE, __LOGIN, __PASSWORD or pass --odoo-sim"
            );
        }
        None
    };
    let app = Application::build(settings.clone()).await?;
    tracing::info!(
        port = app.port(),
        bind = %settings.server.bind,
        store = if settings.store.url.starts_with("sqlite:") { "sqlite" } else { "postgres" },
        "fusion-billing listening"
    );
    eprintln!(
        "fusion-billing listening on http://127.0.0.1:{port}; create an app key with: \
         fusion-billing service add NAME --json",
        port = app.port()
    );
    app.run_until_stopped().await?;
    Ok(0)
}

async fn healthcheck(settings: &Settings) -> anyhow::Result<i32> {
    let bind = settings
        .server
        .bind
        .replace("0.0.0.0", "127.0.0.1")
        .replace("[::]", "[::1]");
    let resp = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?
        .get(format!("http://{bind}/health"))
        .send()
        .await;
    match resp {
        Ok(r) if r.status().is_success() => Ok(0),
        Ok(r) => {
            eprintln!("unhealthy: HTTP {}", r.status());
            Ok(1)
        }
        Err(e) => {
            eprintln!("unhealthy: {e}");
            Ok(1)
        }
    }
}

async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(&settings.store).await?;
    store.migrate().await?;
    Ok(store)
}

async fn service(settings: Settings, command: ServiceCommand) -> anyhow::Result<i32> {
    let store = open_store(&settings).await?;
    match command {
        ServiceCommand::Add { name, json } => {
            let creds = store.add_service(&name).await?;
            if json {
                println!("{}", serde_json::to_string(&creds)?);
            } else {
                println!("service {name} created");
                println!("api_key:        {}", creds.api_key);
                println!("webhook_secret: {}", creds.webhook_secret);
                println!("Store both now: they are not shown again.");
            }
        }
        ServiceCommand::List { json } => {
            let list = store.list_services().await?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                println!("{:<32} {:>11}  created", "name", "active keys");
                for s in list {
                    println!(
                        "{:<32} {:>11}  {}",
                        s.name,
                        s.active_keys,
                        crate::api::timefmt::iso_seconds(s.created_at)
                    );
                }
            }
        }
        ServiceCommand::RotateKey { name, json } => {
            let creds = store
                .rotate_key(&name, settings.auth.rotation_grace_secs)
                .await?;
            if json {
                println!("{}", serde_json::json!({"api_key": creds.api_key}));
            } else {
                println!("new api_key: {}", creds.api_key);
                println!(
                    "older keys of {name} keep working for {} s",
                    settings.auth.rotation_grace_secs
                );
            }
        }
        ServiceCommand::RevokeKey { name, key_prefix } => {
            let n = store.revoke_keys(&name, key_prefix.as_deref()).await?;
            println!("revoked {n} key(s) of {name}");
            if n == 0 {
                return Ok(1);
            }
        }
    }
    store.close().await;
    Ok(0)
}
