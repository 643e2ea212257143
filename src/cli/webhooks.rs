//! `webhooks replay|list|enable`: re-queue deliveries, show a service's endpoints and its
//! latest deliveries, re-enable a disabled endpoint.

use clap::Subcommand;

use super::open_store;
use crate::configuration::Settings;
use crate::lago::time::iso_seconds;
use crate::meter::Store;
use crate::webhooks::replay::{self, ReplaySelection};
use crate::webhooks::repo::{DeliveryRow, EndpointRow};

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

/// Runs a `webhooks …` command on the store of `settings`. Returns the process exit code.
pub(super) async fn webhooks(settings: Settings, command: WebhooksCommand) -> anyhow::Result<i32> {
    let store = open_store(&settings).await?;
    let code = match command {
        WebhooksCommand::Replay {
            service,
            id,
            since,
            include_delivered,
            json,
        } => replay_deliveries(&store, &service, id, since, include_delivered, json).await?,
        WebhooksCommand::List {
            service,
            limit,
            json,
        } => list(&store, &service, limit, json).await?,
        WebhooksCommand::Enable { service, endpoint } => {
            enable(&store, &service, &endpoint).await?
        }
    };
    store.close().await;
    Ok(code)
}

/// `webhooks replay`: re-queues one delivery (`id`) or the failed ones since an RFC 3339
/// time, and says how many target a disabled or deleted endpoint.
async fn replay_deliveries(
    store: &Store,
    service: &str,
    id: Option<String>,
    since: Option<String>,
    include_delivered: bool,
    json: bool,
) -> anyhow::Result<i32> {
    let selection = match (id, since) {
        (Some(id), _) => ReplaySelection::Id(id),
        (None, Some(since)) => {
            let t = chrono::DateTime::parse_from_rfc3339(&since)
                .map_err(|e| anyhow::anyhow!("--since {since:?} is not an RFC 3339 time: {e}"))?;
            ReplaySelection::Since {
                since: crate::meter::time::to_micros(t.with_timezone(&chrono::Utc)),
                include_delivered,
            }
        }
        (None, None) => anyhow::bail!("give --id or --since"),
    };
    let report = replay::replay(store, service, &selection).await?;
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
    Ok(0)
}

/// `webhooks list`: the service's endpoints with their state and its `limit` latest
/// deliveries, as JSON or text.
async fn list(store: &Store, service: &str, limit: i64, json: bool) -> anyhow::Result<i32> {
    let endpoints = replay::endpoints(store, service).await?;
    let sid = store
        .webhook_keys()
        .service_id_by_name(service)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no service named {service:?}"))?;
    let deliveries = store
        .webhook_deliveries()
        .recent_webhook_deliveries(sid, limit)
        .await?;
    if json {
        print_list_json(&endpoints, &deliveries);
    } else {
        print_list_text(service, &endpoints, &deliveries);
    }
    Ok(0)
}

/// `webhooks list --json`: `{"endpoints": […], "deliveries": […]}` on one line.
fn print_list_json(endpoints: &[EndpointRow], deliveries: &[DeliveryRow]) {
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
}

/// `webhooks list`: one line per endpoint, then one per delivery.
fn print_list_text(service: &str, endpoints: &[EndpointRow], deliveries: &[DeliveryRow]) {
    println!("endpoints of {service}:");
    for e in endpoints {
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
    for d in deliveries {
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

/// `webhooks enable`: 0 when the endpoint was disabled and is now enabled, 1 otherwise.
async fn enable(store: &Store, service: &str, endpoint: &str) -> anyhow::Result<i32> {
    Ok(if replay::enable(store, service, endpoint).await? {
        println!("endpoint {endpoint} of {service} enabled; failed deliveries were not re-sent (see `webhooks replay`)");
        0
    } else {
        println!("endpoint {endpoint} of {service} was not disabled (or does not exist): nothing changed");
        1
    })
}
