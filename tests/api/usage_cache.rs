//! The usage cache gives exactly the full aggregation's result, before and after more events
//! arrive, with out-of-window and non-numeric events and pushed counters mixed in.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use fusion_billing::billing::metric::{AggregationType, MetricSpec};
use fusion_billing::billing::window::BillingWindow;
use fusion_billing::meter::usage_cache::UsageCache;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(cached_totals_equal_full_aggregation);

async fn post_events(app: &TestApp, events: Vec<Value>) {
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/events/batch",
            Some(json!({"events": events})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

fn ev(id: &str, ts: i64, props: Value) -> Value {
    json!({"transaction_id": id, "external_subscription_id": "s", "code": "m", "timestamp": ts, "properties": props})
}

async fn cached_totals_equal_full_aggregation(backend: Backend) {
    let app = TestApp::spawn_with_odoo(backend).await;
    app.subscribe("s", "m", "v").await;
    let window = BillingWindow::new(
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
    )
    .unwrap();
    let inside = 1_793_577_600; // 2026-11-02
    let before = 1_790_000_000; // 2026-09
    let specs: Vec<MetricSpec> = [
        AggregationType::Count,
        AggregationType::Sum,
        AggregationType::Max,
    ]
    .into_iter()
    .map(|aggregation| MetricSpec {
        aggregation,
        field_name: Some("v".into()),
        recurring: false,
    })
    .collect();
    let warm = UsageCache::new(1000, Duration::ZERO);
    // A horizon so long that nothing is folded: every read is the fresh tail.
    let cold = UsageCache::new(1000, Duration::from_secs(3600));
    let check = |label: &'static str| {
        let (app, specs, window, warm, cold) = (&app, &specs, &window, &warm, &cold);
        async move {
            for spec in specs {
                let full = app
                    .store
                    .usage()
                    .aggregate_usage(app.service_id, "s", "m", spec, window)
                    .await
                    .unwrap();
                for cache in [warm, cold] {
                    let cached = app
                        .store
                        .usage()
                        .aggregate_usage_cached(cache, app.service_id, "s", "m", spec, window)
                        .await
                        .unwrap();
                    assert_eq!(cached, full, "{label} {:?}", spec.aggregation);
                }
            }
        }
    };
    post_events(
        &app,
        vec![
            ev("a", inside, json!({"v": 5})),
            ev("b", inside + 10, json!({"v": "2.5"})),
            ev("c", before, json!({"v": 100})),
            ev("d", inside + 20, json!({"v": "n/a"})),
            ev("e", inside + 30, json!({})),
        ],
    )
    .await;
    check("first read").await;
    post_events(
        &app,
        vec![
            ev("f", inside + 40, json!({"v": -3})),
            ev("g", inside + 50, json!({"v": 7.25})),
        ],
    )
    .await;
    check("after more events").await;
    let (s, b) = app
        .call(
            "POST",
            "/api/v1/usage",
            Some(
                json!({"usage": [{"external_subscription_id": "s", "code": "m",
            "period_start": "2026-11-03T00:00:00Z", "period_end": "2026-11-04T00:00:00Z",
            "quantity": "40", "idempotency_key": "k"}]}),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    check("with a pushed counter").await;
    let sum = app
        .store
        .usage()
        .aggregate_usage_cached(&warm, app.service_id, "s", "m", &specs[1], &window)
        .await
        .unwrap();
    // 5 + 2.5 - 3 + 7.25 + 40 (counter); the September event and the non-numeric ones are out.
    assert_eq!(sum.units.to_string(), "51.75");
    assert_eq!(sum.events_count, 4);
}
