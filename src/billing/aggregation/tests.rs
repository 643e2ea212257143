//! Hand-computed examples for every aggregation type.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

use super::*;

/// Window used by most tests: 2024-01-01T00:00Z .. 2024-01-31T00:00Z (30 days).
fn window() -> BillingWindow {
    BillingWindow::new(day(1), day(31)).unwrap()
}

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, d, 0, 0, 0).unwrap()
}

fn ev(id: &str, ts: DateTime<Utc>, value: Value) -> UsageEvent {
    let mut properties = serde_json::Map::new();
    if !value.is_null() {
        properties.insert("v".into(), value);
    }
    UsageEvent {
        transaction_id: id.into(),
        timestamp: ts,
        properties,
    }
}

fn ctr(key: &str, start: DateTime<Utc>, end: DateTime<Utc>, q: Decimal) -> UsageCounter {
    UsageCounter {
        idempotency_key: key.into(),
        period_start: start,
        period_end: end,
        quantity: q,
    }
}

fn spec(aggregation: AggregationType) -> MetricSpec {
    MetricSpec {
        aggregation,
        field_name: (aggregation != AggregationType::Count).then(|| "v".to_owned()),
        recurring: false,
    }
}

fn agg(t: AggregationType, events: &[UsageEvent], counters: &[UsageCounter]) -> (Decimal, u64) {
    let a = aggregate(&spec(t), &window(), events, counters).expect("in range");
    (a.units, a.events_count)
}

/// An event at `from` (in), one just before `from` (out), one just before `to` (in), one at
/// `to` (out).
fn boundary_events() -> Vec<UsageEvent> {
    let ns = chrono::Duration::nanoseconds(1);
    vec![
        ev("at_from", day(1), json!(1)),
        ev("before_from", day(1) - ns, json!(100)),
        ev("before_to", day(31) - ns, json!(10)),
        ev("at_to", day(31), json!(1000)),
    ]
}

#[test]
fn empty_input_is_zero_for_every_type() {
    for t in AggregationType::ALL {
        assert_eq!(agg(t, &[], &[]), (Decimal::ZERO, 0), "{t}");
    }
}

#[test]
fn out_of_window_inputs_are_ignored_for_every_type() {
    let events = [
        ev("a", day(1) - chrono::Duration::days(1), json!(5)),
        ev("b", day(31), json!(5)),
    ];
    let counters = [ctr(
        "c",
        day(31),
        day(31) + chrono::Duration::days(30),
        dec!(7),
    )];
    for t in AggregationType::ALL {
        assert_eq!(agg(t, &events, &counters), (Decimal::ZERO, 0), "{t}");
    }
}

#[test]
fn boundaries_from_in_to_out() {
    let events = boundary_events();
    assert_eq!(agg(AggregationType::Count, &events, &[]), (dec!(2), 2));
    assert_eq!(agg(AggregationType::Sum, &events, &[]), (dec!(11), 2));
    assert_eq!(agg(AggregationType::Max, &events, &[]), (dec!(10), 2));
    assert_eq!(agg(AggregationType::Latest, &events, &[]), (dec!(10), 2));
    assert_eq!(
        agg(AggregationType::UniqueCount, &events, &[]),
        (dec!(2), 2)
    );
}

#[test]
fn counters_are_anchored_on_period_start() {
    // Starts in the window, ends after it: counted. Starts before, ends inside: not counted.
    let counters = [
        ctr("in", day(30), day(31) + chrono::Duration::days(5), dec!(4)),
        ctr("out", day(1) - chrono::Duration::days(5), day(2), dec!(9)),
        ctr("at_from", day(1), day(2), dec!(1)),
    ];
    assert_eq!(agg(AggregationType::Sum, &[], &counters), (dec!(5), 0));
}

#[test]
fn count_adds_counter_quantities_to_the_event_count() {
    let events = [
        ev("a", day(2), Value::Null),
        ev("b", day(3), json!("anything")),
        ev("b", day(3), json!("anything")),
    ];
    let counters = [ctr("c", day(5), day(6), dec!(40))];
    assert_eq!(
        agg(AggregationType::Count, &events, &counters),
        (dec!(42), 2)
    );
}

#[test]
fn sum_reads_numbers_and_numeric_strings_and_skips_the_rest() {
    let events = [
        ev("a", day(2), json!(1.5)),
        ev("b", day(3), json!("2.25")),
        ev("c", day(4), json!("-0.75")),
        ev("d", day(5), json!("abc")),
        ev("e", day(6), Value::Null),
        ev("f", day(7), json!(true)),
        ev("g", day(8), json!({"x": 1})),
        ev("h", day(9), json!("1e2")),
    ];
    let counters = [ctr("c1", day(2), day(3), dec!(10))];
    assert_eq!(
        agg(AggregationType::Sum, &events, &counters),
        (dec!(113), 4)
    );
}

#[test]
fn max_takes_events_and_counters() {
    let events = [ev("a", day(2), json!(3)), ev("b", day(3), json!("7.5"))];
    assert_eq!(agg(AggregationType::Max, &events, &[]), (dec!(7.5), 2));
    let counters = [ctr("c", day(4), day(5), dec!(8))];
    assert_eq!(agg(AggregationType::Max, &events, &counters), (dec!(8), 2));
    let negatives = [ev("a", day(2), json!(-3)), ev("b", day(3), json!(-1))];
    assert_eq!(agg(AggregationType::Max, &negatives, &[]), (dec!(-1), 2));
}

#[test]
fn latest_by_time_with_counters_dated_at_period_end() {
    let events = [
        ev("a", day(2), json!(3)),
        ev("b", day(10), json!(5)),
        ev("c", day(20), json!("nope")),
    ];
    assert_eq!(agg(AggregationType::Latest, &events, &[]), (dec!(5), 2));
    // Counter starts on day 3 (in window) and ends on day 12: later than event b.
    let counters = [ctr("k", day(3), day(12), dec!(9))];
    assert_eq!(
        agg(AggregationType::Latest, &events, &counters),
        (dec!(9), 2)
    );
    // A counter ending exactly at an event's instant loses to the event.
    let tie = [ctr("k", day(3), day(10), dec!(9))];
    assert_eq!(agg(AggregationType::Latest, &events, &tie), (dec!(5), 2));
    // Same instant, two events: the larger transaction id wins.
    let same = [ev("x", day(4), json!(1)), ev("y", day(4), json!(2))];
    assert_eq!(agg(AggregationType::Latest, &same, &[]), (dec!(2), 2));
}

#[test]
fn unique_count_counts_distinct_values_plus_counters() {
    let events = [
        ev("a", day(2), json!("alice")),
        ev("b", day(3), json!("bob")),
        ev("c", day(4), json!("alice")),
        ev("d", day(5), json!(1)),
        ev("e", day(6), json!("1")),
        ev("f", day(7), Value::Null),
    ];
    assert_eq!(
        agg(AggregationType::UniqueCount, &events, &[]),
        (dec!(3), 5)
    );
    let counters = [ctr("k", day(2), day(3), dec!(4))];
    assert_eq!(
        agg(AggregationType::UniqueCount, &events, &counters),
        (dec!(7), 5)
    );
}

#[test]
fn duplicates_count_once() {
    let events = [
        ev("a", day(2), json!(2)),
        ev("a", day(2), json!(2)),
        ev("b", day(3), json!(3)),
    ];
    let counters = [
        ctr("k", day(2), day(3), dec!(5)),
        ctr("k", day(2), day(3), dec!(5)),
    ];
    assert_eq!(agg(AggregationType::Sum, &events, &counters), (dec!(10), 2));
    assert_eq!(
        agg(AggregationType::Count, &events, &counters),
        (dec!(7), 2)
    );
}

#[test]
fn weighted_sum_follows_lago() {
    // 30-day window. +10 on day 1 00:00, +10 on day 16, -5 on day 26:
    // level 10 for 15 days, 20 for 10 days, 15 for 5 days
    // = (150 + 200 + 75) / 30 = 14.1666…
    let events = [
        ev("a", day(1), json!(10)),
        ev("b", day(16), json!("10")),
        ev("c", day(26), json!(-5)),
        ev("d", day(27), json!("x")),
    ];
    let (units, count) = agg(AggregationType::WeightedSum, &events, &[]);
    assert_eq!(count, 3);
    assert_eq!(units, dec!(425) / dec!(30));
    assert_eq!(units.round_dp(6), dec!(14.166667));
}

#[test]
fn weighted_sum_with_initial_level_and_same_instant_events() {
    // Initial level 4 for 10 days, then +2 and +4 on day 11 → 10 for 20 days:
    // (40 + 200) / 30 = 8.
    let events = [ev("a", day(11), json!(2)), ev("b", day(11), json!(4))];
    let a = aggregate_weighted_sum("v", &window(), &events, &[], dec!(4)).expect("in range");
    assert_eq!(
        a,
        Aggregate {
            units: dec!(8),
            events_count: 2
        }
    );
    // No events at all: the initial level is held the whole window.
    let a = aggregate_weighted_sum("v", &window(), &[], &[], dec!(4)).expect("in range");
    assert_eq!(a.units, dec!(4));
}

#[test]
fn weighted_sum_counters_are_levels_over_their_overlap() {
    // Counter of 6 held from 5 days before the window to day 11: 10 days inside → 6×10/30 = 2.
    // Counter of 3 held from day 26 to 5 days after: 5 days inside → 3×5/30 = 0.5.
    let counters = [
        ctr("k1", day(1) - chrono::Duration::days(5), day(11), dec!(6)),
        ctr("k2", day(26), day(31) + chrono::Duration::days(5), dec!(3)),
        ctr(
            "k3",
            day(31),
            day(31) + chrono::Duration::days(5),
            dec!(100),
        ),
    ];
    assert_eq!(
        agg(AggregationType::WeightedSum, &[], &counters),
        (dec!(2.5), 0)
    );
}

#[test]
fn recurring_weighted_sum_carries_the_level_from_earlier_events() {
    // +6 before the window, +3 on day 16: 6 for 15 days, 9 for 15 days → 7.5.
    let events = [
        ev("old", day(1) - chrono::Duration::days(3), json!(6)),
        ev("new", day(16), json!(3)),
    ];
    let s = MetricSpec {
        recurring: true,
        ..spec(AggregationType::WeightedSum)
    };
    let a = aggregate(&s, &window(), &events, &[]).expect("in range");
    assert_eq!(
        a,
        Aggregate {
            units: dec!(7.5),
            events_count: 1
        }
    );
}

#[test]
fn recurring_sum_and_unique_count_have_no_lower_bound() {
    let events = [
        ev("old", day(1) - chrono::Duration::days(40), json!(5)),
        ev("new", day(2), json!(2)),
        ev("late", day(31), json!(100)),
    ];
    let counters = [ctr(
        "k",
        day(1) - chrono::Duration::days(40),
        day(1),
        dec!(1),
    )];
    let rec = |t| MetricSpec {
        recurring: true,
        ..spec(t)
    };
    let sum =
        aggregate(&rec(AggregationType::Sum), &window(), &events, &counters).expect("in range");
    assert_eq!(
        sum,
        Aggregate {
            units: dec!(8),
            events_count: 2
        }
    );
    let uc =
        aggregate(&rec(AggregationType::UniqueCount), &window(), &events, &[]).expect("in range");
    assert_eq!(
        uc,
        Aggregate {
            units: dec!(2),
            events_count: 2
        }
    );
}

#[test]
fn missing_field_name_aggregates_nothing() {
    let s = MetricSpec {
        aggregation: AggregationType::Sum,
        field_name: None,
        recurring: false,
    };
    let a = aggregate(&s, &window(), &[ev("a", day(2), json!(3))], &[]).expect("in range");
    assert_eq!(a, Aggregate::default());
}

#[test]
fn event_values_are_chronological_and_deduplicated() {
    let events = [
        ev("b", day(3), json!("2")),
        ev("a", day(2), json!(1)),
        ev("a", day(2), json!(1)),
        ev("c", day(3), json!("x")),
        ev("d", day(31), json!(9)),
    ];
    assert_eq!(
        event_values(&spec(AggregationType::Sum), &window(), &events),
        vec![dec!(1), dec!(2)]
    );
}

#[test]
fn numeric_value_forms() {
    assert_eq!(numeric_value(&json!(3)), Some(dec!(3)));
    assert_eq!(numeric_value(&json!(-2.5)), Some(dec!(-2.5)));
    assert_eq!(numeric_value(&json!(" 4.10 ")), Some(dec!(4.1)));
    assert_eq!(numeric_value(&json!("2e3")), Some(dec!(2000)));
    assert_eq!(numeric_value(&json!(1e300)), None);
    assert_eq!(numeric_value(&json!("")), None);
    assert_eq!(numeric_value(&json!(null)), None);
    assert_eq!(numeric_value(&json!([1])), None);
}
