//! `reconcile`: what an app billed in a month against Odoo's invoices (dual-run).

use std::path::PathBuf;

use super::open_store;
use crate::configuration::Settings;

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

/// Runs `reconcile`. Returns the process exit code: 0 matched, 1 discrepancies, 2 bad input.
pub(super) async fn reconcile(
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
        .services()
        .list_services()
        .await?
        .into_iter()
        .find(|s| s.name == service)
    else {
        eprintln!("error: no service {service:?}");
        return Ok(2);
    };
    let service = crate::meter::tenants::ServiceRef {
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
    let bridge = crate::bridge::Bridge::new(&settings, store.clone());
    let r = match reconcile::run_and_store(&bridge, &service, period, threshold_cents).await {
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
