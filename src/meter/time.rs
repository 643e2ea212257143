//! Store time representation: Unix microseconds, UTC, in a 64-bit integer column.

use chrono::{DateTime, TimeZone, Utc};

/// Microseconds since the Unix epoch (UTC) as stored in every time column.
pub fn to_micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// Inverse of [`to_micros`]; out-of-range values clamp to the epoch.
pub fn from_micros(us: i64) -> DateTime<Utc> {
    Utc.timestamp_micros(us).single().unwrap_or_default()
}

/// The current time in stored form.
pub fn now_micros() -> i64 {
    to_micros(Utc::now())
}
