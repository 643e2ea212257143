//! `fusion-billing import nexacloud`: imports the hosting app's customers and subscriptions
//! from its own (legacy) PostgreSQL into Odoo as a shadow copy that cannot charge anyone.
//!
//! - [`source`]: the read-only connection (one `READ ONLY` snapshot transaction), DSN rules.
//! - [`schema`]: `--test-connection` (reachability, tables and columns, row counts).
//! - [`plan`]: the pure mapping (user → customer, subscription checks, plan map).
//! - [`run`]: applies or predicts (`--dry-run`) the import record by record.
//! - [`records`]: the stored links legacy id → gateway record.
//! - [`report`]: the summary table and JSON.
//!
//! Users become Lago customers with `external_id` = the user id (partners found by the
//! usual identity rule, so duplicate emails share one `res.partner`); live subscriptions
//! become shadow subscriptions ([`crate::bridge::shadow`]) with `external_id` = the
//! subscription id; deployments are linked to their customer.

pub mod plan;
pub mod records;
pub mod report;
pub mod run;
pub mod schema;
pub mod source;

use crate::bridge::Bridge;
use crate::configuration::Settings;
use crate::meter::tenants::ServiceRef;
use crate::meter::Store;

/// What `import nexacloud` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `--test-connection`: check only.
    TestConnection,
    /// `--dry-run`: compute and report, write nothing.
    DryRun,
    /// The real, idempotent run.
    Run,
}

/// Runs `import nexacloud` and returns the exit code: 0 success, 1 a failed check or at
/// least one failed record, 2 unusable configuration or unreachable systems.
///
/// # Errors
/// Store errors opening the gateway store.
pub async fn nexacloud(
    settings: &Settings,
    service: &str,
    mode: Mode,
    json: bool,
) -> anyhow::Result<i32> {
    let (mapping, src) = match open_source(settings).await {
        Ok(opened) => opened,
        Err(code) => return Ok(code),
    };
    if mode == Mode::TestConnection {
        return test_connection(&src, json).await;
    }
    // A dry run never migrates (that would write the store); the real run does.
    let store = Store::connect(&settings.store).await?;
    if mode == Mode::Run {
        store.migrate().await?;
    }
    let Some(service) = gateway_service(&store, service).await? else {
        eprintln!("error: no service {service:?} in the gateway store: create it with `fusion-billing service add {service}`");
        return Ok(2);
    };
    if mode == Mode::Run && !settings.odoo.is_configured() {
        eprintln!("error: no Odoo configured (FUSION__ODOO__URL, __DATABASE, __LOGIN, __PASSWORD)");
        return Ok(2);
    }
    let snap = match src.snapshot().await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: reading NexaCloud: {e} (run --test-connection)");
            return Ok(1);
        }
    };
    src.close().await;
    let bridge = Bridge::new(settings, store.clone());
    let report = run::run(&bridge, &service, &snap, &mapping, mode == Mode::DryRun).await;
    store.close().await;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(if report.failed() > 0 { 1 } else { 0 })
}

/// The plan mapping and the connection to the NexaCloud database, or the exit code (2)
/// after saying why not.
async fn open_source(settings: &Settings) -> Result<(plan::Mapping, source::Source), i32> {
    let dsn = match source::normalise_dsn(&settings.import.nexacloud_dsn) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(2);
        }
    };
    if let Some(n) = &dsn.notice {
        eprintln!("{n}");
    }
    let mapping = match plan::Mapping::new(&settings.import) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(2);
        }
    };
    match source::Source::connect(&dsn, settings.import.columns.clone()).await {
        Ok(src) => Ok((mapping, src)),
        Err(e) => {
            eprintln!("error: cannot reach the NexaCloud database: {e}");
            Err(2)
        }
    }
}

/// `--test-connection`: prints the check and returns its exit code.
async fn test_connection(src: &source::Source, json: bool) -> anyhow::Result<i32> {
    let report = match schema::test_connection(src).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(1);
        }
    };
    src.close().await;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_connection(&report);
    }
    Ok(if report.is_ok() { 0 } else { 1 })
}

/// The gateway service named `name`, if the store has it.
async fn gateway_service(store: &Store, name: &str) -> anyhow::Result<Option<ServiceRef>> {
    Ok(store
        .services()
        .list_services()
        .await?
        .into_iter()
        .find(|s| s.name == name)
        .map(|svc| ServiceRef {
            id: svc.id,
            name: svc.name,
        }))
}

fn print_connection(r: &schema::ConnectionReport) {
    use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
    println!("connected as {} to {}", r.role, r.server_version);
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_header(vec!["table", "rows", "schema", "role may write"]);
    for tc in &r.tables {
        let schema = if !tc.exists {
            "MISSING TABLE".to_string()
        } else if tc.missing_columns.is_empty() {
            "ok".to_string()
        } else {
            format!("missing columns: {}", tc.missing_columns.join(", "))
        };
        t.add_row(vec![
            tc.table.clone(),
            tc.rows.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            schema,
            if tc.writable {
                "YES (use a read-only role)".into()
            } else {
                "no".to_string()
            },
        ]);
    }
    println!("{t}");
    println!(
        "{}",
        if r.is_ok() {
            "schema ok; nothing imported"
        } else {
            "schema check FAILED; nothing imported"
        }
    );
}
