//! Prometheus metrics served at `GET /metrics` (text exposition format).
//!
//! Names are prefixed `fusion_`. Ingest: `fusion_events_total{outcome=accepted|duplicate|rejected}`
//! (events and pushed counters), `fusion_ingest_commit_items` (histogram of items per
//! commit), `fusion_ingest_commit_seconds` (commit latency), `fusion_ingest_queue_depth`
//! (jobs waiting for the writer).
//! Webhooks: `fusion_webhook_attempts_total{outcome=success|failure}` (HTTP attempts),
//! `fusion_webhook_deliveries_total{outcome=delivered|failed}` (final outcome of each
//! delivery), `fusion_webhook_endpoints_disabled_total{reason=gone|failures}`.

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts, Registry};

use crate::meter::events::ItemOutcome;

/// The registry and every metric the gateway exports. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub ingest: IngestMetrics,
    pub webhooks: WebhookMetrics,
}

/// Metrics of webhook delivery (`crate::webhooks::delivery`).
#[derive(Clone)]
pub struct WebhookMetrics {
    /// HTTP attempts by outcome: `success` (2xx) or `failure` (anything else).
    pub attempts: IntCounterVec,
    /// Deliveries that reached a final state: `delivered` or `failed`.
    pub deliveries: IntCounterVec,
    /// Endpoints disabled, by reason: `gone` (410) or `failures` (sustained failure).
    pub endpoints_disabled: IntCounterVec,
}

impl WebhookMetrics {
    /// Creates the webhook metrics and registers them in `registry`.
    ///
    /// # Panics
    /// If they are already registered there.
    pub fn register(registry: &Registry) -> Self {
        let counter = |name: &str, help: &str, label: &str, values: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), &[label]).expect("metric");
            registry
                .register(Box::new(c.clone()))
                .expect("register metric");
            for v in values {
                c.with_label_values(&[v]);
            }
            c
        };
        WebhookMetrics {
            attempts: counter(
                "fusion_webhook_attempts_total",
                "Webhook HTTP attempts by outcome",
                "outcome",
                &["success", "failure"],
            ),
            deliveries: counter(
                "fusion_webhook_deliveries_total",
                "Webhook deliveries by final outcome",
                "outcome",
                &["delivered", "failed"],
            ),
            endpoints_disabled: counter(
                "fusion_webhook_endpoints_disabled_total",
                "Webhook endpoints disabled, by reason",
                "reason",
                &["gone", "failures"],
            ),
        }
    }
}

/// Metrics of the ingest path.
#[derive(Clone)]
pub struct IngestMetrics {
    /// Items by outcome: `accepted`, `duplicate` (identical replay), `rejected`.
    pub events: IntCounterVec,
    /// Items committed per writer transaction.
    pub commit_items: Histogram,
    /// Seconds per writer transaction.
    pub commit_seconds: Histogram,
    /// Jobs waiting in the channel.
    pub channel_depth: IntGauge,
}

impl IngestMetrics {
    /// Counts the outcomes of one job. A job with a conflict stored nothing: all its
    /// items count as rejected.
    pub fn record<T>(&self, outcomes: &[ItemOutcome<T>], conflict: bool) {
        if conflict {
            self.rejected(outcomes.len() as u64);
            return;
        }
        let mut accepted = 0;
        let mut duplicate = 0;
        for o in outcomes {
            match o {
                ItemOutcome::Inserted(_) => accepted += 1,
                ItemOutcome::Replayed(_) => duplicate += 1,
                ItemOutcome::Conflict => {}
            }
        }
        self.events
            .with_label_values(&["accepted"])
            .inc_by(accepted);
        self.events
            .with_label_values(&["duplicate"])
            .inc_by(duplicate);
    }

    /// Counts items refused by validation or conflict.
    pub fn rejected(&self, n: u64) {
        self.events.with_label_values(&["rejected"]).inc_by(n);
    }
}

impl Metrics {
    /// Creates and registers every metric.
    ///
    /// # Panics
    /// Never in practice: names are static and registered once per registry.
    pub fn new() -> Self {
        let registry = Registry::new();
        let events = IntCounterVec::new(
            Opts::new("fusion_events_total", "Ingested usage items by outcome"),
            &["outcome"],
        )
        .expect("metric");
        let commit_items = Histogram::with_opts(
            HistogramOpts::new("fusion_ingest_commit_items", "Items per writer commit").buckets(
                vec![
                    1.0, 10.0, 100.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0,
                ],
            ),
        )
        .expect("metric");
        let commit_seconds = Histogram::with_opts(
            HistogramOpts::new("fusion_ingest_commit_seconds", "Writer commit latency")
                .buckets(prometheus::exponential_buckets(0.0005, 2.0, 14).expect("buckets")),
        )
        .expect("metric");
        let channel_depth =
            IntGauge::new("fusion_ingest_queue_depth", "Jobs waiting for the writer")
                .expect("metric");
        for c in [
            Box::new(events.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(commit_items.clone()),
            Box::new(commit_seconds.clone()),
            Box::new(channel_depth.clone()),
        ] {
            registry.register(c).expect("register metric");
        }
        for outcome in ["accepted", "duplicate", "rejected"] {
            events.with_label_values(&[outcome]);
        }
        let webhooks = WebhookMetrics::register(&registry);
        Metrics {
            registry,
            webhooks,
            ingest: IngestMetrics {
                events,
                commit_items,
                commit_seconds,
                channel_depth,
            },
        }
    }

    /// The exposition text of every metric.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let enc = prometheus::TextEncoder::new();
        let _ = enc.encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
