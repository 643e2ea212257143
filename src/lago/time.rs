//! Lago's time formats on the wire: ISO-8601 UTC with a `Z`; second precision for most
//! fields (`Time#iso8601`), milliseconds for `event.timestamp` (`iso8601(3)`).

use chrono::SecondsFormat;

use crate::meter::time::from_micros;

/// `2024-01-01T00:00:00Z` from Unix microseconds.
pub fn iso_seconds(micros: i64) -> String {
    from_micros(micros).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `2024-01-01T00:00:00.123Z` from Unix microseconds.
pub fn iso_millis(micros: i64) -> String {
    from_micros(micros).to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(iso_seconds(1_700_000_000_123_456), "2023-11-14T22:13:20Z");
        assert_eq!(
            iso_millis(1_700_000_000_123_456),
            "2023-11-14T22:13:20.123Z"
        );
    }
}
