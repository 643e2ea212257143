//! Property tests: input order never matters and duplicates never change a result.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::*;

fn origin() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 3, 1, 0, 0, 0).unwrap()
}

/// `[origin, origin + 1000 s)`; generated instants range over `[-100, 1100)` s so some
/// fall outside and some land exactly on the bounds.
fn window() -> BillingWindow {
    BillingWindow::new(origin(), origin() + Duration::seconds(1000)).unwrap()
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-50_i64..50).prop_map(|v| json!(v)),
        (-5000_i64..5000).prop_map(|v| json!(Decimal::new(v, 2).to_string())),
        Just(json!("not a number")),
        Just(Value::Null),
        prop::sample::select(vec!["a", "b", "c"]).prop_map(|s| json!(s)),
    ]
}

fn events() -> impl Strategy<Value = Vec<UsageEvent>> {
    prop::collection::vec((-100_i64..1100, value()), 0..25).prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, (offset, v))| {
                let mut properties = serde_json::Map::new();
                if !v.is_null() {
                    properties.insert("v".into(), v);
                }
                UsageEvent {
                    transaction_id: format!("tx-{i}"),
                    timestamp: origin() + Duration::seconds(offset),
                    properties,
                }
            })
            .collect()
    })
}

fn counters() -> impl Strategy<Value = Vec<UsageCounter>> {
    prop::collection::vec((-100_i64..1100, 1_i64..500, 0_i64..1000), 0..6).prop_map(|raw| {
        raw.into_iter()
            .enumerate()
            .map(|(i, (start, len, q))| UsageCounter {
                idempotency_key: format!("k-{i}"),
                period_start: origin() + Duration::seconds(start),
                period_end: origin() + Duration::seconds(start + len),
                quantity: Decimal::new(q, 1),
            })
            .collect()
    })
}

fn spec() -> impl Strategy<Value = MetricSpec> {
    (
        prop::sample::select(AggregationType::ALL.to_vec()),
        any::<bool>(),
    )
        .prop_map(|(aggregation, recurring)| MetricSpec {
            aggregation,
            field_name: Some("v".into()),
            recurring,
        })
}

proptest! {
    #[test]
    fn order_does_not_matter(
        spec in spec(),
        (events, shuffled_events) in events().prop_flat_map(|e| (Just(e.clone()), Just(e).prop_shuffle())),
        (counters, shuffled_counters) in counters().prop_flat_map(|c| (Just(c.clone()), Just(c).prop_shuffle())),
    ) {
        let w = window();
        prop_assert_eq!(
            aggregate(&spec, &w, &events, &counters),
            aggregate(&spec, &w, &shuffled_events, &shuffled_counters)
        );
        prop_assert_eq!(event_values(&spec, &w, &events), event_values(&spec, &w, &shuffled_events));
    }

    #[test]
    fn duplicates_never_change_a_result(
        spec in spec(),
        events in events(),
        counters in counters(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let w = window();
        let mut dup_events = events.clone();
        let mut dup_counters = counters.clone();
        for (n, pick) in picks.iter().enumerate() {
            if n % 2 == 0 && !events.is_empty() {
                dup_events.insert(pick.index(dup_events.len() + 1), events[pick.index(events.len())].clone());
            } else if !counters.is_empty() {
                dup_counters.insert(pick.index(dup_counters.len() + 1), counters[pick.index(counters.len())].clone());
            }
        }
        prop_assert_eq!(
            aggregate(&spec, &w, &events, &counters),
            aggregate(&spec, &w, &dup_events, &dup_counters)
        );
        prop_assert_eq!(event_values(&spec, &w, &events), event_values(&spec, &w, &dup_events));
    }

    #[test]
    fn count_is_never_below_events_count(events in events(), counters in counters()) {
        let s = MetricSpec { aggregation: AggregationType::Count, field_name: None, recurring: false };
        let a = aggregate(&s, &window(), &events, &counters).expect("in range");
        prop_assert!(a.units >= Decimal::from(a.events_count));
    }
}
