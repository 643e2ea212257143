//! The command line (clap): `serve`, `migrate`, `service add|list|rotate-key|revoke-key`,
//! `webhooks replay|list|enable`; `odoo check`, `import nexacloud`, `reconcile`.
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

/// `webhooks …` commands.
#[derive(Debug, Subcommand)]
pub enum WebhooksCommand {
    /// Re-queue deliveries for an attempt now, keeping their ids. Enables nothing:
    /// deliveries to a disabled endpoint are counted and will fail until it is enabled.
    Replay {
        /// Name of the service (app).
        #[arg(long)]
        service: String,
        /// One delivery (the X-Lago-Unique-Key / webhook-id), delivered or failed.
        #[arg(long, conflicts_with = "since", required_unless_present = "since")]
        id: Option<String>,
        /// Every failed delivery created at or after this RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// With --since: replay delivered ones too.
        #[arg(long, requires = "since")]
        include_delivered: bool,
        #[arg(long)]
        json: bool,
    },
    /// List a service's endpoints (with their state) and its latest deliveries.
    List {
        #[arg(long)]
        service: String,
        /// How many of the latest deliveries to show.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Re-enable an endpoint disabled after 410 Gone or sustained failure. Deliveries
    /// that failed meanwhile are not re-sent: use `webhooks replay --since`.
    Enable {
        #[arg(long)]
        service: String,
        /// The endpoint's lago_id.
        #[arg(long)]
        endpoint: String,
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
    /// Create (or update) the Odoo automation rules that nudge the gateway when a customer
    /// invoice or a subscription changes: POST {watcher.public_url}/odoo/nudge?token=….
    /// Needs watcher.public_url and watcher.nudge_token, and Settings rights in Odoo.
    SetupAutomation,
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
        Command::Webhooks { command } => webhooks(settings, command).await,
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
        Command::Odoo {
            command: OdooCommand::SetupAutomation,
        } => {
            let w = &settings.watcher;
            if !settings.odoo.is_configured() || w.public_url.is_empty() || w.nudge_token.is_empty()
            {
                eprintln!(
                    "odoo setup-automation needs the Odoo settings (FUSION__ODOO__URL, …), \
                     watcher.public_url (FUSION__WATCHER__PUBLIC_URL, how Odoo reaches this gateway) \
                     and watcher.nudge_token (FUSION__WATCHER__NUDGE_TOKEN, a long random secret)"
                );
                return Ok(2);
            }
            let url = format!(
                "{}/odoo/nudge?token={}",
                w.public_url.trim_end_matches('/'),
                w.nudge_token
            );
            let client = match crate::odoo::OdooClient::connect(&settings.odoo).await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("cannot connect to Odoo: {e}");
                    return Ok(1);
                }
            };
            match crate::odoo::automation::setup(&client, &url).await {
                Ok(report) => {
                    for line in report {
                        println!("{line}");
                    }
                    println!(
                        "Odoo now nudges {}/odoo/nudge (token not shown)",
                        w.public_url.trim_end_matches('/')
                    );
                    Ok(0)
                }
                Err(e) => {
                    eprintln!("setting up the automation rules failed: {e}");
                    Ok(1)
                }
            }
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
            eprintln!(
                "fusion-billing serve: no Odoo configured, refusing to start.\n\
                 Set the Odoo to bill through:\n  \
                 FUSION__ODOO__URL=https://odoo.example.com\n  \
                 FUSION__ODOO__DATABASE=<database>\n  \
                 FUSION__ODOO__LOGIN=<user login>\n  \
                 FUSION__ODOO__PASSWORD=<API key of that user>\n\
                 (or the [odoo] section of a --config file), check them with \
                 `fusion-billing odoo check`,\n\
                 or try the gateway against the built-in simulator: fusion-billing serve --odoo-sim"
            );
            return Ok(2);
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
        "fusion-billing listening on http://127.0.0.1:{port}\n\
         create an app key (works at once, no restart) with:\n  \
         fusion-billing service add my-app --json\n  \
         (from a source checkout: cargo run --release -- service add my-app --json)\n\
         then point a Lago client at http://127.0.0.1:{port} with that key",
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
                        crate::lago::time::iso_seconds(s.created_at)
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

async fn webhooks(settings: Settings, command: WebhooksCommand) -> anyhow::Result<i32> {
    use crate::lago::time::iso_seconds;
    use crate::webhooks::replay::{self, ReplaySelection};

    let store = open_store(&settings).await?;
    let code = match command {
        WebhooksCommand::Replay {
            service,
            id,
            since,
            include_delivered,
            json,
        } => {
            let selection = match (id, since) {
                (Some(id), _) => ReplaySelection::Id(id),
                (None, Some(since)) => {
                    let t = chrono::DateTime::parse_from_rfc3339(&since).map_err(|e| {
                        anyhow::anyhow!("--since {since:?} is not an RFC 3339 time: {e}")
                    })?;
                    ReplaySelection::Since {
                        since: crate::meter::time::to_micros(t.with_timezone(&chrono::Utc)),
                        include_delivered,
                    }
                }
                (None, None) => anyhow::bail!("give --id or --since"),
            };
            let report = replay::replay(&store, &service, &selection).await?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "re-queued {} delivery(ies) of {service} for an attempt now",
                    report.requeued
                );
                if report.to_disabled_endpoints > 0 {
                    println!(
                        "{} of them target a disabled endpoint and will fail again: nothing was \
                         re-enabled (use `fusion-billing webhooks enable`, then replay)",
                        report.to_disabled_endpoints
                    );
                }
                if report.to_deleted_endpoints > 0 {
                    println!(
                        "{} of them target a deleted endpoint and will fail again",
                        report.to_deleted_endpoints
                    );
                }
            }
            0
        }
        WebhooksCommand::List {
            service,
            limit,
            json,
        } => {
            let endpoints = replay::endpoints(&store, &service).await?;
            let sid = store
                .service_id_by_name(&service)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no service named {service:?}"))?;
            let deliveries = store.recent_webhook_deliveries(sid, limit).await?;
            if json {
                let eps: Vec<_> = endpoints
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "lago_id": e.id, "webhook_url": e.webhook_url,
                            "signature_algo": e.signature_algo,
                            "disabled_at": e.disabled_at.map(iso_seconds),
                            "disabled_reason": e.disabled_reason,
                            "failed_deliveries": e.failed_deliveries,
                        })
                    })
                    .collect();
                let ds: Vec<_> = deliveries
                    .iter()
                    .map(|d| {
                        serde_json::json!({
                            "id": d.id, "endpoint_id": d.endpoint_id,
                            "webhook_type": d.webhook_type, "status": d.status,
                            "attempts": d.attempts, "last_status_code": d.last_status_code,
                            "last_error": d.last_error, "created_at": iso_seconds(d.created_at),
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({"endpoints": eps, "deliveries": ds})
                );
            } else {
                println!("endpoints of {service}:");
                for e in &endpoints {
                    let state = match (&e.disabled_at, &e.disabled_reason) {
                        (Some(at), reason) => format!(
                            "DISABLED since {} ({})",
                            iso_seconds(*at),
                            reason.as_deref().unwrap_or("")
                        ),
                        (None, _) => "enabled".to_string(),
                    };
                    println!(
                        "  {}  {}  {}  {}",
                        e.id, e.signature_algo, e.webhook_url, state
                    );
                }
                println!("latest deliveries:");
                for d in &deliveries {
                    println!(
                        "  {}  {}  {:<9}  attempts {}  {}  {}",
                        iso_seconds(d.created_at),
                        d.id,
                        d.status,
                        d.attempts,
                        d.webhook_type,
                        d.last_error.as_deref().unwrap_or("")
                    );
                }
            }
            0
        }
        WebhooksCommand::Enable { service, endpoint } => {
            if replay::enable(&store, &service, &endpoint).await? {
                println!("endpoint {endpoint} of {service} enabled; failed deliveries were not re-sent (see `webhooks replay`)");
                0
            } else {
                println!("endpoint {endpoint} of {service} was not disabled (or does not exist): nothing changed");
                1
            }
        }
    };
    store.close().await;
    Ok(code)
}
